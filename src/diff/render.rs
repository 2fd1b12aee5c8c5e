//! A diff as people read it (text, Markdown) and as programs do (JSON).

use std::fmt::Write;

use super::{BandSetDiff, Change, ChangeKind, Detail, Diff, Replay};

impl Diff {
    /// Plain text; the replayed actions of the first `show` pupils whose actions differ.
    pub fn text(&self, show: usize) -> String {
        let mut o = String::new();
        let _ = writeln!(o, "attend diff: {} → {}", self.old.file, self.new.file);
        if self.old.policy != self.new.policy {
            let _ = writeln!(o, "policy: {} → {}", self.old.policy, self.new.policy);
        }
        if self.is_empty() {
            o.push_str("\nno change: the two policies say the same");
            o.push_str(if self.replay.is_some() {
                " and take the same actions on the register\n"
            } else {
                "\n"
            });
            return o;
        }
        let moved: Vec<&BandSetDiff> = self.bands.iter().filter(|b| !b.is_empty()).collect();
        if !moved.is_empty() {
            o.push_str("\nBand regions that moved\n");
        }
        for set in moved {
            let _ = writeln!(o, "  {} ({})", set.name, set.measure);
            for m in &set.moves {
                let _ = writeln!(
                    o,
                    "    {} [{}]: {} → {}",
                    m.region,
                    m.exact,
                    bands_text(&m.old),
                    bands_text(&m.new)
                );
                if let Some(e) = &m.example {
                    let _ = writeln!(o, "      e.g. {}", e.text);
                }
                if let Some(e) = &m.term_example {
                    let _ = writeln!(o, "      over a term: {}", e.text);
                }
            }
            if let Some(g) = &set.guard {
                let _ = writeln!(o, "    {}", guard_text(g));
                if let Some(e) = &g.example {
                    let _ = writeln!(
                        o,
                        "      e.g. {}: {} → {}",
                        e.text,
                        bands_text(&g.example_old),
                        bands_text(&g.example_new)
                    );
                }
            }
        }
        if !self.changes.is_empty() {
            let _ = writeln!(o, "\nChanges ({})", self.changes.len());
        }
        for c in &self.changes {
            let _ = writeln!(o, "  {} {}", sign(c), headline(c));
            for d in &c.details {
                let _ = writeln!(o, "      {}", detail_text(d));
            }
        }
        if let Some(r) = &self.replay {
            replay_text(&mut o, r, show);
        }
        o
    }

    /// Markdown, for a paper to governors.
    pub fn markdown(&self, show: usize) -> String {
        let mut o = String::new();
        let _ = writeln!(
            o,
            "# Policy change: `{}` → `{}`\n",
            self.old.file, self.new.file
        );
        if self.old.policy != self.new.policy {
            let _ = writeln!(o, "Policy: {} → {}\n", self.old.policy, self.new.policy);
        }
        if self.is_empty() {
            o.push_str("No change: the two policies say the same.\n");
            return o;
        }
        let moved: Vec<&BandSetDiff> = self.bands.iter().filter(|b| !b.is_empty()).collect();
        if !moved.is_empty() {
            o.push_str("## Band regions that moved\n\n");
        }
        for set in moved {
            let _ = writeln!(o, "### {} ({})\n", md(&set.name), set.measure);
            o.push_str("| Attendance | Was | Now | Example pupil |\n|---|---|---|---|\n");
            for m in &set.moves {
                let _ = writeln!(
                    o,
                    "| {} (`{}`) | {} | {} | {} |",
                    m.region,
                    m.exact,
                    md(&bands_text(&m.old)),
                    md(&bands_text(&m.new)),
                    example_cell(m, "; over a term, ")
                );
            }
            if let Some(g) = &set.guard {
                let _ = writeln!(o, "\n{}.", guard_text(g));
                if let Some(e) = &g.example {
                    let _ = writeln!(
                        o,
                        "For example, {}: {} → {}.",
                        e.text,
                        md(&bands_text(&g.example_old)),
                        md(&bands_text(&g.example_new))
                    );
                }
            }
            o.push('\n');
        }
        if !self.changes.is_empty() {
            let _ = writeln!(o, "## Changes ({})\n", self.changes.len());
        }
        for c in &self.changes {
            let _ = writeln!(o, "- **{}**", md(&headline(c)));
            for d in &c.details {
                let _ = writeln!(o, "  - {}", md(&detail_words(d)));
            }
        }
        if let Some(r) = &self.replay {
            replay_markdown(&mut o, r, show);
        }
        o
    }

    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }
}

fn md(s: &str) -> String {
    s.replace('|', "\\|")
}

/// A move's example pupils in one cell: the smallest, then one over a term.
pub(crate) fn example_cell(m: &super::Move, joint: &str) -> String {
    let mut out = m.example.as_ref().map_or(String::new(), |e| e.text.clone());
    if let Some(e) = &m.term_example {
        out.push_str(joint);
        out.push_str(&e.text);
    }
    out
}

