//! AT006: the limit on penalty notices is not two for the same child in three years.

use super::common::*;
use crate::model::Origin;

pub static RULE: Rule = Rule {
    code: "AT006",
    name: "penalty-notice-limit-not-national",
    severity: Severity::Error,
    source: "PNF; Education (Penalty Notices) (England) (Amendment) Regulations 2024 (national-rules.md §3)",
    in_force: InForce::ALWAYS,
    docs: Docs {
        what: "The school's `penalty_notices { limit N in Y years }`: it must be `limit 2 in 3 \
years`.",
        why: "At most two penalty notices may be issued to the same parent for the same child \
within a rolling three years; at a third offence other action (prosecution) is considered \
instead (national-rules.md §3, confirmed in seed 002 §10).",
        example: "penalty_notices { limit 3 in 3 years }",
        fix: "Write `limit 2 in 3 years`, or leave the limit out and `extends national`.",
    },
    check,
};

fn check(ctx: &Context) -> Vec<Finding> {
    let Some(limit) = &ctx.policy.penalty_notices.limit else {
        return Vec::new();
    };
    if limit.origin != Origin::School || (limit.notices, limit.years) == (2, 3) {
        return Vec::new();
    }
    vec![
        Finding::new(
            &limit.loc,
            format!(
                "the policy allows {} penalty notices in {} years for the same child",
                limit.notices, limit.years
            ),
        )
        .label("not the national limit")
        .help("the national limit is `limit 2 in 3 years`"),
    ]
}
