//! AT320: the document's own wording of a band leaves an end open (`Below 96%- 94%`), and the
//! transcription states which reading it takes.

use super::common::*;

pub static RULE: Rule = Rule {
    code: "AT320",
    name: "band-wording-ambiguous",
    severity: Severity::Info,
    source: "good practice (docs/language.md, bands: `read as`)",
    in_force: InForce::ALWAYS,
    docs: Docs {
        what: "A band whose range, as the school worded it, bounds one end with a word (`below \
96%`) and leaves the other bare (`94%`), so the document does not say whether that percentage \
is in the band; the policy states the reading it takes with `read as`.",
        why: "A pupil at exactly the open end is in one band or the next depending on the reader: \
the school's staff, its parents and this tool can each place them differently. The policy file \
records one reading so the tool is exact, but the published document stays ambiguous until the \
school rewords it.",
        example: r#"bands attendance over year_to_date from 20 possible sessions {
  band monitor "Monitor" Below 96%- 94% read as 94% .. 96% stage monitor
}"#,
        fix: "Reword the published policy so both ends are stated (`94% to below 96%`, or \
`>= 94% and < 96%`); the transcription can then drop `read as`.",
    },
    check,
};

fn check(ctx: &Context) -> Vec<Finding> {
    let mut out = Vec::new();
    for set in school_band_sets(ctx.policy) {
        for band in &set.bands {
            let Some(a) = &band.ambiguity else { continue };
            out.push(
                Finding::new(
                    &band.range_loc,
                    format!(
                        "the document does not say whether {} is in the band `{}`: `{}` can be read as {} (the reading this policy takes) or as {}",
                        a.at,
                        band.id,
                        band.written,
                        a.chosen.inequality_text(),
                        a.other.inequality_text(),
                    ),
                )
                .label(format!("{} is left open", a.at))
                .related(&a.loc, "the reading this policy takes")
                .help(format!(
                    "reword the published policy so it states the end ({}), then drop `read as`",
                    a.chosen.inequality_text()
                )),
            );
        }
    }
    out
}
