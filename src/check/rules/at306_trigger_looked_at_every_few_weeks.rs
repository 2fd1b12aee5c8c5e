//! AT306: a trigger looked at only every few school weeks (`every 2 school_weeks`), which
//! acts on a pupil who reaches its condition up to that many weeks late.

use super::common::*;
use crate::model::schedule::illustrative_calendar;
use crate::model::{Calendar, LookedAt, Origin};

pub static RULE: Rule = Rule {
    code: "AT306",
    name: "trigger-looked-at-every-few-weeks",
    severity: Severity::Info,
    source: "WT, support first: Monitor, use data to spot patterns early (national-rules.md §7)",
    in_force: InForce::ALWAYS,
    docs: Docs {
        what: "School triggers looked at only on the first school day of every Nth school week \
(`every N school_weeks`, N of 2 or more). The finding gives the longest a pupil who reaches the \
condition on the school day after a look waits for the next one, in school days of the first \
academic year of the policy's calendar (or, without term dates, the illustrative 2024-25 \
calendar).",
        why: "The framework's Monitor stage uses attendance data to spot patterns early \
(national-rules.md §7). A rule looked at fortnightly acts on a pupil up to two school weeks after \
the pupil reached it, and misses a pupil who reaches it and recovers between two looks.",
        example: r#"trigger "contact families" every 2 school_weeks when attendance(year_to_date) <= 92% then contact"#,
        fix: "Look at it every school day (leave out `every N school_weeks`) or every week \
(`every school_week`), and keep the meeting that reviews the list as a procedure.",
    },
    check,
};

fn check(ctx: &Context) -> Vec<Finding> {
    let own = ctx.policy.calendar.has_dates();
    let calendar: &Calendar = if own {
        &ctx.policy.calendar
    } else {
        illustrative_calendar()
    };
    let whose = if own {
        "the policy's calendar"
    } else {
        "the illustrative 2024-25 calendar; the policy gives no term dates"
    };
    ctx.policy
        .triggers
        .iter()
        .filter(|t| t.origin == Origin::School)
        .filter_map(|t| {
            let Some(LookedAt::Every { school_weeks }) = t.looked_at else {
                return None;
            };
            if school_weeks < 2 {
                return None;
            }
            let (wait, from, to) = longest_wait(calendar, school_weeks)?;
            Some(
                Finding::new(
                    &first_line(&t.loc),
                    format!(
                        "the trigger `{}` is looked at only every {school_weeks} school weeks: a pupil who reaches its condition on the school day after a look waits {wait} school days for the next (from {from} to {to} on {whose})",
                        t.name
                    ),
                )
                .label(format!("looked at every {school_weeks} school weeks"))
                .help("look at it every school day (leave out `every N school_weeks`) or every week (`every school_week`)"),
            )
        })
        .collect()
}

/// The most school days from the day after one look to the next look, over the first
/// academic year: looks are on the first school day of school weeks 1, 1 + n, 1 + 2n, ...
fn longest_wait(calendar: &Calendar, n: u32) -> Option<(usize, String, String)> {
    let year = calendar.years.iter().find(|y| !y.terms.is_empty())?;
    let one = Calendar {
        sessions: Vec::new(),
        years: vec![year.clone()],
        school_day: Default::default(),
    };
    let days = one.school_days();
    let mut looks = Vec::new();
    let mut week = 0u32;
    let mut monday = None;
    for (i, d) in days.iter().enumerate() {
        let m = d.week(chrono::Weekday::Mon).first_day();
        if monday != Some(m) {
            monday = Some(m);
            week += 1;
            if (week - 1).is_multiple_of(n) {
                looks.push(i);
            }
        }
    }
    looks
        .windows(2)
        .map(|w| (w[1] - w[0] - 1, w[0] + 1, w[1]))
        .reduce(|best, next| if next.0 > best.0 { next } else { best })
        .map(|(wait, from, to)| (wait, days[from].to_string(), days[to].to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fortnightly_looks_leave_up_to_two_school_weeks_between_them() {
        // 2024-25: looks on the first school day of weeks 1, 3, 5, ...; between two looks a
        // fortnight apart lie 10 school days, so a pupil who reaches the condition the day
        // after a look is seen 9 school days later.
        let (wait, ..) = longest_wait(illustrative_calendar(), 2).expect("a year");
        assert_eq!(wait, 9);
        let (weekly, ..) = longest_wait(illustrative_calendar(), 1).expect("a year");
        assert_eq!(weekly, 4);
    }
}
