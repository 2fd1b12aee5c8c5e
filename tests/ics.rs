//! Term dates from iCalendar: the two realistic feeds (a primary school's, a secondary
//! academy's) with their school days per term worked out by hand, one feed per quirk real feeds
//! have, malformed feeds with located errors, `attend calendar import`, `--calendar FILE.ics`
//! giving the same outputs as the imported `.calendar`, and a never-panics property.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use attend::diagnostic::Diagnostic;
use attend::ics::{self, Imported, Kind};
use attend::source::Source;
use chrono::{Datelike, NaiveDate, Weekday};
use proptest::prelude::*;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> Source {
    let text = std::fs::read_to_string(root().join(rel)).expect("the fixture exists");
    Source::new(rel, text)
}

fn import(rel: &str) -> Imported {
    match ics::import(&read(rel)) {
        Ok(i) => i,
        Err(errors) => panic!("{rel} does not import: {errors:?}"),
    }
}

fn date(s: &str) -> NaiveDate {
    s.parse().expect("a date")
}

/// School days per term, counted by the calendar model from the imported `.calendar` text.
fn school_days(imported: &Imported) -> Vec<(String, usize)> {
    let src = Source::new("imported.calendar", imported.text.clone());
    let (calendar, diagnostics) = attend::load_calendar(&src).expect("the text lowers");
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    calendar
        .terms()
        .map(|t| {
            let n = t
                .start
                .iter_days()
                .take_while(|d| *d <= t.end)
                .filter(|d| calendar.is_school_day(*d))
                .count();
            (t.name.clone(), n)
        })
        .collect()
}

fn counts(pairs: &[(&str, usize)]) -> Vec<(String, usize)> {
    pairs.iter().map(|(n, c)| (n.to_string(), *c)).collect()
}

/// `code: message` of every note, warning and error, in file order.
fn notes(diagnostics: &[Diagnostic]) -> Vec<String> {
    diagnostics
        .iter()
        .map(|d| format!("{}: {}", d.code, d.message))
        .collect()
}

fn has(imported: &Imported, code: &str, words: &[&str]) {
    let found = imported
        .diagnostics
        .iter()
        .any(|d| d.code == code && words.iter().all(|w| d.message.contains(w)));
    assert!(
        found,
        "no {code} with {words:?} in {:#?}",
        notes(&imported.diagnostics)
    );
}

fn closure(imported: &Imported, kind: Kind, start: &str, end: &str) {
    let found = imported
        .closures
        .iter()
        .any(|c| c.kind == kind && c.start == date(start) && c.end == date(end));
    assert!(
        found,
        "no {kind:?} {start} .. {end} in {:#?}",
        imported.closures
    );
}

