//! The `attend` binary as a user runs it: exit statuses, the JSON report's shape, syntax errors
//! in plain words, junk and huge inputs, compile's formats and atomic `--output`, `fmt --check`
//! and the DSL ⇄ TOML conversion, and help with examples for every subcommand.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use serde_json::Value;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn both(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
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

fn no_panic(run: &Run, what: &str) {
    assert!(
        !run.both().contains("panicked"),
        "{what}: the binary panicked:\n{}",
        run.both()
    );
    assert_ne!(
        run.code, 101,
        "{what}: exit status 101 is Rust's panic status"
    );
}

fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary directory")
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 temporary path")
}

/// A well-formed policy whose only finding is a warning: the corrected support-first policy
/// with an escalation on the retired code `Y`.
fn warnings_only(dir: &Path) -> PathBuf {
    let corrected = root().join("policies/corrected/support-first-framework.policy");
    let mut text = std::fs::read_to_string(&corrected).expect("the corrected policy");
    let end = text.rfind('}').expect("the policy's closing brace");
    text.insert_str(
        end,
        "  escalation \"exceptional circumstances\" days marked {Y} {\n    day 1: contact\n  }\n",
    );
    let path = dir.join("warnings-only.policy");
    std::fs::write(&path, &text).expect("writable temporary file");
    // The fixture's premise, checked through the library so a change in the rules says so here.
    let analysis = attend::analyse(
        &attend::source::Source::new("warnings-only.policy", text),
        None,
    );
    let severities: Vec<_> = analysis
        .diagnostics
        .iter()
        .map(|d| (d.code.as_str(), d.severity))
        .collect();
    assert!(
        !analysis.diagnostics.is_empty() && !analysis.has_errors(),
        "the fixture should have warnings and no errors: {severities:?}"
    );
    path
}

// ------------------------------------------------------------------ check

#[test]
fn check_exit_status_is_0_clean_1_findings_2_cannot_check() {
    let clean = attend(&["check", "policies/national.policy"]);
    assert_eq!(clean.code, 0, "{}", clean.both());
    assert!(
        clean.stderr.contains("0 errors, 0 warnings"),
        "{}",
        clean.stderr
    );

    let errors = attend(&["check", "tests/errors/err_unknown_letter.policy"]);
    assert_eq!(errors.code, 1, "{}", errors.both());
    assert!(
        errors.stdout.contains("model::unknown_letter"),
        "{}",
        errors.stdout
    );
    let errors = attend(&[
        "check",
        "tests/errors/err_unknown_letter.policy",
        "--deny",
        "warnings",
    ]);
    assert_eq!(errors.code, 1, "errors are denied with warnings");

    let dir = temp_dir();
    let fixture = warnings_only(dir.path());
    let warned = attend(&["check", path_str(&fixture)]);
    assert_eq!(warned.code, 0, "warnings alone pass:\n{}", warned.both());
    let denied = attend(&["check", path_str(&fixture), "--deny", "warnings"]);
    assert_eq!(denied.code, 1, "{}", denied.both());

    let missing = attend(&["check", "no/such/file.policy"]);
    assert_eq!(missing.code, 2, "{}", missing.both());
    assert!(
        missing.both().contains("no/such/file.policy"),
        "{}",
        missing.both()
    );
}

const JSON_KEYS: [&str; 7] = [
    "code", "severity", "message", "file", "line", "column", "help",
];

