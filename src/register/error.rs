//! The register readers' problems. Register files can hold millions of lines, so a problem
//! carries its file, line and column and the offending line itself, not a whole [`Source`]
//! (crate::source::Source); it renders the way the policy diagnostics do.

use std::fmt;

use crate::diagnostic::{Problem, Severity};

/// One thing wrong with register, pupils or codes-map input.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum RegisterError {
    #[error("cannot read `{file}`: {reason}")]
    Unreadable { file: String, reason: String },
    #[error("this file is not CSV text")]
    NotText,
    #[error("this file is not a register `attend` reads: {found}")]
    UnknownFormat { found: String },
    #[error("the header has no `{column}` column: it is `{header}`")]
    UnmappedColumns { column: String, header: String },
    #[error("the {format} file is malformed: {reason}")]
    BadRecord {
        format: &'static str,
        reason: String,
    },
    #[error("missing column `{column}`")]
    MissingColumn {
        column: String,
        expected: &'static str,
    },
    #[error("expected {expected} fields, found {found}")]
    FieldCount { expected: usize, found: usize },
    #[error("unterminated quoted field")]
    UnterminatedQuote,
    #[error("row longer than {limit} bytes")]
    RowTooLong { limit: usize },
    #[error("bad date `{text}`")]
    BadDate { text: String },
    #[error("bad date `{text}`")]
    BadUkDate { text: String },
    #[error("bad session `{text}`")]
    BadSession { text: String },
    #[error("unknown register code `{code}`")]
    UnknownCode {
        code: String,
        suggestion: Option<String>,
    },
    #[error("unknown register code `{code}` for {date} {session}")]
    UnknownCodeOn {
        code: String,
        date: String,
        session: &'static str,
        suggestion: Option<String>,
    },
    #[error("register code `{code}` is not in force on {date}")]
    CodeNotInForce { code: String, date: String },
    #[error("mark `{code}` on {date}, which is {why}")]
    ClosedDay {
        code: String,
        date: String,
        why: String,
    },
    #[error("two marks for pupil `{pupil}` on {date} {session}")]
    Duplicate {
        pupil: String,
        date: String,
        session: &'static str,
        first_line: Option<u64>,
    },
    #[error("no mark for pupil `{pupil}` on {date} {session}")]
    MissingMark {
        pupil: String,
        date: String,
        session: &'static str,
        more: usize,
    },
    #[error("pupil `{pupil}` is not on roll on {date}")]
    NotOnRoll {
        pupil: String,
        date: String,
        roll: String,
    },
    #[error("pupil `{pupil}` is not in the pupils file")]
    UnknownPupil { pupil: String },
    #[error("pupil `{pupil}` (a pseudonymised UPN) is not in the pupils file")]
    UnknownUpnPupil { pupil: String },
    #[error("year group `{text}` could mean more than one thing: read as {read_as}")]
    AmbiguousYearGroup { text: String, read_as: &'static str },
    #[error("bad pupil id `{text}`")]
    BadPupilId { text: String },
    #[error("pupil `{pupil}` appears twice in the pupils file")]
    DuplicatePupil { pupil: String, first_line: u64 },
    #[error("bad value `{text}` for `{column}`")]
    BadValue {
        column: String,
        text: String,
        expected: &'static str,
    },
    #[error("the marks cover {tokens} sessions, not a whole number of days")]
    OddMarks { tokens: usize },
    #[error("bad mark token `{text}`")]
    BadToken {
        text: String,
        suggestion: Option<String>,
    },
    #[error("the CTF file is malformed: {reason}")]
    BadXml { reason: String },
    #[error("CTF totals for `{pupil}` differ from its marks: {what}")]
    CtfTotals { pupil: String, what: String },
    #[error("local code `{code}` is not in the codes map")]
    UnmappedCode {
        code: String,
        suggestion: Option<String>,
    },
    #[error("mapping `{local}` to `{national}` loses information")]
    LossyMapping { local: String, national: String },
    #[error("no register data")]
    Empty,
    #[error("{count} more problems not shown")]
    TooMany { count: usize },
    #[error("more than {limit} pupils in one register")]
    TooManyPupils { limit: usize },
}

