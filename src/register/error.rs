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
    #[error("this file is not a register: its header is `{found}`")]
    UnknownFormat { found: String },
    #[error("missing column `{column}`")]
    MissingColumn {
        column: String,
        expected: &'static str,
    },
    #[error("expected {expected} fields, found {found}")]
    FieldCount { expected: usize, found: usize },
    #[error("unterminated quoted field")]
    UnterminatedQuote,
    #[error("bad date `{text}`")]
    BadDate { text: String },
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
}

impl Problem for RegisterError {
    fn code(&self) -> &'static str {
        match self {
            RegisterError::Unreadable { .. } => "register::unreadable",
            RegisterError::NotText => "register::not_text",
            RegisterError::UnknownFormat { .. } => "register::unknown_format",
            RegisterError::MissingColumn { .. } => "register::missing_column",
            RegisterError::FieldCount { .. } => "register::field_count",
            RegisterError::UnterminatedQuote => "register::unterminated_quote",
            RegisterError::BadDate { .. } => "register::bad_date",
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
        }
    }

    fn severity(&self) -> Severity {
        match self {
            RegisterError::CtfTotals { .. } | RegisterError::TooMany { .. } => Severity::Warning,
            _ => Severity::Error,
        }
    }

    fn help(&self) -> Option<String> {
        match self {
            RegisterError::UnknownFormat { .. } => Some(
                "a register is a long CSV (`pupil_id,date,session,mark`), a marks CSV \
                 (`pupil_id,start_date,marks`) or a CTF XML file"
                    .into(),
            ),
            RegisterError::MissingColumn { expected, .. } => Some(format!("the header must name {expected}")),
            RegisterError::BadDate { .. } => Some("dates are ISO 8601: `YYYY-MM-DD`".into()),
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
            _ => None,
        }
    }
}

/// Where in an input a problem is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Position {
    pub file: String,
    /// 1-based; 0 when the problem is about the whole file.
    pub line: u64,
    pub column: u64,
    /// The line's text, for the caret display; never logged beyond the pupil id it holds.
    pub text: Option<String>,
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
                width: 1,
            }),
        }
    }

    pub fn whole_file(error: RegisterError, file: &str) -> InputProblem {
        InputProblem::new(error, file, 0, 0)
    }

    pub fn with_text(mut self, text: &str, width: usize) -> InputProblem {
        self.at.text = Some(text.trim_end_matches(['\r', '\n']).to_string());
        self.at.width = width.max(1);
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
            let shown: String = text.chars().take(200).collect();
            writeln!(f, "{pad} |")?;
            writeln!(f, "{number} | {shown}")?;
            if self.at.column > 0 {
                let indent = " ".repeat(usize::try_from(self.at.column - 1).unwrap_or(0));
                writeln!(f, "{pad} | {indent}{}", "^".repeat(self.at.width))?;
            }
        }
        if let Some(help) = self.error.help() {
            writeln!(f, "  = help: {help}")?;
        }
        Ok(())
    }
}
