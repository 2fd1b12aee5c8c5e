//! AT111: persistent or severe absence defined by a schedule of cumulative days absent per
//! half-term or term, compared at each period's close with the national share of the
//! sessions possible to that day over the policy's own calendar.

use super::common::*;
use crate::model::schedule::{Close, closes, illustrative_calendar, period_name};
use crate::model::{
    CmpOp, Condition, CountMetric, Origin, Period, Schedule, ScheduledLhs, SessionClass, Threshold,
    Window,
};

pub static RULE: Rule = Rule {
    code: "AT111",
    name: "schedule-disagrees-with-national-share",
    severity: Severity::Warning,
    source: "WT; DfE absence statistics (national-rules.md §2)",
    in_force: InForce::ALWAYS,
    docs: Docs {
        what: "A school definition of `persistent_absence` or `severe_absence` written as a \
schedule of days (or sessions) absent so far in the year, one row per half-term or term \
(\"half-term 1: 3.5 days, 2: 7 days ...\"), compared at the close of each period with the \
national share (10% or 50%) of the sessions a pupil on roll every day could attend to then, \
over the first academic year of the policy's own calendar (or, without term dates, the \
illustrative 2024-25 calendar `policies/calendars/camden-2024-25.calendar`, 191 school days). \
The finding names each period whose row disagrees, its last school day, the sessions to it, \
and a pupil there.",
        why: "Persistent absence is missing 10% or more of the possible sessions so far, severe \
absence 50% or more (national-rules.md §2). A table of days per half-term is right only for the \
calendar it was worked out on: half-terms differ in length from school to school and year to \
year, so a row above 10% of that year's sessions leaves out pupils the national measure counts, \
and one below it counts pupils who have missed less than 10%.",
        example: r#"schedule pa_days per half_term { 1: 4.5 days  2: 7 days }
define persistent_absence when absent(year_to_date) >= pa_days"#,
        fix: "Define it as the share: `define persistent_absence \"miss 10% or more\" when \
absence(year_to_date) >= 10%`; a table of days may stay as guidance for parents, worked out \
from the school's own term dates.",
    },
    check,
};

fn check(ctx: &Context) -> Vec<Finding> {
    let own = ctx.policy.calendar.has_dates();
    let calendar = if own {
        &ctx.policy.calendar
    } else {
        illustrative_calendar()
    };
    let year = calendar
        .years
        .iter()
        .find(|y| !y.terms.is_empty())
        .and_then(|y| y.label.clone());
    let whose = match (own, year) {
        (true, Some(label)) => format!("the policy's {label} calendar"),
        (true, None) => "the policy's calendar".to_string(),
        (false, _) => {
            "the illustrative 2024-25 calendar (the policy gives no term dates)".to_string()
        }
    };
    let mut out = Vec::new();
    for (name, share) in [("persistent_absence", 10u32), ("severe_absence", 50)] {
        for d in ctx
            .policy
            .definitions
            .iter()
            .filter(|d| d.name == name && d.origin == Origin::School)
        {
            let Condition::Scheduled(s) = &d.condition else {
                continue;
            };
            let absent_so_far = ScheduledLhs::Count(CountMetric::Sessions {
                class: SessionClass::Absent,
                window: Window::YearToDate,
            });
            let extra = match s.op {
                CmpOp::Ge => 0,
                CmpOp::Gt => 1,
                _ => continue,
            };
            let Some(schedule) = ctx.policy.schedules.iter().find(|x| x.name == s.name) else {
                continue;
            };
            if s.lhs != absent_so_far {
                continue;
            }
            let ends = closes(calendar, schedule.per);
            if let Some(f) = compare(schedule, name, share, extra, &ends, &whose) {
                out.push(f.related(&first_line(&d.loc), format!("`{name}` by this schedule")));
            }
        }
    }
    out
}

/// The fewest absent sessions at the national share of `possible`:
/// `absent * 100 >= share * possible`.
fn national_sessions(share: u32, possible: u32) -> u32 {
    let need = (u64::from(share) * u64::from(possible)).div_ceil(100);
    u32::try_from(need).unwrap_or(u32::MAX)
}

