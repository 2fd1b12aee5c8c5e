//! AT242: a ladder stage's `held until CONDITION` whose condition can never release a pupil who
//! has left the stage's range: it holds for no pupil, or only while the pupil is still in it.

use super::common::*;
use crate::model::RatioMetric;
use crate::model::ladder::Hold;
use crate::model::normal::{self, Atom};

pub static RULE: Rule = Rule {
    code: "AT242",
    name: "ladder-exit-never-holds",
    severity: Severity::Error,
    source: "the policy's own shape (docs/language.md, Ladders)",
    in_force: InForce::ALWAYS,
    docs: Docs {
        what: "Each `held until CONDITION` of a ladder's stage: the condition must be able to hold \
for a pupil whose figures have left the stage's range, since that is the pupil it releases.",
        why: "A stage holds a pupil after their figures recover until its exit condition holds. An \
exit that holds for no pupil (`attendance(this_term) > 100%`), or only for pupils still in the \
stage's range (a stage `under 90%` held until attendance is `below 85%`), never releases anyone \
who has recovered: the pupil stays on the stage for good, which the policy cannot mean.",
        example: r#"ladder attendance over year_to_date {
  band stage_3 "Stage 3" under 90% stage facilitate
    held until attendance(year_to_date) < 85%
}"#,
        fix: "Write the exit as the recovery the policy describes (`held until \
attendance(rolling 4 school_weeks) >= 95% for 4 school_weeks`), or hold the stage for a stated \
time (`held until end of term`, `held for 6 school_weeks`).",
    },
    check,
};

fn check(ctx: &Context) -> Vec<Finding> {
    let mut out = Vec::new();
    for (set, ladder) in school_ladders(ctx.policy) {
        for (band, held) in set.bands.iter().zip(&ladder.held) {
            let Some(held) = held else { continue };
            let Hold::Until { when, .. } = &held.hold else {
                continue;
            };
            let Some(rows) = normal::rows(ctx.policy, when) else {
                continue;
            };
            let rows: Vec<Vec<Atom>> = rows
                .into_iter()
                .filter(|(_, ok)| *ok)
                .map(|(atoms, _)| atoms)
                .collect();
            let stage = if set.metric == RatioMetric::Absence {
                normal::mirror(band.range)
            } else {
                band.range
            };
            // A row releases a recovered pupil unless it requires the set's own measure to be
            // inside the stage's range.
            let inside = |row: &Vec<Atom>| {
                row.iter().any(|a| match a {
                    Atom::Ratio {
                        metric: RatioMetric::Attendance,
                        window,
                        interval,
                    } => *window == set.window && within(interval, &stage),
                    _ => false,
                })
            };
            let message = if rows.is_empty() {
                format!(
                    "the exit of `{}` can hold for no pupil: a pupil who climbs to it is held there for good",
                    band.id
                )
            } else if rows.iter().all(inside) {
                format!(
                    "the exit of `{}` holds only while the pupil is still in its range (\"{}\"): once their figures recover it never holds, so the pupil is held there for good",
                    band.id, band.written
                )
            } else {
                continue;
            };
            out.push(
                Finding::new(&held.loc, message)
                    .label("never releases a pupil who has recovered")
                    .related(&band.range_loc, format!("`{}`'s range", band.id))
                    .help("write the exit as the recovery the policy describes (`held until attendance(rolling 4 school_weeks) >= 95% for 4 school_weeks`), or a stated time (`held until end of term`)"),
            );
        }
    }
    out
}
