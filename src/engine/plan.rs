//! The decision table compiled for evaluation: every distinct count the rows read becomes a
//! counter (a weight per code-table row), every (counter, window) a metric, every atom an
//! integer test on metrics. Rows are grouped into the rules that carry state between days:
//! band sets, triggers, escalation steps and support plans.

use std::ops::Bound;

use crate::codes::{self, MarkClass};
use crate::model::{
    CmpOp, CodeSet, CountMetric, Percent, PupilFlag, RatioMetric, Repeat, SessionClass, Window,
};
use crate::table::{Atom, DecisionTable, Event, RowKind};

/// Sessions counted by the class or code of their mark.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CounterKind {
    Class(SessionClass),
    Codes(CodeSet),
}

/// A per-code-row weight (0 or 1) for one kind of session count.
#[derive(Clone, Debug)]
pub struct Counter {
    pub kind: CounterKind,
    pub weight: [u8; 256],
}

/// Consecutive school days on which every possible session has a code of the set.
#[derive(Clone, Debug)]
pub struct RunSpec {
    pub codes: CodeSet,
    /// Per mark: [`IN_RUN`] (a possible session of the set), [`BREAKS_RUN`] (a possible
    /// session of another code) or 0 (no possible session). One table, so a day is two
    /// lookups and an `or`: the engine asks this of every run on every school day.
    pub class: [u8; 256],
}

/// A possible session marked with one of a run's codes.
pub const IN_RUN: u8 = 1;
/// A possible session marked with another code.
pub const BREAKS_RUN: u8 = 2;

impl RunSpec {
    /// The run of the possible sessions marked with `codes`; a mark is an index into the
    /// national code table.
    pub fn new(codes: &CodeSet) -> RunSpec {
        let mut class = [0u8; 256];
        for (i, row) in codes::table().rows().iter().enumerate() {
            if let Some(c) = class.get_mut(i)
                && row.class.is_possible()
            {
                *c = if codes.contains(row.code) {
                    IN_RUN
                } else {
                    BREAKS_RUN
                };
            }
        }
        RunSpec {
            codes: codes.clone(),
            class,
        }
    }

    /// What a school day with these two marks does to the run: `None` when neither session
    /// is possible (the day neither extends nor breaks it), else whether it extends it.
    #[inline]
    pub fn extends(&self, am: u8, pm: u8) -> Option<bool> {
        let day = self.day(am, pm);
        (day != 0).then_some(day & BREAKS_RUN == 0)
    }

    /// A school day's class with these two marks: [`IN_RUN`] alone when it extends the run,
    /// with [`BREAKS_RUN`] when it ends it, 0 when it does neither.
    #[inline]
    pub fn day(&self, am: u8, pm: u8) -> u8 {
        self.class[usize::from(am)] | self.class[usize::from(pm)]
    }
}

/// A value an atom reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value {
    /// A counter over a window: index into [`Plan::metrics`].
    Metric(usize),
    /// The current length of a run: index into [`Plan::runs`].
    Run(usize),
    /// Penalty notices in a period: index into [`Plan::notices`].
    Notices(usize),
}

#[derive(Clone, Debug)]
pub enum Test {
    /// `numerator / denominator` within the interval; never holds with no possible session.
    Ratio {
        metric: RatioMetric,
        numerator: usize,
        denominator: usize,
        lo: Bound<Percent>,
        hi: Bound<Percent>,
    },
    Count {
        value: Value,
        lo: u32,
        hi: Option<u32>,
    },
    Share {
        lhs: Value,
        op: CmpOp,
        percent: Percent,
        rhs: Value,
    },
    Flag {
        flag: PupilFlag,
        value: bool,
    },
    YearGroup {
        lo: u32,
        hi: Option<u32>,
    },
    Stage {
        lo: usize,
        hi: usize,
    },
    /// The day's half-term (or term) number in its academic year lies in `lo..=hi`.
    Period {
        per: crate::model::Period,
        lo: u32,
        hi: Option<u32>,
    },
}

