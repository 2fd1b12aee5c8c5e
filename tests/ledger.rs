//! The ledger, played as a school's mornings on one register through the binary: what is new,
//! unchanged and withdrawn each day, `attend done`, a corrected mark withdrawing a letter
//! that was already sent (flagged for follow-up), a crash mid-run leaving the ledger and the
//! output folder as they were, two runs at once, and outputs that are whole and respect the
//! umask.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

const POLICY: &str = r#"policy "Test School" {
  extends national
  roles { attendance_lead "Attendance lead"  champion "Ms R Ahmed, Deputy Head" }
  letters { first-day "letters/first-day.md" }
  escalation "unexplained absence" days marked {N, O} {
    day 1: letter first-day by attendance_lead, contact "telephone first" by attendance_lead
    day 2: home_visit by attendance_lead
  }
  trigger "a whole day unexplained" when unauthorised(year_to_date) >= 2 then review by attendance_lead
}
"#;

const CALENDAR: &str = include_str!("../policies/calendars/camden-2024-25.calendar");

const LETTER: &str = "Dear {{ carer.name }}, parent/carer of {{ pupil.name }},\n\n\
    {{ evidence }}\n\n{{ signed_by }}\n";

/// The register as it grows: long CSV rows `pupil,date,session,mark`. Thursday 5 September
/// is day 1 (the 4th is an INSET day); P1 is absent without a reason, P2 is in. At 9.30
/// only the morning is marked.
const DAY1_AM: &[&str] = &["P1,2024-09-05,AM,N", "P2,2024-09-05,AM,/"];
/// The afternoon register of day 1.
const DAY1_PM: &[&str] = &["P1,2024-09-05,PM,N", "P2,2024-09-05,PM,\\"];
/// Friday: P1 is back, P2 is absent without a reason.
const DAY2: &[&str] = &[
    "P1,2024-09-06,AM,/",
    "P1,2024-09-06,PM,\\",
    "P2,2024-09-06,AM,N",
    "P2,2024-09-06,PM,N",
];
/// Monday: P2 is still absent.
const DAY3: &[&str] = &[
    "P1,2024-09-09,AM,/",
    "P1,2024-09-09,PM,\\",
    "P2,2024-09-09,AM,N",
    "P2,2024-09-09,PM,O",
];

struct School {
    dir: tempfile::TempDir,
}

