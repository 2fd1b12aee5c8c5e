//! `attend check` as ruff and cargo check: exit statuses per code for every command, a folder
//! walked, `attend.toml` found upward, inline suppressions with reasons, and the `--summary`
//! formats naming each school.

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

/// Runs `attend` in `dir`; gives the exit status, standard output and standard error.
fn attend_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("attend")
        .unwrap()
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn attend(args: &[&str]) -> (i32, String, String) {
    attend_in(Path::new(env!("CARGO_MANIFEST_DIR")), args)
}

/// A folder that is the top of a repository (so no `attend.toml` above it is read).
fn repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    dir
}

/// AT201's fixture: its one error is the gap at line 6.
const GAPPY: &str = include_str!("rules/AT201.policy");

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[test]
fn check_exits_0_clean_1_findings_at_the_deny_level_2_when_it_cannot_check() {
    assert_eq!(attend(&["check", "policies/national.policy"]).0, 0);
    // AT101's fixture has warnings and no errors.
    assert_eq!(attend(&["check", "tests/rules/AT101.policy"]).0, 0);
    assert_eq!(
        attend(&["check", "tests/rules/AT101.policy", "--deny", "warning"]).0,
        1
    );
    // Errors fail by default; a syntax error is a finding too.
    assert_eq!(attend(&["check", "tests/rules/AT201.policy"]).0, 1);
    assert_eq!(
        attend(&["check", "tests/errors/err_unknown_letter.policy"]).0,
        1
    );
    // Info findings fail only with `--deny info`: AT301's fixture, its completeness warnings
    // ignored, has one.
    let dir = repository();
    write(
        dir.path(),
        "info.policy",
        include_str!("rules/AT301.policy"),
    );
    write(
        dir.path(),
        "attend.toml",
        "[per-file-ignores]\n\"*.policy\" = [\"AT107\", \"AT108\"]\n",
    );
    let (code, _, err) = attend_in(dir.path(), &["check", "info.policy", "--deny", "warning"]);
    assert_eq!(code, 0);
    assert_eq!(err, "checked 1 policy: 0 errors, 0 warnings and 1 info\n");
    assert_eq!(
        attend_in(dir.path(), &["check", "info.policy", "--deny", "info"]).0,
        1
    );
    // A file that cannot be read, a wrong argument: attend could not do its job.
    let (code, out, _) = attend(&["check", "no-such.policy"]);
    assert_eq!(code, 2);
    assert!(out.contains("cannot read `no-such.policy`"), "{out}");
    assert_eq!(
        attend(&["check", "policies/national.policy", "--deny", "often"]).0,
        2
    );
    assert_eq!(attend(&["check"]).0, 2);
    assert_eq!(
        attend(&["check", "policies/national.policy", "--format", "csv"]).0,
        2
    );
}

#[test]
fn every_command_exits_1_for_the_policy_s_findings_and_2_when_it_cannot_work() {
    // compile: a malformed policy is the policy's finding; a missing file is not.
    assert_eq!(
        attend(&["compile", "tests/errors/err_unknown_letter.policy"]).0,
        1
    );
    assert_eq!(attend(&["compile", "no-such.policy"]).0, 2);
    assert_eq!(attend(&["compile", "policies/national.policy"]).0, 0);
    // fmt: --check fails for a file not in canonical form; a policy that does not parse is
    // a finding; an unreadable one is not.
    let dir = repository();
    write(dir.path(), "ugly.policy", "policy   \"Ugly\" {\n}\n");
    assert_eq!(
        attend_in(dir.path(), &["fmt", "--check", "ugly.policy"]).0,
        1
    );
    assert_eq!(attend(&["fmt", "--check", "policies/national.policy"]).0, 0);
    assert_eq!(
        attend(&["fmt", "tests/errors/err_unknown_letter.policy"]).0,
        0
    );
    write(dir.path(), "broken.policy", "policy \"Broken\" {\n");
    assert_eq!(attend_in(dir.path(), &["fmt", "broken.policy"]).0, 1);
    assert_eq!(attend(&["fmt", "no-such.policy"]).0, 2);
    // run and simulate refuse a policy with errors (1); a register they cannot read is 2.
    let run = |policy: &str, register: &str| {
        attend(&[
            "run",
            policy,
            "--calendar",
            "policies/calendars/camden-2024-25.calendar",
            "--register",
            register,
            "--no-ledger",
            "--out",
            dir.path().join("out").to_str().unwrap(),
        ])
        .0
    };
    assert_eq!(
        run("tests/rules/AT201.policy", "examples/data/register.csv"),
        1
    );
    assert_eq!(run("policies/national.policy", "no-such.csv"), 2);
    assert_eq!(
        run("policies/national.policy", "examples/data/register.csv"),
        0
    );
    let simulate = |policy: &str| {
        attend(&[
            "simulate",
            policy,
            "--cohort",
            "20",
            "--out",
            dir.path().join("sim").to_str().unwrap(),
        ])
        .0
    };
    assert_eq!(simulate("tests/rules/AT201.policy"), 1);
    assert_eq!(simulate("no-such.policy"), 2);
    // explain and done: an argument naming nothing.
    assert_eq!(attend(&["explain", "AT201"]).0, 0);
    assert_eq!(attend(&["explain", "AT999"]).0, 2);
    assert_eq!(attend(&["rules", "--format", "yaml"]).0, 2);
    assert_eq!(attend(&["no-such-command"]).0, 2);
}

