//! Diagnostics rendered for people (miette, pointing at the span) and for programs (JSON).

use clap::ValueEnum;
use miette::{GraphicalReportHandler, GraphicalTheme};
use serde::Serialize;

use crate::diagnostic::Diagnostic;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DiagnosticFormat {
    /// miette reports pointing at the source
    Human,
    /// `{"diagnostics":[{code, severity, message, file, line, column, help, rule_url, explain, source}]}`
    Json,
    /// SARIF 2.1.0, for code-scanning views
    Sarif,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    code: &'a str,
    severity: &'static str,
    message: &'a str,
    file: Option<&'a str>,
    line: Option<usize>,
    column: Option<usize>,
    help: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule_url: Option<&'a str>,
    /// The command that prints the rule's documentation, for a national rule's finding.
    #[serde(skip_serializing_if = "Option::is_none")]
    explain: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    diagnostics: Vec<JsonDiagnostic<'a>>,
}

pub fn render_diagnostics(
    diagnostics: &[Diagnostic],
    format: DiagnosticFormat,
    color: bool,
) -> String {
    match format {
        DiagnosticFormat::Human => {
            let theme = if color {
                GraphicalTheme::unicode()
            } else {
                GraphicalTheme::unicode_nocolor()
            };
            // A rule's page is named by the command that prints it, beside its code, so it
            // works wherever attend is installed (a link into docs/ works only in the
            // repository); it is text, never a terminal hyperlink.
            let handler = GraphicalReportHandler::new_themed(theme)
                .with_width(100)
                .with_links(false);
            let mut out = String::new();
            for d in diagnostics {
                // Messages can quote the input (a TOML parser's words, a name); never let
                // them carry terminal control sequences.
                let mut d = d.clone();
                d.message = crate::source::safe_to_show(&d.message);
                d.help = d.help.as_deref().map(crate::source::safe_to_show);
                d.label = d.label.as_deref().map(crate::source::safe_to_show);
                if d.url.is_some() {
                    d.url = Some(format!("attend explain {}", d.code));
                }
                let d = &d;
                if handler.render_report(&mut out, d).is_err() {
                    out.push_str(&d.message);
                }
                out.push('\n');
            }
            out
        }
        DiagnosticFormat::Json => {
            let report = JsonReport {
                diagnostics: diagnostics
                    .iter()
                    .map(|d| {
                        let position = d.position();
                        JsonDiagnostic {
                            code: &d.code,
                            severity: d.severity.as_str(),
                            message: &d.message,
                            file: position.map(|p| p.0),
                            line: position.map(|p| p.1),
                            column: position.map(|p| p.2),
                            help: d.help.as_deref(),
                            rule_url: d.url.as_deref(),
                            explain: d.url.as_ref().map(|_| format!("attend explain {}", d.code)),
                            source: d.source.as_deref(),
                        }
                    })
                    .collect(),
            };
            serde_json::to_string_pretty(&report).unwrap_or_default() + "\n"
        }
        DiagnosticFormat::Sarif => super::sarif::render(diagnostics),
    }
}
