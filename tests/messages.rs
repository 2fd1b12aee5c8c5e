//! Messages that once said the wrong thing (issue 15, "known wrong messages"), each with the
//! policy that showed it and what it says now.

use std::path::Path;

use assert_cmd::Command;
use attend::cli::{DiagnosticFormat, render_diagnostics};
use attend::source::Source;

/// Every finding in `text`, rendered as `attend check` prints them (no colour).
fn check(name: &str, text: &str) -> (Vec<attend::diagnostic::Diagnostic>, String) {
    let analysis = attend::analyse(&Source::new(name, text), None);
    let rendered = render_diagnostics(&analysis.diagnostics, DiagnosticFormat::Human, false);
    (analysis.diagnostics, rendered)
}

fn only(
    found: &[attend::diagnostic::Diagnostic],
    code: &str,
) -> Vec<attend::diagnostic::Diagnostic> {
    found.iter().filter(|d| d.code == code).cloned().collect()
}

#[test]
fn a_review_range_is_read_and_a_reversed_one_is_reported_at_its_end() {
    // `4-6 school_weeks` was a syntax error pointing at `review`; it is now a range of periods.
    let text = "policy \"Review\" {\n  plan \"stage one\" at facilitate {\n    review after 4-6 school_weeks\n    target attendance(rolling 6 school_weeks) >= 90%\n  }\n}\n";
    let (found, _) = check("review.policy", text);
    assert!(found.iter().all(|d| d.code.starts_with("AT")), "{found:?}");
    // Reversed, the error points at `4`, column 20 of line 3, the end that comes too early.
    let reversed = text.replace("4-6", "6-4");
    let (found, rendered) = check("review.policy", &reversed);
    let reversed_dates = only(&found, "model::reversed_dates");
    assert_eq!(reversed_dates.len(), 1, "{found:?}");
    assert_eq!(reversed_dates[0].position(), Some(("review.policy", 3, 20)));
    insta::assert_snapshot!("review_range", rendered);
}

#[test]
fn register_times_one_calendar_omits_are_not_a_conflict() {
    // Two pages give the same morning register, one without its "late after" time.
    let agree = "policy \"Two pages\" {\n  calendar \"first\" {\n    session am opens 08:40 late_after 08:50 closes 09:00\n  }\n  calendar \"second\" {\n    session am opens 08:40 closes 09:00\n  }\n}\n";
    let (found, _) = check("agree.policy", agree);
    assert!(
        only(&found, "model::session_times_differ").is_empty(),
        "{found:?}"
    );
    // The time the first omits is taken from the second: it is a statement, not a conflict.
    let fills = "policy \"Two pages\" {\n  calendar \"first\" {\n    session am opens 08:40 closes 09:00\n  }\n  calendar \"second\" {\n    session am opens 08:40 late_after 08:50 closes 09:00\n  }\n}\n";
    let analysis = attend::analyse(&Source::new("fills.policy", fills), None);
    assert!(only(&analysis.diagnostics, "model::session_times_differ").is_empty());
    let checked = analysis.checked.expect("the policy is well-formed");
    let am = &checked.policy().calendar.sessions[0];
    // 08:50 is 8 × 60 + 50 = 530 minutes after midnight.
    assert_eq!(am.late_after, Some(530));
}

#[test]
fn a_register_time_conflict_names_the_time_and_the_earlier_statement() {
    let differ = "policy \"Two pages\" {\n  calendar \"first\" {\n    session am opens 08:40 late_after 08:50 closes 09:00\n  }\n  calendar \"second\" {\n    session am opens 08:40 closes 09:10\n  }\n}\n";
    let (found, rendered) = check("differ.policy", differ);
    let conflicts = only(&found, "model::session_times_differ");
    assert_eq!(conflicts.len(), 1, "{found:?}");
    assert_eq!(
        conflicts[0].message,
        "the `am` register closes at 09:10 here, but 09:00 in an earlier calendar"
    );
    assert_eq!(conflicts[0].related.len(), 1);
    insta::assert_snapshot!("register_times_differ", rendered);
}

#[test]
fn at107_names_the_register_time_that_is_missing() {
    let text = "policy \"Afternoon\" {\n  extends national\n  calendar {\n    session am opens 08:50 closes 09:00\n    session pm opens 13:00\n  }\n}\n";
    let (found, _) = check("afternoon.policy", text);
    let at107 = only(&found, "AT107");
    let messages: Vec<&str> = at107
        .iter()
        .map(|d| d.message.as_str())
        .filter(|m| m.contains("register"))
        .collect();
    // AT107 is one finding listing everything missing; the register part names only the
    // afternoon close, the one time the calendar leaves out.
    assert_eq!(messages.len(), 1);
    assert!(
        messages[0].starts_with("the policy does not state when the afternoon register closes, "),
        "{messages:?}"
    );
    assert!(!messages[0].contains("register times"), "{messages:?}");
    let help = only(&found, "AT107")
        .into_iter()
        .find(|d| d.message.contains("register"))
        .and_then(|d| d.help)
        .unwrap_or_default();
    assert!(
        help.contains("session pm opens 13:15 closes 13:45"),
        "{help}"
    );
}

