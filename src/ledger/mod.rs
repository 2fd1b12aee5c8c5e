//! The ledger: what the policy has asked for, run after run, kept in an SQLite database so
//! that each run can say what is new, what is unchanged and what is withdrawn because the
//! marks that justified it changed, and staff can record what they did. `cli` opens the file.

mod error;
mod marks;
mod notices;
mod schema;

pub use error::LedgerError;
pub use schema::VERSION;

use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use rustc_hash::FxHashMap;

use crate::engine::{self, Outcome};
use crate::register::Register;
use crate::table::DecisionTable;
use crate::table::SchoolDays;

/// How many new actions [`Recorded::new_actions`] keeps.
pub const NEW_SHOWN: usize = 20;

/// How long a run waits for another to finish with the ledger before giving up.
pub const BUSY_SECONDS: u64 = 60;

/// An open ledger.
pub struct Ledger {
    conn: Connection,
}

/// What a run is, as the ledger records it.
#[derive(Clone, Debug)]
pub struct RunInfo {
    pub at: String,
    pub policy: String,
    pub register: String,
}

/// One action as the run found it against the ledger.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    /// Not in the ledger before this run (or withdrawn and now asked for again).
    pub new: bool,
    /// When staff said it was done, and their note.
    pub done: Option<String>,
}

/// An action the policy no longer asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Withdrawn {
    pub id: String,
    pub date: String,
    pub pupil_id: String,
    pub rule: String,
    pub step: String,
    pub action: String,
    pub responsible: String,
    pub evidence: String,
    pub reason: String,
    pub marks_before: String,
    pub marks_after: String,
    pub done_on: Option<String>,
    pub done_note: Option<String>,
    /// Withdrawn by this run (otherwise by an earlier one and still to be followed up).
    pub this_run: bool,
}

impl Withdrawn {
    /// A done action that is withdrawn needs someone to undo it: an apology, a cancelled
    /// meeting.
    pub fn needs_follow_up(&self) -> bool {
        self.done_on.is_some()
    }
}

/// What one run changed.
#[derive(Clone, Debug, Default)]
pub struct Recorded {
    /// Every action of the run, by its key.
    pub status: FxHashMap<u64, Status>,
    pub new: usize,
    /// The first few new actions, `id  date  pupil  action  [rule, step]`, in actions.csv's
    /// order.
    pub new_actions: Vec<String>,
    pub unchanged: usize,
    /// Withdrawn by this run, then done actions withdrawn earlier and not yet followed up;
    /// each in date, pupil and id order.
    pub withdrawn: Vec<Withdrawn>,
}

/// One `attend done`: an id (or a prefix of one), the day and an optional note.
#[derive(Clone, Debug)]
pub struct DoneRequest {
    pub id: String,
    pub on: NaiveDate,
    pub note: Option<String>,
}

/// What `attend done` did with one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Done {
    /// Marked done.
    Done { id: String },
    /// Already done on that day: left as it was.
    Already { id: String, on: String },
    /// A withdrawn action that was done: its follow-up is now recorded.
    FollowedUp { id: String },
}

impl Ledger {
    /// Takes a connection `cli` has opened and brings its schema up to date.
    pub fn new(mut conn: Connection) -> Result<Ledger, LedgerError> {
        conn.busy_timeout(std::time::Duration::from_secs(BUSY_SECONDS))?;
        // A ledger file may come from anywhere (copied between machines, restored from a
        // backup): SQL functions written into its schema (views, triggers) must not run with
        // side effects, so the schema is not trusted.
        conn.pragma_update(None, "trusted_schema", false)?;
        schema::migrate(&mut conn)?;
        Ok(Ledger { conn })
    }

    /// Starts a run: the ledger is locked for writing until [`Run::commit`], and dropping the
    /// run leaves it as it was.
    pub fn begin(&mut self) -> Result<Run<'_>, LedgerError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        Ok(Run { tx })
    }

    /// Records what staff did, all or nothing: the first request that names no action (or
    /// several) stops it, with its index.
    pub fn mark_done(
        &mut self,
        requests: &[DoneRequest],
    ) -> Result<Vec<Done>, (usize, LedgerError)> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| (0, e.into()))?;
        let mut out = Vec::with_capacity(requests.len());
        for (i, request) in requests.iter().enumerate() {
            let done = done_one(&tx, request).map_err(|e| (i, e))?;
            out.push(done);
        }
        tx.commit().map_err(|e| (requests.len(), e.into()))?;
        Ok(out)
    }
}