/// A compiled row: the tests that must all hold, and the table row it came from.
#[derive(Clone, Debug)]
pub struct Rule {
    pub row: usize,
    pub tests: Vec<usize>,
    /// The table's atoms, for evidence.
    pub atoms: Vec<Atom>,
}

#[derive(Clone, Debug)]
pub struct TriggerGroup {
    pub name: String,
    pub rules: Vec<Rule>,
    pub repeat: Repeat,
    /// The stage rank the trigger puts the pupil in while its condition holds.
    pub stage: Option<usize>,
    /// The only days the trigger is looked at (`at end of term`, `every 2 school_weeks`);
    /// every school day when `None`.
    pub looked_at: Option<crate::model::LookedAt>,
}

#[derive(Clone, Debug)]
pub struct StepRule {
    pub rule: Rule,
    pub run: usize,
    pub day: u32,
}

#[derive(Clone, Debug)]
pub struct PlanGroup {
    pub name: String,
    pub open: Rule,
    pub missed: Vec<Rule>,
    pub met: Vec<Rule>,
    /// A review the policy leaves to staff: the task to set on the review day, instead of
    /// deciding met or missed.
    pub judged: Option<Rule>,
    /// `every N school_weeks:` while open: the row's rule and N.
    pub every: Option<(Rule, u32)>,
    pub rank: usize,
    pub after_weeks: u32,
    pub escalate_to: usize,
}

/// A band's further entry clause: its row's rule (the band's range) and its guard's rules.
pub type EntryClause = (Rule, Option<Vec<Rule>>);

#[derive(Clone, Debug)]
pub struct Plan {
    pub counters: Vec<Counter>,
    pub runs: Vec<RunSpec>,
    pub metrics: Vec<(usize, Window)>,
    pub windows: Vec<Window>,
    /// Per metric: index into `windows`.
    pub metric_window: Vec<usize>,
    pub tests: Vec<Test>,
    pub band_sets: Vec<Vec<Rule>>,
    pub band_stage: Vec<Vec<Option<usize>>>,
    /// Per band set, per band: how often its entry actions fire.
    pub band_repeat: Vec<Vec<Repeat>>,
    /// Per band set, per band: the guard on its entry actions (any rule may hold), if any.
    pub band_guard: Vec<Vec<Option<Vec<Rule>>>>,
    /// Per band set, per band: the rules of its `or CONDITION`, any of which also puts a pupil
    /// in the band.
    pub band_also: Vec<Vec<Vec<Rule>>>,
    /// Per band set, per band: its further entry clauses, each its row's rule (the band's
    /// range) and its guard (any rule may hold), if any.
    pub band_enter_also: Vec<Vec<Vec<EntryClause>>>,
    /// Per band set, per band: the row of its `every school_week:` actions, if any.
    pub band_weekly: Vec<Vec<Option<Rule>>>,
    /// Per band set, per band: every how many school weeks its weekly actions fire (1: each).
    pub band_weekly_every: Vec<Vec<u32>>,
    /// Per band set: its ladder, if it is one (src/engine/ladder.rs).
    pub ladders: Vec<Option<super::ladder::LadderPlan>>,
    pub triggers: Vec<TriggerGroup>,
    pub steps: Vec<StepRule>,
    pub plans: Vec<PlanGroup>,
    pub persistent: Vec<Rule>,
    pub severe: Vec<Rule>,
    /// Year-to-date possible, present, authorised, unauthorised: the summary's figures.
    pub summary: [usize; 4],
    pub stages: Vec<String>,
    /// Per table row: the rule's name.
    pub row_names: Vec<String>,
    /// The metrics rules read every day (the rest are read only for the summary).
    pub daily: Vec<usize>,
    /// Per `notices_issued(N years)` the rules read: N.
    pub notices: Vec<u32>,
    /// Per table row: whether its actions include a penalty notice.
    pub notice_rows: Vec<bool>,
}