pub(crate) fn bands_text(b: &[String]) -> String {
    if b.is_empty() {
        "no band".into()
    } else {
        b.join(" and ")
    }
}

pub(crate) fn guard_text(g: &super::GuardChange) -> String {
    let from = |n: u32| {
        if n == 0 {
            "from the first possible session".to_string()
        } else {
            format!("from {n} possible sessions")
        }
    };
    format!(
        "evidence guard: bands held {}, now {}",
        from(g.old),
        from(g.new)
    )
}

fn sign(c: &Change) -> &'static str {
    match c.change {
        ChangeKind::Added => "+",
        ChangeKind::Removed => "-",
        ChangeKind::Changed => "~",
        ChangeKind::Renamed { .. } => ">",
    }
}

/// `band row_91_94 changed`, `stage aspire renamed from monitor`.
pub(crate) fn headline(c: &Change) -> String {
    let part = c.part.replace('_', " ");
    let name = quoted(&c.name);
    let what = if name.is_empty() {
        part
    } else {
        format!("{part} {name}")
    };
    match &c.change {
        ChangeKind::Added => format!("{what} added"),
        ChangeKind::Removed => format!("{what} removed"),
        ChangeKind::Changed => format!("{what} changed"),
        ChangeKind::Renamed { from } => format!("{what} renamed from {}", quoted(from)),
    }
}

/// What changed, without the verb: `band "row_91_94"`, `stage "aspire" (was "monitor")`.
pub(crate) fn subject(c: &Change) -> String {
    let part = c.part.replace('_', " ");
    let name = quoted(&c.name);
    let what = if name.is_empty() {
        part
    } else {
        format!("{part} {name}")
    };
    match &c.change {
        ChangeKind::Renamed { from } => format!("{what} (was {})", quoted(from)),
        _ => what,
    }
}

/// A name in quotes, or nothing for a part the policy has one of (its calendar).
fn quoted(name: &str) -> String {
    if name.is_empty() {
        String::new()
    } else {
        format!("\"{name}\"")
    }
}

/// `range: 91% - 94% → 90% <.. 94%`, `+ then: letter pa-sa`, `- then: ...`.
pub(crate) fn detail_text(d: &Detail) -> String {
    match (&d.old, &d.new) {
        (Some(a), Some(b)) => format!("{}: {a} → {b}", d.what),
        (None, Some(b)) => format!("+ {}: {b}", d.what),
        (Some(a), None) => format!("- {}: {a}", d.what),
        (None, None) => d.what.clone(),
    }
}

/// [`detail_text`] with words for the signs, which Markdown would read as list markers.
pub(crate) fn detail_words(d: &Detail) -> String {
    match (&d.old, &d.new) {
        (None, Some(b)) => format!("added {}: {b}", d.what),
        (Some(a), None) => format!("removed {}: {a}", d.what),
        _ => detail_text(d),
    }
}

fn signed(n: i64) -> String {
    if n > 0 {
        format!("+{n}")
    } else {
        n.to_string()
    }
}

fn change_of(old: u64, new: u64) -> String {
    signed(new as i64 - old as i64)
}

