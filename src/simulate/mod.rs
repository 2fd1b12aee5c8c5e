//! Simulation: several policies applied to one cohort, and the figures that compare them
//! (actions by kind and week, bands and stages at the end of each half-term and each week,
//! families reaching formalise and enforce, staff time), each split by SEN, FSM, social
//! worker and looked-after status. Pure and deterministic: data in, figures out.

use std::collections::BTreeMap;

use crate::codes;
use crate::engine;
use crate::generate::{self, Cohort};
use crate::model::Period;
use crate::register::{MarkFigures, NO_MARK, Pupil, Register, Sen, YearGroup};
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

/// The default minutes of staff time per action kind, and what each assumes. Each action a
/// policy asks for counts once, on the day it is due (as `actions.csv` lists it), so these
/// are the minutes of one such action, not of a case.
pub const DEFAULT_MINUTES: [(&str, u32, &str); 14] = [
    ("letter", 10, "a standard letter merged, checked and sent"),
    ("contact", 5, "a call, text or email to a parent"),
    ("meeting", 45, "a meeting with a family, with its note"),
    ("home_visit", 45, "a visit to the home, with travel"),
    (
        "review",
        5,
        "a look at the pupil's record and a decision noted",
    ),
    ("notify", 10, "an email or call to a colleague or service"),
    ("refer", 30, "a referral form to a service"),
    ("consider", 15, "a decision on a case, recorded"),
    (
        "penalty_warning",
        20,
        "a penalty notice warning drafted and sent",
    ),
    (
        "support",
        30,
        "support set up: a plan, a mentor, a programme",
    ),
    ("detention", 5, "a pupil's share of a supervised detention"),
    ("certificate", 1, "a certificate printed"),
    ("sticker", 0, "no staff time to speak of"),
    ("reward", 2, "a reward given"),
];

impl Default for Minutes {
    fn default() -> Minutes {
        Minutes(
            DEFAULT_MINUTES
                .iter()
                .map(|(k, m, _)| (k.to_string(), *m))
                .collect(),
        )
    }
}

impl Minutes {
    /// Minutes for one action of this kind (every kind of the language has a figure).
    pub fn of(&self, kind: &str) -> u32 {
        self.0.get(kind).copied().unwrap_or(15)
    }

    /// Applies `KIND=MIN` overrides; an error names the first one that does not parse or
    /// names no action kind (with the kind it is nearest, if any).
    pub fn with(mut self, overrides: &[String]) -> Result<Minutes, String> {
        for o in overrides {
            let Some((kind, min)) = o.split_once('=') else {
                return Err(format!("`{o}` is not KIND=MINUTES"));
            };
            let kind = kind.trim();
            if !DEFAULT_MINUTES.iter().any(|(k, _, _)| *k == kind) {
                let kinds = DEFAULT_MINUTES.iter().map(|(k, _, _)| *k);
                let hint = crate::diagnostic::did_you_mean_help(kind, kinds)
                    .map(|h| format!("; {h}"))
                    .unwrap_or_default();
                return Err(format!(
                    "`{kind}` in `{o}` is not an action kind{hint} (the kinds: {})",
                    DEFAULT_MINUTES.map(|(k, _, _)| k).join(", ")
                ));
            }
            let Ok(min) = min.trim().parse::<u32>() else {
                return Err(format!("`{min}` in `{o}` is not a whole number of minutes"));
            };
            self.0.insert(kind.to_string(), min);
        }
        Ok(self)
    }

