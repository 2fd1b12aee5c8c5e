//! AT104: the policy does not say when a register opens or closes.

use super::common::*;
use crate::model::SessionName;

pub static RULE: Rule = Rule {
    code: "AT104",
    name: "register-open-period-not-stated",
    severity: Severity::Warning,
    source: "WT, registration (national-rules.md §5, §10)",
    in_force: InForce::from(REG24_IN_FORCE),
    docs: Docs {
        what: "Each session the calendar states (`session am ...`, `session pm ...`) must give \
both when its register opens and when it closes. A policy that states no register times at all \
is reported by AT107 instead; one that states the register times of one session only (the \
morning's) is reported here, at the session it states. A session stated year group by year \
group or phase by phase (`for years R to 3`) is stated.",
        why: "The policy must state how long the register stays open, and it should be the same \
for every session (national-rules.md §5); the school day's timings and register-close times are \
part of what a policy must contain (§10). Without both ends nobody can tell whether the register \
closes within 30 minutes, nor when arrival becomes `U`.",
        example: "calendar { session pm closes 13:45 }",
        fix: "State both times: `session pm opens 13:15 closes 13:45`.",
    },
    check,
};

fn check(ctx: &Context) -> Vec<Finding> {
    let mut out = one_session_only(ctx).into_iter().collect::<Vec<_>>();
    let calendar = &ctx.policy.calendar;
    let groups = calendar.school_day.group_sessions();
    let whole = calendar.sessions.iter().map(|s| (None, s));
    for (group, s) in whole.chain(groups.map(|(g, s)| (Some(g), s))) {
        let whom = group.map_or(String::new(), |g| format!(" for {g}"));
        let missing = match (s.opens, s.closes) {
            (Some(_), Some(_)) => continue,
            (None, Some(_)) => "opens",
            (Some(_), None) => "closes",
            (None, None) => "opens or closes",
        };
        let name = match s.session {
            SessionName::Am => "morning",
            SessionName::Pm => "afternoon",
        };
        out.push(
            Finding::new(
                &s.loc,
                format!("the policy does not say when the {name} register{whom} {missing}"),
            )
            .label(format!("no `{}` time", missing.replace(" or ", "` or `")))
            .help("state both times, e.g. `session pm opens 13:15 closes 13:45`"),
        );
    }
    out
}

/// A calendar that states one session's register and not the other's, for the whole school or
/// any group: the document set out to give register times, so the missing one is a gap in it,
/// even in an excerpt.
fn one_session_only(ctx: &Context) -> Option<Finding> {
    if ctx.partial {
        return None;
    }
    // A session stated group by group (`for years R to 3`, `for phase primary`) is stated: the
    // whole school's line is looked at first, then each group's in the order written.
    let calendar = &ctx.policy.calendar;
    let groups = calendar.school_day.group_sessions().map(|(_, s)| s);
    let sessions: Vec<_> = calendar.sessions.iter().chain(groups).collect();
    let stated = |name: SessionName| sessions.iter().copied().find(|s| s.session == name);
    let (given, missing) = match (stated(SessionName::Am), stated(SessionName::Pm)) {
        (Some(am), None) => (am, "afternoon"),
        (None, Some(pm)) => (pm, "morning"),
        _ => return None,
    };
    let given_name = match given.session {
        SessionName::Am => "morning",
        SessionName::Pm => "afternoon",
    };
    Some(
        Finding::new(
            &given.loc,
            format!("the policy states the {given_name} register but not when the {missing} register opens or closes"),
        )
        .label(format!("no `session {}`", if missing == "afternoon" { "pm" } else { "am" }))
        .help(format!(
            "state the {missing} register too, e.g. `session {} opens 13:15 closes 13:45`",
            if missing == "afternoon" { "pm" } else { "am" }
        )),
    )
}