#[test]
fn primary_feed_with_every_quirk() {
    let imported = import("tests/ics/oakfield-primary-2024-25.ics");
    // Autumn: the term starts Wed 4 Sep (the first day, for Years 1 to 6 only; INSET Mon 2 and
    // Tue 3 Sep come before it) and ends Fri 20 Dec (a timed 14:00 event whose folded summary
    // splits the word `Term`). 4 Sep .. 20 Dec is 78 weekdays (3 in the first week, then 15
    // full weeks); the half-term from 15:00 on Fri 25 Oct closes Sat 26 Oct .. Sun 3 Nov, so 5
    // weekdays (28 Oct .. 1 Nov) and Fri 25 Oct stays a school day: 78 - 5 = 73.
    // Spring: Mon 6 Jan .. Fri 4 Apr (ends at 13:00 UTC, 14:00 BST) is 13 weeks, 65 weekdays;
    // the half-term from Thu 13 Feb to Fri 21 Feb (with an overlapping `Half Term` 17 .. 21 Feb
    // merged in) is 7 weekdays, the INSET on 6 Jan one more: 65 - 7 - 1 = 57.
    // Summer: Tue 22 Apr .. Tue 22 Jul is 4 + 12 weeks x 5 + 2 = 66 weekdays; the May half-term
    // (an RRULE, Mon 26 .. Fri 30 May) is 5 and the early May bank holiday (Mon 5 May, not in the
    // feed, filled) 1: 66 - 5 - 1 = 60. The year: 73 + 57 + 60 = 190 days, 380 sessions.
    assert_eq!(
        school_days(&imported),
        counts(&[("autumn", 73), ("spring", 57), ("summer", 60)])
    );
    let terms: Vec<_> = imported
        .terms
        .iter()
        .map(|t| (t.name.as_str(), t.start.to_string(), t.end.to_string()))
        .collect();
    assert_eq!(
        terms,
        [
            ("autumn", "2024-09-04".into(), "2024-12-20".into()),
            ("spring", "2025-01-06".into(), "2025-04-04".into()),
            ("summer", "2025-04-22".into(), "2025-07-22".into()),
        ]
    );
    closure(&imported, Kind::HalfTerm, "2024-10-26", "2024-11-03");
    closure(&imported, Kind::HalfTerm, "2025-02-13", "2025-02-21");
    closure(&imported, Kind::HalfTerm, "2025-05-26", "2025-05-30");
    closure(&imported, Kind::Holiday, "2024-12-23", "2025-01-05");
    closure(&imported, Kind::BankHoliday, "2025-05-05", "2025-05-05");
    has(
        &imported,
        "ics::some_year_groups",
        &["Years 1 to 6 only", "2024-09-04"],
    );
    has(
        &imported,
        "ics::half_day",
        &["October Half Term", "2024-10-25", "15:00"],
    );
    has(&imported, "ics::duplicate", &["Christmas Holiday"]);
    has(
        &imported,
        "ics::overlap",
        &["Half Term", "February Half Term"],
    );
    has(
        &imported,
        "ics::inset_outside_term",
        &["2024-12-23", "falls inside `Christmas Holiday`"],
    );
    has(
        &imported,
        "ics::inset_outside_term",
        &["2025-07-23", "after term `summer` ended"],
    );
    has(
        &imported,
        "ics::half_term_mid_week",
        &["February Half Term", "Thursday", "2025-02-13"],
    );
    has(
        &imported,
        "ics::wrong_academic_year",
        &["INSET Day", "2023-09-01", "2023-24"],
    );
    has(
        &imported,
        "ics::bank_holiday_filled",
        &["2025-05-05", "early May bank holiday"],
    );
    insta::assert_snapshot!("primary_calendar", imported.text);
    insta::assert_snapshot!("primary_notes", notes(&imported.diagnostics).join("\n"));
}

#[test]
fn secondary_feed_with_every_quirk() {
    let imported = import("tests/ics/northgate-secondary-2025-26.ics");
    // Autumn: Wed 3 Sep (Years 7 and 12 only; the INSET days 1 and 2 Sep are before the term)
    // .. Fri 19 Dec (a timed 12:30 finish, summary folded) is 3 + 15 weeks x 5 = 78 weekdays;
    // the half-term from 15:00 on Fri 24 Oct to Sun 2 Nov closes 27 .. 31 Oct: 78 - 5 = 73.
    // Spring: Mon 5 Jan .. Fri 27 Mar (13:30 UTC, GMT then) is 12 weeks, 60 weekdays; the
    // February half-term (an RRULE, daily for 5 days from Mon 16 Feb) is 5, the INSET on 5 Jan
    // (listed twice) 1: 60 - 5 - 1 = 54.
    // Summer: Mon 13 Apr .. Tue 21 Jul is 14 weeks x 5 + 2 = 72 weekdays; the half-term from
    // Thu 21 May to Fri 29 May is 7 (21, 22, 25 to 29; the spring bank holiday 25 May inside it)
    // and the early May bank holiday (Mon 4 May, filled) 1: 72 - 7 - 1 = 64.
    // The year: 73 + 54 + 64 = 191 days, 382 sessions.
    assert_eq!(
        school_days(&imported),
        counts(&[("autumn", 73), ("spring", 54), ("summer", 64)])
    );
    closure(&imported, Kind::HalfTerm, "2025-10-25", "2025-11-02");
    closure(&imported, Kind::HalfTerm, "2026-02-16", "2026-02-20");
    closure(&imported, Kind::HalfTerm, "2026-05-21", "2026-05-29");
    // The two Christmas events (22 Dec .. 4 Jan and 20 Dec .. 2 Jan) are one holiday.
    closure(&imported, Kind::Holiday, "2025-12-20", "2026-01-04");
    closure(&imported, Kind::BankHoliday, "2026-05-04", "2026-05-04");
    has(
        &imported,
        "ics::some_year_groups",
        &["Years 7 and 12 only", "2025-09-03"],
    );
    has(
        &imported,
        "ics::half_day",
        &["Autumn half term", "2025-10-24", "15:00"],
    );
    has(&imported, "ics::duplicate", &["INSET Day", "2026-01-05"]);
    has(&imported, "ics::overlap", &["Christmas holidays"]);
    has(
        &imported,
        "ics::inset_outside_term",
        &["2026-04-10", "falls inside `Easter holidays`"],
    );
    has(
        &imported,
        "ics::inset_outside_term",
        &["2026-07-22", "after term `summer` ended"],
    );
    has(
        &imported,
        "ics::half_term_mid_week",
        &["Summer half term", "Thursday", "2026-05-21"],
    );
    has(
        &imported,
        "ics::wrong_academic_year",
        &["Last day of summer term", "2025-07-22"],
    );
    has(&imported, "ics::bank_holiday_filled", &["2026-05-04"]);
    insta::assert_snapshot!("secondary_calendar", imported.text);
    insta::assert_snapshot!("secondary_notes", notes(&imported.diagnostics).join("\n"));
}

