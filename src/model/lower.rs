//! AST to model (`cst_to_ast`, in cedar's words): resolve every name, check every code and
//! date, give conditions their types, merge `extends national`. Reports every problem it
//! finds and still returns the best model it could build.

use std::collections::{HashMap, HashSet};
use std::ops::Bound;

use chrono::NaiveDate;

use super::*;
use crate::codes;
use crate::diagnostic::{Diagnostic, MAX_PER_FILE, Problem};
use crate::source::Loc;
use crate::syntax::ast::{self, Argument, CountUnit, Expr, Node, Operand, Sp, WindowAst};

/// Lowers a parsed policy. The model is returned even when there are errors, so later checks
/// can still run on what was understood; callers decide whether errors stop the pipeline.
pub fn lower(policy: &Node<ast::PolicyAst>) -> (Policy, Vec<Diagnostic>) {
    let mut lowerer = Lowerer::new(policy);
    let mut model = lowerer.policy(policy);
    if let Some(extends) = model.extends_national.clone() {
        match national::policy() {
            Ok(national) => merge_national(&mut model, national),
            Err(message) => lowerer.error(&extends, ModelError::NationalBroken { message }),
        }
    }
    lowerer.check_definition_cycles(&model);
    (model, lowerer.diagnostics)
}

/// Lowers a `.calendar` file's calendars.
pub fn lower_calendar(file: &ast::CalendarFile) -> (Calendar, Vec<Diagnostic>) {
    let mut lowerer = Lowerer::empty();
    let mut calendar = Calendar::default();
    for cal in &file.calendars {
        lowerer.calendar(&cal.node, &cal.loc, &mut calendar);
    }
    (calendar, lowerer.diagnostics)
}

fn merge_national(model: &mut Policy, national: &Policy) {
    model
        .definitions
        .extend(national.definitions.iter().cloned());
    for t in &national.triggers {
        if !model.triggers.iter().any(|s| s.name == t.name) {
            model.triggers.push(t.clone());
        }
    }
    for e in &national.escalations {
        if !model.escalations.iter().any(|s| s.name == e.name) {
            model.escalations.push(e.clone());
        }
    }
    let pn = &mut model.penalty_notices;
    let npn = &national.penalty_notices;
    if pn.threshold.is_none() {
        pn.threshold = npn.threshold.clone();
    }
    if pn.limit.is_none() {
        pn.limit = npn.limit.clone();
    }
    if pn.fines.is_empty() {
        pn.fines = npn.fines.clone();
    }
    if pn.second_fines.is_empty() {
        pn.second_fines = npn.second_fines.clone();
    }
    if model.limits.register_open_minutes.is_none() {
        model.limits.register_open_minutes = national.limits.register_open_minutes.clone();
    }
    if model.limits.sessions_per_year.is_none() {
        model.limits.sessions_per_year = national.limits.sessions_per_year.clone();
    }
}

/// The metrics the condition language knows, for "did you mean".
const METRICS: &[&str] = &[
    "attendance",
    "absence",
    "possible",
    "present",
    "absent",
    "authorised",
    "unauthorised",
    "count",
    "consecutive_days",
];

/// The date from which the 2024 codes apply; older codes are retired then.
fn codes_2024() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 8, 19).unwrap_or_default()
}

/// What an operand turned out to be.
#[derive(Clone, Debug)]
enum Value {
    Ratio(RatioMetric, Window),
    Count(CountMetric),
    Percent(Percent),
    Number(u32, Option<CountUnit>),
    Share(Percent, CountMetric),
    YearGroup,
    Stage,
    StageName(StageRef),
}

impl Value {
    fn describe(&self) -> String {
        match self {
            Value::Ratio(m, _) => format!("`{}(...)` (a percentage)", m.keyword()),
            Value::Count(m) => format!("`{m}` (a count)"),
            Value::Percent(p) => format!("`{p}`"),
            Value::Number(n, _) => format!("the number `{n}`"),
            Value::Share(p, m) => format!("`{p} of {m}`"),
            Value::YearGroup => "`pupil.year_group`".into(),
            Value::Stage => "`pupil.stage`".into(),
            Value::StageName(s) => format!("the stage `{}`", s.id),
        }
    }
}

/// Names a policy declares, in the order written, with a set for looking one up: a policy of
/// ten thousand letters and actions costs ten thousand look-ups, not their product.
#[derive(Default)]
struct Names {
    list: Vec<String>,
    set: HashSet<String>,
}

impl Names {
    fn push(&mut self, name: String) {
        if self.set.insert(name.clone()) {
            self.list.push(name);
        }
    }

    fn contains(&self, name: &str) -> bool {
        self.set.contains(name)
    }

    fn iter(&self) -> impl Iterator<Item = &String> {
        self.list.iter()
    }
}

/// Past this many problems, "did you mean" is no longer looked for among the declared names:
/// the report shows only the first [`MAX_PER_FILE`] of a file, and comparing each of ten
/// thousand misspellings with each of ten thousand names would take minutes.
const HELP_UP_TO: usize = MAX_PER_FILE;

struct Lowerer {
    diagnostics: Vec<Diagnostic>,
    roles: Names,
    letters: Names,
    meetings: Names,
    stages: Vec<Stage>,
    /// Each stage's rank by its name (the first of that name).
    stage_ranks: HashMap<String, usize>,
    definitions: Names,
    /// Every letter, role and meeting declared so far, with what it was declared as.
    declared: HashSet<(&'static str, String)>,
    /// Date the policy is judged on, for retired codes.
    judged_on: NaiveDate,
}

impl Lowerer {
    fn empty() -> Self {
        Lowerer {
            diagnostics: Vec::new(),
            roles: Names::default(),
            letters: Names::default(),
            meetings: Names::default(),
            stages: Vec::new(),
            stage_ranks: HashMap::new(),
            definitions: Names::default(),
            declared: HashSet::new(),
            judged_on: codes_2024(),
        }
    }

    fn new(policy: &Node<ast::PolicyAst>) -> Self {
        let mut l = Lowerer::empty();
        let mut extends = false;
        for item in &policy.node.items {
            match &item.node {
                ast::Item::Roles(entries) => {
                    for e in entries {
                        l.roles.push(e.node.id.node.clone());
                    }
                }
                ast::Item::Letters(entries) => {
                    for e in entries {
                        l.letters.push(e.node.id.node.clone());
                    }
                }
                ast::Item::Meetings(entries) => {
                    for e in entries {
                        l.meetings.push(e.node.id.node.clone());
                    }
                }
                ast::Item::Define(def) => l.definitions.push(def.name.node.clone()),
                ast::Item::Ratified(date) => l.judged_on = date.node,
                ast::Item::Extends(_) => extends = true,
                _ => {}
            }
        }
        if extends && let Ok(national) = national::policy() {
            for d in &national.definitions {
                l.definitions.push(d.name.clone());
            }
        }
        l.stages = l.stages(policy);
        for (rank, stage) in l.stages.iter().enumerate() {
            l.stage_ranks.entry(stage.id.clone()).or_insert(rank);
        }
        l
    }

