//! Where readers put marks: one row of sessions per pupil, over the school days the register
//! has reached so far (not the whole calendar), shared by the reading threads. Each thread
//! keeps its own cache of the pupils it has seen, so the shared map is locked once per pupil
//! and thread, not once per row.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Mutex, PoisonError, RwLock, RwLockReadGuard};

use rustc_hash::FxHashMap;

use super::error::{InputProblem, RegisterError};
use super::{Context, NO_MARK, Pupil, Register, session_name, valid_pupil_id};

/// A pupil as a reader sees it: its row in the store and the school days it is on roll
/// (`roll.0..roll.1`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Entry {
    pub index: usize,
    pub roll: (usize, usize),
}

struct Shared {
    map: FxHashMap<Box<[u8]>, usize>,
    ids: Vec<Box<[u8]>>,
    rolls: Vec<(usize, usize)>,
    /// Pupil records that came with the register itself (CTF), by row.
    records: FxHashMap<usize, Pupil>,
}

/// The marks of every pupil over a window of school days, pupil-major, AM then PM. It grows
/// (under the write lock) when a mark falls outside it: by at least its own size each time,
/// so the copying adds up to a few times the final size. Its width follows the register's
/// own dates, never the calendar's: a calendar of ten thousand years costs nothing per pupil.
struct Store {
    first: usize,
    /// School days held (0 before the first mark).
    held: usize,
    /// Pupil rows allocated.
    pupils: usize,
    cells: Box<[AtomicU8]>,
}

impl Store {
    #[inline]
    fn cell(&self, pupil: usize, slot: usize) -> Option<&AtomicU8> {
        let at = slot.checked_sub(self.first * 2)?;
        if pupil >= self.pupils || at >= self.held * 2 {
            return None;
        }
        self.cells.get(pupil * self.held * 2 + at)
    }
}

fn unmarked(len: usize) -> Box<[AtomicU8]> {
    (0..len).map(|_| AtomicU8::new(NO_MARK)).collect()
}

pub(crate) struct Slots {
    days: usize,
    /// Only the pupils file's pupils may appear.
    closed: bool,
    shared: Mutex<Shared>,
    store: RwLock<Store>,
}

