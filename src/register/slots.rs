//! Where readers put marks: one row of sessions per pupil, shared by the reading threads.
//! Each thread keeps its own cache of the pupils it has seen, so the shared map is locked
//! once per pupil and thread, not once per row.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use rustc_hash::FxHashMap;

use super::error::{InputProblem, RegisterError};
use super::{Context, NO_MARK, Pupil, Register, session_name, valid_pupil_id};

/// One pupil's row of sessions and the school days they are on roll (`roll.0..roll.1`).
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    pub marks: Arc<[AtomicU8]>,
    pub roll: (usize, usize),
}

impl Entry {
    /// Records a mark; `Err` when the session already has one. Plain loads and stores, not
    /// a compare-and-swap: a locked instruction per row would serialise the cache misses
    /// that dominate reading. Two threads marking the same session at the same instant can
    /// both succeed; [`LocalSlots::stored`] counts let the reader detect that and re-read.
    #[inline]
    pub fn set(&self, slot: usize, mark: u8) -> Result<(), ()> {
        match self.marks.get(slot) {
            Some(cell) if cell.load(Ordering::Relaxed) == NO_MARK => {
                cell.store(mark, Ordering::Relaxed);
                Ok(())
            }
            _ => Err(()),
        }
    }
}

struct Shared {
    map: FxHashMap<Box<[u8]>, usize>,
    ids: Vec<Box<[u8]>>,
    entries: Vec<Entry>,
    /// Pupil records that came with the register itself (CTF).
    records: Vec<Option<Pupil>>,
}

pub(crate) struct Slots {
    width: usize,
    days: usize,
    /// Only the pupils file's pupils may appear.
    closed: bool,
    shared: Mutex<Shared>,
}

impl Slots {
    pub fn new(ctx: &Context<'_>) -> Slots {
        let days = ctx.days.len();
        let mut shared = Shared {
            map: FxHashMap::default(),
            ids: Vec::new(),
            entries: Vec::new(),
            records: Vec::new(),
        };
        if let Some(pupils) = ctx.pupils {
            for pupil in pupils.iter() {
                let roll = roll_of(ctx, pupil);
                add(&mut shared, pupil.id.as_bytes(), days * 2, roll);
            }
        }
        Slots {
            width: days * 2,
            days,
            closed: ctx.pupils.is_some(),
            shared: Mutex::new(shared),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The pupil's row, adding the pupil on first sight unless a pupils file closes the set.
    pub fn get(&self, id: &[u8]) -> Result<Entry, RegisterError> {
        let mut shared = self.lock();
        if let Some(i) = shared.map.get(id) {
            return Ok(shared.entries[*i].clone());
        }
        let text = String::from_utf8_lossy(id).into_owned();
        if !valid_pupil_id(id) {
            return Err(RegisterError::BadPupilId { text });
        }
        if self.closed {
            return Err(RegisterError::UnknownPupil { pupil: text });
        }
        let i = add(&mut shared, id, self.width, (0, self.days));
        Ok(shared.entries[i].clone())
    }

    /// Attaches the pupil record a register carried (CTF), replacing the row's roll.
    pub fn set_record(&self, id: &[u8], pupil: Pupil) {
        let mut shared = self.lock();
        if let Some(i) = shared.map.get(id).copied()
            && let Some(slot) = shared.records.get_mut(i)
        {
            *slot = Some(pupil);
        }
    }

    /// Sessions that hold a mark, over all pupils.
    pub fn filled(&self) -> u64 {
        let shared = self.lock();
        shared
            .entries
            .iter()
            .map(|e| {
                e.marks
                    .iter()
                    .filter(|m| m.load(Ordering::Relaxed) != NO_MARK)
                    .count() as u64
            })
            .sum()
    }

    pub fn local(&self) -> LocalSlots<'_> {
        LocalSlots {
            slots: self,
            cache: FxHashMap::default(),
            entries: Vec::new(),
            ids: Vec::new(),
            spans: Vec::new(),
            next: Vec::new(),
            last: None,
            stored: 0,
        }
    }
}

fn add(shared: &mut Shared, id: &[u8], width: usize, roll: (usize, usize)) -> usize {
    let i = shared.entries.len();
    let marks: Arc<[AtomicU8]> = (0..width).map(|_| AtomicU8::new(NO_MARK)).collect();
    shared.entries.push(Entry { marks, roll });
    shared.ids.push(id.into());
    shared.records.push(None);
    shared.map.insert(id.into(), i);
    i
}

/// The school days a pupil is on roll, from their admission and leaving dates.
fn roll_of(ctx: &Context<'_>, pupil: &Pupil) -> (usize, usize) {
    let from = pupil.admission.map_or(0, |d| ctx.days.index_on_or_after(d));
    let to = pupil
        .leaving
        .and_then(|d| d.succ_opt())
        .map_or(ctx.days.len(), |d| ctx.days.index_on_or_after(d));
    (from, to.max(from))
}

/// One reading thread's view of the slots.
pub(crate) struct LocalSlots<'s> {
    slots: &'s Slots,
    /// Id → index into `entries`: rows are found without touching shared reference counts.
    cache: FxHashMap<Box<[u8]>, usize>,
    entries: Vec<Entry>,
    /// Each entry's id, as a range of `ids`, and the entry last seen after it: exports list
    /// pupils in the same order day after day, so the next row's pupil is usually predicted
    /// without hashing.
    ids: Vec<u8>,
    spans: Vec<(usize, usize)>,
    next: Vec<usize>,
    last: Option<usize>,
    /// Marks recorded through this view.
    pub stored: u64,
}

