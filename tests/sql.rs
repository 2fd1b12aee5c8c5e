//! `attend compile --format sql`: the national policy's script for DuckDB and Spark (held as
//! snapshots, read as SQL a person reviews), its shape (statements a loader can split on `;`
//! at a line's end), and a construct the compiler does not express yet failing with a located
//! diagnostic. Equality with `attend run` is tested by running the scripts on real engines
//! (tests/sql/, issue 14 item 3).

use std::path::Path;

use assert_cmd::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn attend(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(assert_cmd::cargo::cargo_bin!("attend"))
        .current_dir(root())
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .expect("the binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `attend compile --format sql` of a policy under the bundled calendar.
/// `extra` are further flags.
fn compile(policy: &str, dialect: &str, extra: &[&str]) -> (i32, String, String) {
    let mut args = vec![
        "compile",
        policy,
        "--calendar",
        "policies/calendars/camden-2024-25.calendar",
        "--format",
        "sql",
        "--dialect",
        dialect,
    ];
    args.extend_from_slice(extra);
    attend(&args)
}

fn national(dialect: &str) -> String {
    compiled("policies/national.policy", dialect)
}

#[test]
fn national_policy_for_duckdb() {
    insta::assert_snapshot!(national("duckdb"));
}

#[test]
fn national_policy_for_spark() {
    insta::assert_snapshot!(national("spark"));
}

#[test]
fn the_script_splits_into_statements_that_each_make_a_table_or_view() {
    // Spark's catalog has no `CREATE OR REPLACE TABLE ... AS` for its own tables: each table
    // is dropped just before it is made. Spark keeps lookups and steps read once as views.
    for (dialect, drop, create, view) in [
        ("duckdb", None, "CREATE OR REPLACE TABLE ", None),
        (
            "spark",
            Some("DROP TABLE IF EXISTS "),
            "CREATE TABLE ",
            Some("CREATE OR REPLACE TEMPORARY VIEW "),
        ),
    ] {
        let script = national(dialect);
        let statements: Vec<&str> = script
            .split(";\n")
            .map(|s| {
                s.lines()
                    .filter(|l| !l.starts_with("--") && !l.trim().is_empty())
                    .collect::<Vec<_>>()
            })
            .filter(|lines| !lines.is_empty())
            .map(|lines| lines[0])
            .collect();
        let mut made = Vec::new();
        let mut dropped = None;
        for s in &statements {
            if let Some(name) = drop.and_then(|d| s.strip_prefix(d)) {
                assert_eq!(dropped, None, "{dialect}: two drops in a row at {s}");
                dropped = Some(name);
                continue;
            }
            if let Some(name) = view.and_then(|v| s.strip_prefix(v)) {
                assert_eq!(
                    dropped, None,
                    "{dialect}: a dropped table made a view at {s}"
                );
                made.push(name.split(' ').next().unwrap_or(name));
                continue;
            }
            let name = s
                .strip_prefix(create)
                .and_then(|rest| rest.split(' ').next())
                .unwrap_or_else(|| panic!("{dialect}: a statement that makes no table: {s}"));
            if drop.is_some() {
                assert_eq!(
                    dropped,
                    Some(name),
                    "{dialect}: `{name}` is not dropped first"
                );
            }
            dropped = None;
            made.push(name);
        }
        for table in ["calendar", "code_classes", "actions", "summary"] {
            assert!(
                made.contains(&table),
                "{dialect} makes no `{table}`: {made:?}"
            );
        }
        assert_eq!(made.last(), Some(&"summary"));
    }
}

/// The statement of a DuckDB `script` that makes `table`, comments and all.
fn statement(script: &str, table: &str) -> String {
    made_by(script, &format!("CREATE OR REPLACE TABLE {table} AS"))
}

/// The statement of a Spark `script` that makes `table` (dropped first, then made).
fn spark_statement(script: &str, table: &str) -> String {
    made_by(script, &format!("CREATE TABLE {table} AS"))
}

/// The statement of `script` with a line starting `head`, comments and all.
fn made_by(script: &str, head: &str) -> String {
    script
        .split(";\n")
        .find(|s| s.lines().any(|l| l.starts_with(head)))
        .map(|s| format!("{};", s.trim()))
        .unwrap_or_else(|| panic!("no statement has a line `{head}`"))
}

/// A DuckDB walk's statement up to its recursive step: the first day's step (the next days'
/// is the same).
fn first_step(walk: &str) -> &str {
    walk.split("\n  UNION ALL\n")
        .next()
        .expect("the walk's first step")
}

/// The statements making `tables`, in that order, a blank line between them.
fn statements(script: &str, tables: &[&str]) -> String {
    tables
        .iter()
        .map(|t| statement(script, t))
        .collect::<Vec<_>>()
        .join("\n\n")
}

fn compiled(policy: &str, dialect: &str) -> String {
    let (code, stdout, stderr) = compile(policy, dialect, &["-q"]);
    assert_eq!(code, 0, "{stderr}");
    stdout
}

/// A band's further `on enter when ...:` clauses fire on the band's entries, each under its own
/// guard; `once per half_term` picks the first entry of the half term on which any of them
/// fires (the engine's band limit is one for all clauses), then each clause's guard.
#[test]
fn further_entry_clauses_fire_under_their_own_guards_and_the_bands_limit() {
    let script = compiled("tests/sql/policies/entry-clauses.policy", "duckdb");
    insta::assert_snapshot!(statement(&script, "fired"));
}

/// One untargeted action asked for by different people on one day: the engine's pass over the
/// requests (the first line without the request's rule whose person is its own or no one), a
/// walk over each pupil's requests for one action on one day carrying the lines (which begin
/// again each day and for each action, so the walk is as long as one day's requests, not a
/// pupil's whole register's); other actions keep the rule's
/// repeat count as their line. However many rows ask: 29 requests for `support` compile on
/// both engines (the differential tests compare their outputs with `attend run`'s).
#[test]
fn an_action_asked_of_different_people_follows_the_engines_lines() {
    let script = compiled("tests/sql/policies/shared-actions.policy", "duckdb");
    let lines = statements(&script, &["request_days", "request_lines", "fired_actions"]);
    insta::assert_snapshot!(lines);
    let script = compiled("tests/sql/policies/shared-actions.policy", "spark");
    insta::assert_snapshot!(
        "request_lines_fold_on_spark",
        spark_statement(&script, "request_lines")
    );
    for dialect in ["duckdb", "spark"] {
        let script = compiled("tests/sql/policies/many-requests.policy", dialect);
        assert!(script.contains("request_lines"), "{dialect}");
    }
}

/// `notices_issued(N years)` in a trigger: a walk over each pupil's school days carries the
/// dates of the notices asked for (by other rules, and by the walk's triggers); what the day
/// decides of each row is computed before the walk, what reads the notices in it. DuckDB walks
/// with a recursive query, Spark with one fold over each pupil's days. Triggers reading the
/// notices that set a stage raise it from the walk (`day_raise`: the greater of theirs while
/// they hold, today and the day before): the actions recorded at the day's stage, a band's
/// entries at the stage of the day before, and the summary's stage.
#[test]
fn notices_issued_is_a_walk_over_the_days() {
    let script = compiled("tests/sql/policies/notices.policy", "duckdb");
    let walk = statements(&script, &["walk_days", "walk", "day_raise", "fired"]);
    insta::assert_snapshot!(walk);
    assert!(
        walk.contains(
            "GREATEST(0, CASE WHEN h2 THEN 5 ELSE 0 END, CASE WHEN h3 THEN 4 ELSE 0 END) AS w_raise"
        ) && walk.contains("GREATEST(f.stage_rank, COALESCE(r.raise_before, 0))"),
        "{walk}"
    );
    assert!(
        statement(&script, "summary")
            .contains("GREATEST(COALESCE(v.stage, 0), COALESCE(dr.raise, 0))"),
        "the summary's stage is raised too"
    );
    let script = compiled("tests/sql/policies/notices.policy", "spark");
    insta::assert_snapshot!("notices_fold_on_spark", spark_statement(&script, "walk"));
}

/// Such triggers with a limit or a schedule, and escalation steps reading the notices: the walk
/// also carries whether each held at its last look and the week (or period) it last fired;
/// a step is due as any step is, its notices decided in the walk; a band's entries, when a
/// guard reads the notices, are walked too, all of the band's, sharing its limit (`f0 OR f1 OR
/// f2` set the half-term the band last fired in); in a policy with support
/// plans they read and fire at the stage the plans' walk gives (`stage0`), and there a
/// target reading the stage is decided in the plans' walk.
#[test]
fn notices_issued_with_limits_schedules_and_steps_is_walked_too() {
    let script = compiled("tests/sql/policies/notices-limits.policy", "duckdb");
    let walk = statement(&script, "walk");
    let step = first_step(&walk);
    insta::assert_snapshot!(step);
    assert!(
        step.contains("CASE WHEN f0 OR f1 OR f2 THEN half_term ELSE p_last0 END"),
        "a band's entries share its `once per half_term`: {step}"
    );
    let script = compiled("tests/sql/policies/plans-notices.policy", "duckdb");
    let fired = statement(&script, "fired");
    assert!(
        fired.contains("stage0 AS stage_rank"),
        "walked triggers fire at the plans' stage: {fired}"
    );
    assert!(
        statement(&script, "walk_days").contains("(stage0 BETWEEN "),
        "walked triggers read the plans' stage"
    );
    // A plan's target reading the stage is decided in the plans' walk, at the plan's turn.
    let plans = statement(&script, "plan_walk");
    assert!(
        plans.contains("(stg0 BETWEEN ") && plans.contains("AS prv0"),
        "{plans}"
    );
}

/// `notices_issued(...)` where the walk cannot carry it (a band's own condition, a ladder's, a
/// plan's target, a trigger setting a stage other rules read): the rules asking for penalty
/// notices read neither the stage nor the notices, so the script first runs them alone, counts
/// the notices each day reads from their firings (`notices_asked`, `noticed_values`), and the
/// policy's rules then read those days; no walk of the notices is made.
#[test]
fn notices_read_where_no_walk_carries_them_are_counted_first() {
    for policy in [
        "tests/sql/policies/notices-in-bands.policy",
        "tests/sql/policies/notices-in-plan-target.policy",
        "tests/sql/policies/notices-in-staged-trigger.policy",
    ] {
        let script = compiled(policy, "duckdb");
        let made: Vec<&str> = script
            .lines()
            .filter_map(|l| l.strip_prefix("CREATE OR REPLACE TABLE "))
            .filter_map(|l| l.split(' ').next())
            .collect();
        let at = |table: &str| made.iter().position(|t| *t == table);
        // The askers' rules make `fired` once before the counts, the policy's once after.
        let fired: Vec<usize> = made
            .iter()
            .enumerate()
            .filter(|(_, t)| **t == "fired")
            .map(|(i, _)| i)
            .collect();
        let counted = at("noticed_values").expect("noticed_values");
        assert!(
            fired.len() == 2 && fired[0] < at("notices_asked").unwrap_or(0) && counted < fired[1],
            "{policy}: {made:?}"
        );
        assert!(!made.contains(&"walk"), "{policy}: no walk of the notices");
        let bands: Vec<&str> = script
            .split(";\n")
            .filter(|s| s.contains("CREATE OR REPLACE TABLE day_bands AS"))
            .collect();
        assert!(
            bands.len() == 2 && bands[1].contains("FROM noticed_values"),
            "{policy}: the policy's rules read the counted notices: {bands:?}"
        );
    }
    let script = compiled("tests/sql/policies/notices-in-bands.policy", "duckdb");
    insta::assert_snapshot!(statements(&script, &["notices_asked", "noticed_values"]));
    // The first `fired` (the askers'): the three rules asking for notices, nothing else.
    let askers = statement(&script, "fired");
    assert_eq!(askers.matches("\nSELECT ").count(), 3, "{askers}");
    // Where no rule asks for one, none is counted, and no rules run before the policy's.
    let script = compiled("tests/sql/notices-read-none-asked.policy", "duckdb");
    assert!(
        statement(&script, "notices_asked").contains("AS asked FROM day_values WHERE 1 = 0"),
        "{script}"
    );
    assert_eq!(
        script
            .matches("CREATE OR REPLACE TABLE day_bands AS")
            .count(),
        1
    );
}

/// `notices_issued(...)` where the rules asking for penalty notices depend on what reads them
/// through the bands or the plans (a band reading the notices asks on entry; a rule asking
/// reads the stage that a band reading the stage, or plans whose targets read the notices,
/// give): one walk finds the notices day by day (`noticed_walk`: the bands, the stage, the
/// plans and the rules asking), before the policy's rules, which read them as columns of
/// `noticed_values` and run once.
#[test]
fn notices_that_rules_asking_for_them_depend_on_are_found_by_one_walk_first() {
    for policy in [
        "tests/sql/policies/notices-in-band-asking.policy",
        "tests/sql/policies/notices-in-plan-target-asking.policy",
        "tests/sql/policies/notices-with-band-reading-stage.policy",
    ] {
        for dialect in ["duckdb", "spark"] {
            let script = compiled(policy, dialect);
            let made: Vec<&str> = script
                .lines()
                .filter_map(|l| {
                    [
                        "CREATE OR REPLACE TABLE ",
                        "CREATE TABLE ",
                        "CREATE OR REPLACE TEMPORARY VIEW ",
                    ]
                    .iter()
                    .find_map(|head| l.strip_prefix(head))
                })
                .filter_map(|l| l.split(' ').next())
                .collect();
            let at = |table: &str| made.iter().position(|t| *t == table);
            let order = [
                "noticed_days",
                "noticed_walk",
                "notices_asked",
                "noticed_values",
            ];
            let found: Vec<Option<usize>> = order.iter().map(|t| at(t)).collect();
            assert!(
                found.iter().all(Option::is_some) && found.is_sorted(),
                "{policy} {dialect}: {made:?}"
            );
            // The policy's rules run once, after the notices, reading them as columns.
            assert_eq!(
                made.iter().filter(|t| **t == "fired").count(),
                1,
                "{policy} {dialect}"
            );
            assert!(at("fired") > at("noticed_values"), "{policy} {dialect}");
            assert!(!made.contains(&"walk"), "{policy}: no notices walk");
            let bands = script
                .split(";\n")
                .find(|s| s.contains("AS\nSELECT *,\n  GREATEST(") && s.contains("day_bands"))
                .unwrap_or_default();
            assert!(bands.contains("FROM noticed_values"), "{policy} {dialect}");
        }
    }
    // The walk's parts: a band set read in it (the notices, the stage of the day before), a
    // ladder's climb, the stage to its fixed point, the plans' reviews and their actions.
    let script = compiled("tests/sql/policies/notices-in-band-asking.policy", "duckdb");
    let walk = statement(&script, "noticed_walk");
    for part in [
        "notices1 >= 2",
        "AS nband0",
        "p_band0 IS NULL OR p_band0 <> 2",
        "AND l2_w_climbed",
        "(week - went0) % 2 = 0",
        "AS ws1",
        "p_stage",
    ] {
        assert!(walk.contains(part), "{part}: {walk}");
    }
    let script = compiled(
        "tests/sql/policies/notices-in-plan-target-asking.policy",
        "duckdb",
    );
    let walk = statement(&script, "noticed_walk");
    assert!(
        walk.contains("CASE WHEN pev1 = 5 THEN 1 ELSE 0 END"),
        "{walk}"
    );
    assert!(
        walk.contains("CASE WHEN pev1 IN (2, 3, 4) AND prv1 IN ("),
        "{walk}"
    );
    let script = compiled(
        "tests/sql/policies/notices-with-band-reading-stage.policy",
        "duckdb",
    );
    insta::assert_snapshot!(format!(
        "{}\n\n{}",
        statement(&script, "noticed_days"),
        first_step(&statement(&script, "noticed_walk"))
    ));
}

/// `notices_issued(...)` in a trigger setting a stage that other rules read, where a rule
/// asking for penalty notices reads the stage, so the notices cannot be counted first: the
/// notices walk finds the stage, the engine's fixed point from the stage the rules outside it
/// give (`walk_base`), a pass a level (`ws1`, `ws2`, ...); every trigger reading the stage is
/// walked; the day's firings are recorded at the walk's stage (`day_raise`), as the summary's.
#[test]
fn the_notices_walk_finds_the_stage_where_rules_asking_for_notices_read_it() {
    for dialect in ["duckdb", "spark"] {
        let script = compiled(
            "tests/sql/policies/notices-and-stage-walked.policy",
            dialect,
        );
        assert!(
            !script.contains("notices_asked"),
            "{dialect}: not counted first"
        );
        // The national framework's six stages: seven passes, each raising the stage by the
        // walked triggers setting one.
        let (ws, raise) = match dialect {
            "duckdb" => (" AS ws", "GREATEST(walk_base, 0, CASE WHEN (pre2_0 AND "),
            _ => ("'ws", "GREATEST(v1.walk_base, 0, CASE WHEN (v1.pre2_0 AND "),
        };
        assert!(script.contains(&format!("{ws}7")), "{dialect}");
        assert!(!script.contains(&format!("{ws}8")), "{dialect}");
        assert!(
            script.contains(raise),
            "{dialect}: `a notice` raises the stage at each pass"
        );
        assert!(
            script.contains("w.w_stage AS stage, w.w_stage_before AS stage_before"),
            "{dialect}"
        );
        assert!(
            script.contains("COALESCE(r.stage, f.stage_rank)"),
            "{dialect}"
        );
        assert!(
            script.contains("COALESCE(dr.stage, v.stage, 0)"),
            "{dialect}: the summary's stage is the walk's"
        );
        // `unauthorised` sets a stage without reading it: outside the walk, in its base.
        let base = script
            .lines()
            .skip_while(|l| !l.contains("the stage the notices walk starts from"))
            .nth(1)
            .unwrap_or_default();
        assert!(
            base.starts_with("  GREATEST(base_stage, 0, CASE WHEN ")
                && base.ends_with(" THEN 4 ELSE 0 END) AS walk_base"),
            "{dialect}: {base}"
        );
    }
}

/// A band whose own condition reads the stage reads the stage of the school day before: a walk
/// over each pupil's school days chooses the bands and finds the stage (the fixed point over
/// the triggers that set one) as the engine does, carrying the stage; the bands are then
/// chosen reading `band_stage_before`. The walk's first step is enough to read.
#[test]
fn a_band_reading_the_stage_is_a_walk_over_the_days() {
    let script = compiled("tests/sql/policies/stage-in-band.policy", "duckdb");
    let walk = statement(&script, "band_stage");
    let step = first_step(&walk);
    insta::assert_snapshot!(format!(
        "{}\n\n{step}",
        statement(&script, "band_stage_days")
    ));
    let bands = statement(&script, "day_bands");
    assert!(
        bands.contains("JOIN band_stage ON bs_pupil = pupil_id AND bs_day = day")
            && bands.contains("(band_stage_before BETWEEN "),
        "the bands read the walk's stage: {bands}"
    );
}

/// A ladder whose conditions read the stage: its walk also carries the pupil's stage, the
/// greater of the rung's and what the other rules give (`others`, computed before the walk:
/// the other band set's band and the trigger setting a stage), and reads it as of the day
/// before (`p_stage`) in its rungs, its exit condition and its `at once when`, the day's found
/// as the engine's fixed point over the triggers setting a stage that read it; the rungs'
/// evidence reads it from the walk (`ladder0_stage`).
#[test]
fn a_ladder_reading_the_stage_carries_it_in_its_walk() {
    let script = compiled("tests/sql/policies/stage-in-ladder.policy", "duckdb");
    let days = statement(&script, "ladder0_days");
    assert!(days.contains(" AS others"), "{days}");
    let walk = statement(&script, "ladder0");
    let step = first_step(&walk);
    insta::assert_snapshot!(step);
    for read in [
        "(h1_1 AND (COALESCE((p_stage BETWEEN ",
        "(x1_0 AND ",
        "(a2_0 AND ",
    ] {
        assert!(step.contains(read), "{read}: {step}");
    }
    // The fixed point over the triggers setting a stage that read it, a level a pass (the
    // national ladder's six stages: seven passes), from the bands' stage.
    for level in [
        "GREATEST(CASE w_cur WHEN 0 THEN 0 WHEN 1 THEN 1 WHEN 2 THEN 2 ELSE 0 END, others) AS ws0",
        "CASE WHEN ts0 AND (COALESCE((ws0 BETWEEN 1 AND 1), FALSE)) THEN 2 ELSE 0 END",
        "ws7 AS w_stage",
    ] {
        assert!(step.contains(level), "{level}: {step}");
    }
    let bands = statement(&script, "day_bands");
    assert!(bands.contains("(ladder0_stage BETWEEN "), "{bands}");
    // Where the stage has no fixed point, a trigger reading it fires by the row that holds at
    // the day's stage after the last pass, if any, as the engine does.
    let fired = statement(&script, "fired");
    assert!(fired.contains("_row IS NOT NULL"), "{fired}");
}

/// Two ladders reading the stage: each reads the stage the day before left, which both rungs
/// set, so one walk (`ladders`) steps both, each ladder's columns named apart (`l{s}_`), the
/// day's stage the greater of both rungs' and the other rules'; each ladder's own table is
/// then a view of it, as a single ladder's walk makes it.
#[test]
fn two_ladders_reading_the_stage_are_walked_together() {
    let script = compiled("tests/sql/policies/stage-in-two-ladders.policy", "duckdb");
    let days = statement(&script, "ladders_days");
    assert!(
        days.contains(" AS l0_h1_1,") && days.contains(" AS l1_h0_1,"),
        "{days}"
    );
    let walk = statement(&script, "ladders");
    let step = first_step(&walk);
    for read in [
        "(l0_h1_1 AND (COALESCE((p_stage BETWEEN 2 AND 5), FALSE)))) AS l0_h1",
        "(l1_h0_1 AND (COALESCE((p_stage BETWEEN 1 AND 5), FALSE)))) AS l1_h0",
        "GREATEST(CASE l0_w_cur WHEN 0 THEN 0 WHEN 1 THEN 1 WHEN 2 THEN 2 ELSE 0 END, \
         CASE l1_w_cur WHEN 0 THEN 1 WHEN 1 THEN 2 ELSE 0 END, others) AS ws0",
        "p_l1_entered",
    ] {
        assert!(step.contains(read), "{read}: {step}");
    }
    for s in [0, 1] {
        let view = statement(&script, &format!("ladder{s}"));
        assert!(
            view.contains(&format!("ladders_stage AS ladder{s}_stage"))
                && view.contains("FROM ladders;"),
            "{view}"
        );
        assert!(
            !script.contains(&format!("TABLE ladder{s}_days")),
            "one walk"
        );
    }
}

/// Where the stage has no fixed point, a trigger reading the notices and the stage holds as at
/// the fixed point's last pass (`s6`: its edge reads that) and fires only by a row holding at
/// the day's final stage (`rf`), as the engine does.
#[test]
fn a_walked_trigger_reading_the_stage_fires_by_the_final_stage() {
    let script = compiled("tests/sql/policies/stage-no-fixed-point.policy", "duckdb");
    let days = statement(&script, "walk_days");
    assert!(
        days.contains("(s6 BETWEEN 1 AND 1), FALSE)) AS pre0_0")
            && days.contains("(stage BETWEEN 1 AND 1), FALSE)) AS pref0_0"),
        "{days}"
    );
    let walk = statement(&script, "walk");
    assert!(walk.contains(" AND rf0 AS f0"), "{walk}");
}

/// A ladder: a walk over each pupil's school days carrying the stage, its entry day and
/// periods, its hold and the run of its exit condition (here the ladder `in order after 2
/// school_weeks` with `at once when`, `held for` and `held until`); a recursive query on
/// DuckDB, a fold on Spark.
#[test]
fn a_ladder_is_a_walk_over_the_days() {
    let script = compiled("tests/sql/policies/ladders.policy", "duckdb");
    let walk = statements(&script, &["ladder1_days", "ladder1"]);
    insta::assert_snapshot!(walk);
    let script = compiled("tests/sql/policies/ladders.policy", "spark");
    insta::assert_snapshot!("ladder_fold_on_spark", spark_statement(&script, "ladder1"));
}

/// Support plans: the stage bands and triggers give over each floor a missed review can leave,
/// then a walk over each pupil's school days carrying the floor (none again in a new academic
/// year) and each plan's opening week and rising edge, the plans taken in policy order on a
/// day; the rules after it read the walk's stage. DuckDB walks with a recursive query, Spark
/// with one fold (`aggregate`) over each pupil's days.
#[test]
fn support_plans_are_a_walk_over_the_days() {
    let script = compiled("tests/sql/policies/plans.policy", "duckdb");
    let walk = statements(&script, &["plan_days", "plan_walk", "day_rules"]);
    insta::assert_snapshot!(walk);
    let script = compiled("tests/sql/policies/plans.policy", "spark");
    insta::assert_snapshot!(
        "support_plans_fold_on_spark",
        spark_statement(&script, "plan_walk")
    );
}

/// A trigger's limit that reads the week it last fired (`not again within`, and `repeat
/// every` on a trigger looked at every N school weeks): where each may fire and whether that
/// is a rising edge come from `day_state`; a walk carries the week each last fired.
#[test]
fn limits_reading_the_last_firing_are_a_walk_over_the_days() {
    let script = compiled("tests/sql/policies/limits.policy", "duckdb");
    let walk = statements(&script, &["repeat_days", "repeat_walk"]);
    insta::assert_snapshot!(walk);
    let script = compiled("tests/sql/policies/limits.policy", "spark");
    insta::assert_snapshot!(
        "limits_fold_on_spark",
        spark_statement(&script, "repeat_walk")
    );
}

/// Names in any script, `|` among them, compile on both engines (an action's id hashes each
/// name's UTF-8 bytes in hex; the differential tests run `tests/sql/policies/names.policy`
/// and compare the ids with `attend run`'s).
#[test]
fn names_in_any_script_are_hashed_byte_for_byte() {
    for dialect in ["duckdb", "spark"] {
        let stdout = compiled("tests/sql/policies/names.policy", dialect);
        assert!(stdout.contains("hex(rule) || 'FF'"), "{dialect}");
        assert!(
            !stdout.contains("ascii("),
            "{dialect}: no byte read as a character"
        );
    }
}

/// A measure (`define persistent_absence ... when ...`) reading `notices_issued(...)` reads the
/// notices asked for before the pupil's last school day on roll: counted from the firings
/// where the rules read the notices in a walk (`sn`), the day's column where the notices were
/// counted before the rules.
#[test]
fn a_measure_reads_the_notices_before_the_last_day() {
    let script = compiled("tests/sql/policies/notices.policy", "duckdb");
    let summary = statement(&script, "summary");
    assert!(
        summary.contains("notices1 >= 2") && summary.contains("AS sn ON sn.pupil_id = r.pupil_id"),
        "{summary}"
    );
    insta::assert_snapshot!(summary);
    let script = compiled(
        "tests/sql/policies/notices-with-band-reading-stage.policy",
        "spark",
    );
    let summary = spark_statement(&script, "summary");
    assert!(
        summary.contains("notices1 >= 1") && !summary.contains("AS sn"),
        "{summary}"
    );
}
