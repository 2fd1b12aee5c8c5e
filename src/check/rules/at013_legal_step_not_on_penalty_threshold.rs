//! AT013: a penalty notice, a legal step or a referral for one is tied to something other than
//! the national threshold, wherever it is written (a band, a ladder step, a trigger).

use super::common::*;
use crate::model::normal::Atom;
use crate::model::{ActionKind, CountMetric, Matter, SessionClass};

pub static RULE: Rule = Rule {
    code: "AT013",
    name: "legal-step-not-on-penalty-threshold",
    severity: Severity::Warning,
    source: "PNF: national framework for penalty notices (national-rules.md §3)",
    in_force: InForce::from(REG24_IN_FORCE),
    docs: Docs {
        what: "Every action of the school's that leads to a penalty notice or other legal step \
(`consider penalty_notice`, `consider prosecution`, `consider parenting_order`, \
`penalty_warning`, or a referral to the local authority whose note speaks of a penalty notice, \
a fine, prosecution or legal action) that is written on an attendance band, on a trigger that \
does not count unauthorised sessions, or on a ladder step that is not at least 5 consecutive \
days of unauthorised codes. Triggers that count unauthorised sessions to consider a penalty \
notice are AT004's.",
        why: "A penalty notice must be considered when a pupil reaches 10 sessions of \
unauthorised absence within a rolling 10 school weeks, any mix of unauthorised codes counting \
(national-rules.md §3). An attendance percentage counts illness and other authorised absence \
too, so a band at \"below 90%\" can lead a parent towards a penalty for absence the school \
authorised, and leaves out a pupil who reaches 10 unauthorised sessions with attendance \
above the band.",
        example: r#"bands attendance over year_to_date from 20 possible sessions {
  band low "92% - 93%" 92% ..= 93% on enter: consider penalty_notice
}"#,
        fix: "Tie the step to the national threshold: `trigger \"penalty threshold\" when \
unauthorised(rolling 10 school_weeks) >= 10 then consider penalty_notice`, and keep the \
band's actions to support.",
    },
    check,
};

/// An action that is, or asks the local authority for, a penalty notice or a legal step.
fn legal_step(kind: &ActionKind, note: Option<&str>) -> bool {
    match kind {
        ActionKind::Consider(m) => matches!(
            m,
            Matter::PenaltyNotice | Matter::Prosecution | Matter::ParentingOrder
        ),
        ActionKind::PenaltyWarning => true,
        k if tells_local_authority(k) => note.is_some_and(|n| {
            let n = n.to_ascii_lowercase();
            ["penalty", "fine", "prosecut", "legal", "court"]
                .iter()
                .any(|w| n.contains(w))
        }),
        _ => false,
    }
}

/// Whether a row counts unauthorised sessions (or unauthorised codes) at all.
fn counts_unauthorised(ctx: &Context, row: &[Atom]) -> bool {
    let unauthorised = unauthorised_codes(ctx);
    row.iter().any(|a| match a {
        Atom::Count { metric, .. } => match metric {
            CountMetric::Sessions { class, .. } => *class == SessionClass::Unauthorised,
            CountMetric::Codes { codes, .. } | CountMetric::ConsecutiveDays { codes } => {
                !codes.0.is_empty() && codes.0.iter().all(|c| unauthorised.contains(&c.as_str()))
            }
            CountMetric::NoticesIssued { .. } => false,
        },
        _ => false,
    })
}

fn check(ctx: &Context) -> Vec<Finding> {
    let unauthorised = unauthorised_codes(ctx);
    let mut out = Vec::new();
    for placed in school_actions(ctx.policy) {
        let action = placed.action;
        if !legal_step(&action.kind, action.note.as_deref()) {
            continue;
        }
        let tied = match placed.holder {
            Holder::Band { set, .. } => Some(format!(
                "an attendance band ({} over `{}`)",
                set.metric.keyword(),
                set.window
            )),
            Holder::Step { escalation, step } => {
                let all_unauthorised = !escalation.codes.0.is_empty()
                    && escalation
                        .codes
                        .0
                        .iter()
                        .all(|c| unauthorised.contains(&c.as_str()));
                // Five whole school days of unauthorised codes are ten sessions within one
                // school week: the national threshold is met by then.
                (!(all_unauthorised && step.day >= 5)).then(|| {
                    format!(
                        "day {} of a run of days marked {}",
                        step.day, escalation.codes
                    )
                })
            }
            Holder::Trigger(_) => match placed.holder.guard_rows(ctx.policy) {
                Some(rows) if rows.iter().all(|r| !counts_unauthorised(ctx, r)) => {
                    Some("a condition that counts no unauthorised sessions".to_string())
                }
                _ => None,
            },
            Holder::Plan { plan, .. } => Some(format!("the review of the plan `{}`", plan.name)),
        };
        let Some(tied) = tied else { continue };
        out.push(
            Finding::new(
                &action.loc,
                format!(
                    "`{}` in {} is tied to {tied}, not to the national penalty threshold",
                    action_text(&action.kind),
                    placed.holder.describe()
                ),
            )
            .label("not 10 unauthorised sessions in a rolling 10 school weeks")
            .help(
                "consider a penalty notice from a trigger on the national threshold: `when \
unauthorised(rolling 10 school_weeks) >= 10 then consider penalty_notice`",
            ),
        );
    }
    out
}
