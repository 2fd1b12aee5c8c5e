//! One mark at a time, as the MIS readers (SIMS XML, JSON, the grid report) find them: the
//! same checks the long CSV makes of a row (school day, code in force, pupil on roll, no
//! second mark), with the part of the record at fault named so each reader can point at it.

use chrono::NaiveDate;

use super::error::{InputProblem, RegisterError};
use super::long::roll_text;
use super::slots::{Collected, LocalSlots, Slots, widen};
use super::{Context, Decoded, session_name};

/// Which part of a record a problem is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Part {
    Pupil,
    Date,
    Session,
    Mark,
}

/// Records marks into a register's slots, one thread.
pub(crate) struct Recorder<'a, 'c, 's> {
    ctx: &'a Context<'c>,
    local: LocalSlots<'s>,
    pub span: Option<(usize, usize)>,
    /// The last date looked up and its school day, as records come in date order.
    last_date: Option<(NaiveDate, Option<usize>)>,
}

impl<'a, 'c, 's> Recorder<'a, 'c, 's> {
    pub fn new(ctx: &'a Context<'c>, slots: &'s Slots) -> Recorder<'a, 'c, 's> {
        Recorder {
            ctx,
            local: slots.local(),
            span: None,
            last_date: None,
        }
    }

    /// Records `mark` for `pupil` on `date`, session `session` (0 AM, 1 PM). `-` and a closure
    /// mark on a day the school is closed are accepted and record nothing.
    pub fn record(
        &mut self,
        pupil: &[u8],
        date: NaiveDate,
        session: usize,
        mark: &[u8],
    ) -> Result<(), (Part, RegisterError)> {
        let day = match self.last_date {
            Some((d, day)) if d == date => day,
            _ => {
                let day = self.ctx.days.index(date);
                self.last_date = Some((date, day));
                day
            }
        };
        let Some(day) = day else {
            if self.ctx.decoder.is_closure_mark(mark, date) {
                return Ok(());
            }
            let error = self
                .ctx
                .closed_problem(&String::from_utf8_lossy(mark), date);
            return Err((Part::Date, error));
        };
        let code = match self.ctx.decoder.decode(mark, day, date) {
            Ok(Decoded::Code(code)) => code,
            Ok(Decoded::Missing) => return Ok(()),
            Err(error) => return Err((Part::Mark, error)),
        };
        let entry = self
            .local
            .get(pupil)
            .map_err(|e| (Part::Pupil, self.ctx.unknown_pupil(e)))?;
        let is_z = crate::codes::table()
            .rows()
            .get(usize::from(code))
            .is_some_and(|r| r.code == "Z");
        if !(entry.roll.0..entry.roll.1).contains(&day) && !is_z {
            let error = RegisterError::NotOnRoll {
                pupil: String::from_utf8_lossy(pupil).into_owned(),
                date: date.to_string(),
                roll: roll_text(self.ctx, entry.roll),
            };
            return Err((Part::Date, error));
        }
        let slot = day * 2 + session;
        if self.local.set(entry.index, slot, code).is_err() {
            let error = RegisterError::Duplicate {
                pupil: String::from_utf8_lossy(pupil).into_owned(),
                date: date.to_string(),
                session: session_name(session),
                first_line: None,
            };
            return Err((Part::Session, error));
        }
        self.local.stored += 1;
        widen(&mut self.span, day);
        Ok(())
    }
}

/// The problems a reader has found: errors up to its limit, the rest counted.
pub(crate) struct Problems {
    pub kept: Vec<InputProblem>,
    pub dropped: usize,
    limit: usize,
}

impl Problems {
    pub fn new(ctx: &Context<'_>) -> Problems {
        Problems {
            kept: Vec::new(),
            dropped: 0,
            limit: ctx.options.limit(),
        }
    }

    pub fn push(&mut self, problem: InputProblem) {
        if self.full() {
            self.dropped += 1;
        } else {
            self.kept.push(problem);
        }
    }

    pub fn full(&self) -> bool {
        self.kept.len() >= self.limit
    }

    pub fn collected(self, slots: Slots, span: Option<(usize, usize)>) -> Collected {
        Collected {
            slots,
            span,
            problems: self.kept,
            dropped: self.dropped,
        }
    }
}
