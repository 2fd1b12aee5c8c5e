//! Source text and positions: every span carries the file it points into, so a diagnostic made
//! by any stage renders anywhere (the CLI, a test snapshot, a SARIF file).

use std::fmt;
use std::sync::Arc;

use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

/// One file of policy or calendar text, shared by every span that points into it.
#[derive(Clone)]
pub struct Source(Arc<SourceFile>);

struct SourceFile {
    name: String,
    text: String,
    /// The text as reports show it: control characters (which could drive the terminal)
    /// replaced by placeholders of the same byte length, so every span still lines up.
    shown: String,
    /// The byte offset where each line starts (the first is 0), so finding a line is a binary
    /// search: ten thousand diagnostics in a large file cost no more than reading it once.
    line_starts: Vec<usize>,
}

/// The UTF-8 byte-order mark some Windows editors write at the start of a text file.
const BOM: char = '\u{feff}';

impl Source {
    /// A file's text. A byte-order mark at the start is not part of the text: it is dropped,
    /// so spans, lines and columns count from the first real character.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        let mut text = text.into();
        if text.starts_with(BOM) {
            text.drain(..BOM.len_utf8());
        }
        let shown = safe_to_show(&text);
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Source(Arc::new(SourceFile {
            name: safe_to_show(&name.into()),
            shown,
            text,
            line_starts,
        }))
    }

    pub fn name(&self) -> &str {
        &self.0.name
    }

    pub fn text(&self) -> &str {
        &self.0.text
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let text = self.text();
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let line = self.line_index(offset);
        let line_start = self.0.line_starts.get(line).copied().unwrap_or(0);
        let column = text
            .get(line_start..offset)
            .map_or(0, |s| s.chars().count())
            + 1;
        (line + 1, column)
    }

    /// 1-based line of a byte offset, without counting columns.
    pub fn line(&self, offset: usize) -> usize {
        self.line_index(offset) + 1
    }

    /// 0-based index of the line holding a byte offset.
    fn line_index(&self, offset: usize) -> usize {
        self.0
            .line_starts
            .partition_point(|&start| start <= offset)
            .saturating_sub(1)
    }

    /// Byte offsets of the start of line `line` (0-based) and of the start of the line after
    /// it (the end of the text for the last line).
    fn line_bounds(&self, line: usize) -> (usize, usize) {
        let starts = &self.0.line_starts;
        let len = self.0.text.len();
        let start = starts.get(line).copied().unwrap_or(len);
        let next = starts.get(line + 1).copied().unwrap_or(len);
        (start, next)
    }

    pub fn loc(&self, span: Span) -> Loc {
        Loc {
            src: self.clone(),
            span,
        }
    }

    pub fn same_file(&self, other: &Source) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// Reports show at most this much source around a problem: a 10 MB one-line file must not
/// become a 10 MB error message.
const MAX_RENDERED: usize = 2_000;

impl Source {
    /// The part of the problem's line around the span, without context lines.
    fn window(&self, span: &SourceSpan) -> MietteSpanContents<'_> {
        let text = self.0.shown.as_str();
        let at = floor_char_boundary(text, span.offset().min(text.len()));
        let end_of_span = floor_char_boundary(text, (span.offset() + span.len()).min(text.len()));
        let (line_start, next_line) = self.line_bounds(self.line_index(at));
        let line_end =
            if next_line > line_start && text.as_bytes().get(next_line - 1) == Some(&b'\n') {
                next_line - 1
            } else {
                next_line
            };
        let start = floor_char_boundary(text, at.saturating_sub(100).max(line_start));
        let end = floor_char_boundary(
            text,
            (end_of_span.max(at) + 100)
                .min(line_end)
                .min(at + MAX_RENDERED),
        );
        let (line, column) = self.line_col(start);
        MietteSpanContents::new_named(
            self.name().to_string(),
            &text.as_bytes()[start..end.max(start)],
            SourceSpan::new(start.into(), end.max(start) - start),
            line - 1,
            column - 1,
            1,
        )
    }
}

/// Replaces characters that a terminal would act on (C0 and C1 controls other than newline,
/// tab and carriage return, and bidirectional overrides) with visible ones of the same UTF-8
/// length.
pub fn safe_to_show(text: &str) -> String {
    let unsafe_char = |c: char| {
        (c.is_control() && !matches!(c, '\n' | '\t' | '\r'))
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if !text.chars().any(unsafe_char) {
        return text.to_string();
    }
    text.chars()
        .map(|c| {
            if !unsafe_char(c) {
                return c;
            }
            match c.len_utf8() {
                1 => '?',
                2 => '\u{00bf}',
                3 => '\u{fffd}',
                _ => '\u{1f6ab}',
            }
        })
        .collect()
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

impl fmt::Debug for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Source({})", self.name())
    }
}

