//! AT209: two steps of one escalation on the same day with the same guard.

use super::common::*;
use crate::model::Origin;

pub static RULE: Rule = Rule {
    code: "AT209",
    name: "escalation-step-duplicated",
    severity: Severity::Warning,
    source: "the policy's own escalations",
    in_force: InForce::ALWAYS,
    docs: Docs {
        what: "Each escalation of the school's: no two steps on the same day with the same guard \
(or both unguarded).",
        why: "Two such steps fire together, so the ladder is really one step written twice; \
usually one of the days is a typing slip.",
        example: r#"escalation "unexplained" days marked {N, O} {
  day 3: home_visit
  day 3: letter three-day
}"#,
        fix: "Merge the two steps (`day 3: home_visit, letter three-day`), or correct the day.",
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
        for (i, step) in e.steps.iter().enumerate() {
            if let Some(first) = e
                .steps
                .iter()
                .take(i)
                .find(|s| s.day == step.day && s.guard == step.guard)
            {
                out.push(
                    Finding::new(
                        &first_line(&step.loc),
                        format!("`{}` has two steps for day {}", e.name, step.day),
                    )
                    .label("second step for this day")
                    .related(&first_line(&first.loc), "first step for this day")
                    .help("merge the steps, or correct the day"),
                );
            }
        }
    }
    out
}
