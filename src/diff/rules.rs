//! The rules compared: escalations and their steps, triggers, plans, penalty notices and
//! schedules; inside a condition of the same shape, each threshold and window that changed.

use super::{Change, ChangeKind, Detail, actions, change, field, list, looked_at_text, matched};
use crate::model::{
    Action, Condition, CountMetric, Escalation, Plan, PlanTarget, Policy, Step, Trigger, Window,
};

fn step_key(s: &Step) -> String {
    let mut when: Vec<String> = s.guard.iter().map(ToString::to_string).collect();
    when.extend(s.judged.iter().map(ToString::to_string));
    match when.is_empty() {
        false => format!("day {} when {}", s.day, when.join(" and ")),
        true => format!("day {}", s.day),
    }
}

pub(super) fn escalations(old: &Policy, new: &Policy, out: &mut Vec<Change>) {
    let content = |e: &Escalation| (e.codes.clone(), e.steps.clone());
    matched(
        &old.escalations,
        &new.escalations,
        |e| &e.name,
        |a, b| content(a) == content(b),
        |o, n| {
            let mut d = Vec::new();
            match (o, n) {
                (Some(o), Some(n)) => {
                    field(
                        &mut d,
                        "days marked",
                        Some(o.codes.to_string()),
                        Some(n.codes.to_string()),
                    );
                    out.extend(change("escalation", Some(&o.name), Some(&n.name), d));
                    steps(&n.name, &o.steps, &n.steps, out);
                }
                (Some(e), None) | (None, Some(e)) => {
                    let steps: Vec<String> = e
                        .steps
                        .iter()
                        .map(|s| format!("{}: {}", step_key(s), actions(&s.actions).join(", ")))
                        .collect();
                    for s in steps {
                        let (a, z) = if o.is_some() {
                            (Some(s), None)
                        } else {
                            (None, Some(s))
                        };
                        d.push(Detail::new("step", a, z));
                    }
                    d.insert(
                        0,
                        Detail::new(
                            "days marked",
                            o.map(|e| e.codes.to_string()),
                            n.map(|e| e.codes.to_string()),
                        ),
                    );
                    out.extend(change(
                        "escalation",
                        o.map(|e| e.name.as_str()),
                        n.map(|e| e.name.as_str()),
                        d,
                    ));
                }
                (None, None) => {}
            }
        },
    );
}

/// An escalation's steps, matched by day and guard.
fn steps(escalation: &str, old: &[Step], new: &[Step], out: &mut Vec<Change>) {
    let keyed = |s: &[Step]| -> Vec<(String, Vec<String>)> {
        s.iter()
            .map(|s| (step_key(s), actions(&s.actions)))
            .collect()
    };
    let (o, n) = (keyed(old), keyed(new));
    matched(
        &o,
        &n,
        |s| &s.0,
        |_, _| false,
        |a, b| {
            let mut d = Vec::new();
            match (a, b) {
                (Some(a), Some(b)) => list(&mut d, "action", &a.1, &b.1),
                (Some(s), None) | (None, Some(s)) => {
                    for action in &s.1 {
                        let (x, y) = if a.is_some() {
                            (Some(action.clone()), None)
                        } else {
                            (None, Some(action.clone()))
                        };
                        d.push(Detail::new("action", x, y));
                    }
                }
                (None, None) => {}
            }
            let name = |s: &(String, Vec<String>)| format!("{escalation}: {}", s.0);
            let (a, b) = (a.map(name), b.map(name));
            out.extend(change("step", a.as_deref(), b.as_deref(), d));
        },
    );
}

