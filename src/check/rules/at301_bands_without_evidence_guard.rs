//! AT301: a band table with no evidence guard.

use super::common::*;
use crate::model::Window;

pub static RULE: Rule = Rule {
    code: "AT301",
    name: "bands-without-evidence-guard",
    severity: Severity::Info,
    source: "good practice (docs/language.md, bands: evidence guards); national-rules.md §2",
    in_force: InForce::ALWAYS,
    docs: Docs {
        what: "Band tables over `year_to_date`, `this_term` or `this_half_term` without `from N \
possible sessions`.",
        why: "Without a guard a band holds from a pupil's first possible session: one absence on \
the first morning of the year puts the pupil at 0% attendance, in the most serious band, with \
its letters and referrals. Persistent and severe absence are measured across the school year \
(national-rules.md §2); a guard waits until the percentage means something.",
        example: r#"bands attendance over year_to_date {
  band all "all" 0% ..= 100% stage expect
}"#,
        fix: "Add a guard, e.g. `bands attendance over year_to_date from 20 possible sessions { ... }` \
(two school weeks).",
    },
    check,
};

fn check(ctx: &Context) -> Vec<Finding> {
    school_band_sets(ctx.policy)
        .filter(|s| {
            s.min_possible == 0
                && matches!(
                    s.window,
                    Window::YearToDate | Window::ThisTerm | Window::ThisHalfTerm
                )
        })
        .map(|s| {
            Finding::new(
                &first_line(&s.loc),
                "these bands hold from a pupil's first possible session",
            )
            .label("no `from N possible sessions`")
            .help("add an evidence guard, e.g. `from 20 possible sessions`")
        })
        .collect()
}
