//! Support plans (src/engine/eval `State::step`, its last part) as a recursive walk over each
//! pupil's school days on roll: a plan opens when the pupil reaches its stage, is reviewed
//! after its school weeks, and a missed target raises the stage for the rest of the academic
//! year, which every later rule reads (src/sql/walk.rs: a recursive query on DuckDB, a fold
//! on Spark).

use std::fmt::Write as _;

use super::conditions::{self, Scope, Unsupported};
use super::dialect::Dialect;
use super::metrics::Metrics;
use super::walk::{Carried, Walk};
use crate::table::{Atom, DecisionTable, Event, RowKind};

/// One support plan's rows of the decision table.
pub struct SupportPlan {
    pub open: usize,
    /// Its `every N school_weeks:` row and N.
    pub every: Option<(usize, u32)>,
    /// The review task when staff judge the target (or the policy states none).
    pub judged: Option<usize>,
    pub missed: Vec<usize>,
    pub met: Vec<usize>,
    pub after_weeks: u32,
    pub escalate_to: usize,
}

/// The table's support plans, in table order (the order the engine reviews them in on a day).
pub fn of(table: &DecisionTable) -> Vec<SupportPlan> {
    let rank = |name: &str| table.stages.iter().position(|s| s == name);
    let mut plans = Vec::new();
    let mut r = 0;
    while r < table.rows.len() {
        let row = &table.rows[r];
        if row.kind != RowKind::PlanOpen {
            r += 1;
            continue;
        }
        let rank_open = row.stage.as_deref().and_then(rank).unwrap_or(0);
        let mut plan = SupportPlan {
            open: r,
            every: None,
            judged: None,
            missed: Vec::new(),
            met: Vec::new(),
            after_weeks: 0,
            escalate_to: (rank_open + 1).min(table.stages.len().saturating_sub(1)),
        };
        let mut escalate_to = None;
        let mut end = r + 1;
        while let Some(next) = table.rows.get(end)
            && matches!(
                next.kind,
                RowKind::PlanMissed | RowKind::PlanMet | RowKind::PlanJudged | RowKind::PlanEvery
            )
            && next.rule == row.rule
        {
            if let Event::Review {
                after_school_weeks,
                escalate_to: to,
                ..
            } = &next.event
            {
                plan.after_weeks = *after_school_weeks;
                if next.kind == RowKind::PlanMissed {
                    escalate_to = escalate_to.or(to.as_deref().and_then(rank));
                }
            }
            match next.kind {
                RowKind::PlanEvery => {
                    let n = match next.event {
                        Event::WeeksInPlan { school_weeks } => school_weeks.max(1),
                        _ => 1,
                    };
                    plan.every = Some((end, n));
                }
                RowKind::PlanMissed => plan.missed.push(end),
                RowKind::PlanJudged => plan.judged = Some(end),
                _ => plan.met.push(end),
            }
            end += 1;
        }
        if let Some(to) = escalate_to {
            plan.escalate_to = to;
        }
        plans.push(plan);
        r = end;
    }
    plans
}

/// The stages a missed review can leave as the floor of a pupil's stage: none (0) and each
/// plan's stage to escalate to. The floor is the highest of those reached this academic
/// year, so it is always one of them.
pub fn floors(plans: &[SupportPlan]) -> Vec<usize> {
    let can_miss = plans
        .iter()
        .filter(|p| p.judged.is_none() && !p.missed.is_empty());
    let mut floors: Vec<usize> = std::iter::once(0)
        .chain(can_miss.map(|p| p.escalate_to))
        .collect();
    floors.sort_unstable();
    floors.dedup();
    floors
}

/// What the walk tells each plan did on a day (`pev{p}`).
pub const OPENED: u8 = 1;
pub const REVIEWED: [u8; 3] = [2, 3, 4];
pub const PERIODIC: u8 = 5;