/// `{"diagnostics":[{"code","severity","message","file","line","column","help"}...]}`; a
/// national rule's finding may add `rule_url`, `explain` and `source`.
fn assert_report_shape(report: &Value) -> &Vec<Value> {
    let top = report.as_object().expect("the report is an object");
    assert_eq!(top.keys().collect::<Vec<_>>(), ["diagnostics"], "{report}");
    let diagnostics = top["diagnostics"]
        .as_array()
        .expect("`diagnostics` is an array");
    for d in diagnostics {
        let d = d.as_object().expect("each diagnostic is an object");
        let code = d
            .get("code")
            .and_then(Value::as_str)
            .expect("a string `code`");
        let stage = code.starts_with("syntax::")
            || code.starts_with("model::")
            || code.starts_with("input::");
        let mut keys: Vec<&str> = d.keys().map(String::as_str).collect();
        keys.retain(|k| stage || !["rule_url", "explain", "source"].contains(k));
        keys.sort_unstable();
        let mut expected = JSON_KEYS.to_vec();
        expected.sort_unstable();
        assert_eq!(keys, expected, "{code}: keys of {d:?}");
        let severity = d["severity"].as_str().expect("a string `severity`");
        assert!(
            ["error", "warning", "info"].contains(&severity),
            "{code}: severity {severity}"
        );
        assert!(d["message"].is_string(), "{code}: message");
        assert!(d["file"].is_string() || d["file"].is_null(), "{code}: file");
        assert!(d["line"].is_u64() || d["line"].is_null(), "{code}: line");
        assert!(
            d["column"].is_u64() || d["column"].is_null(),
            "{code}: column"
        );
        assert!(d["help"].is_string() || d["help"].is_null(), "{code}: help");
    }
    diagnostics
}

#[test]
fn check_json_has_the_documented_shape() {
    let run = attend(&[
        "check",
        "--format",
        "json",
        "tests/errors/err_unknown_letter.policy",
        "tests/errors/err_retired_code.policy",
        "policies/kings-cross-academy.policy",
    ]);
    assert_eq!(run.code, 1, "{}", run.both());
    let report: Value = serde_json::from_str(&run.stdout).expect("stdout is JSON");
    let diagnostics = assert_report_shape(&report);
    let first = &diagnostics[0];
    assert_eq!(first["code"], "model::unknown_letter");
    assert_eq!(first["severity"], "error");
    assert_eq!(first["message"], "unknown letter `three-days`");
    assert_eq!(first["file"], "tests/errors/err_unknown_letter.policy");
    assert_eq!(
        (first["line"].as_u64(), first["column"].as_u64()),
        (Some(5), Some(19))
    );
    assert_eq!(first["help"], "did you mean `three-day`?");
    let severities: Vec<&str> = diagnostics
        .iter()
        .filter_map(|d| d["severity"].as_str())
        .collect();
    assert!(severities.contains(&"warning"), "{severities:?}");

    let clean = attend(&["check", "--format", "json", "policies/national.policy"]);
    assert_eq!(clean.code, 0);
    let report: Value = serde_json::from_str(&clean.stdout).expect("stdout is JSON");
    assert!(assert_report_shape(&report).is_empty());
}

/// Grammar rule names an author must never see: the rules' snake_case names that are not
/// also words of the language.
fn rule_names() -> Vec<String> {
    let grammar = std::fs::read_to_string(root().join("grammar/policy.pest")).expect("the grammar");
    let literals: Vec<&str> = grammar.split('"').skip(1).step_by(2).collect();
    grammar
        .lines()
        .filter_map(|line| line.split_once('=').map(|(name, _)| name.trim()))
        .filter(|name| {
            name.contains('_')
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !literals.contains(name)
        })
        .map(String::from)
        .collect()
}

