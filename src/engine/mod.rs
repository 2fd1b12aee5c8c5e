//! The engine: applies a decision table to a register (DESIGN.md §4). It sees only the
//! [`DecisionTable`] and the [`Register`]: the calendar, stage order, measures and rows all
//! come from the table. Pupils are independent, so they are evaluated on every core.

pub mod coverage;
mod eval;
mod evidence;
mod ladder;
pub mod notices;
mod output;
mod plan;
mod schedule;

pub use eval::{Fired, PupilSummary, Standing, TraceEvent, compulsory_school_age, ratio_in};
pub use evidence::percent_tenths;
pub use output::{
    Due, SHORT_ID, action_id, action_key, actions_csv, actions_csv_with, due, each_action,
    explain_text, letter_days, on_day_text, short_id, step_name, summary_csv, terminal_summary,
    write_actions_csv, write_summary_csv,
};
pub use plan::Plan;

use rayon::prelude::*;

use crate::progress::{NoProgress, Progress};
use crate::register::Register;
use crate::table::{DecisionTable, SchoolDays};

/// Pupils evaluated by one task.
const BLOCK: usize = 256;

/// Everything a run found.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// Sorted by school day, then pupil (pupils are sorted by id), then table order.
    pub fired: Vec<Fired>,
    /// One per pupil of the register, in the register's order.
    pub summary: Vec<PupilSummary>,
    /// First and last school day with data.
    pub span: (usize, usize),
}

/// Evaluates every pupil of the register over the school days that have data.
pub fn run(table: &DecisionTable, days: &SchoolDays, register: &Register) -> Outcome {
    run_with_progress(table, days, register, &NoProgress)
}

/// [`run`], counting each pupil evaluated on `progress`.
pub fn run_with_progress(
    table: &DecisionTable,
    days: &SchoolDays,
    register: &Register,
    progress: &dyn Progress,
) -> Outcome {
    // One pass for every kind of run: no history and nothing watched is the plain run.
    run_watched(
        table,
        days,
        register,
        progress,
        &notices::NoticeHistory::default(),
        &Unwatched,
    )
    .0
}

/// [`run_with_progress`] with the penalty notices pupils had before the register's first day
/// (`notices_issued(N years)` counts them; see [`notices`]).
pub fn run_with_history(
    table: &DecisionTable,
    days: &SchoolDays,
    register: &Register,
    progress: &dyn Progress,
    history: &notices::NoticeHistory,
) -> Outcome {
    run_watched(table, days, register, progress, history, &Unwatched).0
}

/// What a caller wants to know of every pupil's [`Standing`] at the end of some school days,
/// gathered in the run's one pass (each block of pupils into a tally of its own, the tallies
/// merged in pupil order, so the result does not depend on the threads).
pub trait Watch: Sync {
    type Tally: Send;
    /// The school days to look at, ascending.
    fn days(&self) -> &[usize];
    fn tally(&self) -> Self::Tally;
    /// Pupil `pupil`'s standing at the end of `self.days()[at]`.
    fn see(&self, tally: &mut Self::Tally, at: usize, pupil: usize, standing: &Standing);
    /// Adds `other`, the tally of later pupils, into `into`.
    fn merge(&self, into: &mut Self::Tally, other: Self::Tally);
}

/// No days looked at.
pub struct Unwatched;

impl Watch for Unwatched {
    type Tally = ();
    fn days(&self) -> &[usize] {
        &[]
    }
    fn tally(&self) {}
    fn see(&self, _: &mut (), _: usize, _: usize, _: &Standing) {}
    fn merge(&self, _: &mut (), _: ()) {}
}

/// [`run_with_history`], telling `watch` every pupil's standing on its days.
pub fn run_watched<W: Watch>(
    table: &DecisionTable,
    days: &SchoolDays,
    register: &Register,
    progress: &dyn Progress,
    history: &notices::NoticeHistory,
    watch: &W,
) -> (Outcome, W::Tally) {
    progress.set_len(register.len() as u64);
    let plan = Plan::new(table);
    let span = register.span.unwrap_or((0, 0));
    let mut shared = eval::Shared::new(&plan, days, span).with_history(history);
    shared.looks = watch.days().to_vec();
    let (mut fired, summary, tally) =
        evaluate(&shared, register, progress, history, watch, |i| i, true);
    progress.finish();
    fired.par_sort_by_key(|f| (f.day, f.pupil));
    (
        Outcome {
            fired,
            summary,
            span,
        },
        tally,
    )
}

