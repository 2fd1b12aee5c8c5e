//! AT305: a trigger on an attendance or absence ratio with no evidence guard, which can fire in
//! the first days of the year on one or two sessions.

use super::common::*;
use crate::model::normal::{self, Atom};
use crate::model::{Origin, Percent, RatioMetric, Window};

pub static RULE: Rule = Rule {
    code: "AT305",
    name: "trigger-without-evidence-guard",
    severity: Severity::Info,
    source: "good practice (docs/language.md, triggers: evidence guards); national-rules.md §2",
    in_force: InForce::ALWAYS,
    docs: Docs {
        what: "School triggers without `from N possible sessions` whose condition reads an \
attendance or absence ratio over `year_to_date`, `this_term` or `this_half_term` and can hold \
for a pupil who has missed every session so far (0% attendance), with no count in it that \
needs more than a school week's sessions (10) or a stage beyond the first.",
        why: "On the first morning of the year a pupil absent for one session is at 0% \
attendance: a trigger at \"below 90%\" fires, with its letters, referrals or notification of \
the local authority, on one session's evidence. Persistent and severe absence are measured \
across the school year (national-rules.md §2); bands have the same guard (AT301).",
        example: r#"trigger "LA referral" when attendance(year_to_date) < 90% then notify local_authority"#,
        fix: "Add a guard: `trigger \"LA referral\" from 20 possible sessions when ...` (two school \
weeks).",
    },
    check,
};

/// The sessions of the first school week: a count needing more cannot hold in the first days.
const FIRST_DAYS_SESSIONS: u32 = 10;

fn check(ctx: &Context) -> Vec<Finding> {
    ctx.policy
        .triggers
        .iter()
        .filter(|t| t.origin == Origin::School && t.min_possible == 0 && !t.actions.is_empty())
        // Looked at only at the end of a half-term or later: never in the first days.
        .filter(|t| !matches!(t.looked_at, Some(crate::model::LookedAt::EndOf(_))))
        .filter(|t| {
            normal::rows(ctx.policy, &t.condition).is_some_and(|rows| {
                rows.iter().any(|(row, ok)| *ok && holds_at_zero(row))
            })
        })
        .map(|t| {
            Finding::new(
                &first_line(&t.loc),
                format!(
                    "the trigger `{}` can fire in the first days of the year: a pupil absent on the first morning is at 0% attendance (0 of 1 sessions)",
                    t.name
                ),
            )
            .label("no `from N possible sessions`")
            .help("add an evidence guard after the name, e.g. `from 20 possible sessions`")
        })
        .collect()
}

/// Whether a row reads a ratio that restarts with the period, and every ratio it reads holds
/// for a pupil absent every session so far (attendance 0%, absence 100%), with no count that
/// needs more than the first week's sessions.
fn holds_at_zero(row: &[Atom]) -> bool {
    let mut reads_ratio = false;
    for a in row {
        match a {
            Atom::Ratio {
                metric,
                window,
                interval,
            } => {
                if !matches!(
                    window,
                    Window::YearToDate | Window::ThisTerm | Window::ThisHalfTerm
                ) {
                    return false;
                }
                let at = match metric {
                    RatioMetric::Attendance => Percent::ZERO,
                    RatioMetric::Absence => Percent::HUNDRED,
                };
                if !interval.contains(at) {
                    return false;
                }
                reads_ratio = true;
            }
            // More than a school week's sessions cannot be counted in the first days.
            Atom::Count { range, .. } if range.lo > FIRST_DAYS_SESSIONS => return false,
            // A pupil reaches a later stage only after earlier ones: not in the first days.
            Atom::Stage { lo, .. } if *lo > 0 => return false,
            _ => {}
        }
    }
    reads_ratio
}
