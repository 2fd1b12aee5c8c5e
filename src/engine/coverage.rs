//! Coverage: how often each band, trigger, escalation step and plan of a table fired on a
//! register, counted from a run's [`Outcome`], so the rules that never fired ("dead in
//! practice") stand out. `attend run --coverage` prints it; the report shows it.

use std::collections::BTreeMap;

use super::Outcome;
use crate::model::Origin;
use crate::table::{DecisionTable, RowKind};

/// What part of a policy a coverage entry is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Part {
    Band,
    Trigger,
    Step,
    Plan,
}

impl Part {
    pub fn word(self) -> &'static str {
        match self {
            Part::Band => "band",
            Part::Trigger => "trigger",
            Part::Step => "step",
            Part::Plan => "plan",
        }
    }
}

/// One rule (or one step of an escalation or plan) and how often it fired.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub part: Part,
    /// The rule's name in the policy (a band's id, an escalation's, trigger's or plan's name).
    pub rule: String,
    /// Which step: `day 3` of an escalation, `open`/`review`/`missed`/`met` of a plan; empty
    /// for a band or trigger.
    pub step: String,
    /// Where the policy states it: `file:line` (the national baseline's own file for rules
    /// `extends national` brings in).
    pub line: String,
    pub national: bool,
    /// Times its actions were due (a band: its entries and weekly actions).
    pub fired: u64,
    /// Pupils it fired for; a band: pupils in it on some school day.
    pub pupils: u64,
}

impl Entry {
    /// The rule in words: `absence escalation, day 3`.
    pub fn name(&self) -> String {
        if self.step.is_empty() {
            self.rule.clone()
        } else {
            format!("{}, {}", self.rule, self.step)
        }
    }

    /// Never fired on the register: a band no pupil was ever in, a trigger, step or plan
    /// whose actions were never due.
    pub fn dead(&self) -> bool {
        match self.part {
            Part::Band => self.pupils == 0,
            _ => self.fired == 0,
        }
    }
}

/// Every band, trigger, step and plan of a table, in table order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Coverage {
    pub entries: Vec<Entry>,
}

fn part_of(kind: RowKind) -> Part {
    match kind {
        RowKind::Band | RowKind::BandWeekly | RowKind::BandEntry => Part::Band,
        RowKind::Trigger => Part::Trigger,
        RowKind::Step => Part::Step,
        RowKind::PlanOpen
        | RowKind::PlanMissed
        | RowKind::PlanMet
        | RowKind::PlanJudged
        | RowKind::PlanEvery => Part::Plan,
    }
}

/// The line a row's entry is keyed by: a band's weekly row is its band's whatever its line.
fn line_of(row: &crate::table::Row, part: Part) -> usize {
    if part == Part::Band {
        0
    } else {
        row.source.line
    }
}

/// Counts how often each rule of `table` fired in `outcome`.
pub fn coverage(table: &DecisionTable, outcome: &Outcome) -> Coverage {
    // Rows of one statement (an `or` in a condition makes several) are one entry; two
    // statements of one step (`day 5:` and `day 5 when ...:`) are two, told apart by their
    // lines. A band's weekly actions are its band's.
    let mut entries: Vec<Entry> = Vec::new();
    let mut entry_of_row: Vec<usize> = Vec::with_capacity(table.rows.len());
    let mut index: BTreeMap<(Part, &str, String, usize), usize> = BTreeMap::new();
    for row in &table.rows {
        let part = part_of(row.kind);
        let step = match part {
            Part::Band | Part::Trigger => String::new(),
            Part::Step | Part::Plan => super::step_name(row),
        };
        let at = *index
            .entry((part, row.rule.as_str(), step.clone(), line_of(row, part)))
            .or_insert_with(|| {
                entries.push(Entry {
                    part,
                    rule: row.rule.clone(),
                    step,
                    line: format!("{}:{}", row.source.file, row.source.line),
                    national: row.origin == Origin::National,
                    fired: 0,
                    pupils: 0,
                });
                entries.len() - 1
            });
        entry_of_row.push(at);
    }
    let mut pairs: Vec<(usize, usize)> = Vec::with_capacity(outcome.fired.len());
    for f in &outcome.fired {
        if let Some(&e) = entry_of_row.get(f.row) {
            if let Some(entry) = entries.get_mut(e) {
                entry.fired += 1;
            }
            pairs.push((e, f.pupil));
        }
    }
    pairs.sort_unstable();
    pairs.dedup();
    for (e, _) in pairs {
        if let Some(entry) = entries.get_mut(e)
            && entry.part != Part::Band
        {
            entry.pupils += 1;
        }
    }
    for (s, set) in table.band_sets.iter().enumerate() {
        for (i, row) in set.iter().enumerate() {
            let bit = 1u64 << i.min(63);
            let held = outcome
                .summary
                .iter()
                .filter(|p| p.held.get(s).is_some_and(|h| h & bit != 0))
                .count() as u64;
            if let Some(entry) = entry_of_row.get(*row).and_then(|e| entries.get_mut(*e)) {
                entry.pupils = held;
            }
        }
    }
    Coverage { entries }
}

