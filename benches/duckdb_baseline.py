#!/usr/bin/env python3
"""The DuckDB baseline for `attend run policies/national.policy`: the same summary.csv and
actions.csv, computed the way a competent analyst would in SQL. One pass over the register
CSV into per-pupil, per-school-day counts; window functions for the running, rolling and
consecutive counts; joins only on those aggregates and the small calendar and pupil tables,
never on the raw rows.

    benches/duckdb_baseline.py --register reg.csv --pupils pupils.csv \\
        --calendar policies/calendars/camden-2024-25.calendar --out DIR

National rules (national-rules.md): persistent `absent*10 >= possible`, severe
`absent*2 >= possible` (with at least one possible session), year to date at the last school
day with data; the penalty-notice threshold fires on each school day its unauthorised count
(G, N, O, U) over the rolling 10 school weeks reaches 10 from below 10 the school day before,
for pupils of compulsory school age; continuous absence counts school days on which every
possible session is G, N or O, skipping days with no possible session, and fires on day 10
(notify:local_authority) and day 20 (consider:deletion_from_roll)."""

import argparse
import os
import sys
import tempfile

import duckdb

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
import attend_calendar  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")

SQL = r"""
-- 1. One pass over the raw rows: per pupil and date, the counts each rule needs.
CREATE TEMP TABLE daily AS
SELECT r.pupil_id, r.date,
       count(*) FILTER (WHERE c.class <> 'not_counted')                         AS possible,
       count(*) FILTER (WHERE c.class IN ('present', 'approved_activity'))      AS present,
       count(*) FILTER (WHERE c.class = 'authorised')                           AS authorised,
       count(*) FILTER (WHERE c.class = 'unauthorised')                         AS unauthorised,
       count(*) FILTER (WHERE c.code IN ('G', 'N', 'O'))                        AS gno
FROM read_csv('{register}', header = true, quote = '"', escape = '"',
              columns = {{'pupil_id': 'VARCHAR', 'date': 'DATE', 'session': 'VARCHAR', 'mark': 'VARCHAR'}}) r
JOIN codes c ON c.code = r.mark
            AND (c.valid_from IS NULL OR c.valid_from <= r.date)
            AND (c.valid_to IS NULL OR r.date <= c.valid_to)
GROUP BY r.pupil_id, r.date;

-- 2. The calendar's position of each day, the first day with data, the last.
CREATE TEMP TABLE span AS SELECT min(d.day) AS first_day, max(d.day) AS last_day
FROM (SELECT DISTINCT date FROM daily) x JOIN calendar d USING (date);

CREATE TEMP TABLE week_start AS
SELECT week, min(day) AS first_day FROM calendar GROUP BY week;

-- 3. Compulsory school age (EA96 s8(2); Education (Start of Compulsory School Age) Order
--    1998) from the date of birth.
CREATE TEMP TABLE csa AS
WITH b AS (
  SELECT pupil_id, dob,
         CASE WHEN day(dob + INTERVAL 5 YEAR) < day(dob) THEN CAST(dob + INTERVAL 5 YEAR AS DATE) + 1
              ELSE CAST(dob + INTERVAL 5 YEAR AS DATE) END AS fifth,
         CASE WHEN day(dob + INTERVAL 16 YEAR) < day(dob) THEN CAST(dob + INTERVAL 16 YEAR AS DATE) + 1
              ELSE CAST(dob + INTERVAL 16 YEAR AS DATE) END AS sixteenth
  FROM pupils
), s AS (
  SELECT pupil_id,
         -- The prescribed days: 31 March, 31 August, 31 December (on the birthday itself
         -- when it is one).
         CASE WHEN make_date(year(fifth), 3, 31) >= fifth THEN make_date(year(fifth), 3, 31)
              WHEN make_date(year(fifth), 8, 31) >= fifth THEN make_date(year(fifth), 8, 31)
              ELSE make_date(year(fifth), 12, 31) END AS csa_from,
         make_date(year(sixteenth) + CASE WHEN month(sixteenth) >= 9 THEN 1 ELSE 0 END, 6, 30) AS june_end
  FROM b
)
SELECT pupil_id, csa_from,
       june_end - CAST((isodow(june_end) - 5 + 7) % 7 AS INTEGER) AS csa_to
FROM s;

"""


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--register", required=True)
    ap.add_argument("--pupils", required=True)
    ap.add_argument("--calendar", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    con = duckdb.connect()
    with tempfile.TemporaryDirectory() as tmp:
        cal = os.path.join(tmp, "calendar.csv")
        with open(cal, "w") as f:
            f.write("date,day,week,year\n")
            for i, (d, week, year) in enumerate(attend_calendar.school_days(args.calendar)):
                f.write(f"{d},{i},{week},{year}\n")
        con.execute(f"CREATE TEMP TABLE calendar AS SELECT * FROM read_csv('{cal}', header = true, "
                    "columns = {'date': 'DATE', 'day': 'INTEGER', 'week': 'INTEGER', 'year': 'INTEGER'})")
    con.execute(f"CREATE TEMP TABLE codes AS SELECT * FROM read_csv('{os.path.join(ROOT, 'data', 'codes.csv')}', "
                "header = true, quote = '\"', escape = '\"', all_varchar = true)")
    con.execute("CREATE TEMP TABLE codes2 AS SELECT code, class, TRY_CAST(nullif(valid_from, '') AS DATE) AS valid_from, "
                "TRY_CAST(nullif(valid_to, '') AS DATE) AS valid_to FROM codes")
    con.execute("DROP TABLE codes; ALTER TABLE codes2 RENAME TO codes")
    con.execute(f"CREATE TEMP TABLE pupils AS SELECT pupil_id, CAST(date_of_birth AS DATE) AS dob "
                f"FROM read_csv('{args.pupils}', header = true, all_varchar = true)")
    run(con, args.register, args.out)


def run(con, register, out):
    con.execute(SQL_DAILY.format(register=register))
    for statement in SQL_WINDOWS:
        con.execute(statement)
    con.execute(f"COPY (SELECT * FROM summary ORDER BY pupil_id) TO '{os.path.join(out, 'summary.csv')}' (HEADER, DELIMITER ',')")
    con.execute(f"COPY (SELECT date, pupil_id, rule, action, stage, responsible, evidence, note, responsible_name FROM actions "
                f"ORDER BY date, pupil_id, kind) TO '{os.path.join(out, 'actions.csv')}' (HEADER, DELIMITER ',')")


SQL_DAILY = SQL

SQL_WINDOWS = [
    # Per pupil and school day: the running count of unauthorised sessions.
    """CREATE TEMP TABLE days AS
       SELECT d.*, c.day, c.week, c.year,
              sum(d.unauthorised) OVER (PARTITION BY d.pupil_id ORDER BY c.day ROWS UNBOUNDED PRECEDING) AS unauth_cum
       FROM daily d JOIN calendar c USING (date)""",
    # The running count at the end of each week: the rolling window subtracts the count at
    # the end of the week before its first week.
    """CREATE TEMP TABLE weekly AS
       SELECT pupil_id, week, max(unauth_cum) AS cum_end FROM days GROUP BY pupil_id, week""",
    """CREATE TEMP TABLE rolling AS
       SELECT x.*,
              x.rolling10 >= 10 AND x.compulsory AS penalty,
              coalesce(lag(x.rolling10 >= 10 AND x.compulsory) OVER (PARTITION BY x.pupil_id ORDER BY x.day), false)
                AS penalty_before
       FROM (
         SELECT d.pupil_id, d.date, d.day, d.week, d.possible, d.gno,
                d.unauth_cum - coalesce(w.cum_end, 0) AS rolling10,
                greatest(ws.first_day, sp.first_day) AS window_from,
                coalesce(d.date BETWEEN a.csa_from AND a.csa_to, false) AS compulsory
         FROM days d
         CROSS JOIN span sp
         LEFT JOIN weekly w ON w.pupil_id = d.pupil_id AND w.week = d.week - 10
         JOIN week_start ws ON ws.week = greatest(d.week - 9, 0)
         LEFT JOIN csa a ON a.pupil_id = d.pupil_id
       ) x""",
    # Gaps and islands over the days with a possible session: a run of all-G/N/O days.
    """CREATE TEMP TABLE runs AS
       SELECT pupil_id, date, day, run_id,
              row_number() OVER (PARTITION BY pupil_id, run_id ORDER BY day) AS run_len,
              min(date) OVER (PARTITION BY pupil_id, run_id) AS run_from
       FROM (
         SELECT pupil_id, date, day, possible, gno,
                sum(CASE WHEN gno < possible THEN 1 ELSE 0 END)
                  OVER (PARTITION BY pupil_id ORDER BY day ROWS UNBOUNDED PRECEDING) AS run_id
         FROM rolling WHERE possible > 0
       ) y
       WHERE gno = possible""",
    """CREATE TEMP TABLE actions AS
       SELECT strftime(r.date, '%Y-%m-%d') AS date, r.pupil_id, 'penalty-notice-threshold' AS rule,
              'consider:penalty_notice' AS action, 'enforce' AS stage, '' AS responsible,
              'unauthorised ' || rolling10 || ' sessions in rolling 10 school_weeks '
                || strftime(c.date, '%Y-%m-%d') || '..' || strftime(r.date, '%Y-%m-%d')
                || '; pupil.compulsory_school_age' AS evidence,
              '' AS note, '' AS responsible_name,
              0 AS kind
       FROM rolling r JOIN calendar c ON c.day = r.window_from
       WHERE penalty AND NOT penalty_before
       UNION ALL
       SELECT strftime(u.date, '%Y-%m-%d'), u.pupil_id, 'continuous-absence',
              CASE WHEN run_len = 10 THEN 'notify:local_authority' ELSE 'consider:deletion_from_roll' END,
              CASE WHEN r.penalty THEN 'enforce' ELSE 'expect' END, '',
              run_len || ' consecutive school days marked {G, N, O} '
                || strftime(run_from, '%Y-%m-%d') || '..' || strftime(u.date, '%Y-%m-%d'),
              CASE WHEN run_len = 10 THEN 'continuous unauthorised absence of 10 school days (REG24 reg 13)'
                   ELSE '20 school days continuous absence; enquiries with the LA (REG24 reg 9(1)(i))' END,
              '',
              1
       FROM runs u JOIN rolling r ON r.pupil_id = u.pupil_id AND r.day = u.day
       WHERE run_len IN (10, 20)""",
    # Year to date at the last school day with data, in the academic year that holds it.
    """CREATE TEMP TABLE summary AS
       SELECT t.pupil_id, t.possible, t.present, t.authorised, t.unauthorised,
              CASE WHEN t.possible = 0 THEN ''
                   ELSE ((t.present * 2000 + t.possible) // (2 * t.possible) // 10) || '.'
                        || ((t.present * 2000 + t.possible) // (2 * t.possible) % 10) END AS attendance,
              '' AS band,
              CASE WHEN coalesce(r.penalty, false) THEN 'enforce' ELSE 'expect' END AS stage,
              CASE WHEN t.possible > 0 AND (t.authorised + t.unauthorised) * 10 >= t.possible THEN 'true' ELSE 'false' END
                AS persistent,
              CASE WHEN t.possible > 0 AND (t.authorised + t.unauthorised) * 2 >= t.possible THEN 'true' ELSE 'false' END
                AS severe
       FROM (
         SELECT d.pupil_id, sum(d.possible) AS possible, sum(d.present) AS present,
                sum(d.authorised) AS authorised, sum(d.unauthorised) AS unauthorised
         FROM days d CROSS JOIN span sp
         WHERE d.year = (SELECT year FROM calendar WHERE day = sp.last_day)
         GROUP BY d.pupil_id
       ) t
       CROSS JOIN span sp
       LEFT JOIN rolling r ON r.pupil_id = t.pupil_id AND r.day = sp.last_day""",
]

if __name__ == "__main__":
    main()
