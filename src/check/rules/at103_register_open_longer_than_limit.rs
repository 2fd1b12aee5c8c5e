//! AT103: a register stays open longer than the national limit.

use super::common::*;

pub static RULE: Rule = Rule {
    code: "AT103",
    name: "register-open-longer-than-national-limit",
    severity: Severity::Warning,
    source: "WT, registration (national-rules.md §5)",
    in_force: InForce::from(REG24_IN_FORCE),
    docs: Docs {
        what: "Each session whose register opening and closing times are both stated (the whole \
school's, and each group's own: `session am ... for years 1 to 2`): the \
register must close no more than `register_open` minutes (30 from the national baseline) after \
it opens. A `limits { register_open N }` of the school's above 30 is reported too.",
        why: "The register should stay open for no longer than 30 minutes from when it begins to be \
taken (national-rules.md §5: WT, as restated by Nottinghamshire and Essex LA guidance and FFT \
Datalab; WT's own words were not read for attend). Arrival before it closes is `L` (present); \
after it closes, `U` (unauthorised absence), so a register left open longer turns unauthorised \
absence into lateness.",
        example: "calendar { session am opens 08:55 late_after 09:15 closes 09:30 }",
        fix: "Close the register no more than 30 minutes after it opens (`closes 09:25` here).",
    },
    check,
};

fn check(ctx: &Context) -> Vec<Finding> {
    let policy = ctx.policy;
    let mut out = Vec::new();
    let limit = match &policy.limits.register_open_minutes {
        Some((n, loc, origin)) => {
            if *origin == crate::model::Origin::School && *n > 30 && !ctx.baseline {
                out.push(
                    Finding::new(loc, format!("`register_open {n} minutes` is longer than the 30 minutes the guidance allows"))
                        .label("above the national limit")
                        .help("write `register_open 30 minutes`"),
                );
            }
            (*n).min(30)
        }
        None => 30,
    };
    let groups = policy.calendar.school_day.group_sessions();
    let whole = policy.calendar.sessions.iter().map(|s| (None, s));
    for (group, s) in whole.chain(groups.map(|(g, s)| (Some(g), s))) {
        let Some(minutes) = s.open_minutes() else {
            continue;
        };
        let whom = group.map_or(String::new(), |g| format!(" for {g}"));
        if u32::from(minutes) > limit {
            out.push(
                Finding::new(
                    &s.loc,
                    format!(
                        "the `{}` register{whom} is open for {minutes} minutes, longer than {limit}",
                        s.session
                    ),
                )
                .label(format!("open {minutes} minutes"))
                .help(format!(
                    "close the register no more than {limit} minutes after it opens"
                )),
            );
        }
    }
    out
}
