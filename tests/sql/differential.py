#!/usr/bin/env python3
"""Differential tests of the SQL compiler (issue 14 item 3): for every policy in policies/,
policies/corrected/, policies/real/ and tests/sql/policies/, on generated registers of one and of two academic
years, `attend run` (the native engine), DuckDB (in-process) and Spark (local mode, started
here) must give the same actions and summary, sorted, cell for cell as text.

    pip install -r tests/sql/requirements.txt      # duckdb, pyspark; Spark needs java 17
    cargo build && tests/sql/differential.py --attend target/debug/attend
    tests/sql/differential.py --engines duckdb policies/national.policy   # while iterating

The registers come from `attend generate` and are then given what a generated cohort lacks
(see `enrich`): every national code, joiners and leavers on both sides of the year boundary,
a whole-school closure day, a partial closure, enforced-closure days and marks on days
without school, and pupils files written the ways MIS write them. DuckDB runs on the whole
cohort; Spark on a small part of it (--spark-pupils), to keep CI quick.

A policy the compiler refuses ("not compiled to ... SQL yet", or any other error) is a
FAILURE of the run, listed at the end; so is a missing engine: nothing is skipped. The one
exception is --known-refusals FILE (CI passes tests/sql/known-refusals.txt): a refusal the file
lists, by policy, dialect and the words of the compiler's message, is reported as KNOWN and
counted apart, so CI can run every other comparison while the compiler still lacks a
construct; a listed refusal that no longer happens, or one the file does not list, fails the
run, so the list can only shrink. While it has entries, the SQL compiler is not complete. Each
engine runs in its own process; a policy x register that takes longer than --timeout is a
failure (the engine is killed and restarted), and once --budget is spent what is left fails as
not run, so CI's time stays bounded. Exit 0 only when every policy compiled for every engine
compared (--engines; both by default) and every output matched.
Data is written under --work (default a new folder in /tmp) and deleted at the end."""

import argparse
import csv
import datetime as dt
import glob
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
CALENDAR = os.path.join(ROOT, "policies", "calendars", "camden-2024-25.calendar")
# tests/sql/policies: small policies written to exercise one construct of the SQL compiler each.
POLICY_DIRS = ["policies", os.path.join("policies", "corrected"), os.path.join("policies", "real"),
               os.path.join("tests", "sql", "policies")]
TABLES = ["actions", "summary"]
DIALECTS = ["duckdb", "spark"]

# The columns of the register (long CSV) and of the pupils file that the SQL reads
# (docs/sql.md, /work notes' sql-interface): a pupils column the file lacks is loaded as NULL.
REGISTER_COLUMNS = ["pupil_id", "date", "session", "mark"]
PUPIL_COLUMNS = ["pupil_id", "date_of_birth", "year_group", "admission_date", "leaving_date", "sen", "fsm",
                 "social_worker", "looked_after", "child_protection_plan"]

# Every national code (src/codes.rs), so each class's every member is counted at least once.
PRESENT = ["/", "\\", "L"]
OTHER_CODES = ["K", "V", "P", "W", "B", "C1", "M", "J1", "S", "C2", "C", "T", "R", "I", "E", "G", "N", "O", "U",
               "X", "Q", "Y1", "Y2", "Y3", "Y4", "Y5", "Y6", "Y7", "D", "Z"]


class Failure(Exception):
    """A failure that ends the run (a missing engine, a tool that cannot run)."""