    /// The minutes in force, `letter 10, contact 5, ...`, in the order of [`DEFAULT_MINUTES`].
    pub fn describe(&self) -> String {
        DEFAULT_MINUTES
            .iter()
            .map(|(k, _, _)| format!("{k} {}", self.of(k)))
            .collect::<Vec<_>>()
            .join(", ")
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
    /// Pupils at no stage, raised by nothing: in a band without a stage, and in no band.
    pub no_stage: [u64; 6],
    pub no_band: [u64; 6],
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
    /// The column heading: the name, with the file's name when two policies share a name.
    pub label: String,
    /// The policy's file as given (empty when the caller gave none).
    pub file: String,
    /// What `attend check` says of it (`0 errors, 2 warnings`; empty when not given).
    pub check: String,
    pub stages: Vec<String>,
    /// Per band set, each band's name and its attendance interval over its window (lowest
    /// and highest percent, in millionths), when its condition is one.
    pub bands: Vec<Band>,
    /// Actions per kind, per group.
    pub actions: BTreeMap<String, [u64; 6]>,
    /// Actions per school week of [`Simulation::weeks`].
    pub weekly: Vec<u64>,
    /// Per stage (in stage order), the pupils whose stage it was on some school day, per
    /// group: each pupil counted at every stage they actually reached, and at no other.
    pub reached: Vec<[u64; 6]>,
    /// Per stage, whether some rule of the policy (a band, trigger or plan) puts a pupil at
    /// it: a stage none does is one the policy does not have in practice.
    pub staged: Vec<bool>,
    /// Minutes of staff time, per group.
    pub minutes: [u64; 6],
    /// Minutes of staff time per action kind (all pupils).
    pub minutes_by_kind: BTreeMap<String, u64>,
    /// How often each band, trigger, step and plan fired.
    pub coverage: engine::coverage::Coverage,
    /// At the end of each half-term with data, and at the last day with data.
    pub half_terms: Vec<Snapshot>,
    /// At the last day of each school week with data (the caseload over the year).
    pub weeks: Vec<Snapshot>,
    /// Actions due in the last school week with data.
    pub due: Vec<Due>,
}

impl PolicyFigures {
    /// Pupils reaching the stage of this name, per group; `None` when the policy has no
    /// such stage, or no rule of it puts a pupil there.
    pub fn reaching(&self, stage: &str) -> Option<[u64; 6]> {
        let i = self.stages.iter().position(|s| s == stage)?;
        if !self.staged.get(i).copied().unwrap_or(false) {
            return None;
        }
        Some(self.reached.get(i).copied().unwrap_or_default())
    }
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
    /// The minutes per action kind the staff time is counted at.
    pub minutes: Minutes,
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
    // One pass of the engine per table gives both its outcome and its snapshots.
    let looks = Looks::new(days, register);
    let (outcomes, tallies): (Vec<engine::Outcome>, Vec<Vec<Tally>>) = tables
        .iter()
        .map(|table| {
            engine::run_watched(
                table,
                days,
                register,
                &crate::progress::NoProgress,
                &engine::notices::NoticeHistory::default(),
                &looks.watch(table),
            )
        })
        .unzip();
    compare_watched(
        tables,
        &outcomes,
        Some((&looks, tallies)),
        days,
        register,
        None,
        minutes,
    )
}

/// The comparison of tables already run over the register: `outcomes[i]` is `tables[i]`'s
/// run, so a caller that has run the engine (`attend run`) does not run it again. The weekly
/// and half-term caseloads take one more pass of the engine per table, without the notices
/// from before the register (as the snapshots always were); [`compare_watched`] takes them
/// from the run itself.
pub fn compare(
    tables: &[DecisionTable],
    outcomes: &[engine::Outcome],
    days: &SchoolDays,
    register: &Register,
    minutes: &Minutes,
) -> Simulation {
    compare_watched(tables, outcomes, None, days, register, None, minutes)
}

/// When a run's figures over the year are looked at: the school weeks with data (each one's
/// first day), the weekly snapshots' days and the half-terms' last days with data.
#[derive(Clone, Debug)]
pub struct Looks {
    week_first: Vec<usize>,
    week_days: Vec<usize>,
    half_term_days: Vec<usize>,
    /// Each pupil's groups ([`Group::mask`]).
    masks: Vec<u8>,
    span: (usize, usize),
}

impl Looks {
    pub fn new(days: &SchoolDays, register: &Register) -> Looks {
        let span = register.span.unwrap_or((0, 0));
        let masks: Vec<u8> = (0..register.len())
            .filter_map(|i| register.pupil(i))
            .map(|p| Group::mask(&p))
            .collect();
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
        Looks {
            week_first,
            week_days,
            half_term_days,
            masks,
            span,
        }
    }

