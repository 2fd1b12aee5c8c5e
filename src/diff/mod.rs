//! `attend diff`: what changes between two versions of a policy. The symbolic change compares
//! the two models (bands as exact regions of attendance, with a pupil in whole sessions at
//! each region that moved; rules, steps, plans, stages, letters, register times); the replayed
//! change (`replay.rs`) runs both decision tables over one register. Pure: data in, figures out.

mod bands;
mod render;
pub mod replay;

use serde::Serialize;

use crate::model::{
    Action, BandSet, Condition, CountMetric, Escalation, LookedAt, Named, Plan, PlanTarget, Policy,
    Step, Trigger, Window,
};

pub use bands::{BandRange, BandSetDiff, Example, GuardChange, Move, example_pair};
pub(crate) use render::{
    bands_text as bands_of, detail_words as detail_of, guard_text as guard_of,
    subject as subject_of, totals as totals_of,
};
pub use replay::Replay;

/// Everything that changed from one policy to the other.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diff {
    /// The files compared, as named on the command line.
    pub old: Side,
    pub new: Side,
    /// Each band set's regions of attendance that now fall in another band.
    pub bands: Vec<BandSetDiff>,
    /// Every other change, in the order of the policy's parts.
    pub changes: Vec<Change>,
    /// What the change does to a register, when one was replayed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replay: Option<Replay>,
}

impl Diff {
    /// Whether the two policies say the same thing (and, replayed, do the same).
    pub fn is_empty(&self) -> bool {
        self.bands.iter().all(BandSetDiff::is_empty)
            && self.changes.is_empty()
            && self.replay.as_ref().is_none_or(Replay::is_empty)
    }
}

/// One of the two policies compared.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Side {
    pub file: String,
    pub policy: String,
}

/// A part of the policy added, removed, renamed or changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    /// `band`, `trigger`, `escalation`, `step`, `plan`, `stage`, `definition`, `letter`,
    /// `role`, `meeting`, `calendar`, `penalty_notices`, `policy`.
    pub part: &'static str,
    pub name: String,
    pub change: ChangeKind,
    pub details: Vec<Detail>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum ChangeKind {
    Added,
    Removed,
    Changed,
    /// The same content under a new name.
    Renamed {
        from: String,
    },
}

/// One field of a part: its old and new text (`None` where it is not there).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Detail {
    pub what: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

impl Detail {
    fn new(what: &str, old: Option<String>, new: Option<String>) -> Detail {
        Detail {
            what: what.to_string(),
            old,
            new,
        }
    }
}

/// The symbolic change from `old` to `new`.
pub fn diff(old: &Policy, new: &Policy, old_file: &str, new_file: &str) -> Diff {
    let mut changes = Vec::new();
    policy_fields(old, new, &mut changes);
    stages(old, new, &mut changes);
    named_list("role", &old.roles, &new.roles, &mut changes);
    named_list("meeting", &old.meetings, &new.meetings, &mut changes);
    letters(old, new, &mut changes);
    calendar(old, new, &mut changes);
    definitions(old, new, &mut changes);
    let bands = band_sets(old, new, &mut changes);
    escalations(old, new, &mut changes);
    triggers(old, new, &mut changes);
    plans(old, new, &mut changes);
    penalty_notices(old, new, &mut changes);
    schedules(old, new, &mut changes);
    Diff {
        old: Side {
            file: old_file.to_string(),
            policy: old.name.clone(),
        },
        new: Side {
            file: new_file.to_string(),
            policy: new.name.clone(),
        },
        bands,
        changes,
        replay: None,
    }
}

/// Adds a detail when the two texts differ.
fn field(details: &mut Vec<Detail>, what: &str, old: Option<String>, new: Option<String>) {
    if old != new {
        details.push(Detail::new(what, old, new));
    }
}

/// A list compared as a multiset of texts: each one gone is a detail with only `old`, each
/// one new a detail with only `new`.
fn list(details: &mut Vec<Detail>, what: &str, old: &[String], new: &[String]) {
    let mut rest: Vec<&String> = new.iter().collect();
    for o in old {
        match rest.iter().position(|n| *n == o) {
            Some(i) => {
                rest.remove(i);
            }
            None => details.push(Detail::new(what, Some(o.clone()), None)),
        }
    }
    for n in rest {
        details.push(Detail::new(what, None, Some(n.clone())));
    }
}

/// An action as the policy writes it: `letter concern "note" by attendance_officer`.
pub fn action_text(a: &Action) -> String {
    let mut out = a.kind.name();
    if let Some(note) = &a.note {
        out.push_str(&format!(" \"{note}\""));
    }
    if let Some(by) = &a.by {
        out.push_str(&format!(" by {by}"));
    }
    out
}

