//! `attend`: compile and validate English school attendance policies.
//!
//! The pipeline runs one way: [`syntax`] (text to AST) → [`model`] (typed, resolved policy) →
//! [`check`] (national rules and shape) → [`table`] (decision table). Only this file strings
//! the stages together, and only [`cli`] reads files and prints.

pub mod check;
pub mod cli;
pub mod codes;
pub mod diagnostic;
pub mod diff;
pub mod engine;
pub mod generate;
pub mod holidays;
pub mod html;
pub mod ics;
pub mod ledger;
pub mod letters;
pub mod lsp;
pub mod model;
pub mod policy_test;
pub mod progress;
pub mod register;
pub mod report;
pub mod simulate;
pub mod source;
pub mod sql;
pub mod syntax;
pub mod table;

use diagnostic::{Diagnostic, Problem};
use source::Source;
use syntax::ast::File;

/// What the pipeline learnt about one policy file.
pub struct Analysis {
    /// The policy, if it was well-formed.
    pub checked: Option<check::CheckedPolicy>,
    /// Every problem found by every stage, in file order.
    pub diagnostics: Vec<Diagnostic>,
}

impl Analysis {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// The model stage's error for a file that is not what the command needs.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum InputError {
    #[error("this file holds only calendars, not a policy")]
    CalendarNotPolicy,
    #[error("this file holds a policy, not a calendar")]
    PolicyNotCalendar,
}

impl Problem for InputError {
    fn code(&self) -> &'static str {
        match self {
            InputError::CalendarNotPolicy => "input::calendar_not_policy",
            InputError::PolicyNotCalendar => "input::policy_not_calendar",
        }
    }

    fn help(&self) -> Option<String> {
        Some(match self {
            InputError::CalendarNotPolicy => {
                "pass it with `--calendar FILE` alongside a policy".into()
            }
            InputError::PolicyNotCalendar => {
                "a calendar file holds `calendar` blocks only (or `[[calendar]]` tables)".into()
            }
        })
    }
}

/// Parses, lowers and checks a policy, with `calendar` (a `.calendar` or calendar `.toml`
/// file) replacing the policy's own term dates when given.
pub fn analyse(src: &Source, calendar: Option<&Source>) -> Analysis {
    let mut diagnostics = Vec::new();
    let file = match syntax::parse(src) {
        Ok(file) => file,
        Err(errors) => {
            return Analysis {
                checked: None,
                diagnostics: errors,
            };
        }
    };
    let File::Policy(ast) = file else {
        let problem = InputError::CalendarNotPolicy.at(&src.loc(source::Span::default()));
        return Analysis {
            checked: None,
            diagnostics: vec![problem],
        };
    };
    let (mut policy, model_diagnostics) = model::lower(&ast);
    diagnostics.extend(model_diagnostics);
    if let Some(cal_src) = calendar {
        match load_calendar(cal_src) {
            Ok((cal, cal_diagnostics)) => {
                diagnostics.extend(cal_diagnostics);
                policy = policy.with_calendar(cal);
            }
            Err(errors) => diagnostics.extend(errors),
        }
    }
    let (checked, findings) = check::check(policy, &diagnostics);
    diagnostics.extend(findings);
    diagnostics.sort_by_cached_key(Diagnostic::sort_key);
    Analysis {
        checked,
        diagnostics: diagnostic::limit_per_file(diagnostics),
    }
}

/// Parses and lowers a separate calendar file.
/// An iCalendar file (`BEGIN:VCALENDAR`, whatever its name) is imported first, its notes
/// added to the calendar's.
pub fn load_calendar(src: &Source) -> Result<(model::Calendar, Vec<Diagnostic>), Vec<Diagnostic>> {
    let (src, notes) = ics::as_calendar(src)?;
    match syntax::parse(&src)? {
        File::Calendars(cals) => {
            let (calendar, mut diagnostics) = model::lower_calendar(&cals);
            diagnostics.extend(notes);
            Ok((calendar, diagnostics))
        }
        File::Policy(_) => Err(vec![
            InputError::PolicyNotCalendar.at(&src.loc(source::Span::default())),
        ]),
    }
}