    /// The declared names to look for "did you mean" among, while the report can still show it.
    fn for_help(&self, names: &Names) -> Vec<String> {
        if self.diagnostics.len() < HELP_UP_TO {
            names.iter().cloned().collect()
        } else {
            Vec::new()
        }
    }

    fn error(&mut self, loc: &Loc, problem: ModelError) {
        self.diagnostics.push(problem.at(loc));
    }

    fn unknown(&mut self, loc: &Loc, what: &'static str, name: &str, candidates: Vec<String>) {
        let candidates = if self.diagnostics.len() < HELP_UP_TO {
            candidates
        } else {
            Vec::new()
        };
        self.error(
            loc,
            ModelError::Unknown {
                what,
                name: name.to_string(),
                candidates,
            },
        );
    }

    /// The framework's six stages, each under the school's own name(s) where it gave one.
    fn stages(&mut self, policy: &Node<ast::PolicyAst>) -> Vec<Stage> {
        let mut declared: Vec<Stage> = Vec::new();
        let mut ids: HashSet<&str> = HashSet::new();
        for item in &policy.node.items {
            let ast::Item::Stages(entries) = &item.node else {
                continue;
            };
            for entry in entries {
                let e = &entry.node;
                let framework_name = e.framework.as_ref().unwrap_or(&e.id);
                let Some(framework) = FrameworkStage::from_keyword(&framework_name.node) else {
                    self.unknown(
                        &framework_name.loc,
                        "framework stage",
                        &framework_name.node,
                        FrameworkStage::keywords().map(String::from).collect(),
                    );
                    continue;
                };
                if !ids.insert(e.id.node.as_str()) {
                    self.error(
                        &e.id.loc,
                        ModelError::Duplicate {
                            what: "a stage",
                            name: e.id.node.clone(),
                        },
                    );
                    continue;
                }
                declared.push(Stage {
                    id: e.id.node.clone(),
                    framework,
                    text: e.text.as_ref().map(|t| t.node.clone()),
                    loc: Some(entry.loc.clone()),
                });
            }
        }
        let mut stages = Vec::new();
        for &framework in FrameworkStage::ALL {
            let mine: Vec<&Stage> = declared
                .iter()
                .filter(|s| s.framework == framework)
                .collect();
            if mine.is_empty() {
                stages.push(Stage {
                    id: framework.keyword().to_string(),
                    framework,
                    text: None,
                    loc: None,
                });
            } else {
                stages.extend(mine.into_iter().cloned());
            }
        }
        stages
    }

    /// How often a rule fires again: a rising edge unless the policy says otherwise; a
    /// number of school weeks must be at least one.
    fn repeat(&mut self, written: Option<&Sp<ast::RepeatAst>>) -> Repeat {
        let Some(r) = written else {
            return Repeat::RisingEdge;
        };
        let weeks = match r.node {
            ast::RepeatAst::OncePer(_) => None,
            ast::RepeatAst::Every { school_weeks } | ast::RepeatAst::NotWithin { school_weeks } => {
                Some(school_weeks)
            }
        };
        if weeks == Some(0) {
            self.error(
                &r.loc,
                ModelError::EmptyWindow {
                    unit: "school weeks",
                },
            );
        }
        match r.node {
            ast::RepeatAst::OncePer(p) => Repeat::OncePer(p),
            ast::RepeatAst::Every { school_weeks } => Repeat::Every { school_weeks },
            ast::RepeatAst::NotWithin { school_weeks } => Repeat::NotWithin { school_weeks },
        }
    }

    fn stage_ref(&mut self, name: &Sp<String>) -> Option<StageRef> {
        let found = self.stage_ranks.get(&name.node).copied().or_else(|| {
            let fw = FrameworkStage::from_keyword(&name.node)?;
            self.stages.iter().position(|s| s.framework == fw)
        });
        match found.and_then(|rank| self.stages.get(rank).map(|s| (rank, s))) {
            Some((rank, stage)) => Some(StageRef {
                id: stage.id.clone(),
                framework: stage.framework,
                rank,
            }),
            None => {
                let mut candidates: Vec<String> = if self.diagnostics.len() < HELP_UP_TO {
                    self.stages.iter().map(|s| s.id.clone()).collect()
                } else {
                    Vec::new()
                };
                candidates.extend(FrameworkStage::keywords().map(String::from));
                candidates.sort();
                candidates.dedup();
                self.unknown(&name.loc, "stage", &name.node, candidates);
                None
            }
        }
    }

    // ---------------------------------------------------------------- the policy

    fn policy(&mut self, policy: &Node<ast::PolicyAst>) -> Policy {
        let mut model = Policy {
            name: policy.node.name.node.clone(),
            loc: policy.loc.clone(),
            extends_national: None,
            urn: None,
            phase: None,
            school_type: None,
            target: None,
            ratified: None,
            review: None,
            citations: Vec::new(),
            roles: Vec::new(),
            procedures: Vec::new(),
            letters: Vec::new(),
            meetings: Vec::new(),
            calendar: Calendar::default(),
            stages: self.stages.clone(),
            definitions: Vec::new(),
            band_sets: Vec::new(),
            escalations: Vec::new(),
            triggers: Vec::new(),
            plans: Vec::new(),
            penalty_notices: PenaltyNotices::default(),
            limits: Limits::default(),
        };
        for item in &policy.node.items {
            self.item(item, &mut model);
        }
        self.check_unique_rule_names(&model);
        model
    }

    fn once<T>(&mut self, slot: &mut Option<T>, value: T, what: &'static str, loc: &Loc) {
        if slot.is_some() {
            self.error(loc, ModelError::DuplicateStatement { what });
        } else {
            *slot = Some(value);
        }
    }

