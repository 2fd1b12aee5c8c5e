#!/usr/bin/env python3
"""The SQL compiler at scale (issue 14 item 5): `attend run` (the native engine), the policy
compiled to DuckDB SQL (`attend compile --format sql --dialect duckdb`) and, for the record,
to Spark SQL in local mode, on one generated register (100,000 pupils x one year by default),
in one invocation. Checks that DuckDB's (and Spark's) actions and summary are the native
engine's, sorted, cell for cell as text; reports wall time and peak memory of each.

    cargo build --release
    pip install -r tests/sql/requirements.txt           # duckdb, pyspark (Spark needs java 17)
    benches/sql_scale.py --pupils 100000 --data /tmp/harness          # ~38M rows, ~0.9 GB
    benches/sql_scale.py --pupils 100000 --data /tmp/harness --spark  # and Spark, local[2]
    benches/sql_scale.py --pupils 100000 --data /tmp/harness --spark --no-duckdb  # Spark alone

Peak memory is the largest sum of the resident sets of the engine's process tree (Spark's JVM
is a child of its Python driver), sampled every 50 ms from /proc. Each engine runs in its own
process: loading the CSV files is part of its time, as it is for `attend run`. The register is
the one benches/national_vs_duckdb.py uses (scripts/gen_register.py, the same seed), made once
in --data; delete it when done."""

import argparse
import csv
import os
import shutil
import subprocess
import sys
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
CALENDAR = os.path.join(ROOT, "policies", "calendars", "camden-2024-25.calendar")
POLICY = os.path.join(ROOT, "policies", "national.policy")
PUPIL_COLUMNS = ["pupil_id", "date_of_birth", "year_group", "admission_date", "leaving_date", "sen", "fsm",
                 "social_worker", "looked_after", "child_protection_plan"]


def tree_rss(pid):
    """Resident set of pid and its descendants, in bytes."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry))
            except (OSError, ValueError, IndexError):
                pass
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo += children.get(p, [])
        try:
            with open(f"/proc/{p}/statm") as f:
                total += int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            pass
    return total


def measured(cmd):
    """Runs cmd: (wall seconds, peak MB of its process tree, stdout)."""
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = [0]

    def sample():
        while proc.poll() is None:
            peak[0] = max(peak[0], tree_rss(proc.pid))
            time.sleep(0.05)

    watcher = threading.Thread(target=sample, daemon=True)
    watcher.start()
    out, err = proc.communicate()
    wall = time.monotonic() - start
    watcher.join()
    if proc.returncode != 0:
        sys.stderr.write(out + err)
        sys.exit(f"failed: {' '.join(cmd)}")
    return wall, peak[0] / 1e6, out


def statements(script):
    """The script's statements: each ends with `;` at the end of a line (docs/sql.md)."""
    out = []
    for chunk in script.split(";\n"):
        body = "\n".join(line for line in chunk.splitlines() if not line.strip().startswith("--")).strip()
        if body:
            out.append(body.rstrip(";"))
    return out


