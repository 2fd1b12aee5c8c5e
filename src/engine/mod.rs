//! The engine: applies a decision table to a register (DESIGN.md §4). It sees only the
//! [`DecisionTable`] and the [`Register`]: the calendar, stage order, measures and rows all
//! come from the table. Pupils are independent, so they are evaluated on every core.

mod eval;
mod evidence;
mod output;
mod plan;

pub use eval::{Fired, PupilSummary, TraceEvent, compulsory_school_age, ratio_in};
pub use evidence::percent_tenths;
pub use output::{
    Due, SHORT_ID, action_id, action_key, actions_csv, actions_csv_with, due, each_action,
    explain_text, on_day_text, short_id, step_name, summary_csv, terminal_summary,
};
pub use plan::Plan;

use rayon::prelude::*;

use crate::progress::{NoProgress, Progress};
use crate::register::Register;
use crate::table::{DecisionTable, SchoolDays};

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
    progress.set_len(register.pupils.len() as u64);
    let plan = Plan::new(table);
    let span = register.span.unwrap_or((0, 0));
    let shared = eval::Shared::new(&plan, days, span);
    let per_pupil: Vec<(Vec<Fired>, PupilSummary)> = register
        .pupils
        .par_iter()
        .enumerate()
        .with_min_len(256)
        .map(|(i, pupil)| {
            let marks = register.marks_between(i, span.0, span.1);
            let evaluated = eval::evaluate(&shared, i, pupil, marks, None);
            progress.inc(1);
            evaluated
        })
        .collect();
    progress.finish();
    let mut fired = Vec::new();
    let mut summary = Vec::with_capacity(per_pupil.len());
    for (f, s) in per_pupil {
        fired.extend(f);
        summary.push(s);
    }
    // Stable: within a pupil and day, the order the rules fired in (table order).
    fired.sort_by_key(|f| (f.day, f.pupil));
    Outcome {
        fired,
        summary,
        span,
    }
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
    let Some(record) = register.pupils.get(pupil) else {
        return (trace, Vec::new());
    };
    let (fired, _) = eval::evaluate(
        &shared,
        pupil,
        record,
        register.marks_between(pupil, span.0, span.1),
        Some(&mut trace),
    );
    (trace, fired)
}
