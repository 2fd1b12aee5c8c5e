//! `attend lsp`: a Language Server Protocol server, so an editor shows a policy's problems as
//! its author types, with hover, completion, navigation, formatting and quick fixes. It runs
//! the library's own parser, model and checker on the editor's text; nothing here parses.

mod completion;
mod diagnostics;
mod document;
mod edits;
mod error;
mod hover;
mod navigation;
mod position;

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument,
    Notification as NotificationTrait,
};
use lsp_types::request::{
    CodeActionRequest, Completion, DocumentSymbolRequest, Formatting, GotoDefinition, HoverRequest,
    References, Request as RequestTrait,
};
use lsp_types::{
    CodeActionKind, CodeActionOptions, CodeActionProviderCapability, CompletionOptions,
    HoverProviderCapability, InitializeParams, OneOf, ServerCapabilities, ServerInfo,
    TextDocumentSyncCapability, TextDocumentSyncKind, Uri,
};

use crate::diagnostic::Diagnostic;
use crate::source::Source;
pub use error::LspError;

use document::Document;

/// What `attend check` adds to the pipeline's diagnostics for a policy: its letter templates'
/// problems and its inline suppressions. `cli` gives it, since only `cli` reads files.
pub type Findings = fn(&Path, &Source, &crate::Analysis) -> Vec<Diagnostic>;

/// How long after the last change the diagnostics are computed: a burst of edits (a paste, an
/// undo, fast typing) costs one analysis, and the author still sees findings within 50 ms of a
/// change, since analysing the largest bundled policy takes a few milliseconds
/// (benches/lsp.sh). An editor may set `initializationOptions.debounceMs`.
pub const DEBOUNCE: Duration = Duration::from_millis(25);

/// Serves one editor on `connection` until it asks the server to exit.
pub fn serve(connection: &Connection, findings: Findings) -> Result<(), LspError> {
    let (id, params) = connection.initialize_start()?;
    let params: InitializeParams = serde_json::from_value(params).unwrap_or_default();
    let debounce = params
        .initialization_options
        .as_ref()
        .and_then(|o| o.get("debounceMs"))
        .and_then(serde_json::Value::as_u64)
        .map_or(DEBOUNCE, Duration::from_millis);
    let result = serde_json::json!({
        "capabilities": capabilities(),
        "serverInfo": ServerInfo {
            name: "attend".into(),
            version: Some(env!("CARGO_PKG_VERSION").into()),
        },
    });
    connection.initialize_finish(id, result)?;
    let published = Arc::new(Mutex::new(HashMap::new()));
    let worker = diagnostics::Worker::start(
        connection.sender.clone(),
        Arc::clone(&published),
        debounce,
        findings,
    );
    let mut server = Server {
        findings,
        documents: HashMap::new(),
        worker,
        published,
    };
    for message in &connection.receiver {
        match message {
            Message::Request(request) => {
                if connection.handle_shutdown(&request)? {
                    break;
                }
                let response = server.answer(request);
                connection
                    .sender
                    .send(Message::Response(response))
                    .map_err(|_| LspError::Disconnected)?;
            }
            Message::Notification(notification) => server.notice(connection, notification),
            Message::Response(_) => {}
        }
    }
    server.worker.stop();
    Ok(())
}

/// What the server offers, as the editor reads it from `initialize`.
pub fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::FULL)),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        completion_provider: Some(CompletionOptions {
            // Not a space: an author types many, and names are asked for as they are typed.
            trigger_characters: Some(vec!["{".into(), ":".into(), "(".into()]),
            ..CompletionOptions::default()
        }),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        document_symbol_provider: Some(OneOf::Left(true)),
        document_formatting_provider: Some(OneOf::Left(true)),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![CodeActionKind::QUICKFIX]),
            ..CodeActionOptions::default()
        })),
        ..ServerCapabilities::default()
    }
}

/// A message for the editor's log of the server (`window/logMessage`): the server itself
/// prints nothing, since its standard output is the protocol.
fn log(message: &str) -> Message {
    use lsp_types::notification::LogMessage;
    let params = lsp_types::LogMessageParams {
        typ: lsp_types::MessageType::ERROR,
        message: format!("attend lsp: {message}"),
    };
    Message::Notification(Notification::new(LogMessage::METHOD.to_string(), params))
}

struct Server {
    findings: Findings,
    /// Keyed by the URI's text (`Uri` has interior mutability, so is no key).
    documents: HashMap<String, Document>,
    worker: diagnostics::Worker,
    /// The version of each open document whose diagnostics may be published; the worker
    /// publishes only for it, so a stale analysis never reaches the editor.
    published: diagnostics::Versions,
}