impl School {
    fn new() -> School {
        let dir = tempfile::tempdir().expect("temp dir");
        let school = School { dir };
        school.write("school.policy", POLICY);
        school.write("school.calendar", CALENDAR);
        school.write("letters/first-day.md", LETTER);
        school.write(
            "pupils.csv",
            "pupil_id,date_of_birth,year_group,first_name,last_name,carer_name,carer_address\n\
             P1,2015-05-01,4,Ada,Lovelace,Lady Byron,1 Piccadilly;London\n\
             P2,2015-06-01,4,Alan,Turing,Mrs E Turing,2 Warrington Crescent;London\n",
        );
        school
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn write(&self, name: &str, text: &str) {
        let path = self.path(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }

    /// Writes the register as these rows.
    fn register(&self, rows: &[&[&str]]) {
        let mut text = String::from("pupil_id,date,session,mark\n");
        for row in rows.iter().flat_map(|r| r.iter()) {
            text.push_str(row);
            text.push('\n');
        }
        self.write("register.csv", &text);
    }

    fn attend(&self) -> Command {
        let mut cmd = Command::cargo_bin("attend").expect("binary");
        cmd.current_dir(self.dir.path())
            .env_remove("ATTEND_CRASH_AT");
        cmd
    }

    fn run_cmd(&self) -> Command {
        let mut cmd = self.attend();
        cmd.args([
            "run",
            "school.policy",
            "--calendar",
            "school.calendar",
            "--register",
            "register.csv",
            "--pupils",
            "pupils.csv",
            "--out",
            "out",
            "--no-report",
        ]);
        cmd
    }

    /// Runs and returns standard output's ledger lines.
    fn run(&self) -> String {
        let out = self.run_cmd().output().expect("runs");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let start = stdout.find("ledger ").expect("a ledger section");
        stdout[start..].to_string()
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    /// actions.csv as `id ledger done date pupil action` lines.
    fn actions(&self) -> String {
        let mut csv = csv::Reader::from_path(self.path("out/actions.csv")).expect("actions.csv");
        let headers = csv.headers().expect("headers").clone();
        let col = |name: &str| headers.iter().position(|h| h == name).expect(name);
        let cols = ["id", "ledger", "done", "date", "pupil_id", "action"].map(col);
        csv.records()
            .map(|r| {
                let r = r.expect("row");
                cols.map(|c| r.get(c).unwrap_or("").to_string()).join(" ") + "\n"
            })
            .collect()
    }

    /// The id of the one action of `pupil` whose action is `action`.
    fn id_of(&self, pupil: &str, action: &str) -> String {
        self.actions()
            .lines()
            .find(|l| l.contains(&format!(" {pupil} {action}")))
            .and_then(|l| l.split(' ').next())
            .expect("the action")
            .to_string()
    }

    /// Every file under the output folder with its contents.
    fn outputs(&self) -> Vec<(PathBuf, String)> {
        fn walk(dir: &Path, root: &Path, found: &mut Vec<(PathBuf, String)>) {
            for entry in std::fs::read_dir(dir).expect("read dir") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    walk(&path, root, found);
                } else {
                    let text = std::fs::read_to_string(&path).expect("text");
                    found.push((path.strip_prefix(root).expect("under").to_path_buf(), text));
                }
            }
        }
        let mut found = Vec::new();
        walk(&self.path("out"), &self.path("out"), &mut found);
        found.sort();
        found
    }

    /// The ledger's rows, as text, read with SQLite directly.
    fn ledger_rows(&self) -> String {
        let conn = rusqlite::Connection::open(self.path("attend-ledger.sqlite")).expect("ledger");
        let mut text = String::new();
        for sql in [
            "SELECT run, first_date, last_date, new, unchanged, withdrawn FROM runs ORDER BY run",
            "SELECT id, date, pupil_id, action, first_run, withdrawn_run, done_on FROM actions ORDER BY id",
            "SELECT pupil_id, first_date, marks FROM marks ORDER BY pupil_id",
        ] {
            let mut stmt = conn.prepare(sql).expect("query");
            let n = stmt.column_count();
            let rows = stmt
                .query_map([], |r| {
                    Ok((0..n)
                        .map(|i| {
                            r.get::<_, rusqlite::types::Value>(i)
                                .map(|v| format!("{v:?}"))
                                .unwrap_or_default()
                        })
                        .collect::<Vec<_>>()
                        .join(" "))
                })
                .expect("rows");
            for row in rows {
                text.push_str(&row.expect("row"));
                text.push('\n');
            }
        }
        text
    }
}

fn report(step: &str, school: &School, stdout: &str) -> String {
    format!(
        "{step}\n--- standard output from the ledger line\n{stdout}--- actions.csv: id ledger done date pupil action\n{}--- withdrawn.csv\n{}",
        school.actions(),
        school.read("out/withdrawn.csv")
    )
}

#[test]
fn three_mornings_new_unchanged_and_a_withdrawn_letter_to_follow_up() {
    let school = School::new();

    // Day 1 at 9.30, the morning register only: P1's day-1 letter and call are new (the
    // afternoon is not yet taken, so it is not an absence).
    school.register(&[DAY1_AM]);
    let stdout = school.run();
    insta::assert_snapshot!("day1_morning", report("day 1, morning", &school, &stdout));
    let letter = school.id_of("P1", "letter:first-day");
    assert!(
        school
            .path("out/letters/2024-09-05/P1-first-day.html")
            .exists()
    );
    assert!(school.path("out/letters/2024-09-05/all.html").exists());
    let done = school
        .attend()
        .args(["done", &letter, "--on", "2024-09-05", "--note", "posted"])
        .output()
        .expect("runs");
    assert!(done.status.success(), "{done:?}");
    assert_eq!(
        String::from_utf8_lossy(&done.stdout),
        format!("{letter} done\n")
    );

    // Day 1 afternoon: P1 is absent again, a whole day unexplained: the review is new, the
    // morning's actions unchanged, and the letter is not written again. The output folder
    // holds only this run's files.
    school.register(&[DAY1_AM, DAY1_PM]);
    let stdout = school.run();
    insta::assert_snapshot!(
        "day1_afternoon",
        report("day 1, afternoon", &school, &stdout)
    );
    assert!(
        !school.path("out/letters").exists(),
        "the morning's letter is not offered again"
    );

    // Day 3: a doctor's note arrives for P1's day 1, corrected N to I. P1's letter, call
    // and review are withdrawn, with the marks before and after; the letter was posted, so
    // it is flagged for follow-up. P2's absence on days 2 and 3 is new.
    let corrected: Vec<String> = [DAY1_AM, DAY1_PM]
        .concat()
        .iter()
        .map(|r| r.replace(",N", ",I"))
        .collect();
    let corrected: Vec<&str> = corrected.iter().map(String::as_str).collect();
    school.register(&[&corrected, DAY2, DAY3]);
    let stdout = school.run();
    insta::assert_snapshot!("day3", report("day 3", &school, &stdout));
    assert!(stdout.contains("FOLLOW UP"));
    // P2's new letter is written; P1's withdrawn one is listed, not printed.
    assert!(
        school
            .path("out/letters/2024-09-06/P2-first-day.html")
            .exists()
    );
    assert!(!school.path("out/letters/2024-09-05").exists());

    // The follow-up is recorded with `attend done` on the withdrawn action; the next run
    // no longer lists it.
    let followed = school
        .attend()
        .args(["done", &letter, "--note", "apology sent"])
        .output()
        .expect("runs");
    assert_eq!(
        String::from_utf8_lossy(&followed.stdout),
        format!("{letter} was withdrawn after it was done: follow-up recorded\n")
    );
    let stdout = school.run();
    assert!(
        stdout.starts_with("ledger attend-ledger.sqlite: 0 new, 4 unchanged, 0 withdrawn"),
        "{stdout}"
    );
    assert!(!stdout.contains("FOLLOW UP"), "{stdout}");
}

#[test]
fn done_imports_an_edited_actions_csv_and_refuses_unknown_ids() {
    let school = School::new();
    school.register(&[DAY1_AM, DAY1_PM, DAY2]);
    school.run();
    let actions = school.read("out/actions.csv");
    // Mark the first action done in a copy, as a spreadsheet would save it.
    let mut lines: Vec<String> = actions.lines().map(String::from).collect();
    lines[1].push_str("2024-09-06");
    school.write("edited.csv", &(lines.join("\n") + "\n"));
    let first = lines[1].split(',').next().expect("id").to_string();
    let out = school
        .attend()
        .args(["done", "--import", "edited.csv"])
        .output()
        .expect("runs");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{first} done\n")
    );
    school.run();
    assert!(
        school
            .actions()
            .contains(&format!("{first} unchanged 2024-09-06 "))
    );

