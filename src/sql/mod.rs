//! `attend compile --format sql`: the decision table as one SQL script for DuckDB or Spark
//! that, over tables `register` and `pupils`, makes `actions` and `summary` as `attend run`
//! writes them (docs/sql.md; notes in sql-interface). A construct the compiler does not express yet
//! is a located error, never SQL that answers differently.

mod asked;
mod bands;
mod calendar;
mod conditions;
mod dialect;
mod fired;
mod ids;
mod ladder;
mod limits;
mod lookups;
mod merge;
mod metrics;
mod noticed;
mod notices;
mod plans;
mod rules;
mod stage_before;
mod walk;

use std::fmt::Write as _;

pub use dialect::Dialect;

use crate::diagnostic::{Diagnostic, Problem};
use crate::source::Loc;
use crate::table::{DecisionTable, SchoolDays};
use conditions::Scope;
use metrics::Metrics;

/// The SQL stage's problems.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum SqlError {
    #[error(
        "{construct} is not compiled to {dialect} SQL yet: no script is written rather than one that answers differently"
    )]
    Unsupported { construct: String, dialect: Dialect },
    #[error("the calendar has no school days, so there is no calendar table to write")]
    NoSchoolDays,
}

impl Problem for SqlError {
    fn code(&self) -> &'static str {
        match self {
            SqlError::Unsupported { .. } => "sql::unsupported",
            SqlError::NoSchoolDays => "sql::no_school_days",
        }
    }

    fn help(&self) -> Option<String> {
        match self {
            SqlError::Unsupported { .. } => Some(
                "run this policy with `attend run`; docs/sql.md lists what the SQL compiler expresses"
                    .into(),
            ),
            SqlError::NoSchoolDays => Some("give a calendar with `--calendar FILE`".into()),
        }
    }

    fn label(&self) -> Option<String> {
        match self {
            SqlError::Unsupported { .. } => Some("not compiled to SQL yet".into()),
            SqlError::NoSchoolDays => None,
        }
    }
}

/// The script for `dialect`, or the constructs it does not express yet, each where it is written.
pub fn compile(
    table: &DecisionTable,
    days: &SchoolDays,
    dialect: Dialect,
    policy: &Loc,
) -> Result<String, Vec<Diagnostic>> {
    let unsupported =
        |construct: String, loc: &Loc| SqlError::Unsupported { construct, dialect }.at(loc);
    if days.is_empty() {
        return Err(vec![SqlError::NoSchoolDays.at(policy)]);
    }
    let mut metrics = Metrics::of(table);
    // The rules' SQL is written first, so every metric they read is known when the tables of
    // counts are. Where the notices walk cannot carry `notices_issued(...)`, the rules asking
    // for penalty notices come first, alone, and the notices are counted from their firings.
    // Where they cannot be counted first but only triggers setting a stage read them, the
    // notices walk finds the stage, every rule reading the stage walked with it. Otherwise
    // one walk finds the notices first, with everything they depend on (noticed.rs).
    let mut asked_sql = String::new();
    let mut askers = None;
    let mut stage_walked = false;
    let mut noticed_walk = false;
    if let Some(r) = asked::uncarried(table) {
        let staged = table.rows[r].kind == crate::table::RowKind::Trigger;
        match asked::askers(table) {
            Some(table_of_askers) => {
                if !table_of_askers.rows.is_empty() {
                    rules::rules(
                        &mut asked_sql,
                        dialect,
                        &table_of_askers,
                        &mut metrics,
                        false,
                    )
                    .map_err(|(u, loc)| vec![unsupported(u.0, &loc)])?;
                }
                metrics.counted = Some(Vec::new());
                askers = Some(table_of_askers);
            }
            None if staged && rules::stage_walk_refused(table).is_none() => stage_walked = true,
            // The notices found by a walk of everything they depend on.
            None => {
                noticed::walk(&mut asked_sql, dialect, table, &mut metrics)
                    .map_err(|(u, r)| vec![unsupported(u.0, &table.rows[r].loc)])?;
                metrics.counted = Some(Vec::new());
                noticed_walk = true;
            }
        }
    }
    let mut rules_sql = String::new();
    rules::rules(&mut rules_sql, dialect, table, &mut metrics, stage_walked)
        .map_err(|(u, loc)| vec![unsupported(u.0, &loc)])?;
    let mut summary_sql = String::new();
    summary(&mut summary_sql, dialect, table, &mut metrics, stage_walked)
        .map_err(|u| vec![unsupported(u.0, policy)])?;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "-- {} compiled to SQL ({dialect}) by `attend compile --format sql`.\n\
         -- Input: register(pupil_id, date, session, mark) and pupils(pupil_id, date_of_birth,\n\
         -- year_group, admission_date, leaving_date, sen, fsm, social_worker, looked_after,\n\
         -- child_protection_plan) as text. Output: tables `actions` and `summary`, as\n\
         -- `attend run` writes actions.csv and summary.csv. Integer arithmetic throughout.\n",
        table.policy,
    );
    calendar::calendar(&mut out, dialect, days, &metrics);
    calendar::code_classes(&mut out, dialect);
    calendar::pupil_attributes(&mut out, dialect);
    metrics::data(&mut out, dialect, &metrics, days.len());
    lookups::lookups(&mut out, dialect, table);
    if noticed_walk {
        out.push_str(&asked_sql);
        asked::noticed_values(&mut out, dialect, &metrics);
        let _ = writeln!(
            out,
            "-- The policy's rules, reading the notices found above.\n"
        );
    }
    if let Some(askers) = &askers {
        if !asked_sql.is_empty() {
            let _ = writeln!(
                out,
                "-- First the rules asking for penalty notices, alone: they read neither the stage\n\
                 -- nor the notices, so what the other rules do changes none of their firings, and\n\
                 -- the notices each day reads are counted from them before the policy's rules.\n"
            );
            out.push_str(&asked_sql);
        }
        asked::counts(&mut out, dialect, askers, &metrics);
        let _ = writeln!(
            out,
            "-- The policy's rules, reading the notices counted above.\n"
        );
    }
    out.push_str(&rules_sql);
    actions(&mut out, dialect, table);
    out.push_str(&summary_sql);
    Ok(out)
}

