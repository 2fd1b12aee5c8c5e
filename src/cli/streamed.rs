//! `attend run` on a streamed register: compact marks read a block of pupils at a time, each
//! block evaluated and its marks dropped ([`register::open_stream`]), for a run where nothing
//! after the engine reads the marks themselves (no ledger, no `--on`, no `--explain`).

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::inputs::{Inputs, Side, read_codes_map, read_options, read_pupils, read_side};
use super::progress::{Bar, Unit};
use crate::engine::{self, Watch};
use crate::register::{self, Input, MarkFigures, Open, Register, Streamed};
use crate::simulate::{Looks, Tally};
use crate::table::{DecisionTable, SchoolDays};

/// A register read and evaluated.
pub(super) struct Evaluated {
    pub register: Register,
    pub outcome: engine::Outcome,
    /// The report's snapshots, when it is wanted.
    pub looks: Option<Looks>,
    pub tallies: Option<Vec<Tally>>,
    /// What the outputs read of the marks.
    pub figures: MarkFigures,
}

/// What [`run`] did.
// Made once a run and matched at once: the size of a variant does not matter.
#[allow(clippy::large_enum_variant)]
pub(super) enum Tried {
    /// Streamed and evaluated, after reading for this long before the first block.
    Done(Evaluated, Duration),
    /// The register must be read whole (not compact marks, or something out of the ordinary
    /// the whole reader reports exactly): nothing was kept of the streamed pass.
    Whole(Side),
}

/// Streams and evaluates the register when it is compact marks, reading the pupils file
/// meanwhile.
pub(super) fn run(
    inputs: &Inputs<'_>,
    table: &DecisionTable,
    days: &SchoolDays,
    report_wanted: bool,
) -> Result<Tried, u8> {
    let started = Instant::now();
    let options = read_options(inputs);
    let codes_map = read_codes_map(inputs)?;
    let input = Input::path(inputs.register);
    let read_pupils = || read_pupils(inputs, &options).map(|p| p.unwrap_or_default());
    let opened = match register::open_stream(
        &input,
        &table.calendar,
        days,
        inputs.pupils.map(|_| &read_pupils as _),
        codes_map.as_ref(),
        &options,
        register::KEPT_MARKS,
    ) {
        Open::Opened(opened) => opened,
        Open::Whole(pupils) => {
            return Ok(Tried::Whole(Side {
                pupils,
                codes_map,
                options,
            }));
        }
        Open::Failed(status) => return Err(status),
    };
    options.progress.finish();
    let read_time = started.elapsed();
    let looks = report_wanted.then(|| Looks::new(days, opened.register()));
    let plan = engine::Plan::new(table);
    let bar = Bar::new("evaluating", Unit::Pupils);
    let evaluated = match &looks {
        Some(looks) => blocks(opened, table, days, &plan, &bar, &looks.watch(table))
            .map(|(register, outcome, tally, figures)| (register, outcome, Some(tally), figures)),
        None => blocks(opened, table, days, &plan, &bar, &engine::Unwatched)
            .map(|(register, outcome, (), figures)| (register, outcome, None, figures)),
    };
    match evaluated {
        Blocked::Done((register, outcome, tallies, figures)) => Ok(Tried::Done(
            Evaluated {
                register,
                outcome,
                looks,
                tallies,
                figures,
            },
            read_time,
        )),
        Blocked::GaveUp(pupils) => Ok(Tried::Whole(Side {
            pupils,
            codes_map,
            options,
        })),
        // Every pupil is in one block (the stream makes sure of it), so this is never
        // reached; read everything again rather than give an incomplete run.
        Blocked::Incomplete => Ok(Tried::Whole(read_side(inputs)?)),
    }
}

/// What [`blocks`] did.
enum Blocked<T> {
    Done(T),
    GaveUp(Option<register::Pupils>),
    Incomplete,
}

impl<T> Blocked<T> {
    fn map<U>(self, f: impl FnOnce(T) -> U) -> Blocked<U> {
        match self {
            Blocked::Done(t) => Blocked::Done(f(t)),
            Blocked::GaveUp(p) => Blocked::GaveUp(p),
            Blocked::Incomplete => Blocked::Incomplete,
        }
    }
}

/// Evaluates every block of the stream, gathering the figures the outputs need from each
/// block before its marks are dropped.
fn blocks<W: Watch>(
    opened: register::Opened<'_>,
    table: &DecisionTable,
    days: &SchoolDays,
    plan: &engine::Plan,
    bar: &Bar,
    watch: &W,
) -> Blocked<(Register, engine::Outcome, W::Tally, MarkFigures)> {
    let pupils = opened.register().len();
    let span = opened.register().span.unwrap_or((0, 0));
    let taken_to = Some(opened.taken_to());
    let figures = Mutex::new(MarkFigures::new(pupils, taken_to));
    let run = engine::Blocks::new(plan, days, span, pupils, bar, watch);
    let streamed = opened.blocks(&|block| {
        // Each block is evaluated and counted on the thread that read it; only the merges
        // take turns.
        let mut part = None;
        run.run(&block.register, &block.global, |fired| {
            let asked = engine::letter_days(table, fired);
            part = Some(MarkFigures::part(
                taken_to,
                &block.register,
                &block.global,
                days,
                asked,
            ));
        });
        if let Some(part) = part {
            figures
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .merge(part);
        }
    });
    let figures = figures.into_inner().unwrap_or_else(PoisonError::into_inner);
    match streamed {
        Streamed::Read(register) => match run.finish() {
            Some((outcome, tally)) => Blocked::Done((register, outcome, tally, figures)),
            None => Blocked::Incomplete,
        },
        Streamed::GaveUp(pupils) => Blocked::GaveUp(pupils),
    }
}
