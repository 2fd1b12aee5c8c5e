//! What a run produces, rendered: `actions.csv` and `summary.csv` (DESIGN.md §5), the short
//! terminal summary, the day's list by responsible person (`--on`) and one pupil's timeline
//! (`--explain`). Rendering only: the CLI decides where the text goes.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::Outcome;
use super::eval::{Fired, TraceEvent};
use super::evidence::{percent_tenths, write_percent_tenths};
use crate::register::{MarkFigures, Register};
use crate::table::SchoolDays;
use crate::table::{DecisionTable, Row, RowAction};
use chrono::NaiveDate;
use std::hash::Hasher as _;

fn stage_name(table: &DecisionTable, rank: usize) -> &str {
    table.stages.get(rank).map_or("", String::as_str)
}

/// One action due for one pupil on one day. The same action asked for by different rules that
/// day (the same kind and target; without a target, also for the same person) is one action:
/// the first rule's, in the order they fired, with the others in `also`, so the local
/// authority is told once.
#[derive(Clone, Debug)]
pub struct Due<'t> {
    pub fired: &'t Fired,
    pub row: &'t Row,
    pub action: &'t RowAction,
    /// The other rules asking for the same action the same day.
    pub also: Vec<(&'t Fired, &'t Row, &'t RowAction)>,
}

impl<'t> Due<'t> {
    fn all(&self) -> impl Iterator<Item = (&'t Fired, &'t Row, &'t RowAction)> + '_ {
        std::iter::once((self.fired, self.row, self.action)).chain(self.also.iter().copied())
    }

    /// The evidence; with several rules, each rule's, named.
    pub fn evidence(&self) -> Cow<'_, str> {
        if self.also.is_empty() {
            return Cow::Borrowed(self.fired.evidence.as_str());
        }
        let parts: Vec<String> = self
            .all()
            .map(|(f, row, _)| format!("[{}] {}", row.rule, f.evidence))
            .collect();
        Cow::Owned(parts.join("; "))
    }

    /// The rules' notes qualifying the action, each once, joined with ` / `.
    pub fn note(&self) -> Cow<'_, str> {
        if self.also.is_empty() {
            return Cow::Borrowed(self.action.note.as_deref().unwrap_or(""));
        }
        let mut notes: Vec<&str> = Vec::new();
        for (_, _, a) in self.all() {
            if let Some(n) = a.note.as_deref()
                && !notes.contains(&n)
            {
                notes.push(n);
            }
        }
        Cow::Owned(notes.join(" / "))
    }

    /// Who is responsible: the first rule that names someone.
    pub fn responsible(&self) -> Option<&'t str> {
        self.all().find_map(|(_, _, a)| a.responsible.as_deref())
    }
}

/// Every action due, sorted by day then pupil, each pupil's in table order, identical
/// actions from different rules on one day made one.
pub fn due<'t>(table: &'t DecisionTable, fired: &'t [Fired]) -> Vec<Due<'t>> {
    let mut out: Vec<Due<'t>> = Vec::with_capacity(fired.len());
    let mut group_start = 0;
    let mut group = (usize::MAX, usize::MAX);
    for f in fired {
        if (f.day, f.pupil) != group {
            group = (f.day, f.pupil);
            group_start = out.len();
        }
        let Some(row) = table.rows.get(f.row) else {
            continue;
        };
        for action in &row.actions {
            // An action with a target (`notify:local_authority`, `letter:concern`) is one
            // thing whoever is named; one without (`support`, `home_visit`) is the same only
            // for the same person, or no one named (the national rules name no one). One rule
            // asking twice means two things.
            let targeted = action.action.contains(':');
            let same = out[group_start..].iter_mut().find(|d| {
                d.action.action == action.action
                    && d.all().all(|(_, r, _)| r.rule != row.rule)
                    && (targeted
                        || match (d.responsible(), action.responsible.as_deref()) {
                            (Some(a), Some(b)) => a == b,
                            _ => true,
                        })
            });
            match same {
                Some(d) => d.also.push((f, row, action)),
                None => out.push(Due {
                    fired: f,
                    row,
                    action,
                    also: Vec::new(),
                }),
            }
        }
    }
    out
}

