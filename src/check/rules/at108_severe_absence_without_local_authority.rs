//! AT108: nothing brings the local authority in for severely absent pupils.

use super::common::*;
use crate::model::normal::Atom;
use crate::model::{Interval, Percent, RatioMetric};

pub static RULE: Rule = Rule {
    code: "AT108",
    name: "severe-absence-without-local-authority",
    severity: Severity::Warning,
    source: "WT, severe absence (national-rules.md §2)",
    in_force: InForce::from(REG24_IN_FORCE),
    docs: Docs {
        what: "That some band or trigger that holds for severely absent pupils (attendance of 50% \
or less) notifies or refers to the local authority.",
        why: "WT expects schools to agree a joint approach with the local authority for severely \
absent pupils (national-rules.md §2).",
        example: r#"bands attendance over year_to_date {
  band ok "ok" 90% ..= 100% stage expect
  band low "low" below 90% stage facilitate on enter: meeting parent
}"#,
        fix: "Add `notify local_authority` to the band or trigger for severe absence, e.g. a band \
`50% or below` with `on enter: notify local_authority \"agree a joint approach\"`.",
    },
    check,
};

fn check(ctx: &Context) -> Vec<Finding> {
    if !whole_policy(ctx) {
        return Vec::new();
    }
    let p = ctx.policy;
    let severe = Interval {
        lo: std::ops::Bound::Included(Percent::ZERO),
        hi: std::ops::Bound::Included(Percent::whole(50)),
    };
    let reaches_severe = |rows: &[Vec<Atom>]| {
        rows.iter().any(|row| {
            row.iter().any(|a| matches!(a, Atom::Ratio { metric: RatioMetric::Attendance, interval, .. } if shape::meet(interval, &severe)))
        })
    };
    let covered = all_actions(p).iter().any(|placed| {
        if !tells_local_authority(&placed.action.kind) {
            return false;
        }
        match placed.holder {
            Holder::Band { set, band } => {
                shape::meet(&shape::as_attendance(set.metric, &band.range), &severe)
            }
            Holder::Trigger(_) | Holder::Step { .. } => placed
                .holder
                .guard_rows(p)
                .is_some_and(|rows| reaches_severe(&rows)),
            // A plan opens at its stage: it covers severe absence when a band at that stage does.
            Holder::Plan { plan, .. } => p.band_sets.iter().any(|set| {
                set.bands.iter().any(|b| {
                    b.stage.as_ref().is_some_and(|s| s.id == plan.stage.id)
                        && shape::meet(&shape::as_attendance(set.metric, &b.range), &severe)
                })
            }),
        }
    });
    if covered {
        return Vec::new();
    }
    vec![
        Finding::new(
            &ctx.header(),
            "nothing brings the local authority in for severely absent pupils",
        )
        .label("no band or trigger for attendance of 50% or less tells the local authority")
        .help(
            "add `notify local_authority \"agree a joint approach\"` where severe absence begins",
        ),
    ]
}
