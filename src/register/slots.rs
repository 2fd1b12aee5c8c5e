//! Where readers put marks: one row of sessions per pupil, over the school days the register
//! has reached so far (not the whole calendar), shared by the reading threads. Each thread
//! keeps its own cache of the pupils it has seen, so the shared map is locked once per pupil
//! and thread, not once per row. Ids are kept compactly ([`IdList`]): a million pupils cost
//! tens of bytes each here, not an allocation per id and per map.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Mutex, PoisonError, RwLock, RwLockReadGuard};

use std::collections::HashMap;

use rayon::prelude::*;

use super::error::{InputProblem, RegisterError};
use super::ids::{IdHasher, IdIndex, IdList, MAX_PUPILS};
use super::{Context, NO_MARK, Pupil, Register, session_name, valid_pupil_id};

/// A pupil as a reader sees it: its row in the store and the school days it is on roll
/// (`roll.0..roll.1`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Entry {
    pub index: usize,
    pub roll: (usize, usize),
}

/// An [`Entry`] as a thread's cache keeps it.
#[derive(Clone, Copy, Debug)]
struct Compact {
    index: u32,
    roll: (u32, u32),
}

impl Compact {
    fn new(entry: Entry) -> Compact {
        let narrow = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Compact {
            index: narrow(entry.index),
            roll: (narrow(entry.roll.0), narrow(entry.roll.1)),
        }
    }

    fn entry(self) -> Entry {
        Entry {
            index: self.index as usize,
            roll: (self.roll.0 as usize, self.roll.1 as usize),
        }
    }
}

struct Shared {
    index: IdIndex,
    ids: IdList,
    /// The rolls of the pupils file's pupils, which come first; every other pupil is on
    /// roll on every school day.
    rolls: Vec<(u32, u32)>,
    /// Pupil records that came with the register itself (CTF), by row.
    records: HashMap<usize, Pupil>,
}

impl Shared {
    fn roll(&self, i: usize, days: usize) -> (usize, usize) {
        self.rolls
            .get(i)
            .map_or((0, days), |(a, b)| (*a as usize, *b as usize))
    }
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
    /// Hashes ids for the shared map and every thread's cache alike.
    hasher: IdHasher,
    shared: Mutex<Shared>,
    store: RwLock<Store>,
}