    fn item(&mut self, item: &Node<ast::Item>, model: &mut Policy) {
        let loc = &item.loc;
        match &item.node {
            ast::Item::Extends(name) => {
                if name.node == "national" {
                    self.once(
                        &mut model.extends_national,
                        name.loc.clone(),
                        "extends",
                        loc,
                    );
                } else {
                    self.error(
                        &name.loc,
                        ModelError::UnknownBase {
                            name: name.node.clone(),
                        },
                    );
                }
            }
            ast::Item::Urn(urn) => {
                self.once(&mut model.urn, (urn.node, urn.loc.clone()), "urn", loc)
            }
            ast::Item::Phase(p) => match Phase::from_keyword(&p.node) {
                Some(phase) => self.once(&mut model.phase, (phase, p.loc.clone()), "phase", loc),
                None => self.unknown(
                    &p.loc,
                    "phase",
                    &p.node,
                    Phase::keywords().map(String::from).collect(),
                ),
            },
            ast::Item::SchoolType(t) => match SchoolType::from_keyword(&t.node) {
                Some(kind) => self.once(&mut model.school_type, (kind, t.loc.clone()), "type", loc),
                None => self.unknown(
                    &t.loc,
                    "school type",
                    &t.node,
                    SchoolType::keywords().map(String::from).collect(),
                ),
            },
            ast::Item::Target(p) => {
                self.percent(p.node, &p.loc);
                self.once(&mut model.target, (p.node, p.loc.clone()), "target", loc);
            }
            ast::Item::Ratified(d) => self.once(
                &mut model.ratified,
                (d.node, d.loc.clone()),
                "ratified",
                loc,
            ),
            ast::Item::Review(d) => {
                self.once(&mut model.review, (d.node, d.loc.clone()), "review", loc)
            }
            ast::Item::Cites { kind, title } => match CitationKind::from_keyword(&kind.node) {
                Some(k) => model.citations.push(Citation {
                    kind: k,
                    title: title.node.clone(),
                    loc: loc.clone(),
                }),
                None => self.unknown(
                    &kind.loc,
                    "citation kind",
                    &kind.node,
                    CitationKind::keywords().map(String::from).collect(),
                ),
            },
            ast::Item::Roles(entries) => {
                for e in entries {
                    self.named(e, "a role", &mut model.roles);
                }
            }
            ast::Item::Meetings(entries) => {
                for e in entries {
                    self.named(e, "a meeting", &mut model.meetings);
                }
            }
            ast::Item::Letters(entries) => {
                for e in entries {
                    if !self.first_declaration("a letter", &e.node.id.node) {
                        self.error(
                            &e.node.id.loc,
                            ModelError::Duplicate {
                                what: "a letter",
                                name: e.node.id.node.clone(),
                            },
                        );
                    } else {
                        model.letters.push(Letter {
                            id: e.node.id.node.clone(),
                            template: e.node.text.node.clone(),
                            loc: e.loc.clone(),
                        });
                    }
                }
            }
            ast::Item::Procedures(entries) => {
                for e in entries {
                    match ProcedureTopic::from_keyword(&e.node.id.node) {
                        Some(topic) => model.procedures.push(Procedure {
                            topic,
                            text: e.node.text.node.clone(),
                            loc: e.loc.clone(),
                        }),
                        None => self.unknown(
                            &e.node.id.loc,
                            "procedure topic",
                            &e.node.id.node,
                            ProcedureTopic::keywords().map(String::from).collect(),
                        ),
                    }
                }
            }
            ast::Item::Calendar(cal) => self.calendar(cal, loc, &mut model.calendar),
            // Declared up front, in `stages()`.
            ast::Item::Stages(_) => {}
            ast::Item::Define(def) => {
                if let Some(condition) = self.condition(&def.when) {
                    model.definitions.push(Definition {
                        name: def.name.node.clone(),
                        wording: def.wording.as_ref().map(|w| w.node.clone()),
                        condition,
                        loc: loc.clone(),
                        origin: Origin::School,
                    });
                }
            }
            ast::Item::Bands(bands) => {
                if let Some(set) = self.band_set(bands, loc, &model.band_sets) {
                    model.band_sets.push(set);
                }
            }
            ast::Item::Escalation(esc) => {
                let codes = self.code_set(&esc.codes.node);
                if esc.codes.node.is_empty() {
                    self.error(&esc.codes.loc, ModelError::EmptyCodeSet);
                }
                let steps = esc
                    .steps
                    .iter()
                    .map(|s| {
                        if s.node.day.node == 0 {
                            self.error(&s.node.day.loc, ModelError::DayZero);
                        }
                        Step {
                            day: s.node.day.node,
                            guard: s.node.when.as_ref().and_then(|w| self.condition(w)),
                            actions: self.actions(&s.node.actions),
                            loc: s.loc.clone(),
                        }
                    })
                    .collect();
                model.escalations.push(Escalation {
                    name: esc.name.node.clone(),
                    codes,
                    steps,
                    loc: loc.clone(),
                    origin: Origin::School,
                });
            }
            ast::Item::Trigger(t) => {
                let condition = self.condition(&t.when);
                let actions = self.actions(&t.actions);
                let stage = t.stage.as_ref().and_then(|s| self.stage_ref(s));
                let repeat = self.repeat(t.repeat.as_ref());
                if let Some(condition) = condition {
                    model.triggers.push(Trigger {
                        name: t.name.node.clone(),
                        min_possible: t.min_possible.as_ref().map_or(0, |n| n.node),
                        condition,
                        actions,
                        stage,
                        repeat,
                        loc: loc.clone(),
                        origin: Origin::School,
                    });
                }
            }
            ast::Item::Plan(plan) => {
                if let Some(p) = self.plan(plan, loc) {
                    model.plans.push(p);
                }
            }
            ast::Item::PenaltyNotices(items) => {
                for i in items {
                    self.penalty_item(i, &mut model.penalty_notices);
                }
            }
            ast::Item::Limits(items) => {
                for i in items {
                    self.limit(i, &mut model.limits);
                }
            }
        }
    }

    /// Whether this is the first time `name` is declared as `what`: a set, not a search of
    /// those declared before, so a hundred thousand letters cost a hundred thousand steps.
    fn first_declaration(&mut self, what: &'static str, name: &str) -> bool {
        self.declared.insert((what, name.to_string()))
    }

    fn named(&mut self, e: &Node<ast::Entry>, what: &'static str, into: &mut Vec<Named>) {
        if !self.first_declaration(what, &e.node.id.node) {
            self.error(
                &e.node.id.loc,
                ModelError::Duplicate {
                    what,
                    name: e.node.id.node.clone(),
                },
            );
        } else {
            into.push(Named {
                id: e.node.id.node.clone(),
                text: e.node.text.node.clone(),
                loc: e.loc.clone(),
            });
        }
    }

    fn percent(&mut self, p: Percent, loc: &Loc) -> Percent {
        if p > Percent::HUNDRED {
            self.error(
                loc,
                ModelError::PercentOverHundred {
                    value: p.to_string(),
                },
            );
            return Percent::HUNDRED;
        }
        p
    }

    // ---------------------------------------------------------------- calendars