impl Problem for RegisterError {
    fn code(&self) -> &'static str {
        match self {
            RegisterError::Unreadable { .. } => "register::unreadable",
            RegisterError::NotText => "register::not_text",
            RegisterError::UnknownFormat { .. } => "register::unknown_format",
            RegisterError::UnmappedColumns { .. } => "register::unmapped_columns",
            RegisterError::BadRecord { .. } => "register::bad_record",
            RegisterError::UnknownUpnPupil { .. } => "register::unknown_pupil",
            RegisterError::AmbiguousYearGroup { .. } => "register::ambiguous_year_group",
            RegisterError::MissingColumn { .. } => "register::missing_column",
            RegisterError::FieldCount { .. } => "register::field_count",
            RegisterError::UnterminatedQuote => "register::unterminated_quote",
            RegisterError::RowTooLong { .. } => "register::row_too_long",
            RegisterError::BadDate { .. } | RegisterError::BadUkDate { .. } => "register::bad_date",
            RegisterError::BadSession { .. } => "register::bad_session",
            RegisterError::UnknownCode { .. } => "register::unknown_code",
            RegisterError::UnknownCodeOn { .. } => "register::unknown_code",
            RegisterError::CodeNotInForce { .. } => "register::code_not_in_force",
            RegisterError::ClosedDay { .. } => "register::closed_day",
            RegisterError::Duplicate { .. } => "register::duplicate_mark",
            RegisterError::MissingMark { .. } => "register::missing_mark",
            RegisterError::UnknownPupil { .. } => "register::unknown_pupil",
            RegisterError::NotOnRoll { .. } => "register::not_on_roll",
            RegisterError::BadPupilId { .. } => "register::bad_pupil_id",
            RegisterError::DuplicatePupil { .. } => "register::duplicate_pupil",
            RegisterError::BadValue { .. } => "register::bad_value",
            RegisterError::OddMarks { .. } => "register::odd_marks",
            RegisterError::BadToken { .. } => "register::bad_token",
            RegisterError::BadXml { .. } => "register::bad_xml",
            RegisterError::CtfTotals { .. } => "register::ctf_totals",
            RegisterError::UnmappedCode { .. } => "register::unmapped_code",
            RegisterError::LossyMapping { .. } => "register::lossy_mapping",
            RegisterError::Empty => "register::empty",
            RegisterError::TooMany { .. } => "register::too_many",
            RegisterError::TooManyPupils { .. } => "register::too_many_pupils",
        }
    }

    fn severity(&self) -> Severity {
        match self {
            RegisterError::CtfTotals { .. }
            | RegisterError::TooMany { .. }
            | RegisterError::AmbiguousYearGroup { .. } => Severity::Warning,
            _ => Severity::Error,
        }
    }

    fn help(&self) -> Option<String> {
        match self {
            RegisterError::UnknownFormat { .. } => Some(format!(
                "`attend` reads {FORMATS}; `--format` names one when the content does not tell"
            )),
            RegisterError::UnmappedColumns { .. } => Some(
                "say which column is which: `--columns pupil_id=UPN,date=Date,session=Session,mark=Mark` \
                 (dates `YYYY-MM-DD` or `dd/mm/yyyy`; sessions `AM`/`PM` or a time)"
                    .into(),
            ),
            RegisterError::BadRecord { .. } => Some(
                "each record needs a pupil id, a date, a session (`AM`/`PM`) and a mark; docs/data.md shows each format"
                    .into(),
            ),
            RegisterError::UnknownUpnPupil { .. } => Some(
                "the register's UPNs are pseudonymised: give the pupils file a `upn` column (or its UPNs as `pupil_id`), \
                 pseudonymised with the same key, or run with `--keep-upn` to keep UPNs as ids"
                    .into(),
            ),
            RegisterError::AmbiguousYearGroup { .. } => {
                Some("write `N1`, `N2`, `R` or a year number (`5`) to say which".into())
            }
            RegisterError::MissingColumn { expected, .. } => Some(format!("the header must name {expected}")),
            RegisterError::UnterminatedQuote => Some(format!(
                "a quoted field closes with `\"` on its own row, within {MAX_ROW} bytes; a `\"` inside it is written `\"\"`"
            )),
            RegisterError::RowTooLong { .. } => Some(
                "a register row is one pupil and session (long CSV) or one run of days (marks CSV); \
                 check that this is a register export with a line end after each row"
                    .into(),
            ),
            RegisterError::BadDate { .. } => Some("dates are ISO 8601: `YYYY-MM-DD`".into()),
            RegisterError::BadUkDate { .. } => Some(
                "dates are `dd/mm/yyyy` (day first, as in the UK) or `YYYY-MM-DD`, optionally followed by a time".into(),
            ),
            RegisterError::BadSession { .. } => Some("a session is `AM` or `PM`".into()),
            RegisterError::UnknownCode { suggestion: Some(s), .. }
            | RegisterError::UnknownCodeOn { suggestion: Some(s), .. }
            | RegisterError::BadToken { suggestion: Some(s), .. } => Some(format!("did you mean `{s}`?")),
            RegisterError::UnknownCode { .. } | RegisterError::UnknownCodeOn { .. } => {
                Some("use a national code (`attend explain` lists them), or map local codes with `--codes-map`".into())
            }
            RegisterError::CodeNotInForce { .. } => {
                Some("codes `H`, `J`, `Y` and `F` were retired; the 2024 set has `C1`, `J1`, `Y1`–`Y7` instead".into())
            }
            RegisterError::ClosedDay { .. } => {
                Some("check the calendar (`--calendar FILE`), or mark the session `#` if the school was closed".into())
            }
            RegisterError::Duplicate { first_line: Some(line), .. } => Some(format!("the other mark is on line {line}; keep one")),
            RegisterError::MissingMark { more, .. } => Some(if *more > 0 {
                format!("{more} more sessions have no mark; `--allow-missing` counts missing marks as `N`")
            } else {
                "`--allow-missing` counts missing marks as `N`".into()
            }),
            RegisterError::NotOnRoll { roll, .. } => {
                Some(format!("the pupils file has them on roll {roll}; only `Z` may be recorded outside it"))
            }
            RegisterError::UnknownPupil { .. } => Some("add the pupil to the pupils file, or check the id".into()),
            RegisterError::BadPupilId { .. } => Some("a pupil id is 1–64 characters of `A-Z a-z 0-9 . _ -`".into()),
            RegisterError::DuplicatePupil { first_line, .. } => Some(format!("the first row is on line {first_line}")),
            RegisterError::BadValue { expected, .. } => Some(format!("expected {expected}")),
            RegisterError::OddMarks { .. } => Some("each calendar day has two tokens, AM then PM".into()),
            RegisterError::LossyMapping { .. } => {
                Some("map to the exact 2024 code (`C1`, `Y4`), never to a shorter one".into())
            }
            RegisterError::UnmappedCode { suggestion: Some(s), .. } => {
                Some(format!("did you mean `{s}`? Otherwise add a row for it to the codes map"))
            }
            RegisterError::UnmappedCode { .. } => Some("add a row for it to the codes map".into()),
            RegisterError::TooMany { .. } => Some("fix these first, then run again".into()),
            RegisterError::TooManyPupils { .. } => {
                Some("a register is one school's (or one trust's) pupils; split the file".into())
            }
            _ => None,
        }
    }
}

