//! A band whose own condition reads `pupil.stage`. The engine chooses a day's bands before its
//! stage, so such a band reads the stage of the school day before (on roll), which that day's
//! bands and triggers set: a pupil's band depends on every day before. A walk over each
//! pupil's school days on roll (src/sql/walk.rs) chooses the bands and finds the stage as the
//! engine does, carrying the stage; the bands are then chosen outside it reading
//! [`COLUMN`], and everything after them is as for any policy.

use std::fmt::Write as _;

use super::conditions::{self, Scope, Unsupported};
use super::dialect::Dialect;
use super::metrics::Metrics;
use super::walk::{Carried, Walk};
use crate::table::{Atom, DecisionTable, RowKind};

/// The column of `band_stage` holding, per pupil and school day on roll, the stage of the
/// school day before on roll (0 before the first), which the bands read.
pub const COLUMN: &str = "band_stage_before";

/// Whether an atom reads the stage.
fn is_stage(atom: &Atom) -> bool {
    matches!(atom, Atom::Stage { .. })
}

/// The first row of a band (not a ladder) whose own condition reads the stage, if any.
pub fn band_reading_stage(table: &DecisionTable) -> Option<usize> {
    table
        .band_sets
        .iter()
        .filter(|set| !table.ladders.iter().any(|l| l.rows == **set))
        .flatten()
        .copied()
        .find(|&r| {
            ways(table, r)
                .iter()
                .any(|atoms| atoms.iter().any(is_stage))
        })
}

/// A band's ways of holding: its range (with the set's evidence guard) and each `or`.
fn ways(table: &DecisionTable, r: usize) -> Vec<&[Atom]> {
    let Some(row) = table.rows.get(r) else {
        return Vec::new();
    };
    std::iter::once(row.when.as_slice())
        .chain(row.also.iter().flatten().map(Vec::as_slice))
        .collect()
}

