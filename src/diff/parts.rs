//! The policy's own parts compared: its fields, stages, roles, meetings, letters, calendar,
//! definitions and band sets (whose regions `bands.rs` compares).

use super::bands::{self, BandSetDiff};
use super::{Change, ChangeKind, Detail, actions, change, field, list, matched, opt};
use crate::model::{BandSet, Named, Policy};

pub(super) fn policy_fields(old: &Policy, new: &Policy, out: &mut Vec<Change>) {
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
pub(super) fn stages(old: &Policy, new: &Policy, out: &mut Vec<Change>) {
    for o in &old.stages {
        let n = new.stages.iter().find(|s| s.framework == o.framework);
        let mut d = Vec::new();
        if let Some(n) = n {
            field(&mut d, "description", o.text.clone(), n.text.clone());
        }
        out.extend(change("stage", Some(&o.id), n.map(|s| s.id.as_str()), d));
    }
}

pub(super) fn named_list(part: &'static str, old: &[Named], new: &[Named], out: &mut Vec<Change>) {
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
            out.extend(change(
                part,
                o.map(|x| x.id.as_str()),
                n.map(|x| x.id.as_str()),
                d,
            ));
        },
    );
}

pub(super) fn letters(old: &Policy, new: &Policy, out: &mut Vec<Change>) {
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

pub(super) fn clock(minutes: Option<u16>) -> String {
    minutes.map_or_else(
        || "not stated".into(),
        |m| format!("{:02}:{:02}", m / 60, m % 60),
    )
}

pub(super) fn calendar(old: &Policy, new: &Policy, out: &mut Vec<Change>) {
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
pub(super) fn definitions(old: &Policy, new: &Policy, out: &mut Vec<Change>) {
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
            d,
        ));
    }
}

pub(super) fn band_sets(old: &Policy, new: &Policy, out: &mut Vec<Change>) -> Vec<BandSetDiff> {
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

/// A band's further entry clauses, each as `when CONDITION: ACTION` (or the action alone).
fn enter_also(b: &crate::model::Band) -> Vec<String> {
    b.enter_also
        .iter()
        .flat_map(|c| {
            let when = opt(c.guard.as_ref()).map_or(String::new(), |g| format!("when {g}: "));
            actions(&c.actions)
                .into_iter()
                .map(move |a| format!("{when}{a}"))
        })
        .collect()
}

pub(super) fn band_line(b: &crate::model::Band) -> String {
    format!("{} {} ({})", b.id, b.written, b.range.inequality_text())
}

/// Each band's own changes: its range, stage, guards, actions and how often they repeat.
pub(super) fn band_changes(
    old: &BandSet,
    new: &BandSet,
    renames: &[(String, String)],
    out: &mut Vec<Change>,
) {
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
                list(&mut d, "further on enter", &enter_also(o), &enter_also(n));
                field(
                    &mut d,
                    "absence stated",
                    o.stated_days.as_ref().map(|s| s.written.clone()),
                    n.stated_days.as_ref().map(|s| s.written.clone()),
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