/// Which step of its rule a row is, in words that survive edits elsewhere in the policy
/// (a row's `R12` does not): part of an action's id.
pub fn step_name(row: &Row) -> String {
    crate::table::step_name(row.kind, &row.event)
}

/// An action's stable key: the same pupil, rule, step, action and date give the same key in
/// every run, so staff can quote it and the ledger can recognise it next time. A SipHash
/// with fixed keys (std's SipHash output is stable); 64 bits make a collision among even a
/// national register's actions vanishingly unlikely. [`action_id`] writes it in hex.
pub fn action_key(pupil: &str, rule: &str, step: &str, action: &str, date: NaiveDate) -> u64 {
    #[expect(
        deprecated,
        reason = "SipHasher is the keyed hash std offers; its output is stable"
    )]
    let mut hasher =
        std::hash::SipHasher::new_with_keys(0x6174_7465_6e64_0003, 0x6163_7469_6f6e_0004);
    for part in [pupil, rule, step, action] {
        hasher.write(part.as_bytes());
        hasher.write_u8(0xff);
    }
    hasher.write(date.to_string().as_bytes());
    hasher.finish()
}

/// An action's id as the ledger keeps it: its key in sixteen hex digits. People see and type
/// the first [`SHORT_ID`] (any unique prefix of six or more is accepted).
pub fn action_id(key: u64) -> String {
    format!("{key:016x}")
}

/// The id as `actions.csv` and the day's list show it.
pub fn short_id(key: u64) -> String {
    format!("{:08x}", key >> 32)
}

/// How many of an id's hex digits people see and type.
pub const SHORT_ID: usize = 8;

impl Due<'_> {
    /// The action's stable key: the first rule's (the one whose row `actions.csv` names).
    pub fn key(&self, days: &SchoolDays, register: &Register) -> u64 {
        let pupil = register.id(self.fired.pupil);
        action_key(
            pupil,
            &self.row.rule,
            &step_name(self.row),
            &self.action.action,
            days.date(self.fired.day),
        )
    }
}

/// The pupil and day of every firing among `fired` that sends a letter: the days a
/// letter's year-to-date figures are wanted for ([`crate::register::MarkFigures`]).
pub fn letter_days(table: &DecisionTable, fired: &[Fired]) -> Vec<(usize, usize)> {
    fired
        .iter()
        .filter(|f| {
            table
                .rows
                .get(f.row)
                .is_some_and(|row| row.actions.iter().any(|a| a.action.starts_with("letter:")))
        })
        .map(|f| (f.pupil, f.day))
        .collect()
}

/// Every action of a run, in `actions.csv`'s order (identical actions from different rules
/// on one day made one).
pub fn each_action<'t>(table: &'t DecisionTable, outcome: &'t Outcome) -> Vec<Due<'t>> {
    due(table, &outcome.fired)
}

/// `id,date,pupil_id,rule,action,stage,responsible,evidence,note,responsible_name,ledger,done`,
/// sorted by date then pupil: `note` is the policy's words qualifying the action ("if
/// unauthorised: ..."), `responsible_name` the responsible role's description; `ledger` and
/// `done` are empty (a run without a ledger). An action several rules ask for on one day is one
/// line, under the first rule, whose evidence names every rule.
pub fn actions_csv(
    table: &DecisionTable,
    days: &SchoolDays,
    register: &Register,
    outcome: &Outcome,
) -> Vec<u8> {
    actions_csv_with(table, days, register, outcome, &|_| ("", String::new()))
}

