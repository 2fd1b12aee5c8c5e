//! `notices_issued(N years)` where the notices walk (notices.rs) cannot carry it: in a band's
//! own condition or a ladder's, in a support plan's target, in a trigger setting a stage that
//! other rules read. When every rule asking for a penalty notice reads neither the stage nor
//! the notices, their firings do not depend on what reads the notices: they are found first,
//! by the rules' SQL over a table of those rules alone, and each day's notices are columns
//! (`noticesN`) of `noticed_values`, which the policy's rules then read as any other count.

use std::fmt::Write as _;

use super::conditions;
use super::dialect::Dialect;
use super::metrics::Metrics;
use super::notices::reads_notices;
use crate::table::{Atom, DecisionTable, LadderRows, Measures, Row, RowKind};

/// The days the policy's rules read when the notices are counted first: `day_values` with
/// the notices of each period read.
pub const NOTICED_VALUES: &str = "noticed_values";

/// The first row reading `notices_issued(...)` that the notices walk cannot carry: in a
/// band's own condition, a support plan's target, a trigger setting a stage in a policy where
/// a rule reads the stage or with support plans, or a ladder's condition.
pub fn uncarried(table: &DecisionTable) -> Option<usize> {
    let notices = |ways: &[Vec<Atom>]| ways.iter().any(|atoms| reads_notices(atoms));
    let own = |row: &Row| reads_notices(&row.when) || row.also.as_deref().is_some_and(notices);
    let raise_refused = super::rules::raise_refused(table).is_some();
    let row = table.rows.iter().position(|row| match row.kind {
        RowKind::Band
        | RowKind::PlanOpen
        | RowKind::PlanMissed
        | RowKind::PlanMet
        | RowKind::PlanJudged
        | RowKind::PlanEvery => own(row),
        RowKind::Trigger => {
            row.stage.is_some() && row.satisfiable && reads_notices(&row.when) && raise_refused
        }
        _ => false,
    });
    row.or_else(|| {
        table.ladders.iter().find_map(|ladder| {
            let held = ladder.held.iter().flatten().any(|h| match h {
                crate::table::HeldRows::Until { rows, .. } => notices(rows),
                _ => false,
            });
            let at_once = ladder.at_once.iter().flatten().any(|rows| notices(rows));
            (held || at_once)
                .then(|| ladder.rows.first().copied())
                .flatten()
        })
    })
}

/// The policy's rules asking for a penalty notice, alone in a table (their firings, and so
/// the notices, do not depend on the other rules): every trigger and escalation step with the
/// action, none reading the stage or the notices, and every band set one of whose bands asks
/// (by its entry, a further clause or weekly actions), whole, none of its conditions, guards
/// or ladder reading them either; `None` where the notices cannot be counted first.
pub fn askers(table: &DecisionTable) -> Option<DecisionTable> {
    let reads = |atoms: &[Atom]| conditions::reads_stage(atoms) || reads_notices(atoms);
    let band_row = |row: &Row| {
        matches!(
            row.kind,
            RowKind::Band | RowKind::BandEntry | RowKind::BandWeekly
        )
    };
    let mut keep = vec![false; table.rows.len()];
    let mut sets = Vec::new();
    let mut r = 0;
    while let Some(row) = table.rows.get(r) {
        // A trigger's rows are one rule: kept, or left, together.
        let end = super::rules::rule_end(table, r);
        let rule = table.rows.get(r..end).unwrap_or_default();
        if rule.iter().any(super::notices::asks) {
            match row.kind {
                RowKind::Trigger | RowKind::Step => {
                    if rule.iter().any(|way| reads(&way.when)) {
                        return None;
                    }
                    keep[r..end].fill(true);
                }
                _ if band_row(row) => {
                    let set = table.band_sets.iter().position(|set| {
                        set.iter()
                            .any(|&b| table.rows.get(b).is_some_and(|b| b.rule == row.rule))
                    });
                    match set {
                        Some(s) if !sets.contains(&s) => sets.push(s),
                        Some(_) => {}
                        None => return None,
                    }
                }
                // A support plan's action: the plans read the stage.
                _ => return None,
            }
        }
        r = end;
    }
    sets.sort_unstable();
    // A band set asking is kept whole: its bands, their further entry clauses and weekly
    // actions (a band's clauses share its limit), and its ladder.
    for &s in &sets {
        let set = &table.band_sets[s];
        let names: Vec<&str> = set.iter().map(|&b| table.rows[b].rule.as_str()).collect();
        for (w, row) in table.rows.iter().enumerate() {
            if !band_row(row) || !names.contains(&row.rule.as_str()) {
                continue;
            }
            let mut ways = std::iter::once(&row.when)
                .chain(row.also.iter().flatten())
                .chain(row.guard.iter().flatten());
            if ways.any(|atoms| reads(atoms)) {
                return None;
            }
            keep[w] = true;
        }
        if let Some(ladder) = table.ladders.iter().find(|l| l.rows == *set) {
            let held = ladder.held.iter().flatten().filter_map(|h| match h {
                crate::table::HeldRows::Until { rows, .. } => Some(rows),
                _ => None,
            });
            let mut ways = held.chain(ladder.at_once.iter().flatten()).flatten();
            if ways.any(|atoms| reads(atoms)) {
                return None;
            }
        }
    }
    // The rows kept, in the table's order, and where each went.
    let mut moved = vec![None; table.rows.len()];
    let mut rows: Vec<Row> = Vec::new();
    for (r, row) in table.rows.iter().enumerate() {
        if keep[r] {
            moved[r] = Some(rows.len());
            // What stage it gives changes only the stage firings are recorded at.
            rows.push(Row {
                stage: None,
                ..row.clone()
            });
        }
    }
    let kept = |old: &[usize]| -> Vec<usize> { old.iter().filter_map(|&r| moved[r]).collect() };
    let band_sets: Vec<Vec<usize>> = sets.iter().map(|&s| kept(&table.band_sets[s])).collect();
    let ladders = table
        .ladders
        .iter()
        .filter(|l| sets.iter().any(|&s| table.band_sets[s] == l.rows))
        .map(|l| LadderRows {
            rows: kept(&l.rows),
            ..l.clone()
        })
        .collect();
    Some(DecisionTable {
        policy: table.policy.clone(),
        stages: table.stages.clone(),
        rows,
        calendar: table.calendar.clone(),
        band_sets,
        ladders,
        measures: Measures::default(),
        roles: table.roles.clone(),
    })
}

