//! AT102: the policy defines severe absence other than as 50% or more of sessions missed.

use super::common::*;

pub static RULE: Rule = Rule {
    code: "AT102",
    name: "severe-absence-not-national-definition",
    severity: Severity::Warning,
    source: "WT; DfE statistics methodology (national-rules.md §2)",
    in_force: InForce::ALWAYS,
    docs: Docs {
        what: "Each `define severe_absence` the school wrote, as an exact set of attendance \
values, against the national definition `absence(year_to_date) >= 50%` (attendance of 50% or \
less). Each range where they differ is reported with the smallest pupil in it.",
        why: "A severely absent pupil has missed 50% or more of possible sessions: `absent * 2 >= \
possible` (national-rules.md §2). WT expects a joint approach with the local authority for \
severely absent pupils, so a policy that calls pupils at 79% attendance \"severely absent\" \
sends far more pupils down that route, and one that says \"below 50%\" leaves out pupils at \
exactly 50%.",
        example: r#"define severe_absence "Attendance <80%" when attendance(year_to_date) < 80%"#,
        fix: "Write `define severe_absence \"missed 50% or more\" when absence(year_to_date) >= \
50%`, or leave the definition to `extends national`; a school may still act earlier with a band \
or trigger of its own.",
    },
    check,
};

fn check(ctx: &Context) -> Vec<Finding> {
    departures_from_national(
        ctx,
        "severe_absence",
        "severe absence is missing 50% or more: `absence(year_to_date) >= 50%` (attendance of 50% or less)",
    )
}
