//! The row-length limit for the readers that parse with the csv crate (compact marks,
//! pupils): the csv crate holds a whole record however long, so the bytes are passed through
//! [`RowLimit`], which follows the CSV quoting to know where each row ends and stops the read
//! at the first row longer than [`MAX_ROW`], with the line that row starts on.

use std::io::{self, Read};

use super::error::{InputProblem, MAX_ROW, RegisterError};

/// The read error [`RowLimit`] gives: the row starting on `line` is longer than the limit.
#[derive(Debug)]
pub(crate) struct Overlong {
    pub line: u64,
    /// The start of the row, for the problem's excerpt.
    pub head: Vec<u8>,
}

impl std::fmt::Display for Overlong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the row on line {} is longer than {MAX_ROW} bytes",
            self.line
        )
    }
}

impl std::error::Error for Overlong {}

/// Where a byte falls in the CSV quoting the csv crate reads (`"` quotes, `""` inside quotes).
#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    FieldStart,
    Unquoted,
    Quoted,
    /// A `"` inside quotes: a second one is a quote character, anything else ends the quotes.
    QuoteInQuoted,
}

/// How much of a row's start is kept for an excerpt (a problem keeps 200 characters).
const HEAD: usize = 1024;

/// Passes bytes through while each row (quoted line ends included) is at most `limit` bytes;
/// at the first longer row it gives what comes before the limit, then an [`Overlong`] error.
/// One pass over each byte, and nothing kept but the start of the row: time linear in the
/// input and memory bounded whatever it holds.
pub(crate) struct RowLimit<R> {
    inner: R,
    limit: usize,
    state: State,
    /// Bytes of the current row so far.
    len: usize,
    /// The line being read, and the line the current row started on.
    line: u64,
    row_line: u64,
    head: Vec<u8>,
    over: bool,
}

impl<R: Read> RowLimit<R> {
    pub fn new(inner: R) -> RowLimit<R> {
        RowLimit::with_limit(inner, MAX_ROW)
    }

    pub fn with_limit(inner: R, limit: usize) -> RowLimit<R> {
        RowLimit {
            inner,
            limit,
            state: State::FieldStart,
            len: 0,
            line: 1,
            row_line: 1,
            head: Vec::new(),
            over: false,
        }
    }

    fn overlong(&mut self) -> io::Error {
        self.over = true;
        io::Error::other(Overlong {
            line: self.row_line,
            head: std::mem::take(&mut self.head),
        })
    }
}

impl<R> RowLimit<R> {
    /// Takes in `data` at once when it holds no quote, the row before it is not inside
    /// quotes and no row in it is too long: then rows end at every line end, found with
    /// `memchr` rather than a byte at a time. `false` (and nothing changed) otherwise.
    fn plain(&mut self, data: &[u8]) -> bool {
        if !matches!(self.state, State::FieldStart | State::Unquoted)
            || memchr::memchr(b'"', data).is_some()
        {
            return false;
        }
        let (mut start, mut len) = (0, self.len);
        let mut lines = 0;
        for end in memchr::memchr2_iter(b'\n', b'\r', data) {
            if len + (end - start) > self.limit {
                return false;
            }
            lines += u64::from(data[end] == b'\n');
            (start, len) = (end + 1, 0);
        }
        let last = &data[start..];
        if len + last.len() > self.limit {
            return false;
        }
        self.line += lines;
        if start > 0 {
            self.row_line = self.line;
            self.head.clear();
        }
        self.len = len + last.len();
        let room = HEAD.saturating_sub(self.head.len()).min(last.len());
        self.head.extend_from_slice(&last[..room]);
        self.state = match data.last() {
            None => self.state,
            Some(b',' | b'\n' | b'\r') => State::FieldStart,
            Some(_) => State::Unquoted,
        };
        true
    }
}

