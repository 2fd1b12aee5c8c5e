//! What the outputs read of the marks once the engine has run (the terminal summary, the
//! report, letters): counted from a whole register, or gathered block by block when a
//! streamed run drops each block's marks after evaluating it ([`super::stream`]).

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use super::{NO_MARK, Register};
use crate::codes::{self, MarkClass};
use crate::model::Window;
use crate::table::SchoolDays;

/// A block's figures, to be [`MarkFigures::merge`]d.
pub struct Part {
    sessions: usize,
    /// Per pupil: its whole-register index, possible and present sessions, unmarked bits.
    pupils: Vec<(usize, (u32, u32), u8)>,
    year_to_date: Vec<((usize, usize), [u32; 3])>,
}

/// The register's figures that outlive its marks.
#[derive(Clone, Debug, Default)]
pub struct MarkFigures {
    /// Sessions with a mark, over every pupil.
    pub sessions: usize,
    /// The last session taken (see [`Register::taken_to`]).
    pub taken_to: Option<(usize, usize)>,
    /// Per pupil: bit 0, its morning of the last day taken has no mark; bit 1, its afternoon.
    unmarked_last: Vec<u8>,
    /// Per pupil: possible and present sessions over the span.
    attendance: Vec<(u32, u32)>,
    /// Possible, present and unauthorised sessions of the academic year to a day, for each
    /// (pupil, day) asked for (the days a letter goes out).
    year_to_date: FxHashMap<(usize, usize), [u32; 3]>,
}

impl MarkFigures {
    /// Figures for `pupils` pupils whose marks are still to come ([`MarkFigures::merge`]).
    pub fn new(pupils: usize, taken_to: Option<(usize, usize)>) -> MarkFigures {
        MarkFigures {
            sessions: 0,
            taken_to,
            unmarked_last: vec![0; pupils],
            attendance: vec![(0, 0); pupils],
            year_to_date: FxHashMap::default(),
        }
    }

    /// The figures of a whole register, with the year to date of each `(pupil, day)` in
    /// `asked`; its pupils are counted on every core.
    pub fn of(
        register: &Register,
        days: &SchoolDays,
        asked: impl IntoIterator<Item = (usize, usize)>,
    ) -> MarkFigures {
        let taken_to = register.taken_to();
        let figures: Vec<Figures> = (0..register.len())
            .into_par_iter()
            .map(|i| pupil_figures(register, i, taken_to))
            .collect();
        let sessions = figures.iter().map(|f| f.marked).sum();
        let (attendance, unmarked_last) =
            figures.iter().map(|f| (f.attendance, f.unmarked)).unzip();
        let year_to_date = asked
            .into_iter()
            .filter(|(pupil, _)| *pupil < register.len())
            .map(|(pupil, day)| ((pupil, day), year_to_date(register, days, pupil, day)))
            .collect();
        MarkFigures {
            sessions,
            taken_to,
            unmarked_last,
            attendance,
            year_to_date,
        }
    }

    /// The figures of `block`, whose pupil `i` is pupil `global[i]` of the whole register (taken
    /// to `taken_to`), with the year to date of each `(pupil, day)` of `asked` that is in the
    /// block: made on any thread, then [`MarkFigures::merge`]d.
    pub fn part(
        taken_to: Option<(usize, usize)>,
        block: &Register,
        global: &[usize],
        days: &SchoolDays,
        asked: impl IntoIterator<Item = (usize, usize)>,
    ) -> Part {
        let mut sessions = 0;
        let pupils = global
            .iter()
            .enumerate()
            .map(|(i, &g)| {
                let figures = pupil_figures(block, i, taken_to);
                sessions += figures.marked;
                (g, figures.attendance, figures.unmarked)
            })
            .collect();
        // Most runs send no letter, so most blocks are asked for no pupil's year to date.
        let mut asked = asked.into_iter().peekable();
        let year_to_date = match asked.peek() {
            None => Vec::new(),
            Some(_) => {
                let local: FxHashMap<usize, usize> =
                    global.iter().enumerate().map(|(i, g)| (*g, i)).collect();
                asked
                    .filter_map(|(pupil, day)| {
                        let &i = local.get(&pupil)?;
                        Some(((pupil, day), year_to_date(block, days, i, day)))
                    })
                    .collect()
            }
        };
        Part {
            sessions,
            pupils,
            year_to_date,
        }
    }

    /// Adds a block's figures.
    pub fn merge(&mut self, part: Part) {
        self.sessions += part.sessions;
        for (g, attendance, unmarked) in part.pupils {
            if let (Some(a), Some(u)) = (self.attendance.get_mut(g), self.unmarked_last.get_mut(g))
            {
                *a = attendance;
                *u = unmarked;
            }
        }
        self.year_to_date.extend(part.year_to_date);
    }