    let out = school
        .attend()
        .args(["done", "deadbeef", &first])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    insta::assert_snapshot!("unknown_id", String::from_utf8_lossy(&out.stderr));
    let out = school
        .attend()
        .args(["done", "xyz"])
        .output()
        .expect("runs");
    assert!(String::from_utf8_lossy(&out.stderr).contains("error[ledger::bad_id]"));
}

#[test]
fn done_import_refuses_a_row_longer_than_the_limit_with_its_line() {
    let school = School::new();
    school.register(&[DAY1_AM, DAY1_PM, DAY2]);
    school.run();
    let actions = school.read("out/actions.csv");
    let mut lines: Vec<String> = actions.lines().map(String::from).collect();
    lines[1].push_str("2024-09-06");
    // A 5 MiB note on the third line, beyond the 4 MiB row limit every reader shares.
    lines.insert(2, format!("x,{}", "y".repeat(5 << 20)));
    school.write("edited.csv", &(lines.join("\n") + "\n"));
    let out = school
        .attend()
        .args(["done", "--import", "edited.csv"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("`edited.csv` line 3: the row is longer than 4194304 bytes"),
        "{stderr}"
    );
    // Nothing was recorded: the first row's request was not applied before the refusal.
    school.run();
    assert!(!school.actions().contains(" unchanged 2024-09-06 "));
}

#[test]
fn a_crash_mid_run_leaves_the_ledger_and_the_outputs_as_they_were() {
    let school = School::new();
    school.register(&[DAY1_AM, DAY1_PM]);
    school.run();
    let outputs = school.outputs();
    let ledger = school.ledger_rows();

    school.register(&[DAY1_AM, DAY1_PM, DAY2]);
    // The process dies with every output written to its new folder and the ledger's rows
    // written in its open transaction, before either is made permanent.
    let crashed = school
        .run_cmd()
        .env("ATTEND_CRASH_AT", "outputs")
        .output()
        .expect("runs");
    assert!(!crashed.status.success());
    assert_eq!(school.outputs(), outputs, "the output folder is as it was");
    assert_eq!(school.ledger_rows(), ledger, "the ledger is as it was");

    // Died after the outputs were swapped in, before the ledger committed: the ledger is
    // still as it was, so the next run offers the actions as new again (a letter offered
    // twice, never one lost).
    let crashed = school
        .run_cmd()
        .env("ATTEND_CRASH_AT", "ledger")
        .output()
        .expect("runs");
    assert!(!crashed.status.success());
    assert_eq!(school.ledger_rows(), ledger, "the ledger is as it was");
    let stdout = school.run();
    assert!(
        stdout.starts_with("ledger attend-ledger.sqlite: 3 new, 3 unchanged, 0 withdrawn"),
        "{stdout}"
    );
}

#[test]
fn two_runs_at_once_on_one_ledger_both_finish_and_it_stays_whole() {
    let school = School::new();
    school.register(&[DAY1_AM, DAY1_PM, DAY2]);
    let spawn = |out: &str| {
        std::process::Command::new(assert_cmd::cargo::cargo_bin("attend"))
            .current_dir(school.dir.path())
            .args([
                "run",
                "school.policy",
                "--calendar",
                "school.calendar",
                "--register",
                "register.csv",
                "--pupils",
                "pupils.csv",
                "--out",
                out,
                "--ledger",
                "shared.sqlite",
                "--no-report",
            ])
            .output()
    };
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| spawn("out-a"));
        let b = s.spawn(|| spawn("out-b"));
        (a.join().expect("a"), b.join().expect("b"))
    });
    let (a, b) = (a.expect("runs"), b.expect("runs"));
    assert!(a.status.success() && b.status.success(), "{a:?} {b:?}");
    let conn = rusqlite::Connection::open(school.path("shared.sqlite")).expect("ledger");
    let news: Vec<(i64, i64)> = conn
        .prepare("SELECT new, unchanged FROM runs ORDER BY run")
        .expect("query")
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("rows");
    // One ran first and found six new actions; the other waited and found them unchanged.
    assert_eq!(news, [(6, 0), (0, 6)]);
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("check");
    assert_eq!(check, "ok");
}

