//! Conditions left to staff in the decision table: a judged term is shown beside its row's
//! conditions, and the row's one action is the review task for the role who judges it; both
//! surfaces compile to the same rows.

use attend::source::Source;
use attend::table::{self, DecisionTable};

fn compile(path: &str) -> DecisionTable {
    let text = std::fs::read_to_string(path).expect("the form exists");
    let analysis = attend::analyse(&Source::new(path, text), None);
    let malformed: Vec<_> = analysis
        .diagnostics
        .iter()
        // The rules' findings (AT codes) are not the point here: a malformed form is.
        .filter(|d| d.is_error() && !d.code.starts_with("AT"))
        .map(|d| format!("{}: {}", d.code, d.message))
        .collect();
    assert!(malformed.is_empty(), "{malformed:?}");
    table::compile(&analysis.checked.expect("a checked policy")).0
}

#[test]
fn a_judged_rule_compiles_to_a_review_task_for_its_role() {
    let t = compile("tests/forms/judged.policy");
    insta::assert_snapshot!("judged_text", table::render_text(&t));
    let json: serde_json::Value =
        serde_json::from_str(&table::render_json(&t)).expect("the table is JSON");
    let referral = json["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["rule"] == "referral")
        .expect("the referral's row");
    assert_eq!(
        referral["judged"],
        "judged \"multiple absences in the previous 5 weeks\" by attendance_lead"
    );
    // The engine refers no one and moves no one to `facilitate`: staff decide.
    assert_eq!(referral["actions"].as_array().map(Vec::len), Some(1));
    assert_eq!(referral["actions"][0]["action"], "review");
    assert_eq!(referral["actions"][0]["responsible"], "attendance_lead");
    assert_eq!(referral["stage"], serde_json::Value::Null);
}

#[test]
fn both_surfaces_compile_to_the_same_judged_rows() {
    let dsl = compile("tests/forms/judged.policy");
    let toml = compile("tests/forms/judged.toml");
    let strip = |t: &DecisionTable| -> Vec<_> {
        t.rows
            .iter()
            .map(|r| {
                (
                    r.rule.clone(),
                    r.when.clone(),
                    r.judged.clone(),
                    r.actions.clone(),
                )
            })
            .collect()
    };
    assert_eq!(strip(&dsl), strip(&toml));
}