    /// The days a snapshot is taken at, before the span's last (that one is the run's own
    /// summary), ascending.
    fn before_last(&self) -> Vec<usize> {
        let mut wanted: Vec<usize> = self
            .week_days
            .iter()
            .chain(&self.half_term_days)
            .copied()
            .filter(|d| *d != self.span.1)
            .collect();
        wanted.sort_unstable();
        wanted.dedup();
        wanted
    }

    /// What the engine is to tell of `table`'s run for the snapshots.
    pub fn watch<'a>(&'a self, table: &'a DecisionTable) -> SnapshotWatch<'a> {
        SnapshotWatch {
            table,
            looks: self,
            days: self.before_last(),
        }
    }
}

/// The snapshots of one table's run, gathered while the engine runs
/// ([`engine::run_watched`]).
pub struct SnapshotWatch<'a> {
    table: &'a DecisionTable,
    looks: &'a Looks,
    days: Vec<usize>,
}

impl engine::Watch for SnapshotWatch<'_> {
    type Tally = Vec<Tally>;

    fn days(&self) -> &[usize] {
        &self.days
    }

    fn tally(&self) -> Vec<Tally> {
        self.days
            .iter()
            .map(|d| Tally::new(self.table, *d))
            .collect()
    }

    fn see(&self, tally: &mut Vec<Tally>, at: usize, pupil: usize, standing: &engine::Standing) {
        let mask = self.looks.masks.get(pupil).copied().unwrap_or(1);
        if let Some(t) = tally.get_mut(at) {
            t.add(
                self.table,
                mask,
                standing.possible,
                standing.stage,
                &standing.bands,
            );
        }
    }

    fn merge(&self, into: &mut Vec<Tally>, other: Vec<Tally>) {
        for (a, b) in into.iter_mut().zip(other) {
            a.merge(b);
        }
    }
}

/// [`compare`], with each table's snapshots (`snapshots[i]`, from [`engine::run_watched`]
/// with [`Looks::watch`]) when the run gathered them; `None` runs the engine once more per
/// table to gather them. Each pupil's attendance comes from `figures` when the run gathered
/// them (a streamed register has no marks left), from the register's marks otherwise.
pub fn compare_watched(
    tables: &[DecisionTable],
    outcomes: &[engine::Outcome],
    snapshots: Option<(&Looks, Vec<Vec<Tally>>)>,
    days: &SchoolDays,
    register: &Register,
    marks: Option<&MarkFigures>,
    minutes: &Minutes,
) -> Simulation {
    let (looks, mut gathered) = match snapshots {
        Some((looks, tallies)) => (std::borrow::Cow::Borrowed(looks), tallies),
        None => {
            let looks = Looks::new(days, register);
            let tallies = tables
                .iter()
                .map(|table| {
                    engine::run_watched(
                        table,
                        days,
                        register,
                        &crate::progress::NoProgress,
                        &engine::notices::NoticeHistory::default(),
                        &looks.watch(table),
                    )
                    .1
                })
                .collect();
            (std::borrow::Cow::Owned(looks), tallies)
        }
    };
    let looks = looks.as_ref();
    let span = looks.span;
    let mut pupils = [0u64; 6];
    for m in &looks.masks {
        add(&mut pupils, *m, 1);
    }
    let attendance = match marks {
        Some(marks) => (0..register.len()).map(|i| marks.attendance(i)).collect(),
        None => attendance_of(register, span),
    };
    let policies = tables
        .iter()
        .zip(outcomes)
        .enumerate()
        .map(|(i, (table, outcome))| {
            let tallies = std::mem::take(gathered.get_mut(i).unwrap_or(&mut Vec::new()));
            figures(table, outcome, days, register, looks, tallies, minutes)
        })
        .collect();
    Simulation {
        pupils,
        attendance,
        span: (days.date(span.0), days.date(span.1)),
        weeks: looks.week_first.iter().map(|d| days.date(*d)).collect(),
        week_days: looks.week_days.clone(),
        half_term_days: looks.half_term_days.clone(),
        policies,
        minutes: minutes.clone(),
    }
}