    fn calendar(&mut self, cal: &ast::CalendarAst, loc: &Loc, into: &mut Calendar) {
        let mut year = AcademicYear {
            label: cal.label.as_ref().map(|l| l.node.clone()),
            terms: Vec::new(),
            closures: Vec::new(),
            loc: loc.clone(),
        };
        let mut seen_here = HashSet::new();
        for item in &cal.items {
            match &item.node {
                ast::CalendarItem::Session { name, times } => {
                    let Some(session) = SessionName::from_keyword(&name.node) else {
                        self.unknown(
                            &name.loc,
                            "session",
                            &name.node,
                            SessionName::keywords().map(String::from).collect(),
                        );
                        continue;
                    };
                    if !seen_here.insert(session) {
                        self.error(
                            &name.loc,
                            ModelError::Duplicate {
                                what: "a session",
                                name: name.node.clone(),
                            },
                        );
                        continue;
                    }
                    let mut register = RegisterTimes {
                        session,
                        opens: None,
                        late_after: None,
                        closes: None,
                        loc: item.loc.clone(),
                    };
                    for t in times {
                        let slot = match t.node.kind {
                            ast::SessionTimeKind::Opens => &mut register.opens,
                            ast::SessionTimeKind::LateAfter => &mut register.late_after,
                            ast::SessionTimeKind::Closes => &mut register.closes,
                        };
                        if slot.is_some() {
                            self.error(
                                &t.loc,
                                ModelError::DuplicateStatement {
                                    what: t.node.kind.keyword(),
                                },
                            );
                        }
                        *slot = Some(t.node.minutes);
                    }
                    let times: Vec<u16> = [register.opens, register.late_after, register.closes]
                        .into_iter()
                        .flatten()
                        .collect();
                    if times.windows(2).any(|w| w[0] > w[1]) {
                        self.error(
                            &item.loc,
                            ModelError::TimesOutOfOrder {
                                session: name.node.clone(),
                            },
                        );
                    }
                    // Each academic year's block may restate the register times; they are one
                    // set for the school, so a restatement must agree with the first.
                    match into.sessions.iter().find(|s| s.session == session) {
                        Some(first)
                            if (first.opens, first.late_after, first.closes)
                                != (register.opens, register.late_after, register.closes) =>
                        {
                            self.error(
                                &item.loc,
                                ModelError::SessionTimesDiffer {
                                    session: name.node.clone(),
                                },
                            );
                        }
                        Some(_) => {}
                        None => into.sessions.push(register),
                    }
                }
                ast::CalendarItem::Term { name, dates } => {
                    let (start, end) = self.date_range(&dates.node, "the term", &dates.loc);
                    year.terms.push(Term {
                        name: name.node.clone(),
                        start,
                        end,
                        loc: item.loc.clone(),
                    });
                }
                ast::CalendarItem::Closure {
                    kind,
                    dates,
                    reason,
                } => {
                    let (start, end) = self.date_range(&dates.node, "the closure", &dates.loc);
                    year.closures.push(Closure {
                        kind: *kind,
                        start,
                        end,
                        reason: reason.as_ref().map(|r| r.node.clone()),
                        loc: item.loc.clone(),
                    });
                }
            }
        }
        if !year.terms.is_empty() || !year.closures.is_empty() || year.label.is_some() {
            into.years.push(year);
        }
    }

    fn date_range(
        &mut self,
        range: &ast::DateRange,
        what: &'static str,
        loc: &Loc,
    ) -> (NaiveDate, NaiveDate) {
        let start = range.start.node;
        let end = range.end.as_ref().map_or(start, |e| e.node);
        if end < start {
            self.error(
                loc,
                ModelError::ReversedDates {
                    what,
                    start: start.to_string(),
                    end: end.to_string(),
                },
            );
            return (start, start);
        }
        (start, end)
    }

    // ---------------------------------------------------------------- bands

    fn band_set(
        &mut self,
        bands: &ast::BandsAst,
        loc: &Loc,
        existing: &[BandSet],
    ) -> Option<BandSet> {
        let metric = RatioMetric::from_keyword(&bands.metric.node);
        if metric.is_none() {
            self.unknown(
                &bands.metric.loc,
                "band metric",
                &bands.metric.node,
                RatioMetric::keywords().map(String::from).collect(),
            );
        }
        let window = self.window(&bands.window.node, &bands.window.loc);
        let mut seen: HashSet<String> = existing
            .iter()
            .flat_map(|s| s.bands.iter().map(|b| b.id.clone()))
            .collect();
        let mut out = Vec::new();
        for band in &bands.bands {
            let b = &band.node;
            if !seen.insert(b.id.node.clone()) {
                self.error(
                    &b.id.loc,
                    ModelError::Duplicate {
                        what: "a band",
                        name: b.id.node.clone(),
                    },
                );
            }
            let range = self.interval(&b.range.node, &b.range.loc);
            let stage = b.stage.as_ref().and_then(|s| self.stage_ref(s));
            let on_enter = self.actions(&b.on_enter);
            let repeat = self.repeat(b.repeat.as_ref());
            out.push(Band {
                id: b.id.node.clone(),
                label: b.label.as_ref().map(|l| l.node.clone()),
                range,
                written: b.range.node,
                stage,
                on_enter,
                repeat,
                loc: band.loc.clone(),
                range_loc: b.range.loc.clone(),
            });
        }
        Some(BandSet {
            label: bands.label.as_ref().map(|l| l.node.clone()),
            metric: metric?,
            window,
            min_possible: bands.min_possible.as_ref().map_or(0, |n| n.node),
            bands: out,
            loc: loc.clone(),
            origin: Origin::School,
        })
    }

    fn interval(&mut self, range: &RangeAst, loc: &Loc) -> Interval {
        use Bound::{Excluded, Included};
        let zero = Included(Percent::ZERO);
        let hundred = Included(Percent::HUNDRED);
        let interval = match *range {
            RangeAst::Between { first, op, second } => {
                let a = self.percent(first, loc);
                let b = self.percent(second, loc);
                match op {
                    ast::RangeOp::Dash | ast::RangeOp::To => Interval {
                        lo: Included(a.min(b)),
                        hi: Included(a.max(b)),
                    },
                    ast::RangeOp::HalfOpen => Interval {
                        lo: Included(a),
                        hi: Excluded(b),
                    },
                    ast::RangeOp::Closed => Interval {
                        lo: Included(a),
                        hi: Included(b),
                    },
                    ast::RangeOp::Open => Interval {
                        lo: Excluded(a),
                        hi: Excluded(b),
                    },
                    ast::RangeOp::OpenClosed => Interval {
                        lo: Excluded(a),
                        hi: Included(b),
                    },
                }
            }
            RangeAst::Below { value, .. } => Interval {
                lo: zero,
                hi: Excluded(self.percent(value, loc)),
            },
            RangeAst::AtMost { value, .. } => Interval {
                lo: zero,
                hi: Included(self.percent(value, loc)),
            },
            RangeAst::Above { value, .. } => Interval {
                lo: Excluded(self.percent(value, loc)),
                hi: hundred,
            },
            RangeAst::AtLeast { value, .. } => Interval {
                lo: Included(self.percent(value, loc)),
                hi: hundred,
            },
        };
        if interval.is_empty() {
            self.error(
                loc,
                ModelError::EmptyRange {
                    written: crate::syntax::print_dsl::range(range),
                },
            );
        }
        interval
    }