// ---------------------------------------------------------------- one feed per quirk
// Each feed's frame is one autumn term, Mon 2 Sep .. Fri 20 Dec 2024: 16 weeks, 80 weekdays.

#[test]
fn all_day_events_end_the_day_before_dtend() {
    let imported = import("tests/ics/quirks/all-day-exclusive-dtend.ics");
    // DTEND 2 Nov closes 28 Oct .. 1 Nov (5 weekdays); an INSET with no DTEND and a training
    // day of DURATION P1D close one day each: 80 - 5 - 1 - 1 = 73.
    closure(&imported, Kind::HalfTerm, "2024-10-28", "2024-11-01");
    closure(&imported, Kind::Inset, "2024-11-22", "2024-11-22");
    closure(&imported, Kind::Inset, "2024-11-29", "2024-11-29");
    assert_eq!(school_days(&imported), counts(&[("autumn", 73)]));
}

#[test]
fn timed_events_close_the_days_whose_noon_they_cover() {
    let imported = import("tests/ics/quirks/timed-events.ics");
    // 08:30-15:30 closes 4 Oct; a morning to 12:00 closes nothing (a half day, 11 Oct); a timed
    // start with no end closes its day (18 Oct): 80 - 2 = 78.
    closure(&imported, Kind::Inset, "2024-10-04", "2024-10-04");
    closure(&imported, Kind::Inset, "2024-10-18", "2024-10-18");
    has(
        &imported,
        "ics::half_day",
        &["2024-10-11", "the morning closed until 12:00"],
    );
    assert_eq!(school_days(&imported), counts(&[("autumn", 78)]));
}

#[test]
fn utc_and_tzid_times_are_london_times() {
    let imported = import("tests/ics/quirks/tzid.ics");
    // 14:00Z on 25 Oct is 15:00 BST: past noon, so the half-term closes from Sat 26 Oct; its
    // end, 00:00Z on 3 Nov, is 00:00 GMT, so the last closed day is Sat 2 Nov (5 weekdays).
    closure(&imported, Kind::HalfTerm, "2024-10-26", "2024-11-02");
    has(&imported, "ics::half_day", &["2024-10-25", "15:00"]);
    closure(&imported, Kind::Inset, "2024-11-15", "2024-11-15");
    // A zone other than London's is read as London clock time, with a warning.
    closure(&imported, Kind::Inset, "2024-11-22", "2024-11-22");
    has(&imported, "ics::foreign_time_zone", &["America/New_York"]);
    assert_eq!(school_days(&imported), counts(&[("autumn", 73)]));
}

#[test]
fn folded_lines_are_unfolded() {
    let imported = import("tests/ics/quirks/folded.ics");
    // `Autumn te` + ` rm starts` and `October ha` + TAB `lf term`, with LF line ends; the
    // half-term's `DTEND;VALUE=` is folded before `DATE`: 80 - 5 = 75.
    closure(&imported, Kind::HalfTerm, "2024-10-28", "2024-11-01");
    assert_eq!(school_days(&imported), counts(&[("autumn", 75)]));
}

