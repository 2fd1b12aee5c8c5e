//! AT243: a ladder stage that defines persistent or severe absence and holds pupils there after
//! their figures no longer meet the definition.

use super::common::*;

pub static RULE: Rule = Rule {
    code: "AT243",
    name: "ladder-holds-national-measure",
    severity: Severity::Warning,
    source: "DfE statistics methodology and WT: persistent absence is missing 10% or more of possible sessions, severe 50% or more (national-rules.md §2)",
    in_force: InForce::ALWAYS,
    docs: Docs {
        what: "A ladder's stage that `defines persistent_absence` (or `severe_absence`) and is \
`held`: the policy counts a pupil as persistently absent after their figures recover.",
        why: "Nationally a pupil is persistently absent while they have missed 10% or more of \
their possible sessions (severely, 50%), measured on the figures as they stand (national-rules.md \
§2). A status the school holds \"until the end of the year\" counts pupils the national measure \
does not, so the school's own count of persistent absence disagrees with the figures it reports.",
        example: r#"ladder attendance over year_to_date from 20 possible sessions {
  band pa "Persistent absence" 90% or below defines persistent_absence stage facilitate
    held until end of year
}"#,
        fix: "Keep the support the stage gives held, but define persistent absence by the figures \
alone: drop `defines` from the held stage and state `define persistent_absence when \
absence(year_to_date) >= 10%`.",
    },
    check,
};

fn check(ctx: &Context) -> Vec<Finding> {
    let mut out = Vec::new();
    for (set, ladder) in school_ladders(ctx.policy) {
        for (band, held) in set.bands.iter().zip(&ladder.held) {
            let Some(held) = held else { continue };
            let defined = ctx.policy.definitions.iter().find(|d| {
                matches!(d.name.as_str(), "persistent_absence" | "severe_absence")
                    && d.loc.span == band.loc.span
                    && d.loc.file() == band.loc.file()
            });
            let Some(def) = defined else { continue };
            let (measure, share) = if def.name == "persistent_absence" {
                ("persistently", "10%")
            } else {
                ("severely", "50%")
            };
            out.push(
                Finding::new(
                    &held.loc,
                    format!(
                        "`{}` defines `{}` and is {}: a pupil stays counted as {measure} absent after their absence falls below {share}, which the national measure does not count",
                        band.id, def.name, held.hold
                    ),
                )
                .label("a status the national measure does not hold")
                .help(format!(
                    "keep the stage held, but define `{}` by the figures alone: drop `defines` here and write `define {} when absence(year_to_date) >= {share}`",
                    def.name, def.name
                )),
            );
        }
    }
    out
}