    // ---------------------------------------------------------------- plans, penalties, limits

    fn plan(&mut self, plan: &ast::PlanAst, loc: &Loc) -> Option<Plan> {
        let stage = self.stage_ref(&plan.stage);
        let mut review = None;
        let mut target = None;
        let mut escalate_to = None;
        let (mut on_open, mut on_miss, mut on_met) = (Vec::new(), Vec::new(), Vec::new());
        for item in &plan.items {
            match &item.node {
                ast::PlanItem::Review { school_weeks } => {
                    if school_weeks.node == 0 {
                        self.error(
                            &school_weeks.loc,
                            ModelError::EmptyWindow {
                                unit: "school weeks",
                            },
                        );
                    }
                    self.once(&mut review, school_weeks.node, "review after", &item.loc);
                }
                ast::PlanItem::Target(e) => {
                    if let Some(c) = self.condition(e) {
                        self.once(&mut target, c, "target", &item.loc);
                    }
                }
                ast::PlanItem::EscalateTo(s) => {
                    if let Some(s) = self.stage_ref(s) {
                        self.once(&mut escalate_to, s, "escalate to", &item.loc);
                    }
                }
                ast::PlanItem::On { event, actions } => {
                    let lowered = self.actions(actions);
                    match event {
                        ast::PlanEvent::Open => on_open.extend(lowered),
                        ast::PlanEvent::Miss => on_miss.extend(lowered),
                        ast::PlanEvent::Met => on_met.extend(lowered),
                    }
                }
            }
        }
        if review.is_none() {
            self.error(
                loc,
                ModelError::PlanIncomplete {
                    plan: plan.name.node.clone(),
                    what: "review",
                },
            );
        }
        if target.is_none()
            && !plan
                .items
                .iter()
                .any(|i| matches!(i.node, ast::PlanItem::Target(_)))
        {
            self.error(
                loc,
                ModelError::PlanIncomplete {
                    plan: plan.name.node.clone(),
                    what: "target",
                },
            );
        }
        let stage = stage?;
        let escalate_to = match escalate_to {
            Some(s) => Some(s),
            None => {
                let next = self.stages.get(stage.rank + 1).map(|s| StageRef {
                    id: s.id.clone(),
                    framework: s.framework,
                    rank: stage.rank + 1,
                });
                if next.is_none() {
                    self.error(
                        &plan.stage.loc,
                        ModelError::NoNextStage {
                            stage: stage.id.clone(),
                        },
                    );
                }
                next
            }
        };
        Some(Plan {
            name: plan.name.node.clone(),
            stage,
            review_after_weeks: review?,
            target: target?,
            escalate_to,
            on_open,
            on_miss,
            on_met,
            loc: loc.clone(),
        })
    }

    fn penalty_item(&mut self, item: &Node<ast::PenaltyItem>, into: &mut PenaltyNotices) {
        let loc = item.loc.clone();
        match &item.node {
            ast::PenaltyItem::Threshold { sessions, window } => {
                let window = self.window(&window.node, &window.loc);
                let value = PenaltyThreshold {
                    sessions: sessions.node,
                    window,
                    loc: loc.clone(),
                    origin: Origin::School,
                };
                self.once(&mut into.threshold, value, "threshold", &loc);
            }
            ast::PenaltyItem::Limit { notices, years } => {
                let value = PenaltyLimit {
                    notices: notices.node,
                    years: years.node,
                    loc: loc.clone(),
                    origin: Origin::School,
                };
                self.once(&mut into.limit, value, "limit", &loc);
            }
            ast::PenaltyItem::Fine {
                second,
                pence,
                within_days,
            } => {
                let fine = Fine {
                    pence: pence.node,
                    within_days: within_days.node,
                    loc,
                    origin: Origin::School,
                };
                if *second {
                    into.second_fines.push(fine)
                } else {
                    into.fines.push(fine)
                }
            }
        }
    }

    fn limit(&mut self, item: &Node<ast::LimitAst>, into: &mut Limits) {
        let l = &item.node;
        let Some(name) = LimitName::from_keyword(&l.name.node) else {
            self.unknown(
                &l.name.loc,
                "limit",
                &l.name.node,
                LimitName::keywords().map(String::from).collect(),
            );
            return;
        };
        let expected = match name {
            LimitName::RegisterOpen => "minutes",
            LimitName::SessionsPerYear => "sessions",
        };
        if let Some(unit) = &l.unit
            && unit.node != expected
        {
            self.error(
                &unit.loc,
                ModelError::WrongUnit {
                    name: l.name.node.clone(),
                    expected,
                    unit: unit.node.clone(),
                },
            );
        }
        let value = (l.value.node, item.loc.clone(), Origin::School);
        match name {
            LimitName::RegisterOpen => self.once(
                &mut into.register_open_minutes,
                value,
                "register_open",
                &item.loc,
            ),
            LimitName::SessionsPerYear => self.once(
                &mut into.sessions_per_year,
                value,
                "sessions_per_year",
                &item.loc,
            ),
        }
    }

    fn check_unique_rule_names(&mut self, model: &Policy) {
        let mut seen: HashMap<&str, ()> = HashMap::new();
        let names = model
            .escalations
            .iter()
            .map(|e| (&e.name, &e.loc))
            .chain(model.triggers.iter().map(|t| (&t.name, &t.loc)))
            .chain(model.plans.iter().map(|p| (&p.name, &p.loc)));
        let mut dupes = Vec::new();
        for (name, loc) in names {
            if seen.insert(name.as_str(), ()).is_some() {
                dupes.push((name.clone(), loc.clone()));
            }
        }
        for (name, loc) in dupes {
            self.error(
                &loc,
                ModelError::Duplicate {
                    what: "a rule name",
                    name,
                },
            );
        }
    }