#[test]
fn rrules_are_expanded() {
    let imported = import("tests/ics/quirks/rrule.ics");
    // FREQ=DAILY;COUNT=5 from Mon 28 Oct is the half-term; Fridays from 8 Nov UNTIL 29 Nov less
    // the EXDATE 15 Nov are three INSET days: 80 - 5 - 3 = 72. The fortnightly choir, with no
    // end, is not about term dates and is listed once.
    closure(&imported, Kind::HalfTerm, "2024-10-28", "2024-11-01");
    for d in ["2024-11-08", "2024-11-22", "2024-11-29"] {
        closure(&imported, Kind::Inset, d, d);
    }
    assert!(
        !imported
            .closures
            .iter()
            .any(|c| c.start == date("2024-11-15"))
    );
    assert_eq!(imported.unused.len(), 1);
    assert_eq!(school_days(&imported), counts(&[("autumn", 72)]));
}

#[test]
fn duplicates_are_dropped_and_overlaps_merged() {
    let imported = import("tests/ics/quirks/duplicates-overlaps.ics");
    // The half-term twice (one dropped) and a local authority's `Half term` Fri 25 .. Tue 29 Oct
    // (merged): 25 Oct .. 1 Nov, 6 weekdays. The INSET day twice, once in lower case: 1.
    // 80 - 6 - 1 = 73.
    closure(&imported, Kind::HalfTerm, "2024-10-25", "2024-11-01");
    has(&imported, "ics::duplicate", &["October half term"]);
    has(&imported, "ics::duplicate", &["inset day"]);
    has(
        &imported,
        "ics::overlap",
        &["October half term", "Half term (local authority)"],
    );
    assert_eq!(school_days(&imported), counts(&[("autumn", 73)]));
}

#[test]
fn inset_days_outside_term_are_kept_with_a_warning() {
    let imported = import("tests/ics/quirks/inset-outside-term.ics");
    has(
        &imported,
        "ics::inset_outside_term",
        &["INSET day", "2025-01-02", "Christmas holiday"],
    );
    has(
        &imported,
        "ics::inset_outside_term",
        &[
            "Training day",
            "2025-04-07",
            "after term `spring` ended (2025-04-04)",
        ],
    );
    // Neither closes a school day: autumn 80; spring Mon 6 Jan .. Fri 4 Apr, 13 weeks, 65.
    assert_eq!(
        school_days(&imported),
        counts(&[("autumn", 80), ("spring", 65)])
    );
}

#[test]
fn a_first_day_for_some_year_groups_is_a_whole_school_day_with_a_warning() {
    let imported = import("tests/ics/quirks/year-groups.ics");
    // The calendar has no per-year-group days: the term starts Wed 4 Sep for everyone, and the
    // second start (Thu 5 Sep, everyone else) is the same term. 4 Sep .. 20 Dec: 3 + 75 = 78.
    assert_eq!(imported.terms.len(), 1);
    assert_eq!(imported.terms[0].start, date("2024-09-04"));
    has(
        &imported,
        "ics::some_year_groups",
        &["Term starts for Years 7 and 12 only", "2024-09-04"],
    );
    assert_eq!(school_days(&imported), counts(&[("autumn", 78)]));
}

#[test]
fn a_half_term_from_3pm_leaves_a_half_day() {
    let imported = import("tests/ics/quirks/half-term-3pm.ics");
    // From 15:00 Fri 25 Oct to 23:59 Sun 3 Nov: Fri 25 Oct is a school day, 28 Oct .. 1 Nov are
    // closed: 80 - 5 = 75.
    closure(&imported, Kind::HalfTerm, "2024-10-26", "2024-11-03");
    assert_eq!(imported.half_days.len(), 1);
    assert_eq!(imported.half_days[0].date, date("2024-10-25"));
    assert!(
        imported
            .text
            .contains("# 2024-10-25: a half day, the afternoon closed from 15:00")
    );
    assert_eq!(school_days(&imported), counts(&[("autumn", 75)]));
}

