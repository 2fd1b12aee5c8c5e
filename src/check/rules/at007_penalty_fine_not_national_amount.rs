//! AT007: penalty-notice amounts that are not the national ones in force from 19 August 2024.

use super::common::*;
use crate::model::{Fine, Origin};
use crate::syntax::print_dsl::money;

pub static RULE: Rule = Rule {
    code: "AT007",
    name: "penalty-fine-not-national-amount",
    severity: Severity::Error,
    source: "PNF; Education (Penalty Notices) (England) (Amendment) Regulations 2024 (national-rules.md §3)",
    in_force: InForce::from(REG24_IN_FORCE),
    docs: Docs {
        what: "The fines the school states in `penalty_notices`: `fine £80 within 21 days` and \
`fine £160 within 28 days` for a first notice, `second_fine £160 within 28 days` for a second \
notice for the same child within three years, and no others.",
        why: "From 19 August 2024 a penalty notice is £80 if paid within 21 days and £160 within \
28 days; a second notice for the same child within three years is £160 with no reduced rate \
(national-rules.md §3, confirmed in seed 002 §10). Policies ratified before that date are judged \
by AT008 instead.",
        example: "penalty_notices { fine £60 within 21 days  fine £120 within 28 days }",
        fix: "State the national amounts, or leave the fines out and `extends national`.",
    },
    check,
};

const FIRST: &[(u64, u32)] = &[(8000, 21), (16000, 28)];
const SECOND: &[(u64, u32)] = &[(16000, 28)];

fn check(ctx: &Context) -> Vec<Finding> {
    let pn = &ctx.policy.penalty_notices;
    let mut out = Vec::new();
    out.extend(compare(&pn.fines, FIRST, "fine"));
    out.extend(compare(&pn.second_fines, SECOND, "second_fine"));
    out
}

fn show(expected: &[(u64, u32)], word: &str) -> String {
    let parts: Vec<String> = expected
        .iter()
        .map(|(p, d)| format!("`{word} {} within {d} days`", money(*p)))
        .collect();
    parts.join(" and ")
}

fn compare(fines: &[Fine], expected: &[(u64, u32)], word: &str) -> Vec<Finding> {
    let school: Vec<&Fine> = fines
        .iter()
        .filter(|f| f.origin == Origin::School)
        .collect();
    let mut out = Vec::new();
    for f in &school {
        if !expected.contains(&(f.pence, f.within_days)) {
            out.push(
                Finding::new(
                    &f.loc,
                    format!(
                        "a {} of {} within {} days is not a national amount",
                        word.replace('_', " "),
                        money(f.pence),
                        f.within_days
                    ),
                )
                .label("not in force from 19 August 2024")
                .help(format!("the national amounts are {}", show(expected, word))),
            );
        }
    }
    if let Some(first) = school.first() {
        for (pence, days) in expected {
            if !school
                .iter()
                .any(|f| (f.pence, f.within_days) == (*pence, *days))
                && out.is_empty()
            {
                out.push(
                    Finding::new(
                        &first.loc,
                        format!(
                            "the policy leaves out `{word} {} within {days} days`",
                            money(*pence)
                        ),
                    )
                    .label("the national amounts are incomplete")
                    .help(format!("the national amounts are {}", show(expected, word))),
                );
            }
        }
    }
    out
}
