//! The rules that carry state from one school day to the next, as window functions over each
//! pupil's school days on roll: bands (a change of band fires the new band's entry actions),
//! the stage, triggers (rising edges, `on each`, `once per`) and escalation steps, each way a
//! rule fires collected for `fired` (fired.rs); what needs a walk over the days is written by
//! ladder.rs, plans.rs, notices.rs, limits.rs and stage_before.rs.

use std::fmt::Write as _;

use super::conditions::{self, Scope, Unsupported};
use super::dialect::Dialect;
use super::fired::Firing;
use super::metrics::Metrics;
use super::notices::{NOTICE_ACTION, WalkedRule};
use crate::model::{CountMetric, Repeat};
use crate::source::Loc;
use crate::table::{Atom, DecisionTable, Event, RowKind};

const SINCE_START: &str =
    "OVER (PARTITION BY pupil_id ORDER BY day ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)";

/// The SQL of the stateful rules; an unsupported construct with where it is written.
pub fn rules(
    out: &mut String,
    d: Dialect,
    table: &DecisionTable,
    metrics: &mut Metrics,
) -> Result<(), (Unsupported, Loc)> {
    let stages = &table.stages;
    let at = |row: usize| table.rows[row].loc.clone();
    let line = |row: usize| {
        table
            .rows
            .get(row)
            .map(|r| format!("{}:{}", r.source.file, r.source.line))
            .unwrap_or_default()
    };
    let no_stage = Scope {
        d,
        stage: None,
        stage_names: stages,
    };
    // A band's entry guards are tested as the bands are chosen, before the day's stage: the
    // engine reads the stage of the school day before (on roll), as `stage_before` holds it.
    let stage_before = Scope {
        d,
        stage: Some("stage_before"),
        stage_names: stages,
    };
    // A band whose own condition reads the stage reads the stage of the day before, found by
    // a walk (src/sql/stage_before.rs); with support plans that stage is theirs, not walked.
    let band_stage = super::stage_before::band_reading_stage(table);
    if let Some(r) = band_stage
        && !super::plans::of(table).is_empty()
    {
        return Err((
            Unsupported(
                "`pupil.stage` in a band's condition in a policy with support plans".into(),
            ),
            at(r),
        ));
    }
    let band_scope = Scope {
        d,
        stage: band_stage.map(|_| super::stage_before::COLUMN),
        stage_names: stages,
    };
    let mut firings: Vec<Firing> = Vec::new();
    let mut limits = Vec::new();
    let mut walks: Vec<WalkedRule> = Vec::new();
    let ladder_stage = ladder_reading_stage(table, &no_stage, metrics, band_stage.is_some())?;

    // Bands: per set, the first band whose range (or `or` condition) holds.
    let mut band_cols = Vec::new();
    let mut ladder_joins = String::new();
    let mut stage_parts = vec!["0".to_string()];
    for (s, set) in table.band_sets.iter().enumerate() {
        let mut which = Vec::new();
        let mut evidence = Vec::new();
        let mut ranks = Vec::new();
        // A ladder's stage is its walk's (src/sql/ladder.rs); the evidence is that of the
        // way the stage holds, else its range's.
        let ladder = table.ladders.iter().find(|l| l.rows == *set);
        let mut ladder_evidence = Vec::new();
        if let Some(ladder) = ladder {
            super::ladder::walk(out, d, table, s, ladder, metrics, ladder_stage.as_deref())
                .map_err(|(u, r)| (u, at(r)))?;
            let _ = write!(
                ladder_joins,
                "\n  LEFT JOIN ladder{s} ON ladder{s}_pupil = pupil_id AND ladder{s}_day = day"
            );
        }
        // A ladder reading the stage reads its walk's, of the day before.
        let ladder_stage_col = format!("ladder{s}_stage");
        let set_scope = match (ladder, &ladder_stage) {
            (Some(_), Some(_)) => Scope {
                d,
                stage: Some(&ladder_stage_col),
                stage_names: stages,
            },
            _ => Scope { ..band_scope },
        };
        for (i, &r) in set.iter().enumerate() {
            let row = &table.rows[r];
            let mut ways = vec![row.when.clone()];
            ways.extend(row.also.iter().flatten().cloned());
            let mut own = Vec::new();
            for atoms in &ways {
                let (test, text) =
                    conditions::rule(&set_scope, metrics, atoms).map_err(|u| (u, at(r)))?;
                own.push((test.clone(), text.clone()));
                which.push(format!(
                    "    WHEN {test} THEN {i} -- {} band {}",
                    line(r),
                    row.rule
                ));
                evidence.push(format!("    WHEN {test} THEN {text}"));
            }
            if let Some((_, main)) = own.first() {
                let ways: Vec<String> = own
                    .iter()
                    .map(|(t, e)| format!("WHEN {t} THEN {e}"))
                    .collect();
                ladder_evidence.push(format!(
                    "    WHEN {i} THEN CASE {} ELSE {main} END",
                    ways.join(" ")
                ));
            }
            let rank = row
                .stage
                .as_deref()
                .and_then(|n| stages.iter().position(|x| x == n));
            if let Some(rank) = rank {
                ranks.push(format!("WHEN {i} THEN {rank}"));
            }
            // The band's entry (its `on enter:` row) and its further `on enter when ...:`
            // clauses: each fires on entering the band under its own guard; the limit of
            // `once per` is the band's, met by whichever of them fired.
            let clauses: Vec<usize> = (0..table.rows.len())
                .filter(|&w| {
                    table.rows[w].kind == RowKind::BandEntry && table.rows[w].rule == row.rule
                })
                .collect();
            if row.actions.is_empty() && clauses.iter().all(|&w| table.rows[w].actions.is_empty()) {
                continue;
            }
            let guard_of = |metrics: &mut Metrics, r: usize| {
                Ok::<_, (Unsupported, Loc)>(match &table.rows[r].guard {
                    None => "TRUE".to_string(),
                    Some(rows) if rows.is_empty() => "FALSE".to_string(),
                    Some(rows) => {
                        let mut any = Vec::new();
                        for atoms in rows {
                            any.push(
                                conditions::rule(&stage_before, metrics, atoms)
                                    .map_err(|u| (u, at(r)))?
                                    .0,
                            );
                        }
                        format!("({})", any.join(" OR "))
                    }
                })
            };
            let entered = if ladder.is_some() {
                format!("band{s} = {i} AND band{s}_climbed")
            } else {
                format!("band{s} = {i} AND (band{s}_before IS NULL OR band{s}_before <> {i})")
            };
            let stage = rank.map_or("stage_before".to_string(), |k| k.to_string());
            // A guard reading `notices_issued(...)`: the band's entries are decided by the
            // notices walk, all of them, as they share the band's limit.
            let entry_rows: Vec<usize> =
                std::iter::once(r).chain(clauses.iter().copied()).collect();
            let reads_notices = entry_rows.iter().any(|&w| {
                table.rows[w]
                    .guard
                    .iter()
                    .flatten()
                    .any(|atoms| super::notices::reads_notices(atoms))
            });
            if reads_notices {
                let group = walks.len();
                for &w in &entry_rows {
                    let evidence = if w == r {
                        format!("band{s}_evidence")
                    } else {
                        conditions::rule(&no_stage, metrics, &table.rows[w].when)
                            .map_err(|u| (u, at(w)))?
                            .1
                    };
                    metrics.notices = Some(Vec::new());
                    let mut rows = Vec::new();
                    let mut parts = Vec::new();
                    let ways: Vec<Vec<Atom>> = match &table.rows[w].guard {
                        None => vec![Vec::new()],
                        Some(ways) => ways.clone(),
                    };
                    for atoms in &ways {
                        let whole = conditions::rule(&stage_before, metrics, atoms)
                            .map_err(|u| (u, at(w)))?;
                        let (before, within) = super::notices::split(&stage_before, metrics, atoms)
                            .map_err(|u| (u, at(w)))?;
                        rows.push((
                            w,
                            (format!("({entered} AND {})", whole.0), evidence.clone()),
                        ));
                        parts.push((format!("({entered} AND {before})"), within));
                    }
                    let read = metrics.notices.take().unwrap_or_default();
                    if !table.rows[w].actions.is_empty() {
                        let what = if w == r {
                            "entry actions"
                        } else {
                            "a further entry clause"
                        };
                        firings.push(Firing::walked(
                            format!("{} band {}: {what}", line(w), row.rule),
                            walks.len(),
                        ));
                    }
                    walks.push(WalkedRule {
                        rows,
                        parts,
                        // An entry fires whatever held the day before: `repeat every` and a
                        // rising edge are every entry, as `on each` is.
                        repeat: match row.repeat {
                            Repeat::OncePer(_) | Repeat::NotWithin { .. } => row.repeat,
                            _ => Repeat::Each,
                        },
                        look: None,
                        asks: table.rows[w]
                            .actions
                            .iter()
                            .any(|a| a.action == NOTICE_ACTION),
                        read,
                        stage: stage.clone(),
                        entry: true,
                        last: group,
                        raises: None,
                    });
                }
                continue;
            }
            let guard = guard_of(metrics, r)?;
            let mut entries = vec![(r, guard.clone(), format!("band{s}_evidence"))];
            for &w in &clauses {
                let (_, text) = conditions::rule(&no_stage, metrics, &table.rows[w].when)
                    .map_err(|u| (u, at(w)))?;
                entries.push((w, guard_of(metrics, w)?, text));
            }
            let once_per = match row.repeat {
                Repeat::OncePer(p) => Some(p),
                _ => None,
            };
            let any_guard = entries
                .iter()
                .map(|(_, g, _)| g.as_str())
                .collect::<Vec<_>>()
                .join(" OR ");
            // `not again within`: whether an entry is N school weeks after the band's last
            // firing (by any of its clauses) is carried by a walk.
            let band_limit = match row.repeat {
                Repeat::NotWithin { school_weeks } => {
                    let key = format!("b{s}_{i}");
                    limits.push(super::limits::Limit {
                        key: key.clone(),
                        comment: format!("{} band {} ({})", line(r), row.rule, row.repeat),
                        clauses: entries
                            .iter()
                            .map(|(_, guard, _)| format!("{entered} AND {guard}"))
                            .collect(),
                        fresh: "TRUE".into(),
                        weeks: school_weeks,
                        again: false,
                    });
                    Some(key)
                }
                _ => None,
            };
            for (c, (w, guard, evidence)) in entries.into_iter().enumerate() {
                if table.rows[w].actions.is_empty() {
                    continue;
                }
                if let Some(key) = &band_limit {
                    firings.push(Firing {
                        comment: format!("{} band {}: entry ({})", line(w), row.rule, row.repeat),
                        row: w.to_string(),
                        stage: stage.clone(),
                        evidence,
                        when: format!("rw_fire_{key}_{c}"),
                        once_per: None,
                        after: None,
                        walk: None,
                        source: super::limits::LIMITED.into(),
                    });
                    continue;
                }
                let what = if w == r {
                    "entry actions".to_string()
                } else {
                    "a further entry clause".to_string()
                };
                let (when, after) = match once_per {
                    // The first entry of the period on which any of them fired.
                    Some(_) if !clauses.is_empty() => {
                        (format!("{entered} AND ({any_guard})"), Some(guard))
                    }
                    _ => (format!("{entered} AND {guard}"), None),
                };
                firings.push(Firing {
                    comment: format!("{} band {}: {what}", line(w), row.rule),
                    row: w.to_string(),
                    stage: stage.clone(),
                    evidence,
                    when,
                    once_per,
                    after,
                    walk: None,
                    source: "day_state".into(),
                });
            }
        }
        // Weekly actions: the first school day of a school week (every Nth after the week the
        // pupil entered the band), the pupil in the band since the day before.
        for (i, &r) in set.iter().enumerate() {
            let row = &table.rows[r];
            let Some(w) = table
                .rows
                .iter()
                .position(|x| x.kind == RowKind::BandWeekly && x.rule == row.rule)
            else {
                continue;
            };
            let weekly = &table.rows[w];
            if weekly.actions.is_empty() {
                continue;
            }
            let every = match weekly.event {
                Event::WeeksInBand { school_weeks } => school_weeks.max(1),
                _ => 1,
            };
            let (_, text) =
                conditions::rule(&stage_before, metrics, &weekly.when).map_err(|u| (u, at(w)))?;
            let rank = row
                .stage
                .as_deref()
                .and_then(|n| stages.iter().position(|x| x == n));
            firings.push(Firing {
                comment: format!("{} band {}: weekly actions", line(w), row.rule),
                row: w.to_string(),
                stage: rank.map_or("stage_before".to_string(), |k| k.to_string()),
                evidence: text,
                when: format!(
                    "band{s} = {i} AND NOT (band{s} IS DISTINCT FROM band{s}_before) AND day > 0 \
                     AND first_of_week AND (week - entered) % {every} = 0"
                ),
                once_per: None,
                after: None,
            walk: None,
                source: format!(
                    "(SELECT *, MAX(CASE WHEN band{s} IS DISTINCT FROM band{s}_before THEN week END) {SINCE_START} AS entered\n  FROM day_state) AS w"
                ),
            });
        }
        if ladder.is_some() {
            band_cols.push(format!(
                "ladder{s}_cur AS band{s},\n  ladder{s}_climbed AS band{s}_climbed,\n  CASE ladder{s}_cur\n{}\n  END AS band{s}_evidence",
                ladder_evidence.join("\n")
            ));
        } else {
            band_cols.push(format!(
                "CASE\n{}\n  END AS band{s},\n  CASE\n{}\n  END AS band{s}_evidence",
                which.join("\n"),
                evidence.join("\n")
            ));
        }
        if !ranks.is_empty() {
            stage_parts.push(format!("CASE band{s} {} ELSE 0 END", ranks.join(" ")));
        }
    }
    if band_stage.is_some() {
        super::stage_before::walk(out, d, table, metrics, &ladder_joins)
            .map_err(|(u, r)| (u, at(r)))?;
        ladder_joins.push_str("\n  JOIN band_stage ON bs_pupil = pupil_id AND bs_day = day");
    }
    let _ = writeln!(
        out,
        "-- Bands: per band set, the first band that holds (NULL: none), and its evidence."
    );
    let _ = writeln!(out, "{}", d.create_inline("day_bands"));
    let _ = writeln!(
        out,
        "SELECT *,\n  GREATEST({}) AS base_stage\nFROM (SELECT *{}\n  FROM day_values{ladder_joins}) AS b;\n",
        {
            let mut parts = stage_parts.clone();
            if parts.len() == 1 {
                parts.push("0".into());
            }
            parts.join(", ")
        },
        band_cols
            .iter()
            .map(|c| format!(",\n  {c}"))
            .collect::<String>()
    );

    // Triggers: each a group of consecutive rows, any of which holds.
    struct Trigger {
        rows: Vec<usize>,
        stage: Option<usize>,
        /// The calendar column of the days it is looked at, if not every day.
        look: Option<usize>,
        /// It reads `notices_issued(...)`: its days are found by the walk.
        notices: bool,
    }
    let mut triggers = Vec::new();
    let mut r = 0;
    while r < table.rows.len() {
        let row = &table.rows[r];
        if row.kind != RowKind::Trigger {
            r += 1;
            continue;
        }
        let mut end = r;
        let mut rows = Vec::new();
        while let Some(next) = table.rows.get(end)
            && next.kind == RowKind::Trigger
            && next.rule == row.rule
            && next.source == row.source
        {
            if next.satisfiable {
                rows.push(end);
            }
            end += 1;
        }
        let look = match row.event {
            Event::EndOf(p) => Some(metrics.look(crate::model::LookedAt::EndOf(p))),
            Event::LookedEvery { school_weeks } => {
                Some(metrics.look(crate::model::LookedAt::Every { school_weeks }))
            }
            _ => None,
        };
        let notices = rows
            .iter()
            .any(|&w| super::notices::reads_notices(&table.rows[w].when));
        if notices
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
                notices,
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
                    && !t.notices
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
    let (held_stage, trigger_stage, rules_from, mut cols) = if plans.is_empty() {
        let chain = fixpoint(metrics, "day_bands", "base_stage", "")?;
        (
            format!("s{}", passes - 1),
            "stage",
            format!("({chain}) AS x"),
            vec![format!("s{passes} AS stage")],
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
        let reviews =
            super::plans::review_columns(d, table, &plans, metrics).map_err(|(u, r)| (u, at(r)))?;
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
            "(SELECT * FROM day_bands AS b\n  \
             JOIN plan_walk AS pw ON pw.w_pupil = b.pupil_id AND pw.w_day = b.day) AS x"
                .to_string(),
            Vec::new(),
        )
    };
    for (t, (first, trig)) in triggers.iter().enumerate() {
        let row = &table.rows[*first];
        if trig.notices {
            metrics.notices = Some(Vec::new());
            // Read at the stage the other triggers read (with support plans, the walk's
            // before the day's reviews), as the engine's trigger loop does.
            let any = holds_under(metrics, trig, trigger_stage);
            // Each row's test split in two: what the day's columns decide, computed before
            // the walk, and what reads the notices, decided in it.
            let scope = Scope {
                d,
                stage: Some(trigger_stage),
                stage_names: stages,
            };
            let split: Vec<_> = trig
                .rows
                .iter()
                .map(|&r| {
                    super::notices::split(&scope, metrics, &table.rows[r].when)
                        .map_err(|u| (u, at(r)))
                })
                .collect();
            let read = metrics.notices.take().unwrap_or_default();
            let any = any?;
            let parts = split.into_iter().collect::<Result<Vec<_>, _>>()?;
            if !row.actions.is_empty() {
                firings.push(Firing::walked(
                    format!("{} trigger {}", line(*first), row.rule),
                    walks.len(),
                ));
            }
            walks.push(WalkedRule {
                rows: trig.rows.iter().copied().zip(any).collect(),
                parts,
                repeat: row.repeat,
                look: trig.look,
                asks: row.actions.iter().any(|a| a.action == NOTICE_ACTION),
                read,
                stage: trig
                    .stage
                    .map_or(trigger_stage.to_string(), |k| k.to_string()),
                entry: false,
                last: walks.len(),
                raises: trig.stage,
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
        let rows: Vec<String> = any
            .iter()
            .zip(&trig.rows)
            .map(|((test, _), r)| format!("WHEN {test} THEN {r}"))
            .collect();
        let texts: Vec<String> = any
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
                },
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
        let Event::ReachDay(day) = row.event else {
            continue;
        };
        let codes = row.when.iter().find_map(|a| match a {
            Atom::Count {
                metric: CountMetric::ConsecutiveDays { codes },
                range,
            } if range.lo == day => Some(codes.clone()),
            _ => None,
        });
        let Some(codes) = codes else { continue };
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
        if super::notices::reads_notices(when) {
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
                asks: table.rows[*r]
                    .actions
                    .iter()
                    .any(|a| a.action == NOTICE_ACTION),
                read,
                stage: "stage".into(),
                entry: false,
                last: walks.len(),
                raises: None,
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
        if trig.notices {
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

    super::fired::write(out, d, table, &firings, &walks);
    Ok(())
}

/// For a ladder whose conditions read the stage (of the day before): the stage rank the day's
/// other rules give, which its walk, carrying the stage, needs. It is compiled when those
/// rules read no stage themselves, so the day's stage is the greater of the ladder's rung's
/// and theirs: no support plans (their floor is another walk's), no other ladder, no band
/// reading the stage, no trigger setting a stage that reads the stage or the notices.
fn ladder_reading_stage(
    table: &DecisionTable,
    scope: &Scope<'_>,
    metrics: &mut Metrics,
    band_reads_stage: bool,
) -> Result<Option<String>, (Unsupported, Loc)> {
    let Some(ladder) = table
        .ladders
        .iter()
        .find(|l| super::ladder::reads_stage(l, table))
    else {
        return Ok(None);
    };
    // Reported at the first rung whose own condition reads the stage, else the ladder's first.
    let first = ladder
        .rows
        .iter()
        .copied()
        .find(|&r| {
            let row = &table.rows[r];
            std::iter::once(&row.when)
                .chain(row.also.iter().flatten())
                .any(|atoms| atoms.iter().any(|a| matches!(a, Atom::Stage { .. })))
        })
        .or(ladder.rows.first().copied())
        .unwrap_or(0);
    let refuse = |why: &str| {
        Err((
            Unsupported(format!("`pupil.stage` in a ladder's conditions {why}")),
            table.rows[first].loc.clone(),
        ))
    };
    if !super::plans::of(table).is_empty() {
        return refuse("in a policy with support plans");
    }
    if table.ladders.len() > 1 {
        return refuse("in a policy with another ladder");
    }
    if band_reads_stage {
        return refuse("in a policy with a band reading the stage");
    }
    let rank = |name: Option<&str>| name.and_then(|n| table.stages.iter().position(|x| x == n));
    let mut parts = vec!["0".to_string(), "0".to_string()];
    for set in &table.band_sets {
        if ladder.rows == *set {
            continue;
        }
        // The first band that holds, and its stage (a band without one still stops the search).
        let mut which = Vec::new();
        for &r in set {
            let row = &table.rows[r];
            let k = rank(row.stage.as_deref()).unwrap_or(0);
            for atoms in std::iter::once(&row.when).chain(row.also.iter().flatten()) {
                let (test, _) =
                    conditions::rule(scope, metrics, atoms).map_err(|u| (u, row.loc.clone()))?;
                which.push(format!("WHEN {test} THEN {k}"));
            }
        }
        if !which.is_empty() {
            parts.push(format!("CASE {} ELSE 0 END", which.join(" ")));
        }
    }
    for row in &table.rows {
        let Some(k) = rank(row.stage.as_deref()) else {
            continue;
        };
        if row.kind != RowKind::Trigger || !row.satisfiable {
            continue;
        }
        let reads = |a: &Atom| matches!(a, Atom::Stage { .. });
        if row.when.iter().any(reads) || super::notices::reads_notices(&row.when) {
            return refuse(
                "in a policy with a trigger setting a stage that reads the stage or the notices",
            );
        }
        let (test, _) =
            conditions::rule(scope, metrics, &row.when).map_err(|u| (u, row.loc.clone()))?;
        parts.push(format!("CASE WHEN {test} THEN {k} ELSE 0 END"));
    }
    Ok(Some(format!("GREATEST({})", parts.join(", "))))
}

/// Why a trigger setting a stage may not read `notices_issued(...)` in this policy, if it may
/// not. It may when no rule reads the stage and there are no support plans: whether it holds
/// then changes only the stage the day's actions are recorded at, the greater of the stage
/// the other rules give and its own, which the notices walk finds (`day_raise`).
pub fn raise_refused(table: &DecisionTable) -> Option<&'static str> {
    if !super::plans::of(table).is_empty() {
        return Some("with support plans");
    }
    let stage = |atoms: &[Atom]| atoms.iter().any(|a| matches!(a, Atom::Stage { .. }));
    let ways = |w: &Option<Vec<Vec<Atom>>>| w.iter().flatten().any(|atoms| stage(atoms));
    let rows = table
        .rows
        .iter()
        .any(|row| stage(&row.when) || ways(&row.also) || ways(&row.guard));
    let ladders = table
        .ladders
        .iter()
        .any(|l| super::ladder::reads_stage(l, table));
    (rows || ladders).then_some("where a rule reads the stage")
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