fn compare(
    schedule: &Schedule,
    name: &str,
    share: u32,
    extra: u32,
    ends: &[Close],
    whose: &str,
) -> Option<Finding> {
    let mut differ = Vec::new();
    let mut example = None;
    let mut rows = Vec::new();
    for row in &schedule.rows {
        let Threshold::Sessions(sessions) = row.threshold else {
            continue;
        };
        let Some(close) = ends.iter().find(|c| c.period == row.period) else {
            continue;
        };
        // A pupil on roll every school day to the close, every session possible.
        let possible = close.days * 2;
        let national = national_sessions(share, possible);
        let counted = sessions.saturating_add(extra);
        if counted == national {
            continue;
        }
        let period = period_name(schedule.per, row.period);
        differ.push(format!(
            "{period} (to {}, {possible} possible sessions): {share}% is {national} sessions, the schedule {counted}",
            close.last
        ));
        rows.push((row.loc.clone(), period.clone(), counted, national));
        if example.is_none() {
            example = Some(if counted > national {
                format!(
                    "at the close of {period} a pupil absent {national} of {possible} sessions ({}) is `{name}` nationally but not by this schedule",
                    percent(national, possible)
                )
            } else {
                format!(
                    "at the close of {period} a pupil absent {counted} of {possible} sessions ({}) is `{name}` by this schedule but not nationally",
                    percent(counted, possible)
                )
            });
        }
    }
    let example = example?;
    let per = match schedule.per {
        Period::HalfTerm => "half-term",
        Period::Term => "term",
        Period::Year => "year",
    };
    let mut finding = Finding::new(
        &first_line(&schedule.loc),
        format!(
            "the schedule `{}` disagrees with the national {share}% at the close of {} of its {} {per}s over {whose}: {}; {example}",
            schedule.name,
            differ.len(),
            schedule.rows.len(),
            differ.join("; "),
        ),
    )
    .label(format!("days per {per}, not {share}% of possible sessions"))
    .help(format!(
        "define `{name}` as the share: `absence(year_to_date) >= {share}%`"
    ));
    for (loc, period, counted, national) in rows {
        let word = if counted > national { "above" } else { "below" };
        finding = finding.related(
            &first_line(&loc),
            format!("{period}: {counted} sessions, {word} {share}% ({national})"),
        );
    }
    Some(finding)
}

/// `absent` of `possible` as a percentage to one decimal place, rounded down: "9.4%".
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
    fn the_illustrative_year_closes_its_half_terms_where_its_dates_say() {
        // 2024-25: 37, 35, 29, 30, 23 and 37 school days, 191 in all.
        let ends = closes(illustrative_calendar(), Period::HalfTerm);
        let days: Vec<u32> = ends.iter().map(|c| c.days).collect();
        assert_eq!(days, [37, 72, 101, 131, 154, 191]);
        let last: Vec<String> = ends.iter().map(|c| c.last.to_string()).collect();
        assert_eq!(last[0], "2024-10-25");
        assert_eq!(last[5], "2025-07-22");
        let terms: Vec<u32> = closes(illustrative_calendar(), Period::Term)
            .iter()
            .map(|c| c.days)
            .collect();
        assert_eq!(terms, [72, 131, 191]);
    }

    #[test]
    fn ten_percent_of_the_sessions_to_each_close() {
        // 37 days = 74 sessions: 7.4 -> 8; 72 days = 144: 14.4 -> 15; 154 days = 308: 30.8
        // -> 31; 191 days = 382: 38.2 -> 39.
        assert_eq!(national_sessions(10, 74), 8);
        assert_eq!(national_sessions(10, 144), 15);
        assert_eq!(national_sessions(10, 308), 31);
        assert_eq!(national_sessions(10, 382), 39);
        // 70 sessions: exactly 7 (3.5 days is 10% of a 35-day half-term).
        assert_eq!(national_sessions(10, 70), 7);
    }
}