    fn check_definition_cycles(&mut self, model: &Policy) {
        fn refs<'c>(c: &'c Condition, out: &mut Vec<&'c str>) {
            match c {
                Condition::All(parts) | Condition::Any(parts) => {
                    parts.iter().for_each(|p| refs(p, out))
                }
                Condition::Not(inner) => refs(inner, out),
                Condition::Defined(name) => out.push(name),
                _ => {}
            }
        }
        // One node per name (the last definition of a name is the one its references follow).
        let mut index: HashMap<&str, usize> = HashMap::new();
        for def in &model.definitions {
            let next = index.len();
            index.entry(def.name.as_str()).or_insert(next);
        }
        let mut edges: Vec<Vec<usize>> = vec![Vec::new(); index.len()];
        for def in &model.definitions {
            let mut out = Vec::new();
            refs(&def.condition, &mut out);
            if let Some(node) = index.get(def.name.as_str()).and_then(|&i| edges.get_mut(i)) {
                *node = out
                    .iter()
                    .filter_map(|name| index.get(name).copied())
                    .collect();
            }
        }
        let cyclic = on_cycles(&edges);
        for def in &model.definitions {
            let on_cycle = index
                .get(def.name.as_str())
                .is_some_and(|&i| cyclic.get(i).copied().unwrap_or(false));
            if on_cycle && def.origin == Origin::School {
                self.error(
                    &def.loc,
                    ModelError::DefinitionCycle {
                        name: def.name.clone(),
                    },
                );
            }
        }
    }

    // ---------------------------------------------------------------- actions

    fn actions(&mut self, actions: &[Sp<ast::ActionAst>]) -> Vec<Action> {
        actions.iter().filter_map(|a| self.action(a)).collect()
    }

