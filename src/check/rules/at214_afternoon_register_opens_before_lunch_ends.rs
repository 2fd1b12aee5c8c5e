//! AT214: the afternoon register opens while lunch is still going on, for the whole school or
//! for a group with its own times.

use super::common::*;

pub static RULE: Rule = Rule {
    code: "AT214",
    name: "afternoon-register-opens-before-lunch-ends",
    severity: Severity::Warning,
    source: "the policy's own times",
    in_force: InForce::ALWAYS,
    docs: Docs {
        what: "For the whole school and each group with its own times (`for years 1 to 2`): \
the afternoon register (`session pm opens`) must not open before lunch ends (`lunch 12:00 to \
13:00`). A group's own lunch or register, where it states one, is compared; otherwise the \
whole school's.",
        why: "The afternoon register is taken once during the afternoon session (national-rules.md \
§5). A register that opens while pupils are at lunch marks late, or absent, pupils who are \
where the timetable puts them: one of the two times is wrong.",
        example: "calendar {\n  session pm opens 12:55 closes 13:10\n  lunch 12:00 to 13:00\n}",
        fix: "Open the afternoon register when lunch ends (`session pm opens 13:00` here), or \
correct the lunch times.",
    },
    check,
};

fn check(ctx: &Context) -> Vec<Finding> {
    let calendar = &ctx.policy.calendar;
    let mut out = Vec::new();
    let mut seen = Vec::new();
    for day in calendar.school_day.days(&calendar.sessions) {
        let (Some(pm), Some(lunch)) = (day.pm, day.lunch) else {
            continue;
        };
        let Some(opens) = pm.opens else { continue };
        let lunch_ends =
            chrono::Timelike::hour(&lunch.ends) * 60 + chrono::Timelike::minute(&lunch.ends);
        if u32::from(opens) >= lunch_ends || seen.contains(&(pm.loc.span, lunch.loc.span)) {
            continue;
        }
        seen.push((pm.loc.span, lunch.loc.span));
        let opens_at = crate::syntax::print_dsl::time(opens);
        let ends_at = lunch.ends.format("%H:%M");
        out.push(
            Finding::new(
                &pm.loc,
                format!(
                    "the afternoon register {} opens at {opens_at}, before lunch ends at {ends_at}",
                    day.whom()
                ),
            )
            .label(format!("opens {opens_at}"))
            .related(&lunch.loc, format!("lunch ends {ends_at}"))
            .help(format!(
                "open the afternoon register at {ends_at} or later, or correct the lunch times"
            )),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::testing::findings_of;

    #[test]
    fn a_register_during_lunch_is_reported() {
        // pm opens 12:55 < lunch ends 13:00.
        let found = findings_of(
            "AT214",
            r#"policy "P" { calendar { session pm opens 12:55 closes 13:10  lunch 12:00 to 13:00 } }"#,
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("opens at 12:55, before lunch ends at 13:00"));
    }

    #[test]
    fn a_register_as_lunch_ends_is_not() {
        // pm opens 13:00 = lunch ends 13:00: not before.
        let found = findings_of(
            "AT214",
            r#"policy "P" { calendar { session pm opens 13:00 closes 13:10  lunch 12:00 to 13:00 } }"#,
        );
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn each_group_is_compared_with_its_own_lunch() {
        // KS1: lunch 11:45 to 12:45, its register at 12:45 (fine). KS2 keeps the whole
        // school's lunch to 13:15 but its own register opens at 13:05 (< 13:15: reported);
        // the whole school's register at 13:15 is fine.
        let found = findings_of(
            "AT214",
            r#"policy "P" { calendar {
                session pm opens 13:15 closes 13:30
                lunch 12:15 to 13:15
                lunch 11:45 to 12:45 for years 1 to 2
                session pm opens 12:45 closes 13:00 for years 1 to 2
                session pm opens 13:05 closes 13:20 for years 3 to 6
            } }"#,
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].contains("for years 3 to 6 opens at 13:05"),
            "{found:?}"
        );
    }
}
