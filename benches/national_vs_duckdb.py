#!/usr/bin/env python3
"""Whole-process benchmark: `attend run policies/national.policy` against the DuckDB
baseline (benches/duckdb_baseline.py) on a generated register, in one run. Checks that both
give the same summary.csv and actions.csv, and reports wall time, CPU use and peak memory.

    cargo build --release
    pip install duckdb
    benches/national_vs_duckdb.py --pupils 100000        # ~38M rows, ~0.9 GB, in /tmp
    benches/national_vs_duckdb.py --pupils 100000 --ledger   # and attend with its ledger

With --ledger, attend is also timed recording its actions in a new ledger (every action is
new: the most a ledger adds) and again against that ledger (every action unchanged: a
school's usual morning), each against the run without one, measured in the same invocation.

Data is generated once (scripts/gen_register.py) and kept in --data (default /tmp), never in
the repository."""

import argparse
import csv
import os
import re
import subprocess
import sys

from warm import warm

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
CALENDAR = os.path.join(ROOT, "policies", "calendars", "camden-2024-25.calendar")
POLICY = os.path.join(ROOT, "policies", "national.policy")


def timed(cmd):
    """Runs cmd under /usr/bin/time -v: (seconds, peak RSS in MB, CPU %)."""
    warm(cmd)
    result = subprocess.run(["/usr/bin/time", "-v"] + cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        sys.exit(f"failed: {' '.join(cmd)}")
    err = result.stderr
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", err).group(1)
    parts = [float(p) for p in wall.split(":")]
    seconds = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", err).group(1)) / 1024
    cpu = re.search(r"Percent of CPU this job got: (\d+)%", err).group(1)
    timings = re.search(r"^timings: .*$", err, re.M)
    return seconds, rss, int(cpu), result.stdout, timings.group(0) if timings else ""


def rows(path, columns=None):
    """The CSV's rows; with `columns`, only those columns (by header), in that order."""
    with open(path, newline="", encoding="utf-8") as f:
        found = [tuple(r) for r in csv.reader(f)]
    if columns is None or not found:
        return found
    index = [found[0].index(c) for c in columns]
    return [tuple(r[i] for i in index) for r in found]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pupils", type=int, default=100000)
    ap.add_argument("--data", default="/tmp")
    ap.add_argument("--attend", default=os.path.join(ROOT, "target", "release", "attend"))
    ap.add_argument("--repeat", type=int, default=1, help="runs of each; the best is reported")
    ap.add_argument("--ledger", action="store_true", help="also time attend with a ledger (new, then unchanged)")
    ap.add_argument("--no-duckdb", action="store_true", help="skip the DuckDB baseline (and the comparison)")
    args = ap.parse_args()
    register = os.path.join(args.data, f"attend-bench-{args.pupils}-register.csv")
    pupils = os.path.join(args.data, f"attend-bench-{args.pupils}-pupils.csv")
    if not (os.path.exists(register) and os.path.exists(pupils)):
        print(f"generating {args.pupils} pupils x one year into {args.data} ...", flush=True)
        os.makedirs(args.data, exist_ok=True)
        subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "gen_register.py"), "--pupils", str(args.pupils),
                        "--calendar", CALENDAR, "--from", "2024-09-01", "--to", "2025-08-31", "--seed", "1",
                        "--register", register, "--pupils-out", pupils], check=True)
    size = os.path.getsize(register)
    with open(register, "rb") as f:
        lines = sum(buf.count(b"\n") for buf in iter(lambda: f.read(1 << 24), b"")) - 1
    ours_out = os.path.join(args.data, f"attend-bench-{args.pupils}-ours")
    duck_out = os.path.join(args.data, f"attend-bench-{args.pupils}-duckdb")
    # The baseline computes the summary, penalty and continuous-absence events, not a report,
    # so attend is timed on the same work: without report.html.
    ours_cmd = [args.attend, "run", POLICY, "--calendar", CALENDAR, "--register", register, "--pupils", pupils,
                "--out", ours_out, "--no-report", "--no-ledger"]
    duck_cmd = [sys.executable, os.path.join(ROOT, "benches", "duckdb_baseline.py"), "--register", register,
                "--pupils", pupils, "--calendar", CALENDAR, "--out", duck_out]
    os.environ["ATTEND_TIMINGS"] = "1"
    ours = min((timed(ours_cmd) for _ in range(args.repeat)), key=lambda t: t[0])
    duck = None if args.no_duckdb else min((timed(duck_cmd) for _ in range(args.repeat)), key=lambda t: t[0])
    ledgered = []
    if args.ledger:
        ledger = os.path.join(args.data, f"attend-bench-{args.pupils}-ledger.sqlite")
        ledger_cmd = ours_cmd[:-1] + ["--ledger", ledger]
        ledger_cmd[ledger_cmd.index("--out") + 1] = ours_out + "-ledger"

        def fresh():
            for suffix in ["", "-journal", "-wal", "-shm"]:
                if os.path.exists(ledger + suffix):
                    os.remove(ledger + suffix)
            return timed(ledger_cmd)

        new = min((fresh() for _ in range(args.repeat)), key=lambda t: t[0])
        unchanged = min((timed(ledger_cmd) for _ in range(args.repeat)), key=lambda t: t[0])
        ledgered = [("+ledger new", new), ("+ledger same", unchanged)]
    same = True
    for name in [] if duck is None else ["summary.csv", "actions.csv"]:
        # attend's actions.csv has columns the baseline does not compute (the action's id,
        # the ledger's): compare the baseline's columns.
        b = rows(os.path.join(duck_out, name))
        a = rows(os.path.join(ours_out, name), list(b[0]) if b else None)
        if a != b:
            same = False
            diff = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
            print(f"DIFFERENT {name}: {len(a)} rows vs {len(b)}; first difference at row {diff}:")
            print("  attend:", a[diff] if diff < len(a) else None)
            print("  duckdb:", b[diff] if diff < len(b) else None)
    actions = len(rows(os.path.join(ours_out, "actions.csv"))) - 1
    print(f"\nregister: {args.pupils} pupils, {lines} rows, {size / 1e9:.2f} GB (long CSV); {actions} actions")
    print(f"{'':8} {'wall s':>8} {'peak MB':>8} {'CPU %':>6}")
    print(f"{'attend':8} {ours[0]:8.2f} {ours[1]:8.0f} {ours[2]:6d}   {ours[4]}")
    for label, t in ledgered:
        print(f"{label:8} {t[0]:8.2f} {t[1]:8.0f} {t[2]:6d}   {t[0] / ours[0]:.2f}x the run without a ledger; {t[4]}")
    if duck is not None:
        print(f"{'duckdb':8} {duck[0]:8.2f} {duck[1]:8.0f} {duck[2]:6d}")
    if ledgered:
        size = os.path.getsize(os.path.join(args.data, f"attend-bench-{args.pupils}-ledger.sqlite"))
        print(f"ledger: {size / 1e6:.0f} MB")
    if duck is not None:
        print(f"speed-up: {duck[0] / ours[0]:.1f}x; outputs {'identical' if same else 'DIFFERENT'}")
    print(ours[3].strip())
    sys.exit(0 if same else 1)


if __name__ == "__main__":
    main()
