//! AT003: deletion from roll considered before 20 school days, or over codes that break the
//! period.

use super::common::*;
use crate::model::normal::Atom;
use crate::model::{ActionKind, CountMetric, Matter, Origin};

pub static RULE: Rule = Rule {
    code: "AT003",
    name: "deletion-from-roll-on-wrong-grounds",
    severity: Severity::Error,
    source: "REG24 reg 9(1)(i) (national-rules.md §4)",
    in_force: InForce::ALWAYS,
    docs: Docs {
        what: "Every `consider deletion_from_roll` the school wrote: in an escalation, the step \
must be on day 20 or later and the escalation must count only days marked `G`, `N` or `O`; in a \
trigger, its `consecutive_days(...)` count must be of those codes only and reach 20.",
        why: "A pupil's name is deleted from the admission register when the pupil has been \
continuously absent for at least 20 school days, every session of that period coded `G`, `N` or \
`O` (any other code, `U` included, breaks the period), the school has no reasonable grounds to \
think the absence is caused by sickness or an unavoidable cause, and the school and the local \
authority have failed, after jointly making reasonable enquiries, to find the pupil \
(national-rules.md §4). Those conditions are as restated by a law firm's note on REG24 reg 9; \
the regulation's own text was not read for attend.",
        example: r#"escalation "continuous unauthorised absence" days marked {G, N, O, U} {
  day 20: consider deletion_from_roll
}"#,
        fix: "Count only `{G, N, O}` and consider deletion at `day 20` or later; the national \
`continuous-absence` ladder does both.",
    },
    check,
};

fn check(ctx: &Context) -> Vec<Finding> {
    let mut out = Vec::new();
    let allowed = ["G", "N", "O"];
    for e in ctx
        .policy
        .escalations
        .iter()
        .filter(|e| e.origin == Origin::School)
    {
        for step in &e.steps {
            let Some(action) = step
                .actions
                .iter()
                .find(|a| a.kind == ActionKind::Consider(Matter::DeletionFromRoll))
            else {
                continue;
            };
            if step.day < 20 {
                out.push(
                    Finding::new(&action.loc, format!("deletion from roll considered on day {}, before 20 school days of absence", step.day))
                        .label(format!("day {}", step.day))
                        .related(&first_line(&e.loc), "the run of absence")
                        .help("consider deletion from roll at `day 20` or later"),
                );
            }
            let extra: Vec<&str> = e
                .codes
                .0
                .iter()
                .map(String::as_str)
                .filter(|c| !allowed.contains(c))
                .collect();
            if !extra.is_empty() {
                out.push(
                    Finding::new(&action.loc, format!(
                        "deletion from roll counts days marked {}, which break the 20-day period",
                        code_list(&extra)
                    ))
                    .label("considered after a run that is not all `G`, `N` or `O`")
                    .related(&first_line(&e.loc), format!("counts {}", e.codes))
                    .help("count the run for deletion over `{G, N, O}` only, in an escalation of its own"),
                );
            }
        }
    }
    for t in ctx
        .policy
        .triggers
        .iter()
        .filter(|t| t.origin == Origin::School)
    {
        let Some(action) = t
            .actions
            .iter()
            .find(|a| a.kind == ActionKind::Consider(Matter::DeletionFromRoll))
        else {
            continue;
        };
        let Some(rows) = crate::model::normal::rows(ctx.policy, &t.condition) else {
            continue;
        };
        let runs: Vec<(Vec<String>, u32)> = rows
            .iter()
            .filter(|(_, ok)| *ok)
            .flat_map(|(row, _)| row.iter())
            .filter_map(|a| match a {
                Atom::Count {
                    metric: CountMetric::ConsecutiveDays { codes },
                    range,
                } => Some((codes.0.clone(), range.lo)),
                _ => None,
            })
            .collect();
        let ok = !runs.is_empty()
            && runs.iter().all(|(codes, lo)| {
                *lo >= 20 && codes.iter().all(|c| allowed.contains(&c.as_str()))
            });
        if !ok {
            out.push(
                Finding::new(&action.loc, format!(
                    "the trigger `{}` considers deletion from roll without 20 consecutive school days marked `G`, `N` or `O`",
                    t.name
                ))
                .label("considered here")
                .related(&first_line(&t.loc), "the condition")
                .help("guard it with `consecutive_days({G, N, O}) >= 20 days`"),
            );
        }
    }
    out
}