impl LocalSlots<'_> {
    #[inline]
    fn id(&self, i: usize) -> &[u8] {
        self.spans
            .get(i)
            .and_then(|(a, b)| self.ids.get(*a..*b))
            .unwrap_or(&[])
    }

    #[inline]
    pub fn get(&mut self, id: &[u8]) -> Result<&Entry, RegisterError> {
        let index = match self.last {
            Some(i) if same(self.id(i), id) => i,
            Some(i)
                if self
                    .next
                    .get(i)
                    .is_some_and(|n| *n != usize::MAX && same(self.id(*n), id)) =>
            {
                self.next[i]
            }
            last => {
                let j = match self.cache.get(id) {
                    Some(j) => *j,
                    None => {
                        let e = self.slots.get(id)?;
                        self.entries.push(e);
                        let start = self.ids.len();
                        self.ids.extend_from_slice(id);
                        self.spans.push((start, self.ids.len()));
                        self.next.push(usize::MAX);
                        self.cache.insert(id.into(), self.entries.len() - 1);
                        self.entries.len() - 1
                    }
                };
                if let Some(slot) = last.and_then(|i| self.next.get_mut(i)) {
                    *slot = j;
                }
                j
            }
        };
        self.last = Some(index);
        self.entries.get(index).ok_or(RegisterError::Empty)
    }
}

/// How many pupils ahead [`LocalSlots::prefetch_ahead`] looks.
const PREFETCH_DISTANCE: usize = 16;

impl LocalSlots<'_> {
    /// Day-by-day exports list every pupil for one session before the next session, so each
    /// row writes to a different pupil's marks and reading is bound by those cache misses.
    /// Asking for the session of the pupil a few rows ahead overlaps the misses.
    #[inline]
    pub fn prefetch_ahead(&self, slot: usize) {
        let Some(entry) = self
            .last
            .and_then(|i| self.entries.get(i + PREFETCH_DISTANCE))
        else {
            return;
        };
        let Some(cell) = entry.marks.get(slot) else {
            return;
        };
        #[cfg(target_arch = "x86_64")]
        // SAFETY: a prefetch is only a hint; it never faults and reads or writes nothing the
        // program can observe, and SSE (which provides it) is part of every x86_64 target.
        unsafe {
            use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
            _mm_prefetch::<_MM_HINT_T0>(cell.as_ptr().cast_const().cast::<i8>());
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = cell;
    }
}

/// Byte equality without a call into `memcmp`: ids are a few bytes long.
#[inline]
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// What a reader hands back: the slots, the school days with marks, its problems.
pub(crate) struct Collected {
    pub slots: Slots,
    pub span: Option<(usize, usize)>,
    pub problems: Vec<InputProblem>,
    /// Problems beyond those kept.
    pub dropped: usize,
}