#[test]
fn at106_says_two_bands_share_90_not_that_support_is_missing() {
    let text = "policy \"Shared ninety\" {\n  extends national\n  bands attendance over year_to_date from 20 possible sessions {\n    band ok \"above 93%\" above 93% stage expect\n    band support \"93% - 90%\" 93% - 90% stage facilitate\n    band enforce \"90% and below\" 90% and below stage enforce\n      on enter: consider prosecution\n  }\n}\n";
    let (found, _) = check("shared.policy", text);
    let at106 = only(&found, "AT106");
    assert_eq!(at106.len(), 1, "{found:?}");
    let message = &at106[0].message;
    assert!(!message.contains("no support band"), "{message}");
    assert_eq!(
        message,
        "`consider prosecution` can be reached before support has been offered: the band \
         `enforce` and the support band `support` both hold exactly 90%, so a pupil at 90% \
         enters both at once"
    );
    let rendered = render_diagnostics(&at106, DiagnosticFormat::Human, false);
    insta::assert_snapshot!("at106_shared_ninety", rendered);
}

#[test]
fn at201_help_for_a_missing_end_band_names_no_neighbour() {
    let top = "policy \"No top\" {\n  extends national\n  bands attendance over year_to_date from 20 possible sessions {\n    band monitor \"90% - 95%\" 90% - 95% stage monitor\n    band listen \"below 90%\" below 90% stage listen\n  }\n}\n";
    let (found, _) = check("top.policy", top);
    let at201 = only(&found, "AT201");
    assert_eq!(at201.len(), 1, "{found:?}");
    assert_eq!(
        at201[0].help.as_deref(),
        Some(
            "no band lies above `monitor`: extend it up to and including 100%, or add a band for \
             attendance above 95%"
        )
    );
    insta::assert_snapshot!(
        "at201_missing_top_band",
        render_diagnostics(&at201, DiagnosticFormat::Human, false)
    );
    let bottom = "policy \"No bottom\" {\n  extends national\n  bands attendance over year_to_date from 20 possible sessions {\n    band expect \"above 95%\" above 95% stage expect\n    band monitor \"90% - 95%\" 90% - 95% stage monitor\n  }\n}\n";
    let (found, _) = check("bottom.policy", bottom);
    let help = only(&found, "AT201")[0].help.clone().unwrap_or_default();
    assert_eq!(
        help,
        "no band lies below `monitor`: extend it down to 0%, or add a band for attendance below 90%"
    );
}

#[test]
fn the_unit_help_suggests_only_what_is_accepted() {
    // The help after a count names its units; each one it names must then be accepted.
    let text = "policy \"Weeks\" {\n  trigger \"seven\" when absent(year_to_date) >= 7 weeks then support\n}\n";
    let (found, _) = check("weeks.policy", text);
    let help = found[0].help.clone().unwrap_or_default();
    for unit in ["sessions", "days", "half_days"] {
        assert!(help.contains(&format!("`{unit}`")), "{help}");
        let accepted = text.replace("weeks", unit);
        let (found, _) = check("units.policy", &accepted);
        assert!(
            found.iter().all(|d| !d.code.starts_with("syntax::")),
            "{unit}: {found:?}"
        );
    }
}

fn attend_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("attend")
        .unwrap()
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

#[test]
fn run_compile_and_check_count_one_policy_alike() {
    // A copy of the King's Cross policy without its letter templates: `check` counts the
    // missing templates too, and so must `run` and `compile` when they name its findings.
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("kx.policy");
    std::fs::copy(
        Path::new(ROOT).join("policies/kings-cross-academy.policy"),
        &policy,
    )
    .unwrap();
    let calendar = Path::new(ROOT).join("policies/calendars/camden-2024-25.calendar");
    let calendar = calendar.to_str().unwrap();
    let (_, _, checked) = attend_in(dir.path(), &["check", "kx.policy", "--calendar", calendar]);
    let count = checked
        .lines()
        .last()
        .and_then(|l| l.strip_prefix("checked 1 policy: "))
        .unwrap()
        .to_string();
    assert!(count.starts_with("14 errors"), "{count}");
    let register = Path::new(ROOT).join("examples/data/register.csv");
    let (code, _, ran) = attend_in(
        dir.path(),
        &[
            "run",
            "kx.policy",
            "--calendar",
            calendar,
            "--register",
            register.to_str().unwrap(),
            "--no-ledger",
            "--out",
            "out",
        ],
    );
    assert_eq!(code, 1);
    assert!(
        ran.contains(&format!(
            "`attend check kx.policy --calendar {calendar}` reports {count} in this policy, so it is not run"
        )),
        "{ran}"
    );
    let (_, _, compiled) = attend_in(
        dir.path(),
        &["compile", "kx.policy", "--calendar", calendar],
    );
    assert!(
        compiled.contains(&format!(
            "note: `attend check kx.policy --calendar {calendar}` reports {count} in this policy"
        )),
        "{compiled}"
    );
}