/// `actions`: one line per action of each rule fired, in the columns of actions.csv (a run
/// without a ledger: `ledger` and `done` empty).
fn actions(out: &mut String, d: Dialect, table: &DecisionTable) {
    due(out, d, table);
    ids::ids(out, d, table);
    let _ = writeln!(
        out,
        "-- actions.csv: id,date,pupil_id,rule,action,stage,responsible,evidence,note,\n\
         -- responsible_name,ledger,done."
    );
    let _ = writeln!(out, "{}", d.create("actions"));
    let _ = writeln!(
        out,
        "SELECT f.id, {} AS date, f.pupil_id, f.rule, f.action, COALESCE(st.name, '') AS stage,\n  \
         f.responsible, f.evidence, f.note, f.responsible_name, '' AS ledger, '' AS done\n\
         FROM action_ids AS f\n\
         LEFT JOIN stages AS st ON st.stage_rank = f.stage_rank;\n",
        d.text("f.date")
    );
}

/// `due`: the actions of the rules fired, the same action asked for by different rules on
/// one day made one (src/engine/output.rs `due`): under the first rule, with every rule's
/// evidence named, the notes each once, the first person named responsible. The k-th
/// firing of a rule that day joins the k-th such action.
fn due(out: &mut String, d: Dialect, table: &DecisionTable) {
    let _ = writeln!(
        out,
        "-- Each action of each rule fired, in the order the engine fires them; `grp` numbers\n\
         -- the repeats of one rule asking for one action on one day."
    );
    let merged = merge::asked_of_different_people(table);
    let name = if merged.is_empty() {
        "fired_actions"
    } else {
        "fired_requests"
    };
    let _ = writeln!(out, "{}", d.create(name));
    let _ = writeln!(
        out,
        "SELECT f.pupil_id, f.day, f.date, f.row_id, f.stage_rank, f.evidence, a.rule, a.step,\n  \
         a.action, a.note, a.responsible, a.responsible_name,\n  \
         f.fire_ord * 1000 + a.action_ord AS ord,\n  \
         ROW_NUMBER() OVER (PARTITION BY f.pupil_id, f.day, a.action, a.rule\n    \
         ORDER BY f.fire_ord * 1000 + a.action_ord) AS grp{}\n\
         FROM fired AS f JOIN row_actions AS a ON a.row_id = f.row_id;\n",
        if merged.is_empty() {
            ""
        } else {
            ",\n  ROW_NUMBER() OVER (PARTITION BY f.pupil_id, f.day, a.action\n    \
             ORDER BY f.fire_ord * 1000 + a.action_ord) AS nth"
        }
    );
    if !merged.is_empty() {
        merge::groups(out, d, &merged, table);
    }
    let group = "pupil_id, day, action, grp";
    let _ = writeln!(
        out,
        "-- One line per action due: the first rule's, with the others' evidence and notes."
    );
    let _ = writeln!(out, "{}", d.create_inline("due"));
    let _ = writeln!(
        out,
        "SELECT m.pupil_id, m.day, m.date, m.row_id, m.stage_rank,\n  \
         CASE WHEN g.n = 1 THEN m.evidence ELSE g.evidence END AS evidence,\n  \
         m.rule, m.step, m.action,\n  \
         CASE WHEN g.n = 1 THEN m.note ELSE COALESCE(g.notes, '') END AS note,\n  \
         COALESCE(r.responsible, '') AS responsible,\n  \
         COALESCE(r.responsible_name, '') AS responsible_name\n\
         FROM fired_actions AS m\n\
         JOIN (SELECT {group}, COUNT(*) AS n, MIN(ord) AS first_ord,\n    \
         MIN(CASE WHEN responsible <> '' THEN ord END) AS named_ord,\n    \
         {} AS evidence,\n    \
         {} AS notes\n  \
         FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY {group}, note ORDER BY ord) AS note_nth\n    \
         FROM fired_actions) AS x\n  \
         GROUP BY {group}) AS g\n  \
         ON g.pupil_id = m.pupil_id AND g.day = m.day AND g.action = m.action AND g.grp = m.grp\n  \
         AND g.first_ord = m.ord\n\
         LEFT JOIN fired_actions AS r\n  \
         ON r.pupil_id = m.pupil_id AND r.day = m.day AND r.action = m.action AND r.grp = m.grp\n  \
         AND r.ord = g.named_ord;\n",
        d.join_ordered("'[' || rule || '] ' || evidence", "ord", "; "),
        d.join_ordered(
            "CASE WHEN note <> '' AND note_nth = 1 THEN note END",
            "ord",
            " / "
        ),
    );
}

