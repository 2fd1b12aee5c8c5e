//! `attend check` as a user runs it: exit statuses, JSON with `rule_url` and `source`, SARIF
//! that validates against the official SARIF 2.1.0 schema (vendored in
//! `tests/sarif-schema-2.1.0.json`), and the `--summary` compliance matrix.

use assert_cmd::Command;
use serde_json::Value;

const SEEDS: &[&str] = &[
    "policies/support-first-framework.policy",
    "policies/attendance-thresholds.policy",
    "policies/kings-cross-academy.policy",
    "policies/three-stage-approach.policy",
    "policies/aspire-monitor-framework.policy",
];

fn attend(args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("attend")
        .unwrap()
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn exit_status_is_0_clean_1_findings_at_the_deny_level() {
    assert_eq!(attend(&["check", "policies/national.policy"]).0, 0);
    // AT101's fixture has warnings and no errors.
    assert_eq!(attend(&["check", "tests/rules/AT101.policy"]).0, 0);
    assert_eq!(
        attend(&["check", "tests/rules/AT101.policy", "--deny", "warnings"]).0,
        1
    );
    assert_eq!(attend(&["check", "tests/rules/AT201.policy"]).0, 1);
    assert_eq!(
        attend(&["check", "tests/rules/AT201.policy", "--deny", "warnings"]).0,
        1
    );
    // Info findings alone never fail a check.
    assert_eq!(
        attend(&[
            "check",
            "policies/corrected/support-first-framework.policy",
            "--deny",
            "warnings"
        ])
        .0,
        0
    );
}

#[test]
fn json_carries_the_rule_url_and_source() {
    let (code, out, _) = attend(&["check", "--format", "json", "tests/rules/AT201.policy"]);
    assert_eq!(code, 1);
    let json: Value = serde_json::from_str(&out).unwrap();
    let d = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "AT201")
        .unwrap();
    assert_eq!(d["severity"], "error");
    assert_eq!(d["rule_url"], "docs/rules.md#at201");
    assert_eq!(d["explain"], "attend explain AT201");
    assert_eq!(d["line"], 6);
    assert!(d["source"].as_str().unwrap().contains("docs/language.md"));
    assert!(
        d["message"]
            .as_str()
            .unwrap()
            .contains("47 of 49 possible sessions (95.92%)")
    );
}

#[test]
fn sarif_validates_against_the_sarif_2_1_0_schema() {
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string("tests/sarif-schema-2.1.0.json").unwrap())
            .unwrap();
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    let mut args = vec!["check", "--format", "sarif", "policies/national.policy"];
    args.extend(SEEDS);
    args.extend([
        "tests/rules/AT012.policy",
        "tests/rules/AT203.policy",
        "tests/rules/does-not-exist.policy",
    ]);
    let (code, out, _) = attend(&args);
    assert_eq!(code, 2);
    let log: Value = serde_json::from_str(&out).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&log)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    let run = &log["runs"][0];
    assert_eq!(log["version"], "2.1.0");
    assert_eq!(run["tool"]["driver"]["name"], "attend");
    let results = run["results"].as_array().unwrap();
    assert!(results.len() > 40);
    // Every result's rule index points at its rule.
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    for r in results {
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], r["ruleId"]);
    }
    // A gap finding points at the band's range, with the other band as a related location.
    let gap = results
        .iter()
        .find(|r| {
            r["ruleId"] == "AT201" && r["message"]["text"].as_str().unwrap().contains("95.9%")
        })
        .unwrap();
    let region = &gap["locations"][0]["physicalLocation"]["region"];
    assert_eq!(
        gap["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "policies/support-first-framework.policy"
    );
    assert_eq!(
        (region["startLine"].as_u64(), region["startColumn"].as_u64()),
        (Some(35), Some(28))
    );
    assert_eq!(
        gap["relatedLocations"][0]["physicalLocation"]["region"]["startLine"],
        33
    );
    assert_eq!(gap["level"], "error");
}

#[test]
fn sarif_of_a_clean_policy_validates_too() {
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string("tests/sarif-schema-2.1.0.json").unwrap())
            .unwrap();
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    let (code, out, _) = attend(&["check", "--format", "sarif", "policies/national.policy"]);
    assert_eq!(code, 0);
    let log: Value = serde_json::from_str(&out).unwrap();
    assert!(validator.is_valid(&log));
    assert_eq!(log["runs"][0]["results"].as_array().map(Vec::len), Some(0));
    // The validator does reject what the schema forbids.
    let mut broken = log.clone();
    broken["runs"][0]["results"] =
        serde_json::json!([{ "level": "fatal", "message": { "text": "x" } }]);
    assert!(!validator.is_valid(&broken));
}

#[test]
fn summary_is_a_compliance_matrix() {
    let mut args = vec!["check", "--summary", "policies/national.policy"];
    args.extend(SEEDS);
    let (code, markdown, _) = attend(&args);
    assert_eq!(code, 1);
    insta::assert_snapshot!("summary_markdown", markdown);
    let mut args = vec!["check", "--summary=csv", "policies/national.policy"];
    args.extend(SEEDS);
    let (_, csv, _) = attend(&args);
    insta::assert_snapshot!("summary_csv", csv);
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    assert_eq!(
        &header[..6],
        ["policy", "school", "urn", "errors", "warnings", "info"]
    );
    assert_eq!(header.len(), 6 + attend::check::rules::RULES.len() + 1);
    // School names hold commas, quoted: every record has every column.
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    assert!(reader.records().all(|r| r.unwrap().len() == header.len()));
}

#[test]
fn a_rule_s_finding_names_the_command_that_explains_it() {
    // Outside the repository a link into docs/ leads nowhere; `attend explain` works anywhere.
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("gappy.policy");
    std::fs::write(&policy, include_str!("rules/AT201.policy")).unwrap();
    let out = Command::cargo_bin("attend")
        .unwrap()
        .current_dir(dir.path())
        .args(["check", "gappy.policy"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("AT201 (attend explain AT201)"), "{text}");
    assert!(!text.contains("docs/rules.md"), "{text}");
    let explained = Command::cargo_bin("attend")
        .unwrap()
        .current_dir(dir.path())
        .args(["explain", "AT201"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8(explained.stdout)
            .unwrap()
            .starts_with("# AT201 attendance-in-no-band")
    );
}