#[test]
fn missing_bank_holidays_are_filled_and_named() {
    let imported = import("tests/ics/quirks/bank-holidays.ics");
    // Summer 2025: Tue 22 Apr .. Tue 22 Jul, 66 weekdays. The early May bank holiday (Mon 5 May)
    // is filled; the spring one (Mon 26 May) is in the half-term already: 66 - 1 - 5 = 60.
    closure(&imported, Kind::BankHoliday, "2025-05-05", "2025-05-05");
    let filled: Vec<_> = imported.closures.iter().filter(|c| c.filled).collect();
    assert_eq!(filled.len(), 1);
    has(
        &imported,
        "ics::bank_holiday_filled",
        &["2025-05-05 (early May bank holiday)"],
    );
    assert!(imported.text.contains("# filled from England's bank holidays: not in the feed\n  bank_holiday 2025-05-05 \"Early May bank holiday\""));
    assert_eq!(school_days(&imported), counts(&[("summer", 60)]));
}

#[test]
fn a_wrong_year_and_a_thursday_half_term_are_accepted_with_warnings() {
    let imported = import("tests/ics/quirks/wrong-year-thursday.ics");
    // Thu 24 Oct .. Fri 1 Nov is 7 weekdays: 80 - 7 = 73. The INSET of 2025 and the spring term
    // of 2026 are in years with no term: not used, named.
    closure(&imported, Kind::HalfTerm, "2024-10-24", "2024-11-01");
    has(
        &imported,
        "ics::half_term_mid_week",
        &["`Half term`", "Thursday", "2024-10-24"],
    );
    has(
        &imported,
        "ics::wrong_academic_year",
        &["`INSET day`", "2025-10-03", "2025-26"],
    );
    has(
        &imported,
        "ics::wrong_academic_year",
        &["`Spring term starts`", "2026-01-05"],
    );
    assert!(
        imported
            .text
            .contains("#   2025-10-03 INSET day (in an academic year with no term in the feed)")
    );
    assert_eq!(school_days(&imported), counts(&[("autumn", 73)]));
}

// ---------------------------------------------------------------- malformed feeds

#[test]
fn malformed_feeds_are_located_with_a_fix() {
    let cases = [
        ("not-icalendar", "ics::not_icalendar", 1, 1),
        ("broken-date", "ics::bad_date", 5, 1),
        ("unterminated", "ics::unterminated", 7, 1),
        ("mismatched-end", "ics::mismatched_end", 10, 1),
        ("bad-line", "ics::bad_line", 5, 1),
        ("no-terms", "ics::no_terms", 1, 1),
        // `BYDAY=MO,TU,WE,TH\u{a0}FR`, which the rule crate read as `MO,TU,WE,FR`.
        ("no-break-space-in-rule", "ics::bad_rule", 14, 1),
    ];
    for (name, code, line, column) in cases {
        let rel = format!("tests/ics/malformed/{name}.ics");
        let src = read(&rel);
        // Not iCalendar at all is only ever imported on request, by `attend calendar import`.
        let errors = ics::import(&src).expect_err(name);
        let first = &errors[0];
        assert_eq!(first.code, code, "{name}");
        assert_eq!(
            first.position(),
            Some((rel.as_str(), line, column)),
            "{name}"
        );
        assert!(first.help.is_some(), "{name}");
    }
}

/// Found by CI's fuzzing: the rule crate sliced `TH\u{a0}R` inside the no-break space and
/// panicked. The fuzzer's input is kept whole; the rule is refused, named, at its line.
#[test]
fn a_rule_holding_a_no_break_space_is_refused_not_a_panic() {
    let rel = "fuzz/regressions/ics/no-break-space-in-byday.ics";
    let errors = ics::import(&read(rel)).expect_err("the rule is not ASCII");
    let first = &errors[0];
    assert_eq!(first.code, "ics::bad_rule");
    assert_eq!(first.position(), Some((rel, 176, 1)));
    assert!(
        first.message.ends_with(
            "it holds the character U+00A0 (a no-break space), and a rule is plain ASCII"
        ),
        "{}",
        first.message
    );
}

fn attend(args: &[&str], dir: &Path) -> std::process::Output {
    Command::new(assert_cmd::cargo::cargo_bin!("attend"))
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .expect("the binary runs")
}

