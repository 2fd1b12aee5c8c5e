//! Diagnostics as the author types: a worker thread analyses a document once its text has
//! been still for the debounce time, runs what `attend check` runs on it, and publishes the
//! findings only if no newer version has arrived meanwhile.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use lsp_server::{Message, Notification};
use lsp_types::notification::{Notification as _, PublishDiagnostics};
use lsp_types::{
    DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString, Position,
    PublishDiagnosticsParams, Range, TextEdit, Uri,
};

use super::document::Document;
use super::{Findings, LspError};
use crate::diagnostic::{Diagnostic, Severity};
use crate::syntax::{self, Surface, ast::File};

/// The version of each open document that may be published.
/// Keyed by the URI's text (`Uri` has interior mutability, so is no key).
pub type Versions = Arc<Mutex<HashMap<String, i32>>>;

type Outbox = crossbeam_channel::Sender<Message>;

pub struct Worker {
    jobs: Option<mpsc::Sender<Document>>,
    thread: Option<JoinHandle<()>>,
}

impl Worker {
    pub fn start(
        outbox: Outbox,
        versions: Versions,
        debounce: Duration,
        findings: Findings,
    ) -> Worker {
        let (jobs, inbox) = mpsc::channel::<Document>();
        let thread = std::thread::spawn(move || {
            run(&inbox, &outbox, &versions, debounce, findings);
        });
        Worker {
            jobs: Some(jobs),
            thread: Some(thread),
        }
    }

    pub fn analyse(&self, doc: Document) {
        if let Some(jobs) = &self.jobs {
            // The worker only stops when the server does.
            let _ = jobs.send(doc);
        }
    }

