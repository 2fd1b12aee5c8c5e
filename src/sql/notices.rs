//! Triggers whose condition reads `notices_issued(N years)`: whether one holds today depends
//! on the penalty notices the run asked for on earlier days, its own among them, so their days
//! are found by a recursive walk over each pupil's school days on roll (DuckDB; Spark 4.0 has
//! no recursive query and refuses them where they are written).

use std::fmt::Write as _;

use super::dialect::Dialect;
use crate::model::CountMetric;
use crate::table::{Atom, DecisionTable};

/// The action `notices_issued(...)` counts, as the table writes it (the engine's
/// `notices::NOTICE_ACTION`; this stage knows nothing of the engine).
pub const NOTICE_ACTION: &str = "consider:penalty_notice";

/// A trigger that reads `notices_issued(...)`: whether it holds today depends on the notices
/// the run asked for on earlier days, its own among them.
pub struct Walk {
    /// Its rows, each with its test and evidence.
    pub rows: Vec<(usize, (String, String))>,
    /// `on each`: fires every day it holds (else on a rising edge).
    pub each: bool,
    /// Its actions ask for a penalty notice.
    pub asks: bool,
    /// The N of the `notices_issued(N years)` it reads.
    pub read: Vec<u32>,
}

/// Whether a row's condition reads `notices_issued(...)`.
pub fn reads_notices(atoms: &[Atom]) -> bool {
    let notices = |m: &CountMetric| matches!(m, CountMetric::NoticesIssued { .. });
    atoms.iter().any(|a| match a {
        Atom::Count { metric, .. } => notices(metric),
        Atom::Share { lhs, rhs, .. } => notices(lhs) || notices(rhs),
        _ => false,
    })
}

