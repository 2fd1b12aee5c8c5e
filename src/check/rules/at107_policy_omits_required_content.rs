//! AT107: the policy omits something the guidance says every attendance policy must contain.

use super::common::*;
use crate::model::{ActionKind, FrameworkStage, Matter, Origin, ProcedureTopic, SessionName};

pub static RULE: Rule = Rule {
    code: "AT107",
    name: "policy-omits-required-content",
    severity: Severity::Warning,
    source: "WT, \"attendance policy\" (national-rules.md §10)",
    in_force: InForce::from(REG24_IN_FORCE),
    docs: Docs {
        what: "That a school's policy states each item the guidance lists, in one finding that \
lists every item it omits:
- register times: when the morning and afternoon registers close (`calendar { session am ... \
closes HH:MM  session pm ... closes HH:MM }`), or every group's where the times are stated \
group by group (`session am ... for years 1 to 2`);
- the senior attendance champion (the role `champion`);
- how parents report absence (procedure `reporting_absence`);
- how the school follows up absence (procedure `following_up`);
- the support offered (procedure `support`, or descriptions of the `facilitate` and \
`formalise` stages);
- the escalation thresholds: a `bands` table, or triggers or escalations of the school's own \
that move pupils on;
- the approach to penalty notices (a `penalty_notices` statement, a `consider penalty_notice` \
action, or the procedure);
- how leave requests are handled (procedure `leave_requests`);
- how the school works with the local authority (procedure `working_with_la`, or an action that \
notifies or refers to the local authority).

The national baseline itself is not a school's policy and is not checked, nor is a document \
declared `document excerpt` (a web page, a newsletter) or `document code_of_conduct` (a local \
authority's code of conduct).",
        why: "An attendance policy must at least say: the school day's timings and register-close \
times; the name and contact of the senior attendance champion; how parents report absence; how \
the school follows up absence; the support offered and the escalation, including formal support \
and enforcement; the approach to penalty notices; how leave requests are handled; how it works \
with the local authority (national-rules.md §10).",
        example: r#"policy "Our approach" {
  extends national
  stages { aspire is expect "Aspire to high standards" }
}"#,
        fix: "Add each missing item (see the finding's help for the statement that says it).",
    },
    check,
};

