//! AT001: a policy ratified from 19 August 2024 cites the 2006 registration regulations.

use super::common::*;

pub static RULE: Rule = Rule {
    code: "AT001",
    name: "cites-revoked-registration-regulations",
    severity: Severity::Error,
    source: "REG24 (SI 2024/208), in force 19 August 2024 (national-rules.md, sources; §1, §4)",
    in_force: InForce::from(REG24_IN_FORCE),
    docs: Docs {
        what: "A policy ratified on or after 19 August 2024 that cites `The Education (Pupil \
Registration) (England) Regulations 2006`.",
        why: "From 19 August 2024 pupil registration is governed by The School Attendance (Pupil \
Registration) (England) Regulations 2024 (SI 2024/208), which replaced the 2006 regulations and \
their register codes (national-rules.md §1: the 2006 code set applies only to dates before \
19 August 2024; §4: the 2006 duty to tell the local authority is carried into REG24 reg 13). A \
policy that cites the 2006 regulations describes duties and codes that no longer apply. Policies \
ratified before that date are not reported.",
        example: r#"ratified 2024-12-01
cites regulations "The Education (Pupil Registration) (England) Regulations 2006""#,
        fix: "Cite `The School Attendance (Pupil Registration) (England) Regulations 2024` instead, \
and check the policy's register codes against the 2024 code set.",
    },
    check,
};

fn check(ctx: &Context) -> Vec<Finding> {
    ctx.policy
        .citations
        .iter()
        .filter(|c| {
            let title = c.title.to_lowercase();
            title.contains("pupil registration") && title.contains("2006")
        })
        .map(|c| {
            let ratified = ctx
                .judged_on
                .map_or_else(|| "now".to_string(), |d| format!("on {d}"));
            Finding::new(
                &c.loc,
                format!("cites `{}`, revoked on 19 August 2024", c.title),
            )
            .label(format!("not in force for a policy ratified {ratified}"))
            .help(
                "cite `The School Attendance (Pupil Registration) (England) Regulations 2024` \
                     instead",
            )
        })
        .collect()
}
