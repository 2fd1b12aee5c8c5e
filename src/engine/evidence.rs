//! Evidence: the values that made a rule hold, in words and numbers, with the dates of the
//! windows they were counted over (`unauthorised 10 sessions in rolling 10 school_weeks
//! 2024-09-09..2024-11-15`).

use super::eval::Shared;
use super::plan::{Rule, Test, Value};
use crate::model::CountMetric;
use crate::register::Pupil;
use crate::table::Atom;

/// `present / possible` as a percentage to one decimal place, rounded half up; for display
/// only, never compared.
pub fn percent_tenths(num: u64, den: u64) -> String {
    let mut text = String::new();
    write_percent_tenths(&mut text, num, den);
    text
}

/// [`percent_tenths`] written at the end of `text`.
pub fn write_percent_tenths(text: &mut String, num: u64, den: u64) {
    if den > 0 {
        let tenths = (num * 2000 + den) / (2 * den);
        text.push_str(itoa::Buffer::new().format(tenths / 10));
        text.push('.');
        text.push(char::from(b'0' + (tenths % 10) as u8));
    }
}

#[expect(
    clippy::too_many_arguments,
    reason = "evidence reads the whole of one day's state"
)]
pub fn describe(
    shared: &Shared<'_>,
    rule: &Rule,
    values: &[u32],
    runs: &[u32],
    run_start: &[usize],
    day: usize,
    pupil: &Pupil,
    compulsory: Option<bool>,
    stage: usize,
    notices: &[u32],
) -> String {
    let plan = shared.plan;
    let date = shared.days.date(day);
    let window = |metric: usize| -> String {
        let w = plan.metric_window.get(metric).copied().unwrap_or(0);
        let from = shared.start(w, day);
        let name = plan
            .windows
            .get(w)
            .map(ToString::to_string)
            .unwrap_or_default();
        format!("in {name} {}..{date}", shared.days.date(from))
    };
    let value = |v: Value| match v {
        Value::Metric(m) => values.get(m).copied().unwrap_or(0),
        Value::Run(r) => runs.get(r).copied().unwrap_or(0),
        Value::Notices(n) => notices.get(n).copied().unwrap_or(0),
    };
    let count = |metric: &CountMetric, v: Value| -> String {
        let n = value(v);
        match (metric, v) {
            (CountMetric::Sessions { class, .. }, Value::Metric(m)) => {
                format!("{} {n} sessions {}", class.keyword(), window(m))
            }
            (CountMetric::Codes { codes, .. }, Value::Metric(m)) => {
                format!("count({}) {n} sessions {}", codes.0.join(", "), window(m))
            }
            (CountMetric::ConsecutiveDays { codes }, Value::Run(r)) => {
                let from = shared.days.date(run_start.get(r).copied().unwrap_or(day));
                format!("{n} consecutive school days marked {codes} {from}..{date}")
            }
            (CountMetric::NoticesIssued { years }, Value::Notices(_)) => {
                let from = super::notices::period_start(date, *years);
                let to = date.pred_opt().unwrap_or(date);
                format!("{n} penalty notices {from}..{to}")
            }
            _ => format!("{metric} {n}"),
        }
    };
    let mut parts = Vec::with_capacity(rule.atoms.len());
    for (atom, t) in rule.atoms.iter().zip(&rule.tests) {
        let test = plan.tests.get(*t);
        let part = match (atom, test) {
            (
                Atom::Ratio { metric, .. },
                Some(Test::Ratio {
                    numerator,
                    denominator,
                    ..
                }),
            ) => {
                let (num, den) = (
                    values.get(*numerator).copied().unwrap_or(0),
                    values.get(*denominator).copied().unwrap_or(0),
                );
                format!(
                    "{} {}% ({num}/{den} sessions) {}",
                    metric.keyword(),
                    percent_tenths(u64::from(num), u64::from(den)),
                    window(*denominator)
                )
            }
            (Atom::Count { metric, .. }, Some(Test::Count { value, .. })) => count(metric, *value),
            (Atom::Share { lhs, rhs, .. }, Some(Test::Share { lhs: l, rhs: r, .. })) => {
                format!("{}; {}", count(lhs, *l), count(rhs, *r))
            }
            (Atom::Flag { flag, value }, _) => {
                let known = match flag {
                    crate::model::PupilFlag::CompulsorySchoolAge => compulsory.is_some(),
                    _ => true,
                };
                match (value, known) {
                    (true, _) => format!("pupil.{}", flag.keyword()),
                    (false, _) => format!("not pupil.{}", flag.keyword()),
                }
            }
            (Atom::YearGroup { .. }, _) => {
                format!(
                    "pupil.year_group {}",
                    pupil
                        .year_group
                        .and_then(|y| y.number())
                        .map_or("unknown".into(), |n| n.to_string())
                )
            }
            (Atom::Stage { .. }, _) => format!(
                "pupil.stage {}",
                plan.stages.get(stage).map_or("", String::as_str)
            ),
            (Atom::Period { per, .. }, _) => format!(
                "{} of {}",
                crate::model::schedule::period_name(*per, shared.days.in_year(*per, day)),
                shared.days.year_label(day)
            ),
            _ => atom.to_string(),
        };
        parts.push(part);
    }
    parts.join("; ")
}
