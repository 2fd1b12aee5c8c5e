//! `attend compile --format sql`: the national policy's script for DuckDB and Spark (held as
//! snapshots, read as SQL a person reviews), its shape (statements a loader can split on `;`
//! at a line's end), and a construct the compiler cannot express failing with a located
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

fn national(dialect: &str) -> String {
    let (code, stdout, stderr) = attend(&[
        "compile",
        "policies/national.policy",
        "--calendar",
        "policies/calendars/camden-2024-25.calendar",
        "--format",
        "sql",
        "--dialect",
        dialect,
    ]);
    assert_eq!(code, 0, "{stderr}");
    stdout
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

#[test]
fn a_construct_the_compiler_cannot_express_is_a_located_error() {
    let (code, stdout, stderr) = attend(&[
        "compile",
        "policies/real/millbrook-primary.policy",
        "--format",
        "sql",
        "--dialect",
        "spark",
    ]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stdout.is_empty(), "no SQL is written: {stdout}");
    insta::assert_snapshot!(stderr);
}
