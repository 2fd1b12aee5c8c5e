//! What a run produces, rendered: `actions.csv` and `summary.csv` (DESIGN.md §5), the short
//! terminal summary, the day's list by responsible person (`--on`) and one pupil's timeline
//! (`--explain`). Rendering only: the CLI decides where the text goes.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::Outcome;
use super::calendar::SchoolDays;
use super::eval::{Fired, TraceEvent};
use super::evidence::percent_tenths;
use crate::register::Register;
use crate::table::DecisionTable;

fn stage_name(table: &DecisionTable, rank: usize) -> &str {
    table.stages.get(rank).map_or("", String::as_str)
}

/// One line of `actions.csv` per action of each fired row.
fn for_each_action<'t>(
    table: &'t DecisionTable,
    fired: &'t [Fired],
) -> impl Iterator<
    Item = (
        &'t Fired,
        &'t crate::table::Row,
        &'t crate::table::RowAction,
    ),
> + 't {
    fired.iter().flat_map(move |f| {
        table
            .rows
            .get(f.row)
            .into_iter()
            .flat_map(move |row| row.actions.iter().map(move |a| (f, row, a)))
    })
}

/// `date,pupil_id,rule,action,stage,responsible,evidence`, sorted by date then pupil.
pub fn actions_csv(
    table: &DecisionTable,
    days: &SchoolDays,
    register: &Register,
    outcome: &Outcome,
) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::with_capacity(outcome.fired.len() * 160 + 64));
    // Writing to a Vec cannot fail.
    let _ = w.write_record([
        "date",
        "pupil_id",
        "rule",
        "action",
        "stage",
        "responsible",
        "evidence",
    ]);
    let mut date_text = (usize::MAX, String::new());
    for (f, row, action) in for_each_action(table, &outcome.fired) {
        if date_text.0 != f.day {
            date_text = (f.day, days.date(f.day).to_string());
        }
        let pupil = register.pupils.get(f.pupil).map_or("", |p| p.id.as_str());
        let responsible = action.responsible.as_deref().unwrap_or("");
        let _ = w.write_record([
            date_text.1.as_str(),
            pupil,
            row.rule.as_str(),
            action.action.as_str(),
            stage_name(table, f.stage),
            responsible,
            f.evidence.as_str(),
        ]);
    }
    w.into_inner().unwrap_or_default()
}

/// The bands a pupil holds, one per band set, joined with `;`.
fn bands_text(table: &DecisionTable, bands: &[Option<usize>]) -> String {
    bands
        .iter()
        .map(|b| {
            b.and_then(|r| table.rows.get(r))
                .map_or("", |r| r.rule.as_str())
        })
        .collect::<Vec<_>>()
        .join(";")
}

/// `pupil_id,possible,present,authorised,unauthorised,attendance,band,stage,persistent,severe`.
pub fn summary_csv(table: &DecisionTable, register: &Register, outcome: &Outcome) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::with_capacity(outcome.summary.len() * 64 + 128));
    let _ = w.write_record([
        "pupil_id",
        "possible",
        "present",
        "authorised",
        "unauthorised",
        "attendance",
        "band",
        "stage",
        "persistent",
        "severe",
    ]);
    for (pupil, s) in register.pupils.iter().zip(&outcome.summary) {
        let _ = w.write_record([
            pupil.id.as_str(),
            &s.possible.to_string(),
            &s.present.to_string(),
            &s.authorised.to_string(),
            &s.unauthorised.to_string(),
            &percent_tenths(u64::from(s.present), u64::from(s.possible)),
            &bands_text(table, &s.bands),
            stage_name(table, s.stage),
            if s.persistent { "true" } else { "false" },
            if s.severe { "true" } else { "false" },
        ]);
    }
    w.into_inner().unwrap_or_default()
}