/// Rows of cells, each column padded to its widest cell: the first left-aligned, the others
/// (numbers) right-aligned, or every one left-aligned.
fn columns(o: &mut String, indent: &str, rows: &[Vec<String>], align: Align) {
    let n = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..n)
        .map(|c| {
            rows.iter()
                .map(|r| r.get(c).map_or(0, |s| s.chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    for r in rows {
        let mut line = indent.to_string();
        for (c, cell) in r.iter().enumerate() {
            let pad = " ".repeat(widths[c].saturating_sub(cell.chars().count()));
            if c > 0 {
                line.push_str("  ");
            }
            if c > 0 && align == Align::NumbersRight {
                line.push_str(&pad);
                line.push_str(cell);
            } else {
                line.push_str(cell);
                line.push_str(&pad);
            }
        }
        o.push_str(line.trim_end());
        o.push('\n');
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Align {
    NumbersRight,
    Left,
}

/// The tables of totals, as rows of cells with a heading row.
pub(crate) fn totals(r: &Replay) -> [(&'static str, Vec<Vec<String>>); 3] {
    let head = |first: &str| -> Vec<String> {
        [first, "old", "new", "change", "removed", "added", "moved"]
            .iter()
            .map(ToString::to_string)
            .collect()
    };
    let count_rows = |first: &str, list: &[super::replay::Count]| {
        let mut rows = vec![head(first)];
        for c in list {
            rows.push(vec![
                c.name.clone(),
                c.old.to_string(),
                c.new.to_string(),
                change_of(c.old, c.new),
                c.removed.to_string(),
                c.added.to_string(),
                c.moved.to_string(),
            ]);
        }
        rows
    };
    let mut groups = vec![
        [
            "group",
            "pupils",
            "pupils affected",
            "old",
            "new",
            "change",
            "removed",
            "added",
            "moved",
        ]
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<String>>(),
    ];
    for g in &r.by_group {
        groups.push(vec![
            g.label.to_string(),
            g.pupils.to_string(),
            g.pupils_changed.to_string(),
            g.old.to_string(),
            g.new.to_string(),
            change_of(g.old, g.new),
            g.removed.to_string(),
            g.added.to_string(),
            g.moved.to_string(),
        ]);
    }
    [
        ("Actions by kind", count_rows("kind", &r.by_kind)),
        (
            "Actions by the pupil's stage that day",
            count_rows("stage", &r.by_stage),
        ),
        ("Actions by group", groups),
    ]
}

/// What the columns of the totals mean.
pub(crate) const MOVED: &str = "removed: actions only the old policy takes; added: only the new; moved: of the removed, those the new policy takes for the same pupil on another day.";

fn summary_line(r: &Replay) -> String {
    format!(
        "{} pupils, {} to {}: {} actions → {} ({}); {} {} different actions",
        r.pupils,
        r.first_day,
        r.last_day,
        r.old_actions,
        r.new_actions,
        change_of(r.old_actions, r.new_actions),
        r.pupils_changed,
        if r.pupils_changed == 1 {
            "pupil gets"
        } else {
            "pupils get"
        }
    )
}

/// The changes of the first `show` pupils, and how many pupils are left out.
fn shown(r: &Replay, show: usize) -> (Vec<&super::replay::ActionChange>, usize) {
    let mut pupils = 0;
    let mut last: Option<&str> = None;
    let mut out = Vec::new();
    for c in &r.changes {
        if last != Some(c.pupil.as_str()) {
            pupils += 1;
            last = Some(c.pupil.as_str());
        }
        if pupils <= show {
            out.push(c);
        }
    }
    (out, pupils.saturating_sub(show))
}

fn replay_text(o: &mut String, r: &Replay, show: usize) {
    let _ = writeln!(o, "\nReplayed on {}", r.cohort);
    let _ = writeln!(o, "  {}", summary_line(r));
    let _ = writeln!(o, "  {MOVED}");
    for (title, rows) in totals(r) {
        let _ = writeln!(o, "\n  {title}");
        columns(o, "    ", &rows, Align::NumbersRight);
    }
    if r.changes.is_empty() {
        return;
    }
    let (list, more) = shown(r, show);
    let _ = writeln!(
        o,
        "\n  Actions that differ (+ new policy only, - old policy only)"
    );
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|c| {
            vec![
                c.pupil.clone(),
                c.date.to_string(),
                format!(
                    "{} {}",
                    if c.change == "added" { "+" } else { "-" },
                    c.action
                ),
                format!("[{}; stage {}]", c.rule, c.stage),
            ]
        })
        .collect();
    columns(o, "    ", &rows, Align::Left);
    if more > 0 {
        let _ = writeln!(
            o,
            "    … and {more} more {} (`--show N` lists more; `--format json` lists all)",
            if more == 1 { "pupil" } else { "pupils" }
        );
    }
}

fn replay_markdown(o: &mut String, r: &Replay, show: usize) {
    let _ = writeln!(o, "\n## Replayed on {}\n", r.cohort);
    let _ = writeln!(o, "{}.\n\n{MOVED}\n", summary_line(r));
    for (title, rows) in totals(r) {
        let _ = writeln!(o, "### {title}\n");
        for (i, row) in rows.iter().enumerate() {
            let cells: Vec<String> = row.iter().map(|c| md(c)).collect();
            let _ = writeln!(o, "| {} |", cells.join(" | "));
            if i == 0 {
                let rule: Vec<&str> = row
                    .iter()
                    .enumerate()
                    .map(|(c, _)| if c == 0 { "---" } else { "---:" })
                    .collect();
                let _ = writeln!(o, "| {} |", rule.join(" | "));
            }
        }
        o.push('\n');
    }
    if r.changes.is_empty() {
        return;
    }
    let (list, more) = shown(r, show);
    o.push_str("### Actions that differ\n\n| Pupil | Date | Change | Action | Rule | Stage |\n|---|---|---|---|---|---|\n");
    for c in list {
        let _ = writeln!(
            o,
            "| {} | {} | {} | `{}` | {} | {} |",
            md(&c.pupil),
            c.date,
            c.change,
            c.action,
            md(&c.rule),
            md(&c.stage)
        );
    }
    if more > 0 {
        let _ = writeln!(
            o,
            "\n… and {more} more {} (`--format json` lists all).",
            if more == 1 { "pupil" } else { "pupils" }
        );
    }
}
