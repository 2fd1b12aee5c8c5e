//! AT105: the registers of different sessions stay open for different lengths of time.

use super::common::*;

pub static RULE: Rule = Rule {
    code: "AT105",
    name: "register-open-period-differs-between-sessions",
    severity: Severity::Warning,
    source: "WT, registration (national-rules.md §5)",
    in_force: InForce::from(REG24_IN_FORCE),
    docs: Docs {
        what: "Sessions whose opening and closing times are both stated: each register must stay \
open for the same number of minutes.",
        why: "How long the register stays open should be the same for every session \
(national-rules.md §5, as restated by LA guidance; WT's own words were not read for attend). \
Different periods make the line between `L` and `U` depend on the time of day.",
        example: "calendar {\n  session am opens 08:50 closes 09:20\n  session pm opens 13:15 closes 13:30\n}",
        fix: "Keep the register open for the same number of minutes in both sessions.",
    },
    check,
};

fn check(ctx: &Context) -> Vec<Finding> {
    let timed: Vec<_> = ctx
        .policy
        .calendar
        .sessions
        .iter()
        .filter_map(|s| Some((s, s.open_minutes()?)))
        .collect();
    let Some((first, first_minutes)) = timed.first() else {
        return Vec::new();
    };
    timed
        .iter()
        .skip(1)
        .filter(|(_, m)| m != first_minutes)
        .map(|(s, m)| {
            Finding::new(&s.loc, format!(
                "the `{}` register is open for {m} minutes, the `{}` register for {first_minutes}",
                s.session, first.session
            ))
            .label(format!("open {m} minutes"))
            .related(&first.loc, format!("open {first_minutes} minutes"))
            .help("keep every register open for the same time")
        })
        .collect()
}
