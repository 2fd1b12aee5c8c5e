#!/usr/bin/env python3
"""The native engine at scale (issue 14, items 5 and 6): `attend run policies/national.policy`
on registers in the compact marks format of growing cohorts (default 250,000 and 1,000,000
pupils x one academic year), and the long CSV against the compact marks of the same
100,000-pupil register. Each run is timed under /usr/bin/time -v (wall time, CPU time, peak
memory) and every figure is also given as a ratio against a baseline measured in the same
invocation, as benches/national_vs_duckdb.py does: the smallest cohort for the scale table
(ratios near the ratio of pupils mean time grows linearly; the memory ratio shows what grows
with the pupils), and the long CSV for the format table (item 6: compact wall time at most a
third of the long CSV's). Outputs of the long CSV and compact runs must be byte-identical.

    cargo build --release
    benches/scale.py                                   # both tables
    benches/scale.py --sizes 250000 1000000 --skip-formats
    benches/scale.py --no-report                       # actions.csv and summary.csv only

The registers are made from one generated cohort (`attend generate --cohort BASE`), written
as compact marks by benches/to_compact.py, which repeats the cohort under new ids (`A<id>`,
`B<id>`, ...) to reach each size: the same marks, more pupils. Everything is kept in --data
(default /tmp/attend-scale) and deleted at the end unless --keep."""

import argparse
import os
import re
import shutil
import subprocess
import sys

from warm import warm

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
CALENDAR = os.path.join(ROOT, "policies", "calendars", "camden-2024-25.calendar")
POLICY = os.path.join(ROOT, "policies", "national.policy")


