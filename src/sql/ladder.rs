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

/// `ladder{s}`: per pupil and school day on roll, the stage of ladder `s` (`ladder{s}_cur`,
/// an index into the band set) and whether the pupil climbed to it that day. With `others`
/// (the stage rank the day's other rules give, when they read no stage), the walk also
/// carries the pupil's stage, which the ladder's conditions read as of the day before; in a
/// policy with support plans that stage is also theirs, so the walk steps through the plans
/// too ([`super::plans::steps`]) and makes `plan_walk`.
pub fn walk(
    out: &mut String,
    d: Dialect,
    table: &DecisionTable,
    s: usize,
    ladder: &LadderRows,
    metrics: &mut Metrics,
    others: Option<&Others>,
) -> Result<(), (Unsupported, usize)> {
    let scope = Scope {
        d,
        stage: None,
        stage_names: &table.stages,
    };
    let in_walk = Scope {
        d,
        stage: Some("p_stage"),
        stage_names: &table.stages,
    };
    let n = ladder.rows.len();
    // With support plans, the stage of the day before is also theirs (a missed review raises
    // it for the rest of the academic year): the walk steps through the plans too.
    let plans = super::plans::of(table);
    let mut steps = match others {
        Some(_) if !plans.is_empty() => {
            let reviews = super::plans::review_columns(d, table, &plans, metrics)?;
            let steps = super::plans::steps(d, table, &plans, &reviews, metrics)?;
            Some((reviews, steps))
        }
        _ => None,
    };
    // The step's inputs: the calendar columns, then each stage's conditions, by name; with
    // the stage carried, each way of a condition in two parts (the day's column `{name}_{j}`
    // and the test of the stage, read in the walk's first level).
    let mut conditions = Vec::new();
    let mut in_step = Vec::new();
    for (i, &r) in ladder.rows.iter().enumerate() {
        let row = &table.rows[r];
        let mut ways = vec![row.when.clone()];
        ways.extend(row.also.iter().flatten().cloned());
        // An unsupported construct is reported at the stage's own row.
        let mut any = |metrics: &mut Metrics, name: String, ways: &[Vec<Atom>]| {
            if others.is_none() {
                conditions.push((name, any(&scope, metrics, ways).map_err(|u| (u, r))?));
                return Ok(());
            }
            let mut tests = Vec::new();
            for (j, atoms) in ways.iter().enumerate() {
                let (day, stage) = conditions::split(&scope, &in_walk, metrics, atoms, |a| {
                    matches!(a, Atom::Stage { .. })
                })
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
        any(metrics, format!("h{i}"), &ways)?;
        if let Some(Some(HeldRows::Until { rows, .. })) = ladder.held.get(i) {
            any(metrics, format!("x{i}"), rows)?;
        }
        if let Some(Some(rows)) = ladder.at_once.get(i) {
            any(metrics, format!("a{i}"), rows)?;
        }
    }
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
    let _ = writeln!(
        out,
        "-- Ladder {s}: per school day on roll, which stages hold (h), their exit conditions (x)\n\
         -- and `at once when` conditions (a)."
    );
    let _ = writeln!(out, "{}", d.create(&format!("ladder{s}_days")));
    let _ = writeln!(
        out,
        "SELECT pupil_id, {},\n  \
         ROW_NUMBER() OVER (PARTITION BY pupil_id ORDER BY day) AS lseq,\n  {}\nFROM day_values;\n",
        calendar.join(", "),
        conditions
            .iter()
            .map(|(name, test)| format!("{test} AS {name}"))
            .collect::<Vec<_>>()
            .join(",\n  ")
    );
    // Release: a hold whose end has come (src/engine/ladder.rs `step`, first).
    let mut until_es = Vec::new();
    let mut until_es_week = Vec::new();
    let mut released = Vec::new();
    for i in 0..n {
        let rel = match ladder.held.get(i).and_then(Option::as_ref) {
            None => "TRUE".to_string(),
            Some(HeldRows::UntilEnd(p)) => {
                let col = match p {
                    Period::HalfTerm => "half_term",
                    Period::Term => "term",
                    Period::Year => "year",
                };
                format!("({col} <> p_e_{col})")
            }
            Some(HeldRows::For { count, unit }) => {
                elapsed("p_entered", "p_e_week", *count, *unit == "school_weeks")
            }
            Some(HeldRows::Until { count, unit, .. }) => {
                until_es.push(format!(
                    "WHEN {i} THEN CASE WHEN x{i} THEN COALESCE(p_es, day) END"
                ));
                until_es_week.push(format!(
                    "WHEN {i} THEN CASE WHEN x{i} THEN COALESCE(p_es_week, week) END"
                ));
                match count {
                    None => "(es1 IS NOT NULL)".to_string(),
                    Some(c) => format!(
                        "(es1 IS NOT NULL AND {})",
                        elapsed(
                            "es1",
                            "es1_week",
                            *c,
                            unit.is_some_and(|u| u == "school_weeks")
                        )
                    ),
                }
            }
        };
        released.push(format!("WHEN {i} THEN {rel}"));
    }
    let holding = "p_cur IS NOT NULL AND p_held";
    let (es1, es1_week) = if until_es.is_empty() {
        ("p_es".to_string(), "p_es_week".to_string())
    } else {
        (
            format!(
                "CASE WHEN {holding} THEN CASE p_cur {} ELSE p_es END ELSE p_es END",
                until_es.join(" ")
            ),
            format!(
                "CASE WHEN {holding} THEN CASE p_cur {} ELSE p_es_week END ELSE p_es_week END",
                until_es_week.join(" ")
            ),
        )
    };
    let rel = format!(
        "CASE WHEN {holding} THEN CASE p_cur {} END ELSE FALSE END",
        released.join(" ")
    );
    let deepest: Vec<String> = (0..n)
        .rev()
        .map(|i| format!("WHEN h{i} THEN {i}"))
        .collect();
    let deepest = format!("CASE {} END", deepest.join(" "));
    let order = match ladder.in_order_after_weeks {
        None => "CASE WHEN p_cur IS NULL OR deepest > p_cur THEN deepest END".to_string(),
        Some(w) => format!(
            "CASE WHEN p_cur IS NULL THEN CASE WHEN deepest IS NOT NULL THEN 0 END\n      \
             WHEN week - p_e_week >= {w} AND day > p_entered AND deepest > p_cur THEN p_cur + 1 END"
        ),
    };
    let at_once: Vec<String> = (0..n)
        .rev()
        .filter(|i| matches!(ladder.at_once.get(*i), Some(Some(_))))
        .map(|i| format!("WHEN a{i} AND (p_cur IS NULL OR {i} > p_cur) THEN {i}"))
        .collect();
    let at_once = if at_once.is_empty() {
        "CAST(NULL AS INTEGER)".to_string()
    } else {
        format!("CASE {} END", at_once.join(" "))
    };
    let h_cur: Vec<String> = (0..n).map(|i| format!("WHEN {i} THEN h{i}")).collect();
    let below: Vec<String> = (0..n)
        .rev()
        .map(|i| format!("WHEN h{i} AND {i} < p_cur THEN {i}"))
        .collect();
    let holds_stage: Vec<String> = (0..n)
        .filter(|i| matches!(ladder.held.get(*i), Some(Some(_))))
        .map(|i| i.to_string())
        .collect();
    let holds_stage = if holds_stage.is_empty() {
        "FALSE".to_string()
    } else {
        format!("climb_to IN ({})", holds_stage.join(", "))
    };
    let reset = "climb_to IS NOT NULL OR moved_down";
    let keep = |col: &str, today: &str| {
        (
            format!("w_{col}"),
            format!("CASE WHEN {reset} THEN {today} ELSE p_{col} END"),
        )
    };
    let named = |name: &str, expr: String| (name.to_string(), expr);
    let mut levels = vec![
        vec![named("es1", es1), named("es1_week", es1_week)],
        vec![named("rel", rel), named("deepest", deepest)],
        vec![
            named("climb_order", order),
            named("climb_at_once", at_once),
            named(
                "held1",
                format!("CASE WHEN {holding} THEN NOT rel ELSE p_held END"),
            ),
            named("es2", "CASE WHEN rel THEN NULL ELSE es1 END".into()),
            named("es2_week", "CASE WHEN rel THEN NULL ELSE es1_week END".into()),
        ],
        vec![
            named(
                "climb_to",
                "CASE WHEN climb_order IS NULL THEN climb_at_once WHEN climb_at_once IS NULL THEN climb_order \
                 WHEN climb_at_once > climb_order THEN climb_at_once ELSE climb_order END"
                    .into(),
            ),
            named("h_cur", format!("CASE p_cur {} END", h_cur.join(" "))),
            named(
                "below",
                format!(
                    "CASE WHEN p_cur IS NOT NULL THEN CASE {} END END",
                    below.join(" ")
                ),
            ),
        ],
        vec![named(
            "moved_down",
            "p_cur IS NOT NULL AND climb_to IS NULL AND NOT (COALESCE(h_cur, FALSE) OR held1) \
             AND NOT COALESCE(deepest > p_cur, FALSE)"
                .into(),
        )],
        vec![
            named(
                "w_cur",
                "CASE WHEN climb_to IS NOT NULL THEN climb_to WHEN moved_down THEN below ELSE p_cur END"
                    .into(),
            ),
            keep("entered", "day"),
            keep("e_week", "week"),
            keep("e_half_term", "half_term"),
            keep("e_term", "term"),
            keep("e_year", "year"),
            named(
                "w_held",
                format!(
                    "CASE WHEN climb_to IS NOT NULL THEN {holds_stage} WHEN moved_down THEN FALSE ELSE held1 END"
                ),
            ),
            named("w_es", format!("CASE WHEN {reset} THEN NULL ELSE es2 END")),
            named(
                "w_es_week",
                format!("CASE WHEN {reset} THEN NULL ELSE es2_week END"),
            ),
            named("w_climbed", "climb_to IS NOT NULL".into()),
        ],
    ];
    let mut carried: Vec<Carried> = STATE
        .iter()
        .map(|c| Carried {
            name: (*c).to_string(),
            ty: if *c == "held" { "BOOLEAN" } else { "INT" },
            first: match *c {
                "cur" | "es" | "es_week" => "NULL".to_string(),
                "held" => "FALSE".to_string(),
                _ => "0".to_string(),
            },
            next: format!("w_{c}"),
        })
        .collect();
    if let Some(others) = others {
        // The conditions first, at the stage of the day before; the day's stage last: the
        // greater of the rung's and the other rules', to the fixed point.
        levels.insert(0, in_step);
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
            format!("CASE w_cur {} ELSE 0 END", ranks.join(" "))
        };
        // With the stages of the band sets reading the stage, chosen in the walk; over the
        // floor the plans' missed reviews left, with plans.
        let mut parts = vec![rung, "others".to_string()];
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
            for p in 0..others.passes {
                let stage = format!("ws{p}");
                let at_pass = Scope {
                    d,
                    stage: Some(&stage),
                    stage_names: &table.stages,
                };
                let mut parts = vec!["ws0".to_string(), "others_t".to_string()];
                for (k, (rank, _, on_stage)) in others.reading.iter().enumerate() {
                    let (test, _) = conditions::rule(&at_pass, metrics, on_stage)
                        .map_err(|u| (u, ladder.rows.first().copied().unwrap_or(0)))?;
                    parts.push(format!("CASE WHEN ts{k} AND {test} THEN {rank} ELSE 0 END"));
                }
                levels.push(vec![named(
                    &format!("ws{}", p + 1),
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
        "-- Ladder {s}, day by day: the stage held (NULL: off the ladder) and whether the pupil\n\
         -- climbed to it (only a climb fires its entry actions)."
    );
    Walk {
        table: format!("ladder{s}"),
        prefix: format!("ladder{s}_"),
        days: format!("ladder{s}_days"),
        seq: "lseq".into(),
        inputs,
        carried,
        levels,
        outputs: [
            (format!("ladder{s}_day"), "INT", "day".into()),
            (format!("ladder{s}_cur"), "INT", "w_cur".into()),
            (format!("ladder{s}_climbed"), "BOOLEAN", "w_climbed".into()),
        ]
        .into_iter()
        // The stage its conditions read, for their evidence.
        .chain(others.map(|_| (format!("ladder{s}_stage"), "INT", "p_stage".into())))
        // The plans' outputs, named apart: the ladder's table is joined to the day's values.
        .chain(steps.iter().flat_map(|(_, steps)| {
            steps
                .outputs
                .iter()
                .map(|(name, ty, expr)| (format!("ladder{s}_p_{name}"), *ty, expr.clone()))
        }))
        .collect(),
    }
    .write(out, d);
    if let Some((_, steps)) = &steps {
        super::plans::describe(out, table, &plans);
        let columns: Vec<String> = steps
            .outputs
            .iter()
            .map(|(name, _, _)| format!("ladder{s}_p_{name} AS {name}"))
            .collect();
        let _ = writeln!(out, "{}", d.create_inline("plan_walk"));
        let _ = writeln!(
            out,
            "SELECT ladder{s}_pupil AS w_pupil, ladder{s}_seq AS w_seq, ladder{s}_day AS w_day,\n  {}\nFROM ladder{s};\n",
            columns.join(", ")
        );
    }
    Ok(())
}