fn check(ctx: &Context) -> Vec<Finding> {
    if !whole_policy(ctx) {
        return Vec::new();
    }
    let p = ctx.policy;
    let has_procedure = |topic: ProcedureTopic| p.procedures.iter().any(|x| x.topic == topic);
    // Register times stated only group by group (`session am ... for years 1 to 2`) are
    // stated: every day the policy describes is asked for both closes.
    let days = p.calendar.school_day.days(&p.calendar.sessions);
    let closes = |name: SessionName| {
        let stated =
            |s: Option<&crate::model::RegisterTimes>| s.is_some_and(|s| s.closes.is_some());
        let whole = p
            .calendar
            .sessions
            .iter()
            .any(|s| s.session == name && s.closes.is_some());
        let groups = days.len() > 1
            && days.iter().skip(1).all(|d| match name {
                SessionName::Am => stated(d.am),
                SessionName::Pm => stated(d.pm),
            });
        whole || groups
    };
    let actions = school_actions(p);
    let described = |fw: FrameworkStage| {
        p.stages
            .iter()
            .any(|s| s.framework == fw && s.text.is_some())
    };
    // A policy that states one register's close and not the other's is missing that one.
    let (register_times, register_help) = match (closes(SessionName::Am), closes(SessionName::Pm)) {
        (true, false) => (
            "when the afternoon register closes",
            "state it beside the morning's: `calendar { session pm opens 13:15 closes 13:45 }`",
        ),
        (false, true) => (
            "when the morning register closes",
            "state it beside the afternoon's: `calendar { session am opens 08:50 closes 09:20 }`",
        ),
        _ => (
            "register times",
            "state when each register opens and closes: `calendar { session am opens 08:50 closes 09:20  session pm opens 13:15 closes 13:45 }`",
        ),
    };
    let items: [(&str, bool, &str); 9] = [
        (
            register_times,
            closes(SessionName::Am) && closes(SessionName::Pm),
            register_help,
        ),
        (
            "the senior attendance champion",
            p.roles.iter().any(|r| r.id == "champion"),
            "name them: `roles { champion \"Name, role, contact\" }`",
        ),
        (
            "how parents report absence",
            has_procedure(ProcedureTopic::ReportingAbsence),
            "add `procedures { reporting_absence \"...\" }`",
        ),
        (
            "how the school follows up absence",
            has_procedure(ProcedureTopic::FollowingUp),
            "add `procedures { following_up \"...\" }`",
        ),
        (
            "the support offered",
            has_procedure(ProcedureTopic::Support)
                || (described(FrameworkStage::Facilitate) && described(FrameworkStage::Formalise)),
            "add `procedures { support \"...\" }`",
        ),
        (
            "attendance thresholds for the escalation",
            p.band_sets.iter().any(|s| s.origin == Origin::School)
                || p.triggers
                    .iter()
                    .any(|t| t.origin == Origin::School && !stage_only(p, &t.condition))
                || p.escalations.iter().any(|e| e.origin == Origin::School),
            "say at what attendance each stage begins, e.g. `bands attendance over year_to_date from 20 possible sessions { ... }`",
        ),
        (
            "the approach to penalty notices",
            has_procedure(ProcedureTopic::PenaltyNotices)
                || p.penalty_notices
                    .threshold
                    .as_ref()
                    .is_some_and(|t| t.origin == Origin::School)
                || actions
                    .iter()
                    .any(|a| a.action.kind == ActionKind::Consider(Matter::PenaltyNotice)),
            "say when the school considers a penalty notice, e.g. `penalty_notices { threshold 10 sessions in rolling 10 school_weeks }`",
        ),
        (
            "how leave requests are handled",
            has_procedure(ProcedureTopic::LeaveRequests),
            "add `procedures { leave_requests \"...\" }`",
        ),
        (
            "how the school works with the local authority",
            has_procedure(ProcedureTopic::WorkingWithLa)
                || actions
                    .iter()
                    .any(|a| tells_local_authority(&a.action.kind)),
            "add `procedures { working_with_la \"...\" }`",
        ),
    ];
    // One finding listing everything missing, not one per item at the same place.
    let missing: Vec<(&str, &str)> = items
        .into_iter()
        .filter(|(_, present, _)| !present)
        .map(|(item, _, help)| (item, help))
        .collect();
    let Some(((first, _), rest)) = missing.split_first() else {
        return Vec::new();
    };
    let list = match rest.split_last() {
        None => (*first).to_string(),
        Some(((last, _), middle)) => {
            let mut names = vec![*first];
            names.extend(middle.iter().map(|(i, _)| *i));
            format!("{}, or {last}", names.join(", "))
        }
    };
    let help: Vec<String> = missing
        .iter()
        .map(|(item, help)| format!("{item}: {help}"))
        .collect();
    vec![
        Finding::new(&ctx.header(), format!("the policy does not state {list}"))
            .label(format!(
                "{} item{} an attendance policy must state",
                missing.len(),
                if missing.len() == 1 { "" } else { "s" }
            ))
            .help(format!(
                "{}; if this is not the whole policy, declare it: `document excerpt`",
                help.join("; ")
            )),
    ]
}

/// A condition on nothing but the pupil's stage: it moves no pupil on by itself.
fn stage_only(policy: &crate::model::Policy, c: &crate::model::Condition) -> bool {
    crate::model::normal::rows(policy, c).is_some_and(|rows| {
        rows.iter().all(|(row, _)| {
            row.iter().all(|a| {
                matches!(
                    a,
                    crate::model::normal::Atom::Stage { .. }
                        | crate::model::normal::Atom::Flag { .. }
                )
            })
        })
    })
}

#[cfg(test)]
mod school_day_tests {
    use super::super::testing::findings_of;

    #[test]
    fn register_times_stated_group_by_group_are_stated() {
        // No whole-school `session`: years R to 6 and 7 to 11 each give both closes.
        let found = findings_of(
            "AT107",
            r#"policy "Through school" { phase all_through calendar {
                session am opens 08:40 closes 09:00 for years R to 6
                session pm opens 13:00 closes 13:20 for years R to 6
                session am opens 08:30 closes 08:50 for years 7 to 11
                session pm opens 13:30 closes 13:50 for years 7 to 11
            } }"#,
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(!found[0].contains("register"), "{found:?}");
    }

    #[test]
    fn a_group_without_its_afternoon_close_is_missing_it() {
        // Years 7 to 11 state no afternoon register and there is no whole-school one.
        let found = findings_of(
            "AT107",
            r#"policy "Through school" { phase all_through calendar {
                session am opens 08:40 closes 09:00 for years R to 6
                session pm opens 13:00 closes 13:20 for years R to 6
                session am opens 08:30 closes 08:50 for years 7 to 11
            } }"#,
        );
        assert!(
            found[0].contains("when the afternoon register closes"),
            "{found:?}"
        );
    }
}