impl SourceCode for Source {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        // miette reads a `str` from its start to find the span's line; here only the lines
        // around the span are handed to it, found through the line index, and its answer is
        // moved back to the whole file's offsets and line numbers.
        let text = self.0.shown.as_str();
        if span.offset() > text.len() {
            return Err(MietteError::OutOfBounds);
        }
        let first = self.line_index(span.offset());
        let last = self.line_index((span.offset() + span.len()).min(text.len()));
        let (shown_from, _) = self.line_bounds(first.saturating_sub(context_lines_before));
        let (_, to) = self.line_bounds(last + context_lines_after);
        if to - shown_from > MAX_RENDERED {
            return Ok(Box::new(self.window(span)));
        }
        // One line more than is shown on each side: miette treats the very start of its text
        // specially (an empty span there), which must not happen at a line in the middle of
        // the file, and reads a line further than asked after a span ending at a line break.
        let from_line = first.saturating_sub(context_lines_before + 1);
        let (from, _) = self.line_bounds(from_line);
        let (_, to) = self.line_bounds(last + context_lines_after + 1);
        let part = text.get(from..to).ok_or(MietteError::OutOfBounds)?;
        let local = SourceSpan::new((span.offset() - from).into(), span.len());
        let inner = part.read_span(&local, context_lines_before, context_lines_after)?;
        let inner_span = SourceSpan::new((inner.span().offset() + from).into(), inner.span().len());
        Ok(Box::new(MietteSpanContents::new_named(
            self.0.name.clone(),
            inner.data(),
            inner_span,
            inner.line() + from_line,
            inner.column(),
            // miette counts this from the start of the text it was given (its renderer joins
            // two labels' snippets by it), so it too is moved to the whole file's count.
            inner.line_count() + from_line,
        )))
    }
}

/// A byte range in a [`Source`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span {
            start,
            end: end.max(start),
        }
    }

    pub fn len(&self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

impl From<Span> for SourceSpan {
    fn from(span: Span) -> Self {
        SourceSpan::new(span.start.into(), span.len())
    }
}

/// Where something was written: a span in a source file.
///
/// Locations take no part in equality: two models are equal when they say the same thing,
/// wherever and in whichever surface (DSL or TOML) they were written. The round-trip tests
/// rely on this.
#[derive(Clone)]
pub struct Loc {
    pub src: Source,
    pub span: Span,
}

impl Loc {
    pub fn line_col(&self) -> (usize, usize) {
        self.src.line_col(self.span.start)
    }

    pub fn file(&self) -> &str {
        self.src.name()
    }

    /// The text this location covers.
    pub fn text(&self) -> &str {
        self.src
            .text()
            .get(self.span.start..self.span.end)
            .unwrap_or("")
    }

    pub fn to(&self, other: &Loc) -> Loc {
        if self.src.same_file(&other.src) {
            Loc {
                src: self.src.clone(),
                span: self.span.to(other.span),
            }
        } else {
            self.clone()
        }
    }

    /// A location for things made by the tool itself rather than written in a file.
    pub fn builtin() -> Loc {
        thread_local! {
            static BUILTIN: Source = Source::new("<builtin>", "");
        }
        BUILTIN.with(|src| Loc {
            src: src.clone(),
            span: Span::default(),
        })
    }
}

impl PartialEq for Loc {
    fn eq(&self, _: &Loc) -> bool {
        true
    }
}

impl Eq for Loc {}

impl fmt::Debug for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (line, col) = self.line_col();
        write!(f, "{}:{line}:{col}", self.file())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters_from_one() {
        let src = Source::new("p", "ab\n£cd\n");
        assert_eq!(src.line_col(0), (1, 1));
        assert_eq!(src.line_col(3), (2, 1));
        // `£` is two bytes but one column.
        assert_eq!(src.line_col(5), (2, 2));
        assert_eq!(src.line_col(4), (2, 1), "inside a character rounds down");
        assert_eq!(src.line_col(999), (3, 1));
    }

    #[test]
    fn a_byte_order_mark_is_not_text() {
        let src = Source::new("p", "\u{feff}ab\ncd");
        assert_eq!(src.text(), "ab\ncd");
        assert_eq!(src.line_col(0), (1, 1));
        assert_eq!(src.line_col(3), (2, 1));
        // Only at the start.
        assert_eq!(Source::new("p", "a\u{feff}").text(), "a\u{feff}");
    }

    /// Reading a span through the line index gives what miette gives reading the whole text.
    #[test]
    fn spans_read_as_miette_reads_them() {
        for text in [
            "one\r\ntwo two\n\nfour £ four\r\nfive\n",
            "\n\na\nbb\n\n\nccc\nno newline at the end",
        ] {
            same_spans_as_miette(text);
        }
    }

    fn same_spans_as_miette(text: &str) {
        let src = Source::new("p", text);
        for start in 0..text.len() {
            for len in [0, 1, 2, 3, 8, 20] {
                if start + len > text.len() {
                    continue;
                }
                let span = SourceSpan::new(start.into(), len);
                for context in [0, 1, 2] {
                    let ours = src.read_span(&span, context, context).expect("in bounds");
                    let theirs = text.read_span(&span, context, context).expect("in bounds");
                    let at = format!("{start}+{len} with {context} lines");
                    assert_eq!(ours.data(), theirs.data(), "{at}");
                    assert_eq!(ours.span(), theirs.span(), "{at}");
                    assert_eq!(ours.line(), theirs.line(), "{at}");
                    assert_eq!(ours.column(), theirs.column(), "{at}");
                    assert_eq!(ours.line_count(), theirs.line_count(), "{at}");
                }
            }
        }
    }

    #[test]
    fn control_characters_are_never_shown() {
        let shown = safe_to_show("a\u{1b}[31mb\u{85}c\u{202e}d\n");
        assert_eq!(shown, "a?[31mb\u{bf}c\u{fffd}d\n");
        assert_eq!(shown.len(), "a\u{1b}[31mb\u{85}c\u{202e}d\n".len());
    }
}
