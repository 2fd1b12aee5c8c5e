//! AT303: a meeting the policy declares but no rule arranges.

use super::common::*;
use crate::model::ActionKind;

pub static RULE: Rule = Rule {
    code: "AT303",
    name: "meeting-never-held",
    severity: Severity::Info,
    source: "good practice: the letters and meetings a policy names (national-rules.md §10)",
    in_force: InForce::ALWAYS,
    docs: Docs {
        what: "Each meeting in `meetings { ... }`: some band, step, trigger or plan must arrange \
it. (A rule that arranges a meeting the policy does not declare is a `model::unknown_meeting` \
error.)",
        why: "A declared meeting no rule arranges is a promise in the document that the policy \
never keeps.",
        example: r#"meetings { parent "Meeting with the Attendance Officer" }"#,
        fix: "Arrange it from the rule the document describes (`meeting parent`), or remove it.",
    },
    check,
};

fn check(ctx: &Context) -> Vec<Finding> {
    let actions = all_actions(ctx.policy);
    ctx.policy
        .meetings
        .iter()
        .filter(|m| {
            !actions
                .iter()
                .any(|a| a.action.kind == ActionKind::Meeting(m.id.clone()))
        })
        .map(|m| {
            Finding::new(&m.loc, format!("the meeting `{}` is never held", m.id))
                .label("no rule arranges it")
                .help(format!(
                    "arrange it from a rule (`meeting {}`), or remove it",
                    m.id
                ))
        })
        .collect()
}
