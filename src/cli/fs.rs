//! Reading inputs as text with a clear error, and writing outputs so that nothing is ever left
//! half-written: a temporary file beside the target, then a rename.

use std::io::Write;
use std::path::Path;

use crate::diagnostic::{Diagnostic, Problem};
use crate::source::{Source, Span};
use crate::syntax::error::SyntaxError;

/// Reads a file into a [`Source`]. A file that is not UTF-8 is a diagnostic, not a panic.
pub fn read_source(path: &Path) -> Result<Source, Box<Diagnostic>> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| {
        Box::new(Diagnostic {
            code: "input::unreadable".into(),
            severity: crate::diagnostic::Severity::Error,
            message: format!("cannot read `{name}`: {e}"),
            loc: None,
            label: None,
            related: Vec::new(),
            help: None,
            url: None,
            source: None,
        })
    })?;
    match String::from_utf8(bytes) {
        Ok(text) => Ok(Source::new(name, text)),
        Err(e) => {
            // Show where the text stops being UTF-8, in the part that is.
            let valid = e.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
            let src = Source::new(name, text);
            Err(Box::new(
                SyntaxError::NotText.at(&src.loc(Span::new(valid, valid + 1))),
            ))
        }
    }
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename, so
/// readers see the old file or the new one, never a part.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