#[test]
fn syntax_errors_say_where_and_what_in_plain_words() {
    let names = rule_names();
    assert!(
        names.iter().any(|n| n == "range_between"),
        "rule names found: {names:?}"
    );
    let cases = [
        "tests/errors/err_missing_brace.policy",
        "tests/errors/err_missing_then.policy",
        "tests/errors/err_double_percent.policy",
        "tests/errors/err_unknown_window.policy",
        "tests/errors/err_keyword_as_name.policy",
        "tests/errors/err_unterminated_string.policy",
        "tests/errors/err_toml_bad_condition.toml",
    ];
    for case in cases {
        let run = attend(&["check", "--format", "json", case]);
        assert_eq!(run.code, 1, "{case}: {}", run.both());
        let report: Value = serde_json::from_str(&run.stdout).expect("stdout is JSON");
        let diagnostics = assert_report_shape(&report);
        let d = diagnostics
            .iter()
            .find(|d| d["code"] == "syntax::unexpected")
            .unwrap_or_else(|| panic!("{case}: no syntax::unexpected in {report}"));
        assert_eq!(d["file"], case);
        assert!(
            d["line"].as_u64().is_some_and(|l| l > 1),
            "{case}: line {}",
            d["line"]
        );
        assert!(
            d["column"].as_u64().is_some_and(|c| c >= 1),
            "{case}: column {}",
            d["column"]
        );
        let help = d["help"].as_str().unwrap_or_default();
        assert!(help.starts_with("expected "), "{case}: help {help:?}");
        let human = attend(&["check", case]);
        for text in [
            run.stdout.as_str(),
            human.stdout.as_str(),
            human.stderr.as_str(),
        ] {
            assert!(!text.contains("Rule::"), "{case}: {text}");
            for name in &names {
                let word = text
                    .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .any(|w| w == name);
                assert!(
                    !word,
                    "{case}: grammar rule `{name}` shown to the user:\n{text}"
                );
            }
        }
    }
}

#[test]
fn binary_junk_is_a_clear_error() {
    let dir = temp_dir();
    let mut junk: Vec<u8> = b"policy \"Junk\" {\n  urn 1\0\n".to_vec();
    // Invalid UTF-8 (a lone continuation byte, an overlong form, 0xFF) and more control bytes.
    junk.extend_from_slice(&[0x80, 0xC0, 0xAF, 0xFF, 0xFE, 0x00, 0x1B, b'[', b'2', b'J']);
    let mut seed: u32 = 0x2545_F491;
    for _ in 0..4096 {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        junk.push(seed.to_le_bytes()[0]);
    }
    for name in ["junk.policy", "junk.toml", "junk.calendar"] {
        let path = dir.path().join(name);
        std::fs::write(&path, &junk).expect("writable temporary file");
        for args in [
            vec!["check", path_str(&path)],
            vec!["check", "--format", "json", path_str(&path)],
            vec!["compile", path_str(&path)],
            vec!["fmt", path_str(&path)],
        ] {
            let run = attend(&args);
            no_panic(&run, name);
            assert_eq!(run.code, 2, "{args:?}: {}", run.both());
            assert!(
                run.both().contains("not UTF-8") || run.both().contains("syntax::not_text"),
                "{args:?}: {}",
                run.both()
            );
        }
    }
    // Valid UTF-8 full of NULs and control characters is text, but not a policy.
    let path = dir.path().join("controls.policy");
    std::fs::write(&path, "policy \"C\" {\0\u{7}\u{1b}[31m }\n").expect("writable temporary file");
    let run = attend(&["check", path_str(&path)]);
    no_panic(&run, "controls");
    assert_eq!(run.code, 1, "{}", run.both());
    assert!(run.stdout.contains("syntax::unexpected"), "{}", run.both());
}

#[test]
fn a_10_mb_file_fails_quickly() {
    let dir = temp_dir();
    let ten_mb = 10 * 1024 * 1024;
    let inputs = [
        ("one-line.policy", "x".repeat(ten_mb)),
        (
            "long-string.policy",
            format!("policy \"{}", "a".repeat(ten_mb)),
        ),
        (
            "deep.policy",
            format!("policy \"D\" {{\n  define d when {}", "(".repeat(ten_mb)),
        ),
        (
            "many-lines.toml",
            "[policy]\nname = \"Big\"\n".to_string() + &"# comment\n".repeat(ten_mb / 10) + "oops",
        ),
    ];
    for (name, text) in inputs {
        let path = dir.path().join(name);
        std::fs::write(&path, &text).expect("writable temporary file");
        let started = Instant::now();
        let run = attend(&["check", path_str(&path)]);
        let took = started.elapsed();
        no_panic(&run, name);
        assert_eq!(
            run.code,
            1,
            "{name}: {}",
            &run.both()[..run.both().len().min(2000)]
        );
        assert!(took < Duration::from_secs(30), "{name}: took {took:?}");
        // The report shows a window of the problem, not the 10 MB.
        assert!(
            run.both().len() < 100_000,
            "{name}: {} bytes of output",
            run.both().len()
        );
    }
}

