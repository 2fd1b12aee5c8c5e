//! AT101: the policy defines persistent absence other than as 10% or more of sessions missed.

use super::common::*;

pub static RULE: Rule = Rule {
    code: "AT101",
    name: "persistent-absence-not-national-definition",
    severity: Severity::Warning,
    source: "WT; DfE statistics methodology (national-rules.md §2)",
    in_force: InForce::ALWAYS,
    docs: Docs {
        what: "Each `define persistent_absence` the school wrote, as an exact set of attendance \
values, against the national definition `absence(year_to_date) >= 10%` (attendance of 90% or \
less). Each range where they differ is reported with the smallest pupil in it.",
        why: "A persistent absentee has missed 10% or more of possible sessions: `absent * 10 >= \
possible`, so exactly 90.0% attendance is persistent absence (national-rules.md §2, confirmed: \
DfE statistics use \"10% or more\"). A policy that says \"below 90%\" leaves out pupils at \
exactly 90%, who the school reports to the DfE as persistently absent. national-rules.md gives \
no date from which the 10% measure applies, so attend applies it whatever the ratification \
date.",
        example: r#"define persistent_absence "Attendance <90%" when attendance(year_to_date) < 90%"#,
        fix: "Write `define persistent_absence \"missed 10% or more\" when absence(year_to_date) >= \
10%`, or leave the definition to `extends national`.",
    },
    check,
};

fn check(ctx: &Context) -> Vec<Finding> {
    departures_from_national(
        ctx,
        "persistent_absence",
        "persistent absence is missing 10% or more: `absence(year_to_date) >= 10%` (attendance of 90% or less)",
    )
}
