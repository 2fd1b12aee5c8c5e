//! Edits the server offers: the whole document in `attend fmt`'s canonical form, and a quick
//! fix for each finding whose fix is mechanical: the one it carries (a misspelt name and its
//! "did you mean", `Diagnostic::fix`), and a band's strict boundary that should include the
//! value a definition includes (AT212: `below 90%` made `90% and below`).

use std::collections::HashMap;

use lsp_types::{CodeAction, CodeActionKind, CodeActionOrCommand, Range, TextEdit, WorkspaceEdit};

use super::document::Document;
use crate::syntax::{self, Surface};

/// `attend fmt`'s output as one edit replacing the document; no edit when it is already in
/// canonical form, `None` when it does not parse (there is nothing to format yet) or is an
/// iCalendar feed, which `attend fmt` does not rewrite.
pub fn format(doc: &Document) -> Option<Vec<TextEdit>> {
    if crate::ics::is_icalendar(doc.text()) {
        return None;
    }
    let parsed = syntax::parse(&doc.src).ok()?;
    let text = syntax::print(&parsed, Surface::of_path(doc.src.name()));
    if text == doc.text() {
        return Some(Vec::new());
    }
    let whole = Range::new(doc.position(0), doc.position(doc.text().len()));
    Some(vec![TextEdit::new(whole, text)])
}

/// A quick fix for each of the editor's diagnostics that has a mechanical one.
pub fn code_actions(
    doc: &Document,
    diagnostics: &[lsp_types::Diagnostic],
) -> Vec<CodeActionOrCommand> {
    diagnostics
        .iter()
        .filter_map(|d| {
            let edit = carried(d).or_else(|| inclusive_boundary(doc, d))?;
            let title = format!("replace with `{}`", edit.new_text);
            // lsp-types keys a workspace edit by `Uri`, which clippy sees as mutable.
            #[allow(clippy::mutable_key_type)]
            let changes = HashMap::from([(doc.uri.clone(), vec![edit])]);
            Some(CodeActionOrCommand::CodeAction(CodeAction {
                title,
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![d.clone()]),
                edit: Some(WorkspaceEdit::new(changes)),
                is_preferred: Some(true),
                ..CodeAction::default()
            }))
        })
        .collect()
}

/// The fix the finding carries (`Diagnostic::fix`, published in its `data`): a misspelt name
/// and its "did you mean".
fn carried(d: &lsp_types::Diagnostic) -> Option<TextEdit> {
    let fix = d.data.as_ref()?.get("fix")?;
    serde_json::from_value(fix.clone()).ok()
}

/// The national rule whose finding is a strict boundary that should be inclusive.
const BOUNDARY_RULE: &str = "AT212";

/// A one-sided strict range (`below 90%`, `< 90%`, `above 50%`, `> 50%`) written inclusive
/// (`90% and below`, `50% and above`), as the definition it should agree with is.
fn inclusive_boundary(doc: &Document, d: &lsp_types::Diagnostic) -> Option<TextEdit> {
    if d.code != Some(lsp_types::NumberOrString::String(BOUNDARY_RULE.into())) {
        return None;
    }
    let written = doc
        .text()
        .get(doc.offset(d.range.start)..doc.offset(d.range.end))?;
    let lower = written.trim().to_lowercase();
    const BELOW: &[&str] = &[
        "below",
        "under",
        "less than",
        "lower than",
        "fewer than",
        "<",
    ];
    const ABOVE: &[&str] = &[
        "above",
        "over",
        "more than",
        "greater than",
        "higher than",
        ">",
    ];
    let strip = |words: &[&str]| {
        words.iter().find_map(|w| {
            let rest = lower.strip_prefix(w)?.trim();
            let digits = rest.strip_suffix('%')?;
            let is_number =
                !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit() || c == '.');
            (is_number && !rest.starts_with('=')).then(|| rest.to_string())
        })
    };
    let replacement = match (strip(BELOW), strip(ABOVE)) {
        (Some(p), _) => format!("{p} and below"),
        (None, Some(p)) => format!("{p} and above"),
        (None, None) => return None,
    };
    Some(TextEdit::new(d.range, replacement))
}
