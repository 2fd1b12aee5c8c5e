//! AT210: two statements of the same definition in one policy disagree.

use super::common::*;
use crate::model::{Origin, RatioMetric};

pub static RULE: Rule = Rule {
    code: "AT210",
    name: "definitions-disagree",
    severity: Severity::Error,
    source: "the policy's own definitions (national-rules.md §2 for the national ones)",
    in_force: InForce::ALWAYS,
    docs: Docs {
        what: "Each definition the school states more than once (`persistent_absence`, \
`severe_absence`, ...): every later statement, as an exact set of attendance values, against \
the first. Each range where they differ is reported with the smallest pupil in it.",
        why: "A policy that says \"miss 10% or more\" in one section and \"less than 90% \
attendance\" in a table gives two answers for a pupil at exactly 90%: 9 of 10 possible \
sessions is a persistent absentee by one and not by the other. attend uses the first statement; \
the school's staff may use either.",
        example: r#"define persistent_absence "miss 10% or more" when absence(year_to_date) >= 10%
define persistent_absence "less than 90%" when attendance(year_to_date) < 90%"#,
        fix: "State each definition once, in the national terms (`absence(year_to_date) >= 10%`), \
and refer to it by name (`when persistent_absence`).",
    },
    check,
};

fn check(ctx: &Context) -> Vec<Finding> {
    let policy = ctx.policy;
    let mut out = Vec::new();
    let school: Vec<_> = policy
        .definitions
        .iter()
        .filter(|d| d.origin == Origin::School)
        .collect();
    for (i, d) in school.iter().enumerate() {
        let Some(first) = school.iter().take(i).find(|f| f.name == d.name) else {
            continue;
        };
        let (Some((w1, s1)), Some((w2, s2))) = (
            attendance_set(policy, &first.condition),
            attendance_set(policy, &d.condition),
        ) else {
            continue;
        };
        let (line, _) = first.loc.line_col();
        if w1 != w2 {
            out.push(
                Finding::new(
                    &d.loc,
                    format!(
                        "`{}` is measured over `{w2}` here and over `{w1}` on line {line}",
                        d.name
                    ),
                )
                .label(format!("disagrees with line {line}"))
                .related(&first.loc, "first stated here")
                .help("state the definition once"),
            );
            continue;
        }
        for diff in differences(&s1, &s2, w1) {
            let region = shape::describe(RatioMetric::Attendance, &diff.interval);
            let (by, not_by) = if diff.first_only {
                (
                    format!("line {line} ({})", wording(first)),
                    format!("this one ({})", wording(d)),
                )
            } else {
                (
                    format!("this one ({})", wording(d)),
                    format!("line {line} ({})", wording(first)),
                )
            };
            let example = diff
                .example
                .map(|e| {
                    format!(
                        ": {} is `{}` by {by} but not by {not_by}",
                        shape::example_text(RatioMetric::Attendance, e, &diff.interval),
                        d.name
                    )
                })
                .unwrap_or_default();
            out.push(
                Finding::new(
                    &d.loc,
                    format!(
                        "the definitions of `{}` disagree at {region}{example}",
                        d.name
                    ),
                )
                .label(format!("disagrees with line {line}"))
                .related(&first.loc, "first stated here")
                .help(format!("state `{}` once and refer to it by name", d.name)),
            );
        }
    }
    out
}