pub(super) fn triggers(old: &Policy, new: &Policy, out: &mut Vec<Change>) {
    let same = |a: &Trigger, b: &Trigger| {
        let mut b = b.clone();
        b.name.clone_from(&a.name);
        *a == b
    };
    matched(
        &old.triggers,
        &new.triggers,
        |t| &t.name,
        same,
        |o, n| {
            let mut d = Vec::new();
            let describe = |d: &mut Vec<Detail>, t: Option<&Trigger>, u: Option<&Trigger>| {
                field(
                    d,
                    "when",
                    t.map(|t| t.condition.to_string()),
                    u.map(|t| t.condition.to_string()),
                );
                if let (Some(t), Some(u)) = (t, u) {
                    d.extend(condition_changes(&t.condition, &u.condition));
                }
                field(
                    d,
                    "judged",
                    t.and_then(|t| t.judged.as_ref().map(ToString::to_string)),
                    u.and_then(|t| t.judged.as_ref().map(ToString::to_string)),
                );
                field(
                    d,
                    "from possible sessions",
                    t.map(|t| t.min_possible.to_string()),
                    u.map(|t| t.min_possible.to_string()),
                );
                field(
                    d,
                    "looked at",
                    t.map(|t| looked_at_text(t.looked_at)),
                    u.map(|t| looked_at_text(t.looked_at)),
                );
                field(
                    d,
                    "repeat",
                    t.map(|t| t.repeat.to_string()),
                    u.map(|t| t.repeat.to_string()),
                );
                field(
                    d,
                    "stage",
                    t.and_then(|t| t.stage.as_ref().map(|s| s.id.clone())),
                    u.and_then(|t| t.stage.as_ref().map(|s| s.id.clone())),
                );
                let a = t.map(|t| actions(&t.actions)).unwrap_or_default();
                let b = u.map(|t| actions(&t.actions)).unwrap_or_default();
                list(d, "then", &a, &b);
            };
            describe(&mut d, o, n);
            out.extend(change(
                "trigger",
                o.map(|t| t.name.as_str()),
                n.map(|t| t.name.as_str()),
                d,
            ));
        },
    );
}

fn target_text(t: &PlanTarget) -> String {
    match t {
        PlanTarget::Condition(c) => c.to_string(),
        PlanTarget::Judged { criterion, by, .. } => format!("judged \"{criterion}\" by {by}"),
        PlanTarget::Unstated => "(none stated)".into(),
    }
}

pub(super) fn plans(old: &Policy, new: &Policy, out: &mut Vec<Change>) {
    let same = |a: &Plan, b: &Plan| {
        let mut b = b.clone();
        b.name.clone_from(&a.name);
        *a == b
    };
    matched(
        &old.plans,
        &new.plans,
        |p| &p.name,
        same,
        |o, n| {
            let mut d = Vec::new();
            let review = |p: &Plan| match p.review_until_weeks {
                Some(u) => format!("after {} to {u} school_weeks", p.review_after_weeks),
                None => format!("after {} school_weeks", p.review_after_weeks),
            };
            field(
                &mut d,
                "stage",
                o.map(|p| p.stage.id.clone()),
                n.map(|p| p.stage.id.clone()),
            );
            field(&mut d, "review", o.map(review), n.map(review));
            field(
                &mut d,
                "target",
                o.map(|p| target_text(&p.target)),
                n.map(|p| target_text(&p.target)),
            );
            if let (Some(PlanTarget::Condition(a)), Some(PlanTarget::Condition(b))) =
                (o.map(|p| &p.target), n.map(|p| &p.target))
            {
                d.extend(condition_changes(a, b));
            }
            field(
                &mut d,
                "escalate to",
                o.and_then(|p| p.escalate_to.as_ref().map(|s| s.id.clone())),
                n.and_then(|p| p.escalate_to.as_ref().map(|s| s.id.clone())),
            );
            let acts = |p: Option<&Plan>, f: fn(&Plan) -> &Vec<Action>| {
                p.map(|p| actions(f(p))).unwrap_or_default()
            };
            list(
                &mut d,
                "on open",
                &acts(o, |p| &p.on_open),
                &acts(n, |p| &p.on_open),
            );
            list(
                &mut d,
                "on miss",
                &acts(o, |p| &p.on_miss),
                &acts(n, |p| &p.on_miss),
            );
            list(
                &mut d,
                "on met",
                &acts(o, |p| &p.on_met),
                &acts(n, |p| &p.on_met),
            );
            let every = |p: Option<&Plan>| {
                p.and_then(|p| p.every.as_ref()).map_or_else(Vec::new, |e| {
                    actions(&e.actions)
                        .into_iter()
                        .map(|a| format!("every {} school_weeks: {a}", e.school_weeks))
                        .collect()
                })
            };
            list(&mut d, "while open", &every(o), &every(n));
            out.extend(change(
                "plan",
                o.map(|p| p.name.as_str()),
                n.map(|p| p.name.as_str()),
                d,
            ));
        },
    );
}