impl Plan {
    pub fn new(table: &DecisionTable) -> Plan {
        let mut plan = Plan {
            counters: Vec::new(),
            runs: Vec::new(),
            metrics: Vec::new(),
            windows: Vec::new(),
            metric_window: Vec::new(),
            tests: Vec::new(),
            band_sets: Vec::new(),
            band_stage: Vec::new(),
            band_repeat: Vec::new(),
            band_guard: Vec::new(),
            band_also: Vec::new(),
            band_enter_also: Vec::new(),
            band_weekly: Vec::new(),
            band_weekly_every: Vec::new(),
            ladders: Vec::new(),
            triggers: Vec::new(),
            steps: Vec::new(),
            plans: Vec::new(),
            persistent: Vec::new(),
            severe: Vec::new(),
            summary: [0; 4],
            stages: table.stages.clone(),
            row_names: table.rows.iter().map(|r| r.rule.clone()).collect(),
            daily: Vec::new(),
            notices: Vec::new(),
            notice_rows: table
                .rows
                .iter()
                .map(|r| {
                    r.actions
                        .iter()
                        .any(|a| a.action == super::notices::NOTICE_ACTION)
                })
                .collect(),
        };
        let ytd = |plan: &mut Plan, class| {
            let counter = plan.counter(CounterKind::Class(class));
            plan.metric(counter, Window::YearToDate)
        };
        plan.summary = [
            ytd(&mut plan, SessionClass::Possible),
            ytd(&mut plan, SessionClass::Present),
            ytd(&mut plan, SessionClass::Authorised),
            ytd(&mut plan, SessionClass::Unauthorised),
        ];
        let rank = |name: &str| table.stages.iter().position(|s| s == name);
        for set in &table.band_sets {
            let mut rules = Vec::new();
            let mut stages = Vec::new();
            let mut repeats = Vec::new();
            let mut guards = Vec::new();
            let mut also = Vec::new();
            let mut weekly = Vec::new();
            let mut weekly_every = Vec::new();
            let mut enter_also = Vec::new();
            for &r in set {
                if let Some(row) = table.rows.get(r) {
                    rules.push(plan.rule(r, &row.when));
                    stages.push(row.stage.as_deref().and_then(rank));
                    repeats.push(row.repeat);
                    let guard = row.guard.as_ref().map(|rows| {
                        rows.iter()
                            .map(|atoms| plan.rule(r, atoms))
                            .collect::<Vec<_>>()
                    });
                    guards.push(guard);
                    let rows = row.also.iter().flatten();
                    also.push(rows.map(|atoms| plan.rule(r, atoms)).collect());
                    // Band ids are unique across the policy, so the weekly row is found by name.
                    let week_row = table
                        .rows
                        .iter()
                        .position(|w| w.kind == RowKind::BandWeekly && w.rule == row.rule);
                    weekly.push(week_row.map(|w| plan.rule(w, &table.rows[w].when)));
                    let clause_rows: Vec<usize> = (0..table.rows.len())
                        .filter(|&w| {
                            table.rows[w].kind == RowKind::BandEntry
                                && table.rows[w].rule == row.rule
                        })
                        .collect();
                    let clauses = clause_rows
                        .into_iter()
                        .map(|w| {
                            let clause = &table.rows[w];
                            let rule = plan.rule(w, &clause.when);
                            let guard = clause
                                .guard
                                .as_ref()
                                .map(|rows| rows.iter().map(|atoms| plan.rule(w, atoms)).collect());
                            (rule, guard)
                        })
                        .collect();
                    enter_also.push(clauses);
                    weekly_every.push(match week_row.map(|w| &table.rows[w].event) {
                        Some(Event::WeeksInBand { school_weeks }) => (*school_weeks).max(1),
                        _ => 1,
                    });
                }
            }
            plan.band_sets.push(rules);
            plan.band_stage.push(stages);
            plan.band_repeat.push(repeats);
            plan.band_guard.push(guards);
            plan.band_also.push(also);
            plan.band_weekly.push(weekly);
            plan.band_enter_also.push(enter_also);
            plan.band_weekly_every.push(weekly_every);
            let ladder = table.ladders.iter().find(|l| l.rows == *set);
            let ladder = ladder.map(|l| super::ladder::LadderPlan::new(&mut plan, l));
            plan.ladders.push(ladder);
        }
        let mut r = 0;
        while r < table.rows.len() {
            let row = &table.rows[r];
            match row.kind {
                RowKind::Band
                | RowKind::BandWeekly
                | RowKind::BandEntry
                | RowKind::PlanMissed
                | RowKind::PlanMet
                | RowKind::PlanJudged
                | RowKind::PlanEvery => r += 1,
                RowKind::Trigger => {
                    // A trigger's rows are consecutive: one per way its condition can hold.
                    let mut rules = Vec::new();
                    let mut end = r;
                    while let Some(next) = table.rows.get(end)
                        && next.kind == RowKind::Trigger
                        && next.rule == row.rule
                        && next.source == row.source
                    {
                        if next.satisfiable {
                            rules.push(plan.rule(end, &next.when));
                        }
                        end += 1;
                    }
                    plan.triggers.push(TriggerGroup {
                        name: row.rule.clone(),
                        rules,
                        repeat: row.repeat,
                        stage: row.stage.as_deref().and_then(rank),
                        looked_at: super::schedule::looked_at(&row.event),
                    });
                    r = end;
                }
                RowKind::Step => {
                    let Event::ReachDay(day) = row.event else {
                        r += 1;
                        continue;
                    };
                    let codes = row.when.iter().find_map(|a| match a {
                        Atom::Count {
                            metric: CountMetric::ConsecutiveDays { codes },
                            range,
                        } if range.lo == day => Some(codes.clone()),
                        _ => None,
                    });
                    if let Some(codes) = codes
                        && row.satisfiable
                    {
                        let run = plan.run(&codes);
                        let rule = plan.rule(r, &row.when);
                        plan.steps.push(StepRule { rule, run, day });
                    }
                    r += 1;
                }
                RowKind::PlanOpen => {
                    let open = plan.rule(r, &row.when);
                    let plan_rank = row.stage.as_deref().and_then(rank).unwrap_or(0);
                    let mut missed = Vec::new();
                    let mut met = Vec::new();
                    let mut judged = None;
                    let mut every = None;
                    let mut after_weeks = 0;
                    let mut escalate_to = None;
                    let mut end = r + 1;
                    while let Some(next) = table.rows.get(end)
                        && matches!(
                            next.kind,
                            RowKind::PlanMissed
                                | RowKind::PlanMet
                                | RowKind::PlanJudged
                                | RowKind::PlanEvery
                        )
                        && next.rule == row.rule
                    {
                        if let Event::Review {
                            after_school_weeks,
                            escalate_to: to,
                            ..
                        } = &next.event
                        {
                            after_weeks = *after_school_weeks;
                            if next.kind == RowKind::PlanMissed {
                                escalate_to = escalate_to.or(to.as_deref().and_then(rank));
                            }
                        }
                        let rule = plan.rule(end, &next.when);
                        match next.kind {
                            RowKind::PlanEvery => {
                                let n = match next.event {
                                    Event::WeeksInPlan { school_weeks } => school_weeks.max(1),
                                    _ => 1,
                                };
                                every = Some((rule, n));
                            }
                            RowKind::PlanMissed => missed.push(rule),
                            RowKind::PlanJudged => judged = Some(rule),
                            _ => met.push(rule),
                        }
                        end += 1;
                    }
                    let next_stage = (plan_rank + 1).min(table.stages.len().saturating_sub(1));
                    plan.plans.push(PlanGroup {
                        name: row.rule.clone(),
                        open,
                        missed,
                        met,
                        judged,
                        every,
                        rank: plan_rank,
                        after_weeks,
                        escalate_to: escalate_to.unwrap_or(next_stage),
                    });
                    r = end;
                }
            }
        }
        let mut daily: Vec<usize> = Vec::new();
        let rules = plan
            .band_sets
            .iter()
            .flatten()
            .chain(plan.band_guard.iter().flatten().flatten().flatten())
            .chain(plan.band_also.iter().flatten().flatten())
            .chain(plan.band_weekly.iter().flatten().flatten())
            .chain(
                plan.band_enter_also
                    .iter()
                    .flatten()
                    .flatten()
                    .flat_map(|(rule, guard)| std::iter::once(rule).chain(guard.iter().flatten())),
            )
            .chain(plan.ladders.iter().flatten().flat_map(|l| l.rules()))
            .chain(plan.triggers.iter().flat_map(|t| &t.rules))
            .chain(plan.steps.iter().map(|s| &s.rule))
            .chain(
                plan.plans
                    .iter()
                    .flat_map(|p| std::iter::once(&p.open).chain(&p.missed).chain(&p.met)),
            );
        for rule in rules {
            for t in &rule.tests {
                let metrics: Vec<usize> = match plan.tests.get(*t) {
                    Some(Test::Ratio {
                        numerator,
                        denominator,
                        ..
                    }) => vec![*numerator, *denominator],
                    Some(Test::Count {
                        value: Value::Metric(m),
                        ..
                    }) => vec![*m],
                    Some(Test::Share { lhs, rhs, .. }) => [lhs, rhs]
                        .iter()
                        .filter_map(|v| match v {
                            Value::Metric(m) => Some(*m),
                            Value::Run(_) | Value::Notices(_) => None,
                        })
                        .collect(),
                    _ => Vec::new(),
                };
                daily.extend(metrics);
            }
        }
        daily.sort_unstable();
        daily.dedup();
        plan.daily = daily;
        plan.persistent = table
            .measures
            .persistent
            .iter()
            .map(|atoms| plan.rule(usize::MAX, atoms))
            .collect();
        plan.severe = table
            .measures
            .severe
            .iter()
            .map(|atoms| plan.rule(usize::MAX, atoms))
            .collect();
        plan
    }

