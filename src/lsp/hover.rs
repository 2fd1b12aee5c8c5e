//! Hover: what the thing under the cursor means. On a finding, its rule's documentation and
//! citation (`attend explain`); on a register code, its meaning and class; on a metric, its
//! definition; on a band, the exact interval it compiles to, in whole sessions.

use std::fmt::Write;

use lsp_types::{Hover, HoverContents, MarkupContent, MarkupKind, Position};

use super::Findings;
use super::document::Document;
use crate::codes::{self, MarkClass};
use crate::syntax::ast::{File, Item};
use crate::table::RowKind;

/// The metrics of the condition language and what each counts, as docs/language.md defines
/// them.
pub const METRICS: &[(&str, &str)] = &[
    (
        "attendance",
        "present sessions ÷ possible sessions over the window, compared with a percentage \
         (`attendance >= 96%` is `present * 100 >= 96 * possible`)",
    ),
    (
        "absence",
        "absent sessions ÷ possible sessions over the window, compared with a percentage",
    ),
    (
        "possible",
        "sessions counted in the attendance denominator: every mark except the not-counted \
         ones (`X`, `Q`, `Y1`–`Y7`, `D`, `Z`, `#`)",
    ),
    (
        "present",
        "possible sessions marked present or at an approved educational activity",
    ),
    (
        "absent",
        "possible sessions marked absent, authorised or not",
    ),
    ("authorised", "sessions of authorised absence"),
    (
        "unauthorised",
        "sessions of unauthorised absence, counted in whole sessions",
    ),
    (
        "count",
        "`count(CODES, W)`: the sessions in the window marked with one of the codes",
    ),
    (
        "consecutive_days",
        "`consecutive_days(CODES)`: the run of consecutive school days, up to today, marked \
         only with the codes, in whole school days",
    ),
];

pub fn hover(doc: &Document, position: Position, findings: Findings) -> Option<Hover> {
    let offset = doc.offset(position);
    if let Some(text) = on_finding(doc, offset, findings) {
        return Some(markdown(text));
    }
    let (word, span) = doc.word_at(offset)?;
    let text = band(doc, word, span.start)
        .or_else(|| code(doc, word, span.start))
        .or_else(|| metric(word))
        .or_else(|| declared(doc, word))?;
    let mut hover = markdown(text);
    hover.range = Some(doc.range(span));
    Some(hover)
}

fn markdown(value: String) -> Hover {
    Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value,
        }),
        range: None,
    }
}

/// The documentation of each national rule with a finding covering the offset.
fn on_finding(doc: &Document, offset: usize, findings: Findings) -> Option<String> {
    let found = super::diagnostics::check(doc, findings);
    let mut out = String::new();
    for d in &found {
        let Some(loc) = &d.loc else { continue };
        if doc.range_of(loc).is_none() || offset < loc.span.start || offset > loc.span.end {
            continue;
        }
        let Some(rule) = crate::check::rules::find(&d.code) else {
            continue;
        };
        if !out.is_empty() {
            out.push_str("\n---\n\n");
        }
        // `attend explain` writes Markdown: headings, lists and its own code blocks.
        out.push_str(&rule.explain());
    }
    (!out.is_empty()).then_some(out)
}

/// A band's id: the rows `attend compile` makes of it.
fn band(doc: &Document, word: &str, at: usize) -> Option<String> {
    let Some(File::Policy(ast)) = doc.parse() else {
        return None;
    };
    let is_band = ast.node.items.iter().any(|item| match &item.node {
        Item::Bands(bands) => bands
            .bands
            .iter()
            .any(|b| b.node.id.node == word && b.node.id.loc.span.start == at),
        _ => false,
    });
    if !is_band {
        return None;
    }
    let analysis = crate::analyse(&doc.src, None);
    let Some(checked) = analysis.checked else {
        return Some(format!(
            "band `{word}`: its interval is shown once the policy has no errors"
        ));
    };
    let (table, _) = crate::table::compile(&checked);
    let mut out = format!("band `{word}`, as `attend compile` reads it:\n\n```text\n");
    for row in table
        .rows
        .iter()
        .filter(|r| r.kind == RowKind::Band && r.rule == word)
    {
        for (i, atom) in row.when.iter().enumerate() {
            let _ = writeln!(out, "{} {atom}", if i == 0 { "when" } else { " and" });
        }
        if let Some(written) = &row.written {
            let _ = writeln!(out, "as written \"{written}\"");
        }
        if let Some(stage) = &row.stage {
            let _ = writeln!(out, "stage {stage}");
        }
    }
    out.push_str("```\n");
    Some(out)
}

/// A register code inside a code set (`{G, N, O, U}`) or after `on each`.
fn code(doc: &Document, word: &str, at: usize) -> Option<String> {
    let info = codes::table().lookup_any(word)?;
    if !in_code_set(doc.text(), at) {
        return None;
    }
    let mut out = format!(
        "register code `{}`: {}\n\nclass: {}",
        info.code,
        info.meaning,
        info.class.as_str()
    );
    match (info.valid_from, info.valid_to) {
        (Some(from), _) => {
            let _ = write!(out, "\n\nin use from {from}");
        }
        (None, Some(to)) => {
            let _ = write!(out, "\n\nin use until {to}");
        }
        (None, None) => {}
    }
    Some(out)
}

/// Whether the offset is in a code set: after a `{` opened on the same line and not yet
/// closed, or right after `on each`, `count(` or `consecutive_days(`.
pub fn in_code_set(text: &str, at: usize) -> bool {
    let before = text.get(..at).unwrap_or("");
    let line = before.rsplit('\n').next().unwrap_or("");
    let in_braces = match (line.rfind('{'), line.rfind('}')) {
        (Some(open), Some(close)) => open > close,
        (Some(_), None) => true,
        _ => false,
    };
    let trimmed = line.trim_end();
    in_braces
        || ["each", "count(", "consecutive_days("]
            .iter()
            .any(|w| trimmed.ends_with(w))
}

/// A declared name: what kind of name it is and what the policy says of it.
fn declared(doc: &Document, word: &str) -> Option<String> {
    let file = doc.parse()?;
    let names = super::navigation::names(&file);
    let name = names.iter().find(|n| n.name == word)?;
    Some(match &name.detail {
        Some(detail) => format!("{} `{}`: {detail}", name.kind.as_str(), name.name),
        None => format!("{} `{}`", name.kind.as_str(), name.name),
    })
}

fn metric(word: &str) -> Option<String> {
    METRICS
        .iter()
        .find(|(name, _)| *name == word)
        .map(|(name, what)| {
            let classes: &[MarkClass] = match *name {
                "present" | "attendance" => &[MarkClass::Present, MarkClass::ApprovedActivity],
                "absent" | "absence" => &[MarkClass::Authorised, MarkClass::Unauthorised],
                "authorised" => &[MarkClass::Authorised],
                "unauthorised" => &[MarkClass::Unauthorised],
                _ => &[],
            };
            let mut out = format!("metric `{name}`: {what}");
            if !classes.is_empty() {
                // From the code table, so the list is the table's: the codes in use now.
                let codes: Vec<&str> = codes::table()
                    .rows()
                    .iter()
                    .filter(|c| c.valid_to.is_none() && classes.contains(&c.class))
                    .map(|c| c.code)
                    .collect();
                let _ = write!(out, "\n\ncounted codes: `{}`", codes.join("`, `"));
            }
            out
        })
}