/// [`actions_csv`] with each action's `ledger` and `done` columns given by its id: whether
/// the ledger has seen it before (`new`, `unchanged`) and when staff said it was done.
pub fn actions_csv_with(
    table: &DecisionTable,
    days: &SchoolDays,
    register: &Register,
    outcome: &Outcome,
    ledger: &(dyn Fn(u64) -> (&'static str, String) + Sync),
) -> Vec<u8> {
    let mut out = Vec::with_capacity(outcome.fired.len() * 180 + 64);
    // Writing to a Vec cannot fail.
    let _ = write_actions_csv(table, days, register, outcome, ledger, &mut out);
    out
}

/// [`actions_csv_with`], written to `out` as it is made.
pub fn write_actions_csv(
    table: &DecisionTable,
    days: &SchoolDays,
    register: &Register,
    outcome: &Outcome,
    ledger: &(dyn Fn(u64) -> (&'static str, String) + Sync),
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let mut header = csv::Writer::from_writer(Vec::new());
    header.write_record([
        "id",
        "date",
        "pupil_id",
        "rule",
        "action",
        "stage",
        "responsible",
        "evidence",
        "note",
        "responsible_name",
        "ledger",
        "done",
    ])?;
    out.write_all(&header.into_inner().map_err(|e| e.into_error())?)?;
    // A row's id hashes its text and its evidence and note are built: made a part at a
    // time on every core, a batch of parts (a bounded buffer) written in order.
    const PART: usize = 2048;
    let rows = |part: &[Due<'_>]| -> std::io::Result<Vec<u8>> {
        let mut w = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(Vec::with_capacity(part.len() * 180));
        let mut date_text = (usize::MAX, String::new());
        for d in part {
            let f = d.fired;
            if date_text.0 != f.day {
                date_text = (f.day, days.date(f.day).to_string());
            }
            let pupil = register.id(f.pupil);
            let responsible = d.responsible();
            let key = d.key(days, register);
            let (status, done) = ledger(key);
            w.write_record([
                short_id(key).as_str(),
                date_text.1.as_str(),
                pupil,
                d.row.rule.as_str(),
                d.action.action.as_str(),
                stage_name(table, f.stage),
                responsible.unwrap_or(""),
                &d.evidence(),
                &d.note(),
                responsible.and_then(|r| table.role_name(r)).unwrap_or(""),
                status,
                done.as_str(),
            ])?;
        }
        w.into_inner().map_err(|e| e.into_error())
    };
    let due = due(table, &outcome.fired);
    for batch in due.chunks(PART * 16) {
        use rayon::prelude::*;
        let parts: Vec<std::io::Result<Vec<u8>>> = batch.par_chunks(PART).map(rows).collect();
        for part in parts {
            out.write_all(&part?)?;
        }
    }
    out.flush()
}

/// The bands a pupil holds, one per band set, joined with `;`.
fn bands_text<'t>(table: &'t DecisionTable, bands: &[Option<u32>]) -> Cow<'t, str> {
    let name = |b: &Option<u32>| {
        b.and_then(|r| table.rows.get(r as usize))
            .map_or("", |r| r.rule.as_str())
    };
    match bands {
        [] => Cow::Borrowed(""),
        [band] => Cow::Borrowed(name(band)),
        _ => Cow::Owned(bands.iter().map(name).collect::<Vec<_>>().join(";")),
    }
}

/// `pupil_id,possible,present,authorised,unauthorised,attendance,band,stage,persistent,severe`.
pub fn summary_csv(table: &DecisionTable, register: &Register, outcome: &Outcome) -> Vec<u8> {
    let mut out = Vec::with_capacity(outcome.summary.len() * 64 + 128);
    // Writing to a Vec cannot fail.
    let _ = write_summary_csv(table, register, outcome, &mut out);
    out
}

/// [`summary_csv`], written to `out` as it is made.
pub fn write_summary_csv(
    table: &DecisionTable,
    register: &Register,
    outcome: &Outcome,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
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
    ])?;
    // Each row's numbers are written in the same buffers (by `itoa`, without the formatting
    // machinery): a register of a million pupils would otherwise make five strings a pupil.
    let mut numbers: [itoa::Buffer; 4] = Default::default();
    let mut attendance = String::new();
    for (pupil, s) in register.ids().zip(&outcome.summary) {
        let [possible, present, authorised, unauthorised] = &mut numbers;
        attendance.clear();
        write_percent_tenths(&mut attendance, u64::from(s.present), u64::from(s.possible));
        w.write_record([
            pupil,
            possible.format(s.possible),
            present.format(s.present),
            authorised.format(s.authorised),
            unauthorised.format(s.unauthorised),
            &attendance,
            &bands_text(table, &s.bands),
            stage_name(table, s.stage),
            if s.persistent { "true" } else { "false" },
            if s.severe { "true" } else { "false" },
        ])?;
    }
    w.flush()
}

