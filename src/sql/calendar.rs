//! The tables a script makes from the policy itself: its school days (with school week,
//! half-term, term, academic year and where each window starts), the national code table, and
//! the pupils' attributes read from text the way the pupils reader reads them.

use std::fmt::Write as _;

use chrono::NaiveDate;

use super::dialect::Dialect;
use super::metrics::Metrics;
use crate::codes::{self, MarkClass};
use crate::model::{LookedAt, Period};
use crate::table::SchoolDays;

/// `calendar(day, date, week, half_term, term, year, w0_start, ...)`: one row per school
/// day, `day` its index; the period columns are ordinals across the whole calendar (a school
/// week runs across a holiday and into the next year), `wN_start` the first school day of
/// window N on that day (before the data's first day is clamped later).
pub fn calendar(out: &mut String, d: Dialect, days: &SchoolDays, metrics: &Metrics) {
    let _ = writeln!(
        out,
        "-- The school days of the calendar: school week, half-term, term and academic year are\n\
         -- ordinals over the whole calendar; wN_start is where window N starts on that day."
    );
    for (w, window) in metrics.windows.iter().enumerate() {
        let _ = writeln!(out, "--   w{w}: {window}");
    }
    for (j, looked) in metrics.looks.iter().enumerate() {
        let _ = writeln!(
            out,
            "--   look{j}: 1 on the days of `{}` that stand alone, 2 on those that follow the last, else 0",
            match looked {
                LookedAt::EndOf(p) => format!("at end of {}", p.keyword()),
                LookedAt::Every { school_weeks } => format!("every {school_weeks} school_weeks"),
            }
        );
    }
    let _ = writeln!(out, "{}", d.create_inline("calendar"));
    let mut columns = vec![
        "day",
        "date",
        "week",
        "half_term",
        "term",
        "year",
        "half_term_in_year",
        "term_in_year",
        "first_of_week",
        "year_label",
    ]
    .into_iter()
    .map(String::from)
    .collect::<Vec<_>>();
    columns.extend((0..metrics.windows.len()).map(|w| format!("w{w}_start")));
    columns.extend((0..metrics.looks.len()).map(|j| format!("look{j}")));
    let date = |x: NaiveDate| format!("DATE '{x}'");
    let _ = writeln!(out, "SELECT * FROM (VALUES");
    for day in 0..days.len() {
        let mut row = vec![
            day.to_string(),
            date(days.date(day)),
            days.week(day).to_string(),
            days.period(Period::HalfTerm, day).to_string(),
            days.period(Period::Term, day).to_string(),
            days.academic_year(day).to_string(),
            days.in_year(Period::HalfTerm, day).to_string(),
            days.in_year(Period::Term, day).to_string(),
            (day == 0 || days.week(day - 1) != days.week(day)).to_string(),
            d.quote(days.year_label(day)),
        ];
        row.extend(
            metrics
                .windows
                .iter()
                .map(|w| days.window_start(*w, day).to_string()),
        );
        row.extend(
            metrics
                .looks
                .iter()
                .map(|l| look(days, *l, day).to_string()),
        );
        let sep = if day + 1 == days.len() { "" } else { "," };
        let _ = writeln!(out, "  ({}){sep}", row.join(", "));
    }
    let _ = writeln!(out, ") AS t({});", columns.join(", "));
    let _ = writeln!(out);
}

/// Whether a trigger is looked at on `day` (src/engine/schedule.rs `look`): 0 not, 1 a look
/// that stands alone (the end of a period), 2 one whose rising edge is from the look before.
fn look(days: &SchoolDays, looked_at: LookedAt, day: usize) -> u8 {
    match looked_at {
        LookedAt::EndOf(per) => u8::from(days.is_last_of(per, day)),
        LookedAt::Every { school_weeks } => {
            let first_of_week = day == 0 || days.week(day - 1) != days.week(day);
            let nth = (days.week_in_year(day) - 1).is_multiple_of(school_weeks.max(1));
            if first_of_week && nth { 2 } else { 0 }
        }
    }
}

/// `code_classes(code, valid_from, valid_to, possible, present, absent, authorised,
/// unauthorised)`: every version of every national code (data/codes.csv), its class as 0/1
/// columns.
pub fn code_classes(out: &mut String, d: Dialect) {
    let _ = writeln!(
        out,
        "-- The national register codes (data/codes.csv), each version with the dates it is in\n\
         -- force and its class: possible, present (incl. approved activity), absent, authorised,\n\
         -- unauthorised."
    );
    let _ = writeln!(out, "{}", d.create_inline("code_classes"));
    let _ = writeln!(out, "SELECT * FROM (VALUES");
    let rows = codes::table().rows();
    for (i, row) in rows.iter().enumerate() {
        let date = |x: Option<NaiveDate>| {
            x.map_or_else(
                || "CAST(NULL AS DATE)".to_string(),
                |x| format!("DATE '{x}'"),
            )
        };
        let flag = |b: bool| u8::from(b).to_string();
        let sep = if i + 1 == rows.len() { "" } else { "," };
        let _ = writeln!(
            out,
            "  ({}, {}, {}, {}, {}, {}, {}, {}){sep}",
            d.quote(row.code),
            date(row.valid_from),
            date(row.valid_to),
            flag(row.class.is_possible()),
            flag(row.class.is_present()),
            flag(row.class.is_absent()),
            flag(row.class == MarkClass::Authorised),
            flag(row.class == MarkClass::Unauthorised),
        );
    }
    let _ = writeln!(
        out,
        ") AS t(code, valid_from, valid_to, possible, present, absent, authorised, unauthorised);"
    );
    let _ = writeln!(out);
}