/// Names each policy's column after its file (`files[i]`, as given) and what `attend check`
/// says of it (`checks[i]`). Policies of one name are told apart by their file's name, or
/// by the whole path when that is the same too.
pub fn name_policies(sim: &mut Simulation, files: &[String], checks: &[String]) {
    let names: Vec<String> = sim.policies.iter().map(|p| p.name.clone()).collect();
    let base = |f: &str| {
        std::path::Path::new(f)
            .file_name()
            .map_or_else(|| f.to_string(), |n| n.to_string_lossy().into_owned())
    };
    for (i, p) in sim.policies.iter_mut().enumerate() {
        let file = files.get(i).cloned().unwrap_or_default();
        p.check = checks.get(i).cloned().unwrap_or_default();
        let twins: Vec<usize> = (0..names.len()).filter(|j| names[*j] == p.name).collect();
        if twins.len() > 1 {
            let same_base = twins
                .iter()
                .filter(|j| files.get(**j).map(|f| base(f)) == Some(base(&file)))
                .count();
            let tell = if same_base > 1 {
                file.clone()
            } else {
                base(&file)
            };
            p.label = format!("{} ({tell})", p.name);
        }
        p.file = file;
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

fn figures(
    table: &DecisionTable,
    outcome: &engine::Outcome,
    days: &SchoolDays,
    register: &Register,
    looks: &Looks,
    tallies: Vec<Tally>,
    minutes: &Minutes,
) -> PolicyFigures {
    let (masks, week_first) = (looks.masks.as_slice(), looks.week_first.as_slice());
    let (week_days, half_term_days) = (&looks.week_days, &looks.half_term_days);
    let span = outcome.span;
    let mut actions: BTreeMap<String, [u64; 6]> = BTreeMap::new();
    let mut weekly = vec![0u64; week_first.len()];
    let mut spent = [0u64; 6];
    let mut minutes_by_kind: BTreeMap<String, u64> = BTreeMap::new();
    let mut due = Vec::new();
    let last_week = week_first.last().copied().unwrap_or(span.0);
    // An action several rules ask for on one day is done once, as `actions.csv` lists it;
    // each is counted once, on its day, and costs its kind's minutes once.
    for d in engine::due(table, &outcome.fired) {
        let (f, a) = (d.fired, d.action);
        let mask = masks.get(f.pupil).copied().unwrap_or(1);
        let week = week_first
            .partition_point(|d| *d <= f.day)
            .saturating_sub(1);
        let kind = action_kind(&a.action);
        let cost = u64::from(minutes.of(kind));
        add(actions.entry(kind.to_string()).or_default(), mask, 1);
        add(&mut spent, mask, cost);
        *minutes_by_kind.entry(kind.to_string()).or_default() += cost;
        if let Some(w) = weekly.get_mut(week) {
            *w += 1;
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
    // The snapshot at the span's last day is the run's own summary; the others were
    // gathered while the engine ran.
    let mut cache: BTreeMap<usize, Snapshot> = tallies
        .into_iter()
        .map(|t| (t.day, t.finish(table)))
        .collect();
    if week_days.iter().chain(half_term_days).any(|d| *d == span.1) {
        cache.insert(span.1, snapshot(table, masks, span.1, outcome));
    }
    let mut reached = vec![[0u64; 6]; table.stages.len()];
    for (i, p) in outcome.summary.iter().enumerate() {
        let mask = masks.get(i).copied().unwrap_or(1);
        for (rank, counts) in reached.iter_mut().enumerate() {
            if p.reached & (1 << rank.min(63)) != 0 {
                add(counts, mask, 1);
            }
        }
    }
    let pick = |list: &[usize]| -> Vec<Snapshot> {
        list.iter().filter_map(|d| cache.get(d).cloned()).collect()
    };
    PolicyFigures {
        name: table.policy.clone(),
        label: table.policy.clone(),
        file: String::new(),
        check: String::new(),
        stages: table.stages.clone(),
        bands: bands_of(table),
        actions,
        weekly,
        reached,
        staged: table
            .stages
            .iter()
            .map(|s| table.rows.iter().any(|r| r.stage.as_ref() == Some(s)))
            .collect(),
        minutes: spent,
        minutes_by_kind,
        coverage: engine::coverage::coverage(table, outcome),
        half_terms: pick(half_term_days),
        weeks: pick(week_days),
        due,
    }
}

/// The row of the band table that counts the pupils in no band of any band set.
pub const NO_BAND: &str = "in no band";

/// The rows of the stage table that count the pupils at no stage: in a band that names
/// none, and in no band.
pub const NO_STAGE: &str = "no stage: in a band without one";
pub const NO_STAGE_NO_BAND: &str = "no stage: in no band";

fn snapshot(
    table: &DecisionTable,
    masks: &[u8],
    day: usize,
    outcome: &engine::Outcome,
) -> Snapshot {
    let mut tally = Tally::new(table, day);
    for (i, s) in outcome.summary.iter().enumerate() {
        let mask = masks.get(i).copied().unwrap_or(1);
        tally.add(table, mask, s.possible, s.stage, &s.bands);
    }
    tally.finish(table)
}

/// A [`Snapshot`] being counted: pupils are added one by one, and tallies of different
/// pupils are added together.
#[derive(Clone, Debug)]
pub struct Tally {
    day: usize,
    bands: Vec<(String, [u64; 6])>,
    /// Per band row of the table: its place in `bands`.
    band_index: BTreeMap<usize, usize>,
    stages: Vec<[u64; 6]>,
    no_stage: [u64; 6],
    unstaged_no_band: [u64; 6],
    no_band: [u64; 6],
}

impl Tally {
    fn new(table: &DecisionTable, day: usize) -> Tally {
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
        Tally {
            day,
            bands,
            band_index,
            stages: vec![[0u64; 6]; table.stages.len().max(1)],
            no_stage: [0; 6],
            unstaged_no_band: [0; 6],
            no_band: [0; 6],
        }
    }

    /// Counts one pupil (of groups `mask`) with this possible, stage and bands held.
    fn add(
        &mut self,
        table: &DecisionTable,
        mask: u8,
        possible: u32,
        stage: usize,
        held: &[Option<u32>],
    ) {
        if possible == 0 {
            return;
        }
        // A pupil in no band, or in bands without a stage, is at the first stage only by
        // default: counted at no stage unless something (a trigger, a plan) raised it.
        let staged = held.iter().flatten().any(|row| {
            table
                .rows
                .get(*row as usize)
                .is_some_and(|r| r.stage.is_some())
        });
        let unbanded = held.iter().all(Option::is_none);
        if stage == 0 && !staged {
            add(
                if unbanded {
                    &mut self.unstaged_no_band
                } else {
                    &mut self.no_stage
                },
                mask,
                1,
            );
        } else if let Some(c) = self.stages.get_mut(stage) {
            add(c, mask, 1);
        }
        if !table.band_sets.is_empty() && unbanded {
            add(&mut self.no_band, mask, 1);
        }
        for row in held.iter().flatten() {
            let row = *row as usize;
            if let Some((_, c)) = self
                .band_index
                .get(&row)
                .and_then(|b| self.bands.get_mut(*b))
            {
                add(c, mask, 1);
            }
        }
    }

    fn merge(&mut self, other: Tally) {
        let sum = |a: &mut [u64; 6], b: &[u64; 6]| {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        };
        for ((_, a), (_, b)) in self.bands.iter_mut().zip(&other.bands) {
            sum(a, b);
        }
        for (a, b) in self.stages.iter_mut().zip(&other.stages) {
            sum(a, b);
        }
        sum(&mut self.no_stage, &other.no_stage);
        sum(&mut self.unstaged_no_band, &other.unstaged_no_band);
        sum(&mut self.no_band, &other.no_band);
    }

    fn finish(self, table: &DecisionTable) -> Snapshot {
        let mut bands = self.bands;
        if !table.band_sets.is_empty() {
            bands.push((NO_BAND.to_string(), self.no_band));
        }
        Snapshot {
            day: self.day,
            bands,
            stages: self.stages,
            no_stage: self.no_stage,
            no_band: self.unstaged_no_band,
        }
    }
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