/// The register formats `attend` reads, as a help line lists them.
pub const FORMATS: &str = "a long CSV (`pupil_id,date,session,mark`), a marks CSV \
    (`pupil_id,start_date,marks`), CTF XML (`<CTfile>`), SIMS XML (`<SessionAttendances>`), \
    JSON session records (Wonde, Arbor; an array or JSON lines), a grid report (a column per \
    session, `2024-09-05 AM`) or any CSV with `--columns pupil_id=..,date=..,session=..,mark=..`";

/// The longest row a register reader accepts, in bytes (4 MiB), quoted line ends included:
/// a real row is a few dozen bytes (long CSV) or a few kilobytes (a year of marks), and
/// anything longer is reported at its line rather than read.
pub const MAX_ROW: usize = 4 << 20;

/// How much of a line a problem keeps around the offending text, in characters: problems
/// hold an excerpt, never a copy of a line that may be megabytes long.
pub const EXCERPT: usize = 200;

/// The most problems a reader keeps whatever `--max-errors` says; the rest are counted.
pub const MAX_PROBLEMS: usize = 10_000;

/// Where in an input a problem is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Position {
    pub file: String,
    /// 1-based; 0 when the problem is about the whole file.
    pub line: u64,
    pub column: u64,
    /// At most [`EXCERPT`] characters of the line around the problem, for the caret
    /// display; never logged beyond the pupil id it holds.
    pub text: Option<String>,
    /// The column of the problem within `text` (1-based, in characters).
    pub caret: u64,
    /// Width of the offending text, in characters.
    pub width: usize,
}

/// A problem at a position in an input file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputProblem {
    pub error: RegisterError,
    /// Boxed: problems travel in `Result`s, and most results are fine.
    pub at: Box<Position>,
}

impl InputProblem {
    pub fn new(error: RegisterError, file: &str, line: u64, column: u64) -> InputProblem {
        InputProblem {
            error,
            at: Box::new(Position {
                file: file.to_string(),
                line,
                column,
                text: None,
                caret: column,
                width: 1,
            }),
        }
    }

    pub fn whole_file(error: RegisterError, file: &str) -> InputProblem {
        InputProblem::new(error, file, 0, 0)
    }

    /// Keeps an excerpt of `text`, the problem's line, whose column is the problem's column.
    pub fn with_text(self, text: &str, width: usize) -> InputProblem {
        let column = usize::try_from(self.at.column.saturating_sub(1)).unwrap_or(usize::MAX);
        let at = text
            .char_indices()
            .nth(column)
            .map_or(text.len(), |(i, _)| i);
        self.with_text_at(text.as_bytes(), at, width)
    }

