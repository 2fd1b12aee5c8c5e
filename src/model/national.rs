//! The national baseline every school policy can `extends national`: `policies/national.policy`,
//! compiled into the binary so a user's policy needs no other file.

use std::sync::LazyLock;

use super::{Policy, lower};
use crate::source::Source;

/// The name the built-in baseline's diagnostics and spans carry.
pub const NAME: &str = "national.policy";

pub const TEXT: &str = include_str!("../../policies/national.policy");

static NATIONAL: LazyLock<Result<Policy, String>> = LazyLock::new(|| {
    let src = Source::new(NAME, TEXT);
    let file = crate::syntax::dsl::parse_file(&src).map_err(|d| first_message(&d))?;
    let crate::syntax::ast::File::Policy(ast) = file else {
        return Err("not a policy".into());
    };
    // The baseline extends nothing, so lowering it cannot recurse into itself.
    let (mut policy, diagnostics) = lower(&ast);
    if diagnostics.iter().any(|d| d.is_error()) {
        return Err(first_message(&diagnostics));
    }
    for d in &mut policy.definitions {
        d.origin = super::Origin::National;
    }
    for t in &mut policy.triggers {
        t.origin = super::Origin::National;
    }
    for e in &mut policy.escalations {
        e.origin = super::Origin::National;
    }
    let pn = &mut policy.penalty_notices;
    if let Some(t) = &mut pn.threshold {
        t.origin = super::Origin::National;
    }
    if let Some(l) = &mut pn.limit {
        l.origin = super::Origin::National;
    }
    for f in pn.fines.iter_mut().chain(pn.second_fines.iter_mut()) {
        f.origin = super::Origin::National;
    }
    for limit in [
        &mut policy.limits.register_open_minutes,
        &mut policy.limits.sessions_per_year,
    ]
    .into_iter()
    .flatten()
    {
        limit.2 = super::Origin::National;
    }
    Ok(policy)
});

fn first_message(diagnostics: &[crate::diagnostic::Diagnostic]) -> String {
    diagnostics
        .first()
        .map_or_else(|| "unknown problem".into(), |d| d.message.clone())
}

/// The lowered national baseline, or why it could not be built (a bug in attend).
pub fn policy() -> Result<&'static Policy, String> {
    NATIONAL.as_ref().map_err(Clone::clone)
}