fn done_one(tx: &rusqlite::Transaction<'_>, request: &DoneRequest) -> Result<Done, LedgerError> {
    let prefix = request.id.trim().to_ascii_lowercase();
    if !(6..=16).contains(&prefix.len()) || !prefix.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(LedgerError::BadId {
            id: request.id.clone(),
        });
    }
    // Every id is sixteen hex digits, so those starting with `prefix` sort from `prefix`
    // to `prefix` followed by `g`.
    let mut select = tx.prepare_cached(
        "SELECT id, withdrawn_run, done_on FROM actions WHERE id >= ?1 AND id < ?1 || 'g' LIMIT 2",
    )?;
    let found: Vec<(String, Option<i64>, Option<String>)> = select
        .query_map([&prefix], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    let (id, withdrawn, done_on) = match found.as_slice() {
        [one] => one.clone(),
        [] => {
            return Err(LedgerError::UnknownId {
                id: request.id.clone(),
            });
        }
        more => {
            let count: i64 = tx.query_row(
                "SELECT count(*) FROM actions WHERE id >= ?1 AND id < ?1 || 'g'",
                [&prefix],
                |r| r.get(0),
            )?;
            return Err(LedgerError::AmbiguousId {
                id: request.id.clone(),
                count: usize::try_from(count).unwrap_or(0).max(more.len()),
            });
        }
    };
    let on = request.on.to_string();
    let short = id.get(..engine::SHORT_ID).unwrap_or(&id).to_string();
    match (withdrawn, done_on) {
        (Some(_), Some(_)) => {
            tx.execute(
                "UPDATE actions SET followed_up_on = ?2, follow_up_note = ?3 WHERE id = ?1",
                params![id, on, request.note],
            )?;
            Ok(Done::FollowedUp { id: short })
        }
        (_, Some(on)) => Ok(Done::Already { id: short, on }),
        (_, None) => {
            tx.execute(
                "UPDATE actions SET done_on = ?2, done_note = ?3 WHERE id = ?1",
                params![id, on, request.note],
            )?;
            Ok(Done::Done { id: short })
        }
    }
}

/// A run being recorded: one transaction.
pub struct Run<'c> {
    tx: rusqlite::Transaction<'c>,
}

/// An action the ledger had before this run and has not yet seen again.
struct Earlier {
    pupil_id: String,
    date: String,
    done_on: Option<String>,
}

