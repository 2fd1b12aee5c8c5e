//! Where things are, as the protocol counts: a line and a UTF-16 code unit within it. The
//! library's spans are byte offsets; a policy pasted from Word holds curly quotes and dashes
//! (three bytes, one UTF-16 unit), so every conversion goes through the line's characters.

use lsp_types::{Position, Range};

use crate::source::Span;

/// The starts of a text's lines, to turn byte offsets into positions and back.
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        LineIndex { starts }
    }

    /// The position of a byte offset; an offset inside a character counts from its start, one
    /// past the end is the end.
    pub fn position(&self, text: &str, offset: usize) -> Position {
        let offset = offset.min(text.len());
        let line = self
            .starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1);
        let start = self.starts.get(line).copied().unwrap_or(0);
        let character = text
            .get(start..)
            .unwrap_or("")
            .char_indices()
            .take_while(|(i, _)| start + i < offset)
            .map(|(_, c)| c.len_utf16())
            .sum::<usize>();
        Position::new(to_u32(line), to_u32(character))
    }

    pub fn range(&self, text: &str, span: Span) -> Range {
        Range::new(
            self.position(text, span.start),
            self.position(text, span.end),
        )
    }

    /// The byte offset of a position: a line past the last is the end of the text, a character
    /// past the line's end is the line's end (before its line break), as the protocol asks.
    pub fn offset(&self, text: &str, position: Position) -> usize {
        let Some(&start) = self.starts.get(position.line as usize) else {
            return text.len();
        };
        let line = text.get(start..).unwrap_or("");
        let line = line.split_inclusive('\n').next().unwrap_or("");
        let content = line.trim_end_matches(['\n', '\r']);
        let mut units = 0usize;
        for (i, c) in content.char_indices() {
            if units >= position.character as usize {
                return start + i;
            }
            units += c.len_utf16();
        }
        start + content.len()
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curly_quotes_and_dashes_count_one_utf16_unit() {
        // `“` is 3 bytes and 1 UTF-16 unit; `–` the same; `𝄞` 4 bytes and 2 units.
        let text = "a\n“Below 96%” – 94% 𝄞x\n";
        let index = LineIndex::new(text);
        let x = text.find('x').expect("x");
        // Line 1: “(1) Below(5) space(1) 96%(3) ”(1) space(1) = 12 units before `–`; then
        // –(1) space(1) 94%(3) space(1) 𝄞(2) = 20 units before `x` (30 bytes).
        let dash = text.find('–').expect("dash");
        assert_eq!(index.position(text, dash), Position::new(1, 12));
        assert_eq!(index.offset(text, Position::new(1, 12)), dash);
        assert_eq!(index.position(text, x), Position::new(1, 20));
        assert_eq!(index.offset(text, Position::new(1, 20)), x);
    }

    #[test]
    fn positions_past_the_end_are_clamped() {
        let text = "ab\ncd";
        let index = LineIndex::new(text);
        assert_eq!(index.offset(text, Position::new(0, 99)), 2);
        assert_eq!(index.offset(text, Position::new(7, 0)), text.len());
        assert_eq!(index.position(text, 99), Position::new(1, 2));
    }
}