/// The triggers reading `notices_issued(...)`: a walk over each pupil's school days on roll
/// (a recursive query, src/engine/eval `notices`), carrying the dates of the penalty notices
/// asked for so far (by the other rules, from `fired_base`, and by these triggers) and
/// whether each trigger held the day before; then `fired`, all the firings.
pub fn walk(
    out: &mut String,
    d: Dialect,
    table: &DecisionTable,
    walks: &[Walk],
    walked: &[(usize, usize, String)],
) {
    let notice_rows: Vec<String> = table
        .rows
        .iter()
        .enumerate()
        .filter(|(_, row)| row.actions.iter().any(|a| a.action == NOTICE_ACTION))
        .map(|(r, _)| r.to_string())
        .collect();
    let asked = if notice_rows.is_empty() {
        "1 = 0".to_string()
    } else {
        format!("row_id IN ({})", notice_rows.join(", "))
    };
    let mut read: Vec<u32> = walks.iter().flat_map(|w| w.read.iter().copied()).collect();
    read.sort_unstable();
    read.dedup();
    let _ = writeln!(
        out,
        "-- Each school day on roll, numbered, with the penalty notices the rules outside the\n\
         -- walk asked for that day."
    );
    let _ = writeln!(out, "{}", d.create("walk_days"));
    let _ = writeln!(
        out,
        "SELECT s.*, ROW_NUMBER() OVER (PARTITION BY s.pupil_id ORDER BY s.day) AS walk_seq,\n  \
         COALESCE(b.asked, 0) AS asked_before\n\
         FROM day_state AS s\n\
         LEFT JOIN (SELECT pupil_id, day, COUNT(*) AS asked FROM fired_base WHERE {asked}\n  \
         GROUP BY pupil_id, day) AS b ON b.pupil_id = s.pupil_id AND b.day = s.day;\n"
    );
    // One step of the walk: from the state `p_*` of the day before to today's.
    let step = |from: &str, prev: &[String]| {
        let mut cols = Vec::new();
        let mut fires = Vec::new();
        let mut news = vec!["asked_before".to_string()];
        for (k, w) in walks.iter().enumerate() {
            let holds = if w.rows.is_empty() {
                "FALSE".to_string()
            } else {
                w.rows
                    .iter()
                    .map(|(_, (t, _))| t.as_str())
                    .collect::<Vec<_>>()
                    .join(" OR ")
            };
            cols.push(format!("({holds}) AS h{k}"));
            fires.push(if w.each {
                format!("h{k} AS f{k}")
            } else {
                format!("h{k} AND NOT p_held{k} AS f{k}")
            });
            if w.asks {
                news.push(format!("CASE WHEN f{k} THEN 1 ELSE 0 END"));
            }
        }
        let kept: Vec<String> = (0..walks.len())
            .map(|k| format!("h{k} AS w_held{k}, f{k} AS w_fire{k}"))
            .chain(read.iter().map(|n| format!("notices{n} AS w_notices{n}")))
            .collect();
        format!(
            "SELECT pupil_id AS w_pupil, walk_seq AS w_seq, {},\n    \
             list_concat(p_dates, list_transform(range(CAST({} AS BIGINT)), x -> date)) AS w_dates\n  \
             FROM (SELECT *, {}\n    FROM (SELECT *, {}\n      FROM (SELECT i.*, {}\n        {from}) AS a) AS b) AS c",
            kept.join(", "),
            news.join(" + "),
            fires.join(", "),
            cols.join(",\n        "),
            prev.join(", "),
        )
    };
    let first: Vec<String> = (0..walks.len())
        .map(|k| format!("FALSE AS p_held{k}"))
        .chain(std::iter::once("CAST([] AS DATE[]) AS p_dates".to_string()))
        .chain(
            read.iter()
                .map(|n| format!("CAST(0 AS BIGINT) AS notices{n}")),
        )
        .collect();
    let next: Vec<String> = (0..walks.len())
        .map(|k| format!("w.w_held{k} AS p_held{k}"))
        .chain(std::iter::once("w.w_dates AS p_dates".to_string()))
        .chain(read.iter().map(|n| {
            format!(
                "CAST(len(list_filter(w.w_dates, x -> x >= CAST(i.date - INTERVAL ({n} * 12) MONTH AS DATE) AND x < i.date)) AS BIGINT) AS notices{n}"
            )
        }))
        .collect();
    let _ = writeln!(
        out,
        "-- The walk: day by day, the notices asked for in each period read, which triggers hold\n\
         -- and which fire."
    );
    let _ = writeln!(out, "{}", d.create("walk"));
    let _ = writeln!(
        out,
        "WITH RECURSIVE w AS (\n  {}\n  UNION ALL\n  {}\n)\nSELECT * FROM w;\n",
        step("FROM walk_days AS i WHERE i.walk_seq = 1", &first),
        step(
            "FROM w JOIN walk_days AS i ON i.pupil_id = w.w_pupil AND i.walk_seq = w.w_seq + 1",
            &next
        ),
    );
    let _ = writeln!(
        out,
        "-- Every rule that fired: those of `fired_base` and the triggers of the walk."
    );
    let _ = writeln!(out, "{}", d.create("fired"));
    let mut selects = vec![
        "SELECT pupil_id, day, date, row_id, fire_ord, stage_rank, evidence FROM fired_base"
            .to_string(),
    ];
    let notices: Vec<String> = read
        .iter()
        .map(|n| format!("w.w_notices{n} AS notices{n}"))
        .collect();
    for (ord, k, comment) in walked {
        let w = &walks[*k];
        let rows: Vec<String> = w
            .rows
            .iter()
            .map(|(r, (t, _))| format!("WHEN {t} THEN {r}"))
            .collect();
        let texts: Vec<String> = w
            .rows
            .iter()
            .map(|(_, (t, e))| format!("WHEN {t} THEN {e}"))
            .collect();
        if rows.is_empty() {
            continue;
        }
        selects.push(format!(
            "-- {comment}\n\
             SELECT pupil_id, day, date, CASE {} END AS row_id, {ord} AS fire_ord, stage AS stage_rank,\n  \
             CASE {} END AS evidence\n\
             FROM (SELECT i.*, {}w.w_fire{k} AS walk_fires\n  \
             FROM walk AS w JOIN walk_days AS i ON i.pupil_id = w.w_pupil AND i.walk_seq = w.w_seq) AS x\n\
             WHERE walk_fires",
            rows.join(" "),
            texts.join(" "),
            notices
                .iter()
                .map(|n| format!("{n}, "))
                .collect::<String>(),
        ));
    }
    let _ = writeln!(out, "{};\n", selects.join("\nUNION ALL\n"));
}

#[cfg(test)]
mod tests {
    /// The walk counts the notices the engine counts.
    #[test]
    fn the_notice_action_is_the_engines() {
        assert_eq!(super::NOTICE_ACTION, crate::engine::notices::NOTICE_ACTION);
    }
}
