//! `attend check --summary`: a compliance matrix for a whole trust, one row per policy and one
//! column per rule, as Markdown for people or CSV for spreadsheets.

use clap::ValueEnum;

use crate::check::rules::RULES;
use crate::diagnostic::{Diagnostic, Severity};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SummaryFormat {
    /// a Markdown table of the rules any policy breaks, with a legend
    Markdown,
    /// every catalogued rule as a column, for spreadsheets
    Csv,
}

/// One policy's findings.
pub struct PolicyFindings {
    pub name: String,
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
    let mut out = String::from("| policy | errors | warnings | info |");
    for c in &columns {
        out.push_str(&format!(" {c} |"));
    }
    out.push_str("\n|---|---:|---:|---:|");
    for _ in &columns {
        out.push_str("---:|");
    }
    out.push('\n');
    for p in policies {
        out.push_str(&format!(
            "| {} | {} | {} | {} |",
            p.name.replace('|', "\\|"),
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
    let mut out = String::from("policy,errors,warnings,info");
    for r in RULES {
        out.push(',');
        out.push_str(r.code);
    }
    out.push_str(",other\n");
    for p in policies {
        out.push_str(&format!(
            "{},{},{},{}",
            csv_field(&p.name),
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
