//! Hostile register input (issue 13), run through the real binary: a long-CSV row or an
//! open quote longer than the reader's chunk gets a located error instead of a hang, and
//! problems are capped within a pupil and a row and keep a short excerpt of their line. The
//! large reproducers are generated here, at a size a debug build reads in well under a
//! second; `benches/hostile.py` runs the full-size ones on the release binary with time and
//! memory ceilings.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The longest row a reader accepts (`attend::register::MAX_ROW`).
const MAX_ROW: usize = attend::register::MAX_ROW;

struct Run {
    code: i32,
    stderr: String,
}

/// `attend run KINGS-CROSS (corrected, so the run is not refused for its errors) --calendar CAMDEN --register FILE args...` in `dir`.
fn run(dir: &Path, register: &str, contents: &[u8], args: &[&str]) -> Run {
    std::fs::write(dir.join(register), contents).expect("write the register");
    let out = Command::new(assert_cmd::cargo::cargo_bin!("attend"))
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("XDG_CONFIG_HOME", dir.join(".config"))
        .env_remove("ATTEND_PSEUDONYM_KEY")
        .arg("run")
        .arg(root().join("policies/corrected/kings-cross-academy.policy"))
        .arg("--calendar")
        .arg(root().join("policies/calendars/camden-2024-25.calendar"))
        .args(["--register", register, "--out", "out", "--no-report", "-q"])
        .args(args)
        .output()
        .expect("the binary runs");
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    run
}

fn temp() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary directory")
}

/// The problem lines (`error[...]` and `warning[...]`) of a run's standard error.
fn headlines(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.starts_with("error[") || l.starts_with("warning[register"))
        .collect()
}

/// Every line that shows an excerpt of the input (`N | text`) is at most 200 characters of
/// text, and each caret line points at a character of the line above it.
fn assert_excerpts_short(stderr: &str) {
    for line in stderr.lines() {
        if let Some((number, text)) = line.split_once(" | ")
            && number.trim().parse::<u64>().is_ok()
        {
            assert!(
                text.chars().count() <= attend::register::EXCERPT,
                "an excerpt of {} characters",
                text.chars().count()
            );
        }
    }
}