def duckdb_child(args):
    """In its own process: load, run the script, write actions.csv and summary.csv."""
    import duckdb

    con = duckdb.connect(":memory:")
    con.execute(f"SET memory_limit = '{args.duckdb_memory}'")
    con.execute(f"SET temp_directory = '{args.out}-tmp'")
    con.execute(f"""CREATE TABLE register AS SELECT * FROM read_csv('{args.register}', header = true,
        columns = {{'pupil_id': 'VARCHAR', 'date': 'DATE', 'session': 'VARCHAR', 'mark': 'VARCHAR'}})""")
    con.execute(f"CREATE TABLE pupils_file AS SELECT * FROM read_csv('{args.pupils}', header = true, all_varchar = true)")
    have = [r[0] for r in con.execute("DESCRIBE pupils_file").fetchall()]
    cols = ", ".join(c if c in have else f"CAST(NULL AS VARCHAR) AS {c}" for c in PUPIL_COLUMNS)
    con.execute(f"CREATE TABLE pupils AS SELECT {cols} FROM pupils_file")
    loaded = time.monotonic()
    # Row order is never needed (outputs are compared sorted), and keeping it costs memory.
    con.execute("SET preserve_insertion_order = false")
    with open(args.script, encoding="utf-8") as f:
        for body in statements(f.read()):
            started = time.monotonic()
            try:
                con.execute(body)
            except duckdb.Error:
                print(f"DuckDB failed on:\n{body[:600]}", file=sys.stderr)
                raise
            if os.environ.get("SQL_SCALE_STEPS"):
                print(f"{time.monotonic() - started:7.1f} s  {body.splitlines()[0][:100]}", flush=True)
    os.makedirs(args.out, exist_ok=True)
    for table in ("actions", "summary"):
        names = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
        casts = ", ".join(f'CAST("{c}" AS VARCHAR) AS "{c}"' for c in names)
        con.execute(f"COPY (SELECT {casts} FROM {table}) TO '{os.path.join(args.out, table + '.csv')}' (HEADER, DELIMITER ',')")
    print(f"load {loaded - START:.1f} s, script and output {time.monotonic() - loaded:.1f} s")


