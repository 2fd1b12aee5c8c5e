//! Check: the national framework's rules and the shape of the policy's own bands and rules.
//! A [`CheckedPolicy`] can only be made here, so the table compiler only ever sees a policy
//! that was well-formed; findings about the law never stop compilation, they are reported.
//!
//! **Architecture invariant:** the checker reads the model (and its normal form) only; it
//! knows nothing of the decision table, which is compiled after it.

mod rule;
pub mod rules;
pub mod shape;

pub use rule::{Context, Docs, Finding, InForce, REG24_IN_FORCE, Rule, first_line};

use crate::diagnostic::Diagnostic;
use crate::model::{Policy, national};

/// A policy the checker has seen: well-formed, though it may break national rules.
#[derive(Clone, Debug)]
pub struct CheckedPolicy {
    policy: Policy,
}

impl CheckedPolicy {
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    pub fn into_policy(self) -> Policy {
        self.policy
    }
}

/// Runs every check. `model_diagnostics` are the lowering's own findings: a policy with a
/// model error is not well-formed, so no `CheckedPolicy` is made for it; the rules still run on
/// what was lowered, so one run reports every finding it can compute, except that nothing is
/// reported as missing (a statement with an error is missing from the model, not the policy).
pub fn check(
    policy: Policy,
    model_diagnostics: &[Diagnostic],
) -> (Option<CheckedPolicy>, Vec<Diagnostic>) {
    if model_diagnostics.iter().any(Diagnostic::is_error) {
        return (None, rules_on(&policy, true));
    }
    let findings = run_rules(&policy);
    (Some(CheckedPolicy { policy }), findings)
}

/// Every rule in force on the policy's ratification date, in catalogue order.
pub fn run_rules(policy: &Policy) -> Vec<Diagnostic> {
    rules_on(policy, false)
}

/// Rules that conclude from something being absent from the model (no band holds here, no
/// action sends this letter, no term makes up the year): on a policy with model errors the
/// statement with the error is what is absent, so they are not run there.
const CONCLUDE_FROM_ABSENCE: &[&str] = &[
    "AT002", "AT010", "AT107", "AT108", "AT201", "AT206", "AT302", "AT303",
];

fn rules_on(policy: &Policy, partial: bool) -> Vec<Diagnostic> {
    let ctx = Context {
        policy,
        judged_on: policy.ratified.as_ref().map(|(d, _)| *d),
        baseline: is_baseline(policy),
        partial,
    };
    let mut out = Vec::new();
    for rule in rules::RULES {
        if !rule.in_force.applies_on(ctx.judged_on) {
            continue;
        }
        if partial && CONCLUDE_FROM_ABSENCE.contains(&rule.code) {
            continue;
        }
        out.extend((rule.check)(&ctx).into_iter().map(|f| rule.diagnostic(f)));
    }
    out
}

/// The national baseline itself, in either surface: it extends nothing and bears the
/// baseline's name. It is the framework, not a school's policy, so the rules about what a
/// school's policy must say do not apply to it.
fn is_baseline(policy: &Policy) -> bool {
    policy.loc.src.text() == national::TEXT
        || (policy.extends_national.is_none()
            && national::policy().is_ok_and(|n| n.name == policy.name))
}