pub(super) fn penalty_notices(old: &Policy, new: &Policy, out: &mut Vec<Change>) {
    let mut d = Vec::new();
    let threshold = |p: &Policy| {
        p.penalty_notices.threshold.as_ref().map(|t| {
            let codes = t
                .codes
                .as_ref()
                .map(|c| format!(" counting {c}"))
                .unwrap_or_default();
            format!("{} sessions in {}{codes}", t.sessions, t.window)
        })
    };
    field(&mut d, "threshold", threshold(old), threshold(new));
    let limit = |p: &Policy| {
        p.penalty_notices
            .limit
            .as_ref()
            .map(|l| format!("{} in {} years", l.notices, l.years))
    };
    field(&mut d, "limit", limit(old), limit(new));
    let fines = |f: &[crate::model::Fine]| -> Vec<String> {
        f.iter()
            .map(|f| {
                format!(
                    "£{}.{:02} within {} days",
                    f.pence / 100,
                    f.pence % 100,
                    f.within_days
                )
            })
            .collect()
    };
    list(
        &mut d,
        "fine",
        &fines(&old.penalty_notices.fines),
        &fines(&new.penalty_notices.fines),
    );
    list(
        &mut d,
        "second fine",
        &fines(&old.penalty_notices.second_fines),
        &fines(&new.penalty_notices.second_fines),
    );
    if !d.is_empty() {
        out.push(Change {
            part: "penalty_notices",
            name: String::new(),
            change: ChangeKind::Changed,
            details: d,
        });
    }
}

/// Where two conditions have the same shape, the thresholds, windows and comparisons that
/// differ, each named (`threshold of attendance(year_to_date): 95% → 96%`); nothing when their
/// shapes differ (the whole condition is shown then).
pub fn condition_changes(old: &Condition, new: &Condition) -> Vec<Detail> {
    let mut out = Vec::new();
    if !same_shape(old, new, &mut out) {
        return Vec::new();
    }
    out
}

fn window_of(m: &CountMetric) -> Option<Window> {
    match m {
        CountMetric::Sessions { window, .. } | CountMetric::Codes { window, .. } => Some(*window),
        CountMetric::ConsecutiveDays { .. } | CountMetric::NoticesIssued { .. } => None,
    }
}

/// The metric without its window, to tell a changed window from another metric.
fn metric_kind(m: &CountMetric) -> String {
    match m {
        CountMetric::Sessions { class, .. } => class.keyword().to_string(),
        CountMetric::Codes { codes, .. } => format!("count({codes})"),
        other => other.to_string(),
    }
}