fn actions(a: &[Action]) -> Vec<String> {
    a.iter().map(action_text).collect()
}

fn looked_at_text(l: Option<LookedAt>) -> String {
    match l {
        None => "every school day".into(),
        Some(LookedAt::EndOf(p)) => format!("at end of {}", p.keyword()),
        Some(LookedAt::Every { school_weeks }) => format!("every {school_weeks} school_weeks"),
    }
}

fn opt<T: ToString>(v: Option<&T>) -> Option<String> {
    v.map(ToString::to_string)
}

/// Matches items by name; an item only in `old` and one only in `new` whose contents are equal
/// (`same`) are a rename. Calls `each` with every pair, `None` on the side it is missing from.
fn matched<'a, T>(
    old: &'a [T],
    new: &'a [T],
    name: impl Fn(&T) -> &str,
    same: impl Fn(&T, &T) -> bool,
    mut each: impl FnMut(Option<&'a T>, Option<&'a T>),
) {
    let mut used = vec![false; new.len()];
    let mut gone = Vec::new();
    for o in old {
        match new
            .iter()
            .enumerate()
            .position(|(i, n)| !used[i] && name(n) == name(o))
        {
            Some(i) => {
                used[i] = true;
                each(Some(o), Some(&new[i]));
            }
            None => gone.push(o),
        }
    }
    for o in gone {
        let renamed = new
            .iter()
            .enumerate()
            .position(|(i, n)| !used[i] && !old.iter().any(|x| name(x) == name(n)) && same(o, n));
        match renamed {
            Some(i) => {
                used[i] = true;
                each(Some(o), Some(&new[i]));
            }
            None => each(Some(o), None),
        }
    }
    for (i, n) in new.iter().enumerate() {
        if !used[i] {
            each(None, Some(n));
        }
    }
}

/// The change for a matched pair, or `None` when nothing differs.
fn change(
    part: &'static str,
    old: Option<&str>,
    new: Option<&str>,
    details: Vec<Detail>,
) -> Option<Change> {
    match (old, new) {
        (Some(o), Some(n)) if o != n => Some(Change {
            part,
            name: n.to_string(),
            change: ChangeKind::Renamed {
                from: o.to_string(),
            },
            details,
        }),
        (Some(o), Some(_)) => (!details.is_empty()).then(|| Change {
            part,
            name: o.to_string(),
            change: ChangeKind::Changed,
            details,
        }),
        (Some(o), None) => Some(Change {
            part,
            name: o.to_string(),
            change: ChangeKind::Removed,
            details,
        }),
        (None, Some(n)) => Some(Change {
            part,
            name: n.to_string(),
            change: ChangeKind::Added,
            details,
        }),
        (None, None) => None,
    }
}

fn policy_fields(old: &Policy, new: &Policy, out: &mut Vec<Change>) {
    let mut d = Vec::new();
    field(
        &mut d,
        "name",
        Some(old.name.clone()),
        Some(new.name.clone()),
    );
    let ext = |p: &Policy| {
        Some(
            if p.extends_national.is_some() {
                "yes"
            } else {
                "no"
            }
            .into(),
        )
    };
    field(&mut d, "extends national", ext(old), ext(new));
    field(
        &mut d,
        "phase",
        opt(old.phase.as_ref().map(|p| &p.0)),
        opt(new.phase.as_ref().map(|p| &p.0)),
    );
    field(
        &mut d,
        "type",
        opt(old.school_type.as_ref().map(|p| &p.0)),
        opt(new.school_type.as_ref().map(|p| &p.0)),
    );
    field(
        &mut d,
        "target",
        opt(old.target.as_ref().map(|p| &p.0)),
        opt(new.target.as_ref().map(|p| &p.0)),
    );
    field(
        &mut d,
        "ratified",
        opt(old.ratified.as_ref().map(|p| &p.0)),
        opt(new.ratified.as_ref().map(|p| &p.0)),
    );
    field(
        &mut d,
        "review",
        opt(old.review.as_ref().map(|p| &p.0)),
        opt(new.review.as_ref().map(|p| &p.0)),
    );
    let cites = |p: &Policy| -> Vec<String> {
        p.citations
            .iter()
            .map(|c| format!("{} \"{}\"", c.kind.keyword(), c.title))
            .collect()
    };
    list(&mut d, "cites", &cites(old), &cites(new));
    let procedures = |p: &Policy| -> Vec<String> {
        p.procedures
            .iter()
            .map(|c| format!("{} \"{}\"", c.topic.keyword(), c.text))
            .collect()
    };
    list(&mut d, "procedure", &procedures(old), &procedures(new));
    if !d.is_empty() {
        out.push(Change {
            part: "policy",
            name: String::new(),
            change: ChangeKind::Changed,
            details: d,
        });
    }
}

