//! Inline suppressions: `# attend: allow AT201 -- reason` silences one rule on one line, as
//! ruff's `noqa` does. A suppression must give its reason, and one that silences nothing is
//! itself reported, so suppressions do not outlive the findings they were written for.

use crate::check::rules::RULES;
use crate::diagnostic::{Diagnostic, Severity};
use crate::source::{Source, Span};
use crate::syntax::Surface;
use crate::syntax::comments::{self, Dialect};

/// One `# attend: allow` comment.
struct Suppression {
    span: Span,
    /// The rule's code, once known to be a rule.
    code: String,
    /// The 1-based line it silences: its own when written after code, otherwise the next line
    /// with code on it.
    line: usize,
    has_reason: bool,
}

const FORM: &str = "write `# attend: allow AT201 -- the reason`, after the line's code or on \
                    the line above it";

/// Removes the findings `src`'s suppressions silence from `found`, and adds a warning for each
/// suppression that is malformed, gives no reason, or (when `complete`: every rule ran)
/// silences nothing.
pub fn apply(src: &Source, found: Vec<Diagnostic>, complete: bool) -> Vec<Diagnostic> {
    let dialect = match Surface::of_path(src.name()) {
        Surface::Toml => Dialect::Toml,
        Surface::Dsl => Dialect::Dsl,
    };
    let mut problems = Vec::new();
    let mut suppressions = Vec::new();
    for comment in comments::scan(src.text(), dialect) {
        let Some(rest) = comment.text.trim().strip_prefix("attend:") else {
            continue;
        };
        let (directive, reason) = match rest.split_once("--") {
            Some((directive, reason)) => (directive, reason.trim()),
            None => (rest, ""),
        };
        let words: Vec<&str> = directive.split_whitespace().collect();
        let [allow, code] = words[..] else {
            problems.push(problem(
                src,
                comment.span,
                "suppress::malformed",
                "this `attend:` comment is not a suppression".to_string(),
                FORM.to_string(),
            ));
            continue;
        };
        if allow != "allow" {
            problems.push(problem(
                src,
                comment.span,
                "suppress::malformed",
                format!("`{allow}` is not an `attend:` directive"),
                FORM.to_string(),
            ));
            continue;
        }
        let Some(rule) = RULES.iter().find(|r| r.code == code || r.name == code) else {
            let help = crate::diagnostic::did_you_mean_help(
                code,
                RULES.iter().flat_map(|r| [r.code, r.name]),
            )
            .unwrap_or_else(|| "`attend rules` lists every rule's code".to_string());
            problems.push(problem(
                src,
                comment.span,
                "suppress::unknown_rule",
                format!("`{code}` is not a rule, so this suppression silences nothing"),
                help,
            ));
            continue;
        };
        let line = if comment.trailing {
            src.line(comment.span.start)
        } else {
            next_code_line(src, comment.span.end)
        };
        suppressions.push((
            Suppression {
                span: comment.span,
                code: rule.code.to_string(),
                line,
                has_reason: !reason.is_empty(),
            },
            false,
        ));
    }
    let kept: Vec<Diagnostic> = found
        .into_iter()
        .filter(|d| {
            let Some((file, line, _)) = d.position() else {
                return true;
            };
            let silenced = suppressions.iter_mut().find(|(s, _)| {
                s.has_reason && s.code == d.code && s.line == line && file == src.name()
            });
            match silenced {
                Some((_, used)) => {
                    *used = true;
                    false
                }
                None => true,
            }
        })
        .collect();
    for (s, used) in &suppressions {
        if !s.has_reason {
            problems.push(problem(
                src,
                s.span,
                "suppress::no_reason",
                format!(
                    "this suppression of {} gives no reason, so it is not applied",
                    s.code
                ),
                format!(
                    "say why after `--`: `# attend: allow {} -- the reason`",
                    s.code
                ),
            ));
        } else if !used && complete {
            problems.push(problem(
                src,
                s.span,
                "suppress::unused",
                format!(
                    "this suppression silences nothing: {} reports nothing on line {}",
                    s.code, s.line
                ),
                "remove the comment, or move it to the line the finding points at".to_string(),
            ));
        }
    }
    let mut all = kept;
    all.extend(problems);
    all.sort_by_key(Diagnostic::sort_key);
    all
}

/// The 1-based number of the first line after `offset` with something other than a comment.
fn next_code_line(src: &Source, offset: usize) -> usize {
    let first = src.line(offset) + 1;
    let rest = src.text().get(offset..).unwrap_or("");
    for (i, text) in rest.lines().skip(1).enumerate() {
        let text = text.trim();
        if !text.is_empty() && !text.starts_with('#') {
            return first + i;
        }
    }
    first
}

fn problem(src: &Source, span: Span, code: &str, message: String, help: String) -> Diagnostic {
    Diagnostic {
        code: code.to_string(),
        severity: Severity::Warning,
        message,
        loc: Some(src.loc(span)),
        label: None,
        related: Vec::new(),
        help: Some(help),
        url: None,
        source: None,
        fix: None,
    }
}
