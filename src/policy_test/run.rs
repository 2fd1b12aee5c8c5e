//! Runs one test: its pupils and register read by the register's own readers (their problems
//! placed in the test file), the engine run over them, and the actions it asks for compared
//! with the expected ones per pupil and school day.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;

use super::format::{Case, Expect, Section, TestFile, TestFileError, Word};
use crate::diagnostic::{Diagnostic, Problem, did_you_mean_help};
use crate::engine;
use crate::register::{self, Input, InputProblem, ReadOptions, Register};
use crate::table::{DecisionTable, SchoolDays};

/// What a test found: nothing when it passed.
#[derive(Clone, Debug, Default)]
pub struct CaseResult {
    /// Each pupil whose actions differ from the expected ones, in the register's order.
    pub pupils: Vec<PupilDiff>,
}

impl CaseResult {
    pub fn passed(&self) -> bool {
        self.pupils.is_empty()
    }
}

/// One pupil's differences, and the evaluation trace that led there.
#[derive(Clone, Debug)]
pub struct PupilDiff {
    pub pupil: String,
    pub days: Vec<DayDiff>,
    /// The stage expected on the register's last day and the one reached, when they differ.
    pub stage: Option<(String, String)>,
    /// The pupil's timeline (`attend run --explain`) up to the last day that differs.
    pub trace: String,
}

/// One school day of a pupil on which the actions differ.
#[derive(Clone, Debug)]
pub struct DayDiff {
    pub date: NaiveDate,
    /// Each action of the day, in name order, with how it differs.
    pub actions: Vec<(Change, String)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// Expected and asked for, or asked for where the test allows more (`expect at least`).
    Same,
    /// Expected, not asked for.
    Missing,
    /// Asked for and not expected; the line of the `never` it breaks, if one does.
    Unexpected(Option<usize>),
}

/// Runs one test of `file` with the compiled policy. Problems in the test (a malformed
/// register, a pupil, action, stage or date the policy or register does not know) are
/// diagnostics in the test file.
pub fn run_case(
    file: &TestFile,
    case: &Case,
    table: &DecisionTable,
    days: &SchoolDays,
) -> Result<CaseResult, Vec<Diagnostic>> {
    let register = read(file, case, table, days)?;
    let span = register.span.unwrap_or((0, 0));
    check_expectations(case, table, days, &register, span)?;
    let outcome = engine::run(table, days, &register);

    let mut actual: BTreeMap<(usize, usize), BTreeSet<&str>> = BTreeMap::new();
    for due in engine::due(table, &outcome.fired) {
        actual
            .entry((due.fired.pupil, due.fired.day))
            .or_default()
            .insert(due.action.action.as_str());
    }
    // Pupils are checked in the register's order; each expectation is found again by its
    // pupil's index.
    let index = |w: &Word| register.find(&w.text).unwrap_or(usize::MAX);
    let mut expected: BTreeMap<(usize, usize), BTreeSet<&str>> = BTreeMap::new();
    let mut exact = BTreeSet::new();
    let mut never: Vec<(usize, Option<&str>, usize)> = Vec::new();
    let mut stages: BTreeMap<usize, &str> = BTreeMap::new();
    for e in &case.expect {
        let pupil = index(e.pupil());
        match e {
            Expect::On { date, actions, .. } => {
                let day = days.index(*date).unwrap_or(usize::MAX);
                let set = expected.entry((pupil, day)).or_default();
                set.extend(actions.iter().map(|a| a.text.as_str()));
                if case.exact {
                    exact.insert(pupil);
                }
            }
            Expect::Never { loc, action, .. } => {
                never.push((
                    pupil,
                    action.as_ref().map(|a| a.text.as_str()),
                    loc.line_col().0,
                ));
            }
            Expect::EndStage { stage, .. } => {
                stages.insert(pupil, stage.text.as_str());
            }
        }
    }
    let mut pupils: BTreeSet<usize> = expected.keys().map(|(p, _)| *p).collect();
    pupils.extend(never.iter().map(|(p, _, _)| *p));
    pupils.extend(stages.keys());

    let mut result = CaseResult::default();
    let none = BTreeSet::new();
    for pupil in pupils {
        let mut looked: BTreeSet<usize> = expected
            .keys()
            .chain(actual.keys())
            .filter(|(p, _)| *p == pupil)
            .map(|(_, d)| *d)
            .collect();
        if !exact.contains(&pupil) && !never.iter().any(|(p, _, _)| *p == pupil) {
            looked.retain(|d| expected.contains_key(&(pupil, *d)));
        }
        let mut diffs = Vec::new();
        for day in looked {
            let want = expected.get(&(pupil, day)).unwrap_or(&none);
            let got = actual.get(&(pupil, day)).unwrap_or(&none);
            let mut actions: BTreeMap<&str, Change> = BTreeMap::new();
            for a in want.difference(got) {
                actions.insert(a, Change::Missing);
            }
            for a in got {
                let broken = never
                    .iter()
                    .find(|(p, n, _)| *p == pupil && n.is_none_or(|n| n == *a))
                    .map(|(_, _, line)| *line);
                let change = if broken.is_some() && !want.contains(a) {
                    Change::Unexpected(broken)
                } else if want.contains(a) || !exact.contains(&pupil) {
                    Change::Same
                } else {
                    Change::Unexpected(None)
                };
                actions.insert(a, change);
            }
            if actions.values().any(|c| *c != Change::Same) {
                diffs.push((day, actions));
            }
        }
        let reached = outcome
            .summary
            .get(pupil)
            .and_then(|s| table.stages.get(s.stage))
            .map_or("", String::as_str);
        let stage = stages
            .get(&pupil)
            .filter(|want| **want != reached)
            .map(|want| ((*want).to_string(), reached.to_string()));
        if diffs.is_empty() && stage.is_none() {
            continue;
        }
        // The trace runs to the last day that differs; to the end when the stage does.
        let until = match (&stage, diffs.last()) {
            (None, Some((day, _))) => *day,
            _ => span.1,
        };
        let (trace, fired) = engine::explain(table, days, &register, pupil);
        let trace: Vec<_> = trace.into_iter().filter(|t| t.day <= until).collect();
        let fired: Vec<_> = fired.into_iter().filter(|f| f.day <= until).collect();
        result.pupils.push(PupilDiff {
            pupil: register.id(pupil).to_string(),
            days: diffs
                .into_iter()
                .map(|(day, actions)| DayDiff {
                    date: days.date(day),
                    actions: actions
                        .into_iter()
                        .map(|(a, c)| (c, a.to_string()))
                        .collect(),
                })
                .collect(),
            stage,
            trace: engine::explain_text(table, days, &register, pupil, &trace, &fired),
        });
    }
    Ok(result)
}