#[test]
fn the_import_command_reports_errors_with_file_line_and_column() {
    let out = attend(
        &[
            "calendar",
            "import",
            "tests/ics/malformed/broken-date.ics",
            "-o",
            "/dev/null/x",
        ],
        root(),
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("[tests/ics/malformed/broken-date.ics:5:1]"),
        "{stderr}"
    );
    assert!(
        stderr.contains("`20240931` is not an iCalendar date"),
        "{stderr}"
    );
    assert!(
        stderr.contains("help: write a date as YYYYMMDD"),
        "{stderr}"
    );
}

// ---------------------------------------------------------------- the command and --calendar

fn copy_fixture(rel: &str, dir: &Path, name: &str) -> PathBuf {
    let to = dir.join(name);
    std::fs::copy(root().join(rel), &to).expect("copy");
    to
}

#[test]
fn import_writes_the_calendar_and_prints_what_it_understood() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Detected by content: the feed is named `.txt`.
    copy_fixture(
        "tests/ics/oakfield-primary-2024-25.ics",
        dir.path(),
        "term-dates.txt",
    );
    let out = attend(&["calendar", "import", "term-dates.txt"], dir.path());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let written = std::fs::read_to_string(dir.path().join("term-dates.calendar")).expect("written");
    let expected = import("tests/ics/oakfield-primary-2024-25.ics")
        .text
        .replace("tests/ics/oakfield-primary-2024-25.ics", "term-dates.txt");
    assert_eq!(written, expected);
    insta::assert_snapshot!("primary_understood", stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("wrote term-dates.calendar"), "{stderr}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("term-dates.calendar"))
            .expect("metadata")
            .permissions()
            .mode();
        // 0666 less the umask: never executable, and no temporary file left beside it.
        assert_eq!(mode & 0o111, 0);
        let left: Vec<_> = std::fs::read_dir(dir.path()).expect("dir").collect();
        assert_eq!(left.len(), 2);
    }
}

/// Every file under `dir`, by path relative to `base`, with its bytes.
fn walk(base: &Path, dir: &Path, into: &mut Vec<(String, Vec<u8>)>) {
    for entry in std::fs::read_dir(dir).expect("a folder") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            walk(base, &path, into);
        } else {
            let rel = path
                .strip_prefix(base)
                .expect("under base")
                .display()
                .to_string();
            into.push((rel, std::fs::read(&path).expect("readable")));
        }
    }
}

