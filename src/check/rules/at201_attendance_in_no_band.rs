//! AT201: some attendance between 0% and 100% falls in no band.

use std::ops::Bound;

use super::common::*;
use crate::model::Percent;

pub static RULE: Rule = Rule {
    code: "AT201",
    name: "attendance-in-no-band",
    severity: Severity::Error,
    source: "the policy's own bands (docs/language.md, bands: exactly one band for every value 0%..100%)",
    in_force: InForce::ALWAYS,
    docs: Docs {
        what: "Each band table, over the exact domain of whole sessions: every value from 0% to \
100% must fall in some band. Each gap is reported with the smallest pupil in it: the fewest \
possible sessions (at least the table's `from N possible sessions`), then the fewest sessions \
attended. Where no pupil with at most 400 possible sessions (a school year; fewer for a short \
window such as `rolling 6 school_weeks`) can land in the gap, the finding is only info.",
        why: "A band table is a policy's promise that every pupil has a stage. Ranges written as \
`100% - 96%` and `95.9% - 94%` leave every attendance above 95.9% and below 96% without one: a \
pupil with 47 of 49 possible sessions (95.92%) gets no stage and none of its actions.",
        example: r#"bands attendance over year_to_date {
  band expect "EXPECT" 100% - 96% stage expect
  band monitor "MONITOR" 95.9% - 94% stage monitor
  band rest "below" below 94% stage listen
}"#,
        fix: "Make neighbouring ranges meet: `96% ..= 100%`, `94% .. 96%` (94% up to but not \
including 96%), `below 94%`.",
    },
    check,
};

fn check(ctx: &Context) -> Vec<Finding> {
    let mut out = Vec::new();
    for set in school_band_tables(ctx.policy) {
        let groups = band_groups(set);
        let sets: Vec<Vec<crate::model::Interval>> =
            groups.iter().map(|g| vec![g.interval]).collect();
        for region in shape::regions(&sets)
            .into_iter()
            .filter(|r| r.holders.is_empty())
        {
            let gap = region.interval;
            let below = groups
                .iter()
                .find(|g| touches_below(&g.interval, &gap))
                .and_then(|g| g.first());
            let above = groups
                .iter()
                .find(|g| touches_above(&g.interval, &gap))
                .and_then(|g| g.first());
            let what = shape::describe(set.metric, &gap);
            let mut finding = match band_example(set, &gap) {
                Some(example) => {
                    let also = shape::closed_end(&gap)
                        .and_then(|p| {
                            let point = crate::model::Interval {
                                lo: Bound::Included(p),
                                hi: Bound::Included(p),
                            };
                            let e = shape::smallest_pair(
                                &point,
                                set.min_possible,
                                shape::max_possible(set.window),
                            )?;
                            Some(format!(
                                ", and at exactly {p}, {} of {} possible sessions",
                                e.sessions, e.possible
                            ))
                        })
                        .unwrap_or_default();
                    Finding::new(
                        &primary(set, below, above),
                        format!("{what} falls in no band: e.g. {example}{also}"),
                    )
                }
                None => Finding::new(
                    &primary(set, below, above),
                    format!("{what} falls in no band, but {}", unreachable_note(set)),
                )
                .severity(Severity::Info),
            };
            // Only a gap between two bands has neighbours to meet; one at either end of the
            // scale needs the last band extended or a band of its own.
            let help = match (below, above) {
                (Some(b), Some(a)) => {
                    finding = finding
                        .label(ends_label(b))
                        .related(&a.range_loc, starts_label(a));
                    "make neighbouring ranges meet, e.g. `94% .. 96%` holds 94% up to but not including 96%".to_string()
                }
                (Some(b), None) => {
                    finding = finding.label(ends_label(b));
                    format!(
                        "no band lies above `{}`: extend it up to and including 100%, or add a band for {what}",
                        b.id
                    )
                }
                (None, Some(a)) => {
                    finding = finding.label(starts_label(a));
                    format!(
                        "no band lies below `{}`: extend it down to 0%, or add a band for {what}",
                        a.id
                    )
                }
                (None, None) => {
                    finding = finding.label("no band holds it");
                    format!("add a band for {what}")
                }
            };
            out.push(finding.help(help));
        }
    }
    out
}

fn primary(
    set: &crate::model::BandSet,
    below: Option<&crate::model::Band>,
    above: Option<&crate::model::Band>,
) -> crate::source::Loc {
    below
        .or(above)
        .map_or_else(|| first_line(&set.loc), |b| b.range_loc.clone())
}

/// The band whose upper end is where the gap starts.
fn touches_below(band: &crate::model::Interval, gap: &crate::model::Interval) -> bool {
    match (band.hi, gap.lo) {
        (Bound::Included(a), Bound::Excluded(b)) | (Bound::Excluded(a), Bound::Included(b)) => {
            a == b
        }
        _ => false,
    }
}

/// The band whose lower end is where the gap stops.
fn touches_above(band: &crate::model::Interval, gap: &crate::model::Interval) -> bool {
    match (band.lo, gap.hi) {
        (Bound::Included(a), Bound::Excluded(b)) | (Bound::Excluded(a), Bound::Included(b)) => {
            a == b
        }
        _ => false,
    }
}

fn ends_label(b: &crate::model::Band) -> String {
    match b.range.hi {
        Bound::Included(p) if p == Percent::HUNDRED => format!("`{}` ends at 100%", b.id),
        Bound::Included(p) => format!("`{}` ends at {p}", b.id),
        Bound::Excluded(p) => format!("`{}` ends just below {p}", b.id),
        Bound::Unbounded => format!("`{}`", b.id),
    }
}

fn starts_label(b: &crate::model::Band) -> String {
    match b.range.lo {
        Bound::Included(p) => format!("`{}` starts at {p}", b.id),
        Bound::Excluded(p) => format!("`{}` starts just above {p}", b.id),
        Bound::Unbounded => format!("`{}`", b.id),
    }
}