def timed(cmd, env=None):
    """Runs cmd under /usr/bin/time -v: (wall s, CPU s, peak RSS MB, the `timings:` line)."""
    warm(cmd)
    result = subprocess.run(["/usr/bin/time", "-v"] + cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        sys.exit(f"failed: {' '.join(cmd)}")
    err = result.stderr
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", err).group(1)
    seconds = sum(float(p) * 60 ** i for i, p in enumerate(reversed(wall.split(":"))))
    cpu = sum(float(re.search(rf"{k} time \(seconds\): (\S+)", err).group(1)) for k in ("User", "System"))
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", err).group(1)) / 1024
    timings = re.search(r"^timings: .*$", err, re.M)
    return seconds, cpu, rss, timings.group(0) if timings else ""


def run(args, register, pupils, out, attend=None):
    """`attend run` on one register: the best of --repeat runs (by wall time)."""
    cmd = [attend or args.attend, "run", POLICY, "--calendar", CALENDAR, "--register", register, "--pupils", pupils,
           "--out", out, "--no-ledger", "--quiet"] + (["--no-report"] if args.no_report else [])
    env = dict(os.environ, ATTEND_TIMINGS="1")
    return min((timed(cmd, env) for _ in range(args.repeat)), key=lambda t: t[0])


def same_outputs(a, b):
    names = sorted(os.listdir(a))
    if names != sorted(os.listdir(b)):
        return False
    for name in names:
        with open(os.path.join(a, name), "rb") as x, open(os.path.join(b, name), "rb") as y:
            if x.read() != y.read():
                print(f"DIFFERENT: {name}")
                return False
    return True


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[250000, 1000000])
    ap.add_argument("--base", type=int, default=50000, help="the generated cohort each size repeats")
    ap.add_argument("--formats-pupils", type=int, default=100000, help="the cohort of the format table")
    ap.add_argument("--skip-formats", action="store_true")
    ap.add_argument("--data", default="/tmp/attend-scale")
    ap.add_argument("--attend", default=os.path.join(ROOT, "target", "release", "attend"))
    ap.add_argument("--before", help="another attend binary run on the same files after each run "
                    "(its rows are marked `before`), for a before/after comparison in one invocation")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each; the best is reported")
    ap.add_argument("--no-report", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the generated data")
    args = ap.parse_args()
    for size in args.sizes:
        if size % args.base or not 1 <= size // args.base <= 26:
            sys.exit(f"each size must be 1 to 26 times --base ({args.base})")
    os.makedirs(args.data, exist_ok=True)
    try:
        if not args.skip_formats:
            formats(args)
        scale(args)
    finally:
        if not args.keep:
            shutil.rmtree(args.data, ignore_errors=True)


def generate(args, pupils):
    """The generated cohort of `pupils` (long CSV register and pupils file), made once."""
    cohort = os.path.join(args.data, f"cohort-{pupils}")
    if not os.path.exists(os.path.join(cohort, "register.csv")):
        print(f"generating {pupils} pupils ...", flush=True)
        subprocess.run([args.attend, "generate", "--cohort", str(pupils), "--phase", "secondary", "--seed", "1",
                        "--calendar", CALENDAR, "--out", cohort, "--quiet"], check=True)
    return cohort


def compact(args, cohort, copies, name):
    """The cohort's register as compact marks, `copies` times over."""
    marks = os.path.join(args.data, f"{name}-marks.csv")
    pupils = os.path.join(args.data, f"{name}-pupils.csv")
    if not os.path.exists(marks):
        print(f"writing {name} as compact marks ...", flush=True)
        subprocess.run([sys.executable, os.path.join(ROOT, "benches", "to_compact.py"),
                        "--register", os.path.join(cohort, "register.csv"),
                        "--pupils", os.path.join(cohort, "pupils.csv"), "--calendar", CALENDAR,
                        "--out", marks, "--pupils-out", pupils, "--copies", str(copies)], check=True)
    return marks, pupils


def formats(args):
    """Item 6 (a): the same register as long CSV and as compact marks, in one invocation."""
    n = args.formats_pupils
    cohort = generate(args, n)
    marks, pupils = compact(args, cohort, 1, f"formats-{n}")
    long_reg = os.path.join(cohort, "register.csv")
    wc = min((timed(["wc", "-l", long_reg]) for _ in range(args.repeat)), key=lambda t: t[0])
    out_long, out_compact = (os.path.join(args.data, f"out-{k}") for k in ("long", "compact"))
    ran_long = run(args, long_reg, os.path.join(cohort, "pupils.csv"), out_long)
    ran_compact = run(args, marks, pupils, out_compact)
    same = same_outputs(out_long, out_compact)
    before = []
    if args.before:
        out_before = os.path.join(args.data, "out-before")
        before = [("before: long", run(args, long_reg, os.path.join(cohort, "pupils.csv"), out_before,
                                       args.before))]
        same = same and same_outputs(out_long, out_before)
        before.append(("before: compact", run(args, marks, pupils, out_before, args.before)))
        same = same and same_outputs(out_long, out_before)
    print(f"\nformats: {n} pupils x one year; {os.path.getsize(long_reg) / 1e6:.0f} MB long CSV, "
          f"{os.path.getsize(marks) / 1e6:.0f} MB compact marks")
    print(f"{'':16} {'wall s':>7} {'CPU s':>7} {'peak MB':>8} {'wall ratio':>10}")
    for label, t in [("long CSV", ran_long), ("compact marks", ran_compact), ("wc -l (long)", wc)] + before:
        print(f"{label:16} {t[0]:7.2f} {t[1]:7.2f} {t[2]:8.0f} {t[0] / ran_long[0]:10.2f}   {t[3]}")
    print(f"compact is {ran_long[0] / ran_compact[0]:.1f}x faster than the long CSV "
          f"({ran_long[1] / ran_compact[1]:.1f}x in CPU time); outputs {'identical' if same else 'DIFFERENT'}")
    if before:
        print(f"before: compact {before[0][1][0] / before[1][1][0]:.1f}x faster "
              f"({before[0][1][1] / before[1][1][1]:.1f}x in CPU time)")
    shutil.rmtree(cohort, ignore_errors=True)
    if not same:
        sys.exit(1)


def scale(args):
    """Item 5: the compact marks of growing cohorts, each against the smallest."""
    cohort = generate(args, args.base)
    rows = []
    for size in args.sizes:
        marks, pupils = compact(args, cohort, size // args.base, f"scale-{size}")
        out = os.path.join(args.data, f"out-{size}")
        rows.append((size, os.path.getsize(marks), run(args, marks, pupils, out)))
        actions = os.path.getsize(os.path.join(out, "actions.csv"))
        rows[-1] += (actions, "")
        if args.before:
            out_before = os.path.join(args.data, f"out-{size}-before")
            ran = run(args, marks, pupils, out_before, args.before)
            same = same_outputs(out, out_before)
            rows.append((size, os.path.getsize(marks), ran, actions,
                         " before" + ("" if same else " (outputs DIFFERENT)")))
            shutil.rmtree(out_before, ignore_errors=True)
        # One register on disk at a time beside the cohort.
        for path in (marks, pupils):
            os.remove(path)
        shutil.rmtree(out, ignore_errors=True)
    base = rows[0]
    print(f"\nscale: compact marks, one academic year, national policy (baseline: {base[0]} pupils)")
    print(f"{'pupils':>9} {'marks MB':>8} {'wall s':>7} {'CPU s':>7} {'peak MB':>8} {'actions MB':>10} "
          f"{'pupils x':>8} {'wall x':>7} {'peak x':>7} {'us/pupil':>8}")
    for size, bytes_, t, actions, label in rows:
        print(f"{size:9d} {bytes_ / 1e6:8.0f} {t[0]:7.2f} {t[1]:7.2f} {t[2]:8.0f} {actions / 1e6:10.0f} "
              f"{size / base[0]:8.1f} {t[0] / base[2][0]:7.2f} {t[2] / base[2][2]:7.2f} {t[0] / size * 1e6:8.2f}{label}")
        print(f"          {t[3]}")


if __name__ == "__main__":
    main()
