//! What can go wrong serving an editor: the connection, or a request the server cannot answer.

#[derive(Debug, thiserror::Error)]
pub enum LspError {
    #[error("the editor closed the connection")]
    Disconnected,
    #[error("protocol error: {0}")]
    Protocol(#[from] lsp_server::ProtocolError),
    #[error("malformed parameters: {0}")]
    Json(#[from] serde_json::Error),
    #[error("malformed request: {0}")]
    Extract(String),
    #[error("`{0}` is not open")]
    NotOpen(String),
    #[error("unknown method `{0}`")]
    UnknownMethod(String),
}

impl From<lsp_server::ExtractError<lsp_server::Request>> for LspError {
    fn from(e: lsp_server::ExtractError<lsp_server::Request>) -> Self {
        LspError::Extract(format!("{e:?}"))
    }
}
