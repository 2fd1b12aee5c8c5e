#!/usr/bin/env python3
"""Generates a synthetic register and pupils file for `attend run`: N pupils over the school
days of a calendar, with absence patterns shaped like the national figures (national-rules.md
§11: about 7% of sessions missed, a fifth of pupils persistently absent, a few severely
absent, a few long unexplained absences). Deterministic for a given seed.

    scripts/gen_register.py --pupils 100000 --calendar policies/calendars/camden-2024-25.calendar \\
        --from 2024-09-01 --to 2025-08-31 --register /tmp/reg.csv --pupils-out /tmp/pupils.csv

The long CSV is written in date, session, pupil order (as a day-by-day export is); pass
--order pupil for pupil-major order, --format compact for the marks CSV."""

import argparse
import datetime as dt
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import attend_calendar  # noqa: E402


def pupil_profile(rng):
    """(daily chance of starting an absence, kind weights) for one pupil."""
    r = rng.random()
    if r < 0.78:
        rate = rng.uniform(0.005, 0.035)
    elif r < 0.95:
        rate = rng.uniform(0.04, 0.10)
    elif r < 0.985:
        rate = rng.uniform(0.12, 0.30)
    else:
        rate = rng.uniform(0.30, 0.60)
    unauthorised = rng.choice([0.05, 0.1, 0.2, 0.4, 0.7])
    return rate, unauthorised


def pupil_days(rng, days):
    """Yields (am, pm) marks for each school day."""
    rate, unauthorised = pupil_profile(rng)
    run_code, run_left = None, 0
    long_run = None
    if rng.random() < 0.01 and len(days) > 30:
        start = rng.randrange(len(days) - 25)
        long_run = (start, start + rng.randint(8, 24), rng.choice(["N", "O", "G"]))
    for i in range(len(days)):
        if long_run and long_run[0] <= i < long_run[1]:
            code = long_run[2]
            yield code, code
            continue
        if run_left > 0:
            run_left -= 1
            yield run_code, run_code
            continue
        if rng.random() < rate:
            k = rng.random()
            if k < unauthorised:
                u = rng.random()
                if u < 0.45:
                    run_code, run_left = rng.choice("NO"), rng.randint(0, 2)
                elif u < 0.65:
                    run_code, run_left = "G", rng.randint(2, 6)
                elif u < 0.9:
                    yield "U", "\\"
                    continue
                else:
                    yield "/", "O"
                    continue
            else:
                a = rng.random()
                if a < 0.7:
                    run_code, run_left = "I", rng.randint(0, 3)
                elif a < 0.85:
                    yield "M", "\\"
                    continue
                elif a < 0.92:
                    run_code, run_left = rng.choice(["C", "R", "E", "C1", "J1"]), 0
                elif a < 0.97:
                    yield "Y1", "Y1"
                    continue
                else:
                    run_code, run_left = rng.choice(["B", "V", "P", "K"]), 0
            yield run_code, run_code
            continue
        yield ("L" if rng.random() < 0.03 else "/"), "\\"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pupils", type=int, required=True)
    ap.add_argument("--calendar", required=True)
    ap.add_argument("--from", dest="start", default="2024-09-01")
    ap.add_argument("--to", dest="end", default="2025-08-31")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--register", required=True)
    ap.add_argument("--pupils-out", required=True)
    ap.add_argument("--format", choices=["long", "compact"], default="long")
    ap.add_argument("--order", choices=["date", "pupil"], default="date")
    args = ap.parse_args()
    start, end = dt.date.fromisoformat(args.start), dt.date.fromisoformat(args.end)
    days = [d for d, _, _ in attend_calendar.school_days(args.calendar) if start <= d <= end]
    width = max(4, len(str(args.pupils)))
    ids = [f"P{i:0{width}d}" for i in range(1, args.pupils + 1)]
    rng = random.Random(args.seed)
    with open(args.pupils_out, "w", encoding="utf-8", newline="") as f:
        f.write("pupil_id,date_of_birth,year_group,admission_date,sen,fsm,social_worker\n")
        for pid in ids:
            year = rng.randint(0, 11)  # reception .. year 11
            # Born in the school year that puts them in `year` in 2024-25.
            born = dt.date(2019 - year, 9, 1) + dt.timedelta(days=rng.randrange(365))
            sen = rng.choices("NKE", [0.85, 0.12, 0.03])[0]
            f.write(f"{pid},{born},{'R' if year == 0 else year},2024-09-02,{sen},"
                    f"{str(rng.random() < 0.24).lower()},{str(rng.random() < 0.03).lower()}\n")
    marks = {}
    for pid in ids:
        marks[pid] = list(pupil_days(random.Random(f"{args.seed}:{pid}"), days))
    with open(args.register, "w", encoding="utf-8", newline="") as f:
        if args.format == "compact":
            f.write("pupil_id,start_date,marks\n")
            first, last = days[0], days[-1]
            index = {d: i for i, d in enumerate(days)}
            for pid in ids:
                tokens = []
                d = first
                while d <= last:
                    i = index.get(d)
                    tokens.extend(marks[pid][i] if i is not None else ("#", "#"))
                    d += dt.timedelta(days=1)
                f.write(f"{pid},{first},\"{','.join(tokens)}\"\n")
        elif args.order == "pupil":
            f.write("pupil_id,date,session,mark\n")
            for pid in ids:
                f.write("".join(f"{pid},{d},AM,{am}\n{pid},{d},PM,{pm}\n" for d, (am, pm) in zip(days, marks[pid])))
        else:
            f.write("pupil_id,date,session,mark\n")
            for i, d in enumerate(days):
                for s in (0, 1):
                    name = "AM" if s == 0 else "PM"
                    f.write("".join(f"{pid},{d},{name},{marks[pid][i][s]}\n" for pid in ids))


if __name__ == "__main__":
    main()
