#!/usr/bin/env python3
"""Hostile-input ceilings (issue 13): regenerates each large reproducer into a temporary
directory, runs the release binary on it under `/usr/bin/time -v`, and fails when an answer
takes longer or more memory than its ceiling, or when a bad input is not given a located
error. Prints a table of the measured figures.

    cargo build --release && python3 benches/hostile.py [--binary target/release/attend]

Needs `/usr/bin/time` (Debian package `time`; installed with apt-get when run as root).
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The corrected policy: `attend run` refuses a policy with errors before reading a register.
POLICY = os.path.join(ROOT, "policies/corrected/kings-cross-academy.policy")
# No letters: the size cases measure the register and the engine, not letter writing.
NATIONAL = os.path.join(ROOT, "policies/national.policy")
CALENDAR = os.path.join(ROOT, "policies/calendars/camden-2024-25.calendar")
MIB = 1 << 20
LONG_HEADER = b"pupil_id,date,session,mark\n"


def ensure_time():
    if os.path.exists("/usr/bin/time"):
        return
    if os.geteuid() != 0:
        sys.exit("hostile: /usr/bin/time is missing (apt-get install time)")
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "time"], check=True)


def write(path, parts):
    with open(path, "wb") as f:
        for part in parts:
            f.write(part)
    return path


def repeated(unit, total):
    """`total` bytes of `unit` repeated, in blocks of about 1 MiB."""
    block = unit * (MIB // len(unit))
    done = 0
    while done + len(block) <= total:
        yield block
        done += len(block)
    rest = total - done
    yield (unit * (rest // len(unit) + 1))[:rest]


def normal_rows(count):
    for i in range(count):
        yield b"P%05d,2024-09-05,AM,/\n" % (i % 100000)


def long_row(d):
    # One row of 4 MiB + 1 KiB in a mark field, between good rows.
    return write(os.path.join(d, "long_row.csv"), [
        LONG_HEADER, b"P1,2024-09-05,AM,/\n", b"P1,2024-09-05,PM,",
        *repeated(b"/", 4 * MIB + 1024), b"\n", b"P2,2024-09-05,AM,/\n"])


def one_line(d):
    # A header, then 200 MiB without a line end.
    return write(os.path.join(d, "one_line.csv"),
                 [LONG_HEADER, *repeated(b"P1,2024-09-05,AM,/,", 200 * MIB)])


def open_quote(d):
    # The first mark opens a quote that never closes; 8 MiB of rows follow.
    rows = b"".join(normal_rows(8 * MIB // 22))
    return write(os.path.join(d, "open_quote.csv"),
                 [LONG_HEADER, b"P1,2024-09-05,AM,\"/\n", rows])


def ctf(d):
    # One pupil, 40,000 marks from the calendar's first day: most fall after its end.
    marks = b"/" * 40000
    return write(os.path.join(d, "ctf.xml"), [
        b"<?xml version=\"1.0\"?>\n<CTfile><CTFpupilData><Pupil><UPN>A123456789012</UPN>",
        b"<DOB>2014-01-01</DOB><Attendance><YearData><AttendSessions>",
        b"<AttendanceStartDate>2024-09-05</AttendanceStartDate>\n<AttendanceMarks>",
        marks, b"</AttendanceMarks></AttendSessions></YearData></Attendance></Pupil>",
        b"</CTFpupilData></CTfile>\n"])


def compact_field(d):
    # One row whose marks field is 20 MiB of `/`: longer than a row may be.
    return write(os.path.join(d, "compact.csv"), [
        b"pupil_id,start_date,marks\n", b"P1,2024-09-05,", *repeated(b"/", 20 * MIB), b"\n"])


def compact_marks(d):
    # One row whose marks field is 4 MiB less 1 KiB of `/`, within the limit: a school year,
    # then millions of marks on days that are not school days, each a problem.
    return write(os.path.join(d, "compact_marks.csv"), [
        b"pupil_id,start_date,marks\n", b"P1,2024-09-05,", *repeated(b"/", 4 * MIB - 1024),
        b"\n"])


def pupils_field(d):
    # A pupils file whose second pupil has a 20 MiB carer's address, its line ends quoted.
    pupils = write(os.path.join(d, "pupils.csv"), [
        b"pupil_id,date_of_birth,year_group,carer_address\nP1,2015-05-01,4,\n",
        b"P2,2015-05-01,4,\"1 Road\n", *repeated(b"x", 20 * MIB), b"\"\n"])
    register = write(os.path.join(d, "one.csv"), [LONG_HEADER, b"P1,2024-09-05,AM,/\n"])
    return pupils, register


def million(d):
    # One million distinct pupils, one morning each.
    path = os.path.join(d, "million.csv")
    with open(path, "wb") as f:
        f.write(LONG_HEADER)
        for block in range(100):
            f.write(b"".join(b"Q%07d,2024-09-05,AM,/\n" % (block * 10000 + i)
                             for i in range(10000)))
    return path


def wide_calendar(d):
    cal = write(os.path.join(d, "wide.calendar"), [
        b"calendar \"wide\" {\n  term all 0000-01-03 .. 9999-12-31\n}\n"])
    rows = [b"P%d,2024-09-%02d,%s,/\n" % (p, day, s)
            for p in range(1, 6) for day in (2, 3, 4) for s in (b"AM", b"PM")]
    reg = write(os.path.join(d, "wide.csv"), [LONG_HEADER, *rows])
    return cal, reg


def run(binary, out, policy, args, limit):
    cmd = ["/usr/bin/time", "-v", binary, "run", policy, "--no-report", "-q", "--out", out, *args]
    try:
        proc = subprocess.run(cmd, capture_output=True, env={**os.environ, "NO_COLOR": "1"},
                              timeout=limit)
    except subprocess.TimeoutExpired:
        return float(limit), 0, -1, "timed out"
    err = proc.stderr.decode("utf-8", "replace")
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)", err)
    seconds = int(wall.group(1) or 0) * 3600 + int(wall.group(2)) * 60 + float(wall.group(3))
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", err).group(1)) // 1024
    status = int(re.search(r"Exit status: (\d+)", err).group(1)) if "Exit status" in err else -1
    return seconds, rss, status, err


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=os.path.join(ROOT, "target/release/attend"))
    opts = parser.parse_args()
    ensure_time()
    if not os.path.exists(opts.binary):
        sys.exit(f"hostile: no binary at {opts.binary} (cargo build --release)")
    tmp = tempfile.mkdtemp(prefix="attend-hostile-")
    failed = []
    rows = []
    try:
        cal = ["--calendar", CALENDAR]
        wide_cal, wide_reg = wide_calendar(tmp)
        keep = ["--keep-going", "--max-errors", "1000000"]
        # name, make, policy, extra args, seconds, MiB, expected exit status, what stderr holds
        cases = [
            ("row over 4 MiB", long_row, POLICY, cal, 5, 200, 2, r"long_row\.csv:3:1\n"),
            ("200 MiB one line", one_line, POLICY, cal, 30, 200, 2, r"one_line\.csv:2:1\n"),
            ("open quote", open_quote, POLICY, cal, 5, 200, 2, r"open_quote\.csv:2:18\n"),
            ("CTF 40k marks", ctf, POLICY, cal, 5, 200, 2, r"ctf\.xml:3:\d+\n"),
            ("CTF 40k marks -k", ctf, POLICY, cal + keep, 5, 200, 2, r"29236 more problems"),
            ("compact 20 MiB row", compact_field, POLICY, cal + keep, 5, 200, 2,
             r"(?s)row_too_long.*compact\.csv:2:1\n"),
            ("compact 4 MiB marks", compact_marks, POLICY, cal, 5, 200, 2,
             r"compact_marks\.csv:2:\d+\n"),
            ("compact 4 MiB marks -k", compact_marks, POLICY, cal + keep, 5, 200, 2,
             r"4182516 more problems"),
            # With no ledger a compact register is streamed: the stream gives up on the same
            # row and the whole reader reports it.
            ("compact 4 MiB streamed", compact_marks, POLICY, cal + ["--no-ledger"], 5, 200, 2,
             r"compact_marks\.csv:2:\d+\n"),
            ("pupils 20 MiB row", lambda d: pupils_field(d)[1], POLICY,
             cal + ["--pupils", os.path.join(tmp, "pupils.csv")], 5, 200, 2,
             r"(?s)row_too_long.*pupils\.csv:3:1\n"),
            ("1M pupils one day", million, NATIONAL, cal + ["--allow-missing"], 5, 200, 0, None),
            ("calendar 0000-9999", lambda d: wide_reg, NATIONAL, ["--calendar", wide_cal],
             5, 200, 0, None),
        ]
        made = {}
        for name, make, policy, args, max_s, max_mib, want_status, want in cases:
            if make not in made:
                made[make] = make(tmp)
            out = os.path.join(tmp, "out")
            seconds, mib, status, err = run(opts.binary, out, policy,
                                            ["--register", made[make], *args], 3 * max_s)
            ok = seconds <= max_s and mib <= max_mib and status == want_status
            if want and not re.search(want, err):
                ok = False
            rows.append((name, seconds, max_s, mib, max_mib, status, "ok" if ok else "FAIL"))
            print(f"{name:<22} {seconds:>8.2f} s {mib:>6} MiB  exit {status}", file=sys.stderr,
                  flush=True)
            if not ok:
                failed.append((name, err[-3000:]))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{'reproducer':<22} {'seconds':>8} {'ceiling':>8} {'MiB':>6} {'ceiling':>8} {'exit':>5}  result")
    for name, s, ms, m, mm, st, res in rows:
        print(f"{name:<22} {s:>8.2f} {ms:>8} {m:>6} {mm:>8} {st:>5}  {res}")
    for name, err in failed:
        print(f"\n== {name} failed; the end of its standard error:\n{err}", file=sys.stderr)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
