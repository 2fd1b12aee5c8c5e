//! AT302: a letter the policy declares but no rule sends.

use super::common::*;
use crate::model::ActionKind;

pub static RULE: Rule = Rule {
    code: "AT302",
    name: "letter-never-sent",
    severity: Severity::Info,
    source: "good practice: the letters and meetings a policy names (national-rules.md §10)",
    in_force: InForce::ALWAYS,
    docs: Docs {
        what: "Each letter in `letters { ... }`: some band, step, trigger or plan must send it. \
(A rule that sends a letter the policy does not declare is a `model::unknown_letter` error.)",
        why: "A declared letter no rule sends is either dead text or a step the school forgot to \
write: the document promises a letter that attend will never produce.",
        example: r#"letters { concern "letters/concern.md" }"#,
        fix: "Send it from the rule the document describes (`on enter: letter concern`), or remove \
it.",
    },
    check,
};

fn check(ctx: &Context) -> Vec<Finding> {
    let actions = all_actions(ctx.policy);
    ctx.policy
        .letters
        .iter()
        .filter(|l| {
            !actions
                .iter()
                .any(|a| a.action.kind == ActionKind::Letter(l.id.clone()))
        })
        .map(|l| {
            Finding::new(&l.loc, format!("the letter `{}` is never sent", l.id))
                .label("no rule sends it")
                .help(format!(
                    "send it from a rule (`letter {}`), or remove it",
                    l.id
                ))
        })
        .collect()
}
