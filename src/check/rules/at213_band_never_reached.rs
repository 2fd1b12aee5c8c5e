//! AT213: a band that can never hold, because bands written before it in the same table cover
//! all of its range and the first band that holds wins.

use super::common::*;
use crate::model::Interval;

pub static RULE: Rule = Rule {
    code: "AT213",
    name: "band-never-reached",
    severity: Severity::Warning,
    source: "the policy's own shape (docs/language.md, bands)",
    in_force: InForce::ALWAYS,
    docs: Docs {
        what: "A band of a table whose whole range is held by bands written before it: a pupil \
is in the first band of a table that holds, so the later band, its stage and its entry actions \
are never reached.",
        why: "Tables written as a cumulative ladder (\"under 95%\", \"under 92%\", \"under 90%\") \
read naturally to a person, who takes the lowest line that applies; `attend` reads a table top \
to bottom and stops at the first band that holds, so every pupil under 95% stays at the first \
stage.",
        example: r#"bands attendance over year_to_date from 20 possible sessions {
  band stage_1 "under 95%" below 95% stage listen
  band stage_2 "under 90%" below 90% stage facilitate
}"#,
        fix: "Where the table is a cumulative ladder (each line \"under\" a lower figure, the \
deepest that applies wins), write it as one: `ladder attendance over year_to_date from 20 possible \
sessions in order { band stage_1 \"Stage 1\" under 95% stage listen  band stage_2 \"Stage 2\" \
under 90% stage facilitate }` (docs/language.md, Ladders); `in order` keeps \"Stage 2 only after \
Stage 1\". Otherwise make the bands disjoint ranges (`90% .. 95%` above `below 90%`), or write \
the most serious band first.",
    },
    check,
};

fn check(ctx: &Context) -> Vec<Finding> {
    let mut out = Vec::new();
    for set in school_band_tables(ctx.policy) {
        for (i, band) in set.bands.iter().enumerate() {
            let earlier: Vec<Interval> = set.bands.iter().take(i).map(|b| b.range).collect();
            if earlier.is_empty() || band.range.is_empty() {
                continue;
            }
            // Regions of the band's range that no earlier band holds.
            let mut layers = vec![vec![band.range]];
            layers.extend(earlier.iter().map(|r| vec![*r]));
            let free = shape::regions(&layers)
                .into_iter()
                .any(|r| r.holders == [0] && !r.interval.is_empty());
            if free {
                continue;
            }
            let covering: Vec<String> = set
                .bands
                .iter()
                .take(i)
                .filter(|b| !b.range.intersect(&band.range).is_empty())
                .map(|b| format!("`{}`", b.id))
                .collect();
            let what = match &band.stage {
                Some(s) => format!(
                    "the band `{}` and its stage `{}` can never be reached",
                    band.id, s.id
                ),
                None => format!("the band `{}` can never be reached", band.id),
            };
            let mut f = Finding::new(
                &band.range_loc,
                format!(
                    "{what}: {} written before it {} all of its range, and the first band that holds wins",
                    covering.join(", "),
                    if covering.len() == 1 { "holds" } else { "hold" }
                ),
            )
            .label("every value here is in an earlier band")
            .help(if set.bands.iter().take(i).any(|b| b.range == band.range) {
                String::from("stages at the same attendance follow each other in time, not in the table: keep one band and move pupils on with a support plan (`plan \"...\" at facilitate { review after 6 school_weeks  target attendance(rolling 6 school_weeks) >= 90%  escalate to formalise }`), or write a `ladder` whose stages share the range, entered `in order after 3 school_weeks`")
            } else {
                let ladder: Vec<&crate::model::Band> = set
                    .bands
                    .iter()
                    .take(i + 1)
                    .filter(|b| !b.range.intersect(&band.range).is_empty())
                    .collect();
                ladder_help(set, &ladder)
            });
            for b in set.bands.iter().take(i) {
                if !b.range.intersect(&band.range).is_empty() {
                    f = f.related(&b.range_loc, format!("`{}` holds it first", b.id));
                }
            }
            out.push(f);
        }
    }
    out
}
