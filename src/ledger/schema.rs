//! The ledger's tables and how each version of them becomes the next. The version is SQLite's
//! `user_version`; each migration runs in the transaction that checked it, so two runs
//! opening a new ledger at once cannot both create it.

use rusqlite::{Connection, TransactionBehavior};

use super::LedgerError;

/// The schema this `attend` writes.
pub const VERSION: i64 = 1;

/// Version 0 (a new, empty file) to version 1.
const V1: &str = "
CREATE TABLE runs (
    run         INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,     -- when, UTC, RFC 3339
    policy      TEXT NOT NULL,
    register    TEXT NOT NULL,
    first_date  TEXT NOT NULL,     -- the register's first and last school day
    last_date   TEXT NOT NULL,
    new         INTEGER NOT NULL,
    unchanged   INTEGER NOT NULL,
    withdrawn   INTEGER NOT NULL
);
-- One row per action the policy has asked for, ever. `id` is engine::action_id: the same
-- pupil, rule, step, action and date give the same id in every run.
CREATE TABLE actions (
    id               TEXT PRIMARY KEY,
    date             TEXT NOT NULL,
    pupil_id         TEXT NOT NULL,
    rule             TEXT NOT NULL,
    step             TEXT NOT NULL,
    action           TEXT NOT NULL,
    responsible      TEXT NOT NULL,
    evidence         TEXT NOT NULL,
    first_run        INTEGER NOT NULL REFERENCES runs(run),
    withdrawn_run    INTEGER REFERENCES runs(run),
    withdrawn_reason TEXT,
    marks_before     TEXT,
    marks_after      TEXT,
    done_on          TEXT,
    done_note        TEXT,
    followed_up_on   TEXT,
    follow_up_note   TEXT
) WITHOUT ROWID;
CREATE INDEX actions_by_date ON actions(date);
-- The marks of each pupil with actions, as the last run that asked for any of them read them
-- (compact tokens from first_date), so a withdrawn action can show the marks that justified
-- it beside the marks now. (A rowid table: its rows are a school year long.)
CREATE TABLE marks (
    pupil_id    TEXT NOT NULL UNIQUE,
    first_date  TEXT NOT NULL,
    marks       TEXT NOT NULL
);
";

/// The migrations in order: `MIGRATIONS[n]` takes version `n` to `n + 1`.
const MIGRATIONS: &[&str] = &[V1];

/// Brings the ledger to [`VERSION`], refusing one from a newer `attend`.
pub fn migrate(conn: &mut Connection) -> Result<(), LedgerError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let found: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found > VERSION {
        return Err(LedgerError::Newer {
            found,
            known: VERSION,
        });
    }
    for (from, sql) in MIGRATIONS.iter().enumerate() {
        if (from as i64) < found {
            continue;
        }
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", from as i64 + 1)?;
    }
    tx.commit()?;
    Ok(())
}
