//! The rules that carry state from one school day to the next, as window functions over each
//! pupil's school days on roll: bands (bands.rs), the stage, triggers (rising edges, `on
//! each`, `once per`) and escalation steps, each way a rule fires collected for `fired`
//! (fired.rs); what needs a walk over the days is written by ladder.rs, plans.rs, notices.rs,
//! limits.rs and stage_before.rs.

use std::fmt::Write as _;

use super::conditions::{self, Scope, Unsupported};
use super::dialect::Dialect;
use super::fired::Firing;
use super::metrics::Metrics;
use super::notices::WalkedRule;
use crate::model::{CountMetric, Repeat};
use crate::source::Loc;
use crate::table::{Atom, DecisionTable, Event, RowKind};

/// `file:line` of a table row, for the comment naming the policy line a query comes from.
pub fn line(table: &DecisionTable, row: usize) -> String {
    table
        .rows
        .get(row)
        .map(|r| format!("{}:{}", r.source.file, r.source.line))
        .unwrap_or_default()
}

/// A window over a pupil's school days on roll, from the first to the current.
pub const SINCE_START: &str =
    "OVER (PARTITION BY pupil_id ORDER BY day ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)";

/// The SQL of the stateful rules; an unsupported construct with where it is written. With
/// `stage_walked` the notices walk finds the stage (src/sql/notices.rs): every trigger and
/// escalation step reading the stage is walked, from the stage the others give
/// (`walk_base`).
pub fn rules(
    out: &mut String,
    d: Dialect,
    table: &DecisionTable,
    metrics: &mut Metrics,
    stage_walked: bool,
) -> Result<(), (Unsupported, Loc)> {
    let stages = &table.stages;
    let at = |row: usize| table.rows[row].loc.clone();
    let line = |row: usize| line(table, row);
    let mut firings: Vec<Firing> = Vec::new();
    let mut limits = Vec::new();
    let mut walks: Vec<WalkedRule> = Vec::new();
    super::bands::bands(
        out,
        d,
        table,
        metrics,
        &mut firings,
        &mut limits,
        &mut walks,
    )?;

    // Triggers: each a group of consecutive rows, any of which holds.
    struct Trigger {
        rows: Vec<usize>,
        stage: Option<usize>,
        /// The calendar column of the days it is looked at, if not every day.
        look: Option<usize>,
        /// Its days are found by the notices walk: it reads the notices, or, with the stage
        /// found in that walk (`stage_walked`), the stage.
        walked: bool,
    }
    let mut triggers = Vec::new();
    let mut r = 0;
    while r < table.rows.len() {
        let row = &table.rows[r];
        if row.kind != RowKind::Trigger {
            r += 1;
            continue;
        }
        let end = rule_end(table, r);
        let rows: Vec<usize> = (r..end).filter(|&w| table.rows[w].satisfiable).collect();
        let look = match row.event {
            Event::EndOf(p) => Some(metrics.look(crate::model::LookedAt::EndOf(p))),
            Event::LookedEvery { school_weeks } => {
                Some(metrics.look(crate::model::LookedAt::Every { school_weeks }))
            }
            _ => None,
        };
        // With the notices counted before the rules (src/sql/asked.rs) it reads a column.
        let notices = !metrics.notices_counted()
            && rows
                .iter()
                .any(|&w| super::notices::reads_notices(&table.rows[w].when));
        let reads_stage = rows
            .iter()
            .any(|&w| conditions::reads_stage(&table.rows[w].when));
        if notices
            && !stage_walked
            && row.stage.is_some()
            && let Some(why) = raise_refused(table)
        {
            return Err((
                Unsupported(format!(
                    "`notices_issued(...)` in a trigger with a stage in a policy {why}"
                )),
                at(r),
            ));
        }
        triggers.push((
            r,
            Trigger {
                rows,
                stage: row
                    .stage
                    .as_deref()
                    .and_then(|n| stages.iter().position(|x| x == n)),
                look,
                walked: notices || (stage_walked && reads_stage),
            },
        ));
        r = end;
    }
    let reads_stage = triggers.iter().any(|(_, t)| {
        t.rows.iter().any(|&r| {
            table.rows[r]
                .when
                .iter()
                .any(|a| matches!(a, Atom::Stage { .. }))
        })
    });
    // The stage is the least fixed point of "bands and the stages of the triggers that hold",
    // as the engine finds it: len(stages) + 1 passes, each reading the stage of the last.
    let passes = if reads_stage { stages.len() + 1 } else { 1 };
    let holds_under = |metrics: &mut Metrics, t: &Trigger, stage: &str| {
        let scope = Scope {
            d,
            stage: Some(stage),
            stage_names: stages,
        };
        let mut any = Vec::new();
        for &r in &t.rows {
            any.push(
                conditions::rule(&scope, metrics, &table.rows[r].when).map_err(|u| (u, at(r)))?,
            );
        }
        Ok::<_, (Unsupported, Loc)>(any)
    };
    // `from`, with the stage the fixed point reaches over `base` (columns `{pre}s{k}`).
    let fixpoint = |metrics: &mut Metrics, from: &str, base: &str, pre: &str| {
        let mut chain = format!("SELECT *, {base} AS {pre}s0 FROM {from}");
        for k in 0..passes {
            let mut parts = vec![base.to_string(), "0".to_string()];
            for (_, t) in &triggers {
                // A trigger reading the notices raises the stage from the walk (`day_raise`).
                if let Some(rank) = t.stage
                    && !t.walked
                {
                    let any = holds_under(metrics, t, &format!("{pre}s{k}"))?;
                    let tests: Vec<&str> = any.iter().map(|(t, _)| t.as_str()).collect();
                    if !tests.is_empty() {
                        parts.push(format!(
                            "CASE WHEN {} THEN {rank} ELSE 0 END",
                            tests.join(" OR ")
                        ));
                    }
                }
            }
            chain = format!(
                "SELECT *, GREATEST({}) AS {pre}s{}\n  FROM ({chain}) AS {pre}l{k}",
                parts.join(", "),
                k + 1
            );
        }
        Ok::<_, (Unsupported, Loc)>(chain)
    };
    // Support plans carry a floor under the stage from one day to the next: the stage is
    // then the walk's (src/sql/plans.rs), over the fixed point from each floor it can leave.
    let plans = super::plans::of(table);
    let plan_rules_from = "(SELECT * FROM day_bands AS b\n  \
         JOIN plan_walk AS pw ON pw.w_pupil = b.pupil_id AND pw.w_day = b.day) AS x";
    let (held_stage, trigger_stage, rules_from, mut cols) = if plans.is_empty() {
        let chain = fixpoint(metrics, "day_bands", "base_stage", "")?;
        (
            format!("s{}", passes - 1),
            "stage",
            format!("({chain}) AS x"),
            vec![format!("s{passes} AS stage")],
        )
    } else if super::plans::walked_elsewhere(table) {
        // The walk of the bands or the ladder reading the stage stepped through the plans
        // too, and made `plan_walk`.
        (
            "stage0".to_string(),
            "stage0",
            plan_rules_from.to_string(),
            Vec::new(),
        )
    } else {
        let mut from = "day_bands".to_string();
        let floors = super::plans::floors(&plans);
        for f in &floors {
            let base = match f {
                0 => "base_stage".to_string(),
                f => format!("GREATEST(base_stage, {f})"),
            };
            let chain = fixpoint(metrics, &from, &base, &format!("f{f}"))?;
            from = format!("({chain}) AS fl{f}");
        }
        let reviews = super::plans::review_columns(d, table, &plans, metrics, conditions::is_stage)
            .map_err(|(u, r)| (u, at(r)))?;
        let fixes: Vec<String> = floors
            .iter()
            .map(|f| format!("f{f}s{passes} AS fix{f}"))
            .collect();
        let _ = writeln!(
            out,
            "-- Support plans: per school day on roll, the stage bands and triggers give over each\n\
             -- floor a missed review can set (fix), and each plan's review outcome (prv: its row,\n\
             -- pmiss: a missed target)."
        );
        let _ = writeln!(out, "{}", d.create("plan_days"));
        let _ = writeln!(
            out,
            "SELECT pupil_id, day, week, year, first_of_week,\n  \
             ROW_NUMBER() OVER (PARTITION BY pupil_id ORDER BY day) AS pseq,\n  {}{}\nFROM {from};\n",
            fixes.join(", "),
            reviews
                .columns
                .iter()
                .map(|(name, expr)| format!(",\n  {expr} AS {name}"))
                .collect::<String>()
        );
        super::plans::walk(out, d, table, &plans, &reviews, metrics)
            .map_err(|(u, r)| (u, at(r)))?;
        (
            "stage0".to_string(),
            "stage0",
            plan_rules_from.to_string(),
            Vec::new(),
        )
    };
    for (t, (first, trig)) in triggers.iter().enumerate() {
        let row = &table.rows[*first];
        if trig.walked {
            metrics.notices = Some(Vec::new());
            let reads_stage = trig
                .rows
                .iter()
                .any(|&r| conditions::reads_stage(&table.rows[r].when));
            let (any, parts, found, passes_within) = if stage_walked {
                // The stage is found in the walk: the trigger reads it there, at each pass of
                // the fixed point if it sets one, holds as at the last pass and fires by a row
                // holding at the day's final stage.
                let any = holds_under(metrics, trig, super::notices::WALK_STAGE);
                let split_at = |metrics: &mut Metrics, pass: usize| {
                    trig.rows
                        .iter()
                        .map(|&r| {
                            super::notices::split_in_walk(
                                d,
                                stages,
                                &format!("ws{pass}"),
                                metrics,
                                &table.rows[r].when,
                            )
                            .map_err(|u| (u, at(r)))
                        })
                        .collect::<Result<Vec<_>, _>>()
                };
                let parts = split_at(metrics, passes - 1);
                let found = if reads_stage {
                    split_at(metrics, passes)
                } else {
                    Ok(Vec::new())
                };
                let mut at_passes = Vec::new();
                if trig.stage.is_some() {
                    for k in 0..passes {
                        at_passes.push(
                            split_at(metrics, k)
                                .map(|p| p.into_iter().map(|(_, w)| w).collect::<Vec<_>>()),
                        );
                    }
                }
                (any, parts, found, at_passes.into_iter().collect())
            } else {
                // Read at the stage the other triggers read (with support plans, the walk's
                // before the day's reviews), as the engine's trigger loop does.
                let any = holds_under(metrics, trig, trigger_stage);
                // Each row's test split in two: what the day's columns decide, computed
                // before the walk, and what reads the notices, decided in it.
                // Without support plans it holds as at the fixed point's last pass, and fires
                // by a row holding at the day's final stage (`found`), as the other triggers
                // do: the two differ where the stage has no fixed point.
                let last_pass = plans.is_empty() && reads_stage;
                let split_at = |metrics: &mut Metrics, stage: &str| {
                    let scope = Scope {
                        d,
                        stage: Some(stage),
                        stage_names: stages,
                    };
                    trig.rows
                        .iter()
                        .map(|&r| {
                            super::notices::split(&scope, metrics, &table.rows[r].when)
                                .map_err(|u| (u, at(r)))
                        })
                        .collect::<Result<Vec<_>, _>>()
                };
                let parts = split_at(
                    metrics,
                    if last_pass {
                        &held_stage
                    } else {
                        trigger_stage
                    },
                );
                let found = if last_pass {
                    split_at(metrics, trigger_stage)
                } else {
                    Ok(Vec::new())
                };
                (any, parts, found, Ok(Vec::new()))
            };
            let read = metrics.notices.take().unwrap_or_default();
            if !row.actions.is_empty() {
                firings.push(Firing::walked(
                    format!("{} trigger {}", line(*first), row.rule),
                    walks.len(),
                ));
            }
            walks.push(WalkedRule {
                rows: trig.rows.iter().copied().zip(any?).collect(),
                parts: parts?,
                repeat: row.repeat,
                look: trig.look,
                asks: super::notices::asks(row),
                read,
                stage: trig
                    .stage
                    .map_or(trigger_stage.to_string(), |k| k.to_string()),
                entry: false,
                last: walks.len(),
                raises: trig.stage,
                found: found?,
                passes: passes_within?,
            });
            continue;
        }
        let any = holds_under(metrics, trig, &held_stage)?;
        let holds = if any.is_empty() {
            "FALSE".to_string()
        } else {
            any.iter()
                .map(|(t, _)| t.as_str())
                .collect::<Vec<_>>()
                .join(" OR ")
        };
        // The engine fires by the first row that holds at the day's stage, after the last
        // pass. Where the stage has no fixed point (a trigger raising it out of its own
        // range), that can be none though the trigger held at the last pass: it then holds
        // (its edge reads that) but fires no row.
        let reads_stage = trig
            .rows
            .iter()
            .any(|&r| conditions::reads_stage(&table.rows[r].when));
        let (by_row, found) = if reads_stage && plans.is_empty() {
            (
                holds_under(metrics, trig, &format!("s{passes}"))?,
                format!(" AND t{t}_row IS NOT NULL"),
            )
        } else {
            (any.clone(), String::new())
        };
        let rows: Vec<String> = by_row
            .iter()
            .zip(&trig.rows)
            .map(|((test, _), r)| format!("WHEN {test} THEN {r}"))
            .collect();
        let texts: Vec<String> = by_row
            .iter()
            .map(|(test, text)| format!("WHEN {test} THEN {text}"))
            .collect();
        cols.push(format!(
            "-- {} trigger {}\n  ({holds}) AS t{t}_holds,\n  CASE {} END AS t{t}_row,\n  CASE {} END AS t{t}_evidence",
            line(*first),
            row.rule,
            if rows.is_empty() { "WHEN FALSE THEN 0".into() } else { rows.join(" ") },
            if texts.is_empty() { "WHEN FALSE THEN ''".into() } else { texts.join(" ") },
        ));
        // A limit that reads when the trigger last fired: its firings come from a walk.
        let limited = match (row.repeat, trig.look) {
            (Repeat::NotWithin { school_weeks }, _) => Some((school_weeks, false)),
            (Repeat::Every { school_weeks }, Some(_)) => Some((school_weeks, true)),
            _ => None,
        };
        if let Some((weeks, again)) = limited
            && !row.actions.is_empty()
        {
            let (may, fresh) = match trig.look {
                Some(j) => (
                    format!("look{j} > 0 AND t{t}_holds"),
                    format!("(look{j} = 1 OR NOT t{t}_was)"),
                ),
                None => (format!("t{t}_holds"), format!("NOT t{t}_was")),
            };
            let may = format!("{may}{found}");
            limits.push(super::limits::Limit {
                key: format!("t{t}"),
                comment: format!("{} trigger {} ({})", line(*first), row.rule, row.repeat),
                clauses: vec![may],
                fresh,
                weeks,
                again,
            });
            firings.push(Firing {
                comment: format!("{} trigger {} ({})", line(*first), row.rule, row.repeat),
                row: format!("t{t}_row"),
                stage: trig
                    .stage
                    .map_or(trigger_stage.to_string(), |k| k.to_string()),
                evidence: format!("t{t}_evidence"),
                when: format!("rw_fire_t{t}_0"),
                once_per: None,
                after: None,
                walk: None,
                source: super::limits::LIMITED.into(),
            });
        } else if !row.actions.is_empty() {
            firings.push(Firing {
                comment: format!("{} trigger {}", line(*first), row.rule),
                row: format!("t{t}_row"),
                stage: trig.stage.map_or(trigger_stage.to_string(), |k| k.to_string()),
                evidence: format!("t{t}_evidence"),
                when: match (row.repeat, trig.look) {
                    (Repeat::Each | Repeat::OncePer(_), None) => format!("t{t}_holds"),
                    (Repeat::Each | Repeat::OncePer(_), Some(j)) => {
                        format!("look{j} > 0 AND t{t}_holds")
                    }
                    // A look at a period's end stands alone; other looks rise from the last.
                    (_, Some(j)) => format!(
                        "look{j} > 0 AND t{t}_holds AND (look{j} = 1 OR NOT t{t}_was)"
                    ),
                    (Repeat::Every { school_weeks: 0 }, None) => format!("t{t}_holds"),
                    // Again on the first school day of every Nth school week it holds on.
                    (Repeat::Every { school_weeks }, None) => format!(
                        "t{t}_holds AND (NOT t{t}_was OR (week <> week_before AND (week - run_week) % {school_weeks} = 0))"
                    ),
                    _ => format!("t{t}_holds AND NOT t{t}_was"),
                } + &found,
                once_per: match row.repeat {
                    Repeat::OncePer(p) => Some(p),
                    _ => None,
                },
                after: None,
            walk: None,
                source: match row.repeat {
                    Repeat::Every { .. } => format!(
                        "(SELECT *, MAX(CASE WHEN t{t}_holds AND NOT t{t}_was THEN week END) {SINCE_START} AS run_week,\n    \
                         LAG(week) OVER (PARTITION BY pupil_id ORDER BY day) AS week_before\n  FROM day_state) AS e"
                    ),
                    _ => "day_state".into(),
                },
            });
        }
    }
    // Support plans, after the triggers: what the walk says each did, at the stage of its
    // turn.
    for (p, plan) in plans.iter().enumerate() {
        let events =
            super::plans::events(d, table, p, plan, metrics).map_err(|(u, r)| (u, at(r)))?;
        for event in events {
            firings.push(Firing {
                comment: format!(
                    "{} plan {}: {}",
                    line(event.line),
                    table.rows[plan.open].rule,
                    event.what
                ),
                row: event.row,
                stage: format!("pst{p}"),
                evidence: event.evidence,
                when: event.when,
                once_per: None,
                after: None,
                walk: None,
                source: "day_state".into(),
            });
        }
    }
    // Escalation steps: on the day the run of consecutive days reaches the step's day.
    let with_stage = Scope {
        d,
        stage: Some("stage"),
        stage_names: stages,
    };
    let mut steps = Vec::new();
    for (r, row) in table.rows.iter().enumerate() {
        if row.kind != RowKind::Step || !row.satisfiable || row.actions.is_empty() {
            continue;
        }
        let Some((day, codes)) = step_run(row) else {
            continue;
        };
        let run = metrics.run(&codes);
        steps.push((r, run, day));
    }
    let _ = writeln!(
        out,
        "-- The stage (bands, then the triggers that hold, to a fixed point), which triggers\n\
         -- hold and by which row, and the escalation steps due."
    );
    let _ = writeln!(out, "{}", d.create_inline("day_rules"));
    let mut step_cols = Vec::new();
    for (k, (r, run, day)) in steps.iter().enumerate() {
        let when = &table.rows[*r].when;
        let due = format!("ext{run} = 1 AND run{run} = {day}");
        let comment = format!("{} escalation {} day {day}", line(*r), table.rows[*r].rule);
        let stage_read = stage_walked && conditions::reads_stage(when);
        if stage_read {
            // Due as any step is, what reads the stage or the notices decided in the walk, at
            // the day's final stage.
            metrics.notices = Some(Vec::new());
            let (test, text) = conditions::rule(
                &Scope {
                    d,
                    stage: Some(super::notices::WALK_STAGE),
                    stage_names: stages,
                },
                metrics,
                when,
            )
            .map_err(|u| (u, at(*r)))?;
            let (before, within) =
                super::notices::split_in_walk(d, stages, &format!("ws{passes}"), metrics, when)
                    .map_err(|u| (u, at(*r)))?;
            let read = metrics.notices.take().unwrap_or_default();
            firings.push(Firing::walked(comment, walks.len()));
            walks.push(WalkedRule {
                rows: vec![(*r, (format!("({due} AND {test})"), text))],
                parts: vec![(format!("({due} AND {before})"), within)],
                repeat: Repeat::Each,
                look: None,
                asks: super::notices::asks(&table.rows[*r]),
                read,
                stage: "stage".into(),
                entry: false,
                last: walks.len(),
                raises: None,
                found: Vec::new(),
                passes: Vec::new(),
            });
            continue;
        }
        if super::notices::reads_notices(when) && !metrics.notices_counted() {
            // Due as any step is, and then what reads the notices decided by the walk.
            metrics.notices = Some(Vec::new());
            let (test, text) =
                conditions::rule(&with_stage, metrics, when).map_err(|u| (u, at(*r)))?;
            let (before, within) =
                super::notices::split(&with_stage, metrics, when).map_err(|u| (u, at(*r)))?;
            let read = metrics.notices.take().unwrap_or_default();
            firings.push(Firing::walked(comment, walks.len()));
            walks.push(WalkedRule {
                rows: vec![(*r, (format!("({due} AND {test})"), text))],
                parts: vec![(format!("({due} AND {before})"), within)],
                repeat: Repeat::Each,
                look: None,
                asks: super::notices::asks(&table.rows[*r]),
                read,
                stage: "stage".into(),
                entry: false,
                last: walks.len(),
                raises: None,
                found: Vec::new(),
                passes: Vec::new(),
            });
            continue;
        }
        let (test, text) = conditions::rule(&with_stage, metrics, when).map_err(|u| (u, at(*r)))?;
        step_cols.push(format!(
            "-- {comment}\n  ({due} AND {test}) AS step{k}_due,\n  {text} AS step{k}_evidence",
        ));
        firings.push(Firing {
            comment,
            row: r.to_string(),
            stage: "stage".into(),
            evidence: format!("step{k}_evidence"),
            when: format!("step{k}_due"),
            once_per: None,
            after: None,
            walk: None,
            source: "day_state".into(),
        });
    }
    cols.extend(step_cols);
    if stage_walked {
        // Where the notices walk finds the stage: what it starts each day's passes from, the
        // bands' stage raised by the triggers setting one that the walk does not read.
        let mut parts = vec!["base_stage".to_string(), "0".to_string()];
        for (_, t) in &triggers {
            if let Some(rank) = t.stage
                && !t.walked
            {
                let any = holds_under(metrics, t, &held_stage)?;
                if !any.is_empty() {
                    let tests: Vec<&str> = any.iter().map(|(t, _)| t.as_str()).collect();
                    parts.push(format!(
                        "CASE WHEN {} THEN {rank} ELSE 0 END",
                        tests.join(" OR ")
                    ));
                }
            }
        }
        cols.push(format!(
            "-- the stage the notices walk starts from\n  GREATEST({}) AS walk_base",
            parts.join(", ")
        ));
    }
    let _ = writeln!(
        out,
        "SELECT *{}\nFROM {rules_from};\n",
        cols.iter().map(|c| format!(",\n  {c}")).collect::<String>()
    );
    let _ = writeln!(
        out,
        "-- The school day before, on roll: the band held, the stage, whether each trigger held."
    );
    let _ = writeln!(out, "{}", d.create("day_state"));
    let before = "OVER (PARTITION BY pupil_id ORDER BY day)";
    let mut lags = vec![format!("LAG(stage, 1, 0) {before} AS stage_before")];
    for s in 0..table.band_sets.len() {
        lags.push(format!("LAG(band{s}) {before} AS band{s}_before"));
    }
    for (t, (_, trig)) in triggers.iter().enumerate() {
        if trig.walked {
            continue;
        }
        lags.push(match trig.look {
            // The look before, for a trigger looked at on some days only.
            Some(j) => format!(
                "LAG(t{t}_holds, 1, FALSE) OVER (PARTITION BY pupil_id, look{j} > 0 ORDER BY day) AS t{t}_was"
            ),
            None => format!("LAG(t{t}_holds, 1, FALSE) {before} AS t{t}_was"),
        });
    }
    let _ = writeln!(
        out,
        "SELECT *,\n  {}\nFROM day_rules;\n",
        lags.join(",\n  ")
    );
    if !limits.is_empty() {
        super::limits::walk(out, d, &limits);
    }

    super::fired::write(
        out,
        d,
        table,
        &firings,
        &walks,
        stage_walked.then_some(passes),
    );
    Ok(())
}

