//! AT011: the calendar has the school in session on a bank holiday.

use chrono::Datelike;

use super::common::*;

pub static RULE: Rule = Rule {
    code: "AT011",
    name: "sessions-on-bank-holiday",
    severity: Severity::Warning,
    source: "SDSY99; national-rules.md §6",
    in_force: InForce::ALWAYS,
    docs: Docs {
        what: "Every date in the calendar's terms that is a regular bank holiday in England (New \
Year's Day, Good Friday, Easter Monday, the early May, spring and summer bank holidays, \
Christmas Day and Boxing Day, with their substitute days) and that no closure covers. Weekends \
are never school days in attend, so they need no check. One-off bank holidays proclaimed for a \
single year are not known to attend.",
        why: "No sessions are held on Saturdays, Sundays or bank holidays unless the school has \
specifically arranged them (national-rules.md §6: a policy warning, not an error). A bank \
holiday left in term usually means a closure is missing from the calendar, which also inflates \
the possible sessions every pupil is measured against.",
        example: r#"calendar "2024-25" {
  term summer 2025-04-22 .. 2025-07-22
}"#,
        fix: "Add `bank_holiday DATE` to the calendar, or a comment-backed `closed` if the school \
arranged sessions on that day on purpose.",
    },
    check,
};

fn check(ctx: &Context) -> Vec<Finding> {
    let calendar = &ctx.policy.calendar;
    let mut out = Vec::new();
    for term in calendar.terms() {
        let mut years: Vec<i32> = vec![term.start.year(), term.end.year()];
        years.dedup();
        for (day, name) in years.into_iter().flat_map(bank_holidays) {
            if day >= term.start && day <= term.end && calendar.is_school_day(day) {
                out.push(
                    Finding::new(
                        &first_line(&term.loc),
                        format!("{day} ({name}) is a school day in this calendar"),
                    )
                    .label(format!("term `{}` includes {day}", term.name))
                    .help(format!("add `bank_holiday {day}` to the calendar")),
                );
            }
        }
    }
    out
}

pub use crate::holidays::bank_holidays;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::holidays::easter_sunday;

    #[test]
    fn bank_holidays_2025() {
        let days: Vec<String> = bank_holidays(2025)
            .iter()
            .map(|(d, _)| d.to_string())
            .collect();
        assert_eq!(
            days,
            [
                "2025-01-01",
                "2025-04-18",
                "2025-04-21",
                "2025-05-05",
                "2025-05-26",
                "2025-08-25",
                "2025-12-25",
                "2025-12-26"
            ]
        );
    }

    #[test]
    fn substitute_days_follow_a_weekend() {
        // 2022: Christmas on a Sunday, so Boxing Day is Monday 26th and Christmas moves to 27th.
        let days: Vec<String> = bank_holidays(2022)
            .iter()
            .map(|(d, _)| d.to_string())
            .collect();
        assert!(
            days.contains(&"2022-12-26".to_string()) && days.contains(&"2022-12-27".to_string())
        );
        // 2021: Christmas on a Saturday: Monday 27th and Tuesday 28th.
        let days: Vec<String> = bank_holidays(2021)
            .iter()
            .map(|(d, _)| d.to_string())
            .collect();
        assert!(
            days.contains(&"2021-12-27".to_string()) && days.contains(&"2021-12-28".to_string())
        );
        assert_eq!(
            easter_sunday(2024).map(|d| d.to_string()),
            Some("2024-03-31".into())
        );
    }
}
