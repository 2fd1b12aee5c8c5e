//! AT115: the school week the policy states, or its day's times give, is shorter than the
//! 32.5 hours the Department expects of a mainstream state-funded school.

use super::common::*;
use crate::model::school_day::Day;
use crate::model::{Phase, SchoolType};

/// 32 hours 30 minutes.
const EXPECTED_MINUTES: u32 = 32 * 60 + 30;

pub static RULE: Rule = Rule {
    code: "AT115",
    name: "school-week-shorter-than-expected",
    severity: Severity::Warning,
    source: "DfE, Length of the school week: minimum expectation (national-rules.md §6)",
    in_force: InForce::from(date(2024, 9, 1)),
    docs: Docs {
        what: "The length of the school week, for the whole school and for each group whose \
times differ (`for years 1 to 2`, `for phase secondary`): the week the policy states \
(`school_week 32 hours 30 minutes`), and the week its times give, which is five times the \
day from the morning register opening (`session am opens`, the official start of the day) to \
the end of the day (`day_ends`), breaks and lunch included. Either under 32 hours 30 minutes \
is reported. Not checked for a special school, alternative provision or an independent school.",
        why: "From September 2024 the Department expects state-funded mainstream schools to \
deliver a school week of at least 32.5 hours, measured from the official start of the school \
day (morning registration) to the official end of the compulsory school day (home time), \
breaks and lunch included (national-rules.md §6; non-statutory guidance, not a legal minimum).",
        example: "calendar {\n  session am opens 08:50 closes 09:20\n  day_ends 15:15\n}",
        fix: "Lengthen the day (`day_ends 15:20` here: 08:50 to 15:20 is 6 hours 30 minutes, \
32 hours 30 minutes a week), or state the week the school delivers.",
    },
    check,
};

fn hours(minutes: u32) -> String {
    match minutes % 60 {
        0 => format!("{} hours", minutes / 60),
        m => format!("{} hours {m} minutes", minutes / 60),
    }
}

fn check(ctx: &Context) -> Vec<Finding> {
    let policy = ctx.policy;
    let exempt = matches!(
        policy.phase.as_ref().map(|(p, _)| *p),
        Some(Phase::Special | Phase::AlternativeProvision)
    ) || matches!(
        policy.school_type.as_ref().map(|(t, _)| *t),
        Some(SchoolType::Independent)
    );
    if exempt || ctx.baseline {
        return Vec::new();
    }
    let calendar = &policy.calendar;
    let mut out: Vec<Finding> = Vec::new();
    let mut seen = Vec::new();
    for day in calendar.school_day.days(&calendar.sessions) {
        if let Some((minutes, loc)) = day.week_minutes
            && *minutes < EXPECTED_MINUTES
            && !seen.contains(&loc.span)
        {
            seen.push(loc.span);
            out.push(
                Finding::new(
                    loc,
                    format!(
                        "the school week {} is {}, shorter than the 32 hours 30 minutes expected",
                        day.whom(),
                        hours(*minutes)
                    ),
                )
                .label(format!("{} a week", hours(*minutes)))
                .help("deliver at least 32 hours 30 minutes a week (6 hours 30 minutes a day)"),
            );
        }
        computed(&day, &mut seen, &mut out);
    }
    out
}

fn computed(day: &Day<'_>, seen: &mut Vec<crate::source::Span>, out: &mut Vec<Finding>) {
    let (Some(week), Some(am), Some(ends)) = (day.computed_week_minutes(), day.am, day.day_ends)
    else {
        return;
    };
    if week >= EXPECTED_MINUTES || seen.contains(&ends.loc.span) && seen.contains(&am.loc.span) {
        return;
    }
    seen.push(ends.loc.span);
    seen.push(am.loc.span);
    let start = am
        .opens
        .map(crate::syntax::print_dsl::time)
        .unwrap_or_default();
    let end = ends.time.format("%H:%M");
    out.push(
        Finding::new(
            &ends.loc,
            format!(
                "the school day {} runs from {start} to {end}, {} a day and {} a week, shorter \
than the 32 hours 30 minutes expected",
                day.whom(),
                hours(week / 5),
                hours(week)
            ),
        )
        .label(format!("{} a week", hours(week)))
        .related(&am.loc, format!("the day starts at {start}"))
        .help(format!(
            "end the day at {} or later, or start it earlier",
            minutes_to_clock(am.opens.map_or(0, u32::from) + EXPECTED_MINUTES / 5)
        )),
    );
}

fn minutes_to_clock(m: u32) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

#[cfg(test)]
mod tests {
    use super::super::testing::findings_of;

    #[test]
    fn a_day_of_six_hours_twenty_five_minutes_is_short() {
        // 08:50 to 15:15 = 6 h 25 min a day, × 5 = 32 h 5 min a week < 32 h 30 min.
        let found = findings_of(
            "AT115",
            r#"policy "P" { calendar { session am opens 08:50 closes 09:20  day_ends 15:15 } }"#,
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("32 hours 5 minutes a week"), "{found:?}");
    }

    #[test]
    fn a_day_of_six_and_a_half_hours_is_enough() {
        // 08:45 to 15:15 = 6 h 30 min, × 5 = 32 h 30 min: exactly the expectation, lunch
        // 12:00 to 13:00 included (the guidance counts breaks and lunch).
        let found = findings_of(
            "AT115",
            r#"policy "P" { calendar { session am opens 08:45 closes 09:15  lunch 12:00 to 13:00  day_ends 15:15 } }"#,
        );
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn a_stated_week_and_one_group_are_checked() {
        // Stated: 31 h 15 min < 32 h 30 min. KS1 ends 15:00: 08:45 to 15:00 = 6 h 15 min,
        // × 5 = 31 h 15 min; KS2 inherits 15:15 (32 h 30 min, fine).
        let found = findings_of(
            "AT115",
            r#"policy "P" { calendar {
                session am opens 08:45 closes 09:15
                day_ends 15:15
                day_ends 15:00 for years 1 to 2
                school_week 31 hours 15 minutes for years 1 to 2
            } }"#,
        );
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            found.iter().all(|f| f.contains("for years 1 to 2")),
            "{found:?}"
        );
    }

    #[test]
    fn a_special_school_is_not_checked() {
        let found = findings_of(
            "AT115",
            r#"policy "P" { phase special calendar { session am opens 09:00 closes 09:30  day_ends 14:30 } }"#,
        );
        assert!(found.is_empty(), "{found:?}");
    }
}
