//! `attend diff` as a user runs it: the acceptance case of issue 12 (King's Cross Academy's
//! policy as written against its corrected copy: every band boundary that moved, a pupil in
//! whole sessions at each, and the actions that change on a synthetic cohort of 2,000), renames,
//! identical policies, and bad inputs.

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

const SEED: &str = "policies/kings-cross-academy.policy";
const CORRECTED: &str = "policies/corrected/kings-cross-academy.policy";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn attend(args: &[&str]) -> Run {
    let out = Command::new(assert_cmd::cargo::cargo_bin!("attend"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
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

fn ok(args: &[&str]) -> String {
    let run = attend(args);
    assert_eq!(
        run.code, 0,
        "attend {args:?}:\n{}{}",
        run.stdout, run.stderr
    );
    run.stdout
}

/// Every band boundary that moved between the seed and its corrected copy, each with a pupil
/// in whole sessions: 0–50% left the overlap with "90% or below", 90%–91% left the gap, 94% the
/// overlap, above 95% the gap, and the table now waits for 20 possible sessions.
#[test]
fn kings_cross_acceptance_text() {
    let text = ok(&["diff", SEED, CORRECTED]);
    insta::assert_snapshot!("kings_cross_text", text);
}

#[test]
fn kings_cross_acceptance_markdown() {
    let text = ok(&["diff", SEED, CORRECTED, "--format", "markdown"]);
    insta::assert_snapshot!("kings_cross_markdown", text);
}

/// The JSON holds the same: four moved regions, each with an example whose ratio is exactly in
/// its region (checked here again by cross-multiplication), and the guard's change.
#[test]
fn kings_cross_acceptance_json() {
    let json: Value =
        serde_json::from_str(&ok(&["diff", SEED, CORRECTED, "--format", "json"])).expect("JSON");
    let set = &json["bands"][0];
    let moves = set["moves"].as_array().expect("moves");
    let regions: Vec<&str> = moves.iter().map(|m| m["exact"].as_str().unwrap()).collect();
    assert_eq!(
        regions,
        ["0% ..= 50%", "90% <.. 91%", "94% ..= 94%", "95% <..= 100%"]
    );
    for m in moves {
        let e = &m["example"];
        let (present, possible) = (
            e["present"].as_u64().unwrap(),
            e["possible"].as_u64().unwrap(),
        );
        assert!(
            possible >= 20,
            "the corrected table waits for 20 sessions: {e}"
        );
        // lo/hi are millionths; present/possible lies between them (ends as the region says).
        let (lo, hi) = (m["lo"].as_u64().unwrap(), m["hi"].as_u64().unwrap());
        assert!(present * 1_000_000 >= lo * possible, "{m}");
        assert!(present * 1_000_000 <= hi * possible, "{m}");
        let t = &m["term_example"];
        assert!(t["possible"].as_u64().unwrap() >= 130, "{m}");
        let (present, possible) = (
            t["present"].as_u64().unwrap(),
            t["possible"].as_u64().unwrap(),
        );
        assert!(present * 1_000_000 >= lo * possible, "{m}");
        assert!(present * 1_000_000 <= hi * possible, "{m}");
    }
    assert_eq!(set["guard"]["old"], 0);
    assert_eq!(set["guard"]["new"], 20);
    let changes = json["changes"].as_array().unwrap();
    let trigger = changes
        .iter()
        .find(|c| c["name"] == "PA or SA: inform parents and action plan")
        .expect("the PA trigger changed");
    assert_eq!(trigger["change"]["kind"], "changed");
    assert!(json.get("replay").is_none());
}

/// With `--cohort 2000` the changed actions by kind, stage and group (a deterministic seed).
/// The per-pupil list is cut to two pupils here; the totals are whole.
#[test]
fn kings_cross_acceptance_cohort_2000() {
    let text = ok(&[
        "diff", SEED, CORRECTED, "--cohort", "2000", "--seed", "1", "--show", "2", "-q",
    ]);
    let replayed = &text[text.find("Replayed on").expect("a replayed section")..];
    insta::assert_snapshot!("kings_cross_cohort_2000", replayed);
}

/// The replay's JSON lists every changed action, and its totals agree with the list.
#[test]
fn replayed_totals_agree_with_the_list() {
    let json: Value = serde_json::from_str(&ok(&[
        "diff", SEED, CORRECTED, "--cohort", "300", "--format", "json", "-q",
    ]))
    .unwrap();
    let r = &json["replay"];
    let changes = r["changes"].as_array().unwrap();
    let added = changes.iter().filter(|c| c["change"] == "added").count() as u64;
    let removed = changes.len() as u64 - added;
    let all = &r["by_group"][0];
    assert_eq!(all["group"], "all");
    assert_eq!(all["added"].as_u64().unwrap(), added);
    assert_eq!(all["removed"].as_u64().unwrap(), removed);
    let sum = |key: &str| -> u64 {
        r["by_kind"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k[key].as_u64().unwrap())
            .sum()
    };
    assert_eq!(sum("added"), added);
    assert_eq!(sum("removed"), removed);
    assert_eq!(sum("old"), r["old_actions"].as_u64().unwrap());
    assert_eq!(sum("new"), r["new_actions"].as_u64().unwrap());
    // An action moved to another day is one removed and one added.
    for k in r["by_kind"].as_array().unwrap() {
        let moved = k["moved"].as_u64().unwrap();
        assert!(
            moved
                <= k["removed"]
                    .as_u64()
                    .unwrap()
                    .min(k["added"].as_u64().unwrap()),
            "{k}"
        );
    }
    // old − removed = new − added: the actions both take.
    assert_eq!(
        r["old_actions"].as_u64().unwrap() - removed,
        r["new_actions"].as_u64().unwrap() - added
    );
}

/// A school's own register replays too.
#[test]
fn a_register_is_replayed() {
    let text = ok(&[
        "diff",
        SEED,
        CORRECTED,
        "--register",
        "examples/data/register.csv",
        "--pupils",
        "examples/data/pupils.csv",
        "--calendar",
        "policies/calendars/camden-2024-25.calendar",
        "-q",
    ]);
    assert!(
        text.contains("Replayed on ") && text.contains("pupils from examples/data/register.csv"),
        "{text}"
    );
    assert!(text.contains("penalty_warning"), "{text}");
}

#[test]
fn identical_policies_have_no_change() {
    let run = attend(&["diff", CORRECTED, CORRECTED, "--exit-code"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!("identical", run.stdout);
    let replayed = ok(&["diff", CORRECTED, CORRECTED, "--cohort", "50", "-q"]);
    assert!(
        replayed.contains("no change: the two policies say the same and take the same actions"),
        "{replayed}"
    );
}

/// The two surfaces lower to one model, so a policy and its TOML translation say the same.
#[test]
fn a_policy_and_its_toml_translation_have_no_change() {
    for name in [
        "kings-cross-academy",
        "aspire-monitor-framework",
        "attendance-thresholds",
        "support-first-framework",
        "three-stage-approach",
    ] {
        let dsl = format!("policies/{name}.policy");
        let toml = format!("policies/toml/{name}.toml");
        let run = attend(&["diff", &dsl, &toml, "--exit-code", "-q"]);
        assert_eq!(run.code, 0, "{name}:\n{}{}", run.stdout, run.stderr);
        assert!(run.stdout.contains("no change"), "{name}: {}", run.stdout);
    }
}

#[test]
fn exit_code_says_whether_they_differ() {
    assert_eq!(attend(&["diff", SEED, CORRECTED]).code, 0);
    assert_eq!(attend(&["diff", SEED, CORRECTED, "--exit-code"]).code, 1);
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

const BEFORE: &str = r#"policy "Renames" {
  stages {
    monitor "Watch attendance"
  }
  bands "table" attendance over year_to_date {
    band good "Good" 95% ..= 100%
    band watch "Watch" 90% .. 95%
      on enter: letter concern
    band low "Low" 0% .. 90%
  }
  letters {
    concern "letters/concern.md"
  }
  trigger "first absence"
    when count({N, O}, this_term) >= 1
    then contact
}
"#;

const AFTER: &str = r#"policy "Renames" {
  stages {
    watch is monitor "Watch attendance"
  }
  bands "table" attendance over year_to_date {
    band good "Good" 96% ..= 100%
    band nearly "Nearly" 95% .. 96%
    band concern "Watch" 90% .. 95%
      on enter: letter concern
    band low "Low" 0% .. 90%
  }
  letters {
    concern "letters/concern.md"
  }
  trigger "one absence"
    when count({N, O}, this_term) >= 1
    then contact
}
"#;

/// A stage, a trigger and a band under new names are renames, not a removal and an addition,
/// so the renamed band's region has not moved; the region that did (95% to 96%, from "good"
/// to the new "nearly") is given with its pupil.
#[test]
fn renames_are_told_apart_from_changes() {
    let dir = tempfile::tempdir().unwrap();
    let before = write(dir.path(), "before.policy", BEFORE);
    let after = write(dir.path(), "after.policy", AFTER);
    let json: Value =
        serde_json::from_str(&ok(&["diff", &before, &after, "--format", "json"])).unwrap();
    let changes = json["changes"].as_array().unwrap();
    let renamed: Vec<(String, String, String)> = changes
        .iter()
        .filter(|c| c["change"]["kind"] == "renamed")
        .map(|c| {
            (
                c["part"].as_str().unwrap().to_string(),
                c["change"]["from"].as_str().unwrap().to_string(),
                c["name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        renamed.contains(&("stage".into(), "monitor".into(), "watch".into())),
        "{renamed:?}"
    );
    assert!(
        renamed.contains(&(
            "trigger".into(),
            "first absence".into(),
            "one absence".into()
        )),
        "{renamed:?}"
    );
    assert!(
        renamed.contains(&("band".into(), "watch".into(), "concern".into())),
        "{renamed:?}"
    );
    let moves = json["bands"][0]["moves"].as_array().unwrap();
    assert_eq!(moves.len(), 1, "{moves:?}");
    assert_eq!(moves[0]["exact"], "95% .. 96%");
    assert_eq!(moves[0]["old"], serde_json::json!(["good"]));
    assert_eq!(moves[0]["new"], serde_json::json!(["nearly"]));
    // 19 of 20 is 95% exactly: the fewest sessions for a pupil at the moved boundary.
    assert_eq!(moves[0]["example"]["present"], 19);
    assert_eq!(moves[0]["example"]["possible"], 20);
}

#[test]
fn a_missing_file_is_named() {
    let run = attend(&["diff", "no-such.policy", CORRECTED]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("cannot read `no-such.policy`"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty());
}

/// A policy that names what it does not define cannot be compared: its errors are shown at
/// their line and column, for both files in one run.
#[test]
fn a_malformed_policy_is_refused_with_located_errors() {
    let dir = tempfile::tempdir().unwrap();
    let broken = write(
        dir.path(),
        "broken.policy",
        "policy \"Broken\" {\n  extends national\n  trigger \"t\"\n    when persistent_absenc\n    then contact\n}\n",
    );
    let run = attend(&["diff", CORRECTED, &broken]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(run.stderr.contains("broken.policy:4:10"), "{}", run.stderr);
    assert!(
        run.stderr.contains("persistent_absence"),
        "did you mean: {}",
        run.stderr
    );
    assert!(
        run.stderr.contains("so it cannot be compared"),
        "{}",
        run.stderr
    );
}

/// Two policies with different term dates cannot share one register unless told which
/// calendar it was kept on; the symbolic diff names the term dates that changed.
#[test]
fn different_calendars_need_one_named() {
    let dir = tempfile::tempdir().unwrap();
    let own = std::fs::read_to_string(CORRECTED).unwrap().replace(
        "    session pm opens 13:15 closes 13:45\n",
        "    session pm opens 13:15 closes 13:45\n    term autumn 2024-09-04 .. 2024-12-20\n",
    );
    let own = write(dir.path(), "own-terms.policy", &own);
    let text = ok(&["diff", CORRECTED, &own]);
    assert!(
        text.contains("+ term: autumn 2024-09-04 to 2024-12-20"),
        "{text}"
    );
    let run = attend(&["diff", CORRECTED, &own, "--cohort", "20", "-q"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("error[diff::different_calendars]"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--calendar FILE"), "{}", run.stderr);
    let run = attend(&[
        "diff",
        CORRECTED,
        &own,
        "--cohort",
        "20",
        "-q",
        "--calendar",
        "policies/calendars/camden-2024-25.calendar",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}
