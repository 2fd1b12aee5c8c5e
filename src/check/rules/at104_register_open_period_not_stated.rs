//! AT104: the policy does not say when a register opens or closes.

use super::common::*;
use crate::model::SessionName;

pub static RULE: Rule = Rule {
    code: "AT104",
    name: "register-open-period-not-stated",
    severity: Severity::Warning,
    source: "WT, registration (national-rules.md §5, §10)",
    in_force: InForce::from(REG24_IN_FORCE),
    docs: Docs {
        what: "Each session the calendar states (`session am ...`, `session pm ...`) must give \
both when its register opens and when it closes. A policy that states no register times at all \
is reported by AT107 instead.",
        why: "The policy must state how long the register stays open, and it should be the same \
for every session (national-rules.md §5); the school day's timings and register-close times are \
part of what a policy must contain (§10). Without both ends nobody can tell whether the register \
closes within 30 minutes, nor when arrival becomes `U`.",
        example: "calendar { session pm closes 13:45 }",
        fix: "State both times: `session pm opens 13:15 closes 13:45`.",
    },
    check,
};

fn check(ctx: &Context) -> Vec<Finding> {
    let mut out = Vec::new();
    for s in &ctx.policy.calendar.sessions {
        let missing = match (s.opens, s.closes) {
            (Some(_), Some(_)) => continue,
            (None, Some(_)) => "opens",
            (Some(_), None) => "closes",
            (None, None) => "opens or closes",
        };
        let name = match s.session {
            SessionName::Am => "morning",
            SessionName::Pm => "afternoon",
        };
        out.push(
            Finding::new(
                &s.loc,
                format!("the policy does not say when the {name} register {missing}"),
            )
            .label(format!("no `{}` time", missing.replace(" or ", "` or `")))
            .help("state both times, e.g. `session pm opens 13:15 closes 13:45`"),
        );
    }
    out
}
