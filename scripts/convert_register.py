#!/usr/bin/env python3
"""Converts a long-CSV register (`pupil_id,date,session,mark`) into the MIS formats `attend`
reads (docs/data.md), streaming, for benches/formats.sh: the same marks as SIMS
`SessionAttendances` XML and as Wonde-style JSON lines (codes by id, with the code list).

    scripts/convert_register.py --register reg.csv --days 20 --long-out reg20.csv \\
        --sims-out reg20.xml --jsonl-out reg20.jsonl --codes-out codes.json

--days N keeps the first N dates of a register written in date order (as `attend generate`
writes it), so a large cohort's register can be measured without its whole year on disk."""

import argparse
import csv
import json
import sys


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--register", required=True)
    p.add_argument("--days", type=int, default=0, help="keep the first N dates (0: all)")
    p.add_argument("--long-out")
    p.add_argument("--sims-out")
    p.add_argument("--jsonl-out")
    p.add_argument("--codes-out", help="the code list the JSON lines' ids resolve through")
    args = p.parse_args()
    if args.jsonl_out and not args.codes_out:
        sys.exit("--jsonl-out needs --codes-out")

    long_out = open(args.long_out, "w", newline="") if args.long_out else None
    sims = open(args.sims_out, "w") if args.sims_out else None
    jsonl = open(args.jsonl_out, "w") if args.jsonl_out else None
    if long_out:
        long_out.write("pupil_id,date,session,mark\n")
    if sims:
        sims.write('<?xml version="1.0" encoding="utf-8"?>\n<SessionAttendances>\n')
    ids = {}
    # Registers list each pupil's dates in order (pupil-major) or every pupil's marks for a
    # date before the next date (date-major): either way the first N+1 dates seen are the
    # earliest, and the (N+1)th is where the kept span ends.
    dates = []
    cutoff = None
    rows = 0
    with open(args.register, newline="") as f:
        reader = csv.reader(f)
        header = [h.strip().lower() for h in next(reader)]
        col = {name: header.index(name) for name in ("pupil_id", "date", "session", "mark")}
        for row in reader:
            pupil, date, session, mark = (row[col[k]] for k in ("pupil_id", "date", "session", "mark"))
            if cutoff is None and (not dates or dates[-1] != date) and date not in dates:
                dates.append(date)
                if args.days and len(dates) > args.days:
                    cutoff = date
            if cutoff is not None and date >= cutoff:
                continue
            rows += 1
            if long_out:
                long_out.write(f"{pupil},{date},{session},{mark}\n")
            if sims:
                escaped = mark.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                sims.write(
                    f"  <SessionAttendance><PersonID>{pupil}</PersonID>"
                    f"<AttendanceDate>{date}T00:00:00</AttendanceDate><SessionName>{session}</SessionName>"
                    f"<AttendanceMark>{escaped}</AttendanceMark><MinsLate>0</MinsLate><Comments />"
                    f"</SessionAttendance>\n"
                )
            if jsonl:
                code = ids.setdefault(mark, f"A{len(ids) + 1}")
                jsonl.write(
                    f'{{"student_id": "{pupil}", "date": "{date}", "session": "{session}", '
                    f'"attendance_code_id": "{code}", "minutes_late": 0, "comment": null}}\n'
                )
    if sims:
        sims.write("</SessionAttendances>\n")
    for out in (long_out, sims, jsonl):
        if out:
            out.close()
    if args.codes_out:
        with open(args.codes_out, "w") as f:
            json.dump({"data": [{"id": i, "code": c} for c, i in ids.items()]}, f)
    kept = len(dates) - (cutoff is not None)
    print(f"{rows} marks over {kept} dates", file=sys.stderr)


if __name__ == "__main__":
    main()
