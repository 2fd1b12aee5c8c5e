//! Progress (issue 6, item 5): the library reports how far reading and evaluating have got
//! through its `Progress` hook; the command line draws bars only on a terminal, so a run with
//! standard error piped prints no bar, no carriage return and no escape code, and `--quiet`
//! drops the closing "wrote …" lines.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use attend::engine;
use attend::progress::{Progress, ProgressHandle};
use attend::register::{self, Input, ReadOptions};
use attend::source::Source;
use attend::table::SchoolDays;

const POLICY: &str = "policies/kings-cross-academy.policy";
const CALENDAR: &str = "policies/calendars/camden-2024-25.calendar";
const REGISTER: &str = "examples/data/register.csv";
const PUPILS: &str = "examples/data/pupils.csv";

#[derive(Default)]
struct Counter {
    len: AtomicU64,
    done: AtomicU64,
    finished: AtomicU64,
}

impl Progress for Counter {
    fn set_len(&self, len: u64) {
        self.len.store(len, Ordering::SeqCst);
    }
    fn inc(&self, n: u64) {
        self.done.fetch_add(n, Ordering::SeqCst);
    }
    fn finish(&self) {
        self.finished.fetch_add(1, Ordering::SeqCst);
    }
}

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn the_library_reports_bytes_read_and_pupils_evaluated() {
    let policy = Source::new(POLICY, read(POLICY));
    let calendar = Source::new(CALENDAR, read(CALENDAR));
    let checked = attend::analyse(&policy, Some(&calendar)).checked.unwrap();
    let (table, _) = attend::table::compile(&checked);
    let days = SchoolDays::new(&table.calendar);
    let reading = Arc::new(Counter::default());
    let options = ReadOptions {
        max_errors: 5,
        progress: ProgressHandle(reading.clone()),
        ..ReadOptions::default()
    };
    let pupils = register::read_pupils(&Input::path(PUPILS), 5).unwrap();
    let register = register::read_register(
        &Input::path(REGISTER),
        &table.calendar,
        &days,
        Some(&pupils),
        None,
        &options,
    )
    .unwrap();
    let size = std::fs::metadata(REGISTER).unwrap().len();
    assert_eq!(reading.len.load(Ordering::SeqCst), size);
    assert_eq!(
        reading.done.load(Ordering::SeqCst),
        size,
        "every byte counted once"
    );
    assert_eq!(reading.finished.load(Ordering::SeqCst), 1);

    let evaluating = Counter::default();
    let outcome = engine::run_with_progress(&table, &days, &register, &evaluating);
    let n = register.len() as u64;
    assert!(n > 0);
    assert_eq!(evaluating.len.load(Ordering::SeqCst), n);
    assert_eq!(evaluating.done.load(Ordering::SeqCst), n);
    assert_eq!(evaluating.finished.load(Ordering::SeqCst), 1);
    // The hook changes nothing about the result.
    let plain = engine::run(&table, &days, &register);
    assert_eq!(plain.fired.len(), outcome.fired.len());
}

fn attend(args: &[&str]) -> std::process::Output {
    assert_cmd::Command::cargo_bin("attend")
        .unwrap()
        .args(args)
        .env_remove("ATTEND_TIMINGS")
        .output()
        .unwrap()
}

/// No progress bar, carriage return, escape code or bar glyph in what a piped run printed.
fn assert_no_progress(text: &str, what: &str) {
    for bad in ['\r', '\u{1b}'] {
        assert!(!text.contains(bad), "{what} contains {bad:?}:\n{text}");
    }
    for bad in [
        "=>",
        "reading register",
        "evaluating",
        "writing letters",
        "MiB",
        " B/",
    ] {
        assert!(!text.contains(bad), "{what} contains `{bad}`:\n{text}");
    }
}

#[test]
fn a_piped_run_prints_no_progress_and_quiet_drops_the_wrote_lines() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let out = out.to_str().unwrap();
    let args = [
        "run",
        POLICY,
        "--allow-errors",
        "--calendar",
        CALENDAR,
        "--register",
        REGISTER,
        "--pupils",
        PUPILS,
        "--out",
        out,
        // Without a ledger both runs print the same results (with one, the second finds
        // the first's actions unchanged).
        "--no-ledger",
    ];
    let loud = attend(&args);
    assert!(loud.status.success());
    let stderr = String::from_utf8(loud.stderr).unwrap();
    let stdout = String::from_utf8(loud.stdout).unwrap();
    assert_no_progress(&stderr, "stderr");
    assert_no_progress(&stdout, "stdout");
    assert!(stdout.contains("wrote "), "{stdout}");

    let mut quiet_args = vec!["--quiet"];
    quiet_args.extend(args);
    let quiet = attend(&quiet_args);
    assert!(quiet.status.success());
    let quiet_stdout = String::from_utf8(quiet.stdout).unwrap();
    assert_no_progress(&String::from_utf8(quiet.stderr).unwrap(), "stderr");
    assert!(!quiet_stdout.contains("wrote "), "{quiet_stdout}");
    // The results stay: the summary is what `--quiet` keeps.
    let summary: String = stdout
        .lines()
        .filter(|l| !l.starts_with("wrote "))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(quiet_stdout, summary);

    // `-q` is global: it goes after the subcommand too.
    let mut late = args.to_vec();
    late.push("-q");
    assert!(
        !String::from_utf8(attend(&late).stdout)
            .unwrap()
            .contains("wrote ")
    );
}

#[test]
fn a_piped_generate_prints_no_progress_and_quiet_prints_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let args = [
        "generate", "--cohort", "40", "--phase", "primary", "--seed", "3", "--out", out,
    ];
    let loud = attend(&args);
    assert!(loud.status.success());
    assert_no_progress(&String::from_utf8(loud.stderr).unwrap(), "stderr");
    assert!(
        String::from_utf8(loud.stdout)
            .unwrap()
            .starts_with("generated 40 pupils")
    );
    let mut quiet_args = args.to_vec();
    quiet_args.push("--quiet");
    let quiet = attend(&quiet_args);
    assert!(quiet.status.success());
    assert!(quiet.stdout.is_empty() && quiet.stderr.is_empty());
}

#[test]
fn help_says_what_quiet_does() {
    let help = String::from_utf8(attend(&["run", "--help"]).stdout).unwrap();
    assert!(help.contains("-q, --quiet"), "{help}");
    assert!(help.contains("No progress bars"), "{help}");
}

#[test]
fn a_piped_simulate_prints_no_progress_and_quiet_drops_the_wrote_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let args = [
        "simulate",
        POLICY,
        "--allow-errors",
        "--cohort",
        "30",
        "--seed",
        "2",
        "--out",
        out,
    ];
    let loud = attend(&args);
    assert!(loud.status.success());
    assert_no_progress(&String::from_utf8(loud.stderr).unwrap(), "stderr");
    let stdout = String::from_utf8(loud.stdout).unwrap();
    assert!(stdout.contains("\nwrote "), "{stdout}");
    let mut quiet_args = args.to_vec();
    quiet_args.push("-q");
    let quiet = attend(&quiet_args);
    assert!(quiet.status.success());
    assert_no_progress(&String::from_utf8(quiet.stderr).unwrap(), "stderr");
    let quiet_stdout = String::from_utf8(quiet.stdout).unwrap();
    assert!(!quiet_stdout.contains("wrote "), "{quiet_stdout}");
    assert!(stdout.starts_with(&quiet_stdout), "the comparison stays");
}