// ------------------------------------------------------------------ compile

/// Every bundled policy compiles: national-rule findings are `attend check`'s to report, and
/// compile only notes that they exist.
#[test]
fn compile_succeeds_on_every_bundled_policy() {
    let mut files: Vec<std::path::PathBuf> = Vec::new();
    for dir in ["policies", "policies/toml", "policies/corrected"] {
        for entry in std::fs::read_dir(dir).expect("policies/ exists").flatten() {
            let path = entry.path();
            if matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("policy" | "toml")
            ) {
                files.push(path);
            }
        }
    }
    files.sort();
    assert!(files.len() >= 12, "{files:?}");
    for path in files {
        let run = attend(&["compile", path_str(&path)]);
        assert_eq!(run.code, 0, "{}: {}", path.display(), run.both());
        assert!(
            run.stdout.starts_with("decision table: "),
            "{}",
            path.display()
        );
    }
    let seed = attend(&["compile", "policies/kings-cross-academy.policy"]);
    assert!(
        seed.stderr.contains("note: `attend check"),
        "{}",
        seed.stderr
    );
}

#[test]
fn compile_prints_text_markdown_and_json() {
    let text = attend(&["compile", "policies/national.policy"]);
    assert_eq!(text.code, 0, "{}", text.both());
    assert!(
        text.stdout
            .starts_with("decision table: National framework (England)"),
        "{}",
        text.stdout
    );
    let explicit = attend(&["compile", "--format", "text", "policies/national.policy"]);
    assert_eq!(explicit.stdout, text.stdout);

    let markdown = attend(&[
        "compile",
        "--format",
        "markdown",
        "policies/national.policy",
    ]);
    assert_eq!(markdown.code, 0, "{}", markdown.both());
    assert!(markdown.stdout.contains("| "), "{}", markdown.stdout);
    assert!(
        markdown.stdout.lines().any(|l| l.starts_with('#')),
        "{}",
        markdown.stdout
    );

    let json = attend(&["compile", "--format", "json", "policies/national.policy"]);
    assert_eq!(json.code, 0, "{}", json.both());
    let table: Value = serde_json::from_str(&json.stdout).expect("stdout is JSON");
    assert_eq!(table["policy"], "National framework (England)");
    let rows = table["rows"].as_array().expect("`rows` is an array");
    assert!(!rows.is_empty());
    assert!(
        rows.iter()
            .all(|r| r["id"].is_string() && r["when"].is_array()),
        "{table}"
    );

    let malformed = attend(&["compile", "tests/errors/err_unknown_letter.policy"]);
    assert_eq!(malformed.code, 1, "{}", malformed.both());
    assert!(
        malformed.stdout.is_empty(),
        "no table for a malformed policy: {}",
        malformed.stdout
    );
    assert!(
        malformed.stderr.contains("model::unknown_letter"),
        "{}",
        malformed.stderr
    );
}

