//! `notices_issued(N years)` in `attend run`: notices the run itself asks for, and those staff
//! marked done in the ledger before the register's first day.

use std::path::Path;

use assert_cmd::Command;

const POLICY: &str = r#"policy "Code of conduct" {
  document code_of_conduct
  roles { attendance_lead "Attendance lead" }
  trigger "notice" on each G when notices_issued(3 years) < 2
    then consider penalty_notice by attendance_lead
  trigger "prosecution" on each G when notices_issued(3 years) >= 2
    then consider prosecution by attendance_lead
}
"#;

const CALENDAR: &str = include_str!("../policies/calendars/camden-2024-25.calendar");

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).expect("write");
}

fn run(dir: &Path, extra: &[&str]) -> Vec<(String, String, String)> {
    let mut cmd = Command::cargo_bin("attend").expect("binary");
    let out = cmd
        .current_dir(dir)
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
            "out",
            "--no-report",
            // The code of conduct's own thresholds break the national framework (AT004); the
            // test is of the count, not of the thresholds.
            "--allow-errors",
        ])
        .args(extra)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let mut csv = csv::Reader::from_path(dir.join("out/actions.csv")).expect("actions.csv");
    let headers = csv.headers().expect("headers").clone();
    let col = |name: &str| headers.iter().position(|h| h == name).expect(name);
    let (id, date, action) = (col("id"), col("date"), col("action"));
    csv.records()
        .map(|r| {
            let r = r.expect("row");
            let get = |c: usize| r.get(c).unwrap_or("").to_string();
            (get(id), get(date), get(action))
        })
        .collect()
}

#[test]
fn a_notice_done_before_the_register_counts_towards_the_third() {
    let dir = tempfile::tempdir().expect("temp dir");
    let dir = dir.path();
    write(dir, "school.policy", POLICY);
    write(dir, "school.calendar", CALENDAR);
    write(
        dir,
        "pupils.csv",
        "pupil_id,date_of_birth,year_group\nP1,2015-05-01,4\n",
    );
    // Thursday 5 September: a day of G. 0 notices before it: a notice.
    write(
        dir,
        "register.csv",
        "pupil_id,date,session,mark\nP1,2024-09-05,AM,G\nP1,2024-09-05,PM,G\n",
    );
    let first = run(dir, &[]);
    assert_eq!(first.len(), 1, "{first:?}");
    assert_eq!(
        (first[0].1.as_str(), first[0].2.as_str()),
        ("2024-09-05", "consider:penalty_notice")
    );
    let mut done = Command::cargo_bin("attend").expect("binary");
    done.current_dir(dir)
        .args([
            "done",
            &first[0].0,
            "--on",
            "2024-09-06",
            "--ledger",
            "attend-ledger.sqlite",
        ])
        .assert()
        .success();
    // The next register starts Monday 9 September: G on Monday and Tuesday.
    write(
        dir,
        "register.csv",
        "pupil_id,date,session,mark\nP1,2024-09-09,AM,G\nP1,2024-09-09,PM,G\nP1,2024-09-10,AM,G\nP1,2024-09-10,PM,G\n",
    );
    // With the ledger: Mon 9 Sep, 1 notice (done 6 Sep) < 2: a notice; Tue 10 Sep, 1 + 1 (Mon)
    // = 2 >= 2: prosecution.
    let with: Vec<(String, String)> = run(dir, &[]).into_iter().map(|(_, d, a)| (d, a)).collect();
    assert_eq!(
        with,
        [
            (
                "2024-09-09".to_string(),
                "consider:penalty_notice".to_string()
            ),
            ("2024-09-10".to_string(), "consider:prosecution".to_string()),
        ]
    );
    // Without it the run knows only its own: Mon 0 < 2, Tue 1 < 2: two notices.
    let without: Vec<(String, String)> = run(dir, &["--no-ledger"])
        .into_iter()
        .map(|(_, d, a)| (d, a))
        .collect();
    assert_eq!(
        without,
        [
            (
                "2024-09-09".to_string(),
                "consider:penalty_notice".to_string()
            ),
            (
                "2024-09-10".to_string(),
                "consider:penalty_notice".to_string()
            ),
        ]
    );
}