/// Why a trigger setting a stage may not read `notices_issued(...)` in this policy, if it may
/// not. It may when no rule reads the stage and there are no support plans: whether it holds
/// then changes only the stage the day's actions are recorded at, the greater of the stage
/// the other rules give and its own, which the notices walk finds (`day_raise`).
pub fn raise_refused(table: &DecisionTable) -> Option<&'static str> {
    if !super::plans::of(table).is_empty() {
        return Some("with support plans");
    }
    let ways = |w: &Option<Vec<Vec<Atom>>>| {
        w.iter()
            .flatten()
            .any(|atoms| conditions::reads_stage(atoms))
    };
    let rows = table
        .rows
        .iter()
        .any(|row| conditions::reads_stage(&row.when) || ways(&row.also) || ways(&row.guard));
    let ladders = table
        .ladders
        .iter()
        .any(|l| super::ladder::reads_stage(l, table));
    (rows || ladders).then_some("where a rule reads the stage")
}

/// Why the notices walk may not find the stage in this policy, if it may not: where support
/// plans carry a floor under it, bands or a ladder read it (each its own walk), a band's entry
/// guard reads it (of the day before), or `notices_issued(...)` is read by a band, ladder or
/// plan (src/sql/asked.rs).
pub fn stage_walk_refused(table: &DecisionTable) -> Option<&'static str> {
    if !super::plans::of(table).is_empty() {
        return Some("the policy has support plans");
    }
    let read = |ways: &Option<Vec<Vec<Atom>>>, test: &dyn Fn(&[Atom]) -> bool| {
        ways.iter().flatten().any(|atoms| test(atoms))
    };
    let stage = |atoms: &[Atom]| conditions::reads_stage(atoms);
    let notices = |atoms: &[Atom]| super::notices::reads_notices(atoms);
    for row in &table.rows {
        let band = matches!(
            row.kind,
            RowKind::Band | RowKind::BandEntry | RowKind::BandWeekly
        );
        if band && (stage(&row.when) || read(&row.also, &stage) || read(&row.guard, &stage)) {
            return Some("a band reads the stage");
        }
        if band && (notices(&row.when) || read(&row.also, &notices)) {
            return Some("a band reads the notices");
        }
    }
    if table
        .ladders
        .iter()
        .any(|l| super::ladder::reads_stage(l, table))
    {
        return Some("a ladder reads the stage");
    }
    let ladder_notices = table.ladders.iter().any(|l| {
        let held = l.held.iter().flatten().any(|h| match h {
            crate::table::HeldRows::Until { rows, .. } => rows.iter().any(|a| notices(a)),
            _ => false,
        });
        held || l.at_once.iter().flatten().flatten().any(|a| notices(a))
    });
    ladder_notices.then_some("a ladder reads the notices")
}