impl Run<'_> {
    /// Compares a run's actions with the ledger and records them: new ones inserted, ones no
    /// longer asked for withdrawn with the marks before and after, the marks of every pupil
    /// with actions kept for next time. Only actions dated within the register's span, of pupils it has, can
    /// be withdrawn: a shorter or partial register withdraws nothing it does not cover.
    pub fn record(
        &mut self,
        table: &DecisionTable,
        days: &SchoolDays,
        register: &Register,
        outcome: &Outcome,
        info: &RunInfo,
    ) -> Result<Recorded, LedgerError> {
        let tx = &self.tx;
        let (first, last) = outcome.span;
        let (first_date, last_date) = (days.date(first).to_string(), days.date(last).to_string());
        tx.execute(
            "INSERT INTO runs (at, policy, register, first_date, last_date, new, unchanged, withdrawn)
             VALUES (?1, ?2, ?3, ?4, ?5, 0, 0, 0)",
            params![info.at, info.policy, info.register, first_date, last_date],
        )?;
        let run = tx.last_insert_rowid();
        let mut earlier: FxHashMap<u64, Earlier> = FxHashMap::default();
        {
            let mut select = tx.prepare(
                "SELECT id, pupil_id, date, done_on FROM actions
                 WHERE withdrawn_run IS NULL AND date >= ?1 AND date <= ?2",
            )?;
            let mut rows = select.query([&first_date, &last_date])?;
            while let Some(row) = rows.next()? {
                let id: String = row.get(0)?;
                let pupil_id: String = row.get(1)?;
                if register.find(&pupil_id).is_none() {
                    continue;
                }
                let Ok(key) = u64::from_str_radix(&id, 16) else {
                    continue;
                };
                earlier.insert(
                    key,
                    Earlier {
                        pupil_id,
                        date: row.get(2)?,
                        done_on: row.get(3)?,
                    },
                );
            }
        }
        let mut recorded = Recorded::default();
        {
            // A withdrawn action asked for again is new again; its done date is kept.
            let mut insert = tx.prepare(
                "INSERT INTO actions (id, date, pupil_id, rule, step, action, responsible, evidence, first_run)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT (id) DO UPDATE SET withdrawn_run = NULL, withdrawn_reason = NULL,
                   marks_before = NULL, marks_after = NULL, evidence = excluded.evidence",
            )?;
            let mut date_text = (usize::MAX, String::new());
            for due in engine::each_action(table, outcome) {
                let (f, row, action) = (due.fired, due.row, due.action);
                let key = due.key(days, register);
                if recorded.status.contains_key(&key) {
                    continue;
                }
                if let Some(e) = earlier.remove(&key) {
                    recorded.unchanged += 1;
                    recorded.status.insert(
                        key,
                        Status {
                            new: false,
                            done: e.done_on,
                        },
                    );
                    continue;
                }
                if date_text.0 != f.day {
                    date_text = (f.day, days.date(f.day).to_string());
                }
                let pupil = register.id(f.pupil);
                insert.execute(params![
                    engine::action_id(key),
                    date_text.1,
                    pupil,
                    row.rule,
                    engine::step_name(row),
                    action.action,
                    due.responsible().unwrap_or(""),
                    due.evidence(),
                    run,
                ])?;
                recorded.new += 1;
                if recorded.new_actions.len() < NEW_SHOWN {
                    recorded.new_actions.push(format!(
                        "{}  {}  {pupil}  {}  [{}, {}]",
                        engine::short_id(key),
                        date_text.1,
                        action.action,
                        row.rule,
                        engine::step_name(row)
                    ));
                }
                recorded.status.insert(
                    key,
                    Status {
                        new: true,
                        done: None,
                    },
                );
            }
        }
        self.withdraw(days, register, run, earlier)?;
        self.keep_marks(days, register, outcome)?;
        recorded.withdrawn = self.withdrawn(run)?;
        let withdrawn_now = recorded.withdrawn.iter().filter(|w| w.this_run).count();
        self.tx.execute(
            "UPDATE runs SET new = ?2, unchanged = ?3, withdrawn = ?4 WHERE run = ?1",
            params![
                run,
                recorded.new as i64,
                recorded.unchanged as i64,
                withdrawn_now as i64
            ],
        )?;
        Ok(recorded)
    }

    /// Withdraws what the run no longer asks for, with the marks that changed.
    fn withdraw(
        &self,
        days: &SchoolDays,
        register: &Register,
        run: i64,
        earlier: FxHashMap<u64, Earlier>,
    ) -> Result<(), LedgerError> {
        let tx = &self.tx;
        let mut old_marks =
            tx.prepare("SELECT first_date, marks FROM marks WHERE pupil_id = ?1")?;
        let mut update = tx.prepare(
            "UPDATE actions SET withdrawn_run = ?2, withdrawn_reason = ?3, marks_before = ?4,
               marks_after = ?5 WHERE id = ?1",
        )?;
        let (span_first, span_last) = register.span.unwrap_or((0, 0));
        let mut gone: Vec<(u64, Earlier)> = earlier.into_iter().collect();
        gone.sort_by_key(|(key, _)| *key);
        for (key, e) in gone {
            let before: Option<(String, String)> = old_marks
                .query_row([&e.pupil_id], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            let now = register
                .find(&e.pupil_id)
                .map(|i| register.marks_between(i, span_first, span_last))
                .unwrap_or(&[]);
            let now_text = marks::text(now);
            let until = NaiveDate::parse_from_str(&e.date, "%Y-%m-%d").unwrap_or_default();
            let (was, is) = match before.as_ref().and_then(|(d, m)| {
                NaiveDate::parse_from_str(d, "%Y-%m-%d")
                    .ok()
                    .map(|d| (d, m.as_str()))
            }) {
                Some(before) => {
                    marks::differences(days, before, (days.date(span_first), &now_text), until, 10)
                }
                None => (String::new(), String::new()),
            };
            let reason = if was.is_empty() {
                "the policy no longer asks for it (the marks up to its date are unchanged)"
            } else {
                "the marks that justified it changed"
            };
            update.execute(params![engine::action_id(key), run, reason, was, is])?;
        }
        Ok(())
    }

    /// Keeps the marks of every pupil this run asks something for (only their actions can be
    /// withdrawn next time), as this run read them; a pupil whose actions this run withdrew
    /// keeps the marks that justified them.
    fn keep_marks(
        &self,
        days: &SchoolDays,
        register: &Register,
        outcome: &Outcome,
    ) -> Result<(), LedgerError> {
        let (first, last) = outcome.span;
        let first_date = days.date(first).to_string();
        let mut upsert = self.tx.prepare(
            "INSERT INTO marks (pupil_id, first_date, marks) VALUES (?1, ?2, ?3)
             ON CONFLICT (pupil_id) DO UPDATE SET first_date = excluded.first_date,
               marks = excluded.marks
             WHERE marks IS NOT excluded.marks OR first_date IS NOT excluded.first_date",
        )?;
        let mut with_actions: Vec<usize> = outcome.fired.iter().map(|f| f.pupil).collect();
        with_actions.sort_unstable();
        with_actions.dedup();
        for i in with_actions {
            if i >= register.len() {
                continue;
            }
            let text = marks::text(register.marks_between(i, first, last));
            upsert.execute(params![register.id(i), first_date, text])?;
        }
        Ok(())
    }

    /// The actions this run withdrew, then done actions withdrawn earlier and not yet
    /// followed up.
    fn withdrawn(&self, run: i64) -> Result<Vec<Withdrawn>, LedgerError> {
        let mut select = self.tx.prepare(
            "SELECT id, date, pupil_id, rule, step, action, responsible, evidence,
                    withdrawn_reason, marks_before, marks_after, done_on, done_note,
                    withdrawn_run = ?1
             FROM actions
             WHERE withdrawn_run = ?1
                OR (withdrawn_run IS NOT NULL AND done_on IS NOT NULL AND followed_up_on IS NULL)
             ORDER BY withdrawn_run = ?1 DESC, date, pupil_id, id",
        )?;
        let rows = select.query_map([run], |r| {
            Ok(Withdrawn {
                id: r.get(0)?,
                date: r.get(1)?,
                pupil_id: r.get(2)?,
                rule: r.get(3)?,
                step: r.get(4)?,
                action: r.get(5)?,
                responsible: r.get(6)?,
                evidence: r.get(7)?,
                reason: r.get::<_, Option<String>>(8)?.unwrap_or_default(),
                marks_before: r.get::<_, Option<String>>(9)?.unwrap_or_default(),
                marks_after: r.get::<_, Option<String>>(10)?.unwrap_or_default(),
                done_on: r.get(11)?,
                done_note: r.get(12)?,
                this_run: r.get(13)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Makes the run permanent. Until then the ledger is as it was before the run.
    pub fn commit(self) -> Result<(), LedgerError> {
        self.tx.commit()?;
        Ok(())
    }
}

/// `withdrawn.csv`: every action withdrawn by the run, and every done action withdrawn
/// earlier and not yet followed up.
pub fn withdrawn_csv(withdrawn: &[Withdrawn]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    // Writing to a Vec cannot fail.
    let _ = w.write_record([
        "id",
        "date",
        "pupil_id",
        "rule",
        "step",
        "action",
        "responsible",
        "evidence",
        "reason",
        "marks_before",
        "marks_after",
        "done",
        "done_note",
        "follow_up",
        "withdrawn",
    ]);
    for x in withdrawn {
        let _ = w.write_record([
            x.id.get(..engine::SHORT_ID).unwrap_or(&x.id),
            &x.date,
            &x.pupil_id,
            &x.rule,
            &x.step,
            &x.action,
            &x.responsible,
            &x.evidence,
            &x.reason,
            &x.marks_before,
            &x.marks_after,
            x.done_on.as_deref().unwrap_or(""),
            x.done_note.as_deref().unwrap_or(""),
            if x.needs_follow_up() { "yes" } else { "" },
            if x.this_run { "this run" } else { "earlier" },
        ]);
    }
    w.into_inner().unwrap_or_default()
}
