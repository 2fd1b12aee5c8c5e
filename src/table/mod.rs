//! The decision table: a checked policy flattened into rows of exact conditions (intervals over
//! metrics, predicates over pupil attributes) and the actions they require. Deterministic: the
//! same policy always gives the same rows in the same order. The engine reads only this.

mod days;
mod ladder;
mod render;

use serde::Serialize;

use crate::model::normal as dnf;
pub use crate::model::normal::{Atom, CountRange};
pub use days::{Closed, NOT_SCHOOL_DAY, SchoolDays};
pub use ladder::{HeldRows, LadderRows};
pub use render::{render_json, render_markdown, render_text};

use crate::check::CheckedPolicy;
use crate::diagnostic::{Diagnostic, Problem};
use crate::model::{
    Action, ActionKind, Calendar, Condition, CountMetric, Judgement, Origin, Percent, PlanTarget,
    Policy, RatioMetric, Repeat, SessionClass, Window,
};
use crate::source::Loc;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DecisionTable {
    pub policy: String,
    /// Stage ids in order of severity.
    pub stages: Vec<String>,
    pub rows: Vec<Row>,
    /// The calendar the rows are evaluated over: the policy's, or the `--calendar` file's.
    #[serde(skip)]
    pub calendar: Calendar,
    /// Each band set's rows, as indices into `rows`: a pupil holds at most one band of a set.
    #[serde(skip)]
    pub band_sets: Vec<Vec<usize>>,
    /// The ladders among the band sets (src/table/ladder.rs).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ladders: Vec<LadderRows>,
    /// The statistical measures a summary reports (persistent and severe absence), each as
    /// rows of atoms of which any may hold; the national definition wins over the school's.
    #[serde(skip)]
    pub measures: Measures,
    /// Each role's id and its description in the policy (`attendance_lead`, "Attendance
    /// Lead"): who an action's `responsible` is, in words.
    #[serde(skip)]
    pub roles: Vec<(String, String)>,
}

impl DecisionTable {
    /// The description of a role, by id.
    pub fn role_name(&self, id: &str) -> Option<&str> {
        self.roles
            .iter()
            .find(|(r, _)| r == id)
            .map(|(_, name)| name.as_str())
    }
}

/// Persistent and severe absence as normal-form rows (DESIGN.md §4).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Measures {
    pub persistent: Vec<Vec<Atom>>,
    pub severe: Vec<Vec<Atom>>,
}

/// One way a rule can hold, and what then happens.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Row {
    /// `R1`, `R2`, ... in table order.
    pub id: String,
    /// The rule's name in the policy: a band's id, an escalation's, trigger's or plan's name.
    pub rule: String,
    pub kind: RowKind,
    /// All must hold (a conjunction); a rule that holds in several ways has several rows.
    pub when: Vec<Atom>,
    /// A band's range as the school wrote it (`Below 96%- 94%`), beside its exact interval.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub written: Option<String>,
    /// A band's `or CONDITION`: rows of which any, as well as `when`, puts a pupil in the band
    /// (each with the band set's evidence guard).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub also: Option<Vec<Vec<Atom>>>,
    /// A band's guard on its entry actions (`on enter when ...:`), as rows of which any may
    /// hold; `None` when the actions fire on every entry (`Some` of no rows: never).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guard: Option<Vec<Vec<Atom>>>,
    /// The part of the rule the policy leaves to staff (`judged "multiple absences" by
    /// attendance_lead`): the row's one action is then that role's review task.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub judged: Option<String>,
    /// False when the conjunction can hold for no pupil (its intervals do not meet).
    pub satisfiable: bool,
    pub event: Event,
    pub actions: Vec<RowAction>,
    pub stage: Option<String>,
    pub repeat: Repeat,
    pub origin: Origin,
    pub source: SourceRef,
    #[serde(skip)]
    pub loc: Loc,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RowKind {
    Band,
    Step,
    Trigger,
    PlanOpen,
    PlanMissed,
    PlanMet,
    /// The review of a plan whose target the policy leaves to staff: a task, not a decision.
    PlanJudged,
    /// A band's `every school_week:` actions, on the first school day of each school week a
    /// pupil stays in it.
    BandWeekly,
    /// A band's further `on enter when CONDITION:` clause, fired on the band's entries.
    BandEntry,
    /// A plan's `every N school_weeks:` actions, while the plan is open.
    PlanEvery,
}

