//! AT009: an enforcement action that can reach a pupil below (or above) compulsory school age.

use super::common::*;
use crate::model::PupilFlag;
use crate::model::normal::Atom;

pub static RULE: Rule = Rule {
    code: "AT009",
    name: "enforcement-below-compulsory-school-age",
    severity: Severity::Error,
    source: "EA96 s8, s444 (national-rules.md §3, §8)",
    in_force: InForce::ALWAYS,
    docs: Docs {
        what: "Every enforcement action the school wrote (`consider penalty_notice`, `consider \
prosecution`, `consider notice_to_improve`, `consider parenting_order`, `penalty_warning`): the \
rule that holds it must require `pupil.compulsory_school_age`. Band entries and support plans \
cannot be guarded, so an enforcement action there always reaches every pupil in the band or \
plan.",
        why: "Penalty notices and prosecution are only for pupils of compulsory school age \
(national-rules.md §3, §8: from the fifth birthday if it is a prescribed day (31 December, \
31 March or 31 August), otherwise the next prescribed day, to the last Friday in June of the \
school year in which the child turns 16; EA96 s8). A nursery, reception or \
sixth-form pupil below or beyond it must not be sent down the enforcement route.",
        example: r#"band enforce "ENFORCE" 90% and below stage enforce
  on enter: consider prosecution"#,
        fix: "Move the action into a trigger guarded by `pupil.compulsory_school_age`, e.g. \
`trigger \"enforce\" when pupil.stage >= enforce and pupil.compulsory_school_age then consider \
prosecution`.",
    },
    check,
};

fn check(ctx: &Context) -> Vec<Finding> {
    let mut out = Vec::new();
    for placed in school_actions(ctx.policy) {
        if !placed.action.kind.is_enforcement() {
            continue;
        }
        let Some(rows) = placed.holder.guard_rows(ctx.policy) else {
            continue;
        };
        let guarded = !rows.is_empty()
            && rows.iter().all(|row| {
                row.iter().any(|a| {
                    matches!(
                        a,
                        Atom::Flag {
                            flag: PupilFlag::CompulsorySchoolAge,
                            value: true
                        }
                    )
                })
            });
        if guarded {
            continue;
        }
        let holder = placed.holder.describe();
        let help = match placed.holder.guard() {
            Some(_) => "add `and pupil.compulsory_school_age` to its condition".to_string(),
            None => "move it into a trigger guarded by `pupil.compulsory_school_age`".to_string(),
        };
        out.push(
            Finding::new(
                &placed.action.loc,
                format!(
                    "`{}` in {holder} can reach pupils who are not of compulsory school age",
                    action_text(&placed.action.kind)
                ),
            )
            .label("not limited to pupils of compulsory school age")
            .help(help),
        );
    }
    out
}