/// Stages are matched by the framework stage each stands for, so a new name is a rename.
fn stages(old: &Policy, new: &Policy, out: &mut Vec<Change>) {
    for o in &old.stages {
        let n = new.stages.iter().find(|s| s.framework == o.framework);
        let mut d = Vec::new();
        if let Some(n) = n {
            field(&mut d, "description", o.text.clone(), n.text.clone());
        }
        out.extend(change("stage", Some(&o.id), n.map(|s| s.id.as_str()), d));
    }
}

fn named_list(part: &'static str, old: &[Named], new: &[Named], out: &mut Vec<Change>) {
    matched(
        old,
        new,
        |n| &n.id,
        |a, b| a.text == b.text,
        |o, n| {
            let mut d = Vec::new();
            field(
                &mut d,
                "description",
                o.map(|x| x.text.clone()),
                n.map(|x| x.text.clone()),
            );
            if o.is_none() || n.is_none() {
                d.clear();
            }
            out.extend(change(
                part,
                o.map(|x| x.id.as_str()),
                n.map(|x| x.id.as_str()),
                d,
            ));
        },
    );
}

fn letters(old: &Policy, new: &Policy, out: &mut Vec<Change>) {
    matched(
        &old.letters,
        &new.letters,
        |l| &l.id,
        |a, b| a.template == b.template,
        |o, n| {
            let mut d = Vec::new();
            if let (Some(o), Some(n)) = (o, n) {
                field(
                    &mut d,
                    "template",
                    Some(o.template.clone()),
                    Some(n.template.clone()),
                );
            }
            out.extend(change(
                "letter",
                o.map(|x| x.id.as_str()),
                n.map(|x| x.id.as_str()),
                d,
            ));
        },
    );
}

fn clock(minutes: Option<u16>) -> String {
    minutes.map_or_else(
        || "not stated".into(),
        |m| format!("{:02}:{:02}", m / 60, m % 60),
    )
}

fn calendar(old: &Policy, new: &Policy, out: &mut Vec<Change>) {
    let mut d = Vec::new();
    let times = |p: &Policy, s: crate::model::SessionName| {
        p.calendar
            .sessions
            .iter()
            .find(|t| t.session == s)
            .map(|t| {
                format!(
                    "opens {}, late after {}, closes {}",
                    clock(t.opens),
                    clock(t.late_after),
                    clock(t.closes)
                )
            })
    };
    for s in crate::model::SessionName::ALL {
        field(
            &mut d,
            &format!("{} register", s.keyword()),
            times(old, *s),
            times(new, *s),
        );
    }
    let terms = |p: &Policy| -> Vec<String> {
        p.calendar
            .terms()
            .map(|t| format!("{} {} to {}", t.name, t.start, t.end))
            .collect()
    };
    list(&mut d, "term", &terms(old), &terms(new));
    let closures = |p: &Policy| -> Vec<String> {
        p.calendar
            .closures()
            .map(|c| format!("{} {} to {}", c.kind.keyword(), c.start, c.end))
            .collect()
    };
    list(&mut d, "closure", &closures(old), &closures(new));
    if old.calendar.school_day != new.calendar.school_day {
        d.push(Detail::new(
            "school day",
            Some("as before".into()),
            Some("changed (gates, lunch, end of day or groups)".into()),
        ));
    }
    if !d.is_empty() {
        out.push(Change {
            part: "calendar",
            name: String::new(),
            change: ChangeKind::Changed,
            details: d,
        });
    }
}

/// The school's definitions, by name: a name defined twice is compared as a list.
fn definitions(old: &Policy, new: &Policy, out: &mut Vec<Change>) {
    let school = |p: &Policy| -> Vec<String> {
        let mut names: Vec<String> = p
            .definitions
            .iter()
            .filter(|d| d.origin == crate::model::Origin::School)
            .map(|d| d.name.clone())
            .collect();
        names.dedup();
        names
    };
    let text = |p: &Policy, name: &str| -> Vec<String> {
        p.definitions
            .iter()
            .filter(|d| d.name == name && d.origin == crate::model::Origin::School)
            .map(|d| match &d.wording {
                Some(w) => format!("\"{w}\" when {}", d.condition),
                None => format!("when {}", d.condition),
            })
            .collect()
    };
    let (o, n) = (school(old), school(new));
    let mut names = o.clone();
    names.extend(n.iter().filter(|x| !o.contains(x)).cloned());
    for name in names {
        let (a, b) = (text(old, &name), text(new, &name));
        let mut d = Vec::new();
        list(&mut d, "definition", &a, &b);
        let (in_old, in_new) = (!a.is_empty(), !b.is_empty());
        out.extend(change(
            "definition",
            in_old.then_some(name.as_str()),
            in_new.then_some(name.as_str()),
            if in_old && in_new { d } else { Vec::new() },
        ));
    }
}

