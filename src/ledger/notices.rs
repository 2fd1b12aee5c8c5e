//! The penalty notices staff marked done before a run's first day, for
//! `notices_issued(N years)` (src/engine/notices.rs): each dated the day it was done.

use chrono::NaiveDate;
use rusqlite::params;

use super::{Ledger, LedgerError};
use crate::engine::notices::{NOTICE_ACTION, NoticeHistory};

impl Ledger {
    /// Notices asked for before `first` (a run from `first` asks again for any later one) and
    /// marked done, by pupil.
    pub fn notices_before(&self, first: NaiveDate) -> Result<NoticeHistory, LedgerError> {
        let mut history = NoticeHistory::default();
        let mut stmt = self.conn.prepare(
            "SELECT pupil_id, done_on FROM actions
             WHERE action = ?1 AND done_on IS NOT NULL AND date < ?2",
        )?;
        let rows = stmt.query_map(params![NOTICE_ACTION, first.to_string()], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?;
        for row in rows {
            let (pupil, done_on) = row?;
            // `done` writes ISO dates; a hand-edited ledger's other text is not a notice date.
            if let Ok(on) = NaiveDate::parse_from_str(&done_on, "%Y-%m-%d") {
                history.insert(&pupil, on);
            }
        }
        Ok(history)
    }
}