    pub fn stop(&mut self) {
        self.jobs = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Waits for documents; analyses each one `debounce` after its last change.
fn run(
    inbox: &mpsc::Receiver<Document>,
    outbox: &Outbox,
    versions: &Versions,
    debounce: Duration,
    findings: Findings,
) {
    let mut pending: HashMap<String, (Document, Instant)> = HashMap::new();
    loop {
        let next = pending.values().map(|(_, due)| *due).min();
        let received = match next {
            Some(due) => inbox.recv_timeout(due.saturating_duration_since(Instant::now())),
            None => inbox.recv().map_err(|_| RecvTimeoutError::Disconnected),
        };
        match received {
            Ok(doc) => {
                pending.insert(
                    doc.uri.as_str().to_string(),
                    (doc, Instant::now() + debounce),
                );
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
        let now = Instant::now();
        let due: Vec<String> = pending
            .iter()
            .filter(|(_, (_, at))| *at <= now)
            .map(|(uri, _)| uri.clone())
            .collect();
        for uri in due {
            let Some((doc, _)) = pending.remove(&uri) else {
                continue;
            };
            let current = |versions: &HashMap<String, i32>| {
                versions.get(doc.uri.as_str()) == Some(&doc.version)
            };
            if !versions.lock().is_ok_and(|v| current(&v)) {
                continue;
            }
            let Ok(diagnostics) = catch_unwind(AssertUnwindSafe(|| diagnose(&doc, findings)))
            else {
                let _ = outbox.send(super::log(&format!(
                    "failed analysing `{}`",
                    doc.uri.as_str()
                )));
                continue;
            };
            let params =
                PublishDiagnosticsParams::new(doc.uri.clone(), diagnostics, Some(doc.version));
            // Checked and sent under the lock, so a close or newer version cannot slip between.
            if let Ok(versions) = versions.lock()
                && current(&versions)
            {
                let _ = outbox.send(publish(params));
            }
        }
    }
}

fn publish(params: PublishDiagnosticsParams) -> Message {
    Message::Notification(Notification::new(
        PublishDiagnostics::METHOD.to_string(),
        params,
    ))
}

/// Clears a closed document's diagnostics, and stops any analysis of it being published.
pub fn clear(outbox: &Outbox, versions: &Versions, uri: Uri) -> Result<(), LspError> {
    let mut versions = versions.lock().map_err(|_| LspError::Disconnected)?;
    versions.remove(uri.as_str());
    outbox
        .send(publish(PublishDiagnosticsParams::new(
            uri,
            Vec::new(),
            None,
        )))
        .map_err(|_| LspError::Disconnected)
}

/// The findings `attend check` reports for the document, as the protocol shows them.
pub fn diagnose(doc: &Document, findings: Findings) -> Vec<lsp_types::Diagnostic> {
    check(doc, findings)
        .iter()
        .map(|d| to_lsp(doc, d))
        .collect()
}

/// What `attend check` finds in a policy; for a calendar file, what lowering it finds; nothing
/// for a TOML file that is neither (an editor may send every `.toml`: `Cargo.toml`,
/// `attend.toml`).
pub fn check(doc: &Document, findings: Findings) -> Vec<Diagnostic> {
    if Surface::of_path(doc.src.name()) == Surface::Toml && !is_attend_toml(doc) {
        return Vec::new();
    }
    match syntax::parse(&doc.src) {
        Ok(File::Calendars(_)) => match crate::load_calendar(&doc.src) {
            Ok((_, found)) | Err(found) => found,
        },
        _ => {
            let analysis = crate::analyse(&doc.src, None);
            findings(&doc.path(), &doc.src, &analysis)
        }
    }
}

/// Whether a TOML document is a policy or calendar: it has a `[policy]` table or
/// `[[calendar]]` tables, as `attend check DIR` tells them. A file too broken to read as TOML
/// is one when a line of it opens such a table, so its problems are still reported.
fn is_attend_toml(doc: &Document) -> bool {
    if doc.path().file_name().is_some_and(|n| n == "attend.toml") {
        return false;
    }
    match toml::from_str::<toml::Table>(doc.text()) {
        Ok(table) => table.contains_key("policy") || table.contains_key("calendar"),
        Err(_) => doc
            .text()
            .lines()
            .any(|l| matches!(l.trim(), "[policy]" | "[[calendar]]")),
    }
}

/// One finding as an editor shows it. Related places in other files (the national baseline)
/// are named in their label, since the editor cannot open them.
pub fn to_lsp(doc: &Document, d: &Diagnostic) -> lsp_types::Diagnostic {
    let range = d
        .loc
        .as_ref()
        .and_then(|loc| doc.range_of(loc))
        .unwrap_or_else(|| Range::new(Position::new(0, 0), Position::new(0, 0)));
    let related: Vec<DiagnosticRelatedInformation> = d
        .related
        .iter()
        .filter_map(|(loc, label)| {
            Some(DiagnosticRelatedInformation {
                location: Location::new(doc.uri.clone(), doc.range_of(loc)?),
                message: label.clone(),
            })
        })
        .collect();
    let mut message = d.message.clone();
    if let Some(help) = &d.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    if let Some(source) = &d.source {
        message.push_str("\nsource: ");
        message.push_str(source);
    }
    // The rule's documentation is one command away, as on the command line; the protocol's
    // `codeDescription` wants a web address, which a rule page in the repository is not.
    if let Some(rule) = crate::check::rules::find(&d.code) {
        message.push_str("\nmore: attend explain ");
        message.push_str(rule.code);
    }
    lsp_types::Diagnostic {
        range,
        severity: Some(match d.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
            Severity::Info => DiagnosticSeverity::INFORMATION,
        }),
        code: Some(NumberOrString::String(d.code.clone())),
        code_description: None,
        source: Some("attend".into()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        tags: None,
        data: data(doc, d),
    }
}

/// What a client may want besides the message: the command documenting the rule, the help,
/// and the mechanical fix as a text edit, which the quick fix reads back.
fn data(doc: &Document, d: &Diagnostic) -> Option<serde_json::Value> {
    let mut data = serde_json::Map::new();
    if let Some(fix) = &d.fix
        && let Some(range) = doc.range_of(&fix.loc)
        && let Ok(edit) = serde_json::to_value(TextEdit::new(range, fix.replacement.clone()))
    {
        data.insert("fix".into(), edit);
    }
    if let Some(rule) = crate::check::rules::find(&d.code) {
        data.insert(
            "explain".into(),
            format!("attend explain {}", rule.code).into(),
        );
    }
    if let Some(help) = &d.help {
        data.insert("help".into(), help.clone().into());
    }
    (!data.is_empty()).then_some(serde_json::Value::Object(data))
}
