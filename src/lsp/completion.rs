//! Completion: the words that may come next where the cursor is. Statements (each with a
//! snippet) at the top of a policy, `band` in a bands block, metrics, windows and defined
//! names in a condition, register codes in a code set, and the declared names after the word
//! that takes them (`letter`, `by`, `stage`, `meeting`).

use lsp_types::{
    CompletionItem, CompletionItemKind, CompletionResponse, InsertTextFormat, Position,
};

use super::document::Document;
use super::hover::{METRICS, in_code_set};
use super::navigation::{NameKind, names};
use crate::codes;
use crate::source::Source;
use crate::syntax::{self, ast::File};

/// Each statement of a policy, with a snippet an author fills in.
const STATEMENTS: &[(&str, &str)] = &[
    ("extends", "extends ${1:national}"),
    ("urn", "urn ${1:100000}"),
    (
        "phase",
        "phase ${1|primary,secondary,all_through,special,alternative_provision|}",
    ),
    ("document", "document ${1:excerpt}"),
    ("type", "type ${1:academy}"),
    ("target", "target ${1:96}%"),
    ("ratified", "ratified ${1:2025-09-01}"),
    ("review", "review ${1:2026-09-01}"),
    (
        "cites",
        "cites ${1|act,regulations,guidance,policy|} \"${2:title}\"",
    ),
    (
        "roles",
        "roles {\n  ${1:attendance_lead} \"${2:Attendance Lead}\"\n}",
    ),
    (
        "procedures",
        "procedures {\n  ${1:first_day_calling} \"${2:what staff do}\"\n}",
    ),
    (
        "letters",
        "letters {\n  ${1:concern} \"${2:Attendance concern}\"\n}",
    ),
    (
        "meetings",
        "meetings {\n  ${1:attendance_meeting} \"${2:Attendance meeting with parents}\"\n}",
    ),
    (
        "calendar",
        "calendar \"${1:2025-26}\" {\n  session am opens 08:40 late_after 08:55 closes 09:10\n  term autumn ${2:2025-09-03} to ${3:2025-12-19}\n}",
    ),
    (
        "stages",
        "stages {\n  ${1:monitor} is monitor \"${2:what happens}\"\n}",
    ),
    (
        "define",
        "define ${1:persistent_absence} when ${2:attendance(year_to_date) < 90%}",
    ),
    (
        "bands",
        "bands attendance over ${1:year_to_date} {\n  band ${2:expected} \"${3:Expected}\" ${4:96%} and above stage ${5:expect}\n}",
    ),
    (
        "escalation",
        "escalation \"${1:first day absence}\" days marked {${2:N}} {\n  day 1: ${3:contact \"call home\" by attendance_officer}\n}",
    ),
    (
        "trigger",
        "trigger \"${1:name}\" when ${2:unauthorised(rolling 10 school_weeks) >= 10 sessions} then ${3:consider penalty_notice}",
    ),
    (
        "plan",
        "plan \"${1:attendance plan}\" at ${2:facilitate} {\n  review after ${3:6} school_weeks\n  target ${4:attendance(rolling 6 school_weeks) >= 90%}\n}",
    ),
    (
        "penalty_notices",
        "penalty_notices {\n  threshold ${1:10} sessions in rolling ${2:10} school_weeks\n  limit ${3:2} in ${4:3} years\n}",
    ),
    (
        "ladder",
        "ladder \"${1:stages}\" attendance over ${2:year_to_date} from 20 possible sessions in order {\n  band ${3:stage_1} \"${4:Stage 1}\" ${5:under 96%} stage ${6:monitor}\n}",
    ),
    (
        "schedule",
        "schedule ${1:pa_days} per ${2|half_term,term|} {\n  1: ${3:3.5 days}\n}",
    ),
    (
        "limits",
        "limits {\n  ${1:register_open} ${2:30} ${3|minutes,sessions|}\n}",
    ),
];

/// What a calendar block holds, each with a snippet.
const CALENDAR_ITEMS: &[(&str, &str)] = &[
    (
        "session",
        "session ${1|am,pm|} opens ${2:08:40} late_after ${3:08:55} closes ${4:09:10}",
    ),
    (
        "term",
        "term ${1:autumn} ${2:2025-09-03} to ${3:2025-12-19}",
    ),
    ("half_term", "half_term ${1:2025-10-27} to ${2:2025-10-31}"),
    (
        "holiday",
        "holiday ${1:2025-12-22} to ${2:2026-01-02} \"${3:Christmas}\"",
    ),
    (
        "bank_holiday",
        "bank_holiday ${1:2026-05-04} \"${2:Early May}\"",
    ),
    ("inset", "inset ${1:2025-09-01}"),
    ("closed", "closed ${1:2026-02-02} \"${2:snow}\""),
];

