//! The rule catalogue: every rule has a fixture `tests/rules/<CODE>.policy` that triggers it,
//! with a snapshot of the diagnostics it renders; codes and names are unique and well formed;
//! the whole catalogue and its documentation are snapshots too, so any change shows in review.

use std::collections::HashSet;
use std::path::Path;

use assert_cmd::Command;
use attend::check::rules::RULES;
use attend::cli::{DiagnosticFormat, render_diagnostics};
use attend::diagnostic::Severity;
use attend::source::Source;

fn fixture(code: &str) -> (String, Source) {
    let path = format!("tests/rules/{code}.policy");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{code} has no fixture {path}: {e}"));
    (path.clone(), Source::new(path, text))
}

#[test]
fn every_rule_has_a_fixture_that_triggers_it() {
    for rule in RULES {
        let (path, src) = fixture(rule.code);
        let first = src.text().lines().next().unwrap_or("");
        assert!(
            first.starts_with(&format!("# {}: ", rule.code)),
            "{path}: the first line must say what the fixture shows: `# {}: ...`",
            rule.code
        );
        let analysis = attend::analyse(&src, None);
        let found: Vec<_> = analysis
            .diagnostics
            .iter()
            .filter(|d| d.code == rule.code)
            .cloned()
            .collect();
        assert!(
            !found.is_empty(),
            "{path} does not trigger {} ({})",
            rule.code,
            rule.name
        );
        let rendered = render_diagnostics(&found, DiagnosticFormat::Human, false);
        insta::with_settings!({ description => first.to_string(), omit_expression => true }, {
            insta::assert_snapshot!(format!("rule_{}", rule.code), format!("{}\n---\n{rendered}", src.text()));
        });
    }
}

#[test]
fn every_fixture_belongs_to_a_rule() {
    let codes: HashSet<&str> = RULES.iter().map(|r| r.code).collect();
    for entry in std::fs::read_dir("tests/rules").unwrap() {
        let path = entry.unwrap().path();
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_string();
        assert_eq!(
            path.extension().and_then(|e| e.to_str()),
            Some("policy"),
            "{}",
            path.display()
        );
        assert!(
            codes.contains(stem.as_str()),
            "{} names no rule in the catalogue",
            path.display()
        );
    }
}

#[test]
fn codes_and_names_are_unique_and_well_formed() {
    let mut codes = HashSet::new();
    let mut names = HashSet::new();
    let mut previous = "";
    for rule in RULES {
        assert!(codes.insert(rule.code), "code {} is used twice", rule.code);
        assert!(names.insert(rule.name), "name {} is used twice", rule.name);
        let digits = rule.code.strip_prefix("AT").unwrap_or("");
        assert!(
            digits.len() == 3 && digits.bytes().all(|b| b.is_ascii_digit()),
            "{}: codes are AT and three digits",
            rule.code
        );
        assert!(
            rule.code > previous,
            "{} is out of order in the list",
            rule.code
        );
        previous = rule.code;
        assert!(
            rule.name.split('-').all(|w| !w.is_empty()
                && w.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())),
            "{}: `{}` is not kebab-case",
            rule.code,
            rule.name
        );
        // The group is the kind of source; good practice is never more than info.
        match digits.as_bytes().first() {
            Some(b'0') => assert!(
                rule.severity >= Severity::Warning,
                "{}: law is an error or a warning",
                rule.code
            ),
            Some(b'1') => assert_eq!(
                rule.severity,
                Severity::Warning,
                "{}: statutory guidance is a warning",
                rule.code
            ),
            Some(b'2') => assert!(rule.severity >= Severity::Warning, "{}", rule.code),
            Some(b'3') => assert_eq!(
                rule.severity,
                Severity::Info,
                "{}: good practice is info",
                rule.code
            ),
            _ => panic!("{}: unknown group", rule.code),
        }
        for (heading, text) in [
            ("what", rule.docs.what),
            ("why", rule.docs.why),
            ("example", rule.docs.example),
            ("fix", rule.docs.fix),
        ] {
            assert!(!text.trim().is_empty(), "{}: empty `{heading}`", rule.code);
        }
        assert!(!rule.source.is_empty(), "{}: no source", rule.code);
        let explained = rule.explain();
        for heading in ["## What it checks", "## Why", "## Example", "## How to fix"] {
            assert!(explained.contains(heading), "{}: no `{heading}`", rule.code);
        }
    }
}

