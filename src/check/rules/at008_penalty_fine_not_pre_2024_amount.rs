//! AT008: a policy ratified before 19 August 2024 states penalty amounts other than £60/£120.

use super::common::*;
use crate::model::Origin;
use crate::syntax::print_dsl::money;

pub static RULE: Rule = Rule {
    code: "AT008",
    name: "penalty-fine-not-pre-2024-amount",
    severity: Severity::Error,
    source: "PNF, amounts before 19 August 2024 (national-rules.md §3)",
    in_force: InForce::until(date(2024, 8, 18)),
    docs: Docs {
        what: "For a policy ratified before 19 August 2024: the first-notice fines it states must \
be £60 and £120.",
        why: "Before 19 August 2024 a penalty notice was £60, rising to £120 (national-rules.md \
§3: \"Before: £60/£120\"). national-rules.md does not give the payment periods of the old \
amounts or say whether a second-notice rate existed, so only the amounts are checked.",
        example: "ratified 2023-09-01\npenalty_notices { fine £80 within 21 days  fine £160 within 28 days }",
        fix: "State the amounts in force when the policy was ratified, or re-ratify the policy \
with the 2024 amounts (see AT007).",
    },
    check,
};

fn check(ctx: &Context) -> Vec<Finding> {
    ctx.policy
        .penalty_notices
        .fines
        .iter()
        .filter(|f| f.origin == Origin::School && f.pence != 6000 && f.pence != 12000)
        .map(|f| {
            Finding::new(
                &f.loc,
                format!(
                    "a fine of {} was not a penalty-notice amount before 19 August 2024",
                    money(f.pence)
                ),
            )
            .label("not in force when the policy was ratified")
            .help("before 19 August 2024 the amounts were £60 and £120")
        })
        .collect()
}
