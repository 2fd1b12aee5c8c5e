//! AT204: a band for lower attendance names a milder stage than a band above it.

use std::cmp::Ordering;
use std::ops::Bound;

use super::common::*;
use crate::model::{Band, Interval, Percent};

pub static RULE: Rule = Rule {
    code: "AT204",
    name: "stage-eases-as-attendance-falls",
    severity: Severity::Warning,
    source: "WT, support first: stages in order of severity (national-rules.md §7)",
    in_force: InForce::ALWAYS,
    docs: Docs {
        what: "Each band table's bands that name a stage, ordered from the highest attendance to \
the lowest: a band's stage must be at least as severe as every stage above it.",
        why: "The framework's stages rise in severity as attendance falls (national-rules.md §7). \
A pupil whose attendance falls from 93% to 88% should not move from `listen` back to `monitor`.",
        example: r#"band a "high" 90% ..= 100% stage listen
band b "low" below 90% stage monitor"#,
        fix: "Give lower bands the later stages, or correct the ranges.",
    },
    check,
};

fn check(ctx: &Context) -> Vec<Finding> {
    let mut out = Vec::new();
    for set in school_band_tables(ctx.policy) {
        let mut staged: Vec<(&Band, Interval)> = set
            .bands
            .iter()
            .filter(|b| b.stage.is_some())
            .map(|b| (b, shape::as_attendance(set.metric, &b.range)))
            .collect();
        staged.sort_by(|(_, a), (_, b)| higher_first(a, b));
        let mut worst: Option<(&Band, usize)> = None;
        for (band, interval) in &staged {
            let Some(stage) = &band.stage else { continue };
            if let Some((above, rank)) = worst {
                let same_range = shape::as_attendance(set.metric, &above.range) == *interval;
                if stage.rank < rank && !same_range {
                    let above_stage = above.stage.as_ref().map_or("", |s| s.id.as_str());
                    out.push(
                        Finding::new(&band.range_loc, format!(
                            "the band `{}` is at stage `{}`, milder than stage `{above_stage}` of `{}` for higher attendance",
                            band.id, stage.id, above.id
                        ))
                        .label(format!("stage `{}`", stage.id))
                        .related(&above.range_loc, format!("stage `{above_stage}`"))
                        .help("stages should grow more severe as attendance falls"),
                    );
                }
            }
            if worst.is_none_or(|(_, r)| stage.rank > r) {
                worst = Some((band, stage.rank));
            }
        }
    }
    out
}

/// Orders intervals from the highest values to the lowest, by upper end then lower end.
fn higher_first(a: &Interval, b: &Interval) -> Ordering {
    key(b.hi).cmp(&key(a.hi)).then(key(b.lo).cmp(&key(a.lo)))
}

fn key(b: Bound<Percent>) -> (u32, u8) {
    match b {
        Bound::Included(p) => (p.0, 1),
        Bound::Excluded(p) => (p.0, 0),
        Bound::Unbounded => (0, 0),
    }
}