/// Evaluates every pupil of `register` (on every core when `parallel`, a block of pupils per
/// task; else on this thread), naming pupil `i` as `global(i)` in what it gives and tells
/// `watch`: the firings in pupil order, each pupil's summary, and the tally.
fn evaluate<W: Watch>(
    shared: &eval::Shared<'_>,
    register: &Register,
    progress: &dyn Progress,
    history: &notices::NoticeHistory,
    watch: &W,
    global: impl Fn(usize) -> usize + Sync,
    parallel: bool,
) -> (Vec<Fired>, Vec<PupilSummary>, W::Tally) {
    let pupils = register.len();
    let span = shared.span;
    let nobody = crate::register::Pupil::unknown(String::new());
    // Each block writes its pupils' summaries in place: gathered from the blocks into a
    // new list, every summary was held twice at the end (176 MB at a million pupils).
    let mut summary = vec![PupilSummary::default(); pupils];
    let block = |b: usize, out: &mut [PupilSummary]| {
        let pupils = b * BLOCK..((b + 1) * BLOCK).min(pupils);
        let mut fired = Vec::new();
        let mut tally = watch.tally();
        let mut scratch = eval::Scratch::default();
        for (i, slot) in pupils.zip(out.iter_mut()) {
            let g = global(i);
            let pupil = register.record(i).unwrap_or(&nobody);
            let prior = history.of(register.id(i));
            let marks = register.marks_between(i, span.0, span.1);
            let mut look = |at: usize, standing: &Standing| watch.see(&mut tally, at, g, standing);
            let (f, s) = eval::evaluate_in(
                shared,
                &mut scratch,
                g,
                pupil,
                prior,
                marks,
                None,
                &mut look,
            );
            fired.extend(f);
            *slot = s;
        }
        progress.inc(out.len() as u64);
        (fired, tally)
    };
    let blocks: Vec<(Vec<Fired>, W::Tally)> = if parallel {
        summary
            .par_chunks_mut(BLOCK)
            .enumerate()
            .map(|(b, out)| block(b, out))
            .collect()
    } else {
        summary
            .chunks_mut(BLOCK)
            .enumerate()
            .map(|(b, out)| block(b, out))
            .collect()
    };
    let mut fired = Vec::new();
    let mut tally = watch.tally();
    for (f, t) in blocks {
        fired.extend(f);
        watch.merge(&mut tally, t);
    }
    (fired, summary, tally)
}

/// A run made a block of pupils at a time, for a register streamed from its file
/// ([`crate::register::Opened::blocks`]): each block is evaluated on the thread that read it,
/// its pupils named as the whole register's, and [`Blocks::finish`] gives what
/// [`run_watched`] gives for the whole register (with no notice history: a streamed run
/// keeps no ledger).
pub struct Blocks<'a, W: Watch> {
    shared: eval::Shared<'a>,
    watch: &'a W,
    progress: &'a dyn Progress,
    history: notices::NoticeHistory,
    gathered: std::sync::Mutex<Gathered<W::Tally>>,
}

/// What the blocks gave so far.
struct Gathered<T> {
    fired: Vec<Fired>,
    /// Per pupil of the whole register, in its order; `evaluated` says which are made (a
    /// summary a pupil, held whole rather than as an `Option` to be copied out at the end).
    summary: Vec<PupilSummary>,
    evaluated: Vec<bool>,
    tally: T,
}

impl<'a, W: Watch> Blocks<'a, W> {
    /// A run of `pupils` pupils over `span` (the whole register's).
    pub fn new(
        plan: &'a Plan,
        days: &'a SchoolDays,
        span: (usize, usize),
        pupils: usize,
        progress: &'a dyn Progress,
        watch: &'a W,
    ) -> Blocks<'a, W> {
        progress.set_len(pupils as u64);
        let mut shared = eval::Shared::new(plan, days, span);
        shared.looks = watch.days().to_vec();
        Blocks {
            shared,
            watch,
            progress,
            history: notices::NoticeHistory::default(),
            gathered: std::sync::Mutex::new(Gathered {
                fired: Vec::new(),
                summary: vec![PupilSummary::default(); pupils],
                evaluated: vec![false; pupils],
                tally: watch.tally(),
            }),
        }
    }

    /// Evaluates the pupils of `block`, whose pupil `i` is pupil `global[i]` of the whole
    /// register, on this thread; `seen` is shown the firings it made before they join the
    /// run's.
    pub fn run(&self, block: &Register, global: &[usize], seen: impl FnOnce(&[Fired])) {
        let (fired, summary, tally) = evaluate(
            &self.shared,
            block,
            self.progress,
            &self.history,
            self.watch,
            |i| global.get(i).copied().unwrap_or(usize::MAX),
            false,
        );
        seen(&fired);
        let mut gathered = self
            .gathered
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let gathered = &mut *gathered;
        for (g, s) in global.iter().zip(summary) {
            if let (Some(slot), Some(done)) =
                (gathered.summary.get_mut(*g), gathered.evaluated.get_mut(*g))
            {
                *slot = s;
                *done = true;
            }
        }
        self.watch.merge(&mut gathered.tally, tally);
        gathered.fired.extend(fired);
    }

    /// The whole run; `None` if some pupil was never in a block.
    pub fn finish(self) -> Option<(Outcome, W::Tally)> {
        self.progress.finish();
        let gathered = self
            .gathered
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !gathered.evaluated.iter().all(|e| *e) {
            return None;
        }
        let mut fired = gathered.fired;
        // Blocks come in any order; a pupil's firings are all from one block, in order (the
        // sort is stable).
        fired.par_sort_by_key(|f| (f.day, f.pupil));
        Some((
            Outcome {
                fired,
                summary: gathered.summary,
                span: self.shared.span,
            },
            gathered.tally,
        ))
    }
}

/// Whether any rule of the table reads `notices_issued(...)`, so a run needs the ledger's
/// history.
pub fn reads_notices(table: &DecisionTable) -> bool {
    !Plan::new(table).notices.is_empty()
}

/// One pupil's timeline: each day a rule changed state, with the numbers.
pub fn explain(
    table: &DecisionTable,
    days: &SchoolDays,
    register: &Register,
    pupil: usize,
) -> (Vec<TraceEvent>, Vec<Fired>) {
    let plan = Plan::new(table);
    let span = register.span.unwrap_or((0, 0));
    let shared = eval::Shared::new(&plan, days, span);
    let mut trace = Vec::new();
    let Some(record) = register.pupil(pupil) else {
        return (trace, Vec::new());
    };
    let (fired, _) = eval::evaluate(
        &shared,
        pupil,
        &record,
        register.marks_between(pupil, span.0, span.1),
        Some(&mut trace),
    );
    (trace, fired)
}
