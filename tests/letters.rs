//! Letters: `attend run` renders each `letter:ID` action's template (minijinja) into
//! `OUT/letters/<date>/<pupil>-<letter>.md` and `.html`; `attend check` reports a template
//! that is missing, does not parse, or uses a variable letters do not have, at the letter's
//! declaration in the policy.

use std::path::Path;

use assert_cmd::Command;

const POLICY: &str = r#"policy "Test School" {
  extends national
  roles { attendance_lead "Attendance lead" }
  letters {
    three-day "letters/three-day.md"
  }
  escalation "unexplained absence" days marked {N, O} {
    day 3: letter three-day by attendance_lead
  }
}
"#;

const CALENDAR: &str = r#"calendar "2024-25" {
  term autumn 2024-09-04 .. 2024-10-04
}
"#;

/// A school with one escalation and its letter; `template` is the letter's text, or `None`
/// for no template file.
fn school(template: Option<&str>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    };
    write("school.policy", POLICY);
    write("school.calendar", CALENDAR);
    write(
        "pupils.csv",
        "pupil_id,date_of_birth,year_group,first_name,last_name\n\
         P1,2015-05-01,4,Ada,Lovelace\nP2,2015-05-01,4,,\n",
    );
    // P1: N N N on Wed 4 to Fri 6 September (three days: the letter); P2 present.
    write(
        "register.csv",
        "pupil_id,start_date,marks\n\
         P1,2024-09-02,\"## ## NN NN NN ## ##|// // // // // ## ##\"\n\
         P2,2024-09-02,\"## ## // // // ## ##|// // // // // ## ##\"\n",
    );
    if let Some(text) = template {
        write("letters/three-day.md", text);
    }
    dir
}

fn check_json(dir: &Path) -> Vec<serde_json::Value> {
    let out = Command::cargo_bin("attend")
        .expect("binary")
        .current_dir(dir)
        .args([
            "check",
            "school.policy",
            "--calendar",
            "school.calendar",
            "--format",
            "json",
        ])
        .output()
        .expect("runs");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    json["diagnostics"]
        .as_array()
        .expect("a list")
        .iter()
        .filter(|d| {
            d["code"]
                .as_str()
                .is_some_and(|c| c.starts_with("input::letter_template"))
        })
        .cloned()
        .collect()
}

#[test]
fn run_renders_the_letter_with_the_pupils_facts() {
    let template = include_str!("../policies/letters/three-day.md").to_string()
        + "\nAttendance {{ attendance }} ({{ present }} of {{ possible }}, {{ unauthorised }} \
           unauthorised); rule: {{ rule }}; letter: {{ letter }}.\n";
    let dir = school(Some(&template));
    let out = Command::cargo_bin("attend")
        .expect("binary")
        .current_dir(dir.path())
        .args([
            "run",
            "school.policy",
            "--calendar",
            "school.calendar",
            "--register",
            "register.csv",
            "--pupils",
            "pupils.csv",
            "--out",
            "out",
            // The fixture's calendar is one short term, fewer sessions than a school year
            // must have (AT010): this test is about the letter, so it is run as written.
            "--allow-errors",
        ])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("wrote 1 letter in out/letters"), "{stdout}");
    // The pupils file has no carer columns: said once, naming them.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr
            .matches("warning: letters were written without")
            .count(),
        1,
        "{stderr}"
    );
    assert!(stderr.contains("`carer_name`, `carer_address`"), "{stderr}");
    let day = dir.path().join("out/letters/2024-09-06");
    let mut files: Vec<String> = std::fs::read_dir(&day)
        .expect("the day's letters")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files, ["P1-three-day.html", "P1-three-day.md", "all.html"]);
    let md = std::fs::read_to_string(day.join("P1-three-day.md")).expect("letter");
    insta::assert_snapshot!("three_day_letter", md);
    let html = std::fs::read_to_string(day.join("P1-three-day.html")).expect("page");
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<title>P1-three-day (2024-09-06)</title>"));
    // Markdown made HTML, not shown as source.
    assert!(html.contains("<p>Dear Parent/Carer, parent/carer of Ada Lovelace,</p>"));
    assert!(html.contains("<p><small>Pupil reference: P1."), "{html}");
    assert!(!html.contains("<pre>"));
    assert!(html.contains("@page { size: A4"));
    let all = std::fs::read_to_string(day.join("all.html")).expect("the day's page");
    assert_eq!(all.matches("<section class=\"letter\">").count(), 1);
}

#[test]
fn check_reports_an_unknown_variable_at_the_letter() {
    let dir = school(Some(
        "Dear {{ pupil.nickname }}, {{ attendance }} {{ attendence }}\n",
    ));
    let found = check_json(dir.path());
    let seen: Vec<(&str, &str, u64, &str)> = found
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap_or(""),
                d["file"].as_str().unwrap_or(""),
                d["line"].as_u64().unwrap_or(0),
                d["help"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (
                "input::letter_template_variable",
                "school.policy",
                5,
                "did you mean `attendance`?"
            ),
            (
                "input::letter_template_variable",
                "school.policy",
                5,
                "did you mean `pupil.name`?"
            ),
        ]
    );
    assert!(
        found[1]["message"]
            .as_str()
            .is_some_and(|m| m.contains("`pupil.nickname`"))
    );
}

#[test]
fn check_reports_a_missing_template_and_one_that_does_not_parse() {
    let dir = school(None);
    let found = check_json(dir.path());
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["code"], "input::letter_template_missing");
    assert_eq!(found[0]["file"], "school.policy");
    assert_eq!(found[0]["line"], 5);

    let dir = school(Some("Dear {{ pupil.first_name \n"));
    let found = check_json(dir.path());
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["code"], "input::letter_template_syntax");
    assert_eq!(found[0]["line"], 5);
}

#[test]
fn a_good_template_has_no_finding_and_the_bundled_templates_pass() {
    let dir = school(Some(include_str!("../policies/letters/three-day.md")));
    assert!(check_json(dir.path()).is_empty());
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for folder in ["policies", "policies/toml"] {
        for entry in std::fs::read_dir(root.join(folder)).expect("policies") {
            let path = entry.expect("entry").path();
            if !matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("policy" | "toml")
            ) {
                continue;
            }
            let out = Command::cargo_bin("attend")
                .expect("binary")
                .arg("check")
                .arg(&path)
                .args(["--format", "json"])
                .output()
                .expect("runs");
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(
                !text.contains("input::letter_template"),
                "{}: {text}",
                path.display()
            );
        }
    }
}
