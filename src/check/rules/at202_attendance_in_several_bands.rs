//! AT202: some attendance falls in more than one band.

use super::common::*;

pub static RULE: Rule = Rule {
    code: "AT202",
    name: "attendance-in-several-bands",
    severity: Severity::Error,
    source: "the policy's own bands (docs/language.md, bands: exactly one band for every value 0%..100%)",
    in_force: InForce::ALWAYS,
    docs: Docs {
        what: "Each band table, over the exact domain of whole sessions: no value may fall in two \
bands. Each overlap is reported once, with the smallest pupil in it (as for AT201; info when no \
pupil within a school year can land there). Bands that share one range and name different \
stages are reported by AT203 instead; bands that share one range otherwise are reported here.",
        why: "A pupil in two bands is at two stages at once and gets both bands' actions. Ranges \
written `93.9% - 90%` and `90% and below` both hold exactly 90%: a pupil with 9 of 10 possible \
sessions is in both.",
        example: r#"bands attendance over year_to_date {
  band high "94% - 95%" 94% - 95%
  band mid "91% - 94%" 91% - 94%
}"#,
        fix: "Make each boundary belong to one band: `94% ..= 95%` and `91% .. 94%`.",
    },
    check,
};

fn check(ctx: &Context) -> Vec<Finding> {
    let mut out = Vec::new();
    for set in school_band_tables(ctx.policy) {
        let groups = band_groups(set);
        for g in &groups {
            if g.members.len() > 1 && g.stages().len() < 2 {
                let (Some(first), Some(second)) = (g.members.first(), g.members.get(1)) else {
                    continue;
                };
                out.push(
                    Finding::new(
                        &second.range_loc,
                        format!(
                            "the bands `{}` and `{}` hold exactly the same {}",
                            first.id, second.id, set.metric
                        ),
                    )
                    .label(format!("same range as `{}`", first.id))
                    .related(&first.range_loc, format!("`{}`", first.id))
                    .help("merge them into one band, or give them different ranges"),
                );
            }
        }
        let sets: Vec<Vec<crate::model::Interval>> =
            groups.iter().map(|g| vec![g.interval]).collect();
        for region in shape::regions(&sets)
            .into_iter()
            .filter(|r| r.holders.len() > 1)
        {
            let bands: Vec<&crate::model::Band> = region
                .holders
                .iter()
                .filter_map(|&i| groups.get(i).and_then(|g| g.first()))
                .collect();
            let (Some(earlier), Some(later)) = (bands.first(), bands.last()) else {
                continue;
            };
            let names: Vec<String> = bands.iter().map(|b| format!("`{}`", written(b))).collect();
            let what = shape::describe(set.metric, &region.interval);
            let list = code_list_owned(&names);
            let mut finding = match band_example(set, &region.interval) {
                Some(example) => Finding::new(
                    &later.range_loc,
                    format!("{what} is in {} bands, {list}: e.g. {example}", bands.len()),
                ),
                None => Finding::new(
                    &later.range_loc,
                    format!(
                        "{what} is in {} bands, {list}, but {}",
                        bands.len(),
                        unreachable_note(set)
                    ),
                )
                .severity(Severity::Info),
            };
            finding = finding.label(format!("`{}` holds {what}", later.id));
            for b in bands.iter().take(bands.len() - 1) {
                finding = finding.related(&b.range_loc, format!("so does `{}`", b.id));
            }
            let _ = earlier;
            out.push(finding.help("make each boundary belong to one band: `..` excludes the upper end, `<..` the lower"));
        }
    }
    out
}

fn code_list_owned(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}