impl Slots {
    pub fn new(ctx: &Context<'_>) -> Slots {
        let days = ctx.days.len();
        let hasher = IdHasher::default();
        let mut shared = Shared {
            index: IdIndex::default(),
            ids: IdList::default(),
            rolls: Vec::new(),
            records: HashMap::default(),
        };
        if let Some(pupils) = ctx.pupils {
            for pupil in pupils.iter() {
                // The pupils file holds each id once; past `MAX_PUPILS` a pupil is left out,
                // and its register rows are reported as not in the pupils file.
                if let Some(i) = shared.ids.push(pupil.id.as_bytes()) {
                    shared.index.insert(i, hasher.hash(pupil.id.as_bytes()));
                    let (from, to) = roll_of(ctx, pupil);
                    let narrow = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
                    shared.rolls.push((narrow(from), narrow(to)));
                }
            }
        }
        Slots {
            days,
            closed: ctx.pupils.is_some(),
            hasher,
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

    /// The pupil's row, adding the pupil on first sight unless a pupils file closes the set;
    /// `hash` is the id's [`IdHasher::hash`] with this store's hasher.
    fn get(&self, id: &[u8], hash: u32) -> Result<Entry, RegisterError> {
        let mut shared = self.lock();
        if let Some(index) = shared.index.find(&shared.ids, id, hash) {
            return Ok(Entry {
                index,
                roll: shared.roll(index, self.days),
            });
        }
        let text = || String::from_utf8_lossy(id).into_owned();
        if !valid_pupil_id(id) {
            return Err(RegisterError::BadPupilId { text: text() });
        }
        if self.closed {
            return Err(RegisterError::UnknownPupil { pupil: text() });
        }
        let Some(index) = shared.ids.push(id) else {
            return Err(RegisterError::TooManyPupils { limit: MAX_PUPILS });
        };
        shared.index.insert(index, hash);
        Ok(Entry {
            index: index as usize,
            roll: (0, self.days),
        })
    }

    /// Attaches the pupil record a register carried (CTF), replacing the row's roll.
    pub fn set_record(&self, id: &[u8], pupil: Pupil) {
        let mut shared = self.lock();
        let hash = self.hasher.hash(id);
        if let Some(i) = shared.index.find(&shared.ids, id, hash) {
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
            cache: IdIndex::default(),
            entries: Vec::new(),
            ids: IdList::default(),
            next: Vec::new(),
            last: None,
            moving: false,
            rows: 0,
            misses: 0,
            stored: 0,
        }
    }
}

/// The school days a pupil is on roll, from their admission and leaving dates.
pub(crate) fn roll_of(ctx: &Context<'_>, pupil: &Pupil) -> (usize, usize) {
    let from = pupil.admission.map_or(0, |d| ctx.days.index_on_or_after(d));
    let to = pupil
        .leaving
        .and_then(|d| d.succ_opt())
        .map_or(ctx.days.len(), |d| ctx.days.index_on_or_after(d));
    (from, to.max(from))
}

/// How many pupils a reading thread keeps in its own cache before it asks whether rows
/// meet them again.
const LOCAL_CACHE_FREE: usize = 1 << 16;

/// One reading thread's view of the slots.
pub(crate) struct LocalSlots<'s> {
    slots: &'s Slots,
    /// The store, read-locked while this thread records marks; [`LocalSlots::release`]
    /// lets it go so that another thread can widen it.
    store: Option<RwLockReadGuard<'s, Store>>,
    /// Id → index into `entries`: rows are found without touching the shared map.
    cache: IdIndex,
    entries: Vec<Compact>,
    /// Each entry's id, and the entry last seen after it: exports list pupils in the same
    /// order day after day, so the next row's pupil is usually predicted without hashing.
    ids: IdList,
    next: Vec<u32>,
    last: Option<usize>,
    /// The last pupil predicted was the one after the pupil before it.
    moving: bool,
    /// Rows looked up through this view, and how many the shared map answered.
    rows: u64,
    misses: u64,
    /// Marks recorded through this view.
    pub stored: u64,
}

impl LocalSlots<'_> {
    #[inline]
    pub fn get(&mut self, id: &[u8]) -> Result<Entry, RegisterError> {
        self.rows += 1;
        let predicted = self.predict(id);
        let index = match predicted {
            Some(i) => i,
            None => {
                let hash = self.slots.hasher.hash(id);
                let j = match self.cache.find(&self.ids, id, hash) {
                    Some(j) => j,
                    None => {
                        let e = self.slots.get(id, hash)?;
                        self.misses += 1;
                        // A thread that seldom meets a pupil again (a file of as many pupils
                        // as rows) keeps no copy past the first few: the shared map answers,
                        // and memory is not that map's again (and again doubled) per thread.
                        if self.entries.len() >= LOCAL_CACHE_FREE && self.misses * 2 > self.rows {
                            self.last = None;
                            return Ok(e);
                        }
                        // The shared list took the id, so it is valid and this one can too.
                        let Some(j) = self.ids.push(id) else {
                            return Err(RegisterError::TooManyPupils { limit: MAX_PUPILS });
                        };
                        self.entries.push(Compact::new(e));
                        self.next.push(u32::MAX);
                        self.cache.insert(j, hash);
                        j as usize
                    }
                };
                if let Some(slot) = self.last.and_then(|i| self.next.get_mut(i)) {
                    *slot = u32::try_from(j).unwrap_or(u32::MAX);
                }
                j
            }
        };
        self.last = Some(index);
        // A `match`, not `ok_or`: that would make (and drop) the error on every row.
        match self.entries.get(index) {
            Some(c) => Ok(c.entry()),
            None => Err(RegisterError::Empty),
        }
    }

