//! What can go wrong with a ledger, in words an attendance officer can act on.

use crate::diagnostic::Problem;

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum LedgerError {
    #[error("another `attend` is writing the ledger and did not finish within {seconds} seconds")]
    Busy { seconds: u64 },
    #[error("the file is not an `attend` ledger (not an SQLite database)")]
    NotALedger,
    #[error(
        "the ledger was written by a newer `attend` (schema version {found}; this one reads up to {known})"
    )]
    Newer { found: i64, known: i64 },
    #[error("the ledger cannot be read or written: {reason}")]
    Database { reason: String },
    #[error("`{id}` is not an action id")]
    BadId { id: String },
    #[error("no action `{id}` in the ledger")]
    UnknownId { id: String },
    #[error("`{id}` is the start of {count} actions' ids")]
    AmbiguousId { id: String, count: usize },
}

impl Problem for LedgerError {
    fn code(&self) -> &'static str {
        match self {
            LedgerError::Busy { .. } => "ledger::busy",
            LedgerError::NotALedger => "ledger::not_a_ledger",
            LedgerError::Newer { .. } => "ledger::newer",
            LedgerError::Database { .. } => "ledger::database",
            LedgerError::BadId { .. } => "ledger::bad_id",
            LedgerError::UnknownId { .. } => "ledger::unknown_id",
            LedgerError::AmbiguousId { .. } => "ledger::ambiguous_id",
        }
    }

    fn help(&self) -> Option<String> {
        Some(match self {
            LedgerError::Busy { .. } => {
                "wait for the other run to finish and run again; nothing was changed".into()
            }
            LedgerError::NotALedger => {
                "give `--ledger` a new file, or the one an earlier `attend run` made".into()
            }
            LedgerError::Newer { .. } => "use the newer `attend`, or a new ledger file".into(),
            LedgerError::Database { .. } => "nothing was changed".into(),
            LedgerError::BadId { .. } => {
                "an id is six to sixteen hex digits, as in the `id` column of actions.csv".into()
            }
            LedgerError::UnknownId { .. } => {
                "ids are in the `id` column of actions.csv and in `attend run --on`'s list; is this the ledger that run used (`--ledger FILE`)?".into()
            }
            LedgerError::AmbiguousId { .. } => "give more of the id's hex digits".into(),
        })
    }
}

impl From<rusqlite::Error> for LedgerError {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode;
        match e.sqlite_error_code() {
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => LedgerError::Busy {
                seconds: super::BUSY_SECONDS,
            },
            Some(ErrorCode::NotADatabase) => LedgerError::NotALedger,
            _ => LedgerError::Database {
                reason: e.to_string(),
            },
        }
    }
}