    /// How many sessions of the last day taken are not yet taken, over pupils on roll that
    /// day (see [`Register::not_yet_taken`]).
    pub fn not_yet_taken(&self, on_roll: impl Fn(usize) -> bool) -> usize {
        let Some((_, session)) = self.taken_to else {
            return 0;
        };
        self.unmarked_last
            .iter()
            .enumerate()
            .filter(|(p, _)| on_roll(*p))
            .map(|(_, bits)| (session..2).filter(|s| bits & (1 << s) != 0).count())
            .sum()
    }

    /// Pupil `pupil`'s present sessions in millionths of its possible ones over the span;
    /// `None` with no possible session.
    pub fn attendance(&self, pupil: usize) -> Option<u32> {
        let (possible, present) = self.attendance.get(pupil).copied()?;
        (possible > 0).then(|| (u64::from(present) * 1_000_000 / u64::from(possible)) as u32)
    }

    /// Possible, present and unauthorised sessions of the academic year to `day` (a day
    /// asked for when the figures were made; zero otherwise).
    pub fn year_to_date(&self, pupil: usize, day: usize) -> [u32; 3] {
        self.year_to_date
            .get(&(pupil, day))
            .copied()
            .unwrap_or([0; 3])
    }
}

/// One pupil's figures.
struct Figures {
    /// Possible and present sessions over the register's span.
    attendance: (u32, u32),
    /// Which sessions of the last day taken have no mark: bit 0 the morning, bit 1 the
    /// afternoon.
    unmarked: u8,
    /// Sessions with a mark, over every day the register holds.
    marked: usize,
}

/// Pupil `i`'s [`Figures`].
fn pupil_figures(register: &Register, i: usize, taken_to: Option<(usize, usize)>) -> Figures {
    let counts = counted();
    let (first, last) = register.span.unwrap_or((0, 0));
    let row = register.marks_of(i);
    let span = register.marks_between(i, first, last);
    // Counted per mark from a table (no branch), so the loop is vectorised: it runs over
    // every session of every pupil.
    let (mut possible, mut present, mut marked) = (0u32, 0u32, 0u32);
    for m in span {
        let c = counts[usize::from(*m)];
        possible += u32::from(c & POSSIBLE);
        present += u32::from((c & PRESENT) >> 1);
        marked += u32::from(c >> 2);
    }
    // A row holding days outside the span (none, in a register read whole or streamed) is
    // counted whole.
    let marked = match row.len() == span.len() {
        true => marked as usize,
        false => row.iter().filter(|m| **m != NO_MARK).count(),
    };
    let unmarked = taken_to.map_or(0, |(day, _)| {
        u8::from(register.mark(i, day, 0) == NO_MARK)
            | (u8::from(register.mark(i, day, 1) == NO_MARK) << 1)
    });
    Figures {
        attendance: (possible, present),
        unmarked,
        marked,
    }
}

/// [`counted`]'s bit of a possible session.
const POSSIBLE: u8 = 1;
/// [`counted`]'s bit of a present session (always possible too).
const PRESENT: u8 = 2;
/// [`counted`]'s bit of a session with a mark (every row but [`NO_MARK`]).
const MARKED: u8 = 4;

/// Per code-table row (and [`NO_MARK`], which counts as none): whether a session with that
/// mark is possible, whether present, and whether it has a mark.
fn counted() -> &'static [u8; 256] {
    static COUNTED: std::sync::OnceLock<[u8; 256]> = std::sync::OnceLock::new();
    COUNTED.get_or_init(|| {
        let mut table = [MARKED; 256];
        table[usize::from(NO_MARK)] = 0;
        for (slot, info) in table.iter_mut().zip(codes::table().rows()) {
            if info.class.is_possible() {
                *slot |= POSSIBLE | if info.class.is_present() { PRESENT } else { 0 };
            }
        }
        table
    })
}

/// Pupil `i`'s possible, present and unauthorised sessions of the academic year to `day`.
fn year_to_date(register: &Register, days: &SchoolDays, i: usize, day: usize) -> [u32; 3] {
    let rows = codes::table().rows();
    let from = days.window_start(Window::YearToDate, day);
    let mut counts = [0u32; 3];
    for mark in register.marks_between(i, from, day) {
        let Some(info) = rows.get(usize::from(*mark)) else {
            continue;
        };
        counts[0] += u32::from(info.class.is_possible());
        counts[1] += u32::from(info.class.is_present());
        counts[2] += u32::from(info.class == MarkClass::Unauthorised);
    }
    counts
}
