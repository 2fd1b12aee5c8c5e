//! Simulation: several policies applied to one cohort, and the figures that compare them
//! (actions by kind and week, bands and stages at the end of each half-term and each week,
//! families reaching formalise and enforce, staff time), each split by SEN, FSM, social
//! worker and looked-after status. Pure and deterministic: data in, figures out.

use std::collections::BTreeMap;

use crate::codes;
use crate::engine;
use crate::generate::{self, Cohort};
use crate::model::Period;
use crate::register::{NO_MARK, Pupil, Register, Sen, YearGroup};
use crate::table::DecisionTable;
use crate::table::SchoolDays;

mod render;

/// The register of a generated cohort over `days` (the calendar the cohort was generated
/// for), built directly rather than through CSV: the same register `read_register` makes of
/// the cohort's `pupils.csv` and `register.csv`.
pub fn register_from_cohort(cohort: &Cohort, days: &SchoolDays) -> Register {
    let width = days.len() * 2;
    let mut order: Vec<usize> = (0..cohort.pupils.len()).collect();
    order.sort_by(|a, b| cohort.pupils[*a].id.cmp(&cohort.pupils[*b].id));
    let table = codes::table();
    // Per generated day, its school day in `days` (or none) and the code ids in force.
    let index: Vec<Option<usize>> = cohort.days.iter().map(|d| days.index(*d)).collect();
    let mut memo: BTreeMap<(&str, usize), u8> = BTreeMap::new();
    let mut marks = vec![NO_MARK; order.len() * width];
    let mut pupils = Vec::with_capacity(order.len());
    let mut span: Option<(usize, usize)> = None;
    for (row, &i) in order.iter().enumerate() {
        let g = &cohort.pupils[i];
        let out = &mut marks[row * width..(row + 1) * width];
        for (s, code) in g.marks.iter().enumerate() {
            if code.is_empty() {
                continue;
            }
            let Some(Some(day)) = index.get(s / 2) else {
                continue;
            };
            let id = *memo.entry((code, *day)).or_insert_with(|| {
                table
                    .id(code, days.date(*day))
                    .map_or(NO_MARK, |id| id.index() as u8)
            });
            if let Some(slot) = out.get_mut(day * 2 + s % 2) {
                *slot = id;
            }
            if id != NO_MARK {
                span = Some(span.map_or((*day, *day), |(a, b)| (a.min(*day), b.max(*day))));
            }
        }
        let mut p = Pupil::unknown(g.id.clone());
        p.dob = Some(g.dob);
        p.year_group = Some(if g.year_group == 0 {
            YearGroup::Reception
        } else {
            YearGroup::Year(u8::try_from(g.year_group).unwrap_or(14))
        });
        p.admission = Some(g.admission);
        p.leaving = g.leaving;
        p.sen = Some(match g.sen {
            generate::Sen::None => Sen::None,
            generate::Sen::Support => Sen::Support,
            generate::Sen::EhcPlan => Sen::EhcPlan,
        });
        p.fsm = Some(g.fsm);
        p.social_worker = Some(g.social_worker);
        p.looked_after = Some(g.looked_after);
        pupils.push(p);
    }
    // Like a register read from files, it holds the days of its span only.
    let (first, last) = span.unwrap_or((0, 0));
    let held = if span.is_some() { last + 1 - first } else { 0 };
    let marks: Vec<u8> = marks
        .chunks(width.max(1))
        .flat_map(|row| row.get(first * 2..(first + held) * 2).unwrap_or(&[]))
        .copied()
        .collect();
    Register::new(pupils, first, held, &marks, span)
}

/// The groups every figure is split by. A pupil is in `All` and in each group whose
/// attribute the pupils file gives as true; `None` holds the pupils in none of the four.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    All,
    Sen,
    Fsm,
    SocialWorker,
    LookedAfter,
    None,
}

impl Group {
    pub const ALL: [Group; 6] = [
        Group::All,
        Group::Sen,
        Group::Fsm,
        Group::SocialWorker,
        Group::LookedAfter,
        Group::None,
    ];