/// The step of a row as actions.csv, the ledger and the action id name it (`enter`, `day 3`,
/// `holds`, ...): one definition, so every engine names a step alike.
pub fn step_name(kind: RowKind, event: &Event) -> String {
    match (kind, event) {
        (_, Event::ReachDay(n)) => format!("day {n}"),
        (_, Event::EnterBandAlso { clause }) => format!("enter {clause}"),
        (RowKind::Band, _) => "enter".into(),
        (RowKind::PlanOpen, _) => "open".into(),
        (RowKind::PlanMissed, _) => "missed".into(),
        (RowKind::PlanMet, _) => "met".into(),
        (RowKind::PlanJudged, _) => "review".into(),
        (RowKind::BandWeekly, _) => "weekly".into(),
        (RowKind::BandEntry, _) => "enter".into(),
        (RowKind::PlanEvery, _) => "every".into(),
        (RowKind::Trigger | RowKind::Step, _) => "holds".into(),
    }
}

/// When the row's actions happen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// The pupil enters the band.
    EnterBand,
    /// The pupil enters the band: its further entry clause number `clause` (the first is
    /// `on enter` itself, so this is 2 or more).
    EnterBandAlso { clause: u32 },
    /// The run of consecutive days reaches this day.
    ReachDay(u32),
    /// The condition holds, with the row's repeat behaviour.
    Holds,
    /// The last school day of each period (`at end of half_term`), if the condition holds
    /// on that day's figures.
    EndOf(crate::model::Period),
    /// The first school day of every Nth school week of the year (`every 2 school_weeks`),
    /// if the condition holds and did not at the look before.
    LookedEvery { school_weeks: u32 },
    /// The pupil reaches the plan's stage.
    EnterStage(String),
    /// The first school day of a school week, the pupil in the band since the week before.
    WeekInBand,
    /// `every N school_weeks:`: the first school day of every Nth school week after the week
    /// the pupil entered the band, the pupil in it since.
    WeeksInBand { school_weeks: u32 },
    /// `every N school_weeks:` in a plan: the first school day of every Nth school week after
    /// the week the plan opened, while it is open (the review day closes it first).
    WeeksInPlan { school_weeks: u32 },
    /// The plan's review day, this many school weeks after it opened.
    Review {
        after_school_weeks: u32,
        /// The last week of a range the policy gives (`review after 4 to 6 school_weeks`).
        #[serde(skip_serializing_if = "Option::is_none")]
        until_school_weeks: Option<u32>,
        escalate_to: Option<String>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RowAction {
    /// `letter:three-day`, `notify:local_authority`, ...
    pub action: String,
    pub note: Option<String>,
    pub responsible: Option<String>,
    pub enforcement: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SourceRef {
    pub file: String,
    pub line: usize,
    pub column: usize,
}

impl SourceRef {
    fn of(loc: &Loc) -> SourceRef {
        let (line, column) = loc.line_col();
        SourceRef {
            file: loc.file().to_string(),
            line,
            column,
        }
    }
}

impl std::fmt::Display for SourceRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// Compiles a checked policy. Only `check` makes a [`CheckedPolicy`], so every name here is
/// known to resolve.
pub fn compile(checked: &CheckedPolicy) -> (DecisionTable, Vec<Diagnostic>) {
    let policy = checked.policy();
    let mut rows = Vec::new();
    let mut diagnostics = Vec::new();
    let mut spread =
        |condition: &Condition, rule: &str, loc: &Loc| match dnf::rows(policy, condition) {
            Some(rows) => rows,
            None => {
                let problem = TableError::TooComplex {
                    rule: rule.to_string(),
                    limit: dnf::MAX_ROWS,
                };
                diagnostics.push(problem.at(loc));
                Vec::new()
            }
        };
    let mut band_sets = Vec::new();
    let mut ladders = Vec::new();
    for set in &policy.band_sets {
        let guard = min_possible_atom(set.window, set.min_possible);
        // A band holds while the pupil's ratio is in its range and the set's evidence guard holds.
        let band_when = |interval| {
            let mut when = vec![Atom::Ratio {
                metric: set.metric,
                window: set.window,
                interval,
            }];
            when.extend(guard.clone());
            when
        };
        band_sets.push((rows.len()..rows.len() + set.bands.len()).collect());
        if let Some(ladder) = &set.ladder {
            let band_rows = (rows.len()..rows.len() + set.bands.len()).collect();
            ladders.push(ladder::rows(ladder, band_rows, guard.clone(), |c| {
                spread(c, set.label.as_deref().unwrap_or("ladder"), &set.loc)
                    .into_iter()
                    .filter(|(_, satisfiable)| *satisfiable)
                    .map(|(atoms, _)| atoms)
                    .collect()
            }));
        }
        // `in order when judged ...`: each move past the first stage is staff's to judge.
        let move_judged = set
            .ladder
            .as_ref()
            .and_then(|l| l.order.as_ref())
            .and_then(|o| o.judged.as_ref());
        for (index, band) in set.bands.iter().enumerate() {
            let mut judged: Vec<&Judgement> = Vec::new();
            judged.extend(move_judged.filter(|_| index > 0));
            judged.extend(band.enter_judged.as_ref());
            let then = if move_judged.is_some() && index > 0 {
                Some(format!("move to `{}`", band.id))
            } else {
                None
            };
            let entry_guard = band.enter_guard.as_ref().map(|c| {
                spread(c, &band.id, &band.loc)
                    .into_iter()
                    .filter(|(_, satisfiable)| *satisfiable)
                    .map(|(atoms, _)| atoms)
                    .collect()
            });
            let also = band.also.as_ref().map(|c| {
                spread(c, &band.id, &band.loc)
                    .into_iter()
                    .filter(|(_, satisfiable)| *satisfiable)
                    .map(|(mut atoms, _)| {
                        atoms.extend(min_possible_atom(set.window, set.min_possible));
                        atoms
                    })
                    .collect()
            });
            let when = band_when(band.range);
            push(
                &mut rows,
                Row {
                    id: String::new(),
                    rule: band.id.clone(),
                    kind: RowKind::Band,
                    satisfiable: dnf::satisfiable(&when),
                    when,
                    written: Some(band.written.clone()),
                    guard: entry_guard,
                    also,
                    judged: judged_text(&judged),
                    event: Event::EnterBand,
                    actions: judged_actions(&judged, then, &band.on_enter),
                    stage: band.stage.as_ref().map(|s| s.id.clone()),
                    repeat: band.repeat,
                    origin: set.origin,
                    source: SourceRef::of(&band.loc),
                    loc: band.loc.clone(),
                },
            );
        }
        // Each band's further entry clauses, after the set's bands (one row per band there).
        for band in &set.bands {
            for (n, clause) in (2u32..).zip(&band.enter_also) {
                let guard = clause.guard.as_ref().map(|c| {
                    spread(c, &band.id, &clause.loc)
                        .into_iter()
                        .filter(|(_, satisfiable)| *satisfiable)
                        .map(|(atoms, _)| atoms)
                        .collect()
                });
                let when = band_when(band.range);
                push(
                    &mut rows,
                    Row {
                        id: String::new(),
                        rule: band.id.clone(),
                        kind: RowKind::BandEntry,
                        satisfiable: dnf::satisfiable(&when),
                        when,
                        written: Some(band.written.clone()),
                        guard,
                        also: None,
                        judged: None,
                        event: Event::EnterBandAlso { clause: n },
                        actions: actions(&clause.actions),
                        stage: band.stage.as_ref().map(|s| s.id.clone()),
                        repeat: band.repeat,
                        origin: set.origin,
                        source: SourceRef::of(&clause.loc),
                        loc: clause.loc.clone(),
                    },
                );
            }
        }
        // Each band's weekly actions, after the set's bands so their rows stay one per band.
        for band in set.bands.iter().filter(|b| !b.weekly.is_empty()) {
            let when = band_when(band.range);
            push(
                &mut rows,
                Row {
                    id: String::new(),
                    rule: band.id.clone(),
                    kind: RowKind::BandWeekly,
                    satisfiable: dnf::satisfiable(&when),
                    when,
                    written: Some(band.written.clone()),
                    guard: None,
                    also: None,
                    judged: None,
                    event: match band.weekly_every {
                        0 | 1 => Event::WeekInBand,
                        n => Event::WeeksInBand { school_weeks: n },
                    },
                    actions: actions(&band.weekly),
                    stage: band.stage.as_ref().map(|s| s.id.clone()),
                    repeat: Repeat::RisingEdge,
                    origin: set.origin,
                    source: SourceRef::of(&band.loc),
                    loc: band.loc.clone(),
                },
            );
        }
    }
    for esc in &policy.escalations {
        for step in &esc.steps {
            let run = Condition::Count {
                metric: CountMetric::ConsecutiveDays {
                    codes: esc.codes.clone(),
                },
                op: crate::model::CmpOp::Eq,
                value: step.day,
            };
            let condition = match &step.guard {
                Some(guard) => Condition::All(vec![run, guard.clone()]),
                None => run,
            };
            for (when, satisfiable) in spread(&condition, &esc.name, &step.loc) {
                push(
                    &mut rows,
                    Row {
                        id: String::new(),
                        rule: esc.name.clone(),
                        kind: RowKind::Step,
                        when,
                        satisfiable,
                        written: None,
                        guard: None,
                        also: None,
                        judged: judged_text(&Vec::from_iter(&step.judged)),
                        event: Event::ReachDay(step.day),
                        actions: judged_actions(&Vec::from_iter(&step.judged), None, &step.actions),
                        stage: None,
                        repeat: Repeat::RisingEdge,
                        origin: esc.origin,
                        source: SourceRef::of(&step.loc),
                        loc: step.loc.clone(),
                    },
                );
            }
        }
    }
    for trigger in &policy.triggers {
        let guard = min_possible_atom(Window::YearToDate, trigger.min_possible);
        let judged = Vec::from_iter(&trigger.judged);
        // Judged, the trigger moves no one to its stage: that too is staff's decision.
        let stage = trigger.stage.as_ref().map(|s| s.id.clone());
        let (stage, then) = match stage {
            Some(s) if !judged.is_empty() => (None, Some(format!("stage `{s}`"))),
            stage => (stage, None),
        };
        for (mut when, satisfiable) in spread(&trigger.condition, &trigger.name, &trigger.loc) {
            when.extend(guard.clone());
            push(
                &mut rows,
                Row {
                    id: String::new(),
                    rule: trigger.name.clone(),
                    kind: RowKind::Trigger,
                    when,
                    satisfiable,
                    written: None,
                    guard: None,
                    also: None,
                    judged: judged_text(&judged),
                    event: match trigger.looked_at {
                        None => Event::Holds,
                        Some(crate::model::LookedAt::EndOf(p)) => Event::EndOf(p),
                        Some(crate::model::LookedAt::Every { school_weeks }) => {
                            Event::LookedEvery { school_weeks }
                        }
                    },
                    actions: judged_actions(&judged, then.clone(), &trigger.actions),
                    stage: stage.clone(),
                    repeat: trigger.repeat,
                    origin: trigger.origin,
                    source: SourceRef::of(&trigger.loc),
                    loc: trigger.loc.clone(),
                },
            );
        }
    }
    for plan in &policy.plans {
        push(
            &mut rows,
            Row {
                id: String::new(),
                rule: plan.name.clone(),
                kind: RowKind::PlanOpen,
                when: vec![Atom::Stage {
                    lo: plan.stage.rank,
                    hi: plan.stage.rank,
                    names: vec![plan.stage.id.clone()],
                }],
                written: None,
                guard: None,
                also: None,
                judged: None,
                satisfiable: true,
                event: Event::EnterStage(plan.stage.id.clone()),
                actions: actions(&plan.on_open),
                stage: Some(plan.stage.id.clone()),
                repeat: Repeat::RisingEdge,
                origin: Origin::School,
                source: SourceRef::of(&plan.loc),
                loc: plan.loc.clone(),
            },
        );
        if let Some(every) = &plan.every {
            push(
                &mut rows,
                Row {
                    id: String::new(),
                    rule: plan.name.clone(),
                    kind: RowKind::PlanEvery,
                    when: Vec::new(),
                    written: None,
                    guard: None,
                    also: None,
                    judged: None,
                    satisfiable: true,
                    event: Event::WeeksInPlan {
                        school_weeks: every.school_weeks,
                    },
                    actions: actions(&every.actions),
                    stage: Some(plan.stage.id.clone()),
                    repeat: Repeat::RisingEdge,
                    origin: Origin::School,
                    source: SourceRef::of(&every.loc),
                    loc: every.loc.clone(),
                },
            );
        }
        let review = |escalate: bool| Event::Review {
            after_school_weeks: plan.review_after_weeks,
            until_school_weeks: plan.review_until_weeks,
            escalate_to: escalate
                .then(|| plan.escalate_to.as_ref().map(|s| s.id.clone()))
                .flatten(),
        };
        let target = match &plan.target {
            PlanTarget::Condition(c) => c,
            PlanTarget::Judged { .. } | PlanTarget::Unstated => {
                // Staff judge the target (or the policy states none): on the review day the
                // row always holds, and its one action is the review task.
                let task = match &plan.target {
                    PlanTarget::Judged { criterion, by, loc } => Action {
                        kind: ActionKind::Review,
                        note: Some(format!("judge the plan's target: {criterion}")),
                        by: Some(by.clone()),
                        loc: loc.clone(),
                    },
                    _ => Action {
                        kind: ActionKind::Review,
                        note: Some("review the plan: the policy states no criterion".into()),
                        by: None,
                        loc: plan.loc.clone(),
                    },
                };
                let loc = &task.loc;
                push(
                    &mut rows,
                    Row {
                        id: String::new(),
                        rule: plan.name.clone(),
                        kind: RowKind::PlanJudged,
                        when: Vec::new(),
                        satisfiable: true,
                        written: None,
                        guard: None,
                        also: None,
                        judged: None,
                        event: review(false),
                        actions: actions(std::slice::from_ref(&task)),
                        stage: Some(plan.stage.id.clone()),
                        repeat: Repeat::RisingEdge,
                        origin: Origin::School,
                        source: SourceRef::of(loc),
                        loc: loc.clone(),
                    },
                );
                continue;
            }
        };
        let missed = Condition::Not(Box::new(target.clone()));
        for (when, satisfiable) in spread(&missed, &plan.name, &plan.loc) {
            push(
                &mut rows,
                Row {
                    id: String::new(),
                    rule: plan.name.clone(),
                    kind: RowKind::PlanMissed,
                    when,
                    satisfiable,
                    written: None,
                    guard: None,
                    also: None,
                    judged: None,
                    event: review(true),
                    actions: actions(&plan.on_miss),
                    stage: plan.escalate_to.as_ref().map(|s| s.id.clone()),
                    repeat: Repeat::RisingEdge,
                    origin: Origin::School,
                    source: SourceRef::of(&plan.loc),
                    loc: plan.loc.clone(),
                },
            );
        }
        for (when, satisfiable) in spread(target, &plan.name, &plan.loc) {
            push(
                &mut rows,
                Row {
                    id: String::new(),
                    rule: plan.name.clone(),
                    kind: RowKind::PlanMet,
                    when,
                    satisfiable,
                    written: None,
                    guard: None,
                    also: None,
                    judged: None,
                    event: review(false),
                    actions: actions(&plan.on_met),
                    stage: Some(plan.stage.id.clone()),
                    repeat: Repeat::RisingEdge,
                    origin: Origin::School,
                    source: SourceRef::of(&plan.loc),
                    loc: plan.loc.clone(),
                },
            );
        }
    }
    let table = DecisionTable {
        policy: policy.name.clone(),
        stages: policy.stages.iter().map(|s| s.id.clone()).collect(),
        rows,
        calendar: policy.calendar.clone(),
        band_sets,
        ladders,
        measures: Measures {
            persistent: measure(policy, "persistent_absence", Percent::whole(10)),
            severe: measure(policy, "severe_absence", Percent::whole(50)),
        },
        roles: policy
            .roles
            .iter()
            .map(|r| (r.id.clone(), r.text.clone()))
            .collect(),
    };
    (table, diagnostics)
}

/// The rows of a measure's definition: the national one if the policy has it, else the
/// policy's first, else the national figure itself (`absence(year_to_date) >= floor`).
fn measure(policy: &Policy, name: &str, floor: Percent) -> Vec<Vec<Atom>> {
    let national = policy
        .definitions
        .iter()
        .find(|d| d.name == name && d.origin == Origin::National);
    let chosen = national.or_else(|| policy.definitions.iter().find(|d| d.name == name));
    let fallback = Condition::Ratio {
        metric: RatioMetric::Absence,
        window: Window::YearToDate,
        op: crate::model::CmpOp::Ge,
        value: floor,
    };
    let condition = chosen.map_or(&fallback, |d| &d.condition);
    dnf::rows(policy, condition)
        .or_else(|| dnf::rows(policy, &fallback))
        .unwrap_or_default()
        .into_iter()
        .filter(|(_, satisfiable)| *satisfiable)
        .map(|(atoms, _)| atoms)
        .collect()
}

fn push(rows: &mut Vec<Row>, mut row: Row) {
    row.id = format!("R{}", rows.len() + 1);
    rows.push(row);
}

fn min_possible_atom(window: Window, min: u32) -> Option<Atom> {
    (min > 0).then_some(Atom::Count {
        metric: CountMetric::Sessions {
            class: SessionClass::Possible,
            window,
        },
        range: CountRange { lo: min, hi: None },
    })
}

/// `judged "multiple absences" by office`, for a row some of whose rule staff judge.
fn judged_text(judged: &[&Judgement]) -> Option<String> {
    let parts: Vec<String> = judged.iter().map(ToString::to_string).collect();
    (!parts.is_empty()).then(|| parts.join(" and "))
}

/// A rule's actions; where the policy leaves part of it to staff, in their place one review
/// task for the role that judges, its note the criterion and what the policy would then do
/// (`judge: multiple absences — then: refer local_authority`). The engine never decides it.
fn judged_actions(judged: &[&Judgement], then: Option<String>, rule: &[Action]) -> Vec<RowAction> {
    let Some(first) = judged.first() else {
        return actions(rule);
    };
    let criteria: Vec<&str> = judged.iter().map(|j| j.criterion.as_str()).collect();
    let mut would: Vec<String> = then.into_iter().collect();
    would.extend(rule.iter().map(|a| a.kind.name().replacen(':', " ", 1)));
    if would.is_empty() {
        would.push("nothing more".into());
    }
    vec![RowAction {
        action: ActionKind::Review.name(),
        note: Some(format!(
            "judge: {} \u{2014} then: {}",
            criteria.join("; "),
            would.join(", ")
        )),
        responsible: Some(first.by.clone()),
        enforcement: false,
    }]
}

fn actions(actions: &[Action]) -> Vec<RowAction> {
    actions
        .iter()
        .map(|a| RowAction {
            action: a.kind.name(),
            note: a.note.clone(),
            responsible: a.by.clone(),
            enforcement: a.kind.is_enforcement(),
        })
        .collect()
}

/// The table stage's problems.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum TableError {
    #[error("the condition of `{rule}` spreads into more than {limit} cases")]
    TooComplex { rule: String, limit: usize },
}

impl Problem for TableError {
    fn code(&self) -> &'static str {
        match self {
            TableError::TooComplex { .. } => "table::too_complex",
        }
    }

    fn help(&self) -> Option<String> {
        match self {
            TableError::TooComplex { .. } => {
                Some("split it into several triggers or definitions".into())
            }
        }
    }
}