#[test]
fn compile_output_is_written_whole() {
    let dir = temp_dir();
    for format in ["text", "markdown", "json"] {
        let out = dir.path().join(format!("table.{format}"));
        std::fs::write(&out, "old contents").expect("writable temporary file");
        let run = attend(&[
            "compile",
            "policies/kings-cross-academy.policy",
            "--format",
            format,
            "--output",
            path_str(&out),
        ]);
        no_panic(&run, format);
        assert!(
            run.stdout.is_empty(),
            "{format}: with --output nothing goes to stdout: {}",
            run.stdout
        );
        let stdout = attend(&[
            "compile",
            "policies/kings-cross-academy.policy",
            "--format",
            format,
        ]);
        let written = std::fs::read_to_string(&out).expect("the output file exists");
        assert_eq!(
            written, stdout.stdout,
            "{format}: the file holds the whole table"
        );
        assert_eq!(run.code, stdout.code);
    }
    // Nothing but the outputs is left behind: the temporary file was renamed into place.
    let mut left: Vec<String> = std::fs::read_dir(dir.path())
        .expect("readable directory")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["table.json", "table.markdown", "table.text"]);

    // A malformed policy leaves an existing output untouched.
    let out = dir.path().join("table.text");
    let run = attend(&[
        "compile",
        "tests/errors/err_unknown_letter.policy",
        "--output",
        path_str(&out),
    ]);
    assert_eq!(run.code, 1);
    let kept = std::fs::read_to_string(&out).expect("the output file exists");
    assert!(
        kept.starts_with("decision table: King's Cross Academy"),
        "{kept}"
    );
}

// ------------------------------------------------------------------ fmt

#[test]
fn fmt_check_tells_canonical_from_not() {
    let canonical = attend(&["fmt", "--check", "policies/national.policy"]);
    assert_eq!(canonical.code, 0, "{}", canonical.both());
    assert!(canonical.stdout.is_empty());

    let dir = temp_dir();
    let messy = dir.path().join("messy.policy");
    let text =
        std::fs::read_to_string(root().join("policies/national.policy")).expect("the policy");
    std::fs::write(&messy, text.replace("\n  ", "\n        ")).expect("writable temporary file");
    let run = attend(&["fmt", "--check", path_str(&messy)]);
    assert_eq!(run.code, 1, "{}", run.both());
    assert!(run.stderr.contains("messy.policy"), "{}", run.stderr);
    assert!(
        run.stdout.is_empty(),
        "--check prints nothing else: {}",
        run.stdout
    );

    // --write makes it canonical, after which --check passes.
    let write = attend(&["fmt", "--write", path_str(&messy)]);
    assert_eq!(write.code, 0, "{}", write.both());
    assert_eq!(std::fs::read_to_string(&messy).expect("readable"), text);
    assert_eq!(attend(&["fmt", "--check", path_str(&messy)]).code, 0);

    let broken = attend(&["fmt", "--check", "tests/errors/err_missing_brace.policy"]);
    assert_eq!(
        broken.code,
        1,
        "a file that does not parse is a finding: {}",
        broken.both()
    );
}

#[test]
fn fmt_converts_to_toml_and_back() {
    let dir = temp_dir();
    for policy in [
        "policies/kings-cross-academy.policy",
        "policies/national.policy",
        "policies/calendars/camden-2024-25.calendar",
    ] {
        let original = std::fs::read_to_string(root().join(policy)).expect("the file");
        let toml = attend(&["fmt", "--to", "toml", policy]);
        assert_eq!(toml.code, 0, "{policy}: {}", toml.both());
        let toml_path = dir.path().join("converted.toml");
        std::fs::write(&toml_path, &toml.stdout).expect("writable temporary file");
        let back = attend(&["fmt", "--to", "dsl", path_str(&toml_path)]);
        assert_eq!(back.code, 0, "{policy}: {}", back.both());
        let strip = |text: &str| -> Vec<String> {
            text.lines()
                .filter(|l| !l.trim_start().starts_with('#'))
                .map(str::to_string)
                .collect()
        };
        // Statements come back exactly; every comment comes back (one on a block that TOML
        // has no table for may move to the block's first entry, see tests/roundtrip.rs).
        assert_eq!(
            strip(&back.stdout),
            strip(&original),
            "{policy}: statements changed"
        );
        let comments = |text: &str| text.matches('#').count();
        assert_eq!(
            comments(&back.stdout),
            comments(&original),
            "{policy}: comments changed"
        );
        // The TOML form is itself canonical.
        let again = attend(&["fmt", "--check", path_str(&toml_path)]);
        assert_eq!(
            again.code,
            0,
            "{policy}: the printed TOML is not canonical: {}",
            again.both()
        );
    }
}