fn band_sets(old: &Policy, new: &Policy, out: &mut Vec<Change>) -> Vec<BandSetDiff> {
    let mut diffs = Vec::new();
    let mut used = vec![false; new.band_sets.len()];
    let label = |s: &BandSet| s.label.clone().unwrap_or_else(|| "bands".into());
    let mut pairs: Vec<(Option<&BandSet>, Option<&BandSet>)> = Vec::new();
    for (i, o) in old.band_sets.iter().enumerate() {
        let by_label = new
            .band_sets
            .iter()
            .enumerate()
            .position(|(j, n)| !used[j] && o.label.is_some() && n.label == o.label);
        let by_place = (i < new.band_sets.len() && !used[i]).then_some(i);
        match by_label.or(by_place) {
            Some(j) => {
                used[j] = true;
                pairs.push((Some(o), Some(&new.band_sets[j])));
            }
            None => pairs.push((Some(o), None)),
        }
    }
    for (j, n) in new.band_sets.iter().enumerate() {
        if !used[j] {
            pairs.push((None, Some(n)));
        }
    }
    for (o, n) in pairs {
        match (o, n) {
            (Some(o), Some(n)) => {
                let renames = bands::band_renames(o, n);
                let mut d = Vec::new();
                field(&mut d, "label", Some(label(o)), Some(label(n)));
                field(
                    &mut d,
                    "measure",
                    Some(format!("{} over {}", o.metric.keyword(), o.window)),
                    Some(format!("{} over {}", n.metric.keyword(), n.window)),
                );
                field(
                    &mut d,
                    "from possible sessions",
                    Some(o.min_possible.to_string()),
                    Some(n.min_possible.to_string()),
                );
                field(
                    &mut d,
                    "ladder",
                    Some(o.ladder.is_some().to_string()),
                    Some(n.ladder.is_some().to_string()),
                );
                out.extend(change("bands", Some(&label(o)), Some(&label(n)), d));
                band_changes(o, n, &renames, out);
                diffs.push(bands::diff_set(o, n, &renames));
            }
            (Some(o), None) => out.push(Change {
                part: "bands",
                name: label(o),
                change: ChangeKind::Removed,
                details: o
                    .bands
                    .iter()
                    .map(|b| Detail::new("band", Some(band_line(b)), None))
                    .collect(),
            }),
            (None, Some(n)) => out.push(Change {
                part: "bands",
                name: label(n),
                change: ChangeKind::Added,
                details: n
                    .bands
                    .iter()
                    .map(|b| Detail::new("band", None, Some(band_line(b))))
                    .collect(),
            }),
            (None, None) => {}
        }
    }
    diffs
}

fn band_line(b: &crate::model::Band) -> String {
    format!("{} {} ({})", b.id, b.written, b.range.inequality_text())
}

/// Each band's own changes: its range, stage, guards, actions and how often they repeat.
fn band_changes(old: &BandSet, new: &BandSet, renames: &[(String, String)], out: &mut Vec<Change>) {
    let same = |a: &crate::model::Band, b: &crate::model::Band| {
        renames.iter().any(|(x, y)| *x == a.id && *y == b.id)
    };
    matched(
        &old.bands,
        &new.bands,
        |b| &b.id,
        same,
        |o, n| {
            let mut d = Vec::new();
            if let (Some(o), Some(n)) = (o, n) {
                if o.range == n.range {
                    // The same region in other words.
                    field(
                        &mut d,
                        "range as written (same region)",
                        Some(o.written.clone()),
                        Some(n.written.clone()),
                    );
                } else {
                    field(
                        &mut d,
                        "range",
                        Some(format!("{} ({})", o.written, o.range.inequality_text())),
                        Some(format!("{} ({})", n.written, n.range.inequality_text())),
                    );
                }
                field(&mut d, "label", o.label.clone(), n.label.clone());
                field(
                    &mut d,
                    "stage",
                    o.stage.as_ref().map(|s| s.id.clone()),
                    n.stage.as_ref().map(|s| s.id.clone()),
                );
                field(&mut d, "or", opt(o.also.as_ref()), opt(n.also.as_ref()));
                field(
                    &mut d,
                    "on enter when",
                    opt(o.enter_guard.as_ref()),
                    opt(n.enter_guard.as_ref()),
                );
                field(
                    &mut d,
                    "repeat",
                    Some(o.repeat.to_string()),
                    Some(n.repeat.to_string()),
                );
                list(
                    &mut d,
                    "on enter",
                    &actions(&o.on_enter),
                    &actions(&n.on_enter),
                );
                list(&mut d, "weekly", &actions(&o.weekly), &actions(&n.weekly));
                field(
                    &mut d,
                    "weekly every",
                    Some(format!("{} school_weeks", o.weekly_every.max(1))),
                    Some(format!("{} school_weeks", n.weekly_every.max(1))),
                );
            } else if let Some(b) = o.or(n) {
                let line = Some(band_line(b));
                let (a, z) = if o.is_some() {
                    (line, None)
                } else {
                    (None, line)
                };
                d.push(Detail::new("range", a, z));
            }
            out.extend(change(
                "band",
                o.map(|b| b.id.as_str()),
                n.map(|b| b.id.as_str()),
                d,
            ));
        },
    );
}

