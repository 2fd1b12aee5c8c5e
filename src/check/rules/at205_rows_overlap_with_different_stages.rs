//! AT205: a trigger and a band (or two triggers) hold for the same pupils but name different
//! stages.

use super::common::*;
use crate::model::normal::{self, Atom};
use crate::model::{Interval, Origin, RatioMetric, Trigger, Window};

pub static RULE: Rule = Rule {
    code: "AT205",
    name: "rows-overlap-with-different-stages",
    severity: Severity::Warning,
    source: "the policy's own rules; WT, support first (national-rules.md §7)",
    in_force: InForce::ALWAYS,
    docs: Docs {
        what: "Each trigger of the school's that names a stage, against the bands and the other \
staged triggers that measure attendance over the same window: where both can hold for the same \
attendance (and their other conditions do not exclude each other) but they name different \
stages, the overlap is reported with the smallest pupil in it.",
        why: "Each row of the decision table says which stage a pupil is at. Two rows that hold \
together and disagree leave the pupil at two stages, so which support or enforcement applies \
depends on the order the engine happens to read them.",
        example: r#"bands attendance over year_to_date {
  band persistent "PA" below 90% stage facilitate
}
trigger "severe" when attendance(year_to_date) < 80% then notify local_authority stage formalise"#,
        fix: "Give the trigger the stage of the band it falls in, or narrow its condition so it \
holds only where that stage applies. Where the band and the trigger are stages a pupil goes \
deeper through (\"under 95%\", then \"under 90%\"), write them as the stages of one `ladder`, \
whose deepest stage reached applies (docs/language.md, Ladders).",
    },
    check,
};

/// The attendance intervals a trigger's rows require on one window.
fn ratio_rows(policy: &crate::model::Policy, t: &Trigger) -> Vec<(Window, Interval, Vec<Atom>)> {
    let Some(rows) = normal::rows(policy, &t.condition) else {
        return Vec::new();
    };
    rows.into_iter()
        .filter(|(_, ok)| *ok)
        .flat_map(|(row, _)| {
            let ratios: Vec<(Window, Interval)> = row
                .iter()
                .filter_map(|a| match a {
                    Atom::Ratio {
                        metric: RatioMetric::Attendance,
                        window,
                        interval,
                    } => Some((*window, *interval)),
                    _ => None,
                })
                .collect();
            ratios.into_iter().map(move |(w, i)| (w, i, row.clone()))
        })
        .collect()
}

/// Whether the row allows a pupil at this stage rank (it may require another stage).
fn allows_stage(row: &[Atom], rank: usize) -> bool {
    row.iter().all(|a| match a {
        Atom::Stage { lo, hi, .. } => *lo <= rank && rank <= *hi,
        _ => true,
    })
}

fn flags_clash(a: &[Atom], b: &[Atom]) -> bool {
    a.iter().any(|x| match x {
        Atom::Flag { flag, value } => b
            .iter()
            .any(|y| matches!(y, Atom::Flag { flag: f, value: v } if f == flag && v != value)),
        _ => false,
    })
}

fn check(ctx: &Context) -> Vec<Finding> {
    let policy = ctx.policy;
    let mut out = Vec::new();
    let staged: Vec<&Trigger> = policy
        .triggers
        .iter()
        .filter(|t| t.stage.is_some())
        .collect();
    for (i, t) in staged.iter().enumerate() {
        if t.origin != Origin::School {
            continue;
        }
        let Some(stage) = &t.stage else { continue };
        let rows = ratio_rows(policy, t);
        // A ladder's stages are meant to be gone deeper than: its own checks are AT240-AT243.
        for set in school_band_tables(policy) {
            for band in &set.bands {
                let Some(band_stage) = &band.stage else {
                    continue;
                };
                if band_stage.id == stage.id {
                    continue;
                }
                let band_interval = shape::as_attendance(set.metric, &band.range);
                let hit = rows
                    .iter()
                    .filter(|(w, _, row)| *w == set.window && allows_stage(row, band_stage.rank))
                    .find_map(|(w, interval, _)| {
                        let both = shape::intersect(interval, &band_interval);
                        let e = shape::smallest_pair(
                            &both,
                            t.min_possible.max(set.min_possible),
                            shape::max_possible(*w),
                        )?;
                        Some((both, e))
                    });
                if let Some((both, e)) = hit {
                    out.push(
                        Finding::new(&first_line(&t.loc), format!(
                            "the trigger `{}` (stage `{}`) and the band `{}` (stage `{}`) both hold for {}: e.g. {}",
                            t.name,
                            stage.id,
                            band.id,
                            band_stage.id,
                            shape::describe(RatioMetric::Attendance, &both),
                            shape::example_text(RatioMetric::Attendance, e, &both)
                        ))
                        .label(format!("stage `{}`", stage.id))
                        .related(&band.range_loc, format!("stage `{}`", band_stage.id))
                        .help("give the trigger the stage of the band it falls in, or narrow its condition; where they are stages a pupil goes deeper through (\"under 95%\", then \"under 90%\"), write them as one `ladder` (docs/language.md, Ladders)"),
                    );
                }
            }
        }
        for other in staged.iter().skip(i + 1) {
            let Some(other_stage) = &other.stage else {
                continue;
            };
            if other_stage.id == stage.id {
                continue;
            }
            let other_rows = ratio_rows(policy, other);
            let hit = rows.iter().find_map(|(w, a, ra)| {
                other_rows
                    .iter()
                    .filter(|(w2, _, rb)| w2 == w && !flags_clash(ra, rb))
                    .find_map(|(_, b, _)| {
                        let both = shape::intersect(a, b);
                        let e = shape::smallest_pair(
                            &both,
                            t.min_possible.max(other.min_possible),
                            shape::max_possible(*w),
                        )?;
                        Some((both, e))
                    })
            });
            if let Some((both, e)) = hit {
                out.push(
                    Finding::new(&first_line(&other.loc), format!(
                        "the triggers `{}` (stage `{}`) and `{}` (stage `{}`) both hold for {}: e.g. {}",
                        t.name,
                        stage.id,
                        other.name,
                        other_stage.id,
                        shape::describe(RatioMetric::Attendance, &both),
                        shape::example_text(RatioMetric::Attendance, e, &both)
                    ))
                    .label(format!("stage `{}`", other_stage.id))
                    .related(&first_line(&t.loc), format!("stage `{}`", stage.id))
                    .help("give both the same stage, or narrow one condition"),
                );
            }
        }
    }
    out
}