    fn counter(&mut self, kind: CounterKind) -> usize {
        if let Some(i) = self.counters.iter().position(|c| c.kind == kind) {
            return i;
        }
        let mut weight = [0u8; 256];
        for (i, row) in codes::table().rows().iter().enumerate() {
            let counts = match &kind {
                CounterKind::Class(class) => class_counts(*class, row.class),
                CounterKind::Codes(set) => set.contains(row.code),
            };
            if let Some(w) = weight.get_mut(i) {
                *w = u8::from(counts);
            }
        }
        self.counters.push(Counter { kind, weight });
        self.counters.len() - 1
    }

    fn run(&mut self, codes: &CodeSet) -> usize {
        if let Some(i) = self.runs.iter().position(|r| r.codes == *codes) {
            return i;
        }
        self.runs.push(RunSpec::new(codes));
        self.runs.len() - 1
    }

    fn metric(&mut self, counter: usize, window: Window) -> usize {
        if let Some(i) = self.metrics.iter().position(|m| *m == (counter, window)) {
            return i;
        }
        let w = match self.windows.iter().position(|x| *x == window) {
            Some(w) => w,
            None => {
                self.windows.push(window);
                self.windows.len() - 1
            }
        };
        self.metrics.push((counter, window));
        self.metric_window.push(w);
        self.metrics.len() - 1
    }