    fn action(&mut self, action: &Sp<ast::ActionAst>) -> Option<Action> {
        let a = &action.node;
        let Some(verb) = Verb::from_keyword(&a.verb.node) else {
            self.unknown(
                &a.verb.loc,
                "action",
                &a.verb.node,
                Verb::keywords().map(String::from).collect(),
            );
            return None;
        };
        let by = match &a.by {
            Some(role) if self.roles.contains(&role.node) => Some(role.node.clone()),
            Some(role) => {
                let candidates = self.for_help(&self.roles);
                self.unknown(&role.loc, "role", &role.node, candidates);
                None
            }
            None => None,
        };
        let needs = |what: &'static str| ModelError::MissingTarget {
            verb: a.verb.node.clone(),
            what,
        };
        let kind = match verb {
            Verb::Contact
            | Verb::HomeVisit
            | Verb::Review
            | Verb::Support
            | Verb::PenaltyWarning => {
                if let Some(t) = &a.target {
                    self.error(
                        &t.loc,
                        ModelError::UnexpectedTarget {
                            verb: a.verb.node.clone(),
                            target: t.node.clone(),
                        },
                    );
                }
                match verb {
                    Verb::Contact => ActionKind::Contact,
                    Verb::HomeVisit => ActionKind::HomeVisit,
                    Verb::Review => ActionKind::Review,
                    Verb::Support => ActionKind::Support,
                    _ => ActionKind::PenaltyWarning,
                }
            }
            Verb::Letter | Verb::Meeting => {
                let Some(t) = &a.target else {
                    self.error(
                        &action.loc,
                        needs(if verb == Verb::Letter {
                            "a letter id"
                        } else {
                            "a meeting id"
                        }),
                    );
                    return None;
                };
                let (declared, what) = if verb == Verb::Letter {
                    (&self.letters, "letter")
                } else {
                    (&self.meetings, "meeting")
                };
                if !declared.contains(&t.node) {
                    let candidates = self.for_help(declared);
                    self.unknown(&t.loc, what, &t.node, candidates);
                    return None;
                }
                if verb == Verb::Letter {
                    ActionKind::Letter(t.node.clone())
                } else {
                    ActionKind::Meeting(t.node.clone())
                }
            }
            Verb::Notify | Verb::Refer => {
                let Some(t) = &a.target else {
                    self.error(&action.loc, needs("a recipient, e.g. `local_authority`"));
                    return None;
                };
                let recipient = if let Some(p) = Party::from_keyword(&t.node) {
                    Recipient::Party(p)
                } else if self.roles.contains(&t.node) {
                    Recipient::Role(t.node.clone())
                } else {
                    let mut candidates: Vec<String> = Party::keywords().map(String::from).collect();
                    candidates.extend(self.for_help(&self.roles));
                    self.unknown(&t.loc, "recipient", &t.node, candidates);
                    return None;
                };
                if verb == Verb::Notify {
                    ActionKind::Notify(recipient)
                } else {
                    ActionKind::Refer(recipient)
                }
            }
            Verb::Consider => {
                let Some(t) = &a.target else {
                    self.error(
                        &action.loc,
                        needs("what to consider, e.g. `penalty_notice`"),
                    );
                    return None;
                };
                match Matter::from_keyword(&t.node) {
                    Some(m) => ActionKind::Consider(m),
                    None => {
                        self.unknown(
                            &t.loc,
                            "matter to consider",
                            &t.node,
                            Matter::keywords().map(String::from).collect(),
                        );
                        return None;
                    }
                }
            }
        };
        Some(Action {
            kind,
            note: a.note.as_ref().map(|n| n.node.clone()),
            by,
            loc: action.loc.clone(),
        })
    }

    // ---------------------------------------------------------------- conditions

    fn code_set(&mut self, codes: &[Sp<String>]) -> CodeSet {
        let table = codes::table();
        let mut out = Vec::new();
        for code in codes {
            if !table.is_known(&code.node) {
                let suggestion = table.suggest(&code.node).map(String::from);
                self.error(
                    &code.loc,
                    ModelError::UnknownCode {
                        code: code.node.clone(),
                        suggestion,
                    },
                );
                continue;
            }
            if table
                .lookup(&code.node, self.judged_on.max(codes_2024()))
                .is_none()
                && table.lookup(&code.node, self.judged_on).is_none()
            {
                self.error(
                    &code.loc,
                    ModelError::RetiredCode {
                        code: code.node.clone(),
                    },
                );
            }
            out.push(code.node.clone());
        }
        CodeSet::new(out)
    }

    fn window(&mut self, w: &WindowAst, loc: &Loc) -> Window {
        match *w {
            WindowAst::YearToDate => Window::YearToDate,
            WindowAst::ThisTerm => Window::ThisTerm,
            WindowAst::ThisHalfTerm => Window::ThisHalfTerm,
            WindowAst::Rolling { school_weeks } => {
                if school_weeks == 0 {
                    self.error(
                        loc,
                        ModelError::EmptyWindow {
                            unit: "school weeks",
                        },
                    );
                }
                Window::RollingWeeks(school_weeks.max(1))
            }
            WindowAst::Last { school_days } => {
                if school_days == 0 {
                    self.error(
                        loc,
                        ModelError::EmptyWindow {
                            unit: "school days",
                        },
                    );
                }
                Window::LastDays(school_days.max(1))
            }
        }
    }

    fn condition(&mut self, e: &Sp<Expr>) -> Option<Condition> {
        match &e.node {
            Expr::Or(parts) | Expr::And(parts) => {
                let lowered: Vec<Option<Condition>> =
                    parts.iter().map(|p| self.condition(p)).collect();
                let lowered: Option<Vec<Condition>> = lowered.into_iter().collect();
                let lowered = lowered?;
                Some(if matches!(e.node, Expr::Or(_)) {
                    Condition::Any(lowered)
                } else {
                    Condition::All(lowered)
                })
            }
            Expr::Not(inner) => Some(Condition::Not(Box::new(self.condition(inner)?))),
            Expr::Flag(name) => self.flag(name, &e.loc),
            Expr::Compare { lhs, op, rhs } => {
                let l = self.operand(lhs);
                let r = self.operand(rhs);
                let (l, r) = (l?, r?);
                self.compare(l, *op, r, &e.loc, lhs, rhs)
            }
        }
    }

    fn flag(&mut self, name: &str, loc: &Loc) -> Option<Condition> {
        if let Some(attr) = name.strip_prefix("pupil.") {
            if let Some(flag) = PupilFlag::from_keyword(attr) {
                return Some(Condition::Flag(flag));
            }
            if attr == "year_group" || attr == "stage" {
                self.error(
                    loc,
                    ModelError::NotACondition {
                        name: name.to_string(),
                    },
                );
                return None;
            }
            let candidates = PupilFlag::keywords()
                .map(|k| format!("pupil.{k}"))
                .collect();
            self.unknown(loc, "pupil attribute", name, candidates);
            return None;
        }
        if self.definitions.contains(name) {
            return Some(Condition::Defined(name.to_string()));
        }
        let mut candidates: Vec<String> = self.for_help(&self.definitions);
        candidates.extend(PupilFlag::keywords().map(|k| format!("pupil.{k}")));
        self.unknown(loc, "definition", name, candidates);
        None
    }

    fn operand(&mut self, o: &Sp<Operand>) -> Option<Value> {
        match &o.node {
            Operand::Percent(p) => Some(Value::Percent(self.percent(*p, &o.loc))),
            Operand::Count { value, unit } => Some(Value::Number(*value, *unit)),
            Operand::Share { percent, of } => {
                let p = self.percent(*percent, &o.loc);
                match self.operand(of)? {
                    Value::Count(m) => Some(Value::Share(p, m)),
                    other => {
                        self.error(
                            &of.loc,
                            ModelError::TypeMismatch {
                                left: format!("`{p} of`"),
                                right: other.describe(),
                            },
                        );
                        None
                    }
                }
            }
            Operand::Call { name, args } => self.call(name, args, &o.loc),
            Operand::Path(path) => match path.as_str() {
                "pupil.year_group" => Some(Value::YearGroup),
                "pupil.stage" => Some(Value::Stage),
                other if other.starts_with("pupil.") => {
                    let mut candidates: Vec<String> = PupilFlag::keywords()
                        .map(|k| format!("pupil.{k}"))
                        .collect();
                    candidates.push("pupil.year_group".into());
                    candidates.push("pupil.stage".into());
                    self.unknown(&o.loc, "pupil attribute", other, candidates);
                    None
                }
                other => {
                    let name = Sp::new(other.to_string(), o.loc.clone());
                    self.stage_ref(&name).map(Value::StageName)
                }
            },
        }
    }

    fn call(&mut self, name: &Sp<String>, args: &[Sp<Argument>], loc: &Loc) -> Option<Value> {
        let window_arg =
            |l: &mut Self, arg: Option<&Sp<Argument>>, expected: &'static str| match arg
                .map(|a| (&a.node, &a.loc))
            {
                Some((Argument::Window(w), wl)) => Some(l.window(w, wl)),
                _ => {
                    l.error(
                        loc,
                        ModelError::WrongArguments {
                            name: name.node.clone(),
                            expected,
                        },
                    );
                    None
                }
            };
        let codes_arg = |l: &mut Self, arg: Option<&Sp<Argument>>, expected: &'static str| match arg
            .map(|a| &a.node)
        {
            Some(Argument::Codes(codes)) => Some(l.code_set(codes)),
            Some(Argument::Code(code)) => {
                let code = Sp::new(
                    code.clone(),
                    arg.map_or_else(|| loc.clone(), |a| a.loc.clone()),
                );
                Some(l.code_set(std::slice::from_ref(&code)))
            }
            _ => {
                l.error(
                    loc,
                    ModelError::WrongArguments {
                        name: name.node.clone(),
                        expected,
                    },
                );
                None
            }
        };
        let n = name.node.as_str();
        if let Some(ratio) = RatioMetric::from_keyword(n) {
            const EXPECTED: &str = "one window, e.g. `attendance(year_to_date)`";
            if !self.arity(args, 1, n, EXPECTED, loc) {
                return None;
            }
            return window_arg(self, args.first(), EXPECTED).map(|w| Value::Ratio(ratio, w));
        }
        if let Some(class) = SessionClass::from_keyword(n) {
            const EXPECTED: &str = "one window, e.g. `unauthorised(rolling 10 school_weeks)`";
            if !self.arity(args, 1, n, EXPECTED, loc) {
                return None;
            }
            return window_arg(self, args.first(), EXPECTED)
                .map(|window| Value::Count(CountMetric::Sessions { class, window }));
        }
        match n {
            "count" => {
                const EXPECTED: &str = "codes and a window, e.g. `count(L, this_half_term)`";
                if !self.arity(args, 2, n, EXPECTED, loc) {
                    return None;
                }
                let codes = codes_arg(self, args.first(), EXPECTED);
                let window = window_arg(self, args.get(1), EXPECTED);
                Some(Value::Count(CountMetric::Codes {
                    codes: codes?,
                    window: window?,
                }))
            }
            "consecutive_days" => {
                const EXPECTED: &str = "codes, e.g. `consecutive_days({N, O})`";
                if !self.arity(args, 1, n, EXPECTED, loc) {
                    return None;
                }
                codes_arg(self, args.first(), EXPECTED)
                    .map(|codes| Value::Count(CountMetric::ConsecutiveDays { codes }))
            }
            _ => {
                self.unknown(
                    &name.loc,
                    "metric",
                    n,
                    METRICS.iter().map(|m| m.to_string()).collect(),
                );
                None
            }
        }
    }

    /// Whether a metric got as many arguments as it takes; reports it when not.
    fn arity(
        &mut self,
        args: &[Sp<Argument>],
        takes: usize,
        name: &str,
        expected: &'static str,
        loc: &Loc,
    ) -> bool {
        let ok = args.len() == takes;
        if !ok {
            self.error(
                loc,
                ModelError::WrongArguments {
                    name: name.into(),
                    expected,
                },
            );
        }
        ok
    }

    fn compare(
        &mut self,
        l: Value,
        op: CmpOp,
        r: Value,
        loc: &Loc,
        lhs: &Sp<Operand>,
        rhs: &Sp<Operand>,
    ) -> Option<Condition> {
        // Put the metric on the left: `10 <= x` is `x >= 10`.
        let literal_left = matches!(
            l,
            Value::Percent(_) | Value::Number(..) | Value::Share(..) | Value::StageName(_)
        ) && !matches!(
            r,
            Value::Percent(_) | Value::Number(..) | Value::Share(..) | Value::StageName(_)
        );
        let (l, op, r, rloc) = if literal_left {
            (r, op.flipped(), l, &lhs.loc)
        } else {
            (l, op, r, &rhs.loc)
        };
        match (l, r) {
            (Value::Ratio(metric, window), Value::Percent(value)) => Some(Condition::Ratio {
                metric,
                window,
                op,
                value,
            }),
            (Value::Count(metric), Value::Number(value, unit)) => {
                if let Some(unit) = unit {
                    let days = matches!(metric, CountMetric::ConsecutiveDays { .. });
                    let unit_is_days = matches!(unit, CountUnit::Days | CountUnit::SchoolDays);
                    if days != unit_is_days {
                        self.error(
                            rloc,
                            ModelError::WrongUnit {
                                name: metric.to_string(),
                                expected: if days { "school days" } else { "sessions" },
                                unit: unit.keyword().to_string(),
                            },
                        );
                    }
                }
                Some(Condition::Count { metric, op, value })
            }
            (Value::Count(lhs), Value::Share(percent, rhs)) => Some(Condition::Share {
                lhs,
                op,
                percent,
                rhs,
            }),
            (Value::Count(lhs), Value::Count(rhs)) => Some(Condition::Share {
                lhs,
                op,
                percent: Percent::HUNDRED,
                rhs,
            }),
            (Value::YearGroup, Value::Number(value, None)) => {
                Some(Condition::YearGroup { op, value })
            }
            (Value::Stage, Value::StageName(stage)) => Some(Condition::Stage { op, stage }),
            (l, r) => {
                self.error(
                    loc,
                    ModelError::TypeMismatch {
                        left: l.describe(),
                        right: r.describe(),
                    },
                );
                None
            }
        }
    }
}

