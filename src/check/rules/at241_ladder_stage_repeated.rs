//! AT241: a ladder's stage that names the same stage as the one before it, or a milder one.

use super::common::*;

pub static RULE: Rule = Rule {
    code: "AT241",
    name: "ladder-stage-repeated",
    severity: Severity::Error,
    source: "the policy's own shape (docs/language.md, Ladders); WT, support first (national-rules.md §7)",
    in_force: InForce::ALWAYS,
    docs: Docs {
        what: "The stages a ladder's bands name, from the shallowest to the deepest: each must be \
more severe than every stage named above it.",
        why: "A ladder is the order a pupil passes through: a stage named twice (\"Stage 2\" and \
\"Stage 3\" both `listen`) or a milder stage further down means going deeper leaves the pupil \
where they were, or moves them back, and `in order` then steps through a stage that is not one.",
        example: r#"ladder attendance over year_to_date in order {
  band stage_1 "Stage 1" under 96% stage listen
  band stage_2 "Stage 2" under 94% stage listen
}"#,
        fix: "Give each deeper band a later stage (`listen`, then `facilitate`), or merge the \
two bands into one.",
    },
    check,
};

fn check(ctx: &Context) -> Vec<Finding> {
    let mut out = Vec::new();
    for (set, _) in school_ladders(ctx.policy) {
        let mut above: Option<(&crate::model::Band, &crate::model::StageRef)> = None;
        for band in &set.bands {
            let Some(stage) = &band.stage else { continue };
            if let Some((prev, prev_stage)) = above
                && stage.rank <= prev_stage.rank
            {
                let what = if stage.rank == prev_stage.rank {
                    format!(
                        "the ladder names the stage `{}` twice: `{}` and `{}`, deeper, are the same stage",
                        stage.id, prev.id, band.id
                    )
                } else {
                    format!(
                        "the ladder's deeper stage `{}` names `{}`, milder than `{}` on `{}` before it",
                        band.id, stage.id, prev_stage.id, prev.id
                    )
                };
                out.push(
                    Finding::new(&band.loc, what)
                        .label("not more severe than the stage before it")
                        .related(&prev.loc, format!("`{}`: stage `{}`", prev.id, prev_stage.id))
                        .help(format!(
                            "give `{}` a stage after `{}` (stages from least to most severe: {}), or merge the two bands",
                            band.id,
                            prev_stage.id,
                            ctx.policy
                                .stages
                                .iter()
                                .map(|s| s.id.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        )),
                );
            }
            if above.is_none_or(|(_, s)| stage.rank > s.rank) {
                above = Some((band, stage));
            }
        }
    }
    out
}