impl Coverage {
    /// The rules that never fired.
    pub fn dead(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(|e| e.dead())
    }

    /// The table `attend run --coverage` prints.
    pub fn text(&self, pupils: usize) -> String {
        let head = ["part", "rule", "policy line", "fired", "pupils", ""];
        let rows: Vec<[String; 6]> = self
            .entries
            .iter()
            .map(|e| {
                [
                    e.part.word().to_string(),
                    e.name(),
                    e.line.clone(),
                    e.fired.to_string(),
                    e.pupils.to_string(),
                    if e.dead() {
                        "dead in practice".to_string()
                    } else {
                        String::new()
                    },
                ]
            })
            .collect();
        let mut width = [0usize; 6];
        for r in std::iter::once(head.map(str::to_string)).chain(rows.iter().cloned()) {
            for (w, c) in width.iter_mut().zip(&r) {
                *w = (*w).max(c.chars().count());
            }
        }
        let line = |r: &[String; 6]| {
            let mut s = String::from(" ");
            for (i, (c, w)) in r.iter().zip(width).enumerate() {
                let pad = " ".repeat(w.saturating_sub(c.chars().count()));
                s.push(' ');
                if i == 3 || i == 4 {
                    s.push_str(&pad);
                    s.push_str(c);
                } else {
                    s.push_str(c);
                    s.push_str(&pad);
                }
                s.push(' ');
            }
            format!("{}\n", s.trim_end())
        };
        let mut out = format!(
            "Coverage on {pupils} pupils: how often each band, trigger, step and plan fired \
             (fired: times its actions were due, a band's entries; pupils: those it fired \
             for, a band's pupils in it on some school day)\n"
        );
        out.push_str(&line(&head.map(str::to_string)));
        for r in &rows {
            out.push_str(&line(r));
        }
        let dead: Vec<&Entry> = self.dead().collect();
        if dead.is_empty() {
            out.push_str("Every rule fired on this register.\n");
        } else {
            out.push_str(&format!(
                "{} of {} never fired on this register (dead in practice): {}\n",
                dead.len(),
                self.entries.len(),
                dead.iter()
                    .map(|e| format!("{} `{}` ({})", e.part.word(), e.name(), e.line))
                    .collect::<Vec<_>>()
                    .join("; ")
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(part: Part, fired: u64, pupils: u64) -> Entry {
        Entry {
            part,
            rule: "r".into(),
            step: String::new(),
            line: "p.policy:1".into(),
            national: false,
            fired,
            pupils,
        }
    }

    #[test]
    fn a_band_is_dead_when_no_pupil_was_in_it_whatever_its_entries() {
        // A band without entry actions fires nothing, yet 3 pupils in it make it live.
        assert!(!entry(Part::Band, 0, 3).dead());
        assert!(entry(Part::Band, 0, 0).dead());
        // A trigger is live once its actions were due, for however many pupils.
        assert!(!entry(Part::Trigger, 2, 1).dead());
        assert!(entry(Part::Step, 0, 0).dead());
    }
}