fn same_shape(a: &Condition, b: &Condition, out: &mut Vec<Detail>) -> bool {
    let mut note = |what: String, x: String, y: String| {
        if x != y {
            out.push(Detail::new(&what, Some(x), Some(y)));
        }
    };
    match (a, b) {
        (Condition::All(x), Condition::All(y)) | (Condition::Any(x), Condition::Any(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_shape(p, q, out))
        }
        (Condition::Not(x), Condition::Not(y)) => same_shape(x, y, out),
        (
            Condition::Ratio {
                metric: m1,
                window: w1,
                op: o1,
                value: v1,
            },
            Condition::Ratio {
                metric: m2,
                window: w2,
                op: o2,
                value: v2,
            },
        ) if m1 == m2 => {
            let name = m2.keyword();
            note(format!("window of {name}"), w1.to_string(), w2.to_string());
            note(
                format!("threshold of {name}({w2})"),
                format!("{} {v1}", o1.token()),
                format!("{} {v2}", o2.token()),
            );
            true
        }
        (
            Condition::Count {
                metric: m1,
                op: o1,
                value: v1,
            },
            Condition::Count {
                metric: m2,
                op: o2,
                value: v2,
            },
        ) if metric_kind(m1) == metric_kind(m2) => {
            if let (Some(w1), Some(w2)) = (window_of(m1), window_of(m2)) {
                note(
                    format!("window of {}", metric_kind(m2)),
                    w1.to_string(),
                    w2.to_string(),
                );
            }
            note(
                format!("threshold of {m2}"),
                format!("{} {v1}", o1.token()),
                format!("{} {v2}", o2.token()),
            );
            true
        }
        (
            Condition::Share {
                lhs: l1,
                op: o1,
                percent: p1,
                rhs: r1,
            },
            Condition::Share {
                lhs: l2,
                op: o2,
                percent: p2,
                rhs: r2,
            },
        ) if metric_kind(l1) == metric_kind(l2) && metric_kind(r1) == metric_kind(r2) => {
            if let (Some(w1), Some(w2)) = (window_of(l1), window_of(l2)) {
                note(
                    format!("window of {}", metric_kind(l2)),
                    w1.to_string(),
                    w2.to_string(),
                );
            }
            note(
                format!("share of {r2}"),
                format!("{} {p1}", o1.token()),
                format!("{} {p2}", o2.token()),
            );
            true
        }
        (
            Condition::YearGroup { op: o1, value: v1 },
            Condition::YearGroup { op: o2, value: v2 },
        ) => {
            note(
                "year group".into(),
                format!("{} {v1}", o1.token()),
                format!("{} {v2}", o2.token()),
            );
            true
        }
        (Condition::Stage { op: o1, stage: s1 }, Condition::Stage { op: o2, stage: s2 }) => {
            note(
                "stage test".into(),
                format!("{} {}", o1.token(), s1.id),
                format!("{} {}", o2.token(), s2.id),
            );
            true
        }
        _ => a == b,
    }
}

fn threshold_text(t: crate::model::Threshold) -> String {
    match t {
        crate::model::Threshold::Sessions(n) => format!("{n} sessions"),
        crate::model::Threshold::Percent(p) => p.to_string(),
    }
}

/// Schedules (a threshold per half-term or term), by name: each period's threshold.
pub(super) fn schedules(old: &Policy, new: &Policy, out: &mut Vec<Change>) {
    let same = |a: &crate::model::Schedule, b: &crate::model::Schedule| {
        let mut b = b.clone();
        b.name.clone_from(&a.name);
        *a == b
    };
    matched(
        &old.schedules,
        &new.schedules,
        |s| &s.name,
        same,
        |o, n| {
            let mut d = Vec::new();
            let rows = |s: &crate::model::Schedule| -> Vec<(u32, String)> {
                s.rows
                    .iter()
                    .map(|r| (r.period, threshold_text(r.threshold)))
                    .collect()
            };
            if let (Some(o), Some(n)) = (o, n) {
                field(
                    &mut d,
                    "per",
                    Some(o.per.keyword().to_string()),
                    Some(n.per.keyword().to_string()),
                );
                let (a, b) = (rows(o), rows(n));
                let periods: std::collections::BTreeSet<u32> =
                    a.iter().chain(&b).map(|(p, _)| *p).collect();
                for p in periods {
                    let find = |r: &[(u32, String)]| {
                        r.iter().find(|(q, _)| *q == p).map(|(_, t)| t.clone())
                    };
                    field(
                        &mut d,
                        &format!("{} {p}", n.per.keyword()),
                        find(&a),
                        find(&b),
                    );
                }
            }
            out.extend(change(
                "schedule",
                o.map(|s| s.name.as_str()),
                n.map(|s| s.name.as_str()),
                d,
            ));
        },
    );
}
