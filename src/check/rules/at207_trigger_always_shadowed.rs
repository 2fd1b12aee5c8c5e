//! AT207: a trigger that only ever holds when another trigger holds and does the same.

use super::common::*;
use crate::model::normal::{self, Atom, CountRange};
use crate::model::{Origin, Trigger};

pub static RULE: Rule = Rule {
    code: "AT207",
    name: "trigger-always-shadowed",
    severity: Severity::Warning,
    source: "the policy's own rules (docs/language.md, triggers)",
    in_force: InForce::ALWAYS,
    docs: Docs {
        what: "Each trigger of the school's against every other trigger (national ones \
included): if every way it can hold is contained in a way the other holds, and the other does \
the same actions with the same repetition and no stricter evidence guard, the trigger adds \
nothing.",
        why: "A shadowed trigger sends a second copy of a letter or referral the other trigger has \
already sent, or is a restatement of a national rule under another name. Either way a reader \
thinks the policy says more than it does.",
        example: r#"trigger "penalty" when unauthorised(rolling 10 school_weeks) >= 12 and pupil.compulsory_school_age
  then consider penalty_notice"#,
        fix: "Delete the trigger, or give it actions of its own.",
    },
    check,
};

fn check(ctx: &Context) -> Vec<Finding> {
    let policy = ctx.policy;
    let mut out = Vec::new();
    for (i, t) in policy.triggers.iter().enumerate() {
        if t.origin != Origin::School {
            continue;
        }
        let Some(rows) = satisfiable_rows(policy, t) else {
            continue;
        };
        if rows.is_empty() {
            continue;
        }
        for (j, other) in policy.triggers.iter().enumerate() {
            if i == j
                || !same_actions(t, other)
                || other.repeat != t.repeat
                // Looked at on other days, it acts on other days.
                || other.looked_at != t.looked_at
                || other.min_possible > t.min_possible
            {
                continue;
            }
            let Some(other_rows) = satisfiable_rows(policy, other) else {
                continue;
            };
            let covered = rows
                .iter()
                .all(|r| other_rows.iter().any(|o| implies(r, o)));
            // Two triggers that say the same thing shadow each other: report the later one.
            let mutual = other_rows
                .iter()
                .all(|o| rows.iter().any(|r| implies(o, r)));
            let other_first = other.origin == Origin::National || j < i;
            if covered && (!mutual || other_first) {
                let whose = if other.origin == Origin::National {
                    "the national trigger"
                } else {
                    "the trigger"
                };
                out.push(
                    Finding::new(&first_line(&t.loc), format!(
                        "the trigger `{}` only holds when {whose} `{}` holds, and does the same",
                        t.name, other.name
                    ))
                    .label("adds nothing")
                    .related(&first_line(&other.loc), "does the same whenever it holds")
                    .help("delete it, or give it actions of its own"),
                );
                break;
            }
        }
    }
    out
}

fn satisfiable_rows(policy: &crate::model::Policy, t: &Trigger) -> Option<Vec<Vec<Atom>>> {
    Some(
        normal::rows(policy, &t.condition)?
            .into_iter()
            .filter(|(_, ok)| *ok)
            .map(|(r, _)| r)
            .collect(),
    )
}

fn same_actions(a: &Trigger, b: &Trigger) -> bool {
    let mut x: Vec<String> = a.actions.iter().map(|a| a.kind.name()).collect();
    let mut y: Vec<String> = b.actions.iter().map(|a| a.kind.name()).collect();
    x.sort();
    y.sort();
    !x.is_empty() && x == y
}

/// Whether every pupil meeting `row` meets `other`: each constraint of `other` is implied by
/// one of `row`.
fn implies(row: &[Atom], other: &[Atom]) -> bool {
    other
        .iter()
        .all(|need| row.iter().any(|have| atom_implies(have, need)))
}

fn atom_implies(have: &Atom, need: &Atom) -> bool {
    match (have, need) {
        (
            Atom::Ratio {
                metric: m1,
                window: w1,
                interval: i1,
            },
            Atom::Ratio {
                metric: m2,
                window: w2,
                interval: i2,
            },
        ) => m1 == m2 && w1 == w2 && shape::within(i1, i2),
        (
            Atom::Count {
                metric: m1,
                range: r1,
            },
            Atom::Count {
                metric: m2,
                range: r2,
            },
        ) => m1 == m2 && range_within(r1, r2),
        (Atom::YearGroup { range: r1 }, Atom::YearGroup { range: r2 }) => range_within(r1, r2),
        (Atom::Stage { lo: l1, hi: h1, .. }, Atom::Stage { lo: l2, hi: h2, .. }) => {
            l1 >= l2 && h1 <= h2
        }
        (Atom::Flag { .. }, Atom::Flag { .. }) | (Atom::Share { .. }, Atom::Share { .. }) => {
            have == need
        }
        _ => false,
    }
}

fn range_within(inner: &CountRange, outer: &CountRange) -> bool {
    inner.lo >= outer.lo
        && outer
            .hi
            .is_none_or(|oh| inner.hi.is_some_and(|ih| ih <= oh))
}