    /// The name used in `comparison.csv`.
    pub fn id(self) -> &'static str {
        match self {
            Group::All => "all",
            Group::Sen => "sen",
            Group::Fsm => "fsm",
            Group::SocialWorker => "social_worker",
            Group::LookedAfter => "looked_after",
            Group::None => "none_of_these",
        }
    }

    /// The name people read.
    pub fn label(self) -> &'static str {
        match self {
            Group::All => "All pupils",
            Group::Sen => "SEN (support or EHC plan)",
            Group::Fsm => "Free school meals",
            Group::SocialWorker => "Social worker",
            Group::LookedAfter => "Looked after",
            Group::None => "None of these",
        }
    }

    fn flags(p: &Pupil) -> [bool; 4] {
        [
            matches!(p.sen, Some(Sen::Support | Sen::EhcPlan)),
            p.fsm == Some(true),
            p.social_worker == Some(true),
            p.looked_after == Some(true),
        ]
    }

    /// The groups a pupil is in, as a bit per entry of [`Group::ALL`].
    pub fn mask(p: &Pupil) -> u8 {
        let f = Group::flags(p);
        let mut mask = 1;
        for (i, on) in f.iter().enumerate() {
            if *on {
                mask |= 1 << (i + 1);
            }
        }
        if !f.iter().any(|x| *x) {
            mask |= 1 << 5;
        }
        mask
    }
}

/// Minutes of staff time per action kind (the part of an action before `:`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Minutes(pub BTreeMap<String, u32>);

impl Default for Minutes {
    fn default() -> Minutes {
        let pairs = [
            ("letter", 10),
            ("contact", 5),
            ("home_visit", 60),
            ("meeting", 45),
            ("review", 15),
            ("notify", 30),
            ("refer", 30),
            ("consider", 30),
            ("penalty_warning", 20),
            ("support", 30),
        ];
        Minutes(pairs.iter().map(|(k, m)| (k.to_string(), *m)).collect())
    }
}

impl Minutes {
    /// Minutes for one action of this kind; a kind with no figure counts 15.
    pub fn of(&self, kind: &str) -> u32 {
        self.0.get(kind).copied().unwrap_or(15)
    }

    /// Applies `KIND=MIN` overrides; an error names the first one that does not parse.
    pub fn with(mut self, overrides: &[String]) -> Result<Minutes, String> {
        for o in overrides {
            let Some((kind, min)) = o.split_once('=') else {
                return Err(format!("`{o}` is not KIND=MINUTES"));
            };
            let Ok(min) = min.trim().parse::<u32>() else {
                return Err(format!("`{min}` in `{o}` is not a whole number of minutes"));
            };
            self.0.insert(kind.trim().to_string(), min);
        }
        Ok(self)
    }
}

/// The kind of an action string (`letter:three-day` → `letter`).
pub fn action_kind(action: &str) -> &str {
    action.split(':').next().unwrap_or(action)
}

/// A moment the figures are taken at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// School day index.
    pub day: usize,
    /// Pupils on the register that day per band row name (in band-set order), per group.
    pub bands: Vec<(String, [u64; 6])>,
    /// Pupils per stage (in stage order), per group.
    pub stages: Vec<[u64; 6]>,
}

/// One pupil's actions on the last school week with data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Due {
    pub pupil: String,
    pub date: chrono::NaiveDate,
    pub action: String,
    pub responsible: String,
}

/// One policy's figures.
#[derive(Clone, Debug, PartialEq)]
pub struct PolicyFigures {
    pub name: String,
    pub stages: Vec<String>,
    /// Per band set, each band's name and its attendance interval over its window (lowest
    /// and highest percent, in millionths), when its condition is one.
    pub bands: Vec<Band>,
    /// Actions per kind, per group.
    pub actions: BTreeMap<String, [u64; 6]>,
    /// Actions per school week of [`Simulation::weeks`].
    pub weekly: Vec<u64>,
    /// Pupils reaching formalise (or beyond), and enforce, per group.
    pub formalise: [u64; 6],
    pub enforce: [u64; 6],
    /// Minutes of staff time, per group.
    pub minutes: [u64; 6],
    /// At the end of each half-term with data, and at the last day with data.
    pub half_terms: Vec<Snapshot>,
    /// At the last day of each school week with data (the caseload over the year).
    pub weeks: Vec<Snapshot>,
    /// Actions due in the last school week with data.
    pub due: Vec<Due>,
}

