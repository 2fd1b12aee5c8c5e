//! AT110: persistent or severe absence defined as a count of days or sessions, which agrees
//! with the national share of possible sessions on few school days of the year, if any.

use super::common::*;
use crate::model::normal::{self, Atom};
use crate::model::{CountMetric, Origin, SessionClass, Window};

pub static RULE: Rule = Rule {
    code: "AT110",
    name: "definition-counts-days-not-share",
    severity: Severity::Warning,
    source: "WT; DfE absence statistics (national-rules.md §2)",
    in_force: InForce::ALWAYS,
    docs: Docs {
        what: "A school definition of `persistent_absence` or `severe_absence` written as a count \
of absent sessions over the year (\"19 days or more\", \"38 or more sessions\"), compared day by \
day with the national share (10% or 50% of possible sessions) over the first academic year of \
the policy's own calendar (or, without term dates, a year of 190 school days). The finding says on which school days the two \
agree, from which school day they disagree, and gives a pupil there.",
        why: "Persistent absence is missing 10% or more of the possible sessions so far, severe \
absence 50% or more (national-rules.md §2): the number of sessions that makes a pupil \
persistently absent grows through the year. A fixed count is right on one or two weeks of the \
year: before them it leaves out pupils the national measure includes (a pupil absent 7 of the \
first 70 sessions), after them it would include pupils below 10%, if the year were longer.",
        example: r#"define persistent_absence "19 days or more" when absent(year_to_date) >= 38 sessions"#,
        fix: "Define it as the share: `define persistent_absence \"miss 10% or more\" when \
absence(year_to_date) >= 10%`; a table of days per half-term may stay as guidance for parents.",
    },
    check,
};

fn check(ctx: &Context) -> Vec<Finding> {
    let (days, year_label) = match first_year_school_days(ctx.policy) {
        Some((n, label)) => (n, Some(label)),
        None => (DEFAULT_SCHOOL_DAYS, None),
    };
    let mut out = Vec::new();
    for (name, share) in [("persistent_absence", 10u32), ("severe_absence", 50)] {
        for d in ctx
            .policy
            .definitions
            .iter()
            .filter(|d| d.name == name && d.origin == Origin::School)
        {
            let Some(threshold) = absent_count(ctx, &d.condition) else {
                continue;
            };
            out.push(compare(
                d,
                name,
                share,
                threshold,
                days,
                year_label.as_ref(),
            ));
        }
    }
    out
}

/// `N` when the definition is `absent(year_to_date) >= N` (and nothing else).
fn absent_count(ctx: &Context, c: &crate::model::Condition) -> Option<u32> {
    let rows = normal::rows(ctx.policy, c)?;
    let [(row, true)] = rows.as_slice() else {
        return None;
    };
    match row.as_slice() {
        [
            Atom::Count {
                metric:
                    CountMetric::Sessions {
                        class: SessionClass::Absent,
                        window: Window::YearToDate,
                    },
                range,
            },
        ] if range.hi.is_none() => Some(range.lo),
        _ => None,
    }
}

/// The fewest absent sessions that meet the national share on school day `day` for a pupil on
/// roll every day: `absent * 100 >= share * possible`, `possible = 2 * day`.
fn national_sessions(share: u32, day: u32) -> u32 {
    let possible = u64::from(day) * 2;
    let need = (u64::from(share) * possible).div_ceil(100);
    u32::try_from(need).unwrap_or(u32::MAX)
}

fn compare(
    d: &crate::model::Definition,
    name: &str,
    share: u32,
    threshold: u32,
    days: u32,
    year_label: Option<&Option<String>>,
) -> Finding {
    let agree: Vec<u32> = (1..=days)
        .filter(|&day| national_sessions(share, day) == threshold)
        .collect();
    let year = match year_label {
        Some(Some(label)) => format!("the {days} school days of the policy's {label} calendar"),
        Some(None) => format!("the {days} school days of the policy's calendar"),
        None => format!("a year of {days} school days (the policy gives no term dates)"),
    };
    let days_text = if threshold.is_multiple_of(2) {
        format!("{} days", threshold / 2)
    } else {
        format!("{}.5 days", threshold / 2)
    };
    let mut message = match (agree.first(), agree.last()) {
        (Some(a), Some(b)) => format!(
            "`{name}` as {} ({threshold} sessions, {days_text}) agrees with the national {share}% only on school days {a} to {b} of {year}",
            wording(d)
        ),
        _ => format!(
            "`{name}` as {} ({threshold} sessions, {days_text}) agrees with the national {share}% on no school day of {year}",
            wording(d)
        ),
    };
    // Days before the count is within reach: the definition leaves out pupils at the national
    // share. The pupil shown is on the last such day, where the difference is hardest to see.
    let misses: Vec<u32> = (1..=days)
        .filter(|&day| national_sessions(share, day) < threshold)
        .collect();
    if let (Some(first), Some(&last)) = (misses.first(), misses.last()) {
        let absent = national_sessions(share, last);
        message.push_str(&format!(
            "; on school days {first} to {last} it leaves out pupils the national definition includes: on school day {last} a pupil absent {absent} of {} sessions ({}) is `{name}` nationally but not by this definition",
            last * 2,
            percent(absent, last * 2)
        ));
    }
    // Days after: the count is reached by pupils below the national share.
    let extra: Vec<u32> = (1..=days)
        .filter(|&day| national_sessions(share, day) > threshold)
        .collect();
    if let (Some(&first), Some(last)) = (extra.first(), extra.last()) {
        message.push_str(&format!(
            "; on school days {first} to {last} it includes pupils the national definition does not: on school day {first} a pupil absent {threshold} of {} sessions ({}) is `{name}` by this definition only",
            first * 2,
            percent(threshold, first * 2)
        ));
    }
    Finding::new(&first_line(&d.loc), message)
        .label(format!("a count, not {share}% of possible sessions"))
        .help(format!(
            "define it as the share: `absence(year_to_date) >= {share}%`"
        ))
}

/// `absent` of `possible` as a percentage to one decimal place, rounded down: "9.9%".
fn percent(absent: u32, possible: u32) -> String {
    if possible == 0 {
        return "0%".into();
    }
    let tenths = u64::from(absent) * 1000 / u64::from(possible);
    format!("{}.{}%", tenths / 10, tenths % 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_national_count_grows_with_the_school_day() {
        // Persistent: absent * 100 >= 10 * possible, possible = 2 * day.
        assert_eq!(national_sessions(10, 1), 1); // 2 sessions: 0.2, rounded up to 1
        assert_eq!(national_sessions(10, 5), 1); // 10 sessions: 1
        assert_eq!(national_sessions(10, 6), 2); // 12 sessions: 1.2 -> 2
        assert_eq!(national_sessions(10, 185), 37); // 370 sessions: 37
        assert_eq!(national_sessions(10, 186), 38); // 372 sessions: 37.2 -> 38
        assert_eq!(national_sessions(10, 190), 38); // 380 sessions: 38
        // Severe: absent * 100 >= 50 * possible.
        assert_eq!(national_sessions(50, 19), 19); // 38 sessions: 19
    }

    #[test]
    fn percentages_round_down_to_a_tenth() {
        assert_eq!(percent(37, 370), "10.0%");
        assert_eq!(percent(38, 382), "9.9%"); // 9.947...
    }
}