#[cfg(unix)]
#[test]
fn outputs_respect_the_umask_and_fmt_keeps_a_policys_mode() {
    use std::os::unix::fs::PermissionsExt;
    let school = School::new();
    school.register(&[DAY1_AM, DAY1_PM]);
    let bin = assert_cmd::cargo::cargo_bin("attend");
    let status = std::process::Command::new("sh")
        .current_dir(school.dir.path())
        .arg("-c")
        .arg(format!(
            "umask 027 && exec '{}' run school.policy --calendar school.calendar --register register.csv --pupils pupils.csv --out out --quiet",
            bin.display()
        ))
        .status()
        .expect("runs");
    assert!(status.success());
    let mode = |name: &str| {
        std::fs::metadata(school.path(name))
            .expect(name)
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode("out/actions.csv"), 0o640);
    assert_eq!(mode("out/letters/2024-09-05/all.html"), 0o640);
    assert_eq!(mode("out"), 0o750);

    // A policy not in canonical form, readable by everyone: rewritten, still 0644.
    school.write(
        "messy.policy",
        "policy \"Messy\" {\n  extends national\n    }\n",
    );
    std::fs::set_permissions(
        school.path("messy.policy"),
        std::fs::Permissions::from_mode(0o644),
    )
    .expect("chmod");
    school
        .attend()
        .args(["fmt", "--write", "messy.policy"])
        .assert()
        .success();
    assert_ne!(
        school.read("messy.policy"),
        "policy \"Messy\" {\n  extends national\n    }\n"
    );
    assert_eq!(mode("messy.policy"), 0o644);
}

#[test]
fn out_is_never_a_folder_attend_did_not_make() {
    let school = School::new();
    school.register(&[DAY1_AM, DAY1_PM]);
    school.write("out/thesis.docx", "precious");
    let out = school.run_cmd().output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("is not an earlier run's output"),
        "{out:?}"
    );
    assert_eq!(school.read("out/thesis.docx"), "precious");
}

#[test]
fn a_staging_folder_a_killed_run_left_is_removed_by_the_next_run() {
    let school = School::new();
    school.register(&[DAY1_AM, DAY1_PM, DAY2]);
    let staging = || {
        let mut names: Vec<String> = std::fs::read_dir(school.dir.path())
            .expect("the folder reads")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".attend-out"))
            .collect();
        names.sort();
        names
    };
    // Killed with its outputs written to its staging folder: the folder and its lock stay.
    let crashed = school
        .run_cmd()
        .env("ATTEND_CRASH_AT", "outputs")
        .output()
        .expect("runs");
    assert!(!crashed.status.success());
    let left = staging();
    assert_eq!(left.len(), 2, "{left:?}");
    assert!(left[1].ends_with(".lock"), "{left:?}");
    // A folder another run is writing (its lock held), one a run has just made (no lock
    // yet), and a folder of another name: all left alone.
    let dir = school.dir.path();
    std::fs::create_dir(dir.join(".attend-out-live")).expect("mkdir");
    let held = std::fs::File::create(dir.join(".attend-out-live.lock")).expect("lock file");
    held.lock().expect("locked");
    std::fs::create_dir(dir.join(".attend-out-young")).expect("mkdir");
    std::fs::create_dir(dir.join(".attend-outside")).expect("mkdir");
    school.run();
    assert_eq!(
        staging(),
        [
            ".attend-out-live",
            ".attend-out-live.lock",
            ".attend-out-young",
            ".attend-outside"
        ]
    );
    drop(held);
}
