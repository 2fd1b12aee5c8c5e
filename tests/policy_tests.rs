//! `attend test` as a user runs it: every bundled policy's tests pass, a deliberately broken
//! test prints the expected/actual diff and the trace (a snapshot), malformed test files are
//! reported at their line and column with a fix (snapshots), and the exit statuses.

use std::path::Path;

use assert_cmd::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn attend(args: &[&str]) -> Run {
    let out = Command::new(assert_cmd::cargo::cargo_bin!("attend"))
        .current_dir(root())
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .expect("the binary runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The closing line's time (`, 0.12s`) varies from run to run.
fn without_time(text: &str) -> String {
    text.lines()
        .map(|line| match line.rfind(", ") {
            Some(i) if line.starts_with("test result: ") && line.ends_with('s') => {
                format!("{}, [time]", &line[..i])
            }
            _ => line.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

#[test]
fn every_bundled_policy_has_tests_and_they_pass() {
    let run = attend(&["test", "policies/"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.is_empty(), "{}", run.stderr);
    let last = run.stdout.lines().last().unwrap_or_default();
    assert!(last.starts_with("test result: ok. "), "{}", run.stdout);
    assert!(last.contains(" passed, 0 failed; "), "{last}");
    // The top-level policies and their corrected copies each ship tests.
    for dir in ["policies", "policies/corrected"] {
        for entry in std::fs::read_dir(root().join(dir)).expect("a folder") {
            let path = entry.expect("an entry").path();
            if path.extension().is_some_and(|e| e == "policy") {
                let name = format!("{dir}/{}", path.file_name().unwrap().to_string_lossy());
                assert!(
                    run.stdout.contains(&format!("{name}.test: ")),
                    "{name} has no tests:\n{}",
                    run.stdout
                );
                assert!(
                    !run.stdout.contains(&format!("{name}: no tests")),
                    "{}",
                    run.stdout
                );
            }
        }
    }
    // The TOML translations run their DSL twins' tests: both surfaces must do the same.
    for entry in std::fs::read_dir(root().join("policies/toml")).expect("a folder") {
        let path = entry.expect("an entry").path();
        if path.extension().is_some_and(|e| e == "toml") {
            let name = format!(
                "policies/toml/{}",
                path.file_name().unwrap().to_string_lossy()
            );
            assert!(
                run.stdout.contains(&format!("{name}.test: ")),
                "{name} has no tests:\n{}",
                run.stdout
            );
        }
    }
    // A policy without tests is listed, not failed.
    assert!(
        run.stdout
            .contains("policies/real/abbeyfield-school.policy: no tests"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_toml_translation_runs_the_same_tests_as_its_dsl_twin() {
    // policies/toml/NAME.toml.test is ../NAME.policy.test under a two-line comment saying so:
    // kept alike, so a test added to one is run on both surfaces.
    for entry in std::fs::read_dir(root().join("policies/toml")).expect("a folder") {
        let path = entry.expect("an entry").path();
        let Some(file) = path.file_name().map(|f| f.to_string_lossy().to_string()) else {
            continue;
        };
        let Some(stem) = file.strip_suffix(".toml.test") else {
            continue;
        };
        let toml = std::fs::read_to_string(&path).expect("the TOML twin's tests");
        let dsl = std::fs::read_to_string(root().join(format!("policies/{stem}.policy.test")))
            .expect("the DSL policy's tests");
        let body: Vec<&str> = toml.lines().skip(2).collect();
        assert_eq!(
            body,
            dsl.lines().collect::<Vec<_>>(),
            "{file} differs from ../{stem}.policy.test"
        );
    }
}

#[test]
fn quiet_keeps_only_the_failures_and_the_closing_line() {
    let run = attend(&["test", "--quiet", "policies/"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(run.stdout.lines().count(), 1, "{}", run.stdout);
    let broken = attend(&["test", "-q", "tests/policy_tests/broken.policy.test"]);
    assert_eq!(broken.code, 1);
    assert!(broken.stdout.starts_with("FAIL "), "{}", broken.stdout);
    assert!(
        broken
            .stdout
            .contains("tests/policy_tests/broken.policy.test: 1 passed, 1 failed\n"),
        "{}",
        broken.stdout
    );
}

#[test]
fn a_policy_named_runs_the_tests_beside_it() {
    let run = attend(&["test", "policies/national.policy"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .starts_with("policies/national.policy.test: 3 passed\n"),
        "{}",
        run.stdout
    );
    // Named again inside a folder given too, its tests run once.
    let once = attend(&["test", "-q", "policies/"]);
    let twice = attend(&["test", "-q", "policies/", "policies/national.policy"]);
    let counts = |r: &Run| without_time(&r.stdout);
    assert_eq!(counts(&once), counts(&twice));
}

#[test]
fn a_broken_test_prints_the_expected_and_actual_actions_and_the_trace() {
    let run = attend(&["test", "tests/policy_tests/broken.policy.test"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.is_empty(), "{}", run.stderr);
    insta::assert_snapshot!("broken", without_time(&run.stdout));
}

#[test]
fn filter_runs_only_the_tests_whose_name_holds_the_text() {
    let run = attend(&[
        "test",
        "tests/policy_tests/broken.policy.test",
        "--filter",
        "(passes)",
    ]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains(": 1 passed\n"), "{}", run.stdout);
    let none = attend(&[
        "test",
        "policies/national.policy",
        "--filter",
        "nothing like",
    ]);
    assert_eq!(none.code, 2, "{}", none.stdout);
    assert!(
        none.stderr
            .contains("error[test::nothing_to_run]: no test's name contains `nothing like`"),
        "{}",
        none.stderr
    );
}

#[test]
fn a_malformed_test_file_is_reported_at_each_slip_with_a_fix() {
    let run = attend(&["test", "tests/policy_tests/malformed.policy.test"]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    insta::assert_snapshot!("malformed", run.stderr);
}

#[test]
fn names_the_register_or_policy_do_not_know_are_reported_with_the_nearest() {
    let run = attend(&["test", "tests/policy_tests/unknown-names.policy.test"]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    insta::assert_snapshot!("unknown_names", run.stderr);
}

#[test]
fn a_folder_with_no_tests_or_a_missing_path_is_an_error() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let empty = attend(&["test", dir.path().to_str().expect("UTF-8")]);
    assert_eq!(empty.code, 2, "{}", empty.stdout);
    assert!(
        empty.stderr.contains("no test files found"),
        "{}",
        empty.stderr
    );
    let missing = attend(&["test", "no/such/folder"]);
    assert_eq!(missing.code, 2, "{}", missing.stdout);
    assert!(
        missing.stderr.contains("cannot read `no/such/folder`"),
        "{}",
        missing.stderr
    );
}

#[test]
fn a_test_file_whose_policy_is_missing_says_where_it_looked() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("gone.policy.test");
    std::fs::write(
        &path,
        "test: t\n--- register\npupil_id,start_date,marks\nP1,2024-09-09,\"/\\\"\n--- expect\nnever P1\n",
    )
    .expect("written");
    let run = attend(&["test", path.to_str().expect("UTF-8")]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("gone.policy") && run.stderr.contains("cannot read"),
        "{}",
        run.stderr
    );
}

/// Lines a test file is made of, right and wrong, for the property below.
const LINES: &[&str] = &[
    "policy: national.policy",
    "calendar: x.calendar",
    "test: t",
    "test:",
    "--- pupils",
    "--- register",
    "--- expect",
    "--- expect at least",
    "--- other",
    "pupil_id,date_of_birth,year_group,social_worker",
    "P1,2015-05-01,4,true",
    "P2,2020-03-01,R,",
    "P1,2015-13-01,99,maybe",
    "pupil_id,start_date,marks",
    "P1,2024-09-09,\"NN NN OO /\\ /\\ ## ##|NN NN NN NN NN ## ##\"",
    "P2,2024-09-09,\"/\\ /\\ /\\ /\\ /\\ ## ##|OO OO OO OO OO ## ##\"",
    "P1,2024-09-16,\"II\"",
    "P1,2024-09-07,\"/\\\"",
    "P3,2024-08-01,\"Q5%\"",
    "\"unclosed,2024-09-09",
    "2024-09-13 P1 consider:penalty_notice",
    "2024-09-20 P1 notify:local_authority, consider:penalty_notice",
    "2024-09-14 P1 contact",
    "2099-01-01 P2 consider:penalty_notice",
    "2024-02-30 P1 x",
    "never P1",
    "never P2 notify:local_authority",
    "never P9 x y z",
    "end P1 stage enforce",
    "end P2 stage",
    "end",
    "# a comment",
    "",
    "   ",
    "é,ü,\u{feff}",
];

/// Register rows, good and bad, for the well-formed tests below.
const ROWS: &[&str] = &[
    "P1,2024-09-09,\"NN NN OO /\\ /\\ ## ##|NN NN NN NN NN ## ##\"",
    "P1,2024-09-09,\"/\\ /\\ /\\ /\\ /\\ ## ##|OO OO OO OO OO ## ##\"",
    "P1,2024-09-23,\"II\"",
    "P1,2024-09-07,\"/\\\"",
    "P2,2024-09-09,\"LL UU\"",
    "P3,2024-08-01,\"Q5%\"",
    "",
];

/// Expectation lines that parse, naming what may or may not exist.
const EXPECTS: &[&str] = &[
    "2024-09-13 P1 consider:penalty_notice",
    "2024-09-20 P1 notify:local_authority, consider:penalty_notice",
    "end P1 stage enforce",
    "2024-09-10 P1 consider:penalty_notice",
    "2024-09-14 P1 consider:penalty_notice",
    "2099-01-01 P2 consider:penalty_notice",
    "never P1 notify:local_authority",
    "never P2",
    "end P1 stage expect",
    "end P1 stage nowhere",
];

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]

    /// Any test file made of these lines, in any order, is read and run without a panic: it
    /// passes, fails or is reported.
    #[test]
    fn no_test_file_makes_the_runner_panic(
        picks in proptest::collection::vec(0..LINES.len(), 0..40)
    ) {
        // Half the time, a well-formed test whose rows and expectations are drawn from
        // the lines that parse, so they reach the readers and the runner.
        let text: String = if picks.len() % 2 == 0 {
            // A quarter of them name only what exists, so they pass or fail.
            let valid = picks.len() % 4 == 0;
            let rows: Vec<&str> = if valid {
                vec![ROWS[0]]
            } else {
                picks.iter().map(|&i| ROWS[i % ROWS.len()]).collect()
            };
            let expects = if valid { &EXPECTS[..3] } else { EXPECTS };
            let expect: Vec<&str> = picks.iter().rev().map(|&i| expects[i % expects.len()]).collect();
            format!(
                "test: t\n--- pupils\npupil_id,date_of_birth,year_group\nP1,2015-05-01,4\n\
                 --- register\npupil_id,start_date,marks\n{}\n--- expect\n{}\nnever P1\n",
                rows.join("\n"),
                expect.join("\n")
            )
        } else {
            picks.iter().map(|&i| format!("{}\n", LINES[i])).collect()
        };
        let source = attend::source::Source::new("p.policy.test", text);
        if let Ok(file) = attend::policy_test::parse(&source) {
            let policy = attend::source::Source::new(
                "national.policy",
                std::fs::read_to_string(root().join("policies/national.policy")).expect("policy"),
            );
            let calendar = attend::source::Source::new(
                "camden.calendar",
                std::fs::read_to_string(root().join("policies/calendars/camden-2024-25.calendar"))
                    .expect("calendar"),
            );
            let checked = attend::analyse(&policy, Some(&calendar)).checked.expect("compiles");
            let (table, _) = attend::table::compile(&checked);
            let days = attend::table::SchoolDays::new(&table.calendar);
            for case in &file.cases {
                let _ = attend::policy_test::run_case(&file, case, &table, &days);
            }
        }
    }
}

/// The example in docs/testing.md is a test file that passes.
#[test]
fn the_documented_example_passes() {
    let docs = std::fs::read_to_string(root().join("docs/testing.md")).expect("docs/testing.md");
    let start = docs
        .find("# Tests for kings-cross-academy.policy.\n")
        .expect("the example");
    let end = start + docs[start..].find("\n```").expect("the example's end");
    let policies = root().join("policies");
    let example = docs[start..end]
        .replace(
            "policy: kings-cross-academy.policy",
            &format!("policy: {}/kings-cross-academy.policy", policies.display()),
        )
        .replace(
            "calendar: calendars/",
            &format!("calendar: {}/calendars/", policies.display()),
        );
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("example.policy.test");
    std::fs::write(&path, example).expect("written");
    let run = attend(&["test", path.to_str().expect("UTF-8")]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains(": 1 passed\n"), "{}", run.stdout);
}
