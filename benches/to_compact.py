#!/usr/bin/env python3
"""Converts a long-CSV register written pupil by pupil (as `attend generate` writes it) into
the compact marks CSV (`pupil_id,start_date,marks`, docs/data.md), streaming: one row per
pupil from its first marked day to its last, two tokens per calendar day, `#` on the days
that are not school days and `-` on the school sessions it has no row for (the same marks
the long CSV gives: no mark). With --copies K it writes each pupil K times under the ids
`A<id>`, `B<id>`, ... (and the pupils file to match), so a large cohort is made from a small
one: the same marks, K times the pupils.

    benches/to_compact.py --register reg.csv --pupils pupils.csv \\
        --calendar policies/calendars/camden-2024-25.calendar \\
        --out marks.csv --pupils-out pupils-out.csv --copies 4"""

import argparse
import datetime as dt
import os
import string
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
import attend_calendar  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--register", required=True)
    ap.add_argument("--pupils", required=True)
    ap.add_argument("--calendar", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--pupils-out", required=True)
    ap.add_argument("--copies", type=int, default=1)
    args = ap.parse_args()
    if not 1 <= args.copies <= 26:
        sys.exit("--copies is 1 to 26")
    prefixes = [""] if args.copies == 1 else list(string.ascii_uppercase[: args.copies])
    school = {d.isoformat() for d, _, _ in attend_calendar.school_days(args.calendar)}

    def row(pupil, marks):
        """The compact row of one pupil: {(date, session): mark} over its first..last date."""
        dates = sorted({d for d, _ in marks})
        first, last = dt.date.fromisoformat(dates[0]), dt.date.fromisoformat(dates[-1])
        tokens = []
        d = first
        while d <= last:
            iso = d.isoformat()
            if iso in school:
                tokens.append(marks.get((iso, "AM"), "-"))
                tokens.append(marks.get((iso, "PM"), "-"))
            else:
                tokens += ["#", "#"]
            d += dt.timedelta(days=1)
        return f'{pupil},{first},"{",".join(tokens)}"\n'

    # Pupils in id order, each copy a block of its own, so the file is sorted like the ids.
    rows = []
    with open(args.register, encoding="utf-8") as f:
        header = f.readline().strip().split(",")
        p, d, s, m = (header.index(c) for c in ("pupil_id", "date", "session", "mark"))
        current, marks = None, {}
        for line in f:
            fields = line.rstrip("\n").split(",")
            if fields[p] != current:
                if current is not None:
                    rows.append((current, row(current, marks)))
                current, marks = fields[p], {}
            marks[(fields[d], fields[s])] = fields[m]
        if current is not None:
            rows.append((current, row(current, marks)))
    rows.sort()
    with open(args.out, "w", encoding="utf-8", newline="") as out:
        out.write("pupil_id,start_date,marks\n")
        for prefix in prefixes:
            for _, text in rows:
                out.write(prefix + text)
    with open(args.pupils, encoding="utf-8") as f, open(args.pupils_out, "w", encoding="utf-8") as out:
        out.write(f.readline())
        lines = f.readlines()
        for prefix in prefixes:
            for line in lines:
                out.write(prefix + line)


if __name__ == "__main__":
    main()
