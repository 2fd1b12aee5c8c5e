//! Triggers whose condition reads `notices_issued(N years)`: whether one holds today depends
//! on the penalty notices the run asked for on earlier days, its own among them, so their days
//! are found by a walk over each pupil's school days on roll (src/sql/walk.rs), which also
//! carries what their schedules and limits read, and, where a rule asking for notices reads
//! the stage that a trigger reading them sets, finds the stage (the engine's fixed point).

use std::fmt::Write as _;

use super::conditions::{self, Scope, Unsupported};
use super::dialect::Dialect;
use super::metrics::Metrics;
use super::walk::{Carried, Walk};
use crate::model::{CountMetric, Repeat};
use crate::table::{Atom, DecisionTable, Row};

/// The action `notices_issued(...)` counts, as the table writes it (the engine's
/// `notices::NOTICE_ACTION`; this stage knows nothing of the engine).
pub const NOTICE_ACTION: &str = "consider:penalty_notice";

/// The column of the stage the walk finds (when it finds it, `stage_passes`), as the rows it
/// fires read it.
pub const WALK_STAGE: &str = "wstage";

/// A trigger, escalation step or band entry that reads `notices_issued(...)`: whether it holds
/// today depends on the notices the run asked for on earlier days, its own among them.
pub struct WalkedRule {
    /// Its rows, each with its test and evidence.
    pub rows: Vec<(usize, (String, String))>,
    /// Per row, its test in two parts: what the day's columns decide, and what reads the
    /// notices.
    pub parts: Vec<(String, String)>,
    /// When it fires again while it holds (src/engine/eval `fires`): a rising edge, `on each`,
    /// `once per`, `repeat every`, `not again within`.
    pub repeat: Repeat,
    /// The calendar column `look{j}` of the days it is looked at, if not every day.
    pub look: Option<usize>,
    /// Its actions ask for a penalty notice.
    pub asks: bool,
    /// The N of the `notices_issued(N years)` it reads.
    pub read: Vec<u32>,
    /// The column of the stage it fires at.
    pub stage: String,
    /// A band's entry: it fires on the day the pupil enters the band, whatever held the day
    /// before (src/engine/eval reads no `was` for an entry).
    pub entry: bool,
    /// The walked rule whose last firing its limit reads and sets: its own place, or that of
    /// the first entry of its band (a band's entries share the band's limit).
    pub last: usize,
    /// The stage rank it puts the pupil in while it holds (a trigger with a stage).
    pub raises: Option<usize>,
    /// Per row, its two parts at the day's final stage, when it holds at the fixed point's
    /// last pass (`parts`) but fires only by a row holding at the final stage; empty when
    /// the two are one.
    pub found: Vec<(String, String)>,
    /// Where the walk finds the stage, for a trigger setting one: per pass of the fixed
    /// point, per row, what reads the stage (`ws{pass}`) or the notices.
    pub passes: Vec<Vec<String>>,
}

/// The firings outside the walk (by their `fire_ord`) recorded at the day's stage and at the
/// stage of the day before, which a walked trigger setting a stage raises.
pub struct Staged {
    pub today: Vec<usize>,
    pub before: Vec<usize>,
}

/// A row's condition in two parts: what the day's columns decide (computed before the walk),
/// and what reads the notices (decided in it).
pub fn split(
    scope: &Scope<'_>,
    metrics: &mut Metrics,
    atoms: &[Atom],
) -> Result<(String, String), Unsupported> {
    conditions::split(scope, scope, metrics, atoms, |a| {
        reads_notices(std::slice::from_ref(a))
    })
}

/// Whether a walk that counts the notices decides an atom: the stage, or the notices.
pub fn in_walk(atom: &Atom) -> bool {
    conditions::is_stage(atom) || reads_notices(std::slice::from_ref(atom))
}

/// A row's condition in two parts where a walk counts the notices and carries the stage:
/// what the day's columns decide, and what reads the notices or the stage (as the column
/// `stage`: a pass of the fixed point, `ws{pass}`, or the stage of the day before), decided
/// in it.
pub fn split_in_walk(
    d: Dialect,
    stages: &[String],
    stage: &str,
    metrics: &mut Metrics,
    atoms: &[Atom],
) -> Result<(String, String), Unsupported> {
    let day = Scope {
        d,
        stage: None,
        stage_names: stages,
    };
    let walk = Scope {
        d,
        stage: Some(stage),
        stage_names: stages,
    };
    conditions::split(&day, &walk, metrics, atoms, in_walk)
}

