//! AT240: a ladder's stage whose range is not inside the range of the stage before it.

use super::common::*;

pub static RULE: Rule = Rule {
    code: "AT240",
    name: "ladder-stages-not-nested",
    severity: Severity::Error,
    source: "the policy's own shape (docs/language.md, Ladders)",
    in_force: InForce::ALWAYS,
    docs: Docs {
        what: "Each stage of a ladder after the first, against the stage before it: every \
attendance in the later stage's range must be in the earlier one's, as in \"under 96%\", \"under \
94%\", \"under 90%\".",
        why: "A ladder's stages are passed through in order of depth: a pupil reaches stage 2 by \
going further than stage 1. A stage that holds where the one before does not cannot be reached \
by going deeper, so the order and the deepest-stage rule no longer say what the policy means.",
        example: r#"ladder attendance over year_to_date from 20 possible sessions {
  band stage_1 "Stage 1" under 90% stage monitor
  band stage_2 "Stage 2" under 95% stage listen
}"#,
        fix: "Write the stages from the shallowest to the deepest (`under 95%` before `under \
90%`), or, where the ranges are meant to be disjoint, write `bands` in place of `ladder`.",
    },
    check,
};

fn check(ctx: &Context) -> Vec<Finding> {
    let mut out = Vec::new();
    for (set, _) in school_ladders(ctx.policy) {
        for pair in set.bands.windows(2) {
            let [before, band] = pair else { continue };
            if within(&band.range, &before.range) {
                continue;
            }
            let outside = shape::regions(&[vec![band.range], vec![before.range]])
                .into_iter()
                .find(|r| r.holders == [0] && !r.interval.is_empty())
                .map(|r| r.interval.inequality_text())
                .unwrap_or_else(|| band.range.inequality_text());
            out.push(
                Finding::new(
                    &band.range_loc,
                    format!(
                        "the ladder's stage `{}` (\"{}\") is not inside the stage before it, `{}` (\"{}\"): at {outside} a pupil is on `{}` without having reached `{}`",
                        band.id, band.written, before.id, before.written, band.id, before.id
                    ),
                )
                .label("holds outside the stage before it")
                .related(&before.range_loc, format!("`{}`", before.id))
                .help(format!(
                    "a ladder goes from the shallowest stage to the deepest, each range inside the one before (`under 96%`, then `under 94%`): write `{}` before `{}` or narrow its range; for disjoint ranges write `bands` in place of `ladder`",
                    band.id, before.id
                )),
            );
        }
    }
    out
}
