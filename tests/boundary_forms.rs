//! Every boundary wording schools write, each with the exact interval it means, read from a
//! one-band policy in both surfaces; and a band that declares itself a definition.

use attend::source::Source;

/// The band's interval, in words (`94% ≤ x < 96%`), and the range as the model keeps it.
fn meaning(range: &str) -> (String, String) {
    let text = format!(
        "policy \"Forms\" {{\n  bands attendance over year_to_date {{\n    band b \"B\" {range}\n  }}\n}}\n"
    );
    let analysis = attend::analyse(&Source::new("forms.policy", text.as_str()), None);
    let errors: Vec<_> = analysis
        .diagnostics
        .iter()
        .filter(|d| !d.code.starts_with("AT"))
        .collect();
    assert!(errors.is_empty(), "{range}: {errors:?}");
    let checked = analysis.checked.expect("checked");
    let band = &checked.policy().band_sets[0].bands[0];
    (band.range.inequality_text(), band.written.clone())
}

#[test]
fn each_wording_means_its_interval_and_is_kept_as_written() {
    let cases = [
        // two bounds joined by `and`, in symbols a word processor writes or ASCII
        (">= 95% and < 98%", "95% ≤ x < 98%"),
        ("≥ 95% and < 98%", "95% ≤ x < 98%"),
        ("< 98% and ≥ 95%", "95% ≤ x < 98%"),
        ("over 5% and ≤ 10%", "5% < x ≤ 10%"),
        ("at least 90% and under 96%", "90% ≤ x < 96%"),
        ("95% and above and below 98%", "95% ≤ x < 98%"),
        // one bound, in words
        ("under 97%", "0% ≤ x < 97%"),
        ("Under 97%", "0% ≤ x < 97%"),
        ("over 96%", "96% < x ≤ 100%"),
        ("at least 96%", "96% ≤ x ≤ 100%"),
        ("no more than 90%", "0% ≤ x ≤ 90%"),
        ("90% or less", "0% ≤ x ≤ 90%"),
        ("90% and under", "0% ≤ x ≤ 90%"),
        ("96% or more", "96% ≤ x ≤ 100%"),
        ("96% and over", "96% ≤ x ≤ 100%"),
        ("≤ 90%", "0% ≤ x ≤ 90%"),
        ("less than 90%", "0% ≤ x < 90%"),
        ("greater than 96%", "96% < x ≤ 100%"),
        // ranges with a hyphen, en dash or em dash, spaced or not, either order
        ("95% - 98%", "95% ≤ x ≤ 98%"),
        ("95%-98%", "95% ≤ x ≤ 98%"),
        ("95% – 98%", "95% ≤ x ≤ 98%"),
        ("95%–98%", "95% ≤ x ≤ 98%"),
        ("95% —100%", "95% ≤ x ≤ 100%"),
        ("100% - 96%", "96% ≤ x ≤ 100%"),
        ("98 - 100%", "98% ≤ x ≤ 100%"),
        ("98-100%", "98% ≤ x ≤ 100%"),
        ("92% - 90", "90% ≤ x ≤ 92%"),
        ("90% To 92%", "90% ≤ x ≤ 92%"),
        // both ends worded: nothing left open
        ("above 90% - below 95%", "90% < x < 95%"),
        // an end the words leave open, with the reading stated
        ("Below 96%- 94% read as 94% .. 96%", "94% ≤ x < 96%"),
        ("Below 96%- 94% read as 94% <.. 96%", "94% < x < 96%"),
        ("above 90% - 94% read as 90% <..= 94%", "90% < x ≤ 94%"),
        // the exact forms
        ("94% .. 96%", "94% ≤ x < 96%"),
        ("94% <..= 96%", "94% < x ≤ 96%"),
    ];
    for (written, expected) in cases {
        let (interval, kept) = meaning(written);
        assert_eq!(interval, expected, "{written}");
        let range = written.split(" read as ").next().unwrap_or(written);
        assert_eq!(kept, range, "{written}: kept as written");
    }
}

#[test]
fn a_range_with_line_breaks_is_kept_on_one_line_and_the_printed_form_reads_back() {
    let text = "policy \"Forms\" {\n  bands attendance over year_to_date {\n    band b “Band B” 95%\u{a0}–\n      98% stage monitor\n  }\n}\n";
    let src = Source::new("forms.policy", text);
    let file = attend::syntax::parse(&src).expect("parses");
    let printed = attend::syntax::print(&file, attend::syntax::Surface::Dsl);
    assert!(
        printed.contains("band b \"Band B\" 95% – 98% stage monitor"),
        "{printed}"
    );
}

#[test]
fn a_band_declared_a_definition_is_compared_with_the_national_one() {
    // The band holds 50% ≤ attendance < 90% over the year: a pupil at exactly 90% (absence
    // 10%, 9 absent of 90 possible: 9 * 100 >= 10 * 90) is persistently absent nationally but
    // not by this band, and a pupil below 50% is in neither.
    let text = "policy \"Band as definition\" {\n  extends national\n  bands attendance over year_to_date {\n    band persistent \"Persistent absence\" 50% .. 90% defines persistent_absence\n  }\n  trigger \"pa\" when persistent_absence then contact once per term\n}\n";
    let analysis = attend::analyse(&Source::new("defines.policy", text), None);
    let checked = analysis.checked.expect("checked");
    let def = checked
        .policy()
        .definitions
        .iter()
        .find(|d| d.name == "persistent_absence" && d.origin == attend::model::Origin::School)
        .expect("the band is a definition");
    assert_eq!(
        def.condition.to_string(),
        "attendance(year_to_date) >= 50% and attendance(year_to_date) < 90%"
    );
    assert_eq!(def.wording.as_deref(), Some("Persistent absence"));
    let at101: Vec<&str> = analysis
        .diagnostics
        .iter()
        .filter(|d| d.code == "AT101")
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(at101.len(), 2, "{at101:?}");
    assert!(at101[0].contains("below 50%"), "{at101:?}");
    assert!(at101[1].contains("exactly 90%"), "{at101:?}");
}
