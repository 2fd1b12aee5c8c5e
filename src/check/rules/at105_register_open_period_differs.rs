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
open for the same number of minutes. A group with register times of its own (`session pm ... \
for years 1 to 2`) is compared within itself, its morning with its afternoon (the whole \
school's where it states none); two groups may differ from each other.",
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
    let mut out = groups(ctx);
    let Some((first, first_minutes)) = timed.first() else {
        return out;
    };
    out.extend(
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
            }),
    );
    out
}

/// A group with its own register times (`session pm ... for years 1 to 2`) is compared within
/// itself, its morning with its afternoon; two groups may differ from each other.
fn groups(ctx: &Context) -> Vec<Finding> {
    let calendar = &ctx.policy.calendar;
    let mut out = Vec::new();
    for day in calendar.school_day.days(&calendar.sessions).iter().skip(1) {
        let (Some(am), Some(pm)) = (day.am, day.pm) else {
            continue;
        };
        let whole =
            |s: &crate::model::RegisterTimes| calendar.sessions.iter().any(|c| std::ptr::eq(c, s));
        if whole(am) && whole(pm) {
            continue;
        }
        let (Some(a), Some(p)) = (am.open_minutes(), pm.open_minutes()) else {
            continue;
        };
        if a == p {
            continue;
        }
        // The group's own session is the one reported.
        let (here, there, m, other) = if whole(pm) {
            (am, pm, a, p)
        } else {
            (pm, am, p, a)
        };
        out.push(
            Finding::new(
                &here.loc,
                format!(
                    "{} the `{}` register is open for {m} minutes, the `{}` register for {other}",
                    day.whom(),
                    here.session,
                    there.session
                ),
            )
            .label(format!("open {m} minutes"))
            .related(&there.loc, format!("open {other} minutes"))
            .help("keep every register open for the same time"),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::testing::findings_of;

    #[test]
    fn two_groups_may_differ_from_each_other() {
        // Whole school: am 08:50-09:20 (30 min), pm 13:15-13:45 (30 min). KS1 has its own
        // am 08:40-09:00 (20 min) and pm 12:45-13:05 (20 min): each group is even within
        // itself, so nothing differs, although 30 ≠ 20.
        let found = findings_of(
            "AT105",
            r#"policy "P" { calendar {
                session am opens 08:50 closes 09:20
                session pm opens 13:15 closes 13:45
                session am opens 08:40 closes 09:00 for years 1 to 2
                session pm opens 12:45 closes 13:05 for years 1 to 2
            } }"#,
        );
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn a_group_uneven_within_itself_is_reported() {
        // KS1's own pm 12:45-13:00 is 15 min against the whole school's am 08:50-09:20, 30 min.
        let found = findings_of(
            "AT105",
            r#"policy "P" { calendar {
                session am opens 08:50 closes 09:20
                session pm opens 13:15 closes 13:45
                session pm opens 12:45 closes 13:00 for years 1 to 2
            } }"#,
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("for years 1 to 2 the `pm` register is open for 15 minutes"));
    }
}
