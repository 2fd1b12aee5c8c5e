//! Letter templates (minijinja): the variables a letter may use, checking a template's text
//! against them, and rendering one letter for one action. No file I/O here: `cli` reads the
//! templates (their paths are relative to the policy file) and writes the letters.

use std::collections::BTreeMap;

use minijinja::{Environment, Value};

use crate::diagnostic::{Diagnostic, Problem, did_you_mean_help};
use crate::engine::calendar::SchoolDays;
use crate::model::{Letter, Window};
use crate::register::Register;

/// Every variable a letter template may use.
pub const VARIABLES: &[&str] = &[
    "pupil.id",
    "pupil.first_name",
    "pupil.last_name",
    "school.name",
    "date",
    "attendance",
    "possible",
    "present",
    "unauthorised",
    "evidence",
    "responsible",
    "letter",
    "rule",
];

/// Names a template may also look up: the objects themselves and minijinja's global
/// functions.
const ALSO_ALLOWED: &[&str] = &["pupil", "school", "range", "dict", "namespace", "debug"];

/// A problem with a letter's template, reported at the letter's declaration.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum LetterError {
    #[error("the template of letter `{letter}` cannot be read: `{path}`: {reason}")]
    Missing {
        letter: String,
        path: String,
        reason: String,
    },
    #[error("the template of letter `{letter}` (`{path}`) does not parse: {reason}")]
    Syntax {
        letter: String,
        path: String,
        reason: String,
    },
    #[error(
        "the template of letter `{letter}` (`{path}`) uses `{variable}`, which letters do not have"
    )]
    UnknownVariable {
        letter: String,
        path: String,
        variable: String,
    },
}

impl Problem for LetterError {
    fn code(&self) -> &'static str {
        match self {
            LetterError::Missing { .. } => "input::letter_template_missing",
            LetterError::Syntax { .. } => "input::letter_template_syntax",
            LetterError::UnknownVariable { .. } => "input::letter_template_variable",
        }
    }

    fn help(&self) -> Option<String> {
        match self {
            LetterError::Missing { .. } => {
                Some("template paths are relative to the policy file".into())
            }
            LetterError::Syntax { .. } => None,
            LetterError::UnknownVariable { variable, .. } => Some(
                did_you_mean_help(variable, VARIABLES.iter().copied())
                    .unwrap_or_else(|| format!("letters have {}", VARIABLES.join(", "))),
            ),
        }
    }

    fn label(&self) -> Option<String> {
        Some("letter declared here".into())
    }
}

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    // Keep a template's last newline, so a letter ends as its template does.
    if let Ok(syntax) = minijinja::syntax::SyntaxConfig::builder()
        .keep_trailing_newline(true)
        .build()
    {
        env.set_syntax(syntax);
    }
    env
}

/// Checks a letter's template: `text` is its contents, or why it could not be read. Every
/// problem points at the letter's declaration in the policy.
pub fn check(letter: &Letter, path: &str, text: Result<&str, &str>) -> Vec<Diagnostic> {
    let at = |e: LetterError| e.at(&letter.loc);
    let text = match text {
        Ok(text) => text,
        Err(reason) => {
            return vec![at(LetterError::Missing {
                letter: letter.id.clone(),
                path: path.into(),
                reason: reason.into(),
            })];
        }
    };
    let env = environment();
    let template = match env.template_from_str(text) {
        Ok(t) => t,
        Err(e) => {
            let line = e.line().map(|l| format!("line {l}: ")).unwrap_or_default();
            return vec![at(LetterError::Syntax {
                letter: letter.id.clone(),
                path: path.into(),
                reason: format!("{line}{}", e.detail().unwrap_or("syntax error")),
            })];
        }
    };
    let mut unknown: Vec<String> = template
        .undeclared_variables(true)
        .into_iter()
        .filter(|v| !VARIABLES.contains(&v.as_str()) && !ALSO_ALLOWED.contains(&v.as_str()))
        .collect();
    unknown.sort();
    unknown
        .into_iter()
        .map(|variable| {
            at(LetterError::UnknownVariable {
                letter: letter.id.clone(),
                path: path.into(),
                variable,
            })
        })
        .collect()
}

/// The facts one letter is rendered with.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    pub pupil_id: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub school: String,
    pub date: String,
    /// Attendance over the academic year to date to one decimal place, with its sign
    /// (`93.5%`); `no possible sessions` when there were none.
    pub attendance: String,
    pub possible: u32,
    pub present: u32,
    pub unauthorised: u32,
    pub evidence: String,
    pub responsible: String,
    pub letter: String,
    pub rule: String,
}

/// Renders a template with `facts`; the error is minijinja's, in words.
pub fn render(template: &str, facts: &Facts) -> Result<String, String> {
    let env = environment();
    let mut pupil: BTreeMap<&str, Value> = BTreeMap::new();
    pupil.insert("id", Value::from(facts.pupil_id.as_str()));
    if let Some(name) = &facts.first_name {
        pupil.insert("first_name", Value::from(name.as_str()));
    }
    if let Some(name) = &facts.last_name {
        pupil.insert("last_name", Value::from(name.as_str()));
    }
    let school: BTreeMap<&str, Value> =
        BTreeMap::from([("name", Value::from(facts.school.as_str()))]);
    let ctx = minijinja::context! {
        pupil => Value::from(pupil),
        school => Value::from(school),
        date => facts.date.as_str(),
        attendance => facts.attendance.as_str(),
        possible => facts.possible,
        present => facts.present,
        unauthorised => facts.unauthorised,
        evidence => facts.evidence.as_str(),
        responsible => facts.responsible.as_str(),
        letter => facts.letter.as_str(),
        rule => facts.rule.as_str(),
    };
    env.render_str(template, ctx).map_err(|e| e.to_string())
}

/// A pupil's possible, present and unauthorised sessions over the academic year to `day`.
pub fn year_to_date(register: &Register, days: &SchoolDays, pupil: usize, day: usize) -> [u32; 3] {
    let rows = crate::codes::table().rows();
    let from = days.window_start(Window::YearToDate, day);
    let mut counts = [0u32; 3];
    for mark in register.marks_between(pupil, from, day) {
        let Some(info) = rows.get(usize::from(*mark)) else {
            continue;
        };
        if info.class.is_possible() {
            counts[0] += 1;
        }
        if info.class.is_present() {
            counts[1] += 1;
        }
        if info.class == crate::codes::MarkClass::Unauthorised {
            counts[2] += 1;
        }
    }
    counts
}

/// A rendered letter as a minimal self-contained HTML page: the Markdown text, escaped, in a
/// preformatted block.
pub fn html_page(title: &str, markdown: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n\
         <style>body {{ max-width: 42rem; margin: 2rem auto; }} pre {{ white-space: pre-wrap; font-family: serif; }}</style>\n\
         </head>\n<body>\n<pre>{}</pre>\n</body>\n</html>\n",
        crate::html::escape(title),
        crate::html::escape(markdown)
    )
}
