//! An open document: the editor's text as a [`Source`] named by the file's path (so `.toml`
//! and `.calendar` are told apart as `attend check` tells them), and its line index.

use std::path::PathBuf;
use std::sync::Arc;

use lsp_types::{Position, Range, Uri};

use super::position::LineIndex;
use crate::source::{Loc, Source, Span};
use crate::syntax::{self, ast};

#[derive(Clone)]
pub struct Document {
    pub uri: Uri,
    pub version: i32,
    pub src: Source,
    index: Arc<LineIndex>,
}

impl Document {
    pub fn new(uri: Uri, version: i32, text: String) -> Document {
        let index = Arc::new(LineIndex::new(&text));
        let src = Source::new(path_of(&uri).display().to_string(), text);
        Document {
            uri,
            version,
            src,
            index,
        }
    }

    pub fn text(&self) -> &str {
        self.src.text()
    }

    pub fn path(&self) -> PathBuf {
        path_of(&self.uri)
    }

    /// The AST, when the text parses.
    pub fn parse(&self) -> Option<ast::File> {
        syntax::parse(&self.src).ok()
    }

    pub fn offset(&self, position: Position) -> usize {
        self.index.offset(self.text(), position)
    }

    pub fn position(&self, offset: usize) -> Position {
        self.index.position(self.text(), offset)
    }

    pub fn range(&self, span: Span) -> Range {
        self.index.range(self.text(), span)
    }

    /// The range of a location in this document; `None` for one in another file.
    pub fn range_of(&self, loc: &Loc) -> Option<Range> {
        (loc.src.same_file(&self.src) || loc.file() == self.src.name())
            .then(|| self.range(loc.span))
    }

    /// The word (letters, digits, `_`) around a byte offset, and its span.
    pub fn word_at(&self, offset: usize) -> Option<(&str, Span)> {
        let text = self.text();
        let is_word = |c: char| c.is_alphanumeric() || c == '_';
        let offset = offset.min(text.len());
        let start = text
            .get(..offset)?
            .char_indices()
            .rev()
            .take_while(|&(_, c)| is_word(c))
            .last()
            .map_or(offset, |(i, _)| i);
        let end = text
            .get(offset..)?
            .find(|c| !is_word(c))
            .map_or(text.len(), |i| offset + i);
        let word = text.get(start..end).filter(|w| !w.is_empty())?;
        Some((word, Span::new(start, end)))
    }
}

/// The file path a `file:` URI names (percent-escapes decoded); any other URI is used as
/// written, so an unsaved buffer still gets a name.
pub fn path_of(uri: &Uri) -> PathBuf {
    let text = uri.as_str();
    let Some(rest) = text.strip_prefix("file://") else {
        return PathBuf::from(text);
    };
    let bytes = rest.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    let hex = |b: u8| (b as char).to_digit(16);
    while let Some(&byte) = bytes.get(i) {
        match (byte, bytes.get(i + 1).copied(), bytes.get(i + 2).copied()) {
            (b'%', Some(h), Some(l)) if hex(h).is_some() && hex(l).is_some() => {
                let value = hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0);
                out.push(u8::try_from(value).unwrap_or(b'?'));
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    PathBuf::from(String::from_utf8_lossy(&out).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn a_file_uri_names_its_path_with_escapes_decoded() {
        let uri = Uri::from_str("file:///tmp/St%20Mary%27s.policy").expect("uri");
        assert_eq!(path_of(&uri), PathBuf::from("/tmp/St Mary's.policy"));
    }
}