def spark_child(args):
    """In its own process: Spark in local mode; the same, outputs collected to the driver."""
    from pyspark.sql import SparkSession

    # A new warehouse each run, beside the outputs: Spark refuses to make a table over the
    # folder of one an earlier session left (LOCATION_ALREADY_EXISTS).
    warehouse = args.out + "-warehouse"
    shutil.rmtree(warehouse, ignore_errors=True)
    spark = (SparkSession.builder.master("local[2]").appName("attend-sql-scale")
             .config("spark.sql.warehouse.dir", warehouse)
             .config("spark.driver.memory", args.spark_memory)
             .config("spark.sql.shuffle.partitions", "8")
             .config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false")
             .config("spark.sql.session.timeZone", "UTC")
             .config("spark.local.dir", args.out + "-tmp")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    started = time.monotonic()
    spark.read.options(header=True).schema("pupil_id STRING, date DATE, session STRING, mark STRING") \
        .csv(args.register).createOrReplaceTempView("register")
    frame = spark.read.options(header=True, inferSchema=False).csv(args.pupils)
    for c in PUPIL_COLUMNS:
        if c not in frame.columns:
            frame = frame.selectExpr("*", f"CAST(NULL AS STRING) AS {c}")
    frame.select(*PUPIL_COLUMNS).createOrReplaceTempView("pupils")
    with open(args.script, encoding="utf-8") as f:
        for body in statements(f.read()):
            spark.sql(body)
    os.makedirs(args.out, exist_ok=True)
    for table in ("actions", "summary"):
        df = spark.table(table)
        rows = df.selectExpr(*[f"CAST(`{c}` AS STRING)" for c in df.columns]).collect()
        with open(os.path.join(args.out, table + ".csv"), "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(df.columns)
            w.writerows(["" if v is None else v for v in r] for r in rows)
    print(f"start {started - START:.1f} s, load, script and output {time.monotonic() - started:.1f} s")
    spark.stop()


def sorted_rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = [tuple(r) for r in csv.reader(f)]
    return rows[0], sorted(rows[1:])


def compare(native_out, engine_out, label):
    same = True
    for table in ("actions", "summary"):
        (nh, nrows), (eh, erows) = sorted_rows(os.path.join(native_out, table + ".csv")), \
            sorted_rows(os.path.join(engine_out, table + ".csv"))
        if nh != eh:
            print(f"DIFFERENT {table}.csv columns: native {nh} vs {label} {eh}")
            same = False
            continue
        if nrows != erows:
            same = False
            i = next((i for i, (a, b) in enumerate(zip(nrows, erows)) if a != b), min(len(nrows), len(erows)))
            print(f"DIFFERENT {table}.csv ({len(nrows)} rows vs {len(erows)}); first difference at sorted row {i}:")
            print("  native:", dict(zip(nh, nrows[i])) if i < len(nrows) else None)
            print(f"  {label}:", dict(zip(eh, erows[i])) if i < len(erows) else None)
    return same


START = time.monotonic()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pupils", type=int, default=100000)
    ap.add_argument("--data", default="/tmp")
    ap.add_argument("--attend", default=os.path.join(ROOT, "target", "release", "attend"))
    ap.add_argument("--policy", default=POLICY)
    ap.add_argument("--spark", action="store_true", help="also Spark, local[2] (minutes on 100,000 pupils)")
    ap.add_argument("--no-duckdb", action="store_true", help="skip DuckDB (with --spark: Spark alone)")
    ap.add_argument("--duckdb-memory", default="8GB", help="DuckDB's memory_limit (it spills to disk beyond)")
    ap.add_argument("--spark-memory", default="6g", help="Spark's driver memory (local mode: all of Spark)")
    ap.add_argument("--child", choices=["duckdb", "spark"], help=argparse.SUPPRESS)
    ap.add_argument("--register", help=argparse.SUPPRESS)
    ap.add_argument("--pupils-file", dest="pupils_file", help=argparse.SUPPRESS)
    ap.add_argument("--script", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        args.pupils = args.pupils_file
        return duckdb_child(args) if args.child == "duckdb" else spark_child(args)

    os.makedirs(args.data, exist_ok=True)
    register = os.path.join(args.data, f"attend-bench-{args.pupils}-register.csv")
    pupils = os.path.join(args.data, f"attend-bench-{args.pupils}-pupils.csv")
    if not (os.path.exists(register) and os.path.exists(pupils)):
        print(f"generating {args.pupils} pupils x one year into {args.data} ...", flush=True)
        subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "gen_register.py"), "--pupils", str(args.pupils),
                        "--calendar", CALENDAR, "--from", "2024-09-01", "--to", "2025-08-31", "--seed", "1",
                        "--register", register, "--pupils-out", pupils], check=True)
    with open(register, "rb") as f:
        lines = sum(buf.count(b"\n") for buf in iter(lambda: f.read(1 << 24), b"")) - 1
    print(f"register: {args.pupils} pupils, {lines} sessions, {os.path.getsize(register) / 1e9:.2f} GB", flush=True)

    results, same = [], True
    native_out = os.path.join(args.data, "sql-scale-native")
    t = measured([args.attend, "run", args.policy, "--calendar", CALENDAR, "--register", register, "--pupils", pupils,
                  "--out", native_out, "--no-report", "--no-ledger", "--allow-errors", "-q"])
    results.append(("attend run", t))
    print(f"attend run: {t[0]:.1f} s, {t[1]:.0f} MB", flush=True)
    for dialect in ([] if args.no_duckdb else ["duckdb"]) + (["spark"] if args.spark else []):
        script = os.path.join(args.data, f"sql-scale.{dialect}.sql")
        subprocess.run([args.attend, "compile", args.policy, "--format", "sql", "--dialect", dialect, "--calendar",
                        CALENDAR, "--output", script, "-q"], check=True)
        out = os.path.join(args.data, f"sql-scale-{dialect}")
        t = measured([sys.executable, os.path.abspath(__file__), "--child", dialect, "--register", register,
                      "--pupils-file", pupils, "--script", script, "--out", out, "--spark-memory", args.spark_memory,
                      "--duckdb-memory", args.duckdb_memory])
        results.append((dialect, t))
        print(f"{dialect}: {t[0]:.1f} s, {t[1]:.0f} MB", flush=True)
        same = compare(native_out, out, dialect) and same
    actions = len(sorted_rows(os.path.join(native_out, "actions.csv"))[1])
    print(f"\n{os.path.relpath(args.policy, ROOT)}: {actions} actions")
    print(f"{'':12} {'wall s':>8} {'peak MB':>8}")
    for label, (wall, peak, out) in results:
        print(f"{label:12} {wall:8.1f} {peak:8.0f}   {(out.strip().splitlines() or [''])[0]}")
    print(f"outputs {'identical' if same else 'DIFFERENT'}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