/// After the askers' rules: `notices_asked`, the notices their firings ask for, per pupil
/// and date; and `noticed_values`, `day_values` with the notices of each period read before
/// the day (`noticesN`: dated in [the same date N years before, the day), as the engine's
/// `notices::count`).
pub fn counts(out: &mut String, d: Dialect, askers: &DecisionTable, metrics: &Metrics) {
    // A band set asking is kept whole: only its rows asking count.
    let asking = super::notices::asking_rows(askers);
    let _ = writeln!(
        out,
        "-- The penalty notices the rules above asked for, per pupil and date (the firings of\n\
         -- their rows asking for one), as the policy's rules will ask for them."
    );
    let _ = writeln!(out, "{}", d.create("notices_asked"));
    let _ = writeln!(
        out,
        "{};\n",
        if asking.is_empty() {
            // No rule asks for one: none is counted.
            "SELECT pupil_id, date, CAST(0 AS BIGINT) AS asked FROM day_values WHERE 1 = 0"
                .to_string()
        } else {
            format!(
                "SELECT pupil_id, date, COUNT(*) AS asked FROM fired WHERE row_id IN ({})\n\
                 GROUP BY pupil_id, date",
                asking.join(", ")
            )
        }
    );
    noticed_values(out, d, metrics);
}

/// `noticed_values`: `day_values` with the notices of each period read before the day
/// (`noticesN`: dated in [the same date N years before, the day), as the engine's
/// `notices::count`), from `notices_asked`.
pub fn noticed_values(out: &mut String, d: Dialect, metrics: &Metrics) {
    let years = metrics.counted.as_deref().unwrap_or_default();
    let sums: Vec<String> = years
        .iter()
        .map(|n| {
            format!(
                "CAST(SUM(CASE WHEN a.date >= {} THEN a.asked ELSE 0 END) AS BIGINT) AS notices{n}",
                d.years_before("c.date", *n)
            )
        })
        .collect();
    let read: Vec<String> = years
        .iter()
        .map(|n| format!("CAST(COALESCE(n.notices{n}, 0) AS BIGINT) AS notices{n}"))
        .collect();
    let _ = writeln!(
        out,
        "-- Per pupil and school day on roll: `day_values` with the penalty notices asked for in\n\
         -- each period read (noticesN: from the same date N years before, up to the day before).\n\
         -- The policy's rules below read these days, and make their tables again."
    );
    let _ = writeln!(out, "{}", d.create(NOTICED_VALUES));
    let _ = writeln!(
        out,
        "SELECT v.*{}\n\
         FROM day_values AS v\n\
         LEFT JOIN (SELECT a.pupil_id, c.day{}\n  \
         FROM notices_asked AS a JOIN calendar AS c ON a.date < c.date\n  \
         GROUP BY a.pupil_id, c.day) AS n ON n.pupil_id = v.pupil_id AND n.day = v.day;\n",
        read.iter().map(|c| format!(", {c}")).collect::<String>(),
        sums.iter()
            .map(|c| format!(",\n    {c}"))
            .collect::<String>(),
    );
}