#[test]
fn fmt_check_writes_nothing_but_the_names_of_files_that_would_change() {
    let dir = repository();
    write(dir.path(), "ugly.policy", "policy   \"Ugly\" {\n}\n");
    write(dir.path(), "fine.policy", "policy \"Fine\" {\n}\n");
    let (code, out, err) = attend_in(
        dir.path(),
        &["fmt", "--check", "ugly.policy", "fine.policy"],
    );
    assert_eq!(code, 1);
    assert_eq!(out, "");
    assert_eq!(err, "ugly.policy is not in canonical form\n");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("ugly.policy")).unwrap(),
        "policy   \"Ugly\" {\n}\n"
    );
}

#[test]
fn a_folder_is_walked_for_every_policy_sorted_with_one_summary() {
    let dir = repository();
    let root = dir.path();
    write(root, "b/gappy.policy", GAPPY);
    write(
        root,
        "a/national.policy",
        include_str!("../policies/national.policy"),
    );
    write(
        root,
        "a/national.toml",
        include_str!("../policies/toml/national.toml"),
    );
    // Not policies: a calendar in TOML, settings, a hidden folder, a letter.
    write(root, "a/term.toml", "[[calendar]]\nname = \"x\"\n");
    write(root, "Cargo.toml", "[package]\nname = \"x\"\n");
    write(root, ".hidden/gappy.policy", GAPPY);
    write(root, "a/letter.md", "Dear carer");
    let (code, out, _) = attend_in(root, &["check", ".", "--summary", "--format", "csv"]);
    assert_eq!(code, 1);
    let files: Vec<&str> = out
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(
        files,
        [
            "./a/national.policy",
            "./a/national.toml",
            "./b/gappy.policy"
        ]
    );
    let (code, _, err) = attend_in(root, &["check", "a", "b"]);
    assert_eq!(code, 1);
    assert_eq!(
        err.lines().last().unwrap(),
        "checked 3 policies: 1 error, 2 warnings and 0 info"
    );
}

#[test]
fn the_human_count_names_info_findings() {
    let (_, _, err) = attend(&[
        "check",
        "policies/kings-cross-academy.policy",
        "--calendar",
        "policies/calendars/camden-2024-25.calendar",
    ]);
    assert_eq!(
        err.lines().last().unwrap(),
        "checked 1 policy: 10 errors, 10 warnings and 9 info"
    );
}