/// A band in a bands block.
const BAND: &str = "band ${1:id} \"${2:Label}\" ${3:96%} and above stage ${4:expect}";

/// What a condition is made of besides metrics.
const CONDITION_WORDS: &[&str] = &[
    "and",
    "or",
    "not",
    "judged",
    "year_to_date",
    "this_term",
    "this_half_term",
    "rolling",
    "last",
    "school_weeks",
    "school_days",
    "sessions",
    "days",
    "half_days",
    "pupil.sen",
    "pupil.sen_support",
    "pupil.ehc_plan",
    "pupil.fsm",
    "pupil.social_worker",
    "pupil.looked_after",
    "pupil.child_protection_plan",
    "pupil.compulsory_school_age",
    "pupil.year_group",
    "pupil.stage",
];

/// The six stages of the framework, which `extends national` declares.
const FRAMEWORK_STAGES: &[&str] = &[
    "expect",
    "monitor",
    "listen",
    "facilitate",
    "formalise",
    "enforce",
];

pub fn complete(doc: &Document, position: Position) -> Option<CompletionResponse> {
    let offset = doc.offset(position);
    let text = doc.text();
    let before = text.get(..offset)?;
    let line = before.rsplit('\n').next().unwrap_or("");
    // The word being typed is not part of the context.
    let context = line.trim_end_matches(|c: char| c.is_alphanumeric() || c == '_' || c == '.');
    let previous = context.split_whitespace().last().unwrap_or("");
    let declared = declared_names(doc, offset);
    let named = |kinds: &[NameKind]| -> Vec<CompletionItem> {
        let mut items: Vec<CompletionItem> = declared
            .iter()
            .filter(|(kind, _, _)| kinds.contains(kind))
            .map(|(kind, name, detail)| {
                item(
                    name,
                    CompletionItemKind::REFERENCE,
                    Some(kind.as_str()),
                    detail.as_deref(),
                )
            })
            .collect();
        if kinds.contains(&NameKind::Stage) {
            items.extend(
                FRAMEWORK_STAGES
                    .iter()
                    .filter(|s| !declared.iter().any(|(_, n, _)| n == *s))
                    .map(|s| {
                        item(
                            s,
                            CompletionItemKind::ENUM_MEMBER,
                            Some("stage"),
                            Some("a stage of the support-first framework"),
                        )
                    }),
            );
        }
        items
    };
    let items = if in_code_set(text, offset - (line.len() - context.len())) {
        codes::table()
            .rows()
            .iter()
            .filter(|c| c.valid_to.is_none())
            .map(|c| {
                item(
                    c.code,
                    CompletionItemKind::CONSTANT,
                    Some(c.class.as_str()),
                    Some(&c.meaning),
                )
            })
            .collect()
    } else {
        match previous.trim_end_matches(':') {
            "letter" => named(&[NameKind::Letter]),
            "by" | "responsible" => named(&[NameKind::Role]),
            "stage" | "at" | "escalate_to" => named(&[NameKind::Stage]),
            "meeting" => named(&[NameKind::Meeting]),
            "procedure" | "follow" => named(&[NameKind::Procedure]),
            _ if in_condition(context) => {
                let mut items: Vec<CompletionItem> = METRICS
                    .iter()
                    .map(|(m, what)| {
                        item(m, CompletionItemKind::FUNCTION, Some("metric"), Some(what))
                    })
                    .collect();
                items.extend(
                    CONDITION_WORDS
                        .iter()
                        .map(|w| item(w, CompletionItemKind::KEYWORD, None, None)),
                );
                items.extend(named(&[NameKind::Definition]));
                items
            }
            _ => match block(before, doc.src.name().ends_with(".calendar")) {
                Block::Top => STATEMENTS.iter().map(|(k, s)| snippet(k, s)).collect(),
                Block::Bands => vec![snippet("band", BAND)],
                Block::Calendar => CALENDAR_ITEMS.iter().map(|(k, s)| snippet(k, s)).collect(),
                Block::Other => Vec::new(),
            },
        }
    };
    Some(CompletionResponse::Array(items))
}

fn item(
    label: &str,
    kind: CompletionItemKind,
    detail: Option<&str>,
    doc: Option<&str>,
) -> CompletionItem {
    CompletionItem {
        label: label.to_string(),
        kind: Some(kind),
        detail: detail.map(str::to_string),
        documentation: doc.map(|d| lsp_types::Documentation::String(d.to_string())),
        ..CompletionItem::default()
    }
}

fn snippet(keyword: &str, body: &str) -> CompletionItem {
    CompletionItem {
        label: keyword.to_string(),
        kind: Some(CompletionItemKind::SNIPPET),
        detail: Some("statement".into()),
        insert_text: Some(body.to_string()),
        insert_text_format: Some(InsertTextFormat::SNIPPET),
        ..CompletionItem::default()
    }
}

