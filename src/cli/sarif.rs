//! SARIF 2.1.0 output, so a trust can show findings in a code-scanning view. Every catalogued
//! rule is described in the driver; other diagnostic codes (`model::...`, `syntax::...`) get a
//! plain descriptor of their own. Columns count Unicode code points, as miette's do.

use serde_json::{Value, json};

use crate::check::rules::RULES;
use crate::diagnostic::{Diagnostic, Severity};
use crate::source::Loc;

const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// The SARIF log for these diagnostics, pretty-printed.
pub fn render(diagnostics: &[Diagnostic]) -> String {
    let mut descriptors: Vec<Value> = RULES
        .iter()
        .map(|r| {
            json!({
                "id": r.code,
                "name": r.name,
                "shortDescription": { "text": r.name.replace('-', " ") },
                "fullDescription": { "text": r.docs.what.split_whitespace().collect::<Vec<_>>().join(" ") },
                "help": { "text": r.docs.fix.split_whitespace().collect::<Vec<_>>().join(" "), "markdown": r.explain() },
                "defaultConfiguration": { "level": level(r.severity) },
                "properties": { "source": r.source, "inForce": r.in_force.to_string(), "tags": [group(r.code)] },
            })
        })
        .collect();
    let mut ids: Vec<String> = RULES.iter().map(|r| r.code.to_string()).collect();
    for d in diagnostics {
        if !ids.contains(&d.code) {
            ids.push(d.code.clone());
            descriptors.push(json!({
                "id": d.code,
                "shortDescription": { "text": d.code },
                "defaultConfiguration": { "level": level(d.severity) },
            }));
        }
    }
    let results: Vec<Value> = diagnostics
        .iter()
        .map(|d| {
            let index = ids.iter().position(|id| *id == d.code).unwrap_or(0);
            let mut result = json!({
                "ruleId": d.code,
                "ruleIndex": index,
                "level": level(d.severity),
                "message": { "text": d.message },
            });
            if let Some(loc) = d.loc.as_ref().and_then(location) {
                result["locations"] = json!([loc]);
            }
            let related: Vec<Value> = d
                .related
                .iter()
                .enumerate()
                .filter_map(|(i, (loc, label))| {
                    let mut l = location(loc)?;
                    l["id"] = json!(i);
                    l["message"] = json!({ "text": label });
                    Some(l)
                })
                .collect();
            if !related.is_empty() {
                result["relatedLocations"] = json!(related);
            }
            let mut properties = serde_json::Map::new();
            if let Some(help) = &d.help {
                properties.insert("help".into(), json!(help));
            }
            if let Some(source) = &d.source {
                properties.insert("source".into(), json!(source));
            }
            if let Some(url) = &d.url {
                properties.insert("ruleUrl".into(), json!(url));
            }
            if !properties.is_empty() {
                result["properties"] = Value::Object(properties);
            }
            result
        })
        .collect();
    let log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "attend",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": descriptors,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    serde_json::to_string_pretty(&log).unwrap_or_default() + "\n"
}

fn group(code: &str) -> &'static str {
    match code.get(2..3) {
        Some("0") => "law",
        Some("1") => "statutory-guidance",
        Some("2") => "shape",
        _ => "good-practice",
    }
}

/// A physical location, or `None` for a place in no file (the tool's own built-in text).
fn location(loc: &Loc) -> Option<Value> {
    let file = loc.file();
    if file.starts_with('<') {
        return None;
    }
    let (start_line, start_column) = loc.line_col();
    let (end_line, end_column) = loc.src.line_col(loc.span.end);
    Some(json!({
        "physicalLocation": {
            "artifactLocation": { "uri": uri(file) },
            "region": {
                "startLine": start_line,
                "startColumn": start_column,
                "endLine": end_line,
                "endColumn": end_column.max(if end_line == start_line { start_column } else { 1 }),
            },
        },
    }))
}

/// A relative path as a URI reference: unreserved characters and `/` kept, the rest
/// percent-encoded.
fn uri(path: &str) -> String {
    let mut out = String::new();
    for b in path.replace('\\', "/").bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
