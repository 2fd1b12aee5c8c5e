//! AT004: the penalty-notice threshold is not 10 unauthorised sessions in a rolling 10 school
//! weeks.

use super::common::*;
use crate::model::normal::{self, Atom};
use crate::model::{ActionKind, CountMetric, Matter, Origin, SessionClass, Window};

pub static RULE: Rule = Rule {
    code: "AT004",
    name: "penalty-threshold-not-national",
    severity: Severity::Error,
    source: "PNF: national framework for penalty notices; Education (Penalty Notices) (England) (Amendment) Regulations 2024 (national-rules.md §3)",
    in_force: InForce::ALWAYS,
    docs: Docs {
        what: "The school's `penalty_notices { threshold ... }`, and every trigger of the school's \
that considers a penalty notice on a count of unauthorised sessions: the threshold must be 10 \
sessions in a rolling 10 school weeks (`unauthorised(rolling 10 school_weeks) >= 10`).",
        why: "A penalty notice must be considered when a pupil reaches 10 sessions of \
unauthorised absence within a rolling period of 10 school weeks; the period can span terms and \
school years (national-rules.md §3, confirmed in seed 002 §10). A higher threshold fails to \
consider notices the framework requires; a lower one, or a window that restarts each term \
(`this_term`) or year (`year_to_date`), departs from the single national threshold.",
        example: r#"penalty_notices { threshold 12 sessions in rolling 10 school_weeks }
trigger "penalty" when unauthorised(this_term) >= 10 then consider penalty_notice"#,
        fix: "Write `threshold 10 sessions in rolling 10 school_weeks` and count \
`unauthorised(rolling 10 school_weeks) >= 10`; or leave the threshold out and `extends \
national`.",
    },
    check,
};

fn national(sessions: u32, window: Window) -> bool {
    sessions == 10 && window == Window::RollingWeeks(10)
}

fn check(ctx: &Context) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Some(t) = &ctx.policy.penalty_notices.threshold
        && t.origin == Origin::School
        && !national(t.sessions, t.window)
    {
        out.push(
            Finding::new(
                &t.loc,
                format!(
                    "the penalty-notice threshold is {} sessions in {}",
                    t.sessions, t.window
                ),
            )
            .label("not the national threshold")
            .help("the national threshold is `10 sessions in rolling 10 school_weeks`"),
        );
    }
    for t in ctx
        .policy
        .triggers
        .iter()
        .filter(|t| t.origin == Origin::School)
    {
        if !t
            .actions
            .iter()
            .any(|a| a.kind == ActionKind::Consider(Matter::PenaltyNotice))
        {
            continue;
        }
        let Some(rows) = normal::rows(ctx.policy, &t.condition) else {
            continue;
        };
        let counts: Vec<(String, u32, Window)> = rows
            .iter()
            .filter(|(_, ok)| *ok)
            .flat_map(|(row, _)| row.iter())
            .filter_map(|a| match a {
                Atom::Count {
                    metric:
                        m @ CountMetric::Sessions {
                            class: SessionClass::Unauthorised,
                            window,
                        },
                    range,
                } => Some((m.to_string(), range.lo, *window)),
                Atom::Count {
                    metric: m @ CountMetric::Codes { window, .. },
                    range,
                } => Some((m.to_string(), range.lo, *window)),
                _ => None,
            })
            .collect();
        if let Some((metric, lo, window)) = counts.into_iter().find(|(_, lo, w)| !national(*lo, *w))
        {
            let why = match window {
                Window::RollingWeeks(10) => format!("at {lo} sessions"),
                Window::RollingWeeks(_) | Window::LastDays(_) => format!("over `{window}`"),
                Window::YearToDate | Window::ThisTerm | Window::ThisHalfTerm => {
                    format!(
                        "over {window}, which restarts instead of rolling across terms and years"
                    )
                }
            };
            out.push(
                Finding::new(
                    &first_line(&t.loc),
                    format!("the trigger `{}` considers a penalty notice {why}", t.name),
                )
                .label(format!("counts `{metric}` from {lo}"))
                .help("the national threshold is `unauthorised(rolling 10 school_weeks) >= 10`"),
            );
        }
    }
    out
}