/// A band's name and its year-to-date (or other window's) attendance range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Band {
    pub name: String,
    pub stage: Option<String>,
    /// `(lo, hi)` in millionths of a percent, when the band is one interval.
    pub range: Option<(u32, u32)>,
}

/// Everything a simulation found.
#[derive(Clone, Debug, PartialEq)]
pub struct Simulation {
    /// Pupils per group.
    pub pupils: [u64; 6],
    /// Each pupil's attendance over the span, in millionths (none without possible sessions).
    pub attendance: Vec<Option<u32>>,
    /// The first and last school day with data.
    pub span: (chrono::NaiveDate, chrono::NaiveDate),
    /// The school weeks with data: the date of each week's first school day with data.
    pub weeks: Vec<chrono::NaiveDate>,
    /// The days of [`PolicyFigures::weeks`] snapshots, and of half-term ends.
    pub week_days: Vec<usize>,
    pub half_term_days: Vec<usize>,
    pub policies: Vec<PolicyFigures>,
}

/// How often to take the weekly caseload: at most this many pupil-days of extra evaluation
/// (each snapshot is a run of the engine up to that day), so a large cohort takes it every
/// few weeks instead.
const SNAPSHOT_BUDGET: usize = 30_000_000;

/// Applies every table to the register (all share its calendar: `days`).
pub fn simulate(
    tables: &[DecisionTable],
    days: &SchoolDays,
    register: &Register,
    minutes: &Minutes,
) -> Simulation {
    let outcomes: Vec<engine::Outcome> = tables
        .iter()
        .map(|table| engine::run(table, days, register))
        .collect();
    compare(tables, &outcomes, days, register, minutes)
}

/// The comparison of tables already run over the register: `outcomes[i]` is `tables[i]`'s
/// run, so a caller that has run the engine (`attend run`) does not run it again.
pub fn compare(
    tables: &[DecisionTable],
    outcomes: &[engine::Outcome],
    days: &SchoolDays,
    register: &Register,
    minutes: &Minutes,
) -> Simulation {
    let span = register.span.unwrap_or((0, 0));
    let masks: Vec<u8> = (0..register.len())
        .filter_map(|i| register.pupil(i))
        .map(|p| Group::mask(&p))
        .collect();
    let mut pupils = [0u64; 6];
    for m in &masks {
        add(&mut pupils, *m, 1);
    }
    // School weeks with data, and each one's last day.
    let mut week_first: Vec<usize> = Vec::new();
    let mut week_last: Vec<usize> = Vec::new();
    let mut half_term_days: Vec<usize> = Vec::new();
    for day in span.0..=span.1 {
        if day == span.0 || days.week(day) != days.week(day - 1) {
            week_first.push(day);
            week_last.push(day);
        } else if let Some(l) = week_last.last_mut() {
            *l = day;
        }
        let ends_half = day == span.1
            || days.period(Period::HalfTerm, day) != days.period(Period::HalfTerm, day + 1);
        if ends_half {
            half_term_days.push(day);
        }
    }
    // Weekly snapshots within the budget: every `step` weeks, always the last.
    let n = register.len().max(1);
    let cost_all: usize = week_last.iter().map(|d| (d - span.0 + 1) * n).sum();
    let step = cost_all.div_ceil(SNAPSHOT_BUDGET).max(1);
    let mut week_days: Vec<usize> = week_last
        .iter()
        .enumerate()
        .filter(|(i, _)| (week_last.len() - 1 - i).is_multiple_of(step))
        .map(|(_, d)| *d)
        .collect();
    week_days.dedup();
    let attendance = attendance_of(register, span);
    let policies = tables
        .iter()
        .zip(outcomes)
        .map(|(table, outcome)| {
            figures(
                table,
                outcome,
                days,
                register,
                &masks,
                minutes,
                &week_first,
                &week_days,
                &half_term_days,
            )
        })
        .collect();
    Simulation {
        pupils,
        attendance,
        span: (days.date(span.0), days.date(span.1)),
        weeks: week_first.iter().map(|d| days.date(*d)).collect(),
        week_days,
        half_term_days,
        policies,
    }
}

