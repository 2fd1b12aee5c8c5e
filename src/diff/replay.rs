//! The replayed change: both decision tables run over one register, and the actions that
//! differ (pupil, date, action, added or removed), with totals by action kind, by the stage
//! the pupil was at, and by group (SEN, FSM, social worker, looked-after).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::engine;
use crate::register::Register;
use crate::simulate::{Group, action_kind};
use crate::table::{DecisionTable, SchoolDays};

/// What changes when the new policy replaces the old on a register.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Replay {
    /// The register in words (`synthetic primary cohort of 2000 pupils (seed 1)`).
    pub cohort: String,
    pub first_day: chrono::NaiveDate,
    pub last_day: chrono::NaiveDate,
    pub pupils: u64,
    /// Actions in all, under each version.
    pub old_actions: u64,
    pub new_actions: u64,
    /// Pupils whose actions differ.
    pub pupils_changed: u64,
    /// Every action kind either version takes, with its counts.
    pub by_kind: Vec<Count>,
    /// Actions by the stage the pupil was at when it was due.
    pub by_stage: Vec<Count>,
    pub by_group: Vec<GroupCount>,
    /// Each action only one version takes, by pupil, then date.
    pub changes: Vec<ActionChange>,
}

impl Replay {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }
}

/// An action kind's (or a stage's) actions under each version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Count {
    pub name: String,
    pub old: u64,
    pub new: u64,
    /// Actions only the old version takes, and only the new.
    pub removed: u64,
    pub added: u64,
    /// Of the removed, those the new version takes for the same pupil on another day.
    pub moved: u64,
}

/// A group's pupils, and the changed actions that fall on them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GroupCount {
    pub group: &'static str,
    pub label: &'static str,
    pub pupils: u64,
    pub pupils_changed: u64,
    pub old: u64,
    pub new: u64,
    pub removed: u64,
    pub added: u64,
    pub moved: u64,
}

/// One action that only one version takes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ActionChange {
    pub pupil: String,
    pub date: chrono::NaiveDate,
    pub action: String,
    /// `added` (the new version only) or `removed` (the old only).
    pub change: &'static str,
    /// The rule that asks for it, and the pupil's stage that day, in that version.
    pub rule: String,
    pub stage: String,
}

/// One due action, keyed for comparison.
struct Taken {
    pupil: usize,
    day: usize,
    action: String,
    rule: String,
    stage: usize,
}

fn taken(table: &DecisionTable, outcome: &engine::Outcome) -> Vec<Taken> {
    let mut out: Vec<Taken> = engine::due(table, &outcome.fired)
        .into_iter()
        .map(|d| Taken {
            pupil: d.fired.pupil,
            day: d.fired.day,
            action: d.action.action.clone(),
            rule: d.row.rule.clone(),
            stage: d.fired.stage,
        })
        .collect();
    out.sort_by(|a, b| (a.pupil, a.day, &a.action).cmp(&(b.pupil, b.day, &b.action)));
    out
}