/// Each plan's review outcome: its row (`prv{p}`, a table row) and whether it is a missed
/// target (`pmiss{p}`).
pub struct Reviews {
    /// Columns of `plan_days` over `day_values`: name and expression.
    pub columns: Vec<(String, String)>,
    /// Per plan, for a target read in the walk, `prv{p}` and `pmiss{p}` as the walk finds
    /// them at the stage of the plan's turn (`stg{p}`), from what the day's columns decide of
    /// each target row (`pmt{p}_{k}` met, `pms{p}_{k}` missed); else `None`, both columns.
    pub in_walk: Vec<Option<(String, String)>>,
}

/// The review outcomes (src/engine/eval): the first met row that holds, else the first missed
/// row that holds, else the first missed row (a target not shown met is missed). A target
/// with an atom `in_walk` picks (the stage; in src/sql/noticed.rs, the notices too) is decided
/// in the walk, at the plan's turn.
pub fn review_columns(
    d: Dialect,
    table: &DecisionTable,
    plans: &[SupportPlan],
    metrics: &mut Metrics,
    in_walk: fn(&Atom) -> bool,
) -> Result<Reviews, (Unsupported, usize)> {
    let scope = Scope {
        d,
        stage: None,
        stage_names: &table.stages,
    };
    let mut reviews = Reviews {
        columns: Vec::new(),
        in_walk: Vec::new(),
    };
    for (p, plan) in plans.iter().enumerate() {
        if let Some(task) = plan.judged {
            reviews.columns.push((format!("prv{p}"), task.to_string()));
            reviews.columns.push((format!("pmiss{p}"), "FALSE".into()));
            reviews.in_walk.push(None);
            continue;
        }
        let reads_stage = plan
            .met
            .iter()
            .chain(&plan.missed)
            .any(|&r| table.rows[r].when.iter().any(in_walk));
        let stg = format!("stg{p}");
        // A row's test: whole, or (reading the stage) a column of what the day decides and
        // the test of the stage at the plan's turn.
        let mut test_of = |r: usize, col: String| {
            let atoms = &table.rows[r].when;
            if !reads_stage {
                return conditions::rule(&scope, metrics, atoms)
                    .map(|(test, _)| test)
                    .map_err(|u| (u, r));
            }
            let at_turn = Scope {
                d,
                stage: Some(&stg),
                stage_names: &table.stages,
            };
            let (rest, on_stage) =
                conditions::split(&scope, &at_turn, metrics, atoms, in_walk).map_err(|u| (u, r))?;
            reviews.columns.push((col.clone(), rest));
            Ok(format!("({col} AND {on_stage})"))
        };
        let mut met = Vec::new();
        for (k, &r) in plan.met.iter().enumerate() {
            met.push((test_of(r, format!("pmt{p}_{k}"))?, r));
        }
        let mut missed = Vec::new();
        for (k, &r) in plan.missed.iter().enumerate() {
            missed.push((test_of(r, format!("pms{p}_{k}"))?, r));
        }
        let any_met = if met.is_empty() {
            "FALSE".to_string()
        } else {
            met.iter()
                .map(|(t, _)| t.as_str())
                .collect::<Vec<_>>()
                .join(" OR ")
        };
        let mut ways: Vec<String> = met
            .iter()
            .chain(&missed)
            .map(|(t, r)| format!("WHEN {t} THEN {r}"))
            .collect();
        let otherwise = plan
            .missed
            .first()
            .map_or("CAST(NULL AS INTEGER)".to_string(), |r| r.to_string());
        ways.push(format!("ELSE {otherwise}"));
        let row = format!("CASE {} END", ways.join(" "));
        let miss = if plan.missed.is_empty() {
            "FALSE".to_string()
        } else {
            format!("NOT ({any_met})")
        };
        if reads_stage {
            reviews.in_walk.push(Some((row, miss)));
        } else {
            reviews.columns.push((format!("prv{p}"), row));
            reviews.columns.push((format!("pmiss{p}"), miss));
            reviews.in_walk.push(None);
        }
    }
    Ok(reviews)
}