    fn value(&mut self, metric: &CountMetric) -> Value {
        match metric {
            CountMetric::Sessions { class, window } => {
                let c = self.counter(CounterKind::Class(*class));
                Value::Metric(self.metric(c, *window))
            }
            CountMetric::Codes { codes, window } => {
                let c = self.counter(CounterKind::Codes(codes.clone()));
                Value::Metric(self.metric(c, *window))
            }
            CountMetric::ConsecutiveDays { codes } => Value::Run(self.run(codes)),
            CountMetric::NoticesIssued { years } => {
                let i = match self.notices.iter().position(|y| y == years) {
                    Some(i) => i,
                    None => {
                        self.notices.push(*years);
                        self.notices.len() - 1
                    }
                };
                Value::Notices(i)
            }
        }
    }

    pub(super) fn rule(&mut self, row: usize, atoms: &[Atom]) -> Rule {
        let tests = atoms.iter().map(|a| self.test(a)).collect();
        Rule {
            row,
            tests,
            atoms: atoms.to_vec(),
        }
    }

    fn test(&mut self, atom: &Atom) -> usize {
        let test = match atom {
            Atom::Ratio {
                metric,
                window,
                interval,
            } => {
                let num = self.counter(CounterKind::Class(metric.numerator()));
                let den = self.counter(CounterKind::Class(SessionClass::Possible));
                Test::Ratio {
                    metric: *metric,
                    numerator: self.metric(num, *window),
                    denominator: self.metric(den, *window),
                    lo: interval.lo,
                    hi: interval.hi,
                }
            }
            Atom::Count { metric, range } => Test::Count {
                value: self.value(metric),
                lo: range.lo,
                hi: range.hi,
            },
            Atom::Share {
                lhs,
                op,
                percent,
                rhs,
            } => Test::Share {
                lhs: self.value(lhs),
                op: *op,
                percent: *percent,
                rhs: self.value(rhs),
            },
            Atom::Flag { flag, value } => Test::Flag {
                flag: *flag,
                value: *value,
            },
            Atom::YearGroup { range } => Test::YearGroup {
                lo: range.lo,
                hi: range.hi,
            },
            Atom::Stage { lo, hi, .. } => Test::Stage { lo: *lo, hi: *hi },
            Atom::Period { per, range } => Test::Period {
                per: *per,
                lo: range.lo,
                hi: range.hi,
            },
        };
        self.tests.push(test);
        self.tests.len() - 1
    }
}