impl Slots {
    pub fn new(ctx: &Context<'_>) -> Slots {
        let days = ctx.days.len();
        let mut shared = Shared {
            map: FxHashMap::default(),
            ids: Vec::new(),
            rolls: Vec::new(),
            records: FxHashMap::default(),
        };
        if let Some(pupils) = ctx.pupils {
            for pupil in pupils.iter() {
                let roll = roll_of(ctx, pupil);
                add(&mut shared, pupil.id.as_bytes(), roll);
            }
        }
        Slots {
            days,
            closed: ctx.pupils.is_some(),
            store: RwLock::new(Store {
                first: 0,
                held: 0,
                pupils: shared.ids.len(),
                cells: Box::new([]),
            }),
            shared: Mutex::new(shared),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The pupil's row, adding the pupil on first sight unless a pupils file closes the set.
    pub fn get(&self, id: &[u8]) -> Result<Entry, RegisterError> {
        let mut shared = self.lock();
        if let Some(&index) = shared.map.get(id) {
            return Ok(Entry {
                index,
                roll: shared.rolls[index],
            });
        }
        let text = String::from_utf8_lossy(id).into_owned();
        if !valid_pupil_id(id) {
            return Err(RegisterError::BadPupilId { text });
        }
        if self.closed {
            return Err(RegisterError::UnknownPupil { pupil: text });
        }
        let index = add(&mut shared, id, (0, self.days));
        Ok(Entry {
            index,
            roll: (0, self.days),
        })
    }

    /// Attaches the pupil record a register carried (CTF), replacing the row's roll.
    pub fn set_record(&self, id: &[u8], pupil: Pupil) {
        let mut shared = self.lock();
        if let Some(i) = shared.map.get(id).copied() {
            shared.records.insert(i, pupil);
        }
    }

    /// Widens the store to hold `pupil`'s row and school day `day`. The caller holds no
    /// read guard (it would wait for itself).
    fn grow(&self, pupil: usize, day: usize) {
        let mut store = self.store.write().unwrap_or_else(PoisonError::into_inner);
        if store.cell(pupil, day * 2).is_some() || day >= self.days {
            return;
        }
        let (first, end) = if store.held == 0 {
            (day, day + 1)
        } else {
            let (first, end) = (store.first, store.first + store.held);
            let step = store.held;
            if day < first {
                (day.min(first.saturating_sub(step)), end)
            } else if day >= end {
                (first, (day + 1).max(end + step).min(self.days))
            } else {
                (first, end)
            }
        };
        let pupils = if pupil < store.pupils {
            store.pupils
        } else {
            (pupil + 1).max(store.pupils * 2).max(64)
        };
        let held = end - first;
        let cells = unmarked(pupils * held * 2);
        // Nothing is held before the first mark, whatever `store.first` says.
        let offset = store.first.saturating_sub(first) * 2;
        let old = store.held * 2;
        for p in (0..store.pupils).take_while(|_| old > 0) {
            for (i, cell) in store.cells[p * old..(p + 1) * old].iter().enumerate() {
                cells[p * held * 2 + offset + i]
                    .store(cell.load(Ordering::Relaxed), Ordering::Relaxed);
            }
        }
        *store = Store {
            first,
            held,
            pupils,
            cells,
        };
    }

    /// Sessions that hold a mark, over all pupils.
    pub fn filled(&self) -> u64 {
        let store = self.store.read().unwrap_or_else(PoisonError::into_inner);
        store
            .cells
            .iter()
            .filter(|m| m.load(Ordering::Relaxed) != NO_MARK)
            .count() as u64
    }

    pub fn local(&self) -> LocalSlots<'_> {
        LocalSlots {
            slots: self,
            store: None,
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

fn add(shared: &mut Shared, id: &[u8], roll: (usize, usize)) -> usize {
    let i = shared.ids.len();
    shared.ids.push(id.into());
    shared.rolls.push(roll);
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
    /// The store, read-locked while this thread records marks; [`LocalSlots::release`]
    /// lets it go so that another thread can widen it.
    store: Option<RwLockReadGuard<'s, Store>>,
    /// Id → index into `entries`: rows are found without touching the shared map.
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
    pub fn get(&mut self, id: &[u8]) -> Result<Entry, RegisterError> {
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
        self.entries.get(index).copied().ok_or(RegisterError::Empty)
    }

    /// Records a mark; `Err` when the session already has one. Plain loads and stores, not
    /// a compare-and-swap: a locked instruction per row would serialise the cache misses
    /// that dominate reading. Two threads marking the same session at the same instant can
    /// both succeed; the [`LocalSlots::stored`] counts let the reader detect that and re-read.
    #[inline]
    pub fn set(&mut self, pupil: usize, slot: usize, mark: u8) -> Result<(), ()> {
        let slots = self.slots;
        loop {
            let store = self
                .store
                .get_or_insert_with(|| slots.store.read().unwrap_or_else(PoisonError::into_inner));
            if let Some(cell) = store.cell(pupil, slot) {
                if cell.load(Ordering::Relaxed) != NO_MARK {
                    return Err(());
                }
                cell.store(mark, Ordering::Relaxed);
                return Ok(());
            }
            if slot / 2 >= slots.days {
                return Err(());
            }
            self.store = None;
            slots.grow(pupil, slot / 2);
        }
    }

    /// Lets go of the store (a reading thread does, between chunks).
    pub fn release(&mut self) {
        self.store = None;
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
        let Some(cell) = self.store.as_ref().and_then(|s| s.cell(entry.index, slot)) else {
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
    let mut shared = slots
        .shared
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner);
    let store = slots
        .store
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner);
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
    let afternoon_taken = (0..shared.ids.len()).any(|i| {
        store
            .cell(i, last * 2 + 1)
            .is_some_and(|m| m.load(Ordering::Relaxed) != NO_MARK)
    });
    let taken_to = last * 2 + usize::from(afternoon_taken);
    let mut order: Vec<usize> = (0..shared.ids.len()).collect();
    order.sort_by(|a, b| shared.ids[*a].cmp(&shared.ids[*b]));
    // The register holds the span's days only; every mark recorded is within it.
    let width = (last + 1 - first) * 2;
    let mut marks = Vec::with_capacity(order.len() * width);
    let mut pupils = Vec::with_capacity(order.len());
    for &i in &order {
        let id = String::from_utf8_lossy(&shared.ids[i]).into_owned();
        let start = marks.len();
        marks.extend((first * 2..(last + 1) * 2).map(|slot| {
            store
                .cell(i, slot)
                .map_or(NO_MARK, |m| m.load(Ordering::Relaxed))
        }));
        let row = &mut marks[start..];
        let roll = shared.rolls[i];
        let (from, to) = (roll.0.max(first), roll.1.min(last + 1));
        let mut missing: Option<(usize, usize)> = None;
        let mut count = 0;
        for day in from..to {
            for session in 0..2 {
                let slot = (day - first) * 2 + session;
                if row[slot] == NO_MARK && day * 2 + session < taken_to {
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
        let record = shared.records.remove(&i);
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
        first,
        days: last + 1 - first,
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
