//! One mark at a time, as the MIS readers (SIMS XML, JSON, the grid report) find them: the
//! same checks the long CSV makes of a row (school day, code in force, pupil on roll, no
//! second mark), with the part of the record at fault named so each reader can point at it.

use std::io::BufRead;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError, mpsc};

use chrono::NaiveDate;

use super::ctf::{AtOffset, locate};
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

/// How many bytes a chunk of records holds, at least: big enough that a worker spends its
/// time parsing, not waiting.
const CHUNK: usize = 1 << 22;

/// What a chunk parser reports: problems at byte offsets within its chunk.
pub(crate) type ChunkParser<'f> =
    dyn Fn(&mut Recorder<'_, '_, '_>, &[u8], usize, &mut Vec<AtOffset>) + Sync + 'f;

/// Reads records on every core: the input is cut into chunks of [`CHUNK`] bytes or more,
/// each ending just after the last record boundary in it (`boundary` gives that index), and
/// each chunk is parsed by `parse` (given its index: the first holds the prolog) on its own
/// thread. Problems are placed at their lines at the end, from their byte offsets. A record
/// longer than a chunk is reported, not read. As the long CSV's reader does, a register in
/// which two threads may have marked one session at once is read again on one thread.
pub(crate) fn read_chunks(
    ctx: &Context<'_>,
    reader: Box<dyn BufRead + Send>,
    boundary: &(dyn Fn(&[u8]) -> Option<usize> + Sync),
    parse: &ChunkParser<'_>,
) -> Result<Collected, Vec<InputProblem>> {
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(1, 16);
    let (collected, stored) = chunks_with(ctx, reader, boundary, parse, workers)?;
    if workers > 1 && collected.problems.is_empty() && collected.slots.filled() != stored {
        let reader = ctx.input.open().map_err(|p| vec![p])?;
        return chunks_with(ctx, reader, boundary, parse, 1).map(|(c, _)| c);
    }
    Ok(collected)
}

fn chunks_with(
    ctx: &Context<'_>,
    mut reader: Box<dyn BufRead + Send>,
    boundary: &(dyn Fn(&[u8]) -> Option<usize> + Sync),
    parse: &ChunkParser<'_>,
    workers: usize,
) -> Result<(Collected, u64), Vec<InputProblem>> {
    let slots = Slots::new(ctx);
    let limit = ctx.options.limit();
    let found: Mutex<Vec<AtOffset>> = Mutex::new(Vec::new());
    let full = AtomicBool::new(false);
    let spans: Mutex<Vec<(usize, usize)>> = Mutex::new(Vec::new());
    let stored = AtomicU64::new(0);
    let (send, receive) = mpsc::sync_channel::<(usize, u64, Vec<u8>)>(workers * 2);
    let receive = Mutex::new(receive);
    let mut read_error = None;
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let (receive, slots, found, full, spans, stored) =
                (&receive, &slots, &found, &full, &spans, &stored);
            scope.spawn(move || {
                let mut recorder = Recorder::new(ctx, slots);
                loop {
                    let next = receive
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .recv();
                    let Ok((index, offset, data)) = next else {
                        break;
                    };
                    let mut problems = Vec::new();
                    parse(&mut recorder, &data, index, &mut problems);
                    recorder.local.release();
                    if !problems.is_empty() {
                        let mut all = found.lock().unwrap_or_else(PoisonError::into_inner);
                        all.extend(problems.into_iter().map(|p| p.shifted(offset)));
                        if all.len() >= limit {
                            full.store(true, Ordering::Relaxed);
                        }
                    }
                }
                if let Some((a, b)) = recorder.span {
                    let mut spans = spans.lock().unwrap_or_else(PoisonError::into_inner);
                    spans.push((a, b));
                }
                stored.fetch_add(recorder.local.stored, Ordering::Relaxed);
            });
        }
        let mut carry: Vec<u8> = Vec::new();
        let (mut index, mut offset) = (0usize, 0u64);
        loop {
            if full.load(Ordering::Relaxed) {
                break;
            }
            let mut data = std::mem::take(&mut carry);
            let mut eof = false;
            while data.len() < CHUNK {
                let buf = match reader.fill_buf() {
                    Ok(buf) => buf,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        read_error = Some(e);
                        eof = true;
                        break;
                    }
                };
                if buf.is_empty() {
                    eof = true;
                    break;
                }
                let take = buf.len().min(CHUNK + (CHUNK >> 2) - data.len());
                data.extend_from_slice(&buf[..take]);
                reader.consume(take);
            }
            if !eof {
                match boundary(&data) {
                    Some(end) if end > 0 => carry.extend_from_slice(&data[end..]),
                    _ => {
                        let error = RegisterError::RowTooLong { limit: CHUNK };
                        found
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .push(AtOffset::new(offset, error));
                        break;
                    }
                }
                data.truncate(data.len() - carry.len());
            }
            let len = data.len() as u64;
            if send.send((index, offset, data)).is_err() || eof {
                break;
            }
            index += 1;
            offset += len;
        }
        drop(send);
    });
    if let Some(e) = read_error {
        let name = &ctx.input.name;
        let error = RegisterError::Unreadable {
            file: name.clone(),
            reason: e.to_string(),
        };
        return Err(vec![InputProblem::whole_file(error, name)]);
    }
    let mut found = found.into_inner().unwrap_or_else(PoisonError::into_inner);
    found.sort_by_key(AtOffset::offset);
    let dropped = found.len().saturating_sub(limit);
    found.truncate(limit);
    let mut span = None;
    for (a, b) in spans.into_inner().unwrap_or_else(PoisonError::into_inner) {
        widen(&mut span, a);
        widen(&mut span, b);
    }
    let problems = locate(ctx, found);
    Ok((
        Collected {
            slots,
            span,
            problems,
            dropped,
        },
        stored.into_inner(),
    ))
}