/// Runs both tables over the register (both on `days`) and compares what they do.
pub fn replay(
    old: &DecisionTable,
    new: &DecisionTable,
    days: &SchoolDays,
    register: &Register,
    cohort: &str,
) -> Replay {
    let a = taken(old, &engine::run(old, days, register));
    let b = taken(new, &engine::run(new, days, register));
    let masks: Vec<u8> = (0..register.len())
        .map(|i| register.pupil(i).map_or(1, |p| Group::mask(&p)))
        .collect();
    let key = |t: &Taken| (t.pupil, t.day, t.action.clone());
    // Merge the two sorted lists: an action both take (same pupil, day and action) is kept.
    let (mut removed, mut added) = (Vec::new(), Vec::new());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) if key(x) == key(y) => {
                i += 1;
                j += 1;
            }
            (Some(x), Some(y)) if key(x) < key(y) => {
                removed.push(x);
                i += 1;
            }
            (Some(x), None) => {
                removed.push(x);
                i += 1;
            }
            (_, Some(y)) => {
                added.push(y);
                j += 1;
            }
            (None, None) => break,
        }
    }
    let stage_label = |rank: usize| -> String {
        let o = old.stages.get(rank).map_or("", String::as_str);
        let n = new.stages.get(rank).map_or("", String::as_str);
        if o == n || o.is_empty() {
            n.to_string()
        } else if n.is_empty() {
            o.to_string()
        } else {
            format!("{o} → {n}")
        }
    };
    let aligned = old.stages.len() == new.stages.len();
    // Stages are counted by rank when both versions have as many (a renamed stage is one row),
    // otherwise by name.
    let stage_key = |table: &DecisionTable, rank: usize| -> (usize, String) {
        if aligned {
            (rank, stage_label(rank))
        } else {
            let name = table.stages.get(rank).cloned().unwrap_or_default();
            let at = new.stages.iter().position(|s| *s == name).unwrap_or(rank);
            (at, name)
        }
    };
    let mut kinds: BTreeMap<String, Count> = BTreeMap::new();
    let mut stages: BTreeMap<(usize, String), Count> = BTreeMap::new();
    let blank = |name: &str| Count {
        name: name.to_string(),
        old: 0,
        new: 0,
        removed: 0,
        added: 0,
        moved: 0,
    };
    let mut groups: Vec<GroupCount> = Group::ALL
        .iter()
        .map(|g| GroupCount {
            group: g.id(),
            label: g.label(),
            pupils: 0,
            pupils_changed: 0,
            old: 0,
            new: 0,
            removed: 0,
            added: 0,
            moved: 0,
        })
        .collect();
    let in_groups = |mask: u8| (0..groups_len()).filter(move |g| mask & (1 << g) != 0);
    for m in &masks {
        for g in in_groups(*m) {
            groups[g].pupils += 1;
        }
    }
    let mask_of = |pupil: usize| masks.get(pupil).copied().unwrap_or(1);
    for (table, list, is_old) in [(old, &a, true), (new, &b, false)] {
        for t in list {
            let kind = action_kind(&t.action).to_string();
            let k = kinds.entry(kind.clone()).or_insert_with(|| blank(&kind));
            let s = stage_key(table, t.stage);
            let st = stages.entry(s.clone()).or_insert_with(|| blank(&s.1));
            for c in [k, st] {
                if is_old {
                    c.old += 1;
                } else {
                    c.new += 1;
                }
            }
            for g in in_groups(mask_of(t.pupil)) {
                if is_old {
                    groups[g].old += 1;
                } else {
                    groups[g].new += 1;
                }
            }
        }
    }
    // A removed action the new version takes for the same pupil on another day has moved
    // (earlier or later), counted under the removed one's kind, stage and groups.
    let mut available: BTreeMap<(usize, &str), u64> = BTreeMap::new();
    for t in &added {
        *available.entry((t.pupil, t.action.as_str())).or_default() += 1;
    }
    for t in &removed {
        let Some(n) = available.get_mut(&(t.pupil, t.action.as_str())) else {
            continue;
        };
        if *n == 0 {
            continue;
        }
        *n -= 1;
        if let Some(k) = kinds.get_mut(action_kind(&t.action)) {
            k.moved += 1;
        }
        if let Some(s) = stages.get_mut(&stage_key(old, t.stage)) {
            s.moved += 1;
        }
        for g in in_groups(mask_of(t.pupil)) {
            groups[g].moved += 1;
        }
    }
    let mut changed_pupils: Vec<usize> = Vec::new();
    let mut changes = Vec::new();
    for (table, list, is_old) in [(old, &removed, true), (new, &added, false)] {
        for t in list {
            let kind = action_kind(&t.action).to_string();
            let s = stage_key(table, t.stage);
            for c in [kinds.get_mut(&kind), stages.get_mut(&s)]
                .into_iter()
                .flatten()
            {
                if is_old {
                    c.removed += 1;
                } else {
                    c.added += 1;
                }
            }
            for g in in_groups(mask_of(t.pupil)) {
                if is_old {
                    groups[g].removed += 1;
                } else {
                    groups[g].added += 1;
                }
            }
            changed_pupils.push(t.pupil);
            changes.push(ActionChange {
                pupil: register.id(t.pupil).to_string(),
                date: days.date(t.day),
                action: t.action.clone(),
                change: if is_old { "removed" } else { "added" },
                rule: t.rule.clone(),
                stage: table.stages.get(t.stage).cloned().unwrap_or_default(),
            });
        }
    }
    changed_pupils.sort_unstable();
    changed_pupils.dedup();
    for p in &changed_pupils {
        for g in in_groups(mask_of(*p)) {
            groups[g].pupils_changed += 1;
        }
    }
    changes.sort_by(|x, y| {
        (&x.pupil, x.date, x.change, &x.action).cmp(&(&y.pupil, y.date, y.change, &y.action))
    });
    let span = register.span.unwrap_or((0, 0));
    Replay {
        cohort: cohort.to_string(),
        first_day: days.date(span.0),
        last_day: days.date(span.1),
        pupils: register.len() as u64,
        old_actions: a.len() as u64,
        new_actions: b.len() as u64,
        pupils_changed: changed_pupils.len() as u64,
        by_kind: kinds.into_values().collect(),
        by_stage: stages.into_values().collect(),
        by_group: groups,
        changes,
    }
}

fn groups_len() -> usize {
    Group::ALL.len()
}
