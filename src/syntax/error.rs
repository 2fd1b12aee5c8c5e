//! The syntax stage's problems: text that is not a policy, in words a policy author knows.

use thiserror::Error;

use crate::diagnostic::Problem;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum SyntaxError {
    #[error("unexpected {found}")]
    Unexpected {
        found: String,
        expected: Vec<String>,
    },
    #[error("`{text}` is not a real date")]
    InvalidDate { text: String },
    #[error("`{text}` is not a time of day")]
    InvalidTime { text: String },
    #[error("`{text}` is too large a number")]
    NumberTooLarge { text: String },
    #[error("`{text}` has more than four decimal places")]
    PercentTooPrecise { text: String },
    #[error("`{text}` is not a whole number or a half")]
    NotWholeOrHalf { text: String },
    #[error("a condition nested more than {limit} levels deep")]
    TooDeep { limit: usize },
    #[error("a condition of more than {limit} terms")]
    TooManyTerms { limit: usize },
    #[error("the file is larger than {limit}")]
    TooLarge { limit: String },
    #[error("the file is not UTF-8 text")]
    NotText,
    #[error("the file is empty")]
    Empty,
    #[error("{message}")]
    Toml { message: String },
    #[error("unknown key `{key}` in {table}")]
    TomlUnknownKey {
        key: String,
        table: String,
        expected: Vec<String>,
    },
    #[error("`{key}` is missing in {table}")]
    TomlMissingKey { key: String, table: String },
    #[error("a TOML file holds a `[policy]` table or `[[calendar]]` tables")]
    TomlNothing,
    #[error("{what} is stated again here, and TOML holds it once")]
    TomlCannotRepeat { what: String },
    #[error("{what} comes after a block here, and TOML keeps it in `[policy]` above every block")]
    TomlCannotOrder { what: String },
}

impl Problem for SyntaxError {
    fn code(&self) -> &'static str {
        match self {
            SyntaxError::Unexpected { .. } => "syntax::unexpected",
            SyntaxError::InvalidDate { .. } => "syntax::invalid_date",
            SyntaxError::InvalidTime { .. } => "syntax::invalid_time",
            SyntaxError::NumberTooLarge { .. } => "syntax::number_too_large",
            SyntaxError::PercentTooPrecise { .. } => "syntax::percent_too_precise",
            SyntaxError::NotWholeOrHalf { .. } => "syntax::not_whole_or_half",
            SyntaxError::TooDeep { .. } => "syntax::too_deep",
            SyntaxError::TooManyTerms { .. } => "syntax::too_many_terms",
            SyntaxError::TooLarge { .. } => "syntax::too_large",
            SyntaxError::NotText => "syntax::not_text",
            SyntaxError::Empty => "syntax::empty",
            SyntaxError::Toml { .. } => "syntax::toml",
            SyntaxError::TomlUnknownKey { .. } => "syntax::toml_unknown_key",
            SyntaxError::TomlMissingKey { .. } => "syntax::toml_missing_key",
            SyntaxError::TomlNothing => "syntax::toml_nothing",
            SyntaxError::TomlCannotRepeat { .. } => "syntax::toml_cannot_repeat",
            SyntaxError::TomlCannotOrder { .. } => "syntax::toml_cannot_order",
        }
    }

    fn help(&self) -> Option<String> {
        match self {
            SyntaxError::Unexpected { expected, .. } if !expected.is_empty() => {
                Some(format!("expected {}", one_of(expected)))
            }
            SyntaxError::Unexpected { .. } => None,
            SyntaxError::InvalidDate { .. } => {
                Some("write dates as YYYY-MM-DD, e.g. `2024-09-04`".into())
            }
            SyntaxError::InvalidTime { .. } => {
                Some("write times as HH:MM on the 24-hour clock, e.g. `09:30`".into())
            }
            SyntaxError::NumberTooLarge { .. } => None,
            SyntaxError::PercentTooPrecise { .. } => {
                Some("percentages are exact to four decimal places, e.g. `95.9%`".into())
            }
            SyntaxError::NotWholeOrHalf { .. } => Some(
                "a count is whole, or a half day: `3.5 days` (7 sessions), `7 half_days`".into(),
            ),
            SyntaxError::TooDeep { .. } => {
                Some("split the condition into definitions with `define`".into())
            }
            SyntaxError::TooManyTerms { .. } => {
                Some("split the condition into definitions with `define`".into())
            }
            SyntaxError::TooLarge { .. } => Some(
                "a policy or calendar is a few pages of text; check that this is the right file"
                    .into(),
            ),
            SyntaxError::NotText => Some("a policy is a UTF-8 text file (.policy or .toml)".into()),
            SyntaxError::Empty => Some("a policy starts with `policy \"Name\" {`".into()),
            SyntaxError::Toml { .. } => None,
            SyntaxError::TomlUnknownKey { key, expected, .. } => {
                crate::diagnostic::did_you_mean_help(key, expected.iter().map(String::as_str))
                    .or_else(|| Some(format!("expected {}", one_of(expected))))
            }
            SyntaxError::TomlMissingKey { key, .. } => Some(format!("add `{key} = ...`")),
            SyntaxError::TomlNothing => {
                Some("start a policy with `[policy]` and `name = \"...\"`".into())
            }
            SyntaxError::TomlCannotRepeat { .. } => Some(
                "keep one of the two, or join them (a second block's entries into the first, a second `on miss:` line's actions into the first), then convert".into(),
            ),
            SyntaxError::TomlCannotOrder { what } => Some(format!(
                "move {what} up, before the first block or definition, then convert"
            )),
        }
    }
}

/// `a`, `a or b`, `a, b or c`
pub fn one_of(words: &[String]) -> String {
    match words {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}
