//! A model error no longer hides the rule findings: `check` reports every finding it can still
//! compute on what lowered, but nothing it would conclude from a statement being absent (the
//! statement with the error is what is absent).

use attend::source::Source;

fn codes(text: &str) -> Vec<String> {
    let analysis = attend::analyse(&Source::new("partial.policy", text), None);
    assert!(
        analysis.checked.is_none(),
        "a model error makes no checked policy"
    );
    analysis.diagnostics.into_iter().map(|d| d.code).collect()
}

#[test]
fn rule_findings_are_reported_beside_a_model_error() {
    let found = codes(
        r#"policy "Partial" {
  letters { concern "letters/concern.md" }
  trigger "concern" when attendance(year_to_date) < 90% then letter concrn
  trigger "LA" when attendance(year_to_date) <= 90% then notify local_authority once per term
}
"#,
    );
    assert!(
        found.contains(&"model::unknown_letter".to_string()),
        "{found:?}"
    );
    // The second trigger is well-formed: no evidence guard (AT305) is found on it.
    assert!(found.contains(&"AT305".to_string()), "{found:?}");
    // The letter is sent by the statement with the error: it is not reported as never sent,
    // and the policy is not reported as omitting content.
    for absent in ["AT302", "AT107", "AT002", "AT108"] {
        assert!(
            !found.contains(&absent.to_string()),
            "{absent} in {found:?}"
        );
    }
}

#[test]
fn a_syntax_error_still_stops_everything_after_it() {
    let found = codes("policy \"Broken\" { trigger }\n");
    assert!(found.iter().all(|c| c.starts_with("syntax::")), "{found:?}");
}