pub(crate) fn widen(span: &mut Option<(usize, usize)>, day: usize) {
    *span = Some(match *span {
        None => (day, day),
        Some((a, b)) => (a.min(day), b.max(day)),
    });
}

/// Sorts the problems, or checks for missing marks and builds the [`Register`].
pub(crate) fn finish(
    ctx: &Context<'_>,
    collected: Collected,
) -> Result<Register, Vec<InputProblem>> {
    let Collected {
        slots,
        span,
        mut problems,
        mut dropped,
    } = collected;
    let limit = ctx.options.limit();
    if problems.iter().any(InputProblem::is_error) {
        return Err(truncate(problems, dropped, limit));
    }
    let warnings = std::mem::take(&mut problems);
    let shared = slots
        .shared
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner);
    let mut order: Vec<usize> = (0..shared.ids.len()).collect();
    order.sort_by(|a, b| shared.ids[*a].cmp(&shared.ids[*b]));
    let width = slots.width;
    let mut marks = Vec::with_capacity(order.len() * width);
    let mut pupils = Vec::with_capacity(order.len());
    let Some((first, last)) = span else {
        return Err(vec![InputProblem::whole_file(
            RegisterError::Empty,
            &ctx.input.name,
        )]);
    };
    // The register is taken up to its last marked session: the afternoon of the last day if
    // any pupil has an afternoon mark then, otherwise its morning. Sessions from there on with
    // no mark are not yet taken (a class not yet marked, an afternoon still to come): they
    // stay unmarked, neither missing nor absent.
    let afternoon_taken = shared.entries.iter().any(|e| {
        e.marks
            .get(last * 2 + 1)
            .is_some_and(|m| m.load(std::sync::atomic::Ordering::Relaxed) != NO_MARK)
    });
    let taken_to = last * 2 + usize::from(afternoon_taken);
    for &i in &order {
        let entry = &shared.entries[i];
        let id = String::from_utf8_lossy(&shared.ids[i]).into_owned();
        let start = marks.len();
        marks.extend(
            entry
                .marks
                .iter()
                .map(|m| m.load(std::sync::atomic::Ordering::Relaxed)),
        );
        let row = &mut marks[start..];
        let (from, to) = (entry.roll.0.max(first), entry.roll.1.min(last + 1));
        let mut missing: Option<(usize, usize)> = None;
        let mut count = 0;
        for day in from..to {
            for session in 0..2 {
                let slot = day * 2 + session;
                if row[slot] == NO_MARK && slot < taken_to {
                    if ctx.options.allow_missing {
                        row[slot] = ctx.decoder.unexplained(day);
                    } else {
                        count += 1;
                        missing.get_or_insert((day, session));
                    }
                }
            }
        }
        if let Some((day, session)) = missing {
            if problems.len() < limit {
                let error = RegisterError::MissingMark {
                    pupil: id.clone(),
                    date: ctx.days.date(day).to_string(),
                    session: session_name(session),
                    more: count - 1,
                };
                problems.push(InputProblem::whole_file(error, &ctx.input.name));
            } else {
                dropped += 1;
            }
        }
        let record = shared.records[i].clone();
        let pupil = match ctx.pupils.and_then(|p| p.get(&id)) {
            Some(p) => p.clone(),
            None => record.unwrap_or_else(|| Pupil::unknown(id)),
        };
        pupils.push(pupil);
    }
    if !problems.is_empty() {
        return Err(truncate(problems, dropped, limit));
    }
    Ok(Register {
        pupils,
        days: slots.days,
        marks,
        span: Some((first, last)),
        warnings,
    })
}

fn truncate(mut problems: Vec<InputProblem>, dropped: usize, limit: usize) -> Vec<InputProblem> {
    problems.sort_by_key(|p| (p.is_error(), p.at.line));
    problems.sort_by_key(|p| !p.is_error());
    let extra = problems.len().saturating_sub(limit) + dropped;
    problems.truncate(limit);
    if extra > 0 {
        let file = problems
            .first()
            .map(|p| p.at.file.clone())
            .unwrap_or_default();
        problems.push(InputProblem::whole_file(
            RegisterError::TooMany { count: extra },
            &file,
        ));
    }
    problems
}