/// The plans' part of a walk over each pupil's school days on roll: the floor a missed review
/// sets for the rest of the academic year, and what each plan does after the stage bands and
/// triggers give over it is found.
pub struct Steps {
    /// The first level: `floor0`, the floor the day starts with (none again in a new academic
    /// year).
    pub floor: Vec<(String, String)>,
    /// The levels after the one that finds `stage0`, the stage bands and triggers give over
    /// `floor0` ([`Steps::stage_level`]).
    pub levels: Vec<Vec<(String, String)>>,
    pub carried: Vec<Carried>,
    /// The columns of the walk's days the steps read besides [`CALENDAR`]: each plan's review
    /// outcome, where it is decided outside the walk.
    pub inputs: Vec<String>,
    /// The stage the triggers see (`stage0`), the stage at the end of the day (`stage`), and
    /// per plan what it did (`pev{p}`), at which stage (`pst{p}`) and by which row (`prv{p}`).
    pub outputs: Vec<(String, &'static str, String)>,
    /// The column holding the stage at the end of the day.
    pub end_stage: String,
}

impl Steps {
    /// The level that finds `stage0` by `expr` (which reads `floor0`), and starts the floor
    /// the plans raise.
    pub fn stage_level(expr: String) -> Vec<(String, String)> {
        vec![
            ("stage0".to_string(), expr),
            ("flr0".to_string(), "floor0".to_string()),
        ]
    }
}

/// Whether another walk steps through the plans (and makes `plan_walk`): one that carries
/// the stage of the day before, which the plans raise (a band's own condition reading the
/// stage, src/sql/stage_before.rs, or a ladder's, src/sql/ladder.rs).
pub fn walked_elsewhere(table: &DecisionTable) -> bool {
    super::stage_before::band_reading_stage(table).is_some()
        || table
            .ladders
            .iter()
            .any(|l| super::ladder::reads_stage(l, table))
}

/// The calendar's columns the plans' steps read.
pub const CALENDAR: [&str; 4] = ["day", "week", "year", "first_of_week"];

/// The plans' [`Steps`], with `reviews` (src/engine/eval `State::step`, its last part).
pub fn steps(
    d: Dialect,
    table: &DecisionTable,
    plans: &[SupportPlan],
    reviews: &Reviews,
    metrics: &mut Metrics,
) -> Result<Steps, (Unsupported, usize)> {
    let floor = vec![(
        "floor0".to_string(),
        "CASE WHEN year = p_year THEN p_floor ELSE 0 END".to_string(),
    )];
    let mut levels = vec![vec![("stg0".to_string(), "stage0".to_string())]];
    // Then each plan, after the plans before it on the same day (a miss raises the stage the
    // next plan sees).
    for (p, plan) in plans.iter().enumerate() {
        let next = p + 1;
        let open_at = |metrics: &mut Metrics, col: &str| {
            let scope = Scope {
                d,
                stage: Some(col),
                stage_names: &table.stages,
            };
            conditions::rule(&scope, metrics, &table.rows[plan.open].when)
                .map(|(test, _)| test)
                .map_err(|u| (u, plan.open))
        };
        let open_now = open_at(metrics, &format!("stg{p}"))?;
        let open_after = open_at(metrics, &format!("stg{next}"))?;
        let due = format!(
            "(p_open{p} IS NOT NULL AND week >= p_open{p} + {})",
            plan.after_weeks
        );
        let review = if plan.judged.is_some() {
            REVIEWED[2].to_string()
        } else {
            format!(
                "CASE WHEN prv{p} IS NULL THEN 0 WHEN pmiss{p} THEN {} ELSE {} END",
                REVIEWED[1], REVIEWED[0]
            )
        };
        // The first school day of every Nth school week after the one the plan opened in.
        let periodic = match plan.every {
            Some((_, n)) => format!(
                " WHEN p_open{p} IS NOT NULL AND day > 0 AND first_of_week AND week > p_open{p} \
                 AND (week - p_open{p}) % {n} = 0 THEN {PERIODIC}"
            ),
            None => String::new(),
        };
        // A target reading the stage is decided at the plan's turn.
        if let Some(Some((row, miss))) = reviews.in_walk.get(p) {
            levels.push(vec![
                (format!("prv{p}"), row.clone()),
                (format!("pmiss{p}"), miss.clone()),
            ]);
        }
        levels.push(vec![
            (
                format!("pev{p}"),
                format!(
                    "CASE WHEN {due} THEN {review}{periodic} \
                     WHEN p_open{p} IS NULL AND {open_now} AND NOT p_held{p} THEN {OPENED} ELSE 0 END"
                ),
            ),
            (
                format!("flr{next}"),
                format!(
                    "CASE WHEN {due} AND pmiss{p} THEN GREATEST(flr{p}, {}) ELSE flr{p} END",
                    plan.escalate_to
                ),
            ),
        ]);
        levels.push(vec![(
            format!("stg{next}"),
            format!("GREATEST(stg{p}, flr{next})"),
        )]);
        // Whether the plan's stage holds at the end of its turn, for the next day's rising
        // edge; the week it opened, while it is open.
        levels.push(vec![
            (format!("w_held{p}"), open_after),
            (
                format!("w_open{p}"),
                format!(
                    "CASE WHEN {due} THEN NULL WHEN p_open{p} IS NOT NULL THEN p_open{p} \
                     WHEN pev{p} = {OPENED} THEN week END"
                ),
            ),
        ]);
    }
    let n = plans.len();
    let mut carried = vec![
        Carried {
            name: "floor".into(),
            ty: "INT",
            first: "0".into(),
            next: format!("flr{n}"),
        },
        Carried {
            name: "year".into(),
            ty: "INT",
            first: "-1".into(),
            next: "year".into(),
        },
    ];
    let mut outputs = vec![
        ("stage0".to_string(), "INT", "stage0".to_string()),
        ("stage".to_string(), "INT", format!("stg{n}")),
    ];
    for p in 0..n {
        carried.push(Carried {
            name: format!("open{p}"),
            ty: "INT",
            first: "NULL".into(),
            next: format!("w_open{p}"),
        });
        carried.push(Carried {
            name: format!("held{p}"),
            ty: "BOOLEAN",
            first: "FALSE".into(),
            next: format!("w_held{p}"),
        });
        // The stage at the plan's turn: after its own review's miss.
        outputs.push((format!("pev{p}"), "INT", format!("pev{p}")));
        outputs.push((format!("pst{p}"), "INT", format!("stg{}", p + 1)));
        outputs.push((format!("prv{p}"), "INT", format!("prv{p}")));
    }
    let inputs = reviews
        .columns
        .iter()
        .map(|(name, _)| name.clone())
        .collect();
    Ok(Steps {
        floor,
        levels,
        carried,
        inputs,
        outputs,
        end_stage: format!("stg{n}"),
    })
}

/// The comment naming each plan the walk steps through, with its policy line.
pub fn describe(out: &mut String, table: &DecisionTable, plans: &[SupportPlan]) {
    let _ = writeln!(
        out,
        "-- Support plans, day by day: the floor a missed review sets for the rest of the\n\
         -- academic year, the stage the triggers see (stage0) and the day's last (stage), and\n\
         -- what each plan did (pev: 1 opened, 2 target met, 3 missed, 4 review task, 5 periodic)."
    );
    for (p, plan) in plans.iter().enumerate() {
        let row = &table.rows[plan.open];
        let stage = |rank: usize| table.stages.get(rank).map_or("", String::as_str);
        let outcome = if plan.judged.is_some() {
            "a review task, for staff to judge".to_string()
        } else {
            format!("a miss moves to `{}`", stage(plan.escalate_to))
        };
        let _ = writeln!(
            out,
            "-- plan {p}: {}:{} `{}` at `{}`, reviewed after {} school weeks: {outcome}",
            row.source.file,
            row.source.line,
            row.rule,
            row.stage.as_deref().unwrap_or(""),
            plan.after_weeks,
        );
    }
}

/// `plan_walk`: per pupil and school day on roll (`plan_days`, with `fix{f}`: the stage
/// bands and triggers give over a floor of `f`), the plans' [`Steps`] and their outputs.
pub fn walk(
    out: &mut String,
    d: Dialect,
    table: &DecisionTable,
    plans: &[SupportPlan],
    reviews: &Reviews,
    metrics: &mut Metrics,
) -> Result<(), (Unsupported, usize)> {
    let floors = floors(plans);
    let fix: Vec<String> = floors
        .iter()
        .filter(|&&f| f != 0)
        .map(|f| format!("WHEN {f} THEN fix{f}"))
        .collect();
    let stage0 = if fix.is_empty() {
        "fix0".to_string()
    } else {
        format!("CASE floor0 {} ELSE fix0 END", fix.join(" "))
    };
    let steps = steps(d, table, plans, reviews, metrics)?;
    let mut levels = vec![steps.floor, Steps::stage_level(stage0)];
    levels.extend(steps.levels);
    let inputs: Vec<String> = CALENDAR
        .iter()
        .map(|c| (*c).to_string())
        .chain(floors.iter().map(|f| format!("fix{f}")))
        .chain(steps.inputs)
        .collect();
    let outputs = std::iter::once(("w_day".to_string(), "INT", "day".to_string()))
        .chain(steps.outputs)
        .collect();
    describe(out, table, plans);
    Walk {
        table: "plan_walk".into(),
        prefix: "w_".into(),
        days: "plan_days".into(),
        seq: "pseq".into(),
        inputs,
        carried: steps.carried,
        levels,
        outputs,
    }
    .write(out, d);
    Ok(())
}

/// A firing of a plan the walk reports: its row (a column or a number), evidence, the test of
/// `day_state` that picks its days, and what it is, with the policy line it comes from.
pub struct PlanFiring {
    pub row: String,
    pub evidence: String,
    pub when: String,
    pub what: &'static str,
    pub line: usize,
}

/// Plan `p`'s firings: its opening, its review (met, missed or the task staff judge), its
/// periodic actions; the evidence read at the stage of its turn (`pst{p}`).
pub fn events(
    d: Dialect,
    table: &DecisionTable,
    p: usize,
    plan: &SupportPlan,
    metrics: &mut Metrics,
) -> Result<Vec<PlanFiring>, (Unsupported, usize)> {
    let pst = format!("pst{p}");
    let scope = Scope {
        d,
        stage: Some(&pst),
        stage_names: &table.stages,
    };
    let mut texts = Vec::new();
    let outcomes = plan.judged.iter().chain(&plan.met).chain(&plan.missed);
    for &r in outcomes {
        let (_, text) =
            conditions::rule(&scope, metrics, &table.rows[r].when).map_err(|u| (u, r))?;
        texts.push(format!("WHEN {r} THEN {text}"));
    }
    let (_, opened) = conditions::rule(&scope, metrics, &table.rows[plan.open].when)
        .map_err(|u| (u, plan.open))?;
    let [met, missed, judged] = REVIEWED;
    let mut events = vec![
        PlanFiring {
            row: plan.open.to_string(),
            evidence: opened,
            when: format!("pev{p} = {OPENED}"),
            what: "opens",
            line: plan.open,
        },
        PlanFiring {
            row: format!("prv{p}"),
            evidence: if texts.is_empty() {
                "''".to_string()
            } else {
                format!("CASE prv{p} {} ELSE '' END", texts.join(" "))
            },
            when: format!("pev{p} IN ({met}, {missed}, {judged})"),
            what: "review",
            line: plan.open,
        },
    ];
    if let Some((r, _)) = plan.every {
        events.push(PlanFiring {
            row: r.to_string(),
            evidence: "''".to_string(),
            when: format!("pev{p} = {PERIODIC}"),
            what: "periodic actions",
            line: r,
        });
    }
    Ok(events)
}