// ------------------------------------------------------------------ help and demo

fn subcommands() -> Vec<String> {
    let help = attend(&["--help"]);
    assert_eq!(help.code, 0);
    help.stdout
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(String::from)
        .collect()
}

#[test]
fn every_subcommand_shows_an_example() {
    let commands = subcommands();
    for expected in ["check", "compile", "fmt", "demo"] {
        assert!(
            commands.iter().any(|c| c == expected),
            "`{expected}` missing from {commands:?}"
        );
    }
    let top = attend(&["--help"]);
    assert!(top.stdout.contains("Example"), "{}", top.stdout);
    for command in commands {
        for flag in ["--help", "-h"] {
            let run = attend(&[command.as_str(), flag]);
            assert_eq!(run.code, 0, "{command} {flag}: {}", run.both());
            assert!(
                run.stdout.contains("Example"),
                "{command} {flag} shows no example:\n{}",
                run.stdout
            );
        }
    }
}

#[test]
fn demo_runs() {
    let run = attend(&["demo"]);
    no_panic(&run, "demo");
    assert_eq!(run.code, 0, "{}", run.both());
    // Every output a newcomer should see: the findings, the table, the run (with the flag a
    // policy with errors needs, so the command shown does what the demo did), the report,
    // the letters and the morning list.
    for expected in [
        "checked 1 policy: 10 errors, 10 warnings and 9 info",
        "--allow-errors",
        "actions.csv",
        "report.html",
        "letters",
        "the morning list",
    ] {
        assert!(run.stdout.contains(expected), "{expected}:\n{}", run.stdout);
    }
}

#[test]
fn fmt_to_toml_refuses_a_repeat_toml_cannot_hold_at_the_repeat() {
    // TOML keeps one value per key: converting `target` written twice, or a letter id twice,
    // would drop the second silently. The conversion is refused, pointing at the repeat.
    for (file, at, what) in [
        (
            "fuzz/regressions/fmt_roundtrip/repeated-statement-dropped-by-toml.policy",
            ":3:3]",
            "`target` is stated again here",
        ),
        (
            "fuzz/regressions/fmt_roundtrip/repeated-name-dropped-by-toml.policy",
            ":4:5]",
            "letter `concern` is stated again here",
        ),
        // A session's time is one key of its TOML table (found by fuzzing fmt_roundtrip in CI).
        (
            "fuzz/regressions/fmt_roundtrip/session-time-repeated.policy",
            ":6:28]",
            "`opens` of session `am` is stated again here",
        ),
        (
            "fuzz/regressions/fmt_roundtrip/session-time-repeated-in-a-calendar-file.calendar",
            ":3:39]",
            "`closes` of session `am` is stated again here",
        ),
        // A block TOML holds as one table, written twice: the second would merge into the
        // first (found by fuzzing fmt_roundtrip in CI; the empty one keeps only comments).
        (
            "fuzz/regressions/fmt_roundtrip/empty-second-meetings-block.policy",
            ":20:3]",
            "a `meetings` block is stated again here",
        ),
        (
            "fuzz/regressions/fmt_roundtrip/second-roles-block.policy",
            ":23:3]",
            "a `roles` block is stated again here",
        ),
        // A plan's statement is one key of its TOML table; two `on miss:` lines would merge
        // into one list of actions (the first found by fuzzing fmt_roundtrip in CI).
        (
            "fuzz/regressions/fmt_roundtrip/plan-target-repeated.policy",
            ":8:5]",
            "`target judged` of plan \"stage two\" is stated again here",
        ),
        (
            "fuzz/regressions/fmt_roundtrip/plan-on-miss-repeated.policy",
            ":12:5]",
            "`on miss:` of plan \"stage two\" is stated again here",
        ),
    ] {
        let run = attend(&["fmt", "--to", "toml", file]);
        no_panic(&run, file);
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(run.stdout.is_empty(), "{}", run.stdout);
        assert!(
            run.stderr.contains("syntax::toml_cannot_repeat"),
            "{}",
            run.stderr
        );
        assert!(run.stderr.contains(what), "{}", run.stderr);
        assert!(run.stderr.contains(at), "{}", run.stderr);
    }
}