def run(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


# ---------------------------------------------------------------------------------------------
# The registers

def calendar_years(path):
    """The calendar file split into its `calendar "NAME" { ... }` blocks (text, in order),
    each with the comment lines just before it."""
    blocks, current, pending = [], None, []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if current is None:
                if line.startswith("calendar "):
                    current = pending + [line]
                    pending = []
                else:
                    pending.append(line)
            else:
                current.append(line)
                if line.strip() == "}":
                    blocks.append("".join(current))
                    current = None
    return blocks


def generate(attend, work, name, cohort, phase, seed, calendar_text):
    """`attend generate` over the first academic year of calendar_text: (pupils, rows)."""
    cal = os.path.join(work, f"{name}.calendar")
    with open(cal, "w", encoding="utf-8") as f:
        f.write(calendar_text)
    out = os.path.join(work, name)
    r = run([attend, "generate", "--cohort", str(cohort), "--phase", phase, "--seed", str(seed), "--out", out,
             "--calendar", cal, "-q"])
    if r.returncode != 0:
        raise Failure(f"attend generate failed:\n{r.stderr}")
    with open(os.path.join(out, "pupils.csv"), newline="", encoding="utf-8") as f:
        pupils = list(csv.DictReader(f))
    with open(os.path.join(out, "register.csv"), newline="", encoding="utf-8") as f:
        rows = [tuple(r) for r in csv.reader(f)][1:]
    shutil.rmtree(out)
    return pupils, rows


def both_phases(attend, work, name, cohort, seed, calendar_text):
    """A cohort of primary pupils (reception's under-fives, compulsory school age starting)
    and secondary ones (year 11 leaving it), the secondary ids starting `S`."""
    pupils, rows = generate(attend, work, name + "p", cohort - cohort // 2, "primary", seed, calendar_text)
    more, rows2 = generate(attend, work, name + "s", cohort // 2, "secondary", seed, calendar_text)
    pupils += [dict(p, pupil_id="S" + p["pupil_id"][1:]) for p in more]
    rows += [("S" + r[0][1:],) + r[1:] for r in rows2]
    return pupils, rows


def school_days(rows):
    return sorted({r[1] for r in rows})


def by_pupil(rows):
    marks = {}
    for pupil, date, session, mark in rows:
        marks.setdefault(pupil, {})[(date, session)] = mark
    return marks


def enrich(rng, pupils, marks, days, holiday_days):
    """Gives a generated register what `attend generate` leaves out. `marks` is pupil ->
    {(date, session): mark} over the days each pupil is on roll; changed in place."""
    ids = sorted(marks)
    # Joiners and leavers inside the year (the generator has a few only in large cohorts).
    for pupil in rng.sample(ids, max(2, len(ids) // 12)):
        p = pupils[pupil]
        on_roll = sorted(d for d in days if (d, "AM") in marks[pupil])
        if len(on_roll) < 40:
            continue
        if rng.random() < 0.5:
            start = on_roll[rng.randrange(5, len(on_roll) // 2)]
            marks[pupil] = {k: v for k, v in marks[pupil].items() if k[0] >= start}
            p["admission_date"] = start
        else:
            end = on_roll[rng.randrange(len(on_roll) // 2, len(on_roll) - 5)]
            marks[pupil] = {k: v for k, v in marks[pupil].items() if k[0] <= end}
            p["leaving_date"] = end
    # A whole-school closure day (`#`), a day of enforced closure (`Y2`, all pupils, the
    # morning only), and a partial closure: one year group off for a day (`#`).
    closed, disrupted, partial = days[12], days[60], days[100]
    group = pupils[ids[0]]["year_group"]
    for pupil in ids:
        m = marks[pupil]
        for session in ("AM", "PM"):
            if (closed, session) in m:
                m[(closed, session)] = "#"
            if (partial, session) in m and pupils[pupil]["year_group"] == group:
                m[(partial, session)] = "#"
        if (disrupted, "AM") in m:
            m[(disrupted, "AM")] = "Y2"
    # Every code, several times, on sessions marked present; afternoons' present as `\`.
    slots = [(pupil, key) for pupil in ids for key, mark in marks[pupil].items() if mark == "/"]
    rng.shuffle(slots)
    i = 0
    for code in OTHER_CODES + ["L"]:
        for _ in range(4):
            pupil, key = slots[i]
            i += 1
            marks[pupil][key] = code
    # Runs of one code over consecutive days (ladders of consecutive absence, penalty runs).
    for pupil, code in zip(rng.sample(ids, 4), ["N", "O", "G", "I"]):
        on_roll = sorted(d for d in days if (d, "AM") in marks[pupil])
        if len(on_roll) > 30:
            start = rng.randrange(0, len(on_roll) - 22)
            for d in on_roll[start:start + rng.randint(6, 21)]:
                marks[pupil][(d, "AM")] = code
                marks[pupil][(d, "PM")] = code
    for pupil in ids:
        for key, mark in marks[pupil].items():
            if key[1] == "PM" and mark == "/" and rng.random() < 0.3:
                marks[pupil][key] = "\\"
    # Marks on days without school, as MIS exports write them: `#` and `-`.
    for pupil in rng.sample(ids, min(3, len(ids))):
        if marks[pupil]:
            first, last = min(marks[pupil])[0], max(marks[pupil])[0]
            for d in holiday_days:
                if first < d < last:
                    marks[pupil][(d, "AM")] = "#"
                    marks[pupil][(d, "PM")] = "-"
                    break


def mis_spellings(rng, pupils):
    """Writes some pupils' attributes the ways MIS exports do (docs/data.md), and leaves some
    unknown (an empty cell), so the SQL's reading of the pupils file is tested too."""
    years = {"R": ["R", "Rec", "Reception"]}
    for n in range(1, 15):
        years[str(n)] = [str(n), f"Year {n}", f"Y{n}", f"Yr {n}"]
    truth = {"true": ["true", "y", "yes", "1", "TRUE", "Yes"], "false": ["false", "n", "no", "0", "FALSE", "No"]}
    for p in pupils.values():
        p.setdefault("child_protection_plan", "")
        if rng.random() < 0.3:
            p["year_group"] = rng.choice(years.get(p["year_group"], [p["year_group"]]))
        for col in ("fsm", "social_worker", "looked_after"):
            if rng.random() < 0.3:
                p[col] = rng.choice(truth.get(p[col], [p[col]]))
        if rng.random() < 0.15:
            p["child_protection_plan"] = rng.choice(["true", "false", "yes", "no"])
    for p, col in zip(rng.sample(sorted(pupils), min(5, len(pupils))),
                      ["year_group", "sen", "fsm", "social_worker", "looked_after"]):
        pupils[p][col] = ""


def write_register(work, name, pupils, marks):
    folder = os.path.join(work, name)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "pupils.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(PUPIL_COLUMNS)
        for pupil in sorted(pupils):
            w.writerow([pupils[pupil].get(c, "") for c in PUPIL_COLUMNS])
    # Date, session, pupil order, as a day-by-day export is.
    rows = sorted((date, session, pupil, mark) for pupil, m in marks.items() for (date, session), mark in m.items())
    with open(os.path.join(folder, "register.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(REGISTER_COLUMNS)
        for date, session, pupil, mark in rows:
            w.writerow([pupil, date, session, mark])
    return folder


def subset(work, name, source, keep):
    """The register folder `source` with only the pupils in `keep` (Spark's smaller data)."""
    folder = os.path.join(work, name)
    os.makedirs(folder, exist_ok=True)
    for file in ("pupils.csv", "register.csv"):
        with open(os.path.join(source, file), newline="", encoding="utf-8") as f, \
                open(os.path.join(folder, file), "w", newline="", encoding="utf-8") as g:
            r, w = csv.reader(f), csv.writer(g, lineterminator="\n")
            w.writerow(next(r))
            for row in r:
                if row[0] in keep:
                    w.writerow(row)
    return folder


def make_registers(attend, work, cohort, spark_pupils, seed):
    """The registers: {name: (folder for DuckDB, folder for Spark)}; one academic year
    (2024-25) and two (2024-25, 2025-26) of the same pupils."""
    years = calendar_years(CALENDAR)
    if len(years) < 2:
        raise Failure(f"{CALENDAR} has fewer than two academic years")
    rng = random.Random(seed)
    pupils1, rows1 = both_phases(attend, work, "gen1", cohort, seed, years[0])
    _, rows2 = both_phases(attend, work, "gen2", cohort, seed + 1, years[1])
    pupils = {p["pupil_id"]: p for p in pupils1}
    days1, days2 = school_days(rows1), school_days(rows2)
    holidays1 = [d.isoformat() for d in (dt.date(2024, 10, 28), dt.date(2024, 12, 23))]
    holidays2 = [d.isoformat() for d in (dt.date(2025, 10, 27),)]

    # One year.
    one = {k: dict(v) for k, v in pupils.items()}
    marks1 = by_pupil(rows1)
    enrich(random.Random(seed), one, marks1, days1, holidays1)
    mis_spellings(random.Random(seed + 2), one)

    # Two years: the first year as above; those still on roll at its end go on into the
    # second year's marks (the gaps of the second generation's joiners filled as present,
    # its leavers leaving), and some new pupils join in the second year.
    two = {k: dict(v) for k, v in one.items()}
    marks_two = {k: dict(v) for k, v in marks1.items()}
    second = by_pupil(rows2)
    last1 = days1[-1]
    for pupil, m in marks_two.items():
        if two[pupil]["leaving_date"]:
            continue
        if max(m)[0] != last1:
            continue
        m2 = second.get(pupil, {})
        if not m2:
            continue
        last2 = max(m2)[0]
        for d in days2:
            if d > last2:
                break
            for s in ("AM", "PM"):
                m[(d, s)] = m2.get((d, s), "/")
        if last2 != days2[-1]:
            two[pupil]["leaving_date"] = last2
    for n, pupil in enumerate(rng.sample(sorted(second), max(2, cohort // 15))):
        new = f"J{n + 1:04d}"
        two[new] = dict(one[pupil], pupil_id=new, admission_date=days2[20 + 7 * n], leaving_date="")
        marks_two[new] = {(d, s): second[pupil].get((d, s), "/") for d in days2 if d >= two[new]["admission_date"]
                          for s in ("AM", "PM")}
    enrich(random.Random(seed + 3), two, marks_two, days2, holidays2)

    registers = {}
    for name, p, m in (("one-year", one, marks1), ("two-years", two, marks_two)):
        full = write_register(work, name, p, m)
        registers[name] = (full, subset(work, name + "-small", full, spark_part(rng, p, m, spark_pupils)))
    return registers


def spark_part(rng, pupils, marks, size):
    """The pupils of Spark's smaller register: first those whose marks hold the most codes not
    yet covered, then joiners and leavers, then any others, so that it too has every code,
    closures, joiners and leavers."""
    keep, seen = [], set()
    left = sorted(pupils)
    while left and len(keep) < size * 2 // 3:
        best = max(left, key=lambda p: (len(set(marks.get(p, {}).values()) - seen), p))
        if not set(marks.get(best, {}).values()) - seen:
            break
        keep.append(best)
        seen |= set(marks[best].values())
        left.remove(best)
    moved = [p for p in left if pupils[p]["admission_date"] > min(pupils[q]["admission_date"] for q in pupils)
             or pupils[p]["leaving_date"]]
    for p in rng.sample(moved, min(len(moved), max(0, size - len(keep)) // 2)):
        keep.append(p)
        left.remove(p)
    keep += rng.sample(left, min(len(left), size - len(keep)))
    return set(keep)


# ---------------------------------------------------------------------------------------------
# The engines

def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = [tuple(r) for r in csv.reader(f)]
    return rows[0], rows[1:]


def native(attend, policy, folder, out):
    """`attend run` (as written: --allow-errors, as a policy with check errors is still one a
    school runs): {table: (header, rows)}."""
    r = run([attend, "run", policy, "--calendar", CALENDAR, "--register", os.path.join(folder, "register.csv"),
             "--pupils", os.path.join(folder, "pupils.csv"), "--out", out, "--no-report", "--no-ledger",
             "--allow-errors", "-q"])
    if r.returncode != 0:
        raise Failure(f"attend run {policy} on {folder} failed (exit {r.returncode}):\n{r.stderr}")
    return {t: read_csv(os.path.join(out, f"{t}.csv")) for t in TABLES}


def compile_sql(attend, policy, dialect):
    """(script, None) or (None, the compiler's message)."""
    r = run([attend, "compile", policy, "--format", "sql", "--dialect", dialect, "--calendar", CALENDAR, "-q"])
    if r.returncode != 0:
        return None, (r.stderr.strip() or r.stdout.strip() or f"exit {r.returncode}")
    return r.stdout, None


def statements(script):
    """The script's statements: it ends each with `;` at the end of a line (the interface)."""
    out = []
    for chunk in script.split(";\n"):
        body = "\n".join(l for l in chunk.splitlines() if not l.strip().startswith("--")).strip()
        if body:
            out.append((chunk.strip().rstrip(";"), body.rstrip(";")))
    return out


def headline(problem):
    """What the compiler's message says it refused: miette's `×` line and the lines it wraps
    onto (`│ ...`), else the first line that is not a `note:`."""
    lines = [l.strip() for l in (problem or "").splitlines()]
    for n, line in enumerate(lines):
        if line.startswith("×"):
            words = [line[1:].strip()]
            for more in lines[n + 1:]:
                if not more.startswith("│") or not more[1:].strip():
                    break
                words.append(more[1:].strip())
            return " ".join(words)
    return next((l for l in lines if l and not l.startswith("note:")), "")


def known_refusals(path):
    """The refusals a file lists: `POLICY DIALECT WORDS...` per line (`#` comments), each
    matched by the policy's path, the dialect and words found in the compiler's message."""
    known = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            parts = line.split(None, 2)
            if len(parts) < 3 or parts[1] not in DIALECTS:
                raise Failure(f"{path}:{n}: expected `POLICY DIALECT WORDS OF THE MESSAGE`, got {line!r}")
            known.append((os.path.normpath(parts[0]), parts[1], parts[2], f"{path}:{n}"))
    return known


def where(chunk):
    """The policy line a statement comes from (its comments), for an engine's error."""
    notes = [l.strip() for l in chunk.splitlines() if l.strip().startswith("--")]
    return notes[-1] if notes else chunk.strip().splitlines()[0][:120]


def text(v):
    """A value as the harness compares it: NULL as the empty cell the CSV writes."""
    return "" if v is None else str(v)


class DuckDB:
    name = "duckdb"

    def __init__(self):
        try:
            import duckdb
        except ImportError as e:
            raise Failure(f"DuckDB is missing ({e}): pip install -r tests/sql/requirements.txt")
        self.duckdb = duckdb
        self.con = duckdb.connect(":memory:")
        # One thread: on registers this small a second gains no time (18 s for five
        # policies × two registers either way) and costs a third more CPU, which the Spark
        # sessions running beside it on CI's two cores would otherwise have.
        self.con.execute("SET threads TO 1")
        self.loaded = None

    def load(self, folder):
        if self.loaded == folder:
            return
        register = os.path.join(folder, "register.csv").replace("'", "''")
        pupils = os.path.join(folder, "pupils.csv").replace("'", "''")
        self.con.execute(f"""CREATE OR REPLACE TABLE register AS SELECT * FROM read_csv('{register}', header = true,
            columns = {{'pupil_id': 'VARCHAR', 'date': 'DATE', 'session': 'VARCHAR', 'mark': 'VARCHAR'}},
            quote = '"', escape = '"', dateformat = '%Y-%m-%d')""")
        self.con.execute(f"CREATE OR REPLACE TABLE pupils_file AS SELECT * FROM read_csv('{pupils}', header = true, "
                         "all_varchar = true, quote = '\"', escape = '\"')")
        have = [r[0] for r in self.con.execute("SELECT column_name FROM information_schema.columns "
                                               "WHERE table_name = 'pupils_file' ORDER BY ordinal_position").fetchall()]
        cols = ", ".join(c if c in have else f"CAST(NULL AS VARCHAR) AS {c}" for c in PUPIL_COLUMNS)
        extra = "".join(f", {c}" for c in have if c not in PUPIL_COLUMNS)
        self.con.execute(f"CREATE OR REPLACE TABLE pupils AS SELECT {cols}{extra} FROM pupils_file")
        self.loaded = folder

    def execute(self, script):
        # What the last policy made goes first, so a script that fails to make a table is
        # never compared by its predecessor's.
        for name, kind in self.con.execute("SELECT table_name, table_type FROM information_schema.tables "
                                           "WHERE table_schema = 'main'").fetchall():
            if name not in ("register", "pupils", "pupils_file"):
                self.con.execute(f'DROP {"VIEW" if kind == "VIEW" else "TABLE"} IF EXISTS "{name}" CASCADE')
        for chunk, body in statements(script):
            try:
                self.con.execute(body)
            except self.duckdb.Error as e:
                raise EngineError(f"DuckDB failed on the statement of {where(chunk)}:\n{e}\n{body[:2000]}")

    def table(self, name):
        cols = [r[0] for r in self.con.execute(f"DESCRIBE {name}").fetchall()]
        rows = self.con.execute("SELECT " + ", ".join(f'CAST("{c}" AS VARCHAR)' for c in cols) + f" FROM {name}").fetchall()
        return tuple(cols), [tuple(text(v) for v in r) for r in rows]


class Spark:
    name = "spark"

    def __init__(self, work):
        try:
            from pyspark.sql import SparkSession
            from pyspark.sql import types as T
        except ImportError as e:
            raise Failure(f"Spark is missing ({e}): pip install -r tests/sql/requirements.txt")
        java = shutil.which("java")
        if java is None and not os.environ.get("JAVA_HOME"):
            raise Failure("Spark needs a Java runtime and `java` is not on PATH: apt-get install openjdk-17-jre-headless")
        self.T = T
        # The script makes its tables in the session's catalog (in memory here) with their
        # files in the warehouse: a folder of its own for each engine started, so a restart
        # after a timeout never meets the files of tables the last session made.
        warehouse = tempfile.mkdtemp(prefix="spark-warehouse-", dir=work)
        self.spark = (SparkSession.builder.master("local[2]").appName("attend-differential")
                      .config("spark.driver.memory", "1g")
                      .config("spark.sql.shuffle.partitions", "2")
                      .config("spark.default.parallelism", "2")
                      .config("spark.ui.enabled", "false")
                      .config("spark.ui.showConsoleProgress", "false")
                      .config("spark.sql.session.timeZone", "UTC")
                      .config("spark.sql.warehouse.dir", warehouse)
                      # The parallel collector rather than G1: no collector threads running beside
                      # the queries. Five policies × a register, run twice in one session: 47.8 s
                      # then 29.5 s, 151 s of the JVM's CPU, against G1's 52.8 s, 35.9 s and 172 s.
                      .config("spark.driver.extraJavaOptions",
                              f"-Djava.io.tmpdir={work} -Dderby.system.home={work} -XX:+UseParallelGC")
                      .config("spark.local.dir", work)
                      .getOrCreate())
        self.spark.sparkContext.setLogLevel("ERROR")
        self.loaded = None

    def load(self, folder):
        """The register and pupils from the CSV files read here (csv module), so no CSV
        option of Spark's (its `\\` escape) can change a mark."""
        if self.loaded == folder:
            return
        T = self.T
        _, rows = read_csv(os.path.join(folder, "register.csv"))
        schema = T.StructType([T.StructField("pupil_id", T.StringType()), T.StructField("date", T.DateType()),
                               T.StructField("session", T.StringType()), T.StructField("mark", T.StringType())])
        data = [(p, dt.date.fromisoformat(d), s, m) for p, d, s, m in rows]
        frame = self.spark.createDataFrame(data, schema).cache()
        frame.count()
        frame.createOrReplaceTempView("register")
        header, rows = read_csv(os.path.join(folder, "pupils.csv"))
        cols = PUPIL_COLUMNS + [c for c in header if c not in PUPIL_COLUMNS]
        index = {c: header.index(c) for c in header}
        data = [tuple((r[index[c]] or None) if c in index else None for c in cols) for r in rows]
        schema = T.StructType([T.StructField(c, T.StringType()) for c in cols])
        frame = self.spark.createDataFrame(data, schema).cache()
        frame.count()
        frame.createOrReplaceTempView("pupils")
        self.loaded = folder

    def execute(self, script):
        for table in self.spark.catalog.listTables():
            if table.name not in ("register", "pupils"):
                if table.isTemporary:
                    self.spark.catalog.dropTempView(table.name)
                else:
                    self.spark.sql(f"DROP TABLE IF EXISTS `{table.name}`")
        for chunk, body in statements(script):
            try:
                self.spark.sql(body)
            except Exception as e:  # pyspark raises several exception classes
                raise EngineError(f"Spark failed on the statement of {where(chunk)}:\n{str(e)[:3000]}\n{body[:2000]}")

    def table(self, name):
        df = self.spark.table(name)
        cols = df.columns
        rows = df.selectExpr(*[f"CAST(`{c}` AS STRING)" for c in cols]).collect()
        return tuple(cols), [tuple(text(v) for v in r) for r in rows]

    def stop(self):
        self.spark.stop()


class EngineError(Exception):
    pass


def worker(dialect, work, conn):
    """An engine in its own process (and process group, with Spark's JVM), so that a script
    that runs too long is ended by killing the group, never left to hang the run."""
    os.setsid()
    try:
        engine = DuckDB() if dialect == "duckdb" else Spark(work)
    except Failure as e:
        conn.send(("missing", str(e)))
        return
    conn.send(("ready", None))
    while True:
        command, argument = conn.recv()
        if command == "stop":
            if dialect == "spark":
                engine.stop()
            conn.send(("ok", None))
            return
        try:
            if command == "load":
                engine.load(argument)
                conn.send(("ok", None))
            else:
                engine.execute(argument)
                conn.send(("ok", {table: engine.table(table) for table in TABLES}))
        except EngineError as e:
            conn.send(("error", str(e)))
        except Exception as e:  # an engine's own failure, reported as the engine's error
            conn.send(("error", f"{type(e).__name__}: {str(e)[:3000]}"))


class Timeout(Exception):
    pass


class Remote:
    """The parent's side of a worker: start, load, run, each with a time limit."""

    def __init__(self, dialect, work):
        self.dialect, self.work, self.proc, self.loaded = dialect, work, None, None

    def start(self, timeout=300):
        import multiprocessing

        ctx = multiprocessing.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=worker, args=(self.dialect, self.work, child), daemon=True)
        self.proc.start()
        kind, message = self.receive(timeout, "start")
        if kind == "missing":
            raise Failure(message)
        self.loaded = None

    def receive(self, timeout, what):
        if not self.conn.poll(timeout):
            self.kill()
            raise Timeout(f"{self.dialect}: {what} took more than {timeout:.0f} s; the engine was stopped")
        try:
            return self.conn.recv()
        except EOFError:
            self.kill()
            raise Timeout(f"{self.dialect}: the engine's process ended during {what}") from None

    def kill(self):
        if self.proc is not None and self.proc.is_alive():
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.proc is not None:
            self.proc.join(10)
        self.proc = None

    def run(self, folder, script, timeout):
        """{table: (header, rows)}; EngineError, or Timeout (the engine restarted next time)."""
        if self.proc is None:
            self.start()
        if self.loaded != folder:
            self.conn.send(("load", folder))
            kind, message = self.receive(timeout, "loading the register")
            if kind != "ok":
                raise EngineError(message)
            self.loaded = folder
        self.conn.send(("run", script))
        kind, result = self.receive(timeout, "the script")
        if kind != "ok":
            raise EngineError(result)
        return result

    def stop(self):
        if self.proc is not None:
            self.conn.send(("stop", None))
            if self.conn.poll(60):
                self.conn.recv()
            self.proc.join(30)
            self.kill()


# ---------------------------------------------------------------------------------------------
# Comparing

def first_difference(expected, got):
    """None, or a description of the first difference between two (header, rows) tables,
    rows compared sorted."""
    (eh, erows), (gh, grows) = expected, got
    if tuple(eh) != tuple(gh):
        return f"columns differ:\n    native: {list(eh)}\n    engine: {list(gh)}"
    erows, grows = sorted(erows), sorted(grows)
    for i, (a, b) in enumerate(zip(erows, grows)):
        if a != b:
            col = next(j for j in range(len(a)) if a[j] != b[j])
            return (f"row {i + 1} (sorted), column `{eh[col]}`: native {a[col]!r} vs engine {b[col]!r}\n"
                    f"    native row: {dict(zip(eh, a))}\n    engine row: {dict(zip(eh, b))}")
    if len(erows) != len(grows):
        longer, who = (erows, "native") if len(erows) > len(grows) else (grows, "engine")
        extra = longer[min(len(erows), len(grows))]
        return (f"{len(erows)} rows (native) vs {len(grows)} (engine); first row only in {who}: "
                f"{dict(zip(eh, extra))}")
    return None


def policies(selected):
    if selected:
        return [os.path.relpath(os.path.abspath(p), ROOT) for p in selected]
    found = []
    for d in POLICY_DIRS:
        found += sorted(os.path.relpath(p, ROOT) for p in glob.glob(os.path.join(ROOT, d, "*.policy")))
    return found


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--attend", default=os.path.join(ROOT, "target", "debug", "attend"))
    ap.add_argument("--pupils", type=int, default=150, help="pupils in DuckDB's registers (and native's)")
    ap.add_argument("--spark-pupils", type=int, default=30, help="pupils in Spark's registers")
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--work", help="folder for the data (default: a new one in /tmp, deleted at the end)")
    ap.add_argument("--keep", action="store_true", help="keep the data folder")
    ap.add_argument("--timeout", type=float, default=60, help="seconds one engine may take for one policy x register")
    ap.add_argument("--budget", type=float, default=480,
                    help="seconds for all the engines' runs; what is left then fails as not run")
    ap.add_argument("--engines", default=",".join(DIALECTS),
                    help="comma-separated engines to compare against native (default: all: %(default)s)")
    ap.add_argument("--spark-engines", type=int, default=2,
                    help="Spark sessions run at once, each in its own JVM (default 2)")
    ap.add_argument("--known-refusals", metavar="FILE",
                    help="refusals to report apart instead of failing on (tests/sql/known-refusals.txt)")
    ap.add_argument("policy", nargs="*", help="only these policies (a partial run, for debugging)")
    args = ap.parse_args()
    args.engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = [e for e in args.engines if e not in DIALECTS]
    if unknown or not args.engines:
        ap.error(f"--engines: choose among {', '.join(DIALECTS)}")
    os.chdir(ROOT)
    attend = os.path.abspath(args.attend)
    if not os.path.exists(attend):
        sys.exit(f"FAILED: no attend binary at {attend} (cargo build, or --attend PATH)")
    # A TERM (CI's stop, a kill) unwinds through `finally`: the engines' processes are ended.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    work = args.work or tempfile.mkdtemp(prefix="attend-sql-")
    os.makedirs(work, exist_ok=True)
    try:
        return differential(args, attend, work)
    except Failure as e:
        print(f"\nFAILED: {e}", flush=True)
        return 1
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def differential(args, attend, work):
    start = time.monotonic()
    registers = make_registers(attend, work, args.pupils, args.spark_pupils, args.seed)
    for name, (full, small) in registers.items():
        n = sum(1 for _ in open(os.path.join(full, "register.csv"))) - 1
        m = sum(1 for _ in open(os.path.join(small, "register.csv"))) - 1
        print(f"register {name}: {n} sessions ({args.pupils} pupils) for DuckDB, {m} ({args.spark_pupils}) for Spark")
    print(f"registers generated in {time.monotonic() - start:.1f} s", flush=True)

    clock = {"native": 0.0, "duckdb": 0.0, "spark": 0.0, "duckdb start": 0.0, "spark start": 0.0}
    chosen = policies(args.policy)
    refused, mismatches, errors = [], [], []
    listed = known_refusals(args.known_refusals) if args.known_refusals else []
    known, stale = [], []
    scripts = {}
    for policy in chosen:
        for dialect in args.engines:
            script, problem = compile_sql(attend, policy, dialect)
            entries = [k for k in listed if k[0] == os.path.normpath(policy) and k[1] == dialect]
            if script is None:
                said = " ".join(headline(problem).split())
                match = next((k for k in entries if " ".join(k[2].split()) in said), None)
                if match is not None:
                    known.append((policy, dialect, problem, match[3]))
                    print(f"KNOWN    {policy} ({dialect}): {headline(problem)} ({match[3]})", flush=True)
                else:
                    refused.append((policy, dialect, problem))
                    print(f"REFUSED  {policy} ({dialect}): {headline(problem)}", flush=True)
            else:
                scripts[(policy, dialect)] = script
                stale += [(policy, dialect, k[3]) for k in entries]

    # One DuckDB and --spark-engines Spark sessions (each its own process and JVM), all running
    # at once, each taking the next policy x register of its dialect: Spark's time per script
    # is mostly fixed costs of its statements, which two sessions overlap on two cores.
    jobs = {d: [(name, folders[0] if d == "duckdb" else folders[1], policy)
                for name, folders in registers.items() for policy in chosen if (policy, d) in scripts]
            for d in args.engines}
    count = {d: (1 if d == "duckdb" else args.spark_engines) for d in args.engines}
    engines = [(d, Remote(d, work)) for d in args.engines for _ in range(count[d])]
    lock = threading.Lock()

    failures = []

    def start_engine(dialect, engine):
        t = time.monotonic()
        try:
            engine.start()
        except (Failure, Timeout) as e:
            failures.append(e)
            return
        with lock:
            clock[f"{dialect} start"] = max(clock[f"{dialect} start"], time.monotonic() - t)

    starting = [threading.Thread(target=start_engine, args=e) for e in engines]
    for thread in starting:
        thread.start()
    for thread in starting:
        thread.join()
    if failures:
        for _, engine in engines:
            engine.kill()
        raise Failure(str(failures[0]))
    deadline = time.monotonic() + args.budget

    compared = passed = 0
    timeouts = []
    # Each comparison's engine time, to find the heavy ones (the summary lists the slowest).
    durations = []

    def say(line):
        with lock:
            print(line, flush=True)

    def work_through(dialect, engine):
        try:
            work_on(dialect, engine)
        except Exception as e:  # a failure of the harness itself (attend run failing...)
            with lock:
                failures.append(e)
                jobs[dialect].clear()

    def work_on(dialect, engine):
        nonlocal compared, passed
        while True:
            with lock:
                if not jobs[dialect]:
                    return
                name, folder, policy = jobs[dialect].pop(0)
            if time.monotonic() > deadline:
                with lock:
                    timeouts.append((policy, name, dialect, f"not run: the run's budget of {args.budget} s is spent"))
                continue
            out = os.path.join(work, "native", dialect, os.path.basename(folder), policy.replace(os.sep, "_"))
            t = time.monotonic()
            expected = native(attend, policy, folder, out)
            with lock:
                clock["native"] += time.monotonic() - t
                compared += 1
            t = time.monotonic()
            took = None
            try:
                got = engine.run(folder, scripts[(policy, dialect)], args.timeout)
                took = time.monotonic() - t
                with lock:
                    durations.append((took, policy, name, dialect))
            except EngineError as e:
                with lock:
                    errors.append((policy, name, dialect, str(e)))
                lines = str(e).splitlines()
                say(f"ERROR    {policy} × {name} on {dialect}: {' / '.join(lines[:2])[:400]}")
                continue
            except Timeout as e:
                with lock:
                    timeouts.append((policy, name, dialect, str(e)))
                say(f"TIMEOUT  {policy} × {name} on {dialect}: {e}")
                continue
            finally:
                with lock:
                    clock[dialect] += time.monotonic() - t
            diffs = [(table, first_difference(expected[table], got[table])) for table in TABLES]
            diffs = [(table, diff) for table, diff in diffs if diff]
            if diffs:
                table, diff = diffs[0]
                with lock:
                    mismatches.append((policy, name, dialect, table, diff))
                say(f"MISMATCH {policy} × {name} on {dialect}, {table}: {diff.splitlines()[0]}")
            else:
                with lock:
                    passed += 1
                say(f"ok       {policy} × {name} on {dialect} ({len(expected['actions'][1])} actions, "
                    f"{len(expected['summary'][1])} pupils, {took:.1f} s)")

    try:
        running = [threading.Thread(target=work_through, args=e) for e in engines]
        for thread in running:
            thread.start()
        for thread in running:
            thread.join()
    finally:
        for _, engine in engines:
            engine.stop()
    if failures:
        raise Failure(str(failures[0]))

    pairs = len(chosen) * len(registers)
    unrun = len([t for t in timeouts if "budget" in t[3]])
    print("\n== summary")
    for dialect in args.engines:
        slowest = sorted((d for d in durations if d[3] == dialect), reverse=True)[:5]
        if slowest:
            print(f"slowest on {dialect}: " + "; ".join(f"{p} × {n} {t:.1f} s" for t, p, n, _ in slowest))
    print(f"policies × registers: {pairs} pairs ({len(chosen)} policies × {len(registers)} registers), "
          f"each on {len(args.engines)} engines: {pairs * len(args.engines)} comparisons due")
    print(f"compared: {compared}, identical to the native engine: {passed}, different: {len(mismatches)}, "
          f"engine errors: {len(errors)}, timed out or not run: {len(timeouts)}, "
          f"not compiled: {pairs * len(args.engines) - compared - unrun} "
          f"({len(refused)} policy × dialect refused, {len(known)} more known refusals listed)")
    print(f"time (engine-seconds, summed over sessions run at once): native {clock['native']:.1f} s, DuckDB {clock['duckdb']:.1f} s "
          f"(+ {clock['duckdb start']:.1f} s to start), Spark {clock['spark']:.1f} s "
          f"(+ {clock['spark start']:.1f} s to start), whole run "
          f"{time.monotonic() - start:.1f} s")
    if known:
        print(f"\nKNOWN refusals ({len(known)} policy × dialect, listed in {args.known_refusals}; "
              "the SQL compiler is not complete while there are any):")
        for policy, dialect, problem, entry in known:
            print(f"  {policy} ({dialect}): {headline(problem)}")
    if stale:
        print(f"\nLISTED refusals that no longer happen ({len(stale)}; each is a failure: delete the line):")
        for policy, dialect, entry in stale:
            print(f"  {entry}: {policy} ({dialect}) now compiles")
    if refused:
        print(f"\nREFUSED by the compiler ({len(refused)}; each is a failure):")
        for policy, dialect, problem in refused:
            print(f"  {policy} ({dialect}):")
            print("    " + "\n    ".join(problem.splitlines()[:12]))
    for policy, name, dialect, message in timeouts[:1]:
        print(f"\nfirst timeout: {policy} × {name} on {dialect}: {message}")
    for policy, name, dialect, message in errors[:1]:
        print(f"\nfirst engine error: {policy} × {name} on {dialect}:\n{message}")
    for policy, name, dialect, table, diff in mismatches[:1]:
        print(f"\nfirst difference: {policy} × {name}, {table}.csv, native vs {dialect}:\n    {diff}")
    # The closing line counts comparisons (policy × register × engine); a refused policy ×
    # dialect counts as one failure for each register it could not run on.
    skipped = len(known) * len(registers)
    failed = pairs * len(args.engines) - passed - skipped + len(stale)
    print(f"\n{passed} passed, {failed} failed" + (f", {skipped} not compared (known refusals)" if known else ""))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
