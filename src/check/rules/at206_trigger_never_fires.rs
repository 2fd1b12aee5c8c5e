//! AT206: a trigger or escalation step whose condition no pupil can meet.

use super::common::*;
use crate::model::normal::{self, Atom};
use crate::model::{Condition, CountMetric, Origin, Policy, RatioMetric};

pub static RULE: Rule = Rule {
    code: "AT206",
    name: "trigger-never-fires",
    severity: Severity::Warning,
    source: "the policy's own rules (docs/language.md, triggers)",
    in_force: InForce::ALWAYS,
    docs: Docs {
        what: "Each trigger and guarded escalation step of the school's: some way its condition \
can hold must be open to a real pupil. A way is closed when its comparisons contradict each \
other (`attendance < 80% and attendance >= 90%`), when no whole number of sessions within the \
window (two a school day, ten a school week, 400 a school year) gives a percentage in range \
(`attendance(rolling 1 school_weeks) > 95% and < 100%`: 9 of 10 is 90%), or when a count must \
exceed what the window can hold (`count(L, last 3 school_days) >= 10`: at most 6 sessions).",
        why: "A rule that can never fire gives a reader a promise the policy never keeps: the \
letter is never sent, the meeting never held.",
        example: r#"trigger "late streak" when count(L, last 3 school_days) >= 10 then letter lateness"#,
        fix: "Correct the condition: widen the window, lower the count, or fix the comparison that \
contradicts the others.",
    },
    check,
};

fn check(ctx: &Context) -> Vec<Finding> {
    let policy = ctx.policy;
    let mut out = Vec::new();
    for t in policy
        .triggers
        .iter()
        .filter(|t| t.origin == Origin::School)
    {
        if let Some(why) = never(policy, &t.condition, t.min_possible) {
            out.push(
                Finding::new(
                    &first_line(&t.loc),
                    format!("the trigger `{}` can never fire: {why}", t.name),
                )
                .label("no pupil meets this condition")
                .help("correct the condition so a real pupil can meet it"),
            );
        }
    }
    for e in policy
        .escalations
        .iter()
        .filter(|e| e.origin == Origin::School)
    {
        for step in &e.steps {
            let Some(guard) = &step.guard else { continue };
            if let Some(why) = never(policy, guard, 0) {
                out.push(
                    Finding::new(
                        &first_line(&step.loc),
                        format!("day {} of `{}` can never fire: {why}", step.day, e.name),
                    )
                    .label("no pupil meets this guard")
                    .help("correct the guard so a real pupil can meet it"),
                );
            }
        }
    }
    out
}

/// Why no pupil can meet the condition, or `None` if some can (or it is too complex to tell).
fn never(policy: &Policy, condition: &Condition, min_possible: u32) -> Option<String> {
    let rows = normal::rows(policy, condition)?;
    let mut reasons = Vec::new();
    for (row, ok) in &rows {
        if !ok {
            reasons.push("its comparisons contradict each other".to_string());
            continue;
        }
        match closed(row, min_possible) {
            Some(reason) => reasons.push(reason),
            None => return None,
        }
    }
    reasons.into_iter().next()
}

fn closed(row: &[Atom], min_possible: u32) -> Option<String> {
    for atom in row {
        match atom {
            Atom::Ratio {
                window, interval, ..
            } => {
                let max = shape::max_possible(*window);
                if shape::smallest_pair(interval, min_possible, max).is_none() {
                    return Some(format!(
                        "no pupil with at most {max} possible sessions over `{window}` has {}",
                        shape::describe(RatioMetric::Attendance, interval)
                    ));
                }
                if min_possible > max {
                    return Some(format!(
                        "it needs {min_possible} possible sessions, but `{window}` holds at most {max}"
                    ));
                }
            }
            Atom::Count {
                metric:
                    metric @ (CountMetric::Sessions { window, .. } | CountMetric::Codes { window, .. }),
                range,
            } => {
                let max = shape::max_possible(*window);
                if range.lo > max {
                    return Some(format!(
                        "`{metric}` must reach {}, but `{window}` holds at most {max} sessions",
                        range.lo
                    ));
                }
            }
            Atom::Count { .. }
            | Atom::Share { .. }
            | Atom::Flag { .. }
            | Atom::YearGroup { .. }
            | Atom::Stage { .. }
            | Atom::Period { .. } => {}
        }
    }
    None
}
