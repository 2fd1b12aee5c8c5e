//! AT231: a trigger, escalation step, band entry or ladder move that the policy leaves, in
//! part, to staff's judgement ("multiple absences", "if no significant improvement").

use super::common::*;
use crate::model::Judgement;

pub static RULE: Rule = Rule {
    code: "AT231",
    name: "condition-left-to-staff",
    severity: Severity::Warning,
    source: "the policy's own rules (docs/language.md, a condition left to staff)",
    in_force: InForce::ALWAYS,
    docs: Docs {
        what: "Each trigger, escalation step, band entry guard and ladder move of the school's: \
its condition is stated, not left to staff (`when judged \"multiple absences\" by \
attendance_lead`, `in order when judged \"no significant improvement\" by attendance_lead`).",
        why: "A rule that acts on \"multiple absences\", \"if absence continues\" or \"if no \
significant improvement\" is applied differently by different people, and a family cannot know \
in advance what leads to a letter or a penalty notice. The engine cannot decide it either: where \
the rest of the rule holds, it sets the named role a review task in place of the rule's actions.",
        example: r#"trigger "referral"
  when attendance(year_to_date) < 90% and judged "multiple absences" by attendance_lead
  then refer local_authority"#,
        fix: "State the criterion as a condition: `absent(rolling 5 school_weeks) >= 4 \
sessions`, `attendance(rolling 4 school_weeks) < 90%`.",
    },
    check,
};

fn check(ctx: &Context) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut push = |j: &Judgement, what: String| {
        out.push(
            Finding::new(
                &first_line(&j.loc),
                format!(
                    "{what}: \"{}\" is left to staff, and the policy does not define it",
                    j.criterion
                ),
            )
            .label(format!("`{}` judges it; the engine sets them a review task", j.by))
            .help("state the criterion as a condition, e.g. `absent(rolling 5 school_weeks) >= 4 sessions`"),
        );
    };
    let policy = ctx.policy;
    for set in &policy.band_sets {
        if let Some(j) = set
            .ladder
            .as_ref()
            .and_then(|l| l.order.as_ref())
            .and_then(|o| o.judged.as_ref())
        {
            let name = set.label.as_deref().unwrap_or("the ladder");
            push(j, format!("each move to a deeper stage of \"{name}\""));
        }
        for band in &set.bands {
            if let Some(j) = &band.enter_judged {
                push(j, format!("the entry actions of band `{}`", band.id));
            }
        }
    }
    for esc in &policy.escalations {
        for step in &esc.steps {
            if let Some(j) = &step.judged {
                push(j, format!("day {} of \"{}\"", step.day, esc.name));
            }
        }
    }
    for trigger in &policy.triggers {
        if let Some(j) = &trigger.judged {
            push(j, format!("the trigger \"{}\"", trigger.name));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::testing::findings_of;

    #[test]
    fn each_kind_of_rule_is_reported_where_the_judgement_is_written() {
        let found = findings_of(
            "AT231",
            r#"policy "P" { document excerpt
                roles { lead "Attendance lead" }
                letters { concern "c.md" }
                ladder "stages" attendance over year_to_date in order when judged "no improvement" by lead {
                  band one "One" under 97% on enter when judged "a letter is appropriate" by lead: letter concern
                  band two "Two" under 95%
                }
                escalation "missing" days marked {N} { day 3 when judged "no contact" by lead: home_visit }
                trigger "referral" when attendance(year_to_date) < 90% and judged "multiple absences" by lead
                  then refer local_authority }"#,
        );
        assert_eq!(found.len(), 4, "{found:?}");
        assert!(
            found[0].contains("each move to a deeper stage"),
            "{found:?}"
        );
        assert!(found[3].contains("\"multiple absences\""), "{found:?}");
    }

    #[test]
    fn a_judged_term_under_not_or_or_is_a_model_error() {
        for when in [
            r#"not judged "x" by lead"#,
            r#"attendance(year_to_date) < 90% or judged "x" by lead"#,
        ] {
            let found = findings_of(
                "AT231",
                &format!(
                    r#"policy "P" {{ document excerpt roles {{ lead "Lead" }}
                      trigger "t" when {when} then review }}"#
                ),
            );
            assert_eq!(found.len(), 1, "{found:?}");
            assert!(found[0].starts_with("model::judged_misplaced"), "{found:?}");
        }
    }
}