impl<R: Read> Read for RowLimit<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.over {
            return Err(self.overlong());
        }
        let n = self.inner.read(buf)?;
        if self.plain(&buf[..n]) {
            return Ok(n);
        }
        for (i, &b) in buf.iter().take(n).enumerate() {
            let ends = match (self.state, b) {
                (State::Quoted, b'"') => {
                    self.state = State::QuoteInQuoted;
                    false
                }
                (State::Quoted, _) => false,
                (State::QuoteInQuoted, b'"') => {
                    self.state = State::Quoted;
                    false
                }
                (_, b'\n' | b'\r') => true,
                (_, b',') => {
                    self.state = State::FieldStart;
                    false
                }
                (State::FieldStart, b'"') => {
                    self.state = State::Quoted;
                    false
                }
                _ => {
                    self.state = State::Unquoted;
                    false
                }
            };
            if b == b'\n' {
                self.line += 1;
            }
            if ends {
                self.state = State::FieldStart;
                self.len = 0;
                self.row_line = self.line;
                self.head.clear();
                continue;
            }
            self.len += 1;
            if self.head.len() < HEAD {
                self.head.push(b);
            }
            if self.len > self.limit {
                if i == 0 {
                    return Err(self.overlong());
                }
                self.over = true;
                return Ok(i);
            }
        }
        Ok(n)
    }
}

/// The problem for a csv error that is [`RowLimit`]'s, if it is.
pub(crate) fn overlong_problem(error: &csv::Error, file: &str) -> Option<InputProblem> {
    let csv::ErrorKind::Io(io) = error.kind() else {
        return None;
    };
    let overlong = io.get_ref()?.downcast_ref::<Overlong>()?;
    let line =
        &overlong.head[..memchr::memchr(b'\n', &overlong.head).unwrap_or(overlong.head.len())];
    Some(
        InputProblem::new(
            RegisterError::RowTooLong { limit: MAX_ROW },
            file,
            overlong.line,
            1,
        )
        .with_text_at(line, 0, 1),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads everything through a limit of `limit` bytes a row: the bytes passed, or the line
    /// of the first longer row.
    fn read(input: &[u8], limit: usize) -> Result<Vec<u8>, u64> {
        let mut out = Vec::new();
        let mut reader = RowLimit::with_limit(input, limit);
        match reader.read_to_end(&mut out) {
            Ok(_) => Ok(out),
            Err(e) => Err(e
                .get_ref()
                .and_then(|e| e.downcast_ref::<Overlong>())
                .map_or(0, |o| o.line)),
        }
    }

    #[test]
    fn rows_up_to_the_limit_pass() {
        // Each row is 5 bytes without its line end.
        let text = b"a,b,c\nde,fg\r\n\"h\ni\"\n";
        assert_eq!(read(text, 5), Ok(text.to_vec()));
    }

    #[test]
    fn a_longer_row_is_stopped_at_its_first_line() {
        assert_eq!(read(b"a,b\ncdefgh\nij\n", 5), Err(2));
        // A quoted field's line ends belong to its row: the row of line 2 is 9 bytes long.
        assert_eq!(read(b"a,b\n\"c\nd\ne\"fg\nh\n", 8), Err(2));
        // `""` inside quotes is a quote, not the end of them.
        assert_eq!(read(b"x\n\"a\"\"\nb\nc\"\n", 8), Err(2));
    }

    #[test]
    fn a_quote_inside_an_unquoted_field_opens_nothing() {
        let text = b"a\"b,c\nd,e\n";
        assert_eq!(read(text, 6), Ok(text.to_vec()));
    }

    #[test]
    fn quote_free_reads_end_as_the_byte_loop_ends() {
        // Read in pieces of every size, a row's count and head carried across them.
        let text = b"a,b\r\nc,\n\nd\r\nefghij,k\nl,m\r\n\"p\"\nq,r\n";
        for limit in 1..12 {
            let whole = read(text, limit);
            for piece in 1..text.len() {
                let mut reader = RowLimit::with_limit(Pieces(&text[..], piece), limit);
                let mut out = Vec::new();
                let got = match reader.read_to_end(&mut out) {
                    Ok(_) => Ok(out),
                    Err(e) => Err(e
                        .get_ref()
                        .and_then(|e| e.downcast_ref::<Overlong>())
                        .map_or(0, |o| o.line)),
                };
                assert_eq!(got, whole, "limit {limit}, pieces of {piece}");
            }
        }
    }

    /// A reader that gives at most `.1` bytes a read.
    struct Pieces<'a>(&'a [u8], usize);

    impl Read for Pieces<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.0.len().min(self.1).min(buf.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn a_row_longer_than_the_limit_is_stopped_within_the_limit() {
        let text = vec![b'/'; 1 << 20];
        let mut reader = RowLimit::with_limit(&text[..], 1000);
        let mut out = Vec::new();
        assert!(reader.read_to_end(&mut out).is_err());
        assert_eq!(out.len(), 1000);
    }
}
