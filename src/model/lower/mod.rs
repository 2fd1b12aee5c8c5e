//! AST to model (`cst_to_ast`, in cedar's words): resolve every name, check every code and
//! date, give conditions their types, merge `extends national`. Reports every problem it
//! finds and still returns the best model it could build.

mod bands;
mod calendar;
mod conditions;
mod definitions;
mod escalation;
mod judged;
mod ladder;
mod schedule;
mod school_day;

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
    "notices_issued",
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
    /// The schedules, lowered first so conditions anywhere can name them.
    schedules: Vec<Schedule>,
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
            schedules: Vec::new(),
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
                ast::Item::Bands(bands) => {
                    for band in &bands.bands {
                        if let Some(name) = &band.node.defines {
                            l.definitions.push(name.node.clone());
                        }
                    }
                }
                ast::Item::Ratified(date) => l.judged_on = date.node,
                ast::Item::Schedule(s) => l.schedule(s, &item.loc),
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

    fn policy(&mut self, policy: &Node<ast::PolicyAst>) -> Policy {
        let mut model = Policy {
            name: policy.node.name.node.clone(),
            loc: policy.loc.clone(),
            extends_national: None,
            urn: None,
            phase: None,
            document: None,
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
            schedules: self.schedules.clone(),
        };
        for item in &policy.node.items {
            self.item(item, &mut model);
        }
        self.schedules_in_calendar(&model);
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
            ast::Item::Document(k) => match DocumentKind::from_keyword(&k.node) {
                Some(kind) => {
                    self.once(&mut model.document, (kind, k.loc.clone()), "document", loc)
                }
                None => self.unknown(
                    &k.loc,
                    "document kind",
                    &k.node,
                    DocumentKind::keywords().map(String::from).collect(),
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
                if let Some(set) =
                    self.band_set(bands, loc, &model.band_sets, &mut model.definitions)
                {
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
                        let (guard, judged) = s
                            .node
                            .when
                            .as_ref()
                            .and_then(|w| self.judged_condition(w))
                            .unwrap_or_default();
                        Step {
                            day: s.node.day.node,
                            guard,
                            judged,
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
                let (condition, judged) = match self.trigger_condition(t) {
                    Some((c, j)) => (Some(c), j),
                    None => (None, None),
                };
                let actions = self.actions(&t.actions);
                let stage = t.stage.as_ref().and_then(|s| self.stage_ref(s));
                let repeat = if t.each.is_some() {
                    Repeat::Each
                } else {
                    self.repeat(t.repeat.as_ref())
                };
                if let Some(condition) = condition {
                    model.triggers.push(Trigger {
                        name: t.name.node.clone(),
                        min_possible: t.min_possible.as_ref().map_or(0, |n| n.node),
                        condition,
                        judged,
                        actions,
                        stage,
                        repeat,
                        loc: loc.clone(),
                        origin: Origin::School,
                        looked_at: self.looked_at(t),
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
            // Lowered up front, in `new()`.
            ast::Item::Schedule(_) => {}
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

    /// A trigger's condition: its `when`, or for `on each CODES` a mark of one of the codes
    /// on the day (`count(CODES, last 1 school_days) >= 1`), which fires every such day.
    fn trigger_condition(&mut self, t: &ast::TriggerAst) -> Option<(Condition, Option<Judgement>)> {
        // The `judged` part of the `when` is staff's; the rest (always true when nothing else
        // is written) is the engine's.
        let (when, judged) = match &t.when {
            Some(w) => self.judged_condition(w)?,
            None => (None, None),
        };
        let Some(each) = &t.each else {
            return Some((when.unwrap_or(Condition::All(Vec::new())), judged));
        };
        if let Some(r) = &t.repeat {
            self.error(&r.loc, ModelError::EachWithRepeat);
        }
        if each.node.is_empty() {
            self.error(&each.loc, ModelError::EmptyCodeSet);
        }
        let codes = self.code_set(&each.node);
        let marked = Condition::Count {
            metric: CountMetric::Codes {
                codes,
                window: Window::LastDays(1),
            },
            op: CmpOp::Ge,
            value: 1,
        };
        let condition = match when {
            Some(w) => Condition::All(vec![marked, w]),
            None => marked,
        };
        Some((condition, judged))
    }
}
