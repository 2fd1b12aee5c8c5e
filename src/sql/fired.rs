//! `fired`: every rule that fired, one select per way a rule fires (src/sql/rules.rs collects
//! them), in the order the engine fires rules on a day; the triggers and steps reading
//! `notices_issued` join from their walk (src/sql/notices.rs).

use std::fmt::Write as _;

use super::dialect::Dialect;
use super::notices::WalkedRule;
use crate::model::Period;
use crate::table::DecisionTable;

/// A rule fired: which table row, on which days (a condition over `day_state`), at which
/// stage (an expression), with which evidence.
pub struct Firing {
    pub comment: String,
    pub row: String,
    pub stage: String,
    pub evidence: String,
    pub when: String,
    /// `once per`: only the first firing in each such period.
    pub once_per: Option<Period>,
    /// A further test of the firing `once per` picked (a band's entry clause's own guard).
    pub after: Option<String>,
    /// A trigger or step reading `notices_issued(...)`: its place in the notices walk, which
    /// finds its days; the other fields are unused.
    pub walk: Option<usize>,
    /// What the firing reads: `day_state`, or it with columns of its own.
    pub source: String,
}

impl Firing {
    /// A trigger's or step's firing found by the notices walk (its place `k` in it).
    pub fn walked(comment: String, k: usize) -> Firing {
        Firing {
            comment,
            row: String::new(),
            stage: String::new(),
            evidence: String::new(),
            when: String::new(),
            once_per: None,
            after: None,
            walk: Some(k),
            source: String::new(),
        }
    }
}

/// `fired` (or `fired_base` and, after the walk, `fired`): pupil, day, table row, stage rank
/// and evidence of every firing.
pub fn write(
    out: &mut String,
    d: Dialect,
    table: &DecisionTable,
    firings: &[Firing],
    walks: &[WalkedRule],
    stage_passes: Option<usize>,
) {
    let _ = writeln!(
        out,
        "-- Every rule that fired: pupil, day, table row, stage rank and evidence."
    );
    let base = if walks.is_empty() {
        "fired"
    } else {
        "fired_base"
    };
    let _ = writeln!(out, "{}", d.create_inline(base));
    let mut selects = Vec::new();
    let mut walked = Vec::new();
    // `fire_ord`: the order the engine fires rules in on one day (bands, triggers, steps).
    for (ord, f) in firings.iter().enumerate() {
        if let Some(k) = f.walk {
            walked.push((ord, k, f.comment.clone()));
            continue;
        }
        let pick = format!(
            "SELECT pupil_id, day, date, {} AS row_id, {ord} AS fire_ord, {} AS stage_rank, {} AS evidence",
            f.row, f.stage, f.evidence
        );
        selects.push(match f.once_per {
            None => format!(
                "-- {}\n{pick}\nFROM {} WHERE {}",
                f.comment, f.source, f.when
            ),
            Some(p) => {
                let col = super::calendar::period_column(p);
                format!(
                    "-- {} (once per {})\n{pick}\nFROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY pupil_id, {col} ORDER BY day) AS nth\n  FROM {} WHERE {}) AS o\nWHERE nth = 1{}",
                    f.comment,
                    p.keyword(),
                    f.source,
                    f.when,
                    f.after
                        .as_ref()
                        .map(|a| format!(" AND {a}"))
                        .unwrap_or_default()
                )
            }
        });
    }
    if selects.is_empty() {
        selects.push(
            "SELECT pupil_id, day, date, 0 AS row_id, 0 AS fire_ord, 0 AS stage_rank, '' AS evidence FROM day_state WHERE 1 = 0"
                .into(),
        );
    }
    let _ = writeln!(out, "{};\n", selects.join("\nUNION ALL\n"));
    if !walks.is_empty() {
        // The firings recorded at the day's stage, and at the stage of the day before, which a
        // trigger setting a stage in the walk may raise.
        let at = |stage: &str| {
            firings
                .iter()
                .enumerate()
                .filter(|(_, f)| f.walk.is_none() && f.stage == stage)
                .map(|(ord, _)| ord)
                .collect::<Vec<_>>()
        };
        let staged = super::notices::Staged {
            today: at("stage"),
            before: at("stage_before"),
        };
        super::notices::walk(out, d, table, walks, &walked, &staged, stage_passes);
    }
}