    /// Keeps an excerpt of `line` around byte `at`, where the problem starts, so that the
    /// caret still points at it; the work is bounded by the excerpt, not the line.
    pub fn with_text_at(mut self, line: &[u8], at: usize, width: usize) -> InputProblem {
        let mut end = line.len();
        while let [rest @ .., b'\r' | b'\n'] = &line[..end] {
            end = rest.len();
        }
        let line = &line[..end];
        let at = floor_char(line, at.min(line.len()));
        // Up to a quarter of the excerpt before the problem, the rest after it; UTF-8 is at
        // most four bytes a character, so these byte bounds hold enough characters.
        let before = floor_char(line, at.saturating_sub(EXCERPT));
        let head = String::from_utf8_lossy(&line[before..at]);
        let keep = head.chars().count().saturating_sub(EXCERPT / 4);
        let head: String = head.chars().skip(keep).collect();
        let after = floor_char(line, at.saturating_add(4 * EXCERPT).min(line.len()));
        let room = EXCERPT - head.chars().count();
        let tail: String = String::from_utf8_lossy(&line[at..after])
            .chars()
            .take(room)
            .collect();
        self.at.caret = head.chars().count() as u64 + 1;
        self.at.width = width.clamp(1, room.max(1));
        self.at.text = Some(head + &tail);
        self
    }

    pub fn is_error(&self) -> bool {
        self.error.severity() == Severity::Error
    }

    /// `file:line:column`, or the file alone.
    pub fn place(&self) -> String {
        match (self.at.line, self.at.column) {
            (0, _) => self.at.file.clone(),
            (line, 0) => format!("{}:{line}", self.at.file),
            (line, column) => format!("{}:{line}:{column}", self.at.file),
        }
    }
}

impl fmt::Display for InputProblem {
    /// rustc-style: the message, the place, the line with a caret under the column, the help.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let severity = self.error.severity().as_str();
        writeln!(f, "{severity}[{}]: {}", self.error.code(), self.error)?;
        writeln!(f, "  --> {}", self.place())?;
        if let Some(text) = &self.at.text {
            let number = self.at.line.to_string();
            let pad = " ".repeat(number.len());
            writeln!(f, "{pad} |")?;
            writeln!(f, "{number} | {text}")?;
            if self.at.column > 0 {
                let indent = " ".repeat(usize::try_from(self.at.caret.max(1) - 1).unwrap_or(0));
                writeln!(f, "{pad} | {indent}{}", "^".repeat(self.at.width))?;
            }
        }
        if let Some(help) = self.error.help() {
            writeln!(f, "  = help: {help}")?;
        }
        Ok(())
    }
}

/// The start of the character holding byte `at` (a lead byte, or the end of `line`).
fn floor_char(line: &[u8], mut at: usize) -> usize {
    while at > 0 && at < line.len() && line[at] & 0xC0 == 0x80 {
        at -= 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caret_line(p: &InputProblem) -> (String, String) {
        let shown = p.to_string();
        let lines: Vec<&str> = shown.lines().collect();
        let text = lines[3].split_once(" | ").map_or("", |x| x.1).to_string();
        let caret = lines[4].split_once(" | ").map_or("", |x| x.1).to_string();
        (text, caret)
    }

    #[test]
    fn a_short_line_is_kept_whole_with_the_caret_at_its_column() {
        let p =
            InputProblem::new(RegisterError::Empty, "r.csv", 2, 4).with_text("P1,XX,AM,/\r\n", 2);
        assert_eq!(p.at.text.as_deref(), Some("P1,XX,AM,/"));
        let (_, caret) = caret_line(&p);
        assert_eq!(caret, "   ^^");
    }

    #[test]
    fn a_long_line_keeps_an_excerpt_and_the_caret_still_points_at_the_problem() {
        // A 1,000,000-character line with the offending `Q` at column 600,001.
        let mut line = "/".repeat(1_000_000);
        line.replace_range(600_000..600_001, "Q");
        let p = InputProblem::new(RegisterError::Empty, "r.csv", 2, 600_001).with_text(&line, 1);
        let text = p.at.text.as_deref().unwrap_or("");
        assert!(text.chars().count() <= EXCERPT);
        assert_eq!(p.place(), "r.csv:2:600001");
        let (shown, caret) = caret_line(&p);
        let column = caret.len() - 1;
        assert_eq!(shown.chars().nth(column), Some('Q'));
        // 50 characters before it (a quarter of the excerpt), 150 from it on.
        assert_eq!(column, EXCERPT / 4);
    }

    #[test]
    fn an_excerpt_never_splits_a_character() {
        let line = "é".repeat(1000);
        let p = InputProblem::new(RegisterError::Empty, "r.csv", 2, 1).with_text_at(
            line.as_bytes(),
            1001,
            1,
        );
        let text = p.at.text.unwrap_or_default();
        assert!(text.chars().all(|c| c == 'é'), "{text}");
        assert_eq!(p.at.caret, (EXCERPT / 4) as u64 + 1);
    }
}