#[test]
fn simulate_names_a_policy_it_cannot_run_and_carries_on_to_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = attend_in(
        Path::new(ROOT),
        &[
            "simulate",
            "tests/errors/err_unknown_letter.policy",
            "tests/rules/AT201.policy",
            "--cohort",
            "20",
            "--out",
            dir.path().to_str().unwrap(),
        ],
    );
    assert_eq!(code, 1);
    assert!(err.contains("model::unknown_letter"), "{err}");
    assert!(
        err.contains(
            "`attend check tests/errors/err_unknown_letter.policy --calendar \
             policies/calendars/camden-2024-25.calendar` reports 1 error, 2 warnings and 0 info \
             in this policy, so it is not run"
        ),
        "{err}"
    );
    assert!(err.contains("even with `--allow-errors`"), "{err}");
    // The second policy is looked at too.
    assert!(
        err.contains("`attend check tests/rules/AT201.policy --calendar"),
        "{err}"
    );
}

#[test]
fn simulate_with_allow_errors_says_so_above_its_figures_and_in_its_report() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = attend_in(
        Path::new(ROOT),
        &[
            "simulate",
            "tests/rules/AT201.policy",
            "--cohort",
            "20",
            "--allow-errors",
            "--out",
            dir.path().to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{err}");
    let first = out.lines().next().unwrap_or_default();
    assert!(
        first.starts_with(
            "WARNING: `tests/rules/AT201.policy` was run as written with 1 error that `attend check` reports (`--allow-errors`): "
        ) && first.contains("[AT201] (line "),
        "{out}"
    );
    let report = std::fs::read_to_string(dir.path().join("report.html")).expect("report.html");
    assert!(
        report.contains("<p class=\"warn\" role=\"alert\">`tests/rules/AT201.policy` was run as written with 1 error"),
        "{report}"
    );
}

/// Prints `text` (a file of `surface`) in canonical form as `to`.
fn print(name: &str, text: &str, to: attend::syntax::Surface) -> String {
    let file = attend::syntax::parse(&Source::new(name, text)).expect("the text parses");
    attend::syntax::print(&file, to)
}

#[test]
fn fmt_keeps_a_comment_after_the_last_band_in_its_block() {
    use attend::syntax::Surface;
    let text = "policy \"Comments\" {\n  extends national\n\n  bands attendance over year_to_date {\n    band a \"A\" 96% - 100% stage expect\n    band b \"B\" below 96% stage monitor\n    # \"Pupils below 90% are referred\" (not encoded)\n  }\n\n  # about the trigger\n  trigger \"t\"\n    when attendance(year_to_date) < 50%\n    then support\n}\n";
    // Canonical already: the comment stays between the last band and the block's `}`, and
    // the one after the block stays with the trigger.
    assert_eq!(print("c.policy", text, Surface::Dsl), text);
    let toml = print("c.policy", text, Surface::Toml);
    assert!(
        toml.contains("stage = \"monitor\"\n# \"Pupils below 90% are referred\" (not encoded)\n\n# about the trigger\n[[trigger]]"),
        "{toml}"
    );
    assert_eq!(print("c.toml", &toml, Surface::Toml), toml);
    assert_eq!(print("c.toml", &toml, Surface::Dsl), text);
}

#[test]
fn fmt_check_prints_only_the_names_of_files_that_would_change() {
    // `--help` says `--check` prints no text and names each file that would change.
    let (_, help, _) = attend_in(Path::new(ROOT), &["fmt", "--help"]);
    assert!(help.contains("Write no file and print no text"), "{help}");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ugly.policy"), "policy   \"Ugly\" {\n}\n").unwrap();
    let (code, out, err) = attend_in(dir.path(), &["fmt", "--check", "ugly.policy"]);
    assert_eq!((code, out.as_str()), (1, ""));
    assert_eq!(err, "ugly.policy is not in canonical form\n");
}
