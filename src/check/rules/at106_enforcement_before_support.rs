//! AT106: an enforcement action is reachable before the pupil has been offered support.

use super::common::*;
use crate::model::{ActionKind, FrameworkStage, Matter};

pub static RULE: Rule = Rule {
    code: "AT106",
    name: "enforcement-before-support",
    severity: Severity::Warning,
    source: "WT, support first (national-rules.md §7)",
    in_force: InForce::from(REG24_IN_FORCE),
    docs: Docs {
        what: "Every enforcement action the school wrote (`consider penalty_notice`, `consider \
prosecution`, `consider notice_to_improve`, `consider parenting_order`, `penalty_warning`) must \
be reachable only after a support stage (`facilitate` or `formalise`) has been offered:
- in a band, some band at a support stage must hold only higher attendance than this one (a band \
sharing its range with a support band is entered at the same moment);
- in a trigger or escalation step, its condition must require `pupil.stage >= facilitate` (or a \
later stage);
- in a support plan, only when the plan's target is missed.

Considering a penalty notice at the national threshold (10 unauthorised sessions in a rolling 10 \
school weeks) is exempt: the framework requires it to be considered whatever the stage; so is \
considering one on day 5 or later of a run of days marked only `G` (a term-time holiday without \
leave, 10 sessions), for which the framework offers no notice to improve.",
        why: "The framework puts support first: Expect, Monitor, Listen and understand, \
Facilitate support, Formalise support, and only then Enforce, when support has not worked or \
not been engaged with (national-rules.md §7).",
        example: r#"band listen "93.9% - 90%" 93.9% - 90% stage listen
band facilitate "90% and below" 90% and below stage facilitate
band enforce "90% and below" 90% and below stage enforce
  on enter: consider prosecution"#,
        fix: "Reach enforcement through a support stage: guard the trigger with `pupil.stage >= \
formalise`, or move the action to a support plan's `on miss:`.",
    },
    check,
};

fn check(ctx: &Context) -> Vec<Finding> {
    let policy = ctx.policy;
    let support = first_support_rank(policy);
    let mut out = Vec::new();
    for placed in school_actions(policy) {
        let kind = &placed.action.kind;
        if !kind.is_enforcement() {
            continue;
        }
        let problem: Option<String> = match placed.holder {
            Holder::Band { set, band } => {
                let supported_above = set.bands.iter().any(|other| {
                    other.stage.as_ref().is_some_and(|s| {
                        matches!(
                            s.framework,
                            FrameworkStage::Facilitate | FrameworkStage::Formalise
                        )
                    }) && shape::wholly_above(
                        &shape::as_attendance(set.metric, &other.range),
                        &shape::as_attendance(set.metric, &band.range),
                    )
                });
                let sharing = set.bands.iter().find(|other| {
                    other.id != band.id
                        && other.stage.as_ref().is_some_and(|s| {
                            s.rank >= support
                                && s.rank < band.stage.as_ref().map_or(usize::MAX, |b| b.rank)
                        })
                        && other.range == band.range
                });
                // A support band above this one but for the one value both include (`93% -
                // 90%` and `90% and below` share exactly 90%): support is there, and only a
                // pupil at that value meets both at once.
                let touching = set.bands.iter().find_map(|other| {
                    let is_support = other.stage.as_ref().is_some_and(|s| {
                        matches!(
                            s.framework,
                            FrameworkStage::Facilitate | FrameworkStage::Formalise
                        )
                    });
                    let shared = shared_end(
                        &shape::as_attendance(set.metric, &other.range),
                        &shape::as_attendance(set.metric, &band.range),
                    )?;
                    (is_support && other.id != band.id).then_some((other, shared))
                });
                if supported_above {
                    None
                } else if let Some((other, shared)) = touching {
                    Some(format!(
                        "the band `{}` and the support band `{}` both hold exactly {shared}, so a \
                         pupil at {shared} enters both at once",
                        band.id, other.id
                    ))
                } else if let Some(other) = sharing {
                    Some(format!(
                        "the band `{}` is entered at the same attendance as the support band `{}`",
                        band.id, other.id
                    ))
                } else {
                    Some(format!(
                        "no support band holds higher attendance than the band `{}`",
                        band.id
                    ))
                }
            }
            Holder::Step { .. } | Holder::Trigger(_) => {
                let Some(rows) = placed.holder.guard_rows(policy) else {
                    continue;
                };
                // A run of term-time holiday without leave (`G` only) of 10 sessions is the
                // national threshold met by one absence, which support cannot prevent
                // (national-rules.md §3: no notice to improve for term-time holidays).
                let holiday = matches!(placed.holder, Holder::Step { escalation, step }
                    if escalation.codes.0 == ["G"] && step.day >= 5);
                let exempt = *kind == ActionKind::Consider(Matter::PenaltyNotice)
                    && (is_penalty_threshold(&rows) || holiday);
                if exempt || rows_require_stage(&rows, support) {
                    None
                } else {
                    Some(format!(
                        "{} does not require the pupil to have reached a support stage",
                        placed.holder.describe()
                    ))
                }
            }
            Holder::Plan { event, .. } => match event {
                PlanEvent::Miss => None,
                PlanEvent::Open | PlanEvent::Met | PlanEvent::Every => Some(format!(
                    "{} before its support has had time to work",
                    placed.holder.describe()
                )),
            },
        };
        if let Some(problem) = problem {
            out.push(
                Finding::new(&placed.action.loc, format!("`{}` can be reached before support has been offered: {problem}", action_text(kind)))
                    .label("enforcement before support")
                    .help("reach enforcement only after a support stage, e.g. guard it with `pupil.stage >= formalise`"),
            );
        }
    }
    out
}

/// The one value two intervals share when `above` lies wholly above `below` but for it: its
/// lowest value is `below`'s highest, and both include it.
fn shared_end(
    above: &crate::model::Interval,
    below: &crate::model::Interval,
) -> Option<crate::model::Percent> {
    use std::ops::Bound;
    match (above.lo, below.hi) {
        (Bound::Included(a), Bound::Included(b)) if a == b => Some(a),
        _ => None,
    }
}
