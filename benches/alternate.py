#!/usr/bin/env python3
"""Two (or more) attend binaries timed in turn on one register, the national policy, every
output and no ledger: each run of each binary alternates with the others', so the machine's
load falls on all alike. Prints each binary's least and median wall time.

    benches/alternate.py BEFORE,AFTER REGISTER PUPILS [RUNS]

The outputs of the last run are left in /tmp/attend-alternate-out (compare them with `diff -r`
against another binary's)."""

import shutil
import statistics
import subprocess
import sys
import time

from warm import warm

OUT = "/tmp/attend-alternate-out"


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    binaries = sys.argv[1].split(",")
    register, pupils = sys.argv[2], sys.argv[3]
    runs = int(sys.argv[4]) if len(sys.argv) > 4 else 7
    times = {b: [] for b in binaries}
    for _ in range(runs):
        for binary in binaries:
            shutil.rmtree(OUT, ignore_errors=True)
            cmd = [binary, "run", "policies/national.policy", "--calendar",
                   "policies/calendars/camden-2024-25.calendar", "--register", register,
                   "--pupils", pupils, "--out", OUT, "--no-ledger", "--quiet"]
            warm(cmd)
            started = time.perf_counter()
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            times[binary].append(time.perf_counter() - started)
    for binary, t in times.items():
        print(f"{binary}: least {min(t):.3f} s, median {statistics.median(t):.3f} s over {len(t)} runs")


if __name__ == "__main__":
    main()
