//! `notices_issued(N years)` where the rules asking for penalty notices depend on what reads
//! them through a band's, a ladder's or the plans' walk: a band reads the notices and its entry
//! asks, or a rule asking reads the stage that bands reading it, or plans whose targets read
//! the notices, give. One walk over each pupil's school days on roll finds the notices as the
//! engine does, day by day: the bands and ladders, the stage (their stages over the plans'
//! floor, the triggers, the plans' reviews) and every rule asking. The policy's rules then read
//! each day's notices as a column (src/sql/asked.rs `noticed_values`).

use std::fmt::Write as _;

use super::conditions::{self, Scope, Unsupported};
use super::dialect::Dialect;
use super::metrics::Metrics;
use super::notices::{self, WalkedRule};
use super::walk::{Carried, Walk};
use crate::model::Repeat;
use crate::table::{Atom, DecisionTable, Event, RowKind};

/// `noticed_days`, the walk `noticed_walk` and `notices_asked`: the penalty notices the policy
/// asks for, per pupil and date, found day by day with everything they depend on. An
/// unsupported construct comes back with its table row.
pub fn walk(
    out: &mut String,
    d: Dialect,
    table: &DecisionTable,
    metrics: &mut Metrics,
) -> Result<(), (Unsupported, usize)> {
    let stages = &table.stages;
    let plans = super::plans::of(table);
    metrics.notices = Some(Vec::new());
    let plain = Scope {
        d,
        stage: None,
        stage_names: stages,
    };
    // A condition in two parts: a column of the days (what the day's columns decide) and
    // what the walk decides, reading the stage as `stage`.
    let split = |metrics: &mut Metrics, atoms: &[Atom], stage: &str, r: usize| {
        notices::split_in_walk(d, stages, stage, metrics, atoms).map_err(|u| (u, r))
    };
    let rank_of = |r: usize| {
        table.rows[r]
            .stage
            .as_deref()
            .and_then(|n| stages.iter().position(|x| x == n))
    };
    let ways = |r: usize| {
        let row = &table.rows[r];
        std::iter::once(row.when.clone())
            .chain(row.also.iter().flatten().cloned())
            .collect::<Vec<_>>()
    };
    let mut days_cols: Vec<(String, String)> = Vec::new();
    let mut inputs: Vec<String> = Vec::new();
    let mut day_col = |days_cols: &mut Vec<(String, String)>, name: String, expr: String| {
        days_cols.push((name.clone(), expr));
        inputs.push(name);
    };

    // Bands: a set reading the stage (of the day before) or the notices chosen in the walk,
    // any other a column of the days.
    let mut band_level = Vec::new();
    let mut band_col = Vec::new();
    let mut ranks = Vec::new();
    let mut ladder_levels: Vec<Vec<(String, String)>> = Vec::new();
    let mut ladder_carried = Vec::new();
    let mut climbed = vec![None; table.band_sets.len()];
    for (s, set) in table.band_sets.iter().enumerate() {
        // A ladder's rungs are stepped through in the walk (src/sql/ladder.rs), its
        // conditions read at the stage of the day before and the day's notices.
        if let Some(ladder) = table.ladders.iter().find(|l| l.rows == *set) {
            let pf = format!("l{s}_");
            let part =
                super::ladder::rungs(d, table, ladder, metrics, Some(notices::in_walk), &pf)?;
            for (name, expr) in part.conditions {
                day_col(&mut days_cols, name, expr);
            }
            band_level.extend(part.in_step);
            for (k, level) in part.levels.into_iter().enumerate() {
                if ladder_levels.len() <= k {
                    ladder_levels.push(Vec::new());
                }
                ladder_levels[k].extend(level);
            }
            ladder_carried.extend(part.carried);
            ranks.push(part.rung);
            band_col.push(format!("{pf}w_cur"));
            climbed[s] = Some(format!("{pf}w_climbed"));
            continue;
        }
        let reads = set.iter().any(|&r| {
            ways(r)
                .iter()
                .any(|atoms| atoms.iter().any(notices::in_walk))
        });
        let mut whens = Vec::new();
        for (i, &r) in set.iter().enumerate() {
            for (j, atoms) in ways(r).iter().enumerate() {
                if reads {
                    let (rest, within) = split(metrics, atoms, "p_stage", r)?;
                    let col = format!("nb{s}_{i}_{j}");
                    day_col(&mut days_cols, col.clone(), rest);
                    whens.push(format!(
                        "WHEN {} THEN {i}",
                        conditions::and_within(&col, &within)
                    ));
                } else {
                    let test = conditions::rule(&plain, metrics, atoms)
                        .map_err(|u| (u, r))?
                        .0;
                    whens.push(format!("WHEN {test} THEN {i}"));
                }
            }
        }
        let which = if whens.is_empty() {
            "CAST(NULL AS INT)".to_string()
        } else {
            format!("CASE {} END", whens.join(" "))
        };
        let col = if reads {
            band_level.push((format!("nband{s}"), which));
            format!("nband{s}")
        } else {
            day_col(&mut days_cols, format!("nband{s}"), which);
            format!("nband{s}")
        };
        let by_band: Vec<String> = set
            .iter()
            .enumerate()
            .filter_map(|(i, &r)| rank_of(r).map(|k| format!("WHEN {i} THEN {k}")))
            .collect();
        if !by_band.is_empty() {
            ranks.push(format!("CASE {col} {} ELSE 0 END", by_band.join(" ")));
        }
        band_col.push(col);
    }

    // The triggers, each a group of consecutive rows (the rows that can hold), as
    // src/sql/rules.rs groups them.
    let mut triggers: Vec<(usize, Vec<usize>)> = Vec::new();
    let mut r = 0;
    while let Some(row) = table.rows.get(r) {
        let end = super::rules::rule_end(table, r);
        if row.kind == RowKind::Trigger {
            let rows = (r..end).filter(|&w| table.rows[w].satisfiable).collect();
            triggers.push((r, rows));
        }
        r = end;
    }
    // The stage: the bands' over the plans' floor, then the fixed point of the triggers
    // setting one (a pass a level, each reading the stage of the last).
    let mut stage_levels = Vec::new();
    let floor = if plans.is_empty() { "0" } else { "floor0" };
    let mut base = vec![floor.to_string(), "0".to_string()];
    base.extend(ranks);
    stage_levels.push(vec![(
        "ws0".to_string(),
        format!("GREATEST({})", base.join(", ")),
    )]);
    let mut raising = Vec::new();
    for (first, rows) in &triggers {
        let Some(rank) = rank_of(*first) else {
            continue;
        };
        for &r in rows {
            let (rest, _) = split(metrics, &table.rows[r].when, "ws0", r)?;
            let col = format!("nst{r}");
            day_col(&mut days_cols, col.clone(), rest);
            raising.push((r, rank, col));
        }
    }
    // As the engine finds it: len(stages) + 1 passes where a trigger setting a stage reads
    // it, else the one pass that raises it (none where no trigger sets one).
    let staged_reads = raising
        .iter()
        .any(|(r, _, _)| conditions::reads_stage(&table.rows[*r].when));
    let passes = if staged_reads {
        stages.len() + 1
    } else {
        usize::from(!raising.is_empty())
    };
    for k in 0..passes {
        let mut parts = vec!["ws0".to_string(), "0".to_string()];
        for (r, rank, col) in &raising {
            let (_, within) = split(metrics, &table.rows[*r].when, &format!("ws{k}"), *r)?;
            parts.push(format!(
                "CASE WHEN {} THEN {rank} ELSE 0 END",
                conditions::and_within(col, &within)
            ));
        }
        stage_levels.push(vec![(
            format!("ws{}", k + 1),
            format!("GREATEST({})", parts.join(", ")),
        )]);
    }
    // With support plans the triggers read the stage before the day's reviews (`stage0`),
    // and the day ends at the stage after them; else the triggers hold as at the fixed
    // point's last pass and fire by a row holding at its end.
    // (Where no trigger setting a stage reads it, the last pass and its end are one.)
    let (held_stage, found_stage, end_stage, mut plan_steps) = if plans.is_empty() {
        (
            format!("ws{}", passes - usize::from(staged_reads)),
            staged_reads.then(|| format!("ws{passes}")),
            format!("ws{passes}"),
            None,
        )
    } else {
        let reviews = super::plans::review_columns(d, table, &plans, metrics, notices::in_walk)?;
        for (name, expr) in &reviews.columns {
            day_col(&mut days_cols, name.clone(), expr.clone());
        }
        let steps = super::plans::steps(d, table, &plans, &reviews, metrics)?;
        stage_levels.push(super::plans::Steps::stage_level(format!("ws{passes}")));
        stage_levels.extend(steps.levels.iter().cloned());
        (
            "stage0".to_string(),
            None,
            steps.end_stage.clone(),
            Some(steps),
        )
    };

    // The rules asking for a penalty notice, and those sharing a band's limit with them.
    let mut walks: Vec<WalkedRule> = Vec::new();
    let rule = |parts: Vec<(String, String)>, repeat: Repeat, asks: bool, last: usize| WalkedRule {
        rows: Vec::new(),
        parts,
        repeat,
        look: None,
        asks,
        read: Vec::new(),
        stage: String::new(),
        entry: false,
        last,
        raises: None,
        found: Vec::new(),
        passes: Vec::new(),
    };
    for (first, rows) in &triggers {
        let row = &table.rows[*first];
        if !notices::asks(row) {
            continue;
        }
        let mut parts = Vec::new();
        let mut found = Vec::new();
        let reads = rows
            .iter()
            .any(|&w| conditions::reads_stage(&table.rows[w].when));
        for &w in rows {
            parts.push(split(metrics, &table.rows[w].when, &held_stage, w)?);
            if let Some(at) = found_stage.as_deref().filter(|_| reads) {
                found.push(split(metrics, &table.rows[w].when, at, w)?);
            }
        }
        let look = match row.event {
            Event::EndOf(p) => Some(metrics.look(crate::model::LookedAt::EndOf(p))),
            Event::LookedEvery { school_weeks } => {
                Some(metrics.look(crate::model::LookedAt::Every { school_weeks }))
            }
            _ => None,
        };
        walks.push(WalkedRule {
            look,
            found,
            ..rule(parts, row.repeat, true, walks.len())
        });
    }
    for (r, row) in table.rows.iter().enumerate() {
        if row.kind != RowKind::Step || !row.satisfiable || !notices::asks(row) {
            continue;
        }
        let Some((day, codes)) = super::rules::step_run(row) else {
            continue;
        };
        let run = metrics.run(&codes);
        let (before, within) = split(metrics, &row.when, &end_stage, r)?;
        let due = format!("(ext{run} = 1 AND run{run} = {day} AND {before})");
        walks.push(rule(vec![(due, within)], Repeat::Each, true, walks.len()));
    }
    // A band's entries: on entering it (in the walk), each under its guard, read at the
    // stage of the day before; they share the band's limit. Weekly actions: the first school
    // day of every Nth school week after the pupil entered the band, in it since the day
    // before.
    let mut band_before = Vec::new();
    let mut entered_level = Vec::new();
    for (s, set) in table.band_sets.iter().enumerate() {
        let band = &band_col[s];
        for (i, &r) in set.iter().enumerate() {
            let row = &table.rows[r];
            let entries: Vec<usize> = std::iter::once(r)
                .chain((0..table.rows.len()).filter(|&w| {
                    table.rows[w].kind == RowKind::BandEntry && table.rows[w].rule == row.rule
                }))
                .collect();
            if entries.iter().any(|&w| notices::asks(&table.rows[w])) {
                if !band_before.contains(&s) {
                    band_before.push(s);
                }
                // A ladder's entry is its climb (src/sql/bands.rs).
                let entered = match &climbed[s] {
                    Some(climb) => format!("({band} = {i} AND {climb})"),
                    None => format!("({band} = {i} AND (p_band{s} IS NULL OR p_band{s} <> {i}))"),
                };
                let group = walks.len();
                for &w in &entries {
                    let guards: Vec<Vec<Atom>> = match &table.rows[w].guard {
                        None => vec![Vec::new()],
                        Some(ways) => ways.clone(),
                    };
                    let mut parts = Vec::new();
                    for atoms in &guards {
                        let (before, within) = split(metrics, atoms, "p_stage", w)?;
                        parts.push((
                            before,
                            format!("({})", conditions::and_within(&entered, &within)),
                        ));
                    }
                    let repeat = match row.repeat {
                        Repeat::OncePer(_) | Repeat::NotWithin { .. } => row.repeat,
                        _ => Repeat::Each,
                    };
                    walks.push(WalkedRule {
                        entry: true,
                        ..rule(parts, repeat, notices::asks(&table.rows[w]), group)
                    });
                }
            }
            let weekly = table
                .rows
                .iter()
                .find(|x| x.kind == RowKind::BandWeekly && x.rule == row.rule);
            if let Some(weekly) = weekly.filter(|w| notices::asks(w)) {
                let every = match weekly.event {
                    Event::WeeksInBand { school_weeks } => school_weeks.max(1),
                    _ => 1,
                };
                if !band_before.contains(&s) {
                    band_before.push(s);
                }
                if !entered_level.iter().any(|(n, _)| *n == format!("went{s}")) {
                    entered_level.push((
                        format!("went{s}"),
                        format!(
                            "CASE WHEN {band} IS DISTINCT FROM p_band{s} THEN week ELSE p_went{s} END"
                        ),
                    ));
                }
                let part = (
                    "(day > 0 AND first_of_week)".to_string(),
                    format!(
                        "COALESCE({band} = {i} AND p_band{s} = {i} AND (week - went{s}) % {every} = 0, FALSE)"
                    ),
                );
                walks.push(rule(vec![part], Repeat::Each, true, walks.len()));
            }
        }
    }
    // A support plan's actions: on the day it opens, is reviewed (by the row of the
    // review's outcome) or its periodic actions are due.
    let mut plan_asked = Vec::new();
    for (p, plan) in plans.iter().enumerate() {
        let asks = |r: usize| notices::asks(&table.rows[r]);
        if asks(plan.open) {
            plan_asked.push(format!(
                "CASE WHEN pev{p} = {} THEN 1 ELSE 0 END",
                super::plans::OPENED
            ));
        }
        let outcomes: Vec<String> = plan
            .judged
            .iter()
            .chain(&plan.met)
            .chain(&plan.missed)
            .filter(|&&r| asks(r))
            .map(ToString::to_string)
            .collect();
        if !outcomes.is_empty() {
            let [met, missed, judged] = super::plans::REVIEWED;
            plan_asked.push(format!(
                "CASE WHEN pev{p} IN ({met}, {missed}, {judged}) AND prv{p} IN ({}) THEN 1 ELSE 0 END",
                outcomes.join(", ")
            ));
        }
        if let Some((r, _)) = plan.every
            && asks(r)
        {
            plan_asked.push(format!(
                "CASE WHEN pev{p} = {} THEN 1 ELSE 0 END",
                super::plans::PERIODIC
            ));
        }
    }
    let read = metrics.notices.take().unwrap_or_default();

    // The walk's steps: the notices, the bands, the stage, the rules.
    let rules = notices::firings(&walks, "a");
    let mut first = Vec::new();
    for n in &read {
        first.push(notices::count(d, *n));
    }
    if let Some(steps) = &plan_steps {
        first.extend(steps.floor.iter().cloned());
    }
    let mut levels = vec![first];
    if !band_level.is_empty() {
        levels.push(band_level);
    }
    levels.extend(ladder_levels);
    if !entered_level.is_empty() {
        levels.push(entered_level.clone());
    }
    levels.extend(stage_levels);
    levels.push(rules.holds);
    levels.push(rules.fires);
    let asked: Vec<String> = rules.asked.into_iter().chain(plan_asked).collect();
    let asked = if asked.is_empty() {
        "0".to_string()
    } else {
        asked.join(" + ")
    };
    let mut last = rules.lasts;
    let (dates, carried_dates) = notices::dates(d, &asked);
    last.push(dates);
    last.push(("n_asked".into(), format!("CAST({asked} AS BIGINT)")));
    levels.push(last);

    let mut carried = vec![Carried {
        name: "stage".into(),
        ty: "INT",
        first: "0".into(),
        next: end_stage,
    }];
    for s in &band_before {
        carried.push(Carried {
            name: format!("band{s}"),
            ty: "INT",
            first: "NULL".into(),
            next: band_col[*s].clone(),
        });
    }
    for (went, _) in &entered_level {
        carried.push(Carried {
            name: went.clone(),
            ty: "INT",
            first: "NULL".into(),
            next: went.clone(),
        });
    }
    carried.extend(ladder_carried);
    if let Some(steps) = &mut plan_steps {
        carried.append(&mut steps.carried);
    }
    carried.extend(rules.carried);
    carried.push(carried_dates);
    let mut walk_inputs = vec!["date".to_string()];
    let ladders = ["half_term", "term"];
    for c in super::plans::CALENDAR.iter().chain(&ladders) {
        if !walk_inputs.iter().any(|x| x == c) {
            walk_inputs.push((*c).to_string());
        }
    }
    walk_inputs.extend(inputs);
    if let Some(steps) = &plan_steps {
        for i in &steps.inputs {
            if !walk_inputs.contains(i) {
                walk_inputs.push(i.clone());
            }
        }
    }
    walk_inputs.extend(rules.inputs);
    for c in rules.calendar {
        if !walk_inputs.contains(&c) {
            walk_inputs.push(c);
        }
    }
    let pre = notices::day_parts(&walks, "a");

    let _ = writeln!(
        out,
        "-- The penalty notices the policy asks for depend on rules that read them, through the\n\
         -- bands or the plans the stage comes from: they are found day by day, with the bands,\n\
         -- the stage and the rules asking. Per pupil and school day on roll, what the day's\n\
         -- columns decide of each band (nb, nband), each ladder's rungs (l), each trigger\n\
         -- setting a stage (nst), each plan's target and each rule asking (apre)."
    );
    let _ = writeln!(out, "{}", d.create("noticed_days"));
    let _ = writeln!(
        out,
        "SELECT v.*, ROW_NUMBER() OVER (PARTITION BY v.pupil_id ORDER BY v.day) AS nseq{}\n\
         FROM day_values AS v;\n",
        days_cols
            .iter()
            .map(|(name, expr)| format!(",\n  {expr} AS {name}"))
            .chain(pre.iter().map(|p| format!(",\n  {p}")))
            .collect::<String>()
    );
    let _ = writeln!(
        out,
        "-- The walk: day by day, the notices asked for before the day in each period read, the\n\
         -- bands (the stage of the day before), the stage, the rules asking and the notices\n\
         -- they ask for (n_asked)."
    );
    if !plans.is_empty() {
        super::plans::describe(out, table, &plans);
    }
    Walk {
        table: "noticed_walk".into(),
        prefix: "n_".into(),
        days: "noticed_days".into(),
        seq: "nseq".into(),
        inputs: walk_inputs,
        carried,
        levels,
        outputs: vec![
            ("n_date".into(), "DATE", "date".into()),
            ("n_asked".into(), "BIGINT", "n_asked".into()),
        ],
    }
    .write(out, d);
    let _ = writeln!(
        out,
        "-- The penalty notices the policy asks for, per pupil and date.\n{}\n\
         SELECT n_pupil AS pupil_id, n_date AS date, n_asked AS asked FROM noticed_walk\n\
         WHERE n_asked > 0;\n",
        d.create("notices_asked")
    );
    Ok(())
}