/// Which nodes of a graph lie on a cycle (can reach themselves): Tarjan's strongly connected
/// components, with an explicit stack so a chain of ten thousand definitions cannot overflow
/// the call stack, in time linear in nodes and edges. (Written here rather than taken from
/// petgraph: it is the one graph question the crate asks.) Every index is the graph's own,
/// below `edges.len()`; edges to anything else are ignored.
fn on_cycles(edges: &[Vec<usize>]) -> Vec<bool> {
    struct Node {
        order: Option<usize>,
        low: usize,
        on_stack: bool,
        cyclic: bool,
    }
    let n = edges.len();
    let mut nodes: Vec<Node> = (0..n)
        .map(|_| Node {
            order: None,
            low: 0,
            on_stack: false,
            cyclic: false,
        })
        .collect();
    let out = |v: usize| edges.get(v).map_or(&[][..], Vec::as_slice);
    let mut stack: Vec<usize> = Vec::new();
    let mut next = 0;
    for root in 0..n {
        if nodes[root].order.is_some() {
            continue;
        }
        // (node, how many of its edges have been followed)
        let mut calls: Vec<(usize, usize)> = vec![(root, 0)];
        nodes[root] = Node {
            order: Some(next),
            low: next,
            on_stack: true,
            cyclic: false,
        };
        next += 1;
        stack.push(root);
        while let Some(&(v, followed)) = calls.last() {
            if let Some(&w) = out(v).get(followed) {
                calls.last_mut().into_iter().for_each(|call| call.1 += 1);
                if w >= n {
                    continue;
                }
                match nodes[w].order {
                    None => {
                        nodes[w] = Node {
                            order: Some(next),
                            low: next,
                            on_stack: true,
                            cyclic: false,
                        };
                        next += 1;
                        stack.push(w);
                        calls.push((w, 0));
                    }
                    Some(order) if nodes[w].on_stack => {
                        nodes[v].low = nodes[v].low.min(order);
                    }
                    Some(_) => {}
                }
                continue;
            }
            calls.pop();
            let low = nodes[v].low;
            if let Some(&(parent, _)) = calls.last() {
                nodes[parent].low = nodes[parent].low.min(low);
            }
            if nodes[v].order == Some(low) {
                let mut component = Vec::new();
                while let Some(w) = stack.pop() {
                    nodes[w].on_stack = false;
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                if component.len() > 1 || out(v).contains(&v) {
                    for w in component {
                        nodes[w].cyclic = true;
                    }
                }
            }
        }
    }
    nodes.into_iter().map(|node| node.cyclic).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Source;
    use crate::syntax::ast::File;

    #[test]
    fn cycles_are_found_and_chains_are_not() {
        // 0 → 1 → 2 → 0 is a cycle; 3 → 3 names itself; 4 → 0 only reaches one; 5 → 9 is
        // not a node.
        let edges = vec![vec![1], vec![2], vec![0], vec![3], vec![0], vec![9]];
        assert_eq!(on_cycles(&edges), [true, true, true, true, false, false]);
        // A chain of 100,000 (each naming the next) on a test thread's stack, then closed.
        let n = 100_000;
        let mut chain: Vec<Vec<usize>> = (0..n).map(|i| vec![i + 1]).collect();
        chain[n - 1].clear();
        assert!(on_cycles(&chain).iter().all(|&c| !c));
        chain[n - 1].push(0);
        assert!(on_cycles(&chain).iter().all(|&c| c));
    }

    #[test]
    fn a_long_chain_of_definitions_is_checked_for_cycles_once() {
        let mut text = String::from("policy \"P\" {\n  define d0 when pupil.fsm\n");
        for i in 1..2_000 {
            text.push_str(&format!("  define d{i} when d{} or pupil.sen\n", i - 1));
        }
        text.push_str("  define a when b\n  define b when a\n}\n");
        let src = Source::new("p.policy", text);
        let Ok(File::Policy(ast)) = crate::syntax::parse(&src) else {
            panic!("parses");
        };
        let (_, diagnostics) = lower(&ast);
        let cycles: Vec<String> = diagnostics
            .iter()
            .filter(|d| d.code == "model::definition_cycle")
            .map(|d| d.message.clone())
            .collect();
        assert_eq!(cycles.len(), 2, "{cycles:?}");
    }
}