fn add(counts: &mut [u64; 6], mask: u8, by: u64) {
    for (i, c) in counts.iter_mut().enumerate() {
        if mask & (1 << i) != 0 {
            *c += by;
        }
    }
}

/// Each pupil's attendance (present over possible sessions) over the span.
fn attendance_of(register: &Register, span: (usize, usize)) -> Vec<Option<u32>> {
    let classes: Vec<codes::MarkClass> = codes::table().rows().iter().map(|r| r.class).collect();
    (0..register.len())
        .map(|i| {
            let (mut possible, mut present) = (0u64, 0u64);
            for m in register.marks_between(i, span.0, span.1) {
                if let Some(class) = classes.get(usize::from(*m))
                    && class.is_possible()
                {
                    possible += 1;
                    if class.is_present() {
                        present += 1;
                    }
                }
            }
            (possible > 0).then(|| (present * 1_000_000 / possible) as u32)
        })
        .collect()
}

fn stage_rank(table: &DecisionTable, id: &str, from_end: usize) -> usize {
    table
        .stages
        .iter()
        .position(|s| s == id)
        .unwrap_or_else(|| table.stages.len().saturating_sub(from_end))
}

#[allow(clippy::too_many_arguments)]
fn figures(
    table: &DecisionTable,
    outcome: &engine::Outcome,
    days: &SchoolDays,
    register: &Register,
    masks: &[u8],
    minutes: &Minutes,
    week_first: &[usize],
    week_days: &[usize],
    half_term_days: &[usize],
) -> PolicyFigures {
    let span = outcome.span;
    let formalise_rank = stage_rank(table, "formalise", 2);
    let enforce_rank = stage_rank(table, "enforce", 1);
    let mut reached = vec![0usize; register.len()];
    let mut enforced = vec![false; register.len()];
    let mut actions: BTreeMap<String, [u64; 6]> = BTreeMap::new();
    let mut weekly = vec![0u64; week_first.len()];
    let mut spent = [0u64; 6];
    let mut due = Vec::new();
    let last_week = week_first.last().copied().unwrap_or(span.0);
    for f in &outcome.fired {
        if let Some(r) = reached.get_mut(f.pupil) {
            *r = (*r).max(f.stage);
        }
    }
    // An action several rules ask for on one day is done once, as `actions.csv` lists it.
    for d in engine::due(table, &outcome.fired) {
        let (f, a) = (d.fired, d.action);
        let mask = masks.get(f.pupil).copied().unwrap_or(1);
        let week = week_first
            .partition_point(|d| *d <= f.day)
            .saturating_sub(1);
        let kind = action_kind(&a.action);
        add(actions.entry(kind.to_string()).or_default(), mask, 1);
        add(&mut spent, mask, u64::from(minutes.of(kind)));
        if let Some(w) = weekly.get_mut(week) {
            *w += 1;
        }
        if a.enforcement
            && let Some(e) = enforced.get_mut(f.pupil)
        {
            *e = true;
        }
        if f.day >= last_week {
            due.push(Due {
                pupil: register.id(f.pupil).to_string(),
                date: days.date(f.day),
                action: a.action.clone(),
                responsible: d.responsible().unwrap_or_default().to_string(),
            });
        }
    }
    let snap = |day: usize, out: &engine::Outcome| snapshot(table, masks, day, out);
    let mut cache: BTreeMap<usize, Snapshot> = BTreeMap::new();
    let mut wanted: Vec<usize> = week_days.iter().chain(half_term_days).copied().collect();
    wanted.sort_unstable();
    wanted.dedup();
    let mut truncated = register.clone();
    for day in wanted {
        let s = if day == span.1 {
            snap(day, outcome)
        } else {
            truncated.span = Some((span.0, day));
            let o = engine::run(table, days, &truncated);
            for (i, p) in o.summary.iter().enumerate() {
                if let Some(r) = reached.get_mut(i) {
                    *r = (*r).max(p.stage);
                }
            }
            snap(day, &o)
        };
        cache.insert(day, s);
    }
    for (i, p) in outcome.summary.iter().enumerate() {
        if let Some(r) = reached.get_mut(i) {
            *r = (*r).max(p.stage);
        }
    }
    let mut formalise = [0u64; 6];
    let mut enforce = [0u64; 6];
    for (i, r) in reached.iter().enumerate() {
        let mask = masks.get(i).copied().unwrap_or(1);
        // An enforcement action (a penalty warning, a penalty notice considered) is enforce
        // whatever stage the policy names, and enforce is beyond formalise: so the counts
        // nest, and "reaching formalise" includes every pupil "reaching enforce".
        let enforced = *r >= enforce_rank || enforced.get(i).copied().unwrap_or(false);
        if enforced {
            add(&mut enforce, mask, 1);
        }
        if enforced || *r >= formalise_rank {
            add(&mut formalise, mask, 1);
        }
    }
    let pick = |list: &[usize]| -> Vec<Snapshot> {
        list.iter().filter_map(|d| cache.get(d).cloned()).collect()
    };
    PolicyFigures {
        name: table.policy.clone(),
        stages: table.stages.clone(),
        bands: bands_of(table),
        actions,
        weekly,
        formalise,
        enforce,
        minutes: spent,
        half_terms: pick(half_term_days),
        weeks: pick(week_days),
        due,
    }
}