impl Server {
    /// Answers a request. A bug in a handler answers an internal error and the server carries
    /// on: an author's editor must not lose its server to one odd policy.
    fn answer(&self, request: Request) -> Response {
        let id = request.id.clone();
        let method = request.method.clone();
        match catch_unwind(AssertUnwindSafe(|| self.dispatch(request))) {
            Ok(Ok(result)) => Response::new_ok(id, result),
            Ok(Err(LspError::UnknownMethod(m))) => Response::new_err(
                id,
                ErrorCode::MethodNotFound as i32,
                format!("`attend lsp` does not answer `{m}`"),
            ),
            Ok(Err(e)) => Response::new_err(id, ErrorCode::InvalidParams as i32, e.to_string()),
            Err(_) => Response::new_err(
                id,
                ErrorCode::InternalError as i32,
                format!("`attend lsp` failed answering `{method}`; please report this policy"),
            ),
        }
    }

    fn dispatch(&self, request: Request) -> Result<serde_json::Value, LspError> {
        let method = request.method.clone();
        let method = method.as_str();
        let value = match method {
            HoverRequest::METHOD => {
                let (_, p) = request.extract::<lsp_types::HoverParams>(method)?;
                let at = p.text_document_position_params;
                let doc = self.document(&at.text_document.uri)?;
                serde_json::to_value(hover::hover(doc, at.position, self.findings))
            }
            Completion::METHOD => {
                let (_, p) = request.extract::<lsp_types::CompletionParams>(method)?;
                let at = p.text_document_position;
                let doc = self.document(&at.text_document.uri)?;
                serde_json::to_value(completion::complete(doc, at.position))
            }
            GotoDefinition::METHOD => {
                let (_, p) = request.extract::<lsp_types::GotoDefinitionParams>(method)?;
                let at = p.text_document_position_params;
                let doc = self.document(&at.text_document.uri)?;
                serde_json::to_value(navigation::definition(doc, at.position))
            }
            References::METHOD => {
                let (_, p) = request.extract::<lsp_types::ReferenceParams>(method)?;
                let at = p.text_document_position;
                let doc = self.document(&at.text_document.uri)?;
                serde_json::to_value(navigation::references(
                    doc,
                    at.position,
                    p.context.include_declaration,
                ))
            }
            DocumentSymbolRequest::METHOD => {
                let (_, p) = request.extract::<lsp_types::DocumentSymbolParams>(method)?;
                let doc = self.document(&p.text_document.uri)?;
                serde_json::to_value(navigation::symbols(doc))
            }
            Formatting::METHOD => {
                let (_, p) = request.extract::<lsp_types::DocumentFormattingParams>(method)?;
                let doc = self.document(&p.text_document.uri)?;
                serde_json::to_value(edits::format(doc))
            }
            CodeActionRequest::METHOD => {
                let (_, p) = request.extract::<lsp_types::CodeActionParams>(method)?;
                let doc = self.document(&p.text_document.uri)?;
                serde_json::to_value(edits::code_actions(doc, &p.context.diagnostics))
            }
            other => return Err(LspError::UnknownMethod(other.to_string())),
        };
        Ok(value?)
    }

    fn document(&self, uri: &Uri) -> Result<&Document, LspError> {
        self.documents
            .get(uri.as_str())
            .ok_or_else(|| LspError::NotOpen(uri.as_str().to_string()))
    }

    /// Keeps the open documents' text, and has the worker analyse each new version.
    fn notice(&mut self, connection: &Connection, notification: Notification) {
        let method = notification.method.clone();
        let noticed = catch_unwind(AssertUnwindSafe(|| self.sync(connection, notification)));
        match noticed {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                let _ = connection.sender.send(log(&format!("`{method}`: {e}")));
            }
            Err(_) => {
                let _ = connection
                    .sender
                    .send(log(&format!("failed handling `{method}`")));
            }
        }
    }

    fn sync(
        &mut self,
        connection: &Connection,
        notification: Notification,
    ) -> Result<(), LspError> {
        let method = notification.method.as_str();
        match method {
            DidOpenTextDocument::METHOD => {
                let params: lsp_types::DidOpenTextDocumentParams =
                    serde_json::from_value(notification.params)?;
                let item = params.text_document;
                let doc = Document::new(item.uri.clone(), item.version, item.text);
                self.changed(doc);
            }
            DidChangeTextDocument::METHOD => {
                let params: lsp_types::DidChangeTextDocumentParams =
                    serde_json::from_value(notification.params)?;
                let uri = params.text_document.uri;
                // Full sync: the last change holds the whole text.
                let Some(change) = params.content_changes.into_iter().last() else {
                    return Ok(());
                };
                let doc = Document::new(uri, params.text_document.version, change.text);
                self.changed(doc);
            }
            DidCloseTextDocument::METHOD => {
                let params: lsp_types::DidCloseTextDocumentParams =
                    serde_json::from_value(notification.params)?;
                let uri = params.text_document.uri;
                self.documents.remove(uri.as_str());
                diagnostics::clear(&connection.sender, &self.published, uri)?;
            }
            _ => {}
        }
        Ok(())
    }

    fn changed(&mut self, doc: Document) {
        if let Ok(mut published) = self.published.lock() {
            published.insert(doc.uri.as_str().to_string(), doc.version);
        }
        self.worker.analyse(doc.clone());
        self.documents.insert(doc.uri.as_str().to_string(), doc);
    }
}