fn class_counts(class: SessionClass, mark: MarkClass) -> bool {
    match class {
        SessionClass::Possible => mark.is_possible(),
        SessionClass::Present => mark.is_present(),
        SessionClass::Absent => mark.is_absent(),
        SessionClass::Authorised => mark == MarkClass::Authorised,
        SessionClass::Unauthorised => mark == MarkClass::Unauthorised,
    }
}

#[cfg(test)]
mod tests {
    use super::RunSpec;
    use crate::codes;
    use crate::model::CodeSet;

    /// A run of unauthorised absence (`O`, `G`): a day extends it when every possible session
    /// is one of its codes, breaks it when a possible session is another, and does neither
    /// when no session is possible (a closed day, `#`; no mark, 255).
    #[test]
    fn a_day_extends_breaks_or_leaves_a_run() {
        let run = RunSpec::new(&CodeSet::new(vec!["O".into(), "G".into()]));
        let mark = |code: &str| {
            let i = codes::table()
                .rows()
                .iter()
                .position(|r| r.code == code)
                .expect("a national code");
            u8::try_from(i).expect("a mark")
        };
        let (o, g, present, closed, none) = (mark("O"), mark("G"), mark("/"), mark("#"), 255);
        assert_eq!(run.extends(o, g), Some(true));
        assert_eq!(run.extends(o, closed), Some(true));
        assert_eq!(run.extends(none, g), Some(true));
        assert_eq!(run.extends(o, present), Some(false));
        assert_eq!(run.extends(present, o), Some(false));
        assert_eq!(run.extends(present, present), Some(false));
        assert_eq!(run.extends(closed, none), None);
        assert_eq!(run.extends(none, none), None);
    }
}