/// Whether a row's actions ask for a penalty notice.
pub fn asks(row: &Row) -> bool {
    row.actions.iter().any(|a| a.action == NOTICE_ACTION)
}

/// `{col} IN (...)` over the rows asking for a penalty notice, or `1 = 0` where none asks.
pub fn asked_by(table: &DecisionTable, col: &str) -> String {
    let rows = asking_rows(table);
    if rows.is_empty() {
        "1 = 0".to_string()
    } else {
        format!("{col} IN ({})", rows.join(", "))
    }
}

/// The rows of a table asking for a penalty notice, as `row_id`s.
pub fn asking_rows(table: &DecisionTable) -> Vec<String> {
    table
        .rows
        .iter()
        .enumerate()
        .filter(|(_, row)| asks(row))
        .map(|(r, _)| r.to_string())
        .collect()
}

/// Whether a row's condition reads `notices_issued(...)`.
pub fn reads_notices(atoms: &[Atom]) -> bool {
    let notices = |m: &CountMetric| matches!(m, CountMetric::NoticesIssued { .. });
    atoms.iter().any(|a| match a {
        Atom::Count { metric, .. } => notices(metric),
        Atom::Share { lhs, rhs, .. } => notices(lhs) || notices(rhs),
        _ => false,
    })
}

/// `notices{n}`: the notices asked for from the same date `n` years before up to the day
/// before, of the dates a walk carries (`p_dates`), as the engine's `notices::count`.
pub fn count(d: Dialect, n: u32) -> (String, String) {
    let from = d.years_before("date", n);
    let count = match d {
        Dialect::DuckDb => {
            format!("CAST(len(list_filter(p_dates, x -> x >= {from} AND x < date)) AS BIGINT)")
        }
        Dialect::Spark => {
            format!("CAST(size(filter(p_dates, x -> x >= {from} AND x < date)) AS BIGINT)")
        }
    };
    (format!("notices{n}"), count)
}

/// The dates a walk carries (`dates`), with today's once for each notice `asked` today.
pub fn dates(d: Dialect, asked: &str) -> ((String, String), Carried) {
    let next = (
        "w_dates".to_string(),
        match d {
            Dialect::DuckDb => format!(
                "list_concat(p_dates, list_transform(range(CAST({asked} AS BIGINT)), x -> date))"
            ),
            Dialect::Spark => format!("concat(p_dates, array_repeat(date, CAST({asked} AS INT)))"),
        },
    );
    let carried = Carried {
        name: "dates".into(),
        ty: match d {
            Dialect::DuckDb => "DATE[]",
            Dialect::Spark => "ARRAY<DATE>",
        },
        first: match d {
            Dialect::DuckDb => "[]".into(),
            Dialect::Spark => "array()".into(),
        },
        next: "w_dates".into(),
    };
    (next, carried)
}