/// The counts a person wants after a run.
pub fn terminal_summary(
    table: &DecisionTable,
    days: &SchoolDays,
    register: &Register,
    outcome: &Outcome,
) -> String {
    let mut out = String::new();
    let pupils = outcome.summary.len();
    let persistent = outcome.summary.iter().filter(|s| s.persistent).count();
    let severe = outcome.summary.iter().filter(|s| s.severe).count();
    let (first, last) = outcome.span;
    let share = |n: usize| {
        if pupils == 0 {
            String::new()
        } else {
            format!(" ({}%)", percent_tenths(n as u64, pupils as u64))
        }
    };
    let _ = writeln!(
        out,
        "{pupils} pupils, {} sessions, {}..{} ({} school days; year to date {})",
        register.sessions(),
        days.date(first),
        days.date(last),
        last + 1 - first,
        days.year_label(last),
    );
    let _ = writeln!(
        out,
        "persistent absence: {persistent} pupils{}",
        share(persistent)
    );
    let _ = writeln!(out, "severe absence: {severe} pupils{}", share(severe));
    let mut by_kind: BTreeMap<&str, usize> = BTreeMap::new();
    let mut total = 0;
    for (_, _, action) in for_each_action(table, &outcome.fired) {
        *by_kind.entry(action.action.as_str()).or_default() += 1;
        total += 1;
    }
    let _ = writeln!(out, "actions: {total}");
    let width = by_kind.keys().map(|k| k.len()).max().unwrap_or(0);
    for (kind, n) in by_kind {
        let _ = writeln!(out, "  {kind:<width$}  {n}");
    }
    out
}

/// The actions due on one school day, grouped by who is responsible.
pub fn on_day_text(
    table: &DecisionTable,
    days: &SchoolDays,
    register: &Register,
    outcome: &Outcome,
    day: usize,
) -> String {
    let start = outcome.fired.partition_point(|f| f.day < day);
    let end = outcome.fired.partition_point(|f| f.day <= day);
    let today = outcome.fired.get(start..end).unwrap_or(&[]);
    let mut groups: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (f, row, action) in for_each_action(table, today) {
        let who = action.responsible.as_deref().unwrap_or("(no one named)");
        let pupil = register.pupils.get(f.pupil).map_or("", |p| p.id.as_str());
        let note = action
            .note
            .as_deref()
            .map(|n| format!(" \"{n}\""))
            .unwrap_or_default();
        groups.entry(who).or_default().push(format!(
            "  {pupil}  {}{note}  [{}; stage {}]\n      {}",
            action.action,
            row.rule,
            stage_name(table, f.stage),
            f.evidence
        ));
    }
    let count: usize = groups.values().map(Vec::len).sum();
    let date = days.date(day);
    let mut out = format!(
        "{} {date}: {count} {} due\n",
        date.format("%A"),
        if count == 1 { "action" } else { "actions" }
    );
    for (who, lines) in groups {
        let _ = writeln!(out, "\n{who} ({})", lines.len());
        for line in lines {
            let _ = writeln!(out, "{line}");
        }
    }
    out
}

/// One pupil's timeline: each day something changed, and the actions that day.
pub fn explain_text(
    table: &DecisionTable,
    days: &SchoolDays,
    register: &Register,
    pupil: usize,
    trace: &[TraceEvent],
    fired: &[Fired],
) -> String {
    let Some(record) = register.pupils.get(pupil) else {
        return String::new();
    };
    let mut out = format!("timeline of pupil {}\n", record.id);
    let mut by_day: BTreeMap<usize, (Vec<&TraceEvent>, Vec<&Fired>)> = BTreeMap::new();
    for t in trace {
        by_day.entry(t.day).or_default().0.push(t);
    }
    for f in fired {
        by_day.entry(f.day).or_default().1.push(f);
    }
    let code = |m: u8| {
        crate::codes::table()
            .rows()
            .get(usize::from(m))
            .map_or("-", |r| r.code)
    };
    for (day, (events, actions)) in by_day {
        let (am, pm) = (register.mark(pupil, day, 0), register.mark(pupil, day, 1));
        let _ = writeln!(
            out,
            "\n{} (week {}, {}, marks {} {})",
            days.date(day),
            days.week(day) + 1,
            days.term_name(day),
            code(am),
            code(pm)
        );
        for e in events {
            let _ = writeln!(out, "  {}: {}", e.rule, e.what);
        }
        for f in actions {
            if let Some(row) = table.rows.get(f.row) {
                let names: Vec<&str> = row.actions.iter().map(|a| a.action.as_str()).collect();
                let _ = writeln!(
                    out,
                    "  -> {} ({}, stage {})",
                    names.join(", "),
                    row.rule,
                    stage_name(table, f.stage)
                );
            }
        }
    }
    out
}