/// Whether a trigger setting a stage reads `notices_issued(...)`: the day's stage is then
/// raised by the notices walk (`day_raise`).
pub fn notices_raise_stage(table: &DecisionTable) -> bool {
    table.rows.iter().any(|row| {
        row.kind == RowKind::Trigger
            && row.satisfiable
            && row.stage.is_some()
            && super::notices::reads_notices(&row.when)
    })
}

/// An escalation step's day and the codes of the run of consecutive school days it counts.
pub fn step_run(row: &crate::table::Row) -> Option<(u32, crate::model::CodeSet)> {
    let Event::ReachDay(day) = row.event else {
        return None;
    };
    row.when.iter().find_map(|a| match a {
        Atom::Count {
            metric: CountMetric::ConsecutiveDays { codes },
            range,
        } if range.lo == day => Some((day, codes.clone())),
        _ => None,
    })
}

/// Where the rule whose first table row is `r` ends: a trigger's rows are the consecutive
/// rows of one rule from one source line; any other rule is one row.
pub fn rule_end(table: &DecisionTable, r: usize) -> usize {
    let Some(row) = table.rows.get(r) else {
        return r;
    };
    let mut end = r + 1;
    if row.kind == RowKind::Trigger {
        while let Some(next) = table.rows.get(end)
            && next.kind == RowKind::Trigger
            && next.rule == row.rule
            && next.source == row.source
        {
            end += 1;
        }
    }
    end
}
