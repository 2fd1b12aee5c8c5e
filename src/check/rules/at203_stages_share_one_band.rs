//! AT203: several stages share one band, with nothing to tell them apart.

use super::common::*;

pub static RULE: Rule = Rule {
    code: "AT203",
    name: "stages-share-one-band",
    severity: Severity::Error,
    source: "the policy's own bands; WT, support first (national-rules.md §7)",
    in_force: InForce::ALWAYS,
    docs: Docs {
        what: "Bands of one table that hold exactly the same range but name different stages. \
Bands have no other condition, so nothing tells the stages apart: a pupil in that range is at \
all of them at once.",
        why: "The framework's stages follow one another: formal support comes after support has \
been offered, enforcement after support has not worked (national-rules.md §7). Three stages \
written \"90% AND BELOW\" put a pupil at 89% into facilitate, formalise and enforce on the same \
day.",
        example: r#"band facilitate "FACILITATE SUPPORT" 90% and below stage facilitate
band formalise "FORMALISE SUPPORT" 90% and below stage formalise
band enforce "ENFORCE" 90% and below stage enforce"#,
        fix: "Keep one band for the range (the first support stage) and move the later stages \
behind a condition that tells them apart: a support plan that `escalate to formalise` when its \
target is missed, or a trigger `when pupil.stage >= formalise and ...`.",
    },
    check,
};

fn check(ctx: &Context) -> Vec<Finding> {
    let mut out = Vec::new();
    for set in school_band_tables(ctx.policy) {
        for g in band_groups(set) {
            let stages = g.stages();
            if stages.len() < 2 {
                continue;
            }
            let Some(first) = g.first() else { continue };
            let names: Vec<String> = stages.iter().map(|s| format!("`{s}`")).collect();
            let mut finding = Finding::new(&first.range_loc, format!(
                "{} stages share the band `{}` with nothing to tell them apart: {}",
                stages.len(),
                written(first),
                list(&names)
            ))
            .label(format!("stage `{}`", first.stage.as_ref().map_or("", |s| s.id.as_str())))
            .help("keep one band for the range and reach the later stages through a plan or a trigger on `pupil.stage`");
            for b in g.members.iter().skip(1) {
                finding = finding.related(
                    &b.range_loc,
                    format!("stage `{}`", b.stage.as_ref().map_or("", |s| s.id.as_str())),
                );
            }
            out.push(finding);
        }
    }
    out
}

fn list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}
