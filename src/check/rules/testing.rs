//! For the rules' unit tests: a policy's findings of one rule, as `message [label]` lines.

use crate::source::Source;

/// Every finding of `code` for a policy written in the DSL (syntax and model errors included,
/// so a test sees a policy that did not read).
pub fn findings_of(code: &str, policy: &str) -> Vec<String> {
    let src = Source::new("test.policy", policy);
    crate::analyse(&src, None)
        .diagnostics
        .iter()
        .filter(|d| {
            d.code == code || d.code.starts_with("syntax::") || d.code.starts_with("model::")
        })
        .map(|d| {
            format!(
                "{}: {} [{}]",
                d.code,
                d.message,
                d.label.clone().unwrap_or_default()
            )
        })
        .collect()
}
