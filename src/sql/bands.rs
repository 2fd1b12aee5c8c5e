//! Bands as SQL (`day_bands`): per band set, the first band that holds, its evidence and the
//! stage it gives (a ladder's from its walk, ladder.rs; a band reading the stage from the
//! band-stage walk, stage_before.rs), and each way a band's entry and weekly actions fire,
//! collected for `fired` (fired.rs) with the triggers' and steps' (rules.rs).

use std::fmt::Write as _;

use super::conditions::{self, Scope, Unsupported};
use super::dialect::Dialect;
use super::fired::Firing;
use super::limits::Limit;
use super::metrics::Metrics;
use super::notices::WalkedRule;
use super::rules::SINCE_START;
use crate::model::Repeat;
use crate::source::Loc;
use crate::table::{Atom, DecisionTable, Event, RowKind};

/// `day_bands`, and the bands' firings (`firings`, `limits` when a limit reads the last
/// firing, `walks` when an entry guard reads the notices); an unsupported construct with where
/// it is written.
pub fn bands(
    out: &mut String,
    d: Dialect,
    table: &DecisionTable,
    metrics: &mut Metrics,
    firings: &mut Vec<Firing>,
    limits: &mut Vec<Limit>,
    walks: &mut Vec<WalkedRule>,
) -> Result<(), (Unsupported, Loc)> {
    let stages = &table.stages;
    let at = |row: usize| table.rows[row].loc.clone();
    let line = |row: usize| super::rules::line(table, row);
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
    // a walk (src/sql/stage_before.rs), which steps through the support plans too.
    let band_stage = super::stage_before::band_reading_stage(table);
    let band_scope = Scope {
        d,
        stage: band_stage.map(|_| super::stage_before::COLUMN),
        stage_names: stages,
    };
    let ladder_stage = ladder_reading_stage(table, &no_stage, metrics, band_stage.is_some())?;

    // The band sets that are ladders, each with its index.
    let ladders: Vec<(usize, &crate::table::LadderRows)> = table
        .band_sets
        .iter()
        .enumerate()
        .filter_map(|(s, set)| {
            table
                .ladders
                .iter()
                .find(|l| l.rows == *set)
                .map(|l| (s, l))
        })
        .collect();

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
        let ladder = ladders.iter().find(|(x, _)| *x == s).map(|(_, l)| *l);
        let mut ladder_evidence = Vec::new();
        if let Some(ladder) = ladder {
            // Ladders reading the stage are walked together, at the first: each reads the
            // stage the others' rungs set the day before.
            let walked = match &ladder_stage {
                None => vec![(s, ladder)],
                Some(_) if ladders.first().is_some_and(|(first, _)| *first == s) => ladders.clone(),
                Some(_) => Vec::new(),
            };
            if !walked.is_empty() {
                super::ladder::walk(out, d, table, &walked, metrics, ladder_stage.as_ref())
                    .map_err(|(u, r)| (u, at(r)))?;
            }
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
            let reads_notices = !metrics.notices_counted()
                && entry_rows.iter().any(|&w| {
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
                        asks: super::notices::asks(&table.rows[w]),
                        read,
                        stage: stage.clone(),
                        entry: true,
                        last: group,
                        raises: None,
                        found: Vec::new(),
                        passes: Vec::new(),
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
        // With a ladder reading the stage, its walk carries the stage of the day before and
        // chose these bands in it; else the bands' own walk finds it.
        let ladder_walk = ladders
            .first()
            .map(|(s, _)| *s)
            .filter(|_| ladder_stage.is_some());
        match ladder_walk {
            Some(s) => {
                let _ = writeln!(out, "{}", d.create_inline("band_stage"));
                let _ = writeln!(
                    out,
                    "SELECT ladder{s}_pupil AS bs_pupil, ladder{s}_day AS bs_day, \
                     ladder{s}_stage AS {}\nFROM ladder{s};\n",
                    super::stage_before::COLUMN
                );
            }
            None => super::stage_before::walk(out, d, table, metrics, &ladder_joins)
                .map_err(|(u, r)| (u, at(r)))?,
        }
        ladder_joins.push_str("\n  JOIN band_stage ON bs_pupil = pupil_id AND bs_day = day");
    }
    let _ = writeln!(
        out,
        "-- Bands: per band set, the first band that holds (NULL: none), and its evidence."
    );
    let _ = writeln!(out, "{}", d.create_inline("day_bands"));
    let values = metrics.day_values();
    let _ = writeln!(
        out,
        "SELECT *,\n  GREATEST({}) AS base_stage\nFROM (SELECT *{}\n  FROM {values}{ladder_joins}) AS b;\n",
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
    Ok(())
}

/// For a ladder whose conditions read the stage (of the day before): what its walk, carrying
/// the stage, needs of the day's other rules (super::ladder::Others). The stage of the day is
/// the engine's fixed point over every ladder's rung (all the ladders are walked together),
/// the other band sets' bands (those reading the stage chosen in the walk), the triggers
/// setting a stage and the support plans' floor; a trigger setting a stage that reads the
/// notices is refused.
fn ladder_reading_stage(
    table: &DecisionTable,
    scope: &Scope<'_>,
    metrics: &mut Metrics,
    band_reads_stage: bool,
) -> Result<Option<super::ladder::Others>, (Unsupported, Loc)> {
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
                .any(|atoms| conditions::reads_stage(atoms))
        })
        .or(ladder.rows.first().copied())
        .unwrap_or(0);
    let refuse = |why: &str| {
        Err((
            Unsupported(format!("`pupil.stage` in a ladder's conditions {why}")),
            table.rows[first].loc.clone(),
        ))
    };
    let rank = |name: Option<&str>| name.and_then(|n| table.stages.iter().position(|x| x == n));
    let mut bands = Vec::new();
    // A band set whose own conditions read the stage is chosen in the walk, at the stage of
    // the day before: each way of each band split into a day's column and its test of the
    // stage, the first band that holds giving its stage.
    let mut reading_bands = Vec::new();
    let mut band_columns = Vec::new();
    let in_walk = Scope {
        d: scope.d,
        stage: Some("p_stage"),
        stage_names: scope.stage_names,
    };
    for (s, set) in table.band_sets.iter().enumerate() {
        // The ladders' rungs are walked with it.
        if table.ladders.iter().any(|l| l.rows == *set) {
            continue;
        }
        let reads = set.iter().any(|&r| {
            let row = &table.rows[r];
            std::iter::once(&row.when)
                .chain(row.also.iter().flatten())
                .any(|atoms| conditions::reads_stage(atoms))
        });
        if reads && band_reads_stage {
            let mut which = Vec::new();
            for (i, &r) in set.iter().enumerate() {
                let row = &table.rows[r];
                let k = rank(row.stage.as_deref()).unwrap_or(0);
                let ways = std::iter::once(&row.when).chain(row.also.iter().flatten());
                for (j, atoms) in ways.enumerate() {
                    let (day, on_stage) = conditions::split(scope, &in_walk, metrics, atoms, |a| {
                        matches!(a, Atom::Stage { .. })
                    })
                    .map_err(|u| (u, row.loc.clone()))?;
                    let col = format!("ob{s}_{i}_{j}");
                    band_columns.push((col.clone(), day));
                    which.push(format!("WHEN {col} AND {on_stage} THEN {k}"));
                }
            }
            if !which.is_empty() {
                reading_bands.push(format!("CASE {} ELSE 0 END", which.join(" ")));
            }
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
            bands.push(format!("CASE {} ELSE 0 END", which.join(" ")));
        }
    }
    let mut triggers = Vec::new();
    let mut reading = Vec::new();
    for row in &table.rows {
        let Some(k) = rank(row.stage.as_deref()) else {
            continue;
        };
        if row.kind != RowKind::Trigger || !row.satisfiable {
            continue;
        }
        if super::notices::reads_notices(&row.when) && !metrics.notices_counted() {
            return refuse("in a policy with a trigger setting a stage that reads the notices");
        }
        let is_stage = |a: &Atom| matches!(a, Atom::Stage { .. });
        if conditions::reads_stage(&row.when) {
            // Its test of the stage is read in the walk, at each pass of the fixed point.
            let (on_stage, rest): (Vec<Atom>, Vec<Atom>) =
                row.when.iter().cloned().partition(is_stage);
            let (day, _) =
                conditions::rule(scope, metrics, &rest).map_err(|u| (u, row.loc.clone()))?;
            reading.push((k, day, on_stage));
            continue;
        }
        let (test, _) =
            conditions::rule(scope, metrics, &row.when).map_err(|u| (u, row.loc.clone()))?;
        triggers.push(format!("CASE WHEN {test} THEN {k} ELSE 0 END"));
    }
    let greatest = |parts: Vec<String>| {
        let mut all = vec!["0".to_string(), "0".to_string()];
        all.extend(parts);
        format!("GREATEST({})", all.join(", "))
    };
    Ok(Some(if reading.is_empty() {
        bands.extend(triggers);
        super::ladder::Others {
            bands: greatest(bands),
            triggers: None,
            reading,
            passes: 0,
            band_columns,
            reading_bands,
        }
    } else {
        super::ladder::Others {
            bands: greatest(bands),
            triggers: Some(greatest(triggers)),
            reading,
            passes: table.stages.len() + 1,
            band_columns,
            reading_bands,
        }
    }))
}