#[test]
fn run_with_the_feed_equals_run_with_the_imported_calendar() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    for feed in [
        "tests/ics/oakfield-primary-2024-25.ics",
        "tests/ics/northgate-secondary-2025-26.ics",
    ] {
        let ics = copy_fixture(feed, d, "feed.ics");
        let ok = |out: std::process::Output| {
            assert_eq!(
                out.status.code(),
                Some(0),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        let cal = d.join("imported.calendar");
        ok(attend(
            &[
                "calendar",
                "import",
                &ics.display().to_string(),
                "-o",
                &cal.display().to_string(),
            ],
            d,
        ));
        ok(attend(
            &[
                "generate",
                "--cohort",
                "60",
                "--phase",
                "secondary",
                "--calendar",
                "feed.ics",
                "--out",
                "data",
            ],
            d,
        ));
        let policy = root()
            .join("policies/kings-cross-academy.policy")
            .display()
            .to_string();
        let mut outputs = Vec::new();
        for (calendar, out) in [
            ("feed.ics", "out-ics"),
            ("imported.calendar", "out-calendar"),
        ] {
            ok(attend(
                &[
                    "run",
                    &policy,
                    "--calendar",
                    calendar,
                    "--register",
                    "data/register.csv",
                    "--pupils",
                    "data/pupils.csv",
                    "--out",
                    out,
                    "--no-ledger",
                    "--allow-errors",
                ],
                d,
            ));
            let mut files = Vec::new();
            walk(&d.join(out), &d.join(out), &mut files);
            files.sort();
            outputs.push(files);
        }
        let names: Vec<&str> = outputs[0].iter().map(|(n, _)| n.as_str()).collect();
        assert!(
            names.contains(&"actions.csv") && names.contains(&"summary.csv"),
            "{names:?}"
        );
        assert!(outputs[0] == outputs[1], "{feed}: outputs differ");
        for out in ["out-ics", "out-calendar", "data"] {
            std::fs::remove_dir_all(d.join(out)).expect("clean");
        }
    }
}

#[test]
fn fmt_does_not_rewrite_a_feed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let feed = copy_fixture("tests/ics/quirks/folded.ics", dir.path(), "feed.ics");
    let before = std::fs::read(&feed).expect("read");
    let out = attend(&["fmt", "--write", "feed.ics"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("attend calendar import feed.ics"));
    assert_eq!(std::fs::read(&feed).expect("read"), before);
}

#[test]
fn check_reads_a_feed_and_shows_its_warnings() {
    let out = attend(
        &[
            "check",
            "policies/national.policy",
            "--calendar",
            "tests/ics/northgate-secondary-2025-26.ics",
        ],
        root(),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("ics::some_year_groups"), "{stdout}");
    assert!(
        stdout.contains("[tests/ics/northgate-secondary-2025-26.ics:"),
        "{stdout}"
    );
    assert!(!stdout.contains("AT010"), "a full year: {stdout}");
}

// ---------------------------------------------------------------- never panics

const PROPERTIES: &[&str] = &[
    "BEGIN:VCALENDAR",
    "END:VCALENDAR",
    "BEGIN:VEVENT",
    "END:VEVENT",
    "BEGIN:VTIMEZONE",
    "END:VTIMEZONE",
    "SUMMARY:Autumn term starts",
    "SUMMARY:Half term",
    "SUMMARY:INSET day",
    "SUMMARY:Last day of term",
    "SUMMARY:Christmas holiday",
    "SUMMARY:Bank holiday",
    "DTSTART;VALUE=DATE:20240902",
    "DTSTART:20241025T150000",
    "DTSTART:20241025T140000Z",
    "DTSTART;TZID=Europe/London:20241220T140000",
    "DTEND;VALUE=DATE:20241102",
    "DTEND:20241103T000000",
    "DURATION:P5D",
    "DURATION:PT3H",
    "RRULE:FREQ=DAILY;COUNT=5",
    "RRULE:FREQ=WEEKLY;BYDAY=MO,FR;UNTIL=20241220",
    "RRULE:FREQ=YEARLY",
    "EXDATE;VALUE=DATE:20241108",
    "STATUS:CANCELLED",
    "DTSTART;VALUE=DATE:99999999",
    "DTSTART:2024",
    "RRULE:FREQ=SECONDLY;INTERVAL=0",
    " folded",
    "\ttab",
    "",
    ":",
    ";",
];

fn line() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(PROPERTIES).prop_map(String::from),
        1 => "[ -~]{0,30}",
        1 => (prop::sample::select(PROPERTIES), any::<u8>()).prop_map(|(p, n)| {
            // A property with one digit changed: dates out of range, broken rules.
            let mut s = p.to_string();
            let digits: Vec<usize> = s.char_indices().filter(|(_, c)| c.is_ascii_digit()).map(|(i, _)| i).collect();
            if let Some(&at) = digits.get(usize::from(n) % digits.len().max(1)) {
                s.replace_range(at..=at, &char::from(b'0' + n % 10).to_string());
            }
            s
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(600))]

    #[test]
    fn import_never_panics(lines in prop::collection::vec(line(), 0..40), crlf in any::<bool>()) {
        let text = lines.join(if crlf { "\r\n" } else { "\n" });
        let src = Source::new("fuzz.ics", text);
        if let Ok(imported) = ics::import(&src) {
            // What it writes always reads back as a calendar.
            let written = Source::new("fuzz.calendar", imported.text);
            prop_assert!(attend::load_calendar(&written).is_ok());
        }
        let _ = attend::load_calendar(&src);
    }
}

#[test]
fn weekday_arithmetic_of_the_fixtures() {
    // The counts above lean on these days of the week.
    for (d, w) in [
        ("2024-09-04", Weekday::Wed),
        ("2024-10-25", Weekday::Fri),
        ("2025-02-13", Weekday::Thu),
        ("2025-04-22", Weekday::Tue),
        ("2025-05-05", Weekday::Mon),
        ("2025-09-03", Weekday::Wed),
        ("2026-05-21", Weekday::Thu),
        ("2026-07-21", Weekday::Tue),
    ] {
        assert_eq!(date(d).weekday(), w, "{d}");
    }
}