/// `pupil_attributes`: the pupils file's text read as the pupils reader reads it (an empty or
/// unreadable cell is unknown, NULL), with the dates compulsory school age starts and ends.
pub fn pupil_attributes(out: &mut String, d: Dialect) {
    let flag = |col: &str| {
        format!(
            "CASE WHEN lower({col}) IN ('true', 'y', 'yes', '1') THEN TRUE \
             WHEN lower({col}) IN ('false', 'n', 'no', '0') THEN FALSE END AS {col}"
        )
    };
    let squeezed = d.strip("upper(year_group)", "[-. _]");
    let dob = d.date_of("date_of_birth");
    let _ = writeln!(
        out,
        "-- The pupils' attributes as the pupils reader reads them; unknown is NULL, and a rule\n\
         -- on an unknown attribute does not hold. Year groups: reception 0, nursery none."
    );
    let _ = writeln!(out, "{}", d.create_inline("pupil_text"));
    let _ = writeln!(
        out,
        "SELECT pupil_id, {dob} AS dob, {squeezed} AS year_text, upper(sen) AS sen_code,\n  {},\n  {},\n  {},\n  {},\n  {}, {}\nFROM pupils;",
        flag("fsm"),
        flag("social_worker"),
        flag("looked_after"),
        flag("child_protection_plan"),
        d.date_of("admission_date") + " AS admission",
        d.date_of("leaving_date") + " AS leaving",
    );
    let _ = writeln!(out);
    let year_number = format!(
        "CASE WHEN year_text IN ('R', 'REC', 'RECEPTION', 'YR', 'YEARR', '0', 'Y0', 'YEAR0') THEN 0\n    \
         WHEN {} THEN CAST({} AS INTEGER) END",
        d.matches("year_text", "^(YEAR|YR|Y|NC)?[0-9][0-9]?$"),
        d.strip("year_text", "^(YEAR|YR|Y|NC)")
    );
    // EA96 s8 (src/engine/eval/school_age.rs): from the fifth birthday if it is 31 December,
    // 31 March or 31 August, else the next of them; to the last Friday of June of the school
    // year of the sixteenth birthday. A 29 February birthday is 1 March in other years.
    let birthday = |years: u32| {
        format!(
            "CASE WHEN month(dob) = 2 AND day(dob) = 29 AND NOT ((year(dob) + {years}) % 4 = 0 \
             AND ((year(dob) + {years}) % 100 <> 0 OR (year(dob) + {years}) % 400 = 0)) \
             THEN make_date(year(dob) + {years}, 3, 1) \
             ELSE make_date(year(dob) + {years}, month(dob), day(dob)) END"
        )
    };
    let _ = writeln!(out, "{}", d.create_inline("pupil_birthdays"));
    let _ = writeln!(
        out,
        "SELECT *, {} AS fifth, {} AS sixteenth FROM pupil_text;",
        birthday(5),
        birthday(16)
    );
    let _ = writeln!(out);
    let june_end =
        "make_date(year(sixteenth) + CASE WHEN month(sixteenth) >= 9 THEN 1 ELSE 0 END, 6, 30)";
    let back = format!("(({} + 3) % 7)", d.weekday("june_end"));
    let _ = writeln!(out, "{}", d.create_inline("pupil_attributes"));
    let _ = writeln!(
        out,
        "SELECT pupil_id, dob, admission, leaving, fsm, social_worker, looked_after,\n  \
         child_protection_plan,\n  \
         CASE sen_code WHEN 'N' THEN 'N' WHEN 'K' THEN 'K' WHEN 'E' THEN 'E' END AS sen,\n  \
         {year_number} AS year_number,\n  \
         CASE WHEN make_date(year(fifth), 3, 31) >= fifth THEN make_date(year(fifth), 3, 31)\n    \
         WHEN make_date(year(fifth), 8, 31) >= fifth THEN make_date(year(fifth), 8, 31)\n    \
         ELSE make_date(year(fifth), 12, 31) END AS csa_from,\n  \
         {} AS csa_to\n\
         FROM (SELECT *, {june_end} AS june_end FROM pupil_birthdays) AS b;",
        d.days_before("june_end", &back)
    );
    let _ = writeln!(out);
}

/// The calendar's column of a period's ordinal over the whole calendar.
pub fn period_column(p: Period) -> &'static str {
    match p {
        Period::HalfTerm => "half_term",
        Period::Term => "term",
        Period::Year => "year",
    }
}
