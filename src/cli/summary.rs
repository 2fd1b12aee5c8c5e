//! `attend check --summary`: a compliance matrix for a whole trust, one row per policy (naming
//! its school and URN) and one column per rule, as Markdown for people, CSV for spreadsheets or
//! JSON for programs.

use clap::ValueEnum;

use crate::check::rules::RULES;
use crate::diagnostic::{Diagnostic, Severity};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SummaryFormat {
    /// a Markdown table of the rules any policy breaks, with a legend
    Markdown,
    /// every catalogued rule as a column, for spreadsheets
    Csv,
    /// one object per policy: file, school, urn, counts by severity and by rule
    Json,
}

/// The school a policy names: its name and URN, where it gives them.
#[derive(Clone, Debug, Default)]
pub struct School {
    pub name: Option<String>,
    pub urn: Option<u64>,
}

/// One policy's findings.
pub struct PolicyFindings {
    /// The file, as given.
    pub name: String,
    pub school: School,
    pub diagnostics: Vec<Diagnostic>,
}

/// The column for a diagnostic: its rule code, or `other` for malformed-policy problems.
fn column(d: &Diagnostic) -> &str {
    if RULES.iter().any(|r| r.code == d.code) {
        &d.code
    } else {
        "other"
    }
}

fn count(p: &PolicyFindings, col: &str) -> usize {
    p.diagnostics.iter().filter(|d| column(d) == col).count()
}

fn by_severity(p: &PolicyFindings, s: Severity) -> usize {
    p.diagnostics.iter().filter(|d| d.severity == s).count()
}

pub fn render(policies: &[PolicyFindings], format: SummaryFormat) -> String {
    match format {
        SummaryFormat::Markdown => markdown(policies),
        SummaryFormat::Csv => csv(policies),
        SummaryFormat::Json => json(policies),
    }
}

fn markdown(policies: &[PolicyFindings]) -> String {
    let mut columns: Vec<&str> = RULES
        .iter()
        .map(|r| r.code)
        .filter(|c| policies.iter().any(|p| count(p, c) > 0))
        .collect();
    if policies.iter().any(|p| count(p, "other") > 0) {
        columns.push("other");
    }
    let mut out = String::from("| policy | school | URN | errors | warnings | info |");
    for c in &columns {
        out.push_str(&format!(" {c} |"));
    }
    out.push_str("\n|---|---|---:|---:|---:|---:|");
    for _ in &columns {
        out.push_str("---:|");
    }
    out.push('\n');
    for p in policies {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |",
            p.name.replace('|', "\\|"),
            p.school.name.as_deref().unwrap_or("").replace('|', "\\|"),
            p.school.urn.map_or(String::new(), |u| u.to_string()),
            by_severity(p, Severity::Error),
            by_severity(p, Severity::Warning),
            by_severity(p, Severity::Info)
        ));
        for c in &columns {
            let n = count(p, c);
            if n == 0 {
                out.push_str(" · |")
            } else {
                out.push_str(&format!(" {n} |"))
            }
        }
        out.push('\n');
    }
    if !columns.is_empty() {
        out.push('\n');
        for c in &columns {
            match RULES.iter().find(|r| r.code == *c) {
                Some(r) => out.push_str(&format!(
                    "- {}: `{}` ({}; {})\n",
                    r.code,
                    r.name,
                    r.severity.as_str(),
                    r.source
                )),
                None => {
                    out.push_str("- other: the policy is malformed (syntax or model problems)\n")
                }
            }
        }
    }
    out
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn csv(policies: &[PolicyFindings]) -> String {
    let mut out = String::from("policy,school,urn,errors,warnings,info");
    for r in RULES {
        out.push(',');
        out.push_str(r.code);
    }
    out.push_str(",other\n");
    for p in policies {
        out.push_str(&format!(
            "{},{},{},{},{},{}",
            csv_field(&p.name),
            csv_field(p.school.name.as_deref().unwrap_or("")),
            p.school.urn.map_or(String::new(), |u| u.to_string()),
            by_severity(p, Severity::Error),
            by_severity(p, Severity::Warning),
            by_severity(p, Severity::Info)
        ));
        for r in RULES {
            out.push_str(&format!(",{}", count(p, r.code)));
        }
        out.push_str(&format!(",{}\n", count(p, "other")));
    }
    out
}

#[derive(serde::Serialize)]
struct JsonPolicy<'a> {
    policy: &'a str,
    school: Option<&'a str>,
    urn: Option<u64>,
    errors: usize,
    warnings: usize,
    info: usize,
    /// Findings per rule code (and `other`), only those with any.
    rules: std::collections::BTreeMap<&'a str, usize>,
}

fn json(policies: &[PolicyFindings]) -> String {
    let rows: Vec<JsonPolicy> = policies
        .iter()
        .map(|p| {
            let mut rules = std::collections::BTreeMap::new();
            for d in &p.diagnostics {
                *rules.entry(column(d)).or_insert(0) += 1;
            }
            JsonPolicy {
                policy: &p.name,
                school: p.school.name.as_deref(),
                urn: p.school.urn,
                errors: by_severity(p, Severity::Error),
                warnings: by_severity(p, Severity::Warning),
                info: by_severity(p, Severity::Info),
                rules,
            }
        })
        .collect();
    serde_json::to_string_pretty(&serde_json::json!({ "policies": rows })).unwrap_or_default()
        + "\n"
}
