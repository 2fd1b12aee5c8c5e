//! AT211: two terms of the calendar overlap.

use super::common::*;

pub static RULE: Rule = Rule {
    code: "AT211",
    name: "terms-overlap",
    severity: Severity::Error,
    source: "the policy's own calendar (national-rules.md §6)",
    in_force: InForce::ALWAYS,
    docs: Docs {
        what: "Every pair of terms in the calendar, across all its academic years: they must not \
share a date.",
        why: "Terms that overlap put a day in two terms, so `this_term` and half-term windows are \
ambiguous and the school year's sessions (national-rules.md §6) are counted wrongly. It is \
almost always a typing slip in a date.",
        example: r#"calendar "2024-25" {
  term autumn 2024-09-04 .. 2024-12-20
  term spring 2024-12-16 .. 2025-04-04
}"#,
        fix: "Correct the dates so each term ends before the next begins.",
    },
    check,
};

fn check(ctx: &Context) -> Vec<Finding> {
    let terms: Vec<_> = ctx.policy.calendar.terms().collect();
    let mut out = Vec::new();
    for (i, t) in terms.iter().enumerate() {
        if let Some(earlier) = terms
            .iter()
            .take(i)
            .find(|e| e.start <= t.end && t.start <= e.end)
        {
            let from = t.start.max(earlier.start);
            let to = t.end.min(earlier.end);
            out.push(
                Finding::new(
                    &first_line(&t.loc),
                    format!(
                        "the terms `{}` and `{}` overlap from {from} to {to}",
                        earlier.name, t.name
                    ),
                )
                .label(format!("`{}` starts {}", t.name, t.start))
                .related(
                    &first_line(&earlier.loc),
                    format!("`{}` ends {}", earlier.name, earlier.end),
                )
                .help("correct the dates so each term ends before the next begins"),
            );
        }
    }
    out
}