fn step_key(s: &Step) -> String {
    match &s.guard {
        Some(g) => format!("day {} when {g}", s.day),
        None => format!("day {}", s.day),
    }
}

fn escalations(old: &Policy, new: &Policy, out: &mut Vec<Change>) {
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

fn triggers(old: &Policy, new: &Policy, out: &mut Vec<Change>) {
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
    }
}

fn plans(old: &Policy, new: &Policy, out: &mut Vec<Change>) {
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
            out.extend(change(
                "plan",
                o.map(|p| p.name.as_str()),
                n.map(|p| p.name.as_str()),
                d,
            ));
        },
    );
}

fn penalty_notices(old: &Policy, new: &Policy, out: &mut Vec<Change>) {
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
fn schedules(old: &Policy, new: &Policy, out: &mut Vec<Change>) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Source;

    fn policy(text: &str) -> Policy {
        let src = Source::new("t.policy", text);
        crate::analyse(&src, None)
            .checked
            .expect("the policy checks")
            .into_policy()
    }

    fn trigger(when: &str) -> Policy {
        policy(&format!(
            "policy \"P\" {{\n  trigger \"t\"\n    when {when}\n    then contact\n}}\n"
        ))
    }

    fn details(old: &str, new: &str) -> Vec<String> {
        let d = diff(&trigger(old), &trigger(new), "a", "b");
        d.changes
            .iter()
            .flat_map(|c| c.details.iter())
            .map(render::detail_text)
            .collect()
    }

    /// A threshold and a window changed in one condition are each named, beside the whole
    /// condition before and after.
    #[test]
    fn thresholds_and_windows_are_named() {
        let d = details(
            "attendance(year_to_date) < 90% and count({N, O}, this_term) >= 5",
            "attendance(year_to_date) < 92% and count({N, O}, rolling 4 school_weeks) >= 5",
        );
        assert!(
            d.contains(&"threshold of attendance(year_to_date): < 90% → < 92%".to_string()),
            "{d:?}"
        );
        assert!(
            d.contains(&"window of count({N, O}): this_term → rolling 4 school_weeks".to_string()),
            "{d:?}"
        );
        assert!(d.iter().any(|x| x.starts_with("when: ")), "{d:?}");
    }

    /// Conditions of different shapes are shown whole, with no per-threshold lines.
    #[test]
    fn a_condition_of_another_shape_is_shown_whole() {
        let d = details(
            "attendance(year_to_date) < 90%",
            "unauthorised(this_term) >= 4",
        );
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(
            d[0].starts_with("when: attendance(year_to_date) < 90% → "),
            "{d:?}"
        );
    }

    /// A list is a multiset: one of two equal actions removed is one detail.
    #[test]
    fn lists_compare_as_multisets() {
        let mut d = Vec::new();
        let s = |v: &[&str]| v.iter().map(ToString::to_string).collect::<Vec<_>>();
        list(
            &mut d,
            "then",
            &s(&["contact", "contact", "letter"]),
            &s(&["contact", "review"]),
        );
        let texts: Vec<String> = d.iter().map(render::detail_text).collect();
        assert_eq!(
            texts,
            ["- then: contact", "- then: letter", "+ then: review"]
        );
    }

    #[test]
    fn the_same_policy_has_no_change() {
        let p = trigger("attendance(year_to_date) < 90%");
        assert!(diff(&p, &p, "a", "a").is_empty());
    }
}
