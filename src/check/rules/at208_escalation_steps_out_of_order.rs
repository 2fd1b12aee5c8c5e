//! AT208: an escalation's steps are not written in order of day.

use super::common::*;
use crate::model::Origin;

pub static RULE: Rule = Rule {
    code: "AT208",
    name: "escalation-steps-out-of-order",
    severity: Severity::Warning,
    source: "the policy's own escalations",
    in_force: InForce::ALWAYS,
    docs: Docs {
        what: "Each escalation of the school's: its steps must be written in order of day.",
        why: "Steps fire on the day the run reaches them, whatever order they are written in; a \
ladder written out of order reads as a different sequence from the one that happens, and \
usually means a day was mistyped.",
        example: r#"escalation "unexplained" days marked {N, O} {
  day 5: letter five-day
  day 3: letter three-day
}"#,
        fix: "Write the steps in order of day, and check the days against the policy document.",
    },
    check,
};

fn check(ctx: &Context) -> Vec<Finding> {
    let mut out = Vec::new();
    for e in ctx
        .policy
        .escalations
        .iter()
        .filter(|e| e.origin == Origin::School)
    {
        let mut latest: Option<&crate::model::Step> = None;
        for step in &e.steps {
            if let Some(prev) = latest
                && step.day < prev.day
            {
                out.push(
                    Finding::new(
                        &first_line(&step.loc),
                        format!(
                            "day {} is written after day {} in `{}`",
                            step.day, prev.day, e.name
                        ),
                    )
                    .label(format!("day {}", step.day))
                    .related(&first_line(&prev.loc), format!("day {}", prev.day))
                    .help("write the steps in order of day"),
                );
                continue;
            }
            latest = Some(step);
        }
    }
    out
}