/// Whether the line so far is inside a condition: after `when`, `or`, `and`, `not`, a
/// comparison or a `(`.
fn in_condition(context: &str) -> bool {
    let words: Vec<&str> = context.split_whitespace().collect();
    let last = words.last().copied().unwrap_or("");
    words.iter().any(|w| *w == "when" || w.ends_with("when")) && !words.contains(&"then")
        || [
            "when", "and", "or", "not", "target", "(", ">=", "<=", ">", "<", "of",
        ]
        .contains(&last)
        || last.ends_with('(')
}

enum Block {
    Top,
    Bands,
    Calendar,
    Other,
}

/// The block the offset is in: the keyword opening the innermost unclosed `{` (quoted text and
/// comments skipped). In a `.calendar` file, the outer blocks are calendars.
fn block(before: &str, calendar_file: bool) -> Block {
    let mut opened: Vec<usize> = Vec::new();
    let mut in_string = false;
    let mut in_comment = false;
    for (i, c) in before.char_indices() {
        match c {
            '\n' => {
                in_comment = false;
                in_string = false;
            }
            _ if in_comment => {}
            '"' => in_string = !in_string,
            '#' if !in_string => in_comment = true,
            '{' if !in_string => opened.push(i),
            '}' if !in_string => {
                opened.pop();
            }
            _ => {}
        }
    }
    match opened.len() {
        0 => Block::Other,
        1 if calendar_file => Block::Calendar,
        1 => Block::Top,
        _ => {
            let at = opened.last().copied().unwrap_or(0);
            let line_start = before
                .get(..at)
                .and_then(|b| b.rfind('\n'))
                .map_or(0, |i| i + 1);
            let opener = before.get(line_start..at).unwrap_or("").trim_start();
            if opener.starts_with("bands") || opener.starts_with("ladder") {
                Block::Bands
            } else if opener.starts_with("calendar") {
                Block::Calendar
            } else {
                Block::Other
            }
        }
    }
}

/// The declared names, from the text as it is or, while the line being typed does not parse,
/// from the text with that line blanked out.
fn declared_names(doc: &Document, offset: usize) -> Vec<(NameKind, String, Option<String>)> {
    let text = doc.text();
    let parsed = syntax::parse(&doc.src).ok().or_else(|| {
        let start = text.get(..offset)?.rfind('\n').map_or(0, |i| i + 1);
        let end = text
            .get(offset..)?
            .find('\n')
            .map_or(text.len(), |i| offset + i);
        let blanked = format!(
            "{}{}{}",
            text.get(..start)?,
            " ".repeat(end - start),
            text.get(end..)?
        );
        syntax::parse(&Source::new(doc.src.name(), blanked)).ok()
    });
    match parsed {
        Some(file @ File::Policy(_)) => names(&file)
            .into_iter()
            .map(|n| (n.kind, n.name, n.detail))
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A snippet with each placeholder given its default (the first choice of a list).
    fn expanded(snippet: &str) -> String {
        let mut out = String::new();
        let mut rest = snippet;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let end = rest[start..].find('}').expect("closed placeholder") + start;
            let inner = &rest[start + 2..end];
            let default = match inner.split_once(':') {
                Some((_, d)) => d.to_string(),
                None => match inner.split_once('|') {
                    Some((_, list)) => list.split([',', '|']).next().unwrap_or("").to_string(),
                    None => String::new(),
                },
            };
            out.push_str(&default);
            rest = &rest[end + 1..];
        }
        out.push_str(rest);
        out
    }

    #[test]
    fn every_statement_snippet_parses_with_its_defaults() {
        for (keyword, snippet) in STATEMENTS {
            let text = format!("policy \"Snippet\" {{\n  {}\n}}\n", expanded(snippet));
            let parsed = syntax::parse(&Source::new("snippet.policy", text.clone()));
            assert!(
                parsed.is_ok(),
                "the `{keyword}` snippet does not parse:\n{text}\n{parsed:?}"
            );
        }
    }

    #[test]
    fn every_calendar_snippet_parses_in_a_calendar_file() {
        for (keyword, snippet) in CALENDAR_ITEMS {
            let text = format!("calendar \"2025-26\" {{\n  {}\n}}\n", expanded(snippet));
            let parsed = syntax::parse(&Source::new("terms.calendar", text.clone()));
            assert!(
                parsed.is_ok(),
                "the `{keyword}` snippet does not parse:\n{text}\n{parsed:?}"
            );
        }
    }

    #[test]
    fn the_band_snippet_parses_in_a_bands_block() {
        let text = format!(
            "policy \"Snippet\" {{\n  bands attendance over year_to_date {{\n    {}\n  }}\n}}\n",
            expanded(BAND)
        );
        let parsed = syntax::parse(&Source::new("snippet.policy", text.clone()));
        assert!(parsed.is_ok(), "{text}\n{parsed:?}");
    }
}