    /// The entry of `id` when it is the last row's pupil or the one that followed it before.
    /// A file sorted by pupil repeats the pupil, one sorted by session moves on to the next:
    /// whichever came true last is tried first.
    #[inline]
    fn predict(&mut self, id: &[u8]) -> Option<usize> {
        let i = self.last?;
        let next = self.next.get(i).map(|n| *n as usize);
        let follows = |n: Option<usize>| n.is_some_and(|n| same(self.ids.get(n), id));
        if self.moving {
            if follows(next) {
                return next;
            }
            if same(self.ids.get(i), id) {
                self.moving = false;
                return Some(i);
            }
        } else {
            if same(self.ids.get(i), id) {
                return Some(i);
            }
            if follows(next) {
                self.moving = true;
                return next;
            }
        }
        None
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

    /// The pupil's row, looked up in the shared map without keeping it in this thread's
    /// cache: for readers that see each pupil once (a row per pupil), where a cache would
    /// only grow.
    pub fn get_once(&mut self, id: &[u8]) -> Result<Entry, RegisterError> {
        self.slots.get(id, self.slots.hasher.hash(id))
    }

    /// Records `marks` (`NO_MARK`: none) for the slots from `slot` on, widening the store at
    /// most twice for the whole run; the number recorded, or `Err` at the first session that
    /// already has a mark.
    pub fn set_run(&mut self, pupil: usize, slot: usize, marks: &[u8]) -> Result<u64, ()> {
        let slots = self.slots;
        let (Some(a), Some(b)) = (
            marks.iter().position(|m| *m != NO_MARK),
            marks.iter().rposition(|m| *m != NO_MARK),
        ) else {
            return Ok(0);
        };
        for end in [slot + a, slot + b] {
            let store = self
                .store
                .get_or_insert_with(|| slots.store.read().unwrap_or_else(PoisonError::into_inner));
            if store.cell(pupil, end).is_none() {
                if end / 2 >= slots.days {
                    return Err(());
                }
                self.store = None;
                slots.grow(pupil, end / 2);
            }
        }
        let store = self
            .store
            .get_or_insert_with(|| slots.store.read().unwrap_or_else(PoisonError::into_inner));
        let mut stored = 0;
        for (i, mark) in marks.iter().enumerate().skip(a).take(b + 1 - a) {
            if *mark == NO_MARK {
                continue;
            }
            let Some(cell) = store.cell(pupil, slot + i) else {
                return Err(());
            };
            if cell.load(Ordering::Relaxed) != NO_MARK {
                return Err(());
            }
            cell.store(*mark, Ordering::Relaxed);
            stored += 1;
        }
        self.stored += stored;
        Ok(stored)
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
        let Some(cell) = self
            .store
            .as_ref()
            .and_then(|s| s.cell(entry.index as usize, slot))
        else {
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

/// Byte equality without a call into `memcmp`: ids are a few bytes long, so they are
/// compared a word at a time, the last word overlapping the one before it.
#[inline]
fn same(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let word = |s: &[u8], i: usize| s.get(i..i + 8).and_then(|w| <[u8; 8]>::try_from(w).ok());
    let half = |s: &[u8], i: usize| s.get(i..i + 4).and_then(|w| <[u8; 4]>::try_from(w).ok());
    if n >= 8 {
        let mut i = 0;
        while i + 8 < n {
            if word(a, i) != word(b, i) {
                return false;
            }
            i += 8;
        }
        return word(a, n - 8) == word(b, n - 8);
    }
    if n >= 4 {
        return half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4);
    }
    // A plain loop: the `zip`/`all` adapters it replaced were left uninlined across codegen
    // units (the `ci` profile) and took 5% of the CPU of reading a long CSV.
    let mut i = 0;
    while i < n {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
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
    let days = slots.days;
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
    // Ids are unique, and `IdList` holds at most `MAX_PUPILS`, so an index fits a `u32`.
    let mut order: Vec<u32> = (0..shared.ids.len())
        .filter_map(|i| u32::try_from(i).ok())
        .collect();
    order.par_sort_unstable_by(|a, b| shared.ids.get(*a as usize).cmp(shared.ids.get(*b as usize)));
    // The register holds the span's days only; every mark recorded is within it.
    let width = (last + 1 - first) * 2;
    let pupils = shared.ids.len();
    let mut marks = if store.first == first && store.held * 2 == width && store.pupils >= pupils {
        // The store has the register's shape: its cells become the marks (the same memory,
        // not a copy of it), each pupil's row moved into id order.
        let mut cells: Vec<u8> = store
            .cells
            .into_vec()
            .into_iter()
            .map(AtomicU8::into_inner)
            .collect();
        cells.truncate(pupils * width);
        rows_in_order(&mut cells, width, &order);
        cells
    } else {
        let mut marks = Vec::with_capacity(pupils * width);
        for &i in &order {
            marks.extend((first * 2..(last + 1) * 2).map(|slot| {
                store
                    .cell(i as usize, slot)
                    .map_or(NO_MARK, |m| m.load(Ordering::Relaxed))
            }));
        }
        marks
    };
    // Every session of every pupil is looked at: on every core, rows being independent.
    let mut missing: Vec<(usize, Missing)> = marks
        .par_chunks_mut(width)
        .zip(order.par_iter())
        .enumerate()
        .filter_map(|(at, (row, &i))| {
            let roll = shared.roll(i as usize, days);
            fill_missing(ctx, row, roll, (first, last), taken_to).map(|m| (at, m))
        })
        .collect();
    missing.reverse();
    let mut ids = IdList::default();
    // Attributes are kept only for the pupils that have them.
    let mut records = Vec::new();
    let mut record_of = Vec::new();
    let any_records = ctx.pupils.is_some() || !shared.records.is_empty();
    for (at, &i) in order.iter().enumerate() {
        let i = i as usize;
        let id = shared.ids.get(i);
        ids.push(id);
        let gap = missing.last().filter(|(a, _)| *a == at).map(|(_, m)| *m);
        if gap.is_some() {
            missing.pop();
        }
        if let Some(((day, session), count)) = gap {
            if problems.len() < limit {
                let error = RegisterError::MissingMark {
                    pupil: String::from_utf8_lossy(id).into_owned(),
                    date: ctx.days.date(day).to_string(),
                    session: session_name(session),
                    more: count - 1,
                };
                problems.push(InputProblem::whole_file(error, &ctx.input.name));
            } else {
                dropped += 1;
            }
        }
        if any_records {
            let text = std::str::from_utf8(id).unwrap_or("");
            let record = shared.records.remove(&i);
            let pupil = ctx.pupils.and_then(|p| p.get(text)).cloned().or(record);
            let at = pupil.map_or(u32::MAX, |p| {
                records.push(p);
                u32::try_from(records.len() - 1).unwrap_or(u32::MAX)
            });
            record_of.push(at);
        }
    }
    if !problems.is_empty() {
        return Err(truncate(problems, dropped, limit));
    }
    ids.shrink_to_fit();
    if records.is_empty() {
        record_of = Vec::new();
    }
    Ok(Register {
        ids,
        records: records.into(),
        record_of,
        first,
        days: last + 1 - first,
        marks,
        span: Some((first, last)),
        warnings,
    })
}

/// The first session of a pupil with no mark, `(school day, session)`, and how many it has.
pub(crate) type Missing = ((usize, usize), usize);

/// Looks in a pupil's row (of the span's school days, `span.0` first) for sessions on roll
/// (`roll`) before slot `taken_to` that have no mark: with `--allow-missing` each becomes
/// `N`; otherwise gives the first of them and how many there are.
pub(crate) fn fill_missing(
    ctx: &Context<'_>,
    row: &mut [u8],
    roll: (usize, usize),
    span: (usize, usize),
    taken_to: usize,
) -> Option<Missing> {
    let (first, last) = span;
    let (from, to) = (roll.0.max(first), roll.1.min(last + 1));
    // Most rows have no such session: one search of the slots that count finds so.
    let slots = (from.saturating_sub(first) * 2)
        ..(to.saturating_sub(first) * 2)
            .min(taken_to.saturating_sub(first * 2))
            .min(row.len());
    if slots.is_empty() || memchr::memchr(NO_MARK, &row[slots]).is_none() {
        return None;
    }
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
    missing.map(|m| (m, count))
}

/// Moves rows of `width` bytes so that row `r` becomes the row that was at `order[r]` (a
/// permutation), in place: one row's copy at a time, following each cycle.
pub(crate) fn rows_in_order(cells: &mut [u8], width: usize, order: &[u32]) {
    let mut done = vec![false; order.len()];
    let mut held = vec![0u8; width];
    for start in 0..order.len() {
        if done[start] {
            continue;
        }
        held.copy_from_slice(&cells[start * width..(start + 1) * width]);
        let mut at = start;
        loop {
            done[at] = true;
            let from = order[at] as usize;
            if from == start {
                cells[at * width..(at + 1) * width].copy_from_slice(&held);
                break;
            }
            cells.copy_within(from * width..(from + 1) * width, at * width);
            at = from;
        }
    }
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

#[cfg(test)]
mod tests {
    use super::{rows_in_order, same};

    #[test]
    fn ids_compare_a_word_at_a_time_but_every_byte_counts() {
        // Every length up to 24 (the word and half-word cases and their overlaps), equal,
        // and differing at each byte in turn; and lengths that differ.
        for n in 0..24 {
            let a: Vec<u8> = (0..n).map(|i| b'A' + i as u8).collect();
            assert!(same(&a, &a.clone()), "{n}");
            for i in 0..n {
                let mut b = a.clone();
                b[i] = b'z';
                assert!(!same(&a, &b), "length {n}, byte {i}");
            }
            assert!(!same(&a, &a[..n.saturating_sub(1)]) || n == 0);
        }
    }

    #[test]
    fn rows_move_into_id_order_in_place() {
        // Row r becomes the row that was at order[r]: one cycle of four rows
        // (0 <- 2 <- 3 <- 1 <- 0), then a swap of two and a row that stays.
        let mut cells = vec![10, 11, 20, 21, 30, 31, 40, 41];
        rows_in_order(&mut cells, 2, &[2, 0, 3, 1]);
        assert_eq!(cells, [30, 31, 10, 11, 40, 41, 20, 21]);
        let mut cells = vec![1, 2, 3, 4, 5, 6];
        rows_in_order(&mut cells, 2, &[0, 2, 1]);
        assert_eq!(cells, [1, 2, 5, 6, 3, 4]);
    }
}