/// The counts a person wants after a run.
pub fn terminal_summary(
    table: &DecisionTable,
    days: &SchoolDays,
    register: &Register,
    figures: &MarkFigures,
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
        figures.sessions,
        days.date(first),
        days.date(last),
        last + 1 - first,
        days.year_label(last),
    );
    if let Some(line) = taken_so_far(days, register, figures, outcome) {
        let _ = writeln!(out, "{line}");
    }
    let _ = writeln!(
        out,
        "persistent absence: {persistent} pupils{}",
        share(persistent)
    );
    let _ = writeln!(out, "severe absence: {severe} pupils{}", share(severe));
    let mut by_kind: BTreeMap<&str, usize> = BTreeMap::new();
    let mut total = 0;
    for d in due(table, &outcome.fired) {
        *by_kind.entry(d.action.action.as_str()).or_default() += 1;
        total += 1;
    }
    let _ = writeln!(out, "actions: {total}");
    let width = by_kind.keys().map(|k| k.len()).max().unwrap_or(0);
    for (kind, n) in by_kind {
        let _ = writeln!(out, "  {kind:<width$}  {n}");
    }
    out
}

/// When the last day's register is not all taken: how far it is, and how many sessions of
/// pupils on roll are still to come (not counted as possible or absent).
fn taken_so_far(
    days: &SchoolDays,
    register: &Register,
    figures: &MarkFigures,
    outcome: &Outcome,
) -> Option<String> {
    let (last, session) = figures.taken_to?;
    let waiting = figures.not_yet_taken(|p| {
        // A pupil the register alone names is on roll on every day of the span.
        p < register.len()
            && register.record(p).is_none_or(|pupil| {
                let (from, to) = super::eval::roll(days, pupil, outcome.span);
                (from..to).contains(&last)
            })
    });
    (waiting > 0).then(|| {
        format!(
            "register taken to the {} of {}: {waiting} {} not yet taken (neither possible nor absent)",
            if session == 0 { "morning" } else { "afternoon" },
            days.date(last),
            if waiting == 1 { "session" } else { "sessions" },
        )
    })
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
    for d in due(table, today) {
        let f = d.fired;
        let who = d.responsible().unwrap_or("(no one named)");
        let pupil = register.id(f.pupil);
        let note = d.note();
        let note = if note.is_empty() {
            String::new()
        } else {
            format!(" \"{note}\"")
        };
        let rules: Vec<&str> = d.all().map(|(_, row, _)| row.rule.as_str()).collect();
        let key = d.key(days, register);
        groups.entry(who).or_default().push(format!(
            "  {}  {pupil}  {}{note}  [{}; stage {}]\n      {}",
            short_id(key),
            d.action.action,
            rules.join(", "),
            stage_name(table, f.stage),
            d.evidence()
        ));
    }
    let count: usize = groups.values().map(Vec::len).sum();
    let date = days.date(day);
    let mut out = format!(
        "{} {date}: {count} {} due\n",
        date.format("%A"),
        if count == 1 { "action" } else { "actions" }
    );
    if day == outcome.span.1
        && let Some(line) = taken_so_far(
            days,
            register,
            &MarkFigures::of(register, days, []),
            outcome,
        )
    {
        let _ = writeln!(out, "{line}");
    }
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
    if pupil >= register.len() {
        return String::new();
    }
    let mut out = format!("timeline of pupil {}\n", register.id(pupil));
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
