#!/usr/bin/env python3
"""Two (or more) attend binaries timed in turn on one register (or more), the national policy,
every output and no ledger: each run of each binary on each register alternates with the
others', so the machine's load falls on all alike. Prints the least and median wall time of
each binary on each register, and, given two registers, each binary's ratio of the first's
time to the second's (medians of the runs' ratios, each run's pair taken back to back).

    benches/alternate.py BEFORE,AFTER REGISTER[,REGISTER2] PUPILS[,PUPILS2] [RUNS]

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
    registers = sys.argv[2].split(",")
    pupils = sys.argv[3].split(",")
    if len(pupils) != len(registers):
        sys.exit("give one pupils file for each register")
    runs = int(sys.argv[4]) if len(sys.argv) > 4 else 7
    times = {(b, r): [] for b in binaries for r in registers}
    for _ in range(runs):
        for binary in binaries:
            for register, listed in zip(registers, pupils):
                shutil.rmtree(OUT, ignore_errors=True)
                cmd = [binary, "run", "policies/national.policy", "--calendar",
                       "policies/calendars/camden-2024-25.calendar", "--register", register,
                       "--pupils", listed, "--out", OUT, "--no-ledger", "--quiet"]
                warm(cmd)
                started = time.perf_counter()
                subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
                times[(binary, register)].append(time.perf_counter() - started)
    for (binary, register), t in times.items():
        where = f" on {register}" if len(registers) > 1 else ""
        print(f"{binary}{where}: least {min(t):.3f} s, median {statistics.median(t):.3f} s "
              f"over {len(t)} runs")
    if len(registers) == 2:
        for binary in binaries:
            first, second = times[(binary, registers[0])], times[(binary, registers[1])]
            ratios = [a / b for a, b in zip(first, second)]
            print(f"{binary}: {registers[0]} / {registers[1]}: median ratio "
                  f"{statistics.median(ratios):.2f}, least over least "
                  f"{min(first) / min(second):.2f}")


if __name__ == "__main__":
    main()
