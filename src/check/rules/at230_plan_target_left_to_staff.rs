//! AT230: a support plan whose review criterion the policy leaves to staff ("no significant
//! improvement"), or states not at all ("monitored for a period of 6 weeks").

use super::common::*;
use crate::model::PlanTarget;

pub static RULE: Rule = Rule {
    code: "AT230",
    name: "plan-target-left-to-staff",
    severity: Severity::Warning,
    source: "the policy's own support plans (docs/language.md, support plans: judged targets)",
    in_force: InForce::ALWAYS,
    docs: Docs {
        what: "Each support plan of the school's: its target is a condition, not a criterion left \
to staff (`target judged \"no significant improvement\" by attendance_lead`) and not missing (a \
plan with no `target`: \"monitored for a period of 6 weeks\").",
        why: "A review that asks staff whether there has been \"significant improvement\" is \
decided differently by different people, and a family cannot know in advance what the plan \
asks of them. The engine cannot decide it either: it sets the named role a review task on the \
review day, and the plan neither escalates nor closes as met by itself.",
        example: r#"plan "stage two" at formalise {
  review after 4 to 6 school_weeks
  target judged "no significant improvement" by attendance_lead
}"#,
        fix: "State what success is, as a condition: `target attendance(rolling 6 school_weeks) \
>= 90%`.",
    },
    check,
};

fn check(ctx: &Context) -> Vec<Finding> {
    let mut out = Vec::new();
    for plan in &ctx.policy.plans {
        let (criterion, by, loc) = match &plan.target {
            PlanTarget::Judged { criterion, by, loc } => (criterion, by, loc),
            PlanTarget::Unstated => {
                out.push(
                    Finding::new(
                        &first_line(&plan.loc),
                        format!(
                            "the plan `{}` states no criterion for its review: nothing says what \
                             success is",
                            plan.name
                        ),
                    )
                    .label("no `target`: the engine sets a review task with no one named")
                    .help("state what success is, e.g. `target attendance(rolling 6 school_weeks) >= 90%`"),
                );
                continue;
            }
            PlanTarget::Condition(_) => continue,
        };
        out.push(
            Finding::new(
                &first_line(loc),
                format!(
                    "the plan `{}` leaves its target to staff: \"{criterion}\" is not defined",
                    plan.name
                ),
            )
            .label(format!("`{by}` judges it at the review"))
            .help("state what success is, e.g. `target attendance(rolling 6 school_weeks) >= 90%`"),
        );
    }
    out
}
