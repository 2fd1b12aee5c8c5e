//! Ladders in the decision table: `attend compile` shows each stage's place on the ladder, its
//! order and its memory (with the exit condition's rows) in text, Markdown and JSON; both
//! surfaces compile to the same table.

use attend::cli::{DiagnosticFormat, render_diagnostics};
use attend::source::Source;
use attend::table::{self, DecisionTable};

fn compile(path: &str) -> DecisionTable {
    let text = std::fs::read_to_string(path).expect("the form exists");
    let analysis = attend::analyse(&Source::new(path, text), None);
    let errors: Vec<_> = analysis
        .diagnostics
        .iter()
        // The rules' findings (AT codes) are not the point here: a malformed form is.
        .filter(|d| d.is_error() && !d.code.starts_with("AT"))
        .cloned()
        .collect();
    assert!(
        errors.is_empty(),
        "{}",
        render_diagnostics(&errors, DiagnosticFormat::Human, false)
    );
    let checked = analysis.checked.expect("a checked policy");
    table::compile(&checked).0
}

#[test]
fn a_ladder_compiles_to_stages_with_order_and_memory() {
    let t = compile("tests/forms/ladder.policy");
    insta::assert_snapshot!("ladder_text", table::render_text(&t));
    insta::assert_snapshot!("ladder_markdown", table::render_markdown(&t));
    let json: serde_json::Value =
        serde_json::from_str(&table::render_json(&t)).expect("the table is JSON");
    insta::assert_snapshot!(
        "ladder_json_ladders",
        serde_json::to_string_pretty(&json["ladders"]).expect("JSON")
    );
}

#[test]
fn both_surfaces_compile_to_the_same_ladder() {
    let dsl = compile("tests/forms/ladder.policy");
    let toml = compile("tests/forms/ladder.toml");
    assert_eq!(dsl.ladders, toml.ladders);
    assert_eq!(dsl.band_sets, toml.band_sets);
}

#[test]
fn a_table_of_bands_has_no_ladder() {
    let t = compile("tests/forms/weekly.policy");
    assert!(t.ladders.is_empty());
    let json = table::render_json(&t);
    assert!(!json.contains("ladders"), "{json}");
}
