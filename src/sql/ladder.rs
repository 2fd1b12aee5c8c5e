//! A ladder (src/engine/ladder.rs) as a walk over each pupil's school days on roll
//! (src/sql/walk.rs): the stage held, when it was entered, whether it still holds the pupil
//! and since when its exit condition has held are carried from one day to the next; with
//! conditions reading the stage, the pupil's stage too, and with support plans their state.

use std::fmt::Write as _;

use super::conditions::{self, Scope, Unsupported};
use super::dialect::Dialect;
use super::metrics::Metrics;
use super::walk::{Carried, Walk};
use crate::model::Period;
use crate::table::{Atom, DecisionTable, HeldRows, LadderRows};

/// The columns of the walk's state, carried from one day to the next: the stage (`cur`), the
/// day and periods it was entered in, whether it holds the pupil, and the first day (and its
/// week) of the run of days its exit condition has held.
const STATE: [&str; 9] = [
    "cur",
    "entered",
    "e_week",
    "e_half_term",
    "e_term",
    "e_year",
    "held",
    "es",
    "es_week",
];

fn any(
    scope: &Scope<'_>,
    metrics: &mut Metrics,
    rows: &[Vec<Atom>],
) -> Result<String, Unsupported> {
    let mut tests = Vec::new();
    for atoms in rows {
        tests.push(conditions::rule(scope, metrics, atoms)?.0);
    }
    Ok(if tests.is_empty() {
        "FALSE".into()
    } else {
        format!("({})", tests.join(" OR "))
    })
}

/// Whether `count` days (or weeks) have passed from the day in columns `from`/`from_week`.
fn elapsed(from: &str, from_week: &str, count: u32, weeks: bool) -> String {
    if weeks {
        format!("(week - {from_week} >= {count})")
    } else {
        format!("(day - {from} >= {count})")
    }
}

/// Whether a ladder's conditions (its stages', their exits' and `at once` ones) read the
/// stage.
pub fn reads_stage(ladder: &LadderRows, table: &DecisionTable) -> bool {
    let stage = |ways: &[Vec<Atom>]| ways.iter().any(|atoms| conditions::reads_stage(atoms));
    ladder.rows.iter().any(|&r| {
        stage(std::slice::from_ref(&table.rows[r].when))
            || table.rows[r].also.iter().any(|ways| stage(ways))
    }) || ladder.held.iter().flatten().any(|h| match h {
        HeldRows::Until { rows, .. } => stage(rows),
        _ => false,
    }) || ladder.at_once.iter().flatten().any(|rows| stage(rows))
}

/// What a ladder reading the stage needs of the day's other rules to find the stage its walk
/// carries (the engine's fixed point: the greater of the bands' stages and those of the
/// triggers holding at the stage of the pass before, from the bands', `passes` times).
pub struct Others {
    /// The stage the other band sets' bands give (with the triggers', when no trigger setting
    /// a stage reads it).
    pub bands: String,
    /// The stage the triggers setting one that do not read the stage give, when some do.
    pub triggers: Option<String>,
    /// Per row of a trigger setting a stage that reads it: its rank, what the day decides of
    /// it, and its tests of the stage.
    pub reading: Vec<(usize, String, Vec<Atom>)>,
    pub passes: usize,
    /// The day's columns of the band sets whose own conditions read the stage (what the day
    /// decides of each way of each band), and per such set the stage its band gives, chosen
    /// in the walk at the stage of the day before.
    pub band_columns: Vec<(String, String)>,
    pub reading_bands: Vec<String>,
}

/// One ladder's part of a walk: the day's columns it reads, its tests of the stage (read in
/// the walk's first level, when it carries the stage: the atoms `in_walk` picks, read at
/// `p_stage`; src/sql/noticed.rs reads the notices there too), the six levels of its step (the
/// engine's `step`) and the state it carries, every column named with `pf` (`l{s}_` when
/// several ladders share one walk); and the stage rank its rung gives at the end of the day.
pub struct Rungs {
    pub conditions: Vec<(String, String)>,
    pub in_step: Vec<(String, String)>,
    pub levels: Vec<Vec<(String, String)>>,
    pub carried: Vec<Carried>,
    pub rung: String,
}