/// Reads the test's pupils and register; their readers' problems, placed in the test file.
fn read(
    file: &TestFile,
    case: &Case,
    table: &DecisionTable,
    days: &SchoolDays,
) -> Result<Register, Vec<Diagnostic>> {
    let options = ReadOptions {
        keep_going: true,
        max_errors: 5,
        ..ReadOptions::default()
    };
    let place = |section: &Section, problems: Vec<InputProblem>| -> Vec<Diagnostic> {
        problems
            .into_iter()
            .filter(InputProblem::is_error)
            .map(|p| {
                let loc = section.loc(&file.source, p.at.line, p.at.column, p.at.width);
                let mut d = p.error.at(&loc);
                // The readers' help names `attend run`'s options; a test says it in its file.
                match d.code.as_str() {
                    "register::missing_mark" => {
                        d.help = Some(
                            "give every pupil of a test marks up to the same last day (`#` for a day without school)".into(),
                        );
                    }
                    "register::closed_day" => {
                        d.help = Some(
                            "mark the session `#`, or name the school's calendar with `calendar: PATH` at the top of the test file".into(),
                        );
                    }
                    _ => {}
                }
                d
            })
            .collect()
    };
    let name = file.source.name();
    let pupils = match &case.pupils {
        Some(section) => Some(
            register::read_pupils(
                &Input::bytes(name, section.text.clone().into_bytes()),
                options.limit(),
            )
            .map_err(|p| place(section, p))?,
        ),
        None => None,
    };
    let Some(section) = &case.register else {
        return Err(vec![TestFileError::NoRegister.at(&case.loc)]);
    };
    register::read_register(
        &Input::bytes(name, section.text.clone().into_bytes()),
        &table.calendar,
        days,
        pupils.as_ref(),
        None,
        &options,
    )
    .map_err(|p| place(section, p))
}

/// Every pupil, action, stage and date the expectations name must be one the register and
/// policy know, or the test could pass for the wrong reason (`never` a misspelt letter).
fn check_expectations(
    case: &Case,
    table: &DecisionTable,
    days: &SchoolDays,
    register: &Register,
    span: (usize, usize),
) -> Result<(), Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let known: BTreeSet<&str> = table
        .rows
        .iter()
        .flat_map(|r| &r.actions)
        .map(|a| a.action.as_str())
        .collect();
    let mut pupil = |w: &Word| {
        if register.find(&w.text).is_none() {
            let help = did_you_mean_help(&w.text, register.ids()).or_else(|| {
                Some("the register section names each pupil a test expects actions for".into())
            });
            errors.push(
                TestFileError::UnknownPupil {
                    pupil: w.text.clone(),
                    help,
                }
                .at(&w.loc),
            );
        }
    };
    for e in &case.expect {
        pupil(e.pupil());
    }
    for e in &case.expect {
        let actions: Vec<&Word> = match e {
            Expect::On { actions, .. } => actions.iter().collect(),
            Expect::Never { action, .. } => action.iter().collect(),
            Expect::EndStage { stage, .. } => {
                if !table.stages.contains(&stage.text) {
                    let help =
                        did_you_mean_help(&stage.text, table.stages.iter().map(String::as_str))
                            .unwrap_or_else(|| {
                                format!(
                                    "the policy's stages are {}",
                                    list(table.stages.iter().map(String::as_str))
                                )
                            });
                    errors.push(
                        TestFileError::UnknownStage {
                            stage: stage.text.clone(),
                            help: Some(help),
                        }
                        .at(&stage.loc),
                    );
                }
                Vec::new()
            }
        };
        for a in actions {
            if !known.contains(a.text.as_str()) {
                let help = did_you_mean_help(&a.text, known.iter().copied()).unwrap_or_else(|| {
                    format!("the policy asks for {}", list(known.iter().copied()))
                });
                errors.push(
                    TestFileError::UnknownAction {
                        action: a.text.clone(),
                        help: Some(help),
                    }
                    .at(&a.loc),
                );
            }
        }
        if let Expect::On { date, date_loc, .. } = e {
            match days.index(*date) {
                None => errors.push(TestFileError::NotASchoolDay { date: *date }.at(date_loc)),
                Some(day) if day < span.0 || day > span.1 || register.span.is_none() => errors
                    .push(
                        TestFileError::OutsideRegister {
                            date: *date,
                            first: days.date(span.0),
                            last: days.date(span.1),
                        }
                        .at(date_loc),
                    ),
                Some(_) => {}
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        errors.sort_by_key(Diagnostic::sort_key);
        Err(errors)
    }
}

/// `a`, `b` and `c`.
fn list<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let names: Vec<String> = names.map(|n| format!("`{n}`")).collect();
    match names.as_slice() {
        [] => "nothing".into(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}