#[test]
fn findings_carry_the_rule_url_and_source() {
    for rule in RULES {
        let (_, src) = fixture(rule.code);
        for d in attend::analyse(&src, None)
            .diagnostics
            .iter()
            .filter(|d| d.code == rule.code)
        {
            assert_eq!(
                d.url.as_deref(),
                Some(format!("docs/rules.md#{}", rule.code.to_lowercase()).as_str())
            );
            assert_eq!(d.source.as_deref(), Some(rule.source));
            assert!(
                d.loc.is_some() && d.help.is_some() && d.label.is_some(),
                "{}: `{}` lacks a place, a label or help",
                rule.code,
                d.message
            );
            let first = d.message.chars().next().unwrap_or('x');
            assert!(
                !first.is_uppercase() && !d.message.ends_with('.'),
                "{}: `{}`: lowercase, no final period",
                rule.code,
                d.message
            );
        }
    }
}

#[test]
fn the_catalogue() {
    let out = Command::cargo_bin("attend")
        .unwrap()
        .arg("rules")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    insta::assert_snapshot!("catalogue", String::from_utf8(out).unwrap());
}

#[test]
fn docs_rules_md_is_generated_from_the_catalogue() {
    let out = Command::cargo_bin("attend")
        .unwrap()
        .args(["rules", "--format", "markdown"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let committed = std::fs::read_to_string(Path::new("docs/rules.md")).unwrap_or_default();
    assert!(
        String::from_utf8(out).unwrap() == committed,
        "docs/rules.md is out of date: run `cargo run -q -- rules --format markdown > docs/rules.md`"
    );
}

#[test]
fn explain_prints_a_rules_docs_and_suggests_for_a_slip() {
    let out = Command::cargo_bin("attend")
        .unwrap()
        .args(["explain", "at201"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(text.starts_with("# AT201 attendance-in-no-band"), "{text}");
    for heading in ["## What it checks", "## Why", "## Example", "## How to fix"] {
        assert!(text.contains(heading));
    }
    let by_name = Command::cargo_bin("attend")
        .unwrap()
        .args(["explain", "attendance-in-no-band"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(String::from_utf8(by_name).unwrap(), text);
    let err = Command::cargo_bin("attend")
        .unwrap()
        .args(["explain", "AT2O1"])
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    assert_eq!(
        String::from_utf8(err).unwrap(),
        "error: unknown rule `AT2O1`: did you mean `AT201`? (`attend rules` lists them all)\n"
    );
}

#[test]
fn rules_judge_a_policy_by_the_law_on_its_ratification_date() {
    let policy = |ratified: &str| {
        let text = format!(
            "policy \"Dated\" {{\n  extends national\n  ratified {ratified}\n  \
             cites regulations \"The Education (Pupil Registration) (England) Regulations 2006\"\n  \
             penalty_notices {{\n    fine £80 within 21 days\n    fine £160 within 28 days\n  }}\n}}\n"
        );
        let codes: Vec<String> = attend::analyse(&Source::new("dated.policy", text), None)
            .diagnostics
            .into_iter()
            .map(|d| d.code)
            .collect();
        codes
    };
    // Before 19 August 2024 the 2006 regulations were in force and a notice was £60 or £120.
    let before = policy("2024-08-18");
    assert!(!before.contains(&"AT001".to_string()), "{before:?}");
    assert!(before.contains(&"AT008".to_string()), "{before:?}");
    // From that day the 2024 regulations and amounts apply.
    let after = policy("2024-08-19");
    assert!(after.contains(&"AT001".to_string()), "{after:?}");
    assert!(
        !after.contains(&"AT008".to_string()) && !after.contains(&"AT007".to_string()),
        "{after:?}"
    );
}

#[test]
fn a_gap_no_pupil_within_a_school_year_can_reach_is_only_info() {
    let text = "policy \"Sliver\" {\n  extends national\n  bands attendance over year_to_date from 20 possible sessions {\n    \
                band high \"high\" 95.9999% ..= 100% stage expect\n    band low \"low\" below 95.999% stage monitor\n  }\n}\n";
    let d = attend::analyse(&Source::new("sliver.policy", text), None).diagnostics;
    let gap: Vec<_> = d.iter().filter(|d| d.code == "AT201").collect();
    assert_eq!(gap.len(), 1, "{d:?}");
    assert_eq!(gap[0].severity, Severity::Info);
    assert_eq!(
        gap[0].message,
        "attendance of at least 95.999% and below 95.9999% falls in no band, but no pupil with 20 to 400 possible sessions can have it"
    );
    // The same sliver over a short window: still nobody.
    let short = text.replace("year_to_date", "rolling 6 school_weeks");
    let d = attend::analyse(&Source::new("sliver.policy", short), None).diagnostics;
    assert!(d.iter().any(|d| {
        d.code == "AT201"
            && d.message
                .ends_with("no pupil with 20 to 60 possible sessions can have it")
    }));
}