#[test]
fn attend_toml_is_found_upward_and_sets_deny_ignores_and_calendar() {
    let dir = repository();
    let root = dir.path();
    write(root, "schools/gappy.policy", GAPPY);
    write(root, "schools/excerpt/gappy.policy", GAPPY);
    write(
        root,
        "schools/quiet.policy",
        include_str!("rules/AT101.policy"),
    );
    // Without settings: the gap is an error, AT101's fixture only warns.
    assert_eq!(
        attend_in(&root.join("schools"), &["check", "quiet.policy"]).0,
        0
    );
    write(
        root,
        "attend.toml",
        "deny = \"warning\"\n\n[per-file-ignores]\n\"schools/excerpt/*.policy\" = [\"AT201\"]\n",
    );
    // Found from a folder below it: warnings now fail.
    assert_eq!(
        attend_in(&root.join("schools"), &["check", "quiet.policy"]).0,
        1
    );
    // The flag wins over the file.
    assert_eq!(
        attend_in(
            &root.join("schools"),
            &["check", "quiet.policy", "--deny", "error"]
        )
        .0,
        0
    );
    // --no-config reads none.
    assert_eq!(
        attend_in(
            &root.join("schools"),
            &["check", "quiet.policy", "--no-config"]
        )
        .0,
        0
    );
    // The glob is taken from attend.toml's folder, whichever folder check runs in.
    let codes = |dir: &Path, file: &str| -> Vec<String> {
        let (_, out, _) = attend_in(dir, &["check", "--format", "json", file]);
        let json: Value = serde_json::from_str(&out).unwrap();
        json["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["code"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(codes(&root.join("schools"), "gappy.policy").contains(&"AT201".to_string()));
    assert!(!codes(&root.join("schools"), "excerpt/gappy.policy").contains(&"AT201".to_string()));
    assert!(!codes(&root.join("schools/excerpt"), "gappy.policy").contains(&"AT201".to_string()));
    // The calendar: a path from attend.toml's folder.
    write(
        root,
        "calendars/camden.calendar",
        include_str!("../policies/calendars/camden-2024-25.calendar"),
    );
    write(
        root,
        "attend.toml",
        "calendar = \"calendars/camden.calendar\"\n",
    );
    write(
        root,
        "schools/kx.policy",
        include_str!("../policies/kings-cross-academy.policy"),
    );
    let schools = root.join("schools");
    let with_config = attend_in(&schools, &["check", "kx.policy"]);
    let flag = root.join("calendars/camden.calendar");
    let with_flag = attend_in(
        &schools,
        &[
            "check",
            "kx.policy",
            "--no-config",
            "--calendar",
            flag.to_str().unwrap(),
        ],
    );
    let without = attend_in(&schools, &["check", "kx.policy", "--no-config"]);
    assert_eq!(with_config.1, with_flag.1);
    assert_ne!(with_config.1, without.1);
    // A folder with `.git` is the top: a config above it is not read.
    let inner = root.join("schools/nested");
    std::fs::create_dir_all(inner.join(".git")).unwrap();
    write(&inner, "quiet.policy", include_str!("rules/AT101.policy"));
    write(root, "attend.toml", "deny = \"warning\"\n");
    assert_eq!(attend_in(&inner, &["check", "quiet.policy"]).0, 0);
}

#[test]
fn a_wrong_attend_toml_is_exit_2_pointing_into_it() {
    let dir = repository();
    let root = dir.path();
    write(root, "gappy.policy", GAPPY);
    write(root, "attend.toml", "deny = \"sometimes\"\n");
    let (code, _, err) = attend_in(root, &["check", "gappy.policy"]);
    assert_eq!(code, 2);
    assert!(err.contains("attend.toml:1:8"), "{err}");
    write(
        root,
        "attend.toml",
        "[per-file-ignores]\n\"*.policy\" = [\"AT2O1\"]\n",
    );
    let (code, _, err) = attend_in(root, &["check", "gappy.policy"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("`AT2O1` in `[per-file-ignores]` is not a rule"),
        "{err}"
    );
    assert!(err.contains("did you mean `AT201`?"), "{err}");
    write(root, "attend.toml", "colour = \"red\"\n");
    assert_eq!(attend_in(root, &["check", "gappy.policy"]).0, 2);
}

/// The findings `check` reports in `text`, as `code line: message`.
fn findings_in(text: &str) -> (i32, Vec<String>) {
    let dir = repository();
    write(dir.path(), "school.policy", text);
    let (code, out, _) = attend_in(dir.path(), &["check", "--format", "json", "school.policy"]);
    let json: Value = serde_json::from_str(&out).unwrap();
    let found = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| !d["code"].as_str().unwrap().starts_with("AT1"))
        .map(|d| {
            format!(
                "{} {}: {}",
                d["code"].as_str().unwrap(),
                d["line"],
                d["message"].as_str().unwrap()
            )
        })
        .collect();
    (code, found)
}

#[test]
fn an_inline_comment_silences_one_rule_on_one_line_with_a_reason() {
    let trailing = GAPPY.replace(
        "stage monitor\n",
        "stage monitor  # attend: allow AT201 -- the document's own gap, kept as written\n",
    );
    assert_eq!(findings_in(&trailing), (0, vec![]));
    // `attend fmt` prints a trailing comment on the line above its statement, where it still
    // silences that statement's line.
    let dir = repository();
    write(dir.path(), "school.policy", &trailing);
    let (_, formatted, _) = attend_in(dir.path(), &["fmt", "school.policy"]);
    assert!(
        formatted.contains(
            "    # attend: allow AT201 -- the document's own gap, kept as written\n    band monitor"
        ),
        "{formatted}"
    );
    assert_eq!(findings_in(&formatted), (0, vec![]));
    // On the line above, by the rule's name.
    let above = GAPPY.replace(
        "    band monitor",
        "    # attend: allow attendance-in-no-band -- as written\n    band monitor",
    );
    assert_eq!(findings_in(&above), (0, vec![]));
    // A TOML policy takes the same comment.
    let dir = repository();
    let toml = include_str!("../policies/toml/national.toml");
    write(
        dir.path(),
        "n.toml",
        &format!("{toml}# attend: allow AT201 -- nothing here\n"),
    );
    let (_, out, _) = attend_in(dir.path(), &["check", "--format", "json", "n.toml"]);
    assert!(out.contains("suppress::unused"), "{out}");
}

#[test]
fn a_suppression_without_reason_or_finding_or_rule_is_reported() {
    let no_reason = GAPPY.replace("stage monitor\n", "stage monitor # attend: allow AT201\n");
    let (code, found) = findings_in(&no_reason);
    assert_eq!(code, 1);
    assert_eq!(
        found,
        [
            "AT201 6: attendance above 95.9% and below 96% falls in no band: e.g. a pupil with 47 \
             of 49 possible sessions (95.92%)",
            "suppress::no_reason 6: this suppression of AT201 gives no reason, so it is not applied"
        ]
    );
    let unused = GAPPY.replace(
        "stage listen\n",
        "stage listen # attend: allow AT201 -- wrong line\n",
    );
    let (code, found) = findings_in(&unused);
    assert_eq!(code, 1);
    assert_eq!(
        found[1],
        "suppress::unused 7: this suppression silences nothing: AT201 reports nothing on line 7"
    );
    let unknown = GAPPY.replace(
        "stage listen\n",
        "stage listen # attend: allow AT2O1 -- typo\n",
    );
    let (_, found) = findings_in(&unknown);
    assert_eq!(
        found[1],
        "suppress::unknown_rule 7: `AT2O1` is not a rule, so this suppression silences nothing"
    );
    let malformed = GAPPY.replace(
        "stage listen\n",
        "stage listen # attend: alow AT201 -- typo\n",
    );
    let (_, found) = findings_in(&malformed);
    assert_eq!(
        found[1],
        "suppress::malformed 7: `alow` is not an `attend:` directive"
    );
    // A suppressed error no longer stops `run`.
    let dir = repository();
    let trailing = GAPPY.replace(
        "stage monitor\n",
        "stage monitor  # attend: allow AT201 -- kept as written\n",
    );
    write(dir.path(), "school.policy", &trailing);
    let register = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data/register.csv");
    let calendar =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/calendars/camden-2024-25.calendar");
    let (code, _, err) = attend_in(
        dir.path(),
        &[
            "run",
            "school.policy",
            "--calendar",
            calendar.to_str().unwrap(),
            "--register",
            register.to_str().unwrap(),
            "--no-ledger",
            "--out",
            "out",
        ],
    );
    assert_eq!(code, 0, "{err}");
}

#[test]
fn summary_formats_name_each_school_and_urn() {
    let dir = repository();
    let urn = GAPPY.replace("  extends national\n", "  extends national\n  urn 100000\n");
    write(dir.path(), "gappy.policy", &urn);
    write(
        dir.path(),
        "national.policy",
        include_str!("../policies/national.policy"),
    );
    let (code, out, _) = attend_in(dir.path(), &["check", ".", "--summary", "--format", "json"]);
    assert_eq!(code, 1);
    let json: Value = serde_json::from_str(&out).unwrap();
    let first = &json["policies"][0];
    assert_eq!(first["policy"], "./gappy.policy");
    assert_eq!(first["school"], "Gappy bands");
    assert_eq!(first["urn"], 100000);
    assert_eq!(first["errors"], 1);
    assert_eq!(first["rules"]["AT201"], 1);
    assert_eq!(json["policies"][1]["urn"], Value::Null);
    let (_, csv, _) = attend_in(dir.path(), &["check", ".", "--summary", "--format", "csv"]);
    assert!(
        csv.starts_with("policy,school,urn,errors,warnings,info,"),
        "{csv}"
    );
    assert!(
        csv.contains("\n./gappy.policy,Gappy bands,100000,1,"),
        "{csv}"
    );
    let (_, markdown, _) = attend_in(dir.path(), &["check", ".", "--summary"]);
    assert!(
        markdown.starts_with("| policy | school | URN | errors |"),
        "{markdown}"
    );
    assert!(
        markdown.contains("| ./gappy.policy | Gappy bands | 100000 | 1 |"),
        "{markdown}"
    );
    assert_eq!(
        attend_in(
            dir.path(),
            &["check", ".", "--summary", "--format", "sarif"]
        )
        .0,
        2
    );
}