/// The walked rules' part of a walk: per rule whether it holds today (`h{k}`, and `rf{k}` by a
/// row at the day's final stage), whether it fires (`f{k}`), what its limit and edge carry to
/// the next day, and the notices its firings ask for. Every name the part makes begins with
/// `tag`, so a walk stepping through other rules too (src/sql/noticed.rs) keeps them apart.
pub struct Firings {
    pub holds: Vec<(String, String)>,
    pub fires: Vec<(String, String)>,
    /// After every rule has fired: the last firing each limit reads.
    pub lasts: Vec<(String, String)>,
    /// The day's columns it reads: each rule's parts (`pre{k}_{j}`, `pref{k}_{j}`)...
    pub inputs: Vec<String>,
    /// ...and the calendar's.
    pub calendar: Vec<String>,
    pub carried: Vec<Carried>,
    /// Whether each rule fires (`w_fire{k}`).
    pub outputs: Vec<(String, &'static str, String)>,
    /// Per rule asking for a penalty notice, 1 on a day it fires.
    pub asked: Vec<String>,
}

/// The [`Firings`] of `walks`, as the engine's trigger loop fires them (src/engine/eval
/// `fires`).
pub fn firings(walks: &[WalkedRule], tag: &str) -> Firings {
    let mut rules = Firings {
        holds: Vec::new(),
        fires: Vec::new(),
        lasts: Vec::new(),
        inputs: Vec::new(),
        calendar: Vec::new(),
        carried: Vec::new(),
        outputs: Vec::new(),
        asked: Vec::new(),
    };
    let calendar = &mut rules.calendar;
    let mut read_calendar = |col: String| {
        if !calendar.contains(&col) {
            calendar.push(col);
        }
    };
    for (k, w) in walks.iter().enumerate() {
        let mut ways = Vec::new();
        for (j, (_, within)) in w.parts.iter().enumerate() {
            rules.inputs.push(format!("{tag}pre{k}_{j}"));
            ways.push(format!("({tag}pre{k}_{j} AND {within})"));
        }
        let holds = if ways.is_empty() {
            "FALSE".to_string()
        } else {
            ways.join(" OR ")
        };
        rules
            .holds
            .push((format!("{tag}h{k}"), format!("({holds})")));
        let mut found = Vec::new();
        for (j, (_, within)) in w.found.iter().enumerate() {
            rules.inputs.push(format!("{tag}pref{k}_{j}"));
            found.push(format!("({tag}pref{k}_{j} AND {within})"));
        }
        if !found.is_empty() {
            rules
                .holds
                .push((format!("{tag}rf{k}"), format!("({})", found.join(" OR "))));
        }
        // As the engine's trigger loop: a trigger looked at on some days only is neither
        // fired nor changed on the rest, and a look at a period's end stands alone (what held
        // at the look before does not carry).
        let (looked, was) = match w.look {
            Some(j) => {
                read_calendar(format!("look{j}"));
                (
                    format!("look{j} > 0 AND "),
                    format!("(p_{tag}held{k} AND look{j} <> 1)"),
                )
            }
            None => (String::new(), format!("p_{tag}held{k}")),
        };
        let g = w.last;
        // What a limit reads of the last firing: its school week, or its period's ordinal.
        let (again, last) = match w.repeat {
            Repeat::RisingEdge => (format!("NOT {was}"), None),
            Repeat::Each => (String::new(), None),
            Repeat::OncePer(p) => {
                let col = super::calendar::period_column(p);
                read_calendar(col.into());
                (
                    format!("(p_{tag}last{g} IS NULL OR {col} <> p_{tag}last{g})"),
                    Some(col),
                )
            }
            Repeat::Every { school_weeks } => {
                read_calendar("week".into());
                (
                    format!(
                        "(NOT {was} OR p_{tag}last{g} IS NULL OR week >= p_{tag}last{g} + {school_weeks})"
                    ),
                    Some("week"),
                )
            }
            Repeat::NotWithin { school_weeks } => {
                read_calendar("week".into());
                let since =
                    format!("(p_{tag}last{g} IS NULL OR week >= p_{tag}last{g} + {school_weeks})");
                (
                    // A band's entry reads nothing of the day before.
                    if w.entry {
                        since
                    } else {
                        format!("(NOT {was} AND {since})")
                    },
                    Some("week"),
                )
            }
        };
        let fires = if again.is_empty() {
            format!("{looked}{tag}h{k}")
        } else {
            format!("{looked}{tag}h{k} AND {again}")
        };
        let fires = if w.found.is_empty() {
            fires
        } else {
            format!("{fires} AND {tag}rf{k}")
        };
        rules.fires.push((format!("{tag}f{k}"), fires));
        if w.asks {
            rules
                .asked
                .push(format!("CASE WHEN {tag}f{k} THEN 1 ELSE 0 END"));
        }
        // `on each` (an escalation step, a band's entry) reads nothing of the day before.
        if !w.entry && (w.repeat != Repeat::Each || w.look.is_some()) {
            rules.carried.push(Carried {
                name: format!("{tag}held{k}"),
                ty: "BOOLEAN",
                first: "FALSE".into(),
                next: match w.look {
                    Some(_) => format!("{tag}w_held{k}"),
                    None => format!("{tag}h{k}"),
                },
            });
        }
        if let Some(j) = w.look {
            rules.fires.push((
                format!("{tag}w_held{k}"),
                format!("CASE WHEN look{j} > 0 THEN {tag}h{k} ELSE p_{tag}held{k} END"),
            ));
        }
        if let Some(col) = last
            && g == k
        {
            // Set when it, or any rule sharing its limit, fires (at level 3, after them all).
            let sharing: Vec<String> = walks
                .iter()
                .enumerate()
                .filter(|(_, x)| x.last == k)
                .map(|(j, _)| format!("{tag}f{j}"))
                .collect();
            rules.lasts.push((
                format!("{tag}w_last{k}"),
                format!(
                    "CASE WHEN {} THEN {col} ELSE p_{tag}last{k} END",
                    sharing.join(" OR ")
                ),
            ));
            rules.carried.push(Carried {
                name: format!("{tag}last{k}"),
                ty: "INT",
                first: "NULL".into(),
                next: format!("{tag}w_last{k}"),
            });
        }
        rules
            .outputs
            .push((format!("{tag}w_fire{k}"), "BOOLEAN", format!("{tag}f{k}")));
    }
    rules
}

/// What the day's columns decide of each walked rule's rows (`{tag}pre{k}_{j}`, and at the
/// day's final stage `{tag}pref{k}_{j}`), as columns of the walk's days.
pub fn day_parts(walks: &[WalkedRule], tag: &str) -> Vec<String> {
    walks
        .iter()
        .enumerate()
        .flat_map(|(k, w)| {
            w.parts
                .iter()
                .enumerate()
                .map(move |(j, (before, _))| format!("{before} AS {tag}pre{k}_{j}"))
                .chain(
                    w.found
                        .iter()
                        .enumerate()
                        .map(move |(j, (before, _))| format!("{before} AS {tag}pref{k}_{j}")),
                )
        })
        .collect()
}

/// The triggers reading `notices_issued(...)`: a walk over each pupil's school days on roll
/// (a recursive query, src/engine/eval `notices`), carrying the dates of the penalty notices
/// asked for so far (by the other rules, from `fired_base`, and by these triggers), whether
/// each trigger held at its last look and when it last fired (its limit); then `fired`, all
/// the firings.
pub fn walk(
    out: &mut String,
    d: Dialect,
    table: &DecisionTable,
    walks: &[WalkedRule],
    walked: &[(usize, usize, String)],
    staged: &Staged,
    stage_passes: Option<usize>,
) {
    let asked_rows = asked_by(table, "row_id");
    let mut read: Vec<u32> = walks.iter().flat_map(|w| w.read.iter().copied()).collect();
    read.sort_unstable();
    read.dedup();
    let mut levels = vec![Vec::new(), Vec::new(), Vec::new(), Vec::new()];
    // The notices asked for in each period read, before today.
    for n in &read {
        levels[0].push(count(d, *n));
    }
    let mut asked = vec!["asked_before".to_string()];
    let mut inputs = vec!["date".to_string(), "asked_before".to_string()];
    // Where the walk finds the stage: the engine's fixed point, from the stage the rules
    // outside the walk give (`walk_base`), each pass raising it by the walked triggers
    // setting one that hold at the stage of the pass before.
    let mut passes_levels = Vec::new();
    if let Some(passes) = stage_passes {
        inputs.push("walk_base".into());
        levels[0].push(("ws0".into(), "walk_base".into()));
        for k in 0..passes {
            let mut parts = vec!["walk_base".to_string(), "0".to_string()];
            for (t, w) in walks.iter().enumerate() {
                let (Some(rank), Some(within)) = (w.raises, w.passes.get(k)) else {
                    continue;
                };
                let ways: Vec<String> = within
                    .iter()
                    .enumerate()
                    .map(|(j, test)| format!("(pre{t}_{j} AND {test})"))
                    .collect();
                if !ways.is_empty() {
                    parts.push(format!(
                        "CASE WHEN {} THEN {rank} ELSE 0 END",
                        ways.join(" OR ")
                    ));
                }
            }
            passes_levels.push(vec![(
                format!("ws{}", k + 1),
                format!("GREATEST({})", parts.join(", ")),
            )]);
        }
    }
    let rules = firings(walks, "");
    levels[1].extend(rules.holds);
    levels[2].extend(rules.fires);
    levels[3].extend(rules.lasts);
    inputs.extend(rules.inputs);
    asked.extend(rules.asked);
    let mut carried = rules.carried;
    let mut outputs = rules.outputs;
    // The stage the triggers setting one give while they hold, whether looked at today or
    // not (the engine's fixed point reads every trigger every day), and that of the day before.
    let raising: Vec<String> = walks
        .iter()
        .enumerate()
        .filter_map(|(k, w)| Some(format!("CASE WHEN h{k} THEN {} ELSE 0 END", w.raises?)))
        .collect();
    let raises = !raising.is_empty() && stage_passes.is_none();
    if raises {
        levels[2].push((
            "w_raise".into(),
            format!("GREATEST(0, {})", raising.join(", ")),
        ));
        carried.push(Carried {
            name: "raise".into(),
            ty: "INT",
            first: "0".into(),
            next: "w_raise".into(),
        });
        outputs.push(("w_raise".into(), "INT", "w_raise".into()));
        outputs.push(("w_raise_before".into(), "INT", "p_raise".into()));
    }
    if let Some(passes) = stage_passes {
        carried.push(Carried {
            name: "st".into(),
            ty: "INT",
            first: "0".into(),
            next: format!("ws{passes}"),
        });
        outputs.push(("w_stage".into(), "INT", format!("ws{passes}")));
        outputs.push(("w_stage_before".into(), "INT", "p_st".into()));
    }
    inputs.extend(rules.calendar);
    // Today's date once for each notice asked for today.
    let (dates, carried_dates) = dates(d, &asked.join(" + "));
    levels[3].push(dates);
    carried.push(carried_dates);
    for n in &read {
        outputs.push((format!("w_notices{n}"), "BIGINT", format!("notices{n}")));
    }
    let pre = day_parts(walks, "");
    let _ = writeln!(
        out,
        "-- Each school day on roll, numbered, with the penalty notices the rules outside the\n\
         -- walk asked for that day, and what the day decides of each walked trigger's rows (pre)."
    );
    let _ = writeln!(out, "{}", d.create("walk_days"));
    let _ = writeln!(
        out,
        "SELECT s.*, ROW_NUMBER() OVER (PARTITION BY s.pupil_id ORDER BY s.day) AS walk_seq,\n  \
         COALESCE(b.asked, 0) AS asked_before{}\n\
         FROM day_state AS s\n\
         LEFT JOIN (SELECT pupil_id, day, COUNT(*) AS asked FROM fired_base WHERE {asked_rows}\n  \
         GROUP BY pupil_id, day) AS b ON b.pupil_id = s.pupil_id AND b.day = s.day;\n",
        pre.iter().map(|p| format!(",\n  {p}")).collect::<String>()
    );
    let _ = writeln!(
        out,
        "-- The walk: day by day, the notices asked for in each period read, which triggers hold\n\
         -- and which fire."
    );
    Walk {
        table: "walk".into(),
        prefix: "w_".into(),
        days: "walk_days".into(),
        seq: "walk_seq".into(),
        inputs,
        carried,
        levels: {
            let mut all = levels;
            let rest = all.split_off(1);
            all.extend(passes_levels);
            all.extend(rest);
            all
        },
        outputs,
    }
    .write(out, d);
    let _ = writeln!(
        out,
        "-- Every rule that fired: those of `fired_base` and the triggers of the walk."
    );
    if raises {
        let _ = writeln!(
            out,
            "-- Per school day on roll, the stage the triggers setting one in the walk give, and
             -- that of the day before: every stage the day records is raised to it."
        );
        let _ = writeln!(out, "{}", d.create("day_raise"));
        let _ = writeln!(
            out,
            "SELECT i.pupil_id, i.day, w.w_raise AS raise, w.w_raise_before AS raise_before
             FROM walk AS w JOIN walk_days AS i ON i.pupil_id = w.w_pupil AND i.walk_seq = w.w_seq;
"
        );
    }
    if stage_passes.is_some() {
        let _ = writeln!(
            out,
            "-- Per school day on roll, the stage the walk finds, and that of the day before: the\n\
             -- stage every firing of the day (and a band's entry the day after) is recorded at."
        );
        let _ = writeln!(out, "{}", d.create("day_raise"));
        let _ = writeln!(
            out,
            "SELECT i.pupil_id, i.day, w.w_stage AS stage, w.w_stage_before AS stage_before\n\
             FROM walk AS w JOIN walk_days AS i ON i.pupil_id = w.w_pupil AND i.walk_seq = w.w_seq;\n"
        );
    }
    let _ = writeln!(out, "{}", d.create("fired"));
    let raised = |ords: &[usize]| {
        ords.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let stage_found = stage_passes.is_some();
    let base = if (raises || stage_found) && !(staged.today.is_empty() && staged.before.is_empty())
    {
        // Raised by the walk's triggers, or, where the walk finds the stage, its stage.
        let (today, before) = if stage_found {
            (
                "COALESCE(r.stage, f.stage_rank)",
                "COALESCE(r.stage_before, f.stage_rank)",
            )
        } else {
            (
                "GREATEST(f.stage_rank, COALESCE(r.raise, 0))",
                "GREATEST(f.stage_rank, COALESCE(r.raise_before, 0))",
            )
        };
        let mut cases = String::new();
        if !staged.today.is_empty() {
            let _ = write!(
                cases,
                " WHEN f.fire_ord IN ({}) THEN {today}",
                raised(&staged.today)
            );
        }
        if !staged.before.is_empty() {
            let _ = write!(
                cases,
                " WHEN f.fire_ord IN ({}) THEN {before}",
                raised(&staged.before)
            );
        }
        format!(
            "SELECT f.pupil_id, f.day, f.date, f.row_id, f.fire_ord,
               CASE{cases} ELSE f.stage_rank END AS stage_rank, f.evidence
             FROM fired_base AS f LEFT JOIN day_raise AS r ON r.pupil_id = f.pupil_id AND r.day = f.day"
        )
    } else {
        "SELECT pupil_id, day, date, row_id, fire_ord, stage_rank, evidence FROM fired_base"
            .to_string()
    };
    let mut selects = vec![base];
    let mut notices: Vec<String> = read
        .iter()
        .map(|n| format!("w.w_notices{n} AS notices{n}"))
        .collect();
    if raises {
        notices.push("w.w_raise AS raise".into());
        notices.push("w.w_raise_before AS raise_before".into());
    }
    if stage_found {
        notices.push(format!("w.w_stage AS {WALK_STAGE}"));
        notices.push(format!("w.w_stage_before AS {WALK_STAGE}_before"));
    }
    for (ord, k, comment) in walked {
        let w = &walks[*k];
        let rows: Vec<String> = w
            .rows
            .iter()
            .map(|(r, (t, _))| format!("WHEN {t} THEN {r}"))
            .collect();
        let texts: Vec<String> = w
            .rows
            .iter()
            .map(|(_, (t, e))| format!("WHEN {t} THEN {e}"))
            .collect();
        if rows.is_empty() {
            continue;
        }
        selects.push(format!(
            "-- {comment}\n\
             SELECT pupil_id, day, date, CASE {} END AS row_id, {ord} AS fire_ord, {} AS stage_rank,\n  \
             CASE {} END AS evidence\n\
             FROM (SELECT i.*, {}w.w_fire{k} AS walk_fires\n  \
             FROM walk AS w JOIN walk_days AS i ON i.pupil_id = w.w_pupil AND i.walk_seq = w.w_seq) AS x\n\
             WHERE walk_fires",
            rows.join(" "),
            match w.stage.as_str() {
                "stage" if stage_found => WALK_STAGE.to_string(),
                "stage_before" if stage_found => format!("{WALK_STAGE}_before"),
                "stage" if raises => "GREATEST(stage, raise)".to_string(),
                "stage_before" if raises => "GREATEST(stage_before, raise_before)".to_string(),
                stage => stage.to_string(),
            },
            texts.join(" "),
            notices
                .iter()
                .map(|n| format!("{n}, "))
                .collect::<String>(),
        ));
    }
    let _ = writeln!(out, "{};\n", selects.join("\nUNION ALL\n"));
}

#[cfg(test)]
mod tests {
    /// The walk counts the notices the engine counts.
    #[test]
    fn the_notice_action_is_the_engines() {
        assert_eq!(super::NOTICE_ACTION, crate::engine::notices::NOTICE_ACTION);
    }
}