pub fn rungs(
    d: Dialect,
    table: &DecisionTable,
    ladder: &LadderRows,
    metrics: &mut Metrics,
    in_walk: Option<fn(&Atom) -> bool>,
    pf: &str,
) -> Result<Rungs, (Unsupported, usize)> {
    let scope = Scope {
        d,
        stage: None,
        stage_names: &table.stages,
    };
    let at_stage = Scope {
        d,
        stage: Some("p_stage"),
        stage_names: &table.stages,
    };
    // A column of the step, and a carried value as of the day before.
    let c = |name: &str| format!("{pf}{name}");
    let p = |name: &str| format!("p_{pf}{name}");
    let n = ladder.rows.len();
    // Each stage's conditions, by name; with the stage carried, each way of a condition in
    // two parts (the day's column `{name}_{j}` and the test of the stage).
    let mut conditions = Vec::new();
    let mut in_step = Vec::new();
    for (i, &r) in ladder.rows.iter().enumerate() {
        let row = &table.rows[r];
        let mut ways = vec![row.when.clone()];
        ways.extend(row.also.iter().flatten().cloned());
        // An unsupported construct is reported at the stage's own row.
        let mut any = |metrics: &mut Metrics, name: String, ways: &[Vec<Atom>]| {
            let Some(in_walk) = in_walk else {
                conditions.push((name, any(&scope, metrics, ways).map_err(|u| (u, r))?));
                return Ok(());
            };
            let mut tests = Vec::new();
            for (j, atoms) in ways.iter().enumerate() {
                let (day, stage) = conditions::split(&scope, &at_stage, metrics, atoms, in_walk)
                    .map_err(|u| (u, r))?;
                conditions.push((format!("{name}_{j}"), day));
                tests.push(format!("({name}_{j} AND {stage})"));
            }
            let test = if tests.is_empty() {
                "FALSE".into()
            } else {
                format!("({})", tests.join(" OR "))
            };
            in_step.push((name, test));
            Ok::<_, (Unsupported, usize)>(())
        };
        any(metrics, c(&format!("h{i}")), &ways)?;
        if let Some(Some(HeldRows::Until { rows, .. })) = ladder.held.get(i) {
            any(metrics, c(&format!("x{i}")), rows)?;
        }
        if let Some(Some(rows)) = ladder.at_once.get(i) {
            any(metrics, c(&format!("a{i}")), rows)?;
        }
    }
    let (p_cur, p_held, p_es, p_es_week) = (p("cur"), p("held"), p("es"), p("es_week"));
    let (es1, es1_week, rel_c, deepest_c) = (c("es1"), c("es1_week"), c("rel"), c("deepest"));
    let (climb_to, moved_down, held1) = (c("climb_to"), c("moved_down"), c("held1"));
    let h = |i: usize| c(&format!("h{i}"));
    // Release: a hold whose end has come (src/engine/ladder.rs `step`, first).
    let mut until_es = Vec::new();
    let mut until_es_week = Vec::new();
    let mut released = Vec::new();
    for i in 0..n {
        let rel = match ladder.held.get(i).and_then(Option::as_ref) {
            None => "TRUE".to_string(),
            Some(HeldRows::UntilEnd(period)) => {
                let col = match period {
                    Period::HalfTerm => "half_term",
                    Period::Term => "term",
                    Period::Year => "year",
                };
                format!("({col} <> {})", p(&format!("e_{col}")))
            }
            Some(HeldRows::For { count, unit }) => {
                elapsed(&p("entered"), &p("e_week"), *count, *unit == "school_weeks")
            }
            Some(HeldRows::Until { count, unit, .. }) => {
                let x = c(&format!("x{i}"));
                until_es.push(format!(
                    "WHEN {i} THEN CASE WHEN {x} THEN COALESCE({p_es}, day) END"
                ));
                until_es_week.push(format!(
                    "WHEN {i} THEN CASE WHEN {x} THEN COALESCE({p_es_week}, week) END"
                ));
                match count {
                    None => format!("({es1} IS NOT NULL)"),
                    Some(k) => format!(
                        "({es1} IS NOT NULL AND {})",
                        elapsed(
                            &es1,
                            &es1_week,
                            *k,
                            unit.is_some_and(|u| u == "school_weeks")
                        )
                    ),
                }
            }
        };
        released.push(format!("WHEN {i} THEN {rel}"));
    }
    let holding = format!("{p_cur} IS NOT NULL AND {p_held}");
    let (es1_expr, es1_week_expr) = if until_es.is_empty() {
        (p_es.clone(), p_es_week.clone())
    } else {
        (
            format!(
                "CASE WHEN {holding} THEN CASE {p_cur} {} ELSE {p_es} END ELSE {p_es} END",
                until_es.join(" ")
            ),
            format!(
                "CASE WHEN {holding} THEN CASE {p_cur} {} ELSE {p_es_week} END ELSE {p_es_week} END",
                until_es_week.join(" ")
            ),
        )
    };
    let rel = format!(
        "CASE WHEN {holding} THEN CASE {p_cur} {} END ELSE FALSE END",
        released.join(" ")
    );
    let deepest: Vec<String> = (0..n)
        .rev()
        .map(|i| format!("WHEN {} THEN {i}", h(i)))
        .collect();
    let deepest = format!("CASE {} END", deepest.join(" "));
    let order = match ladder.in_order_after_weeks {
        None => format!("CASE WHEN {p_cur} IS NULL OR {deepest_c} > {p_cur} THEN {deepest_c} END"),
        Some(w) => format!(
            "CASE WHEN {p_cur} IS NULL THEN CASE WHEN {deepest_c} IS NOT NULL THEN 0 END\n      \
             WHEN week - {} >= {w} AND day > {} AND {deepest_c} > {p_cur} THEN {p_cur} + 1 END",
            p("e_week"),
            p("entered")
        ),
    };
    let at_once: Vec<String> = (0..n)
        .rev()
        .filter(|i| matches!(ladder.at_once.get(*i), Some(Some(_))))
        .map(|i| {
            format!(
                "WHEN {} AND ({p_cur} IS NULL OR {i} > {p_cur}) THEN {i}",
                c(&format!("a{i}"))
            )
        })
        .collect();
    let at_once = if at_once.is_empty() {
        "CAST(NULL AS INTEGER)".to_string()
    } else {
        format!("CASE {} END", at_once.join(" "))
    };
    let h_cur: Vec<String> = (0..n).map(|i| format!("WHEN {i} THEN {}", h(i))).collect();
    let below: Vec<String> = (0..n)
        .rev()
        .map(|i| format!("WHEN {} AND {i} < {p_cur} THEN {i}", h(i)))
        .collect();
    let holds_stage: Vec<String> = (0..n)
        .filter(|i| matches!(ladder.held.get(*i), Some(Some(_))))
        .map(|i| i.to_string())
        .collect();
    let holds_stage = if holds_stage.is_empty() {
        "FALSE".to_string()
    } else {
        format!("{climb_to} IN ({})", holds_stage.join(", "))
    };
    let reset = format!("{climb_to} IS NOT NULL OR {moved_down}");
    let keep = |col: &str, today: &str| {
        (
            c(&format!("w_{col}")),
            format!("CASE WHEN {reset} THEN {today} ELSE {} END", p(col)),
        )
    };
    let named = |name: &str, expr: String| (c(name), expr);
    let (order_c, at_once_c, h_cur_c, below_c) =
        (c("climb_order"), c("climb_at_once"), c("h_cur"), c("below"));
    let levels = vec![
        vec![named("es1", es1_expr), named("es1_week", es1_week_expr)],
        vec![named("rel", rel), named("deepest", deepest)],
        vec![
            named("climb_order", order),
            named("climb_at_once", at_once),
            named(
                "held1",
                format!("CASE WHEN {holding} THEN NOT {rel_c} ELSE {p_held} END"),
            ),
            named("es2", format!("CASE WHEN {rel_c} THEN NULL ELSE {es1} END")),
            named(
                "es2_week",
                format!("CASE WHEN {rel_c} THEN NULL ELSE {es1_week} END"),
            ),
        ],
        vec![
            named(
                "climb_to",
                format!(
                    "CASE WHEN {order_c} IS NULL THEN {at_once_c} WHEN {at_once_c} IS NULL THEN {order_c} \
                     WHEN {at_once_c} > {order_c} THEN {at_once_c} ELSE {order_c} END"
                ),
            ),
            named("h_cur", format!("CASE {p_cur} {} END", h_cur.join(" "))),
            named(
                "below",
                format!(
                    "CASE WHEN {p_cur} IS NOT NULL THEN CASE {} END END",
                    below.join(" ")
                ),
            ),
        ],
        vec![named(
            "moved_down",
            format!(
                "{p_cur} IS NOT NULL AND {climb_to} IS NULL AND NOT (COALESCE({h_cur_c}, FALSE) OR {held1}) \
                 AND NOT COALESCE({deepest_c} > {p_cur}, FALSE)"
            ),
        )],
        vec![
            named(
                "w_cur",
                format!(
                    "CASE WHEN {climb_to} IS NOT NULL THEN {climb_to} WHEN {moved_down} THEN {below_c} ELSE {p_cur} END"
                ),
            ),
            keep("entered", "day"),
            keep("e_week", "week"),
            keep("e_half_term", "half_term"),
            keep("e_term", "term"),
            keep("e_year", "year"),
            named(
                "w_held",
                format!(
                    "CASE WHEN {climb_to} IS NOT NULL THEN {holds_stage} WHEN {moved_down} THEN FALSE ELSE {held1} END"
                ),
            ),
            named(
                "w_es",
                format!("CASE WHEN {reset} THEN NULL ELSE {es2} END", es2 = c("es2")),
            ),
            named(
                "w_es_week",
                format!(
                    "CASE WHEN {reset} THEN NULL ELSE {es2_week} END",
                    es2_week = c("es2_week")
                ),
            ),
            named("w_climbed", format!("{climb_to} IS NOT NULL")),
        ],
    ];
    let carried: Vec<Carried> = STATE
        .iter()
        .map(|col| Carried {
            name: c(col),
            ty: if *col == "held" { "BOOLEAN" } else { "INT" },
            first: match *col {
                "cur" | "es" | "es_week" => "NULL".to_string(),
                "held" => "FALSE".to_string(),
                _ => "0".to_string(),
            },
            next: c(&format!("w_{col}")),
        })
        .collect();
    let ranks: Vec<String> = ladder
        .rows
        .iter()
        .enumerate()
        .filter_map(|(i, &r)| {
            let name = table.rows[r].stage.as_deref()?;
            let rank = table.stages.iter().position(|x| x == name)?;
            Some(format!("WHEN {i} THEN {rank}"))
        })
        .collect();
    let rung = if ranks.is_empty() {
        "0".to_string()
    } else {
        format!("CASE {} {} ELSE 0 END", c("w_cur"), ranks.join(" "))
    };
    Ok(Rungs {
        conditions,
        in_step,
        levels,
        carried,
        rung,
    })
}

