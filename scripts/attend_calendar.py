"""Reads an `attend` calendar file (`.calendar` DSL) into school days, the way the engine
expands it: a school day is a weekday inside a term that no closure covers. Used by the
register generator and the DuckDB baseline, so both agree with `attend` on the calendar."""

import datetime as dt
import re

DATE = r"(\d{4}-\d{2}-\d{2})"
RANGE = re.compile(rf"^\s*(term\s+\S+|half_term|holiday|bank_holiday|inset|closed)\s+{DATE}(?:\s*(?:\.\.=?|to)\s*{DATE})?")


def parse(path):
    """Returns academic years, each a dict with `terms` and `closures` lists of (start, end)."""
    years = []
    for line in open(path, encoding="utf-8"):
        line = line.split("#", 1)[0]
        if line.strip().startswith("calendar"):
            years.append({"terms": [], "closures": []})
            continue
        m = RANGE.match(line)
        if not m or not years:
            continue
        start = dt.date.fromisoformat(m.group(2))
        end = dt.date.fromisoformat(m.group(3)) if m.group(3) else start
        kind = m.group(1)
        if kind.startswith("term"):
            years[-1]["terms"].append((start, end))
        else:
            years[-1]["closures"].append((start, end))
    return years


def school_days(path):
    """[(date, week_ordinal, year_ordinal)] in date order."""
    years = parse(path)
    years.sort(key=lambda y: min(t[0] for t in y["terms"]))
    closures = [c for y in years for c in y["closures"]]
    out = []
    week, last_monday = -1, None
    for y, year in enumerate(years):
        for start, end in sorted(year["terms"]):
            d = start
            while d <= end:
                closed = d.weekday() >= 5 or any(a <= d <= b for a, b in closures)
                if not closed and (not out or out[-1][0] < d):
                    monday = d - dt.timedelta(days=d.weekday())
                    if monday != last_monday:
                        week += 1
                        last_monday = monday
                    out.append((d, week, y))
                d += dt.timedelta(days=1)
    return out