/// `band_stage_days` and the walk `band_stage`, after the ladders' walks (`ladder_joins`
/// joins them to `day_values`). With support plans, the stage of the day before is the
/// plans' too (a missed review raises it for the rest of the academic year), so the walk
/// steps through the plans as well ([`super::plans::steps`]) and also makes `plan_walk`,
/// which src/sql/rules.rs then reads instead of walking the plans itself. An unsupported
/// construct comes back with its table row.
pub fn walk(
    out: &mut String,
    d: Dialect,
    table: &DecisionTable,
    metrics: &mut Metrics,
    ladder_joins: &str,
) -> Result<(), (Unsupported, usize)> {
    let plans = super::plans::of(table);
    let stages = &table.stages;
    let plain = Scope {
        d,
        stage: None,
        stage_names: stages,
    };
    let rank_of = |r: usize| {
        table.rows[r]
            .stage
            .as_deref()
            .and_then(|n| stages.iter().position(|x| x == n))
    };
    // A condition split into what the day's columns decide (a column of the days) and its
    // tests of the stage (read in the walk, of the stage column `stage`).
    let split = |metrics: &mut Metrics, atoms: &[Atom], r: usize, stage: &str| {
        let scope = Scope {
            d,
            stage: Some(stage),
            stage_names: stages,
        };
        conditions::split(&plain, &scope, metrics, atoms, is_stage).map_err(|u| (u, r))
    };
    let mut days_cols = Vec::new();
    let mut inputs = vec!["day".to_string()];
    let mut bands = Vec::new();
    let mut ranks = Vec::new();
    for (s, set) in table.band_sets.iter().enumerate() {
        let ladder = table.ladders.iter().any(|l| l.rows == *set);
        let reads = !ladder
            && set
                .iter()
                .any(|&r| ways(table, r).iter().any(|w| w.iter().any(is_stage)));
        let band = if ladder {
            days_cols.push(format!("ladder{s}_cur AS sband{s}"));
            inputs.push(format!("sband{s}"));
            format!("sband{s}")
        } else if reads {
            let mut whens = Vec::new();
            for (i, &r) in set.iter().enumerate() {
                for (j, atoms) in ways(table, r).into_iter().enumerate() {
                    let (rest, on_stage) = split(metrics, atoms, r, "p_stage")?;
                    let col = format!("sb{s}_{i}_{j}");
                    days_cols.push(format!("{rest} AS {col}"));
                    inputs.push(col.clone());
                    whens.push(format!(
                        "WHEN {} THEN {i}",
                        conditions::and_within(&col, &on_stage)
                    ));
                }
            }
            bands.push((
                format!("wband{s}"),
                if whens.is_empty() {
                    "CAST(NULL AS INT)".to_string()
                } else {
                    format!("CASE {} END", whens.join(" "))
                },
            ));
            format!("wband{s}")
        } else {
            let mut whens = Vec::new();
            for (i, &r) in set.iter().enumerate() {
                for atoms in ways(table, r) {
                    let test = conditions::rule(&plain, metrics, atoms)
                        .map_err(|u| (u, r))?
                        .0;
                    whens.push(format!("WHEN {test} THEN {i}"));
                }
            }
            if whens.is_empty() {
                continue;
            }
            days_cols.push(format!("CASE {} END AS sband{s}", whens.join(" ")));
            inputs.push(format!("sband{s}"));
            format!("sband{s}")
        };
        let by_band: Vec<String> = set
            .iter()
            .enumerate()
            .filter_map(|(i, &r)| rank_of(r).map(|k| format!("WHEN {i} THEN {k}")))
            .collect();
        if !by_band.is_empty() {
            ranks.push(format!("CASE {band} {} ELSE 0 END", by_band.join(" ")));
        }
    }
    // The triggers that set a stage, row by row (as src/sql/rules.rs groups them: the rows
    // that can hold).
    let mut triggers = Vec::new();
    for (r, row) in table.rows.iter().enumerate() {
        if row.kind != RowKind::Trigger || !row.satisfiable {
            continue;
        }
        let Some(rank) = rank_of(r) else { continue };
        triggers.push((r, rank, row.when.iter().any(is_stage)));
    }
    let passes = if triggers.iter().any(|(_, _, reads)| *reads) {
        stages.len() + 1
    } else {
        usize::from(!triggers.is_empty())
    };
    // With support plans, the day starts from the floor their missed reviews left.
    let steps = if plans.is_empty() {
        None
    } else {
        let reviews =
            super::plans::review_columns(d, table, &plans, metrics, conditions::is_stage)?;
        for (name, expr) in &reviews.columns {
            days_cols.push(format!("{expr} AS {name}"));
        }
        for c in super::plans::CALENDAR.iter().skip(1) {
            days_cols.push((*c).to_string());
        }
        Some(super::plans::steps(d, table, &plans, &reviews, metrics)?)
    };
    let mut levels = Vec::new();
    if let Some(steps) = &steps {
        levels.push(steps.floor.clone());
    }
    if !bands.is_empty() {
        levels.push(bands);
    }
    let floor = if steps.is_some() { "floor0" } else { "0" };
    let mut base = vec![floor.to_string(), "0".to_string()];
    base.extend(ranks);
    levels.push(vec![(
        "ws0".to_string(),
        format!("GREATEST({})", base.join(", ")),
    )]);
    // The stage: the least fixed point of the bands and the stages of the triggers that hold,
    // as the engine finds it (len(stages) + 1 passes, each reading the stage of the last).
    for k in 0..passes {
        let mut parts = vec!["ws0".to_string(), "0".to_string()];
        for (t, &(r, rank, _)) in triggers.iter().enumerate() {
            let (rest, on_stage) = split(metrics, &table.rows[r].when, r, &format!("ws{k}"))?;
            if k == 0 {
                days_cols.push(format!("{rest} AS st{t}"));
                inputs.push(format!("st{t}"));
            }
            parts.push(format!(
                "CASE WHEN {} THEN {rank} ELSE 0 END",
                conditions::and_within(&format!("st{t}"), &on_stage)
            ));
        }
        levels.push(vec![(
            format!("ws{}", k + 1),
            format!("GREATEST({})", parts.join(", ")),
        )]);
    }
    let _ = writeln!(
        out,
        "-- A band reading `pupil.stage` reads the stage of the school day before, which the\n\
         -- bands and triggers of that day set: per pupil and school day on roll, what the day's\n\
         -- columns decide of each band (sb), each other band set's band (sband) and what each\n\
         -- trigger setting a stage decides of its rows (st)."
    );
    let _ = writeln!(out, "{}", d.create("band_stage_days"));
    let values = metrics.day_values();
    let _ = writeln!(
        out,
        "SELECT pupil_id, day, ROW_NUMBER() OVER (PARTITION BY pupil_id ORDER BY day) AS bseq{}\n\
         FROM {values}{ladder_joins};\n",
        days_cols
            .iter()
            .map(|c| format!(",\n  {c}"))
            .collect::<String>()
    );
    let found = format!("ws{passes}");
    let Some(steps) = steps else {
        let _ = writeln!(
            out,
            "-- Day by day, the bands and the stage (ws: the fixed point's passes), the stage carried\n\
             -- to the next day: `{COLUMN}` is the stage of the day before."
        );
        Walk {
            table: "band_stage".into(),
            prefix: "bs_".into(),
            days: "band_stage_days".into(),
            seq: "bseq".into(),
            inputs,
            carried: vec![Carried {
                name: "stage".into(),
                ty: "INT",
                first: "0".into(),
                next: found,
            }],
            levels,
            outputs: vec![
                ("bs_day".into(), "INT", "day".into()),
                (COLUMN.into(), "INT", "p_stage".into()),
            ],
        }
        .write(out, d);
        return Ok(());
    };
    let _ = writeln!(
        out,
        "-- Day by day, the bands and the stage (ws: the fixed point's passes over the floor the\n\
         -- plans' missed reviews left), then the plans; the day's last stage carried to the\n\
         -- next day: `{COLUMN}` is the stage of the day before."
    );
    super::plans::describe(out, table, &plans);
    levels.push(super::plans::Steps::stage_level(found));
    levels.extend(steps.levels);
    inputs.extend(
        super::plans::CALENDAR
            .iter()
            .skip(1)
            .map(|c| (*c).to_string())
            .chain(steps.inputs),
    );
    let mut carried = vec![Carried {
        name: "stage".into(),
        ty: "INT",
        first: "0".into(),
        next: steps.end_stage,
    }];
    carried.extend(steps.carried);
    let mut outputs = vec![
        ("bp_day".to_string(), "INT", "day".to_string()),
        (COLUMN.to_string(), "INT", "p_stage".to_string()),
    ];
    outputs.extend(steps.outputs.iter().cloned());
    Walk {
        table: "band_plan_walk".into(),
        prefix: "bp_".into(),
        days: "band_stage_days".into(),
        seq: "bseq".into(),
        inputs,
        carried,
        levels,
        outputs,
    }
    .write(out, d);
    // The two tables the rest of the script reads, as the walks without plans make them.
    let _ = writeln!(out, "{}", d.create_inline("band_stage"));
    let _ = writeln!(
        out,
        "SELECT bp_pupil AS bs_pupil, bp_day AS bs_day, {COLUMN} FROM band_plan_walk;\n"
    );
    let plan_cols: Vec<&str> = steps
        .outputs
        .iter()
        .map(|(name, _, _)| name.as_str())
        .collect();
    let _ = writeln!(out, "{}", d.create_inline("plan_walk"));
    let _ = writeln!(
        out,
        "SELECT bp_pupil AS w_pupil, bp_seq AS w_seq, bp_day AS w_day, {}\nFROM band_plan_walk;\n",
        plan_cols.join(", ")
    );
    Ok(())
}