/// `ladder{s}`: per pupil and school day on roll, the stage of ladder `s` (`ladder{s}_cur`,
/// an index into the band set) and whether the pupil climbed to it that day. With `others`
/// (the stage rank the day's other rules give, when they read no stage), the walk also
/// carries the pupil's stage, which the ladders' conditions read as of the day before; in a
/// policy with support plans that stage is also theirs, so the walk steps through the plans
/// too ([`super::plans::steps`]) and makes `plan_walk`. Several ladders (`ladders`, each with
/// the index of its band set) are walked together, in `ladders`, only with `others`: each
/// reads the stage all of them set the day before; `ladder{s}` is then a view of it.
pub fn walk(
    out: &mut String,
    d: Dialect,
    table: &DecisionTable,
    ladders: &[(usize, &LadderRows)],
    metrics: &mut Metrics,
    others: Option<&Others>,
) -> Result<(), (Unsupported, usize)> {
    let name = match ladders {
        [(s, _)] => format!("ladder{s}"),
        _ => "ladders".to_string(),
    };
    let pf = |s: usize| {
        if ladders.len() == 1 {
            String::new()
        } else {
            format!("l{s}_")
        }
    };
    let first_row = ladders
        .first()
        .and_then(|(_, l)| l.rows.first().copied())
        .unwrap_or(0);
    // With support plans, the stage of the day before is also theirs (a missed review raises
    // it for the rest of the academic year): the walk steps through the plans too.
    let plans = super::plans::of(table);
    let mut steps = match others {
        Some(_) if !plans.is_empty() => {
            let reviews =
                super::plans::review_columns(d, table, &plans, metrics, conditions::is_stage)?;
            let steps = super::plans::steps(d, table, &plans, &reviews, metrics)?;
            Some((reviews, steps))
        }
        _ => None,
    };
    let mut parts = Vec::new();
    for &(s, ladder) in ladders {
        parts.push((
            s,
            rungs(
                d,
                table,
                ladder,
                metrics,
                others.map(|_| conditions::is_stage as fn(&Atom) -> bool),
                &pf(s),
            )?,
        ));
    }
    // The step's inputs: the calendar columns, then each stage's conditions, by name.
    let mut conditions: Vec<(String, String)> = parts
        .iter()
        .flat_map(|(_, r)| r.conditions.iter().cloned())
        .collect();
    let mut in_step: Vec<(String, String)> = parts
        .iter()
        .flat_map(|(_, r)| r.in_step.iter().cloned())
        .collect();
    if let Some(others) = others {
        conditions.push(("others".into(), others.bands.clone()));
        if let Some(triggers) = &others.triggers {
            conditions.push(("others_t".into(), triggers.clone()));
        }
        for (k, (_, day, _)) in others.reading.iter().enumerate() {
            conditions.push((format!("ts{k}"), day.clone()));
        }
        conditions.extend(others.band_columns.iter().cloned());
        for (k, band) in others.reading_bands.iter().enumerate() {
            in_step.push((format!("ob{k}"), band.clone()));
        }
    }
    let mut calendar = vec!["day", "week", "half_term", "term", "year"];
    if let Some((reviews, _)) = &steps {
        calendar.push("first_of_week");
        conditions.extend(reviews.columns.iter().cloned());
    }
    let inputs: Vec<String> = calendar
        .iter()
        .map(|c| (*c).to_string())
        .chain(conditions.iter().map(|(name, _)| name.clone()))
        .collect();
    let which = match ladders {
        [(s, _)] => format!("Ladder {s}"),
        _ => format!(
            "Ladders {}",
            ladders
                .iter()
                .map(|(s, _)| s.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let _ = writeln!(
        out,
        "-- {which}: per school day on roll, which stages hold (h), their exit conditions (x)\n\
         -- and `at once when` conditions (a)."
    );
    let _ = writeln!(out, "{}", d.create(&format!("{name}_days")));
    let values = metrics.day_values();
    let _ = writeln!(
        out,
        "SELECT pupil_id, {},\n  \
         ROW_NUMBER() OVER (PARTITION BY pupil_id ORDER BY day) AS lseq,\n  {}\nFROM {values};\n",
        calendar.join(", "),
        conditions
            .iter()
            .map(|(name, test)| format!("{test} AS {name}"))
            .collect::<Vec<_>>()
            .join(",\n  ")
    );
    // Each ladder's levels side by side: the k-th level of every ladder reads only its own
    // earlier levels and the stage of the day before.
    let mut levels: Vec<Vec<(String, String)>> = Vec::new();
    let mut carried: Vec<Carried> = Vec::new();
    let mut rungs = Vec::new();
    for (_, part) in &mut parts {
        for (k, level) in std::mem::take(&mut part.levels).into_iter().enumerate() {
            if levels.len() <= k {
                levels.push(Vec::new());
            }
            levels[k].extend(level);
        }
        carried.append(&mut part.carried);
        rungs.push(part.rung.clone());
    }
    let named = |name: &str, expr: String| (name.to_string(), expr);
    if let Some(others) = others {
        // The conditions first, at the stage of the day before; the day's stage last: the
        // greater of the rungs' and the other rules', to the fixed point.
        levels.insert(0, in_step);
        // With the stages of the band sets reading the stage, chosen in the walk; over the
        // floor the plans' missed reviews left, with plans.
        let mut parts = rungs;
        parts.push("others".to_string());
        parts.extend((0..others.reading_bands.len()).map(|k| format!("ob{k}")));
        if let Some((_, steps)) = &steps {
            levels.insert(0, steps.floor.clone());
            parts.push("floor0".into());
        }
        let base = format!("GREATEST({})", parts.join(", "));
        if others.reading.is_empty() {
            levels.push(vec![named("w_stage", base)]);
        } else {
            levels.push(vec![named("ws0", base)]);
            for pass in 0..others.passes {
                let stage = format!("ws{pass}");
                let at_pass = Scope {
                    d,
                    stage: Some(&stage),
                    stage_names: &table.stages,
                };
                let mut parts = vec!["ws0".to_string(), "others_t".to_string()];
                for (k, (rank, _, on_stage)) in others.reading.iter().enumerate() {
                    let (test, _) = conditions::rule(&at_pass, metrics, on_stage)
                        .map_err(|u| (u, first_row))?;
                    parts.push(format!("CASE WHEN ts{k} AND {test} THEN {rank} ELSE 0 END"));
                }
                levels.push(vec![named(
                    &format!("ws{}", pass + 1),
                    format!("GREATEST({})", parts.join(", ")),
                )]);
            }
            levels.push(vec![named("w_stage", format!("ws{}", others.passes))]);
        }
        let mut next = "w_stage".to_string();
        if let Some((_, steps)) = &mut steps {
            levels.push(super::plans::Steps::stage_level("w_stage".into()));
            levels.append(&mut steps.levels);
            carried.append(&mut steps.carried);
            next = steps.end_stage.clone();
        }
        carried.push(Carried {
            name: "stage".into(),
            ty: "INT",
            first: "0".into(),
            next,
        });
    }
    let _ = writeln!(
        out,
        "-- {which}, day by day: the stage held (NULL: off the ladder) and whether the pupil\n\
         -- climbed to it (only a climb fires its entry actions)."
    );
    let mut outputs = vec![(format!("{name}_day"), "INT", "day".to_string())];
    for &(s, _) in ladders {
        outputs.push((format!("ladder{s}_cur"), "INT", format!("{}w_cur", pf(s))));
        outputs.push((
            format!("ladder{s}_climbed"),
            "BOOLEAN",
            format!("{}w_climbed", pf(s)),
        ));
    }
    // The stage the conditions read, for their evidence.
    if others.is_some() {
        outputs.push((format!("{name}_stage"), "INT", "p_stage".into()));
    }
    // The plans' outputs, named apart: the ladder's table is joined to the day's values.
    if let Some((_, steps)) = &steps {
        outputs.extend(
            steps
                .outputs
                .iter()
                .map(|(col, ty, expr)| (format!("{name}_p_{col}"), *ty, expr.clone())),
        );
    }
    Walk {
        table: name.clone(),
        prefix: format!("{name}_"),
        days: format!("{name}_days"),
        seq: "lseq".into(),
        inputs,
        carried,
        levels,
        outputs,
    }
    .write(out, d);
    if ladders.len() > 1 {
        // Each ladder's own table, as a single ladder's walk makes it.
        for &(s, _) in ladders {
            let _ = writeln!(out, "{}", d.create_inline(&format!("ladder{s}")));
            let _ = writeln!(
                out,
                "SELECT ladders_pupil AS ladder{s}_pupil, ladders_seq AS ladder{s}_seq,\n  \
                 ladders_day AS ladder{s}_day, ladder{s}_cur, ladder{s}_climbed,\n  \
                 ladders_stage AS ladder{s}_stage\nFROM ladders;\n"
            );
        }
    }
    if let Some((_, steps)) = &steps {
        super::plans::describe(out, table, &plans);
        let columns: Vec<String> = steps
            .outputs
            .iter()
            .map(|(col, _, _)| format!("{name}_p_{col} AS {col}"))
            .collect();
        let _ = writeln!(out, "{}", d.create_inline("plan_walk"));
        let _ = writeln!(
            out,
            "SELECT {name}_pupil AS w_pupil, {name}_seq AS w_seq, {name}_day AS w_day,\n  {}\nFROM {name};\n",
            columns.join(", ")
        );
    }
    Ok(())
}
