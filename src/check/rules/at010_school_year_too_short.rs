//! AT010: a school year in the calendar holds fewer sessions than the regulations require.

use super::common::*;
use crate::model::{Origin, SchoolType};

pub static RULE: Rule = Rule {
    code: "AT010",
    name: "school-year-too-short",
    severity: Severity::Error,
    source: "SDSY99 reg 3(2) (national-rules.md §6)",
    in_force: InForce::ALWAYS,
    docs: Docs {
        what: "Each academic year of the calendar: its school days (weekdays in term that no \
closure covers) times two sessions must reach `sessions_per_year` (380 from the national \
baseline; 378 for the years 2011-12 and 2021-22). Also a `limits { sessions_per_year N }` of \
the school's below 380. The finding is an error for a maintained school (or one that does not \
say its type) and a warning for an academy; independent schools are not reported.",
        why: "A maintained school must hold at least 380 sessions in a school year (SDSY99 reg \
3(2), confirmed); sessions it was prevented from holding count as held (reg 3(3)), which attend \
cannot tell from a calendar, so it counts only the sessions planned. The regulations do not \
apply to academies, whose funding agreements set the school year (in practice the same figure), \
so for an academy a short year is a warning. The figure was 378 for 2011-12 and 2021-22 \
(national-rules.md §6). national-rules.md says nothing of independent schools.",
        example: r#"calendar "2024-25" {
  term autumn 2024-09-02 .. 2024-12-20
  term spring 2025-01-06 .. 2025-03-28
}"#,
        fix: "Check the term dates and closures; a full year of three terms less INSET days holds \
about 380 sessions.",
    },
    check,
};

fn check(ctx: &Context) -> Vec<Finding> {
    let policy = ctx.policy;
    let severity = match policy.school_type.as_ref().map(|(t, _)| *t) {
        Some(SchoolType::Independent) => return Vec::new(),
        Some(SchoolType::Academy) => Severity::Warning,
        Some(SchoolType::Maintained) | None => Severity::Error,
    };
    let mut out = Vec::new();
    let required = match &policy.limits.sessions_per_year {
        Some((n, loc, origin)) => {
            if *origin == Origin::School && *n < 380 && !ctx.baseline {
                out.push(
                    Finding::new(loc, format!("`sessions_per_year {n}` is below the 380 sessions a school year must hold"))
                        .label("below the national figure")
                        .help("write `sessions_per_year 380`")
                        .severity(severity),
                );
            }
            *n
        }
        None => 380,
    };
    let calendar = &policy.calendar;
    for year in &calendar.years {
        if year.terms.is_empty() {
            continue;
        }
        let mut days: Vec<chrono::NaiveDate> = year
            .terms
            .iter()
            .flat_map(|t| t.start.iter_days().take_while(move |d| *d <= t.end))
            .filter(|d| calendar.is_school_day(*d))
            .collect();
        days.sort();
        days.dedup();
        let sessions = u32::try_from(days.len())
            .unwrap_or(u32::MAX)
            .saturating_mul(2);
        let label = year.label.clone().unwrap_or_default();
        let needed = if label == "2011-12" || label == "2021-22" {
            required.min(378)
        } else {
            required
        };
        if sessions < needed {
            let name = year.label.as_ref().map_or_else(
                || "the school year".to_string(),
                |l| format!("the school year {l}"),
            );
            out.push(
                Finding::new(&first_line(&year.loc), format!(
                    "{name} holds {sessions} sessions ({} school days), fewer than the {needed} required",
                    days.len()
                ))
                .label(format!("{sessions} sessions"))
                .help("check the term dates and closures against the school's published calendar")
                .severity(severity),
            );
        }
    }
    out
}