/// `summary`: per pupil, the figures at the last school day on roll, as summary.csv.
fn summary(
    out: &mut String,
    d: Dialect,
    table: &DecisionTable,
    metrics: &mut Metrics,
    stage_walked: bool,
) -> Result<(), conditions::Unsupported> {
    let scope = Scope {
        d,
        stage: Some("stage"),
        stage_names: &table.stages,
    };
    let measure = |metrics: &mut Metrics, rows: &[Vec<crate::table::Atom>]| {
        let mut any = Vec::new();
        for atoms in rows {
            any.push(conditions::rule(&scope, metrics, atoms)?.0);
        }
        Ok::<_, conditions::Unsupported>(if any.is_empty() {
            "FALSE".to_string()
        } else {
            any.join(" OR ")
        })
    };
    // A measure reading `notices_issued(...)` reads, where the rules did not count the
    // notices each day, those the rules' firings asked for before the pupil's last day.
    let counted = metrics.notices_counted();
    if !counted {
        metrics.notices = Some(Vec::new());
    }
    let persistent = measure(metrics, &table.measures.persistent);
    let severe = measure(metrics, &table.measures.severe);
    let read = metrics.notices.take().unwrap_or_default();
    let (persistent, severe) = (persistent?, severe?);
    let notices_join = if read.is_empty() {
        String::new()
    } else {
        let asked = notices::asked_by(table, "f.row_id");
        let counts: Vec<String> = read
            .iter()
            .map(|n| {
                format!(
                    "CAST(COUNT(CASE WHEN f.date >= {} THEN 1 END) AS BIGINT) AS notices{n}",
                    d.years_before("l.date", *n)
                )
            })
            .collect();
        format!(
            "LEFT JOIN (SELECT l.pupil_id, {}\n  \
             FROM roll AS lr JOIN day_state AS l ON l.pupil_id = lr.pupil_id AND l.day = lr.to_day - 1\n  \
             LEFT JOIN fired AS f ON f.pupil_id = l.pupil_id AND f.date < l.date AND {asked}\n  \
             GROUP BY l.pupil_id) AS sn ON sn.pupil_id = r.pupil_id\n",
            counts.join(", ")
        )
    };
    let bands: Vec<String> = table
        .band_sets
        .iter()
        .enumerate()
        .map(|(s, set)| {
            let names: Vec<String> = set
                .iter()
                .enumerate()
                .filter_map(|(i, r)| table.rows.get(*r).map(|row| (i, row)))
                .map(|(i, row)| format!("WHEN {i} THEN {}", d.quote(&row.rule)))
                .collect();
            if names.is_empty() {
                "''".to_string()
            } else {
                format!("CASE band{s} {} ELSE '' END", names.join(" "))
            }
        })
        .collect();
    let bands = if bands.is_empty() {
        "''".to_string()
    } else {
        bands.join(" || ';' || ")
    };
    let _ = writeln!(
        out,
        "-- summary.csv: pupil_id,possible,present,authorised,unauthorised,attendance,band,stage,\n\
         -- persistent,severe; the figures at the pupil's last school day on roll (year to\n\
         -- date), the measures as the policy defines them."
    );
    let _ = writeln!(out, "{}", d.create("summary"));
    let _ = writeln!(
        out,
        "SELECT r.pupil_id, COALESCE(v.m0, 0) AS possible, COALESCE(v.m1, 0) AS present,\n  \
         COALESCE(v.m2, 0) AS authorised, COALESCE(v.m3, 0) AS unauthorised,\n  \
         {} AS attendance,\n  \
         {bands} AS band,\n  \
         COALESCE(st.name, '') AS stage,\n  \
         CASE WHEN v.day IS NOT NULL AND ({persistent}) THEN 'true' ELSE 'false' END AS persistent,\n  \
         CASE WHEN v.day IS NOT NULL AND ({severe}) THEN 'true' ELSE 'false' END AS severe\n\
         FROM roll AS r\n\
         LEFT JOIN day_state AS v ON v.pupil_id = r.pupil_id AND v.day = r.to_day - 1\n\
         {notices_join}{}",
        conditions::percent_tenths(d, "COALESCE(v.m1, 0)", "COALESCE(v.m0, 0)"),
        // A trigger setting a stage that reads the notices raises it from the walk.
        if stage_walked {
            "LEFT JOIN day_raise AS dr ON dr.pupil_id = v.pupil_id AND dr.day = v.day\n\
             LEFT JOIN stages AS st ON st.stage_rank = COALESCE(dr.stage, v.stage, 0);"
        } else if rules::notices_raise_stage(table) && !metrics.notices_counted() {
            "LEFT JOIN day_raise AS dr ON dr.pupil_id = v.pupil_id AND dr.day = v.day\n\
             LEFT JOIN stages AS st ON st.stage_rank = GREATEST(COALESCE(v.stage, 0), COALESCE(dr.raise, 0));"
        } else {
            "LEFT JOIN stages AS st ON st.stage_rank = COALESCE(v.stage, 0);"
        }
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::source::Source;
    use crate::table::RowKind;

    /// A construct no dialect expresses is refused where it is written, and no script is
    /// written. Every construct of the language compiles today (docs/sql.md), so the test
    /// makes one the compiler cannot place: a band's further entry clause whose own condition
    /// reads the stage (the language reads a band's stage only in its bands' conditions and
    /// entry guards), taken from a trigger of the same policy.
    #[test]
    fn a_construct_no_dialect_expresses_is_refused_where_it_is_written() {
        let policy = Source::new(
            "p.policy",
            "policy \"p\" {\n\
             \x20 stages {\n    expect \"Expect\"\n    monitor \"Monitor\"\n  }\n\
             \x20 bands \"attendance\" attendance over year_to_date {\n\
             \x20   band fine \"Fine\" 95% ..= 100%\n\
             \x20   band low \"Low\" under 95%\n\
             \x20     on enter: contact \"low\"\n\
             \x20     on enter when absent(rolling 2 school_weeks) >= 2 sessions: review \"absent\"\n\
             \x20 }\n\
             \x20 trigger \"monitored\"\n\
             \x20   when pupil.stage >= monitor\n\
             \x20   then contact \"monitored\"\n\
             }\n",
        );
        let calendar = Source::new(
            "c.calendar",
            include_str!("../../policies/calendars/camden-2024-25.calendar"),
        );
        let analysis = crate::analyse(&policy, Some(&calendar));
        let checked = analysis.checked.expect("a well-formed policy");
        let (mut table, _) = crate::table::compile(&checked);
        let stage = table
            .rows
            .iter()
            .find(|r| r.kind == RowKind::Trigger)
            .and_then(|r| r.when.first().cloned())
            .expect("the trigger's test of the stage");
        let clause = table
            .rows
            .iter()
            .position(|r| r.kind == RowKind::BandEntry)
            .expect("the further entry clause");
        table.rows[clause].when.push(stage);
        let days = crate::table::SchoolDays::new(&table.calendar);
        let whole = policy.loc(crate::source::Span::new(0, 0));
        for dialect in [super::Dialect::DuckDb, super::Dialect::Spark] {
            let errors = super::compile(&table, &days, dialect, &whole)
                .expect_err("the made construct is refused");
            let [error] = errors.as_slice() else {
                panic!("one error: {errors:?}");
            };
            assert_eq!(error.code, "sql::unsupported");
            assert!(
                error
                    .message
                    .starts_with("`pupil.stage` is not compiled to"),
                "{}",
                error.message
            );
            // Where the clause is written: line 10, `on enter when ...`.
            let loc = error.loc.as_ref().expect("a location");
            assert_eq!(loc.line_col().0, 10, "{error:?}");
        }
    }
}
