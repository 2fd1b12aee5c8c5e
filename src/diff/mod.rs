//! `attend diff`: what changes between two versions of a policy. The symbolic change compares
//! the two models (bands as exact regions of attendance, with a pupil in whole sessions at
//! each region that moved; rules, steps, plans, stages, letters, register times); the replayed
//! change (`replay.rs`) runs both decision tables over one register. Pure: data in, figures out.

mod bands;
mod parts;
mod render;
pub mod replay;
mod rules;

use serde::Serialize;

use crate::model::{Action, LookedAt, Policy};

use parts::{band_sets, calendar, definitions, letters, named_list, policy_fields, stages};
pub use rules::condition_changes;
use rules::{escalations, penalty_notices, plans, schedules, triggers};

pub use bands::{BandRange, BandSetDiff, Example, GuardChange, Move, TERM_SESSIONS, example_pair};
pub(crate) use render::MOVED as MOVED_NOTE;
pub(crate) use render::example_cell;
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