#[test]
fn a_long_csv_row_longer_than_the_limit_is_reported_at_its_line() {
    let dir = temp();
    let mut file = b"pupil_id,date,session,mark\nP1,2024-09-05,AM,/\nP1,2024-09-05,PM,".to_vec();
    file.resize(file.len() + MAX_ROW + 1024, b'/');
    file.extend_from_slice(b"\nP2,2024-09-05,AM,/\n");
    let run = run(dir.path(), "r.csv", &file, &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(
        headlines(&run.stderr),
        ["error[register::row_too_long]: row longer than 4194304 bytes"]
    );
    assert!(run.stderr.contains("--> r.csv:3:1\n"), "{}", run.stderr);
    assert_excerpts_short(&run.stderr);
}

#[test]
fn rows_after_a_long_row_keep_their_line_numbers() {
    // The long row holds quoted line ends; the bad row after it is still on line 5.
    let dir = temp();
    let mut file =
        b"pupil_id,date,session,mark\nP1,2024-09-05,AM,/\nP1,2024-09-05,PM,\"/\n/".to_vec();
    file.resize(file.len() + MAX_ROW, b'/');
    file.extend_from_slice(b"\"\nP2,2024-09-05,AM,/\nP2,2024-13-05,PM,/\n");
    let run = run(dir.path(), "r.csv", &file, &["--keep-going"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(
        headlines(&run.stderr),
        [
            "error[register::row_too_long]: row longer than 4194304 bytes",
            "error[register::bad_date]: bad date `2024-13-05`",
        ]
    );
    assert!(run.stderr.contains("--> r.csv:3:1\n"), "{}", run.stderr);
    assert!(run.stderr.contains("--> r.csv:6:4\n"), "{}", run.stderr);
}

#[test]
fn a_one_line_register_longer_than_a_row_is_reported_not_read() {
    let dir = temp();
    let mut file = b"pupil_id,date,session,mark\n".to_vec();
    while file.len() < 2 * MAX_ROW {
        file.extend_from_slice(b"P1,2024-09-05,AM,/,");
    }
    let run = run(dir.path(), "r.csv", &file, &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("register::row_too_long"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--> r.csv:2:1\n"), "{}", run.stderr);
}

#[test]
fn a_quote_that_never_closes_is_reported_at_the_quote() {
    // Longer than a chunk, and (second) within one: both name line 2, column 18.
    for rows in [MAX_ROW / 20 + 1000, 10] {
        let dir = temp();
        let mut file = b"pupil_id,date,session,mark\nP1,2024-09-05,AM,\"/\n".to_vec();
        for i in 0..rows {
            file.extend_from_slice(format!("P{},2024-09-05,AM,/\n", i % 1000 + 2).as_bytes());
        }
        let run = run(dir.path(), "r.csv", &file, &[]);
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert_eq!(
            headlines(&run.stderr),
            ["error[register::unterminated_quote]: unterminated quoted field"]
        );
        assert!(run.stderr.contains("--> r.csv:2:18\n"), "{}", run.stderr);
        assert!(
            run.stderr
                .contains("2 | P1,2024-09-05,AM,\"/\n  |                  ^\n"),
            "{}",
            run.stderr
        );
    }
}

/// A CTF file with one pupil and `marks` marks from 2024-09-05, on one line.
fn ctf(marks: usize) -> Vec<u8> {
    format!(
        "<?xml version=\"1.0\"?>\n<CTfile><CTFpupilData><Pupil><UPN>A123456789012</UPN>\
         <Attendance><YearData><AttendSessions>\
         <AttendanceStartDate>2024-09-05</AttendanceStartDate><AttendanceMarks>{}\
         </AttendanceMarks></AttendSessions></YearData></Attendance></Pupil></CTFpupilData>\
         </CTfile>\n",
        "/".repeat(marks)
    )
    .into_bytes()
}

#[test]
fn max_errors_caps_the_problems_of_one_pupil() {
    // 40,000 marks from 2024-09-05: the calendar has 382 school days (764 sessions) from
    // then on, so 40,000 - 764 = 39,236 marks fall on days that are not school days.
    let dir = temp();
    let run1 = run(dir.path(), "c.xml", &ctf(40_000), &[]);
    assert_eq!(run1.code, 2, "{}", run1.stderr);
    assert_eq!(
        headlines(&run1.stderr),
        [
            "error[register::closed_day]: mark `/` on 2024-09-07, which is a Saturday",
            "warning[register::too_many]: 39235 more problems not shown",
        ]
    );
    // The mark is the 5th of the marks (Saturday's AM), after 161 characters of the line.
    assert!(run1.stderr.contains("--> c.xml:2:166\n"), "{}", run1.stderr);
    assert_excerpts_short(&run1.stderr);
    let caret = run1.stderr.lines().find(|l| l.trim_end().ends_with('^'));
    let text = run1.stderr.lines().find(|l| l.starts_with("2 | "));
    let (Some(caret), Some(text)) = (caret, text) else {
        panic!("no excerpt: {}", run1.stderr)
    };
    let column = caret.len() - 1;
    assert_eq!(text.chars().nth(column), Some('/'), "{text}\n{caret}");
    assert_eq!(text.chars().nth(column - 5), Some('>'), "{text}\n{caret}");

    let run5 = run(
        dir.path(),
        "c.xml",
        &ctf(40_000),
        &["--keep-going", "--max-errors", "5"],
    );
    let lines = headlines(&run5.stderr);
    assert_eq!(lines.len(), 6, "{}", run5.stderr);
    assert_eq!(
        lines[5],
        "warning[register::too_many]: 39231 more problems not shown"
    );
}

#[test]
fn max_errors_caps_the_problems_of_one_row_and_keep_going_has_a_hard_cap() {
    // 200,000 marks in one compact row: 200,000 - 764 = 199,236 on days that are not
    // school days; at most 10,000 are kept whatever --max-errors says.
    let dir = temp();
    let mut file = b"pupil_id,start_date,marks\nP1,2024-09-05,".to_vec();
    file.resize(file.len() + 200_000, b'/');
    file.push(b'\n');
    let run = run(
        dir.path(),
        "m.csv",
        &file,
        &["--keep-going", "--max-errors", "1000000"],
    );
    assert_eq!(run.code, 2);
    let lines = headlines(&run.stderr);
    assert_eq!(lines.len(), attend::register::MAX_PROBLEMS + 1);
    assert_eq!(
        lines.last().copied(),
        Some("warning[register::too_many]: 189236 more problems not shown")
    );
    assert_excerpts_short(&run.stderr);
    // The last problem kept is the 10,000th mark on a closed day, deep in the row: its
    // excerpt starts 50 characters before it.
    assert!(
        run.stderr.contains("--> m.csv:2:"),
        "{}",
        &run.stderr[..2000]
    );
}

#[test]
fn a_calendar_of_many_years_costs_nothing_per_pupil() {
    // A calendar from year 0 to 9999; five pupils marked on three days of 2024. The run
    // answers, and the register holds the three days, not the calendar's 2.6 million.
    let dir = temp();
    let calendar: PathBuf = dir.path().join("wide.calendar");
    std::fs::write(
        &calendar,
        "calendar \"wide\" {\n  term all 0000-01-03 .. 9999-12-31\n}\n",
    )
    .expect("write the calendar");
    let mut file = b"pupil_id,date,session,mark\n".to_vec();
    for pupil in 1..=5 {
        for day in 2..=4 {
            for session in ["AM", "PM"] {
                file.extend_from_slice(format!("P{pupil},2024-09-0{day},{session},/\n").as_bytes());
            }
        }
    }
    std::fs::write(dir.path().join("r.csv"), &file).expect("write the register");
    let out = Command::new(assert_cmd::cargo::cargo_bin!("attend"))
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .arg("run")
        .arg(root().join("policies/national.policy"))
        .arg("--calendar")
        .arg(&calendar)
        .args(["--register", "r.csv", "--out", "out", "--no-report"])
        .output()
        .expect("the binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("5 pupils, 30 sessions, 2024-09-02..2024-09-04 (3 school days"),
        "{stdout}"
    );
}

#[test]
fn a_compact_row_longer_than_the_limit_is_reported_at_its_line() {
    // A marks field of 4 MiB + 1 KiB on line 3, after a good row: the csv crate would hold
    // it whole; the reader stops at the limit with the row's line.
    let dir = temp();
    let mut file = b"pupil_id,start_date,marks\nP1,2024-09-05,/\\\nP2,2024-09-05,\"".to_vec();
    file.resize(file.len() + MAX_ROW + 1024, b'/');
    file.extend_from_slice(b"\"\nP3,2024-09-05,/\\\n");
    let run = run(dir.path(), "m.csv", &file, &["--keep-going"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(
        headlines(&run.stderr),
        ["error[register::row_too_long]: row longer than 4194304 bytes"]
    );
    assert!(run.stderr.contains("--> m.csv:3:1\n"), "{}", run.stderr);
    assert!(
        run.stderr.contains("help: a register row is"),
        "{}",
        run.stderr
    );
    assert_excerpts_short(&run.stderr);
}

#[test]
fn a_pupils_row_longer_than_the_limit_is_reported_at_its_line() {
    // A carer's address of 4 MiB + 1 KiB, its line ends quoted, on the third row.
    let dir = temp();
    let mut pupils =
        b"pupil_id,date_of_birth,year_group,carer_address\nP1,2015-05-01,4,\nP2,2015-05-01,4,\"1 Road\n"
            .to_vec();
    pupils.resize(pupils.len() + MAX_ROW + 1024, b'x');
    pupils.extend_from_slice(b"\"\nP3,2015-05-01,4,\n");
    std::fs::write(dir.path().join("pupils.csv"), &pupils).expect("write the pupils file");
    let register = b"pupil_id,date,session,mark\nP1,2024-09-05,AM,/\n";
    let run = run(dir.path(), "r.csv", register, &["--pupils", "pupils.csv"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(
        headlines(&run.stderr),
        ["error[register::row_too_long]: row longer than 4194304 bytes"]
    );
    assert!(
        run.stderr.contains("--> pupils.csv:3:1\n"),
        "{}",
        run.stderr
    );
    assert_excerpts_short(&run.stderr);
}
