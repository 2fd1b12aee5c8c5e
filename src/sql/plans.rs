//! Support plans (src/engine/eval `State::step`, its last part) as a recursive walk over each
//! pupil's school days on roll: a plan opens when the pupil reaches its stage, is reviewed
//! after its school weeks, and a missed target raises the stage for the rest of the academic
//! year, which every later rule reads. DuckDB only: Spark 4.0 has no recursive query.

use std::fmt::Write as _;

use super::conditions::{self, Scope, Unsupported};
use super::dialect::Dialect;
use super::metrics::Metrics;
use crate::table::{DecisionTable, Event, RowKind};

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

/// The review's outcome row (`prv{p}`, a table row) and whether it is a missed target
/// (`pmiss{p}`), as columns over `day_values`: the first met row that holds, else the first
/// missed row that holds, else the first missed row (src/engine/eval: a target not shown met
/// is missed).
pub fn review_columns(
    d: Dialect,
    table: &DecisionTable,
    plans: &[SupportPlan],
    metrics: &mut Metrics,
) -> Result<Vec<String>, (Unsupported, usize)> {
    let scope = Scope {
        d,
        stage: None,
        stage_names: &table.stages,
    };
    let mut cols = Vec::new();
    for (p, plan) in plans.iter().enumerate() {
        if let Some(task) = plan.judged {
            cols.push(format!("{task} AS prv{p}, FALSE AS pmiss{p}"));
            continue;
        }
        let mut met = Vec::new();
        for &r in &plan.met {
            let (test, _) =
                conditions::rule(&scope, metrics, &table.rows[r].when).map_err(|u| (u, r))?;
            met.push((test, r));
        }
        let mut missed = Vec::new();
        for &r in &plan.missed {
            let (test, _) =
                conditions::rule(&scope, metrics, &table.rows[r].when).map_err(|u| (u, r))?;
            missed.push((test, r));
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
        let miss = if plan.missed.is_empty() {
            "FALSE".to_string()
        } else {
            format!("NOT ({any_met})")
        };
        cols.push(format!(
            "CASE {} END AS prv{p},\n  {miss} AS pmiss{p}",
            ways.join(" ")
        ));
    }
    Ok(cols)
}

/// `plan_walk`: per pupil and school day on roll (`plan_days`, with `fix{f}`: the stage
/// bands and triggers give over a floor of `f`), the stage the triggers see (`stage0`), the
/// stage at the end of the day (`stage`), and per plan what it did (`pev{p}`), at which
/// stage (`pst{p}`) and by which row (`prv{p}`).
pub fn walk(
    out: &mut String,
    d: Dialect,
    table: &DecisionTable,
    plans: &[SupportPlan],
    metrics: &mut Metrics,
) -> Result<(), (Unsupported, usize)> {
    let fix: Vec<String> = floors(plans)
        .iter()
        .filter(|&&f| f != 0)
        .map(|f| format!("WHEN {f} THEN fix{f}"))
        .collect();
    let stage0 = if fix.is_empty() {
        "fix0".to_string()
    } else {
        format!("CASE floor0 {} ELSE fix0 END", fix.join(" "))
    };
    // Level 0: the floor (none again in a new academic year) and the stage it gives.
    let mut query = format!(
        "SELECT *, {stage0} AS stage0, {stage0} AS stg0, floor0 AS flr0\n    \
         FROM (SELECT *, CASE WHEN year = p_year THEN p_floor ELSE 0 END AS floor0\n    \
         FROM (SELECT i.*, {{prev}}\n    {{from}}) AS l0) AS l1"
    );
    // Level p + 1: plan p, after the plans before it on the same day (a miss raises the
    // stage the next plan sees).
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
                "\n      WHEN p_open{p} IS NOT NULL AND day > 0 AND first_of_week AND week > p_open{p} \
                 AND (week - p_open{p}) % {n} = 0 THEN {PERIODIC}"
            ),
            None => String::new(),
        };
        query = format!(
            "SELECT *,\n    \
             {open_after} AS w_held{p},\n    \
             CASE WHEN {due} THEN NULL WHEN p_open{p} IS NOT NULL THEN p_open{p}\n      \
             WHEN pev{p} = {OPENED} THEN week END AS w_open{p}\n    \
             FROM (SELECT *, GREATEST(stg{p}, flr{next}) AS stg{next}, GREATEST(stg{p}, flr{next}) AS pst{p}\n    \
             FROM (SELECT *,\n    \
             CASE WHEN {due} THEN {review}{periodic}\n      \
             WHEN p_open{p} IS NULL AND {open_now} AND NOT p_held{p} THEN {OPENED} ELSE 0 END AS pev{p},\n    \
             CASE WHEN {due} AND pmiss{p} THEN GREATEST(flr{p}, {to}) ELSE flr{p} END AS flr{next}\n    \
             FROM ({query}) AS a{p}) AS b{p}) AS c{p}",
            to = plan.escalate_to,
        );
    }
    let n = plans.len();
    // The state carried to the next day: its name, its value before the first day, and the
    // column of the day's last level that holds it.
    let mut carry = vec![
        ("floor".to_string(), "CAST(0 AS INTEGER)", format!("flr{n}")),
        (
            "year".to_string(),
            "CAST(-1 AS INTEGER)",
            "year".to_string(),
        ),
    ];
    for p in 0..n {
        carry.push((
            format!("open{p}"),
            "CAST(NULL AS INTEGER)",
            format!("w_open{p}"),
        ));
        carry.push((format!("held{p}"), "FALSE", format!("w_held{p}")));
    }
    let outputs: Vec<String> = (0..n).map(|p| format!("pev{p}, pst{p}, prv{p}")).collect();
    let kept: Vec<String> = carry
        .iter()
        .map(|(c, _, last)| format!("{last} AS n_{c}"))
        .collect();
    let step = |from: &str, prev: &str| {
        format!(
            "SELECT pupil_id AS w_pupil, day AS w_day, pseq AS w_seq, stage0, stg{n} AS stage,\n    \
             {},\n    {}\n  FROM ({}) AS z",
            outputs.join(", "),
            kept.join(", "),
            query.replace("{prev}", prev).replace("{from}", from)
        )
    };
    let first: Vec<String> = carry
        .iter()
        .map(|(c, first, _)| format!("{first} AS p_{c}"))
        .collect();
    let next: Vec<String> = carry
        .iter()
        .map(|(c, _, _)| format!("w.n_{c} AS p_{c}"))
        .collect();
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
    let _ = writeln!(out, "{}", d.create("plan_walk"));
    let _ = writeln!(
        out,
        "WITH RECURSIVE w AS (\n  {}\n  UNION ALL\n  {}\n)\nSELECT * FROM w;\n",
        step("FROM plan_days AS i WHERE i.pseq = 1", &first.join(", ")),
        step(
            "FROM w JOIN plan_days AS i ON i.pupil_id = w.w_pupil AND i.pseq = w.w_seq + 1",
            &next.join(", ")
        ),
    );
    Ok(())
}
