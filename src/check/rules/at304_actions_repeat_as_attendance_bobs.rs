//! AT304: a rule that fires on every rise of an attendance ratio, with nothing to stop it
//! firing again a few days later.

use super::common::*;
use crate::model::{Condition, Origin, Repeat, Window};

pub static RULE: Rule = Rule {
    code: "AT304",
    name: "actions-repeat-as-attendance-bobs",
    severity: Severity::Info,
    source: "good practice (docs/language.md, bands and triggers: `once per`, `not again within`)",
    in_force: InForce::ALWAYS,
    docs: Docs {
        what: "A band's entry actions, or a trigger, with no `once per ...`, `not again within N \
school_weeks` (or, on a trigger, `repeat every`), that depend on attendance (or absence) over \
`year_to_date` or a rolling window.",
        why: "A year-to-date or rolling percentage moves by a fraction with every session: a pupil \
near 90% crosses it and back week after week, and each crossing fires the rule again. The same \
family gets the same letter, and the same early-help referral, three times in a term, which \
wastes staff time and reads to parents as nagging.",
        example: r#"bands attendance over year_to_date from 20 possible sessions {
  band ok "at least 90%" 90% and above
  band low "below 90%" below 90% on enter: refer early_help by attendance_lead
}"#,
        fix: "Say how often the actions may repeat: `on enter: refer early_help by \
attendance_lead once per term`, or `not again within 4 school_weeks` (on a trigger, after its \
actions and stage).",
    },
    check,
};

/// The window of a ratio the condition reads that can rise and fall from day to day (year to
/// date or rolling), following defined names.
fn bobbing_ratio(policy: &crate::model::Policy, c: &Condition, depth: usize) -> Option<Window> {
    if depth > 64 {
        return None;
    }
    match c {
        Condition::All(parts) | Condition::Any(parts) => parts
            .iter()
            .find_map(|p| bobbing_ratio(policy, p, depth + 1)),
        Condition::Not(inner) => bobbing_ratio(policy, inner, depth + 1),
        Condition::Ratio { window, .. } => {
            matches!(window, Window::YearToDate | Window::RollingWeeks(_)).then_some(*window)
        }
        Condition::Scheduled(s) => match s.lhs {
            crate::model::ScheduledLhs::Ratio(_, window) => {
                matches!(window, Window::YearToDate | Window::RollingWeeks(_)).then_some(window)
            }
            crate::model::ScheduledLhs::Count(_) => None,
        },
        Condition::Defined(name) => policy
            .definitions
            .iter()
            .filter(|d| d.name == *name)
            .find_map(|d| bobbing_ratio(policy, &d.condition, depth + 1)),
        _ => None,
    }
}

fn check(ctx: &Context) -> Vec<Finding> {
    let policy = ctx.policy;
    let mut found = Vec::new();
    for set in school_band_sets(policy) {
        if !matches!(set.window, Window::YearToDate | Window::RollingWeeks(_)) {
            continue;
        }
        for band in set.bands.iter().filter(|b| b.has_entry_actions()) {
            if band.repeat != Repeat::RisingEdge {
                continue;
            }
            found.push(
                Finding::new(
                    &first_line(&band.loc),
                    format!(
                        "the band `{}`'s entry actions fire again each time attendance over {} crosses into it",
                        band.id, set.window
                    ),
                )
                .label("no limit on repeating")
                .help("limit them: add `once per term` (or `not again within 4 school_weeks`) after the actions"),
            );
        }
    }
    for trigger in policy
        .triggers
        .iter()
        .filter(|t| t.origin == Origin::School)
    {
        // `repeat every` says the school means the action to repeat; a trigger looked at only
        // at the end of each period fires at most once a period.
        if trigger.repeat != Repeat::RisingEdge
            || matches!(trigger.looked_at, Some(crate::model::LookedAt::EndOf(_)))
        {
            continue;
        }
        if let Some(window) = bobbing_ratio(policy, &trigger.condition, 0) {
            found.push(
                Finding::new(
                    &first_line(&trigger.loc),
                    format!(
                        "the trigger `{}` fires again each time attendance over {window} crosses its threshold",
                        trigger.name
                    ),
                )
                .label("no limit on firing again")
                .help("limit it: end the trigger with `once per term` (or `not again within 4 school_weeks`)"),
            );
        }
    }
    found
}