#[test]
fn fmt_to_toml_refuses_a_one_line_statement_after_a_block() {
    // `extends`, `phase` and the like are keys of TOML's `[policy]` table, printed above every
    // block: one written after a definition would move up on the way back (found by fuzzing
    // fmt_roundtrip), so the conversion is refused, pointing at it.
    let file = "fuzz/regressions/fmt_roundtrip/extends-after-a-block.policy";
    let run = attend(&["fmt", "--to", "toml", file]);
    no_panic(&run, file);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(
        run.stderr.contains("syntax::toml_cannot_order"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("`extends` comes after a block here"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains(":4:3]"), "{}", run.stderr);
}

#[test]
fn fmt_to_toml_refuses_a_second_stages_block() {
    // TOML reads every `[[stage]]` as one list at the first one's place, so a second `stages`
    // block would merge into the first and move the `meetings` between them on the next
    // format: the conversion is refused at the second block.
    let dir = temp_dir();
    let path = dir.path().join("two.policy");
    std::fs::write(
        &path,
        "policy \"x\" {\n  stages {\n    one \"One\"\n  }\n  meetings {\n    taf \"TAF\"\n  }\n  stages {\n    expect \"E\"\n  }\n}\n",
    )
    .expect("write the policy");
    let run = attend(&["fmt", "--to", "toml", path_str(&path)]);
    no_panic(&run, "two stages blocks");
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("a `stages` block is stated again here"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("two.policy:8:3]"), "{}", run.stderr);
}

#[test]
fn fmt_to_toml_refuses_a_second_block_of_entries() {
    // TOML holds `[letters]` (and roles, procedures, meetings, limits, penalty notices) as one
    // table: a second block, even an empty one holding only comments, would merge into the
    // first, so the conversion back would print one block (fuzz: fmt_roundtrip).
    let dir = temp_dir();
    for (name, second) in [
        ("letters", "  letters {\n    other \"b.md\"\n  }\n"),
        ("meetings", "  meetings {\n    # only a comment\n  }\n"),
        ("limits", "  limits {\n    sessions_per_year 380\n  }\n"),
    ] {
        let path = dir.path().join(format!("two-{name}.policy"));
        let first = match name {
            "limits" => "  limits {\n    register_open 30 minutes\n  }\n".to_string(),
            _ => format!("  {name} {{\n    first \"a.md\"\n  }}\n"),
        };
        std::fs::write(
            &path,
            format!("policy \"x\" {{\n{first}  roles {{\n    head \"Head\"\n  }}\n{second}}}\n"),
        )
        .expect("write the policy");
        let run = attend(&["fmt", "--to", "toml", path_str(&path)]);
        no_panic(&run, name);
        assert_eq!(run.code, 2, "{name}: {}", run.stderr);
        assert!(
            run.stderr
                .contains(&format!("a `{name}` block is stated again here")),
            "{name}: {}",
            run.stderr
        );
        assert!(
            run.stderr.contains(&format!("two-{name}.policy:8:3]")),
            "{name}: {}",
            run.stderr
        );
        assert!(run.stdout.is_empty(), "{name}: nothing half-written");
    }
}

#[test]
fn a_reader_that_goes_away_ends_the_output_quietly() {
    // `attend check policies/ | head -1`: the reader closes the pipe before attend has printed
    // everything. attend stops there, as any command-line tool does, without a panic's
    // "failed printing to stdout" on standard error.
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin!("attend"))
        .args(["check", "policies/"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("attend starts");
    // Closed before attend has checked the first policy, so its first line meets no reader.
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("attend ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(
            out.status.signal(),
            Some(13),
            "ended by SIGPIPE: {:?}",
            out.status
        );
    }
}
