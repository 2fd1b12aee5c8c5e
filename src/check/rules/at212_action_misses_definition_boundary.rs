//! AT212: an action written at the boundary of persistent or severe absence that leaves out
//! (or takes in) the boundary itself, where the definition does the opposite.

use std::ops::Bound;

use super::common::*;
use crate::model::{Definition, End, Interval, Origin, Window};

pub static RULE: Rule = Rule {
    code: "AT212",
    name: "action-misses-definition-boundary",
    severity: Severity::Warning,
    source: "the policy's own definitions; WT (national-rules.md §2)",
    in_force: InForce::ALWAYS,
    docs: Docs {
        what: "A band or trigger with actions whose attendance range ends where the policy's own \
definition of `persistent_absence` or `severe_absence` ends (or, without one, the national \
definition), on the same percentage, but includes that percentage where the definition does \
not, or the other way round: an LA referral \"under 90%\" while persistent absence includes \
exactly 90%.",
        why: "A pupil at exactly the boundary (9 of 10 possible sessions, 90%) is persistently \
absent by the definition but gets none of the actions written for persistent absence, or the \
other way round. Persistent absence is missing 10% or more, so exactly 90% attendance is \
persistent absence (national-rules.md §2).",
        example: r#"define persistent_absence "miss 10% or more" when absence(year_to_date) >= 10%
trigger "LA referral" when attendance(year_to_date) < 90% then refer local_authority"#,
        fix: "Write the action's range so that it ends as the definition does (`<= 90%`, or `when \
persistent_absence`), or say why the boundary differs.",
    },
    check,
};

/// The upper end of attendance a definition holds, when it is one interval from 0%.
fn upper_end(ctx: &Context, d: &Definition) -> Option<(Window, End)> {
    let (window, set) = attendance_set(ctx.policy, &d.condition)?;
    let [interval] = set.as_slice() else {
        return None;
    };
    let (_, hi) = interval.inner_ends();
    Some((window, hi?))
}

fn definitions<'a>(ctx: &'a Context, name: &str) -> Vec<(&'a Definition, &'static str)> {
    let own: Vec<_> = ctx
        .policy
        .definitions
        .iter()
        .filter(|d| d.name == name && d.origin == Origin::School)
        .map(|d| (d, "the policy's"))
        .collect();
    if !own.is_empty() {
        return own;
    }
    national_definition(name)
        .map(|d| vec![(d, "the national")])
        .unwrap_or_default()
}

fn end_text(p: crate::model::Percent, included: bool) -> String {
    if included {
        format!("includes exactly {p}")
    } else {
        format!("leaves out exactly {p}")
    }
}

fn check(ctx: &Context) -> Vec<Finding> {
    if ctx.baseline {
        return Vec::new();
    }
    // Each place that acts on a range of attendance: (where, what, window, range).
    let mut places: Vec<(crate::source::Loc, String, Window, Interval)> = Vec::new();
    for set in school_band_sets(ctx.policy) {
        if set.metric != crate::model::RatioMetric::Attendance {
            continue;
        }
        for band in set.bands.iter().filter(|b| b.has_entry_actions()) {
            places.push((
                band.range_loc.clone(),
                format!("the band `{}`", band.id),
                set.window,
                band.range,
            ));
        }
    }
    // A ladder stage's `at once when ...`: a second way in, with the stage's actions.
    for set in school_band_sets(ctx.policy) {
        let Some(ladder) = &set.ladder else { continue };
        for (band, at_once) in set.bands.iter().zip(&ladder.at_once) {
            let Some(at_once) = at_once.as_ref().filter(|_| band.has_entry_actions()) else {
                continue;
            };
            if let Some((window, interval)) = attendance_part(ctx, &at_once.when) {
                places.push((
                    at_once.loc.clone(),
                    format!("the stage `{}` (entered at once)", band.id),
                    window,
                    interval,
                ));
            }
        }
    }
    for t in ctx
        .policy
        .triggers
        .iter()
        .filter(|t| t.origin == Origin::School && !t.actions.is_empty())
    {
        if let Some((window, interval)) = attendance_part(ctx, &t.condition) {
            places.push((
                first_line(&t.loc),
                format!("the trigger `{}`", t.name),
                window,
                interval,
            ));
        }
    }
    let mut out = Vec::new();
    for (loc, what, window, range) in places {
        let Some((p, included)) = range.inner_ends().1 else {
            continue;
        };
        for name in ["persistent_absence", "severe_absence"] {
            for (d, whose) in definitions(ctx, name) {
                let Some((d_window, (dp, d_included))) = upper_end(ctx, d) else {
                    continue;
                };
                if d_window != window || dp != p || d_included == included {
                    continue;
                }
                let pupil = example_at(p);
                out.push(
                    Finding::new(
                        &loc,
                        format!(
                            "{what} {} attendance, but {whose} `{name}` ({}) {}: {pupil} is {} `{name}` {}",
                            end_text(p, included),
                            wording(d),
                            end_text(p, d_included),
                            if d_included { "" } else { "not" },
                            if included { "yet gets these actions" } else { "yet does not get these actions" },
                        )
                        .replace("is  `", "is `"),
                    )
                    .label(format!("ends at {p}, {}", if included { "included" } else { "excluded" }))
                    .related(&first_line(&d.loc), format!("`{name}` {} {p}", if d_included { "includes" } else { "excludes" }))
                    .help(format!("end the range as `{name}` does, or write the condition as `{name}`")),
                );
            }
        }
    }
    out
}

/// The one range of attendance a condition requires: the whole condition when it is nothing
/// else, or the one attendance comparison every row of it makes alongside other tests
/// (`attendance(year_to_date) < 90% and absent(rolling 5 school_weeks) >= 2`).
fn attendance_part(ctx: &Context, c: &crate::model::Condition) -> Option<(Window, Interval)> {
    if let Some((window, set)) = attendance_set(ctx.policy, c) {
        return match set.as_slice() {
            [interval] => Some((window, *interval)),
            _ => None,
        };
    }
    let rows = crate::model::normal::rows(ctx.policy, c)?;
    let mut found: Option<(Window, Interval)> = None;
    for (row, ok) in rows {
        if !ok {
            continue;
        }
        let ratios: Vec<(Window, Interval)> = row
            .iter()
            .filter_map(|a| match a {
                crate::model::normal::Atom::Ratio {
                    metric: crate::model::RatioMetric::Attendance,
                    window,
                    interval,
                } => Some((*window, *interval)),
                _ => None,
            })
            .collect();
        let [one] = ratios.as_slice() else {
            return None;
        };
        if found.is_some_and(|f| f != *one) {
            return None;
        }
        found = Some(*one);
    }
    found
}

/// The smallest pupil at exactly `p`, as "a pupil with 9 of 10 possible sessions (90%)".
fn example_at(p: crate::model::Percent) -> String {
    let point = Interval {
        lo: Bound::Included(p),
        hi: Bound::Included(p),
    };
    shape::smallest_pair(&point, 1, shape::max_possible(Window::YearToDate))
        .map(|e| {
            format!(
                "a pupil with {} of {} possible sessions ({p})",
                e.sessions, e.possible
            )
        })
        .unwrap_or_else(|| format!("a pupil at exactly {p}"))
}