fn snapshot(
    table: &DecisionTable,
    masks: &[u8],
    day: usize,
    outcome: &engine::Outcome,
) -> Snapshot {
    let mut bands: Vec<(String, [u64; 6])> = Vec::new();
    let mut band_index: BTreeMap<usize, usize> = BTreeMap::new();
    for set in &table.band_sets {
        for row in set {
            if let Some(r) = table.rows.get(*row) {
                let at = bands
                    .iter()
                    .position(|(n, _)| *n == r.rule)
                    .unwrap_or_else(|| {
                        bands.push((r.rule.clone(), [0; 6]));
                        bands.len() - 1
                    });
                band_index.insert(*row, at);
            }
        }
    }
    let mut stages = vec![[0u64; 6]; table.stages.len().max(1)];
    for (i, s) in outcome.summary.iter().enumerate() {
        let mask = masks.get(i).copied().unwrap_or(1);
        if s.possible == 0 {
            continue;
        }
        if let Some(c) = stages.get_mut(s.stage) {
            add(c, mask, 1);
        }
        for row in s.bands.iter().flatten() {
            let row = *row as usize;
            if let Some((_, c)) = band_index.get(&row).and_then(|b| bands.get_mut(*b)) {
                add(c, mask, 1);
            }
        }
    }
    Snapshot { day, bands, stages }
}

/// The bands of the first band set with their attendance ranges.
fn bands_of(table: &DecisionTable) -> Vec<Band> {
    use crate::model::{RatioMetric, normal::Atom};
    use std::ops::Bound;
    let mut out = Vec::new();
    for set in &table.band_sets {
        for row in set {
            let Some(r) = table.rows.get(*row) else {
                continue;
            };
            if out.iter().any(|b: &Band| b.name == r.rule) {
                continue;
            }
            let range = r.when.iter().find_map(|a| match a {
                Atom::Ratio {
                    metric, interval, ..
                } => {
                    let val = |b: Bound<crate::syntax::ast::Percent>, open: u32| match b {
                        Bound::Included(p) | Bound::Excluded(p) => p.0,
                        Bound::Unbounded => open,
                    };
                    let lo = val(interval.lo, 0);
                    let hi = val(interval.hi, 1_000_000);
                    Some(if matches!(metric, RatioMetric::Attendance) {
                        (lo, hi)
                    } else {
                        // An absence band: attendance is its complement.
                        (1_000_000 - hi.min(1_000_000), 1_000_000 - lo.min(1_000_000))
                    })
                }
                _ => None,
            });
            out.push(Band {
                name: r.rule.clone(),
                stage: r.stage.clone(),
                range,
            });
        }
    }
    out
}
