//! The issue's acceptance list, asserted finding by finding on the five seed policies (code,
//! line, what the message says), plus a snapshot of each seed's whole report; the national
//! baseline checks clean and the corrected copies check with no errors.

use attend::cli::{DiagnosticFormat, render_diagnostics};
use attend::diagnostic::{Diagnostic, Severity};
use attend::source::Source;

const SEEDS: &[&str] = &[
    "support-first-framework",
    "attendance-thresholds",
    "kings-cross-academy",
    "three-stage-approach",
    "aspire-monitor-framework",
];

fn check(path: &str) -> Vec<Diagnostic> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    attend::analyse(&Source::new(path, text), None).diagnostics
}

/// Asserts a finding with this code on this line whose message contains every fragment.
fn expect(diagnostics: &[Diagnostic], code: &str, line: usize, fragments: &[&str]) {
    let found = diagnostics.iter().any(|d| {
        d.code == code
            && d.position().is_some_and(|(_, l, _)| l == line)
            && fragments.iter().all(|f| d.message.contains(f))
    });
    let listing: Vec<String> = diagnostics
        .iter()
        .map(|d| {
            format!(
                "{} line {}: {}",
                d.code,
                d.position().map_or(0, |p| p.1),
                d.message
            )
        })
        .collect();
    assert!(
        found,
        "no {code} at line {line} containing {fragments:?}; found:\n{}",
        listing.join("\n")
    );
}

/// The line of the first line of the file containing `needle`, so the assertions follow the
/// seed file if its comments change.
fn line_of(path: &str, needle: &str) -> usize {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .position(|l| l.contains(needle))
        .map_or(0, |i| i + 1)
}

#[test]
fn support_first_framework() {
    let p = "policies/support-first-framework.policy";
    let d = check(p);
    let monitor = line_of(p, r#"band monitor "MONITOR" 95.9% - 94%"#);
    let listen = line_of(p, r#"band listen "LISTEN AND UNDERSTAND" 93.9% - 90%"#);
    let facilitate = line_of(p, r#"band facilitate "FACILITATE SUPPORT" 90% and below"#);
    // The gap between 95.9% and 96%, and between 93.9% and 94%.
    expect(
        &d,
        "AT201",
        monitor,
        &[
            "above 95.9% and below 96% falls in no band",
            "47 of 49 possible sessions (95.92%)",
        ],
    );
    expect(
        &d,
        "AT201",
        listen,
        &[
            "above 93.9% and below 94% falls in no band",
            "31 of 33 possible sessions (93.94%)",
        ],
    );
    // The overlap at exactly 90% between "93.9% - 90%" and "90% and below".
    expect(
        &d,
        "AT202",
        facilitate,
        &[
            "exactly 90%",
            "`93.9% - 90%`",
            "`90% and below`",
            "9 of 10 possible sessions (90%)",
        ],
    );
    // Three stages sharing one band.
    expect(
        &d,
        "AT203",
        facilitate,
        &[
            "3 stages share the band `90% and below`",
            "`facilitate`, `formalise` and `enforce`",
        ],
    );
}

#[test]
fn attendance_thresholds() {
    let p = "policies/attendance-thresholds.policy";
    let d = check(p);
    let at_risk = line_of(p, "band at_risk");
    // Exactly 96% and the whole 92%–96% range in no band.
    expect(
        &d,
        "AT201",
        at_risk,
        &[
            "above 92%, up to and including 96% falls in no band",
            "exactly 96%, 24 of 25",
        ],
    );
    // "<90%" persistent absence against "10% or more missed"; "<80%" severe absence against 50%.
    expect(
        &d,
        "AT101",
        line_of(p, "define persistent_absence"),
        &[
            "\"Attendance <90%\"",
            "leaves out attendance of exactly 90%",
        ],
    );
    expect(
        &d,
        "AT102",
        line_of(p, "define severe_absence"),
        &[
            "\"Attendance <80%\"",
            "includes attendance above 50% and below 80%",
        ],
    );
}

#[test]
fn kings_cross_academy() {
    let p = "policies/kings-cross-academy.policy";
    let d = check(p);
    // The percentage table's "less than 90%" against its own "10% or more", and the same for 50%.
    expect(
        &d,
        "AT210",
        line_of(
            p,
            r#"define persistent_absence "At less than 90% attendance""#,
        ),
        &[
            "`persistent_absence` disagree at attendance of exactly 90%",
            "\"miss 10% or more\"",
        ],
    );
    expect(
        &d,
        "AT210",
        line_of(p, r#"define severe_absence "At less than 50% attendance""#),
        &[
            "`severe_absence` disagree at attendance of exactly 50%",
            "\"miss 50% or more\"",
        ],
    );
    // The overlap at 94% and the gap between 90% and 91% in that table.
    expect(
        &d,
        "AT202",
        line_of(p, r#"band row_91_94 "91% - 94%""#),
        &["exactly 94%", "`94% - 95%` and `91% - 94%`", "47 of 50"],
    );
    expect(
        &d,
        "AT201",
        line_of(p, r#"band row_90_or_below "90% or below""#),
        &["above 90% and below 91% falls in no band", "10 of 11"],
    );
    // The revoked 2006 regulations it cites.
    expect(
        &d,
        "AT001",
        line_of(
            p,
            r#"cites regulations "The Education (Pupil Registration) (England) Regulations 2006""#,
        ),
        &[
            "The Education (Pupil Registration) (England) Regulations 2006",
            "revoked",
        ],
    );
}

#[test]
fn three_stage_approach_and_aspire_omit_what_a_policy_must_contain() {
    for p in [
        "policies/three-stage-approach.policy",
        "policies/aspire-monitor-framework.policy",
    ] {
        let d = check(p);
        let header = line_of(p, "policy \"");
        // One finding at the header lists every item missing.
        expect(
            &d,
            "AT107",
            header,
            &[
                "does not state register times",
                "the senior attendance champion",
                "how parents report absence",
                "attendance thresholds",
            ],
        );
        assert_eq!(d.iter().filter(|x| x.code == "AT107").count(), 1, "{p}");
    }
}

#[test]
fn each_seeds_report() {
    for seed in SEEDS {
        let d = check(&format!("policies/{seed}.policy"));
        insta::assert_snapshot!(
            format!("seed_{seed}"),
            render_diagnostics(&d, DiagnosticFormat::Human, false)
        );
    }
}

#[test]
fn national_baseline_checks_clean() {
    let d = check("policies/national.policy");
    assert!(
        d.is_empty(),
        "{}",
        render_diagnostics(&d, DiagnosticFormat::Human, false)
    );
}

#[test]
fn corrected_copies_check_with_no_errors() {
    for seed in SEEDS {
        let path = format!("policies/corrected/{seed}.policy");
        let d = check(&path);
        let errors: Vec<Diagnostic> = d
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .cloned()
            .collect();
        assert!(
            errors.is_empty(),
            "{path}:\n{}",
            render_diagnostics(&errors, DiagnosticFormat::Human, false)
        );
    }
}

#[test]
fn every_seed_has_a_corrected_copy_and_nothing_else_is_there() {
    // Beside each corrected copy may be its tests (`NAME.policy.test`), and nothing else.
    let mut stems: Vec<String> = std::fs::read_dir("policies/corrected")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| !p.to_string_lossy().ends_with(".policy.test"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    stems.sort();
    let mut seeds: Vec<String> = SEEDS.iter().map(|s| s.to_string()).collect();
    seeds.sort();
    assert_eq!(stems, seeds);
}
