//! `attend run` as a user runs it (issue 5): the day's list (`--on`), a pupil's timeline
//! (`--explain`), every register format giving the same outputs as the long CSV (compact
//! marks in both forms, CTF XML, gzip), a school's codes map, atomic outputs and
//! `--keep-going`. Each test runs the real binary in a temporary directory, so file names in
//! messages are the short names the test gives.

use std::io::Write;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn policy() -> PathBuf {
    root().join("policies/kings-cross-academy.policy")
}

fn calendar() -> PathBuf {
    root().join("policies/calendars/camden-2024-25.calendar")
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs `attend run POLICY --calendar CAMDEN --allow-errors args...` in `dir`. The bundled
/// example is the school's policy as written, errors and all (`attend check` lists them);
/// these tests are about the register and the outputs, so it is run as written.
fn run_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    run_policy_in(dir, &policy(), &[&["--allow-errors"], args].concat(), env)
}

/// Runs `attend run POLICY --calendar CAMDEN args...` in `dir`.
fn run_policy_in(dir: &Path, policy: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin!("attend"));
    cmd.current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("ATTEND_PSEUDONYM_KEY")
        // The per-user pseudonym key is made here, not in the real home directory.
        .env("XDG_CONFIG_HOME", dir.join(".config"))
        .env_remove("ATTEND_TIMINGS")
        .arg("run")
        .arg(policy)
        .arg("--calendar")
        .arg(calendar())
        .args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("the binary runs");
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert_ne!(run.code, 101, "the binary panicked:\n{}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    run
}

/// Stderr without the note about the policy's own findings (that count belongs to
/// `attend check`, not to these tests).
fn errors(run: &Run) -> String {
    run.stderr
        .lines()
        .filter(|l| !l.starts_with("note: `attend check "))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// The bundled example, run from the crate root.
fn example(extra: &[&str]) -> Run {
    let mut args = vec![
        "--register",
        "examples/data/register.csv",
        "--pupils",
        "examples/data/pupils.csv",
    ];
    args.extend_from_slice(extra);
    run_in(root(), &args, &[])
}

fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary directory")
}

fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) {
    std::fs::write(dir.join(name), bytes).expect("write a fixture");
}

fn read(path: impl AsRef<Path>) -> String {
    std::fs::read_to_string(path.as_ref())
        .unwrap_or_else(|e| panic!("read {}: {e}", path.as_ref().display()))
}

fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

// ---------------------------------------------------------------------------------------
// 1. `--on DATE`: the morning list

#[test]
fn on_a_school_day_lists_the_actions_due_grouped_by_who_is_responsible() {
    // 2024-10-09 has 18 actions in the example's actions.csv, for two pupils and three
    // responsible people.
    let run = example(&["--on", "2024-10-09"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let full = temp_dir();
    let out = full.path().join("out");
    let all = example(&["--out", out.to_str().unwrap()]);
    assert_eq!(all.code, 0, "{}", all.stderr);
    let due = read(out.join("actions.csv"))
        .lines()
        .filter(|l| l.split(',').nth(1) == Some("2024-10-09"))
        .count();
    assert!(
        run.stdout
            .starts_with(&format!("Wednesday 2024-10-09: {due} actions due")),
        "{}",
        run.stdout
    );
    insta::assert_snapshot!("on_2024_10_09", run.stdout);
}

#[test]
fn on_a_day_that_is_not_a_school_day_says_why_and_writes_nothing() {
    let dir = temp_dir();
    let out = dir.path().join("out");
    let mut text = String::new();
    for date in [
        "2024-10-12",
        "2024-10-28",
        "2024-08-01",
        "2025-06-02",
        "2024-02-30",
    ] {
        let run = example(&["--on", date, "--out", out.to_str().unwrap()]);
        assert_eq!(run.code, 2, "--on {date}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "--on {date}: {}", run.stdout);
        text.push_str(&format!("$ --on {date}\n{}", errors(&run)));
    }
    // A mistyped date is found before anything is written.
    assert!(!out.exists(), "{:?}", listing(&out));
    insta::assert_snapshot!("on_not_a_school_day", text);
}

// ---------------------------------------------------------------------------------------
// 2. `--explain PUPIL`

#[test]
fn explain_prints_the_pupils_timeline() {
    let run = example(&["--explain", "P0015"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.starts_with("timeline of pupil P0015\n"));
    insta::assert_snapshot!("explain_p0015", run.stdout);
}

#[test]
fn explain_an_unknown_pupil_is_an_error_with_did_you_mean() {
    let run = example(&["--explain", "P0O15"]);
    assert_eq!(run.code, 2);
    assert!(run.stdout.is_empty());
    let far = example(&["--explain", "nobody"]);
    assert_eq!(far.code, 2);
    insta::assert_snapshot!(
        "explain_unknown_pupil",
        format!("{}---\n{}", errors(&run), errors(&far))
    );
}

// ---------------------------------------------------------------------------------------
// One small source of truth: three pupils, two school weeks (Mon 2024-09-16 to Fri
// 2024-09-27, weekend 21–22 between), written in every register format.

/// Ids are UPN-shaped so that a CTF read with `--keep-upn` gives the same pupils.
const UPNS: [&str; 3] = ["A801200005001", "B801200005002", "C801200005003"];
const DOBS: [&str; 3] = ["2014-05-01", "2016-01-20", "2018-11-30"];
const YEARS: [&str; 3] = ["5", "3", "1"];

/// Per pupil, per calendar day from 2024-09-16 (12 days), AM and PM marks; weekends `#`.
fn marks() -> Vec<Vec<[&'static str; 2]>> {
    let p = ["/", "\\"];
    let w = ["#", "#"];
    vec![
        // Always present (one late).
        vec![p, p, ["L", "\\"], p, p, w, w, p, p, p, p, p],
        // Unauthorised every session: the penalty threshold (10 sessions) on the fifth day,
        // and ten consecutive days of absence on the last.
        vec![
            ["N", "N"],
            ["O", "O"],
            ["G", "G"],
            ["N", "U"],
            ["O", "N"],
            w,
            w,
            ["N", "N"],
            ["G", "G"],
            ["O", "O"],
            ["N", "N"],
            ["N", "N"],
        ],
        // A mixture of authorised, approved and not-counted sessions.
        vec![
            ["I", "I"],
            ["M", "\\"],
            ["C1", "C1"],
            ["B", "B"],
            ["/", "Y1"],
            w,
            w,
            ["E", "E"],
            ["U", "\\"],
            ["/", "R"],
            ["X", "X"],
            ["/", "\\"],
        ],
    ]
}

fn dates() -> Vec<String> {
    (16..=27).map(|d| format!("2024-09-{d}")).collect()
}

fn pupils_csv() -> String {
    let mut s = String::from("pupil_id,date_of_birth,year_group,admission_date\n");
    for i in 0..3 {
        s.push_str(&format!(
            "{},{},{},2024-09-04\n",
            UPNS[i], DOBS[i], YEARS[i]
        ));
    }
    s
}

/// Long CSV, rows in a scrambled order (row order must not matter), marks passed through
/// `local` (for the codes-map test).
fn long_csv(local: impl Fn(&str) -> String) -> String {
    let mut rows = Vec::new();
    for (i, days) in marks().iter().enumerate() {
        for (d, pair) in days.iter().enumerate() {
            for (s, mark) in pair.iter().enumerate() {
                if *mark == "#" {
                    continue;
                }
                let session = ["AM", "PM"][s];
                rows.push(format!(
                    "{},{},{session},{}",
                    UPNS[i],
                    dates()[d],
                    local(mark)
                ));
            }
        }
    }
    // Day-major, PM before AM, last pupil first.
    rows.sort_by(|a, b| {
        let key = |r: &str| {
            let f: Vec<&str> = r.split(',').collect();
            (
                f[1].to_string(),
                std::cmp::Reverse(f[2].to_string()),
                std::cmp::Reverse(f[0].to_string()),
            )
        };
        key(a).cmp(&key(b))
    });
    format!("pupil_id,date,session,mark\n{}\n", rows.join("\n"))
}

fn marks_string(days: &[[&str; 2]], sep: &str) -> String {
    days.iter()
        .flat_map(|p| p.iter())
        .copied()
        .collect::<Vec<_>>()
        .join(sep)
}

/// Compact marks CSV with the tokens joined by `sep` (`","` or `""`).
fn compact_csv(sep: &str) -> String {
    let mut s = String::from("pupil_id,start_date,marks\n");
    for (i, days) in marks().iter().enumerate() {
        s.push_str(&format!(
            "{},2024-09-16,\"{}\"\n",
            UPNS[i],
            marks_string(days, sep)
        ));
    }
    s
}

/// The sessions a pupil's marks give: (possible, attended, authorised, unauthorised).
fn totals(days: &[[&str; 2]]) -> (u32, u32, u32, u32) {
    let mut t = (0, 0, 0, 0);
    for mark in days.iter().flat_map(|p| p.iter()) {
        let class = match *mark {
            "/" | "\\" | "L" | "B" => 1,
            "I" | "M" | "C1" | "E" | "R" => 2,
            "G" | "N" | "O" | "U" => 3,
            _ => continue, // #, X, Y1: not possible
        };
        t.0 += 1;
        match class {
            1 => t.1 += 1,
            2 => t.2 += 1,
            _ => t.3 += 1,
        }
    }
    t
}

/// A CTF with the three pupils: the first and third with CTF 24 comma-separated marks, the
/// second with a legacy unseparated string. Names are in the file, as in a real CTF, and
/// must never reach the outputs.
fn ctf_xml() -> String {
    let mut pupils = String::new();
    for (i, days) in marks().iter().enumerate() {
        let sep = if i == 1 { "" } else { "," };
        let (possible, attended, authorised, unauthorised) = totals(days);
        pupils.push_str(&format!(
            "    <Pupil>
      <UPN>{upn}</UPN>
      <Surname>Surname{i}</Surname><Forename>Forename{i}</Forename>
      <DOB>{dob}</DOB>
      <Sex>F</Sex>
      <BasicDetails><NCyearActual>{year}</NCyearActual></BasicDetails>
      <Attendance>
        <YearData>
          <Year>2024</Year><LEA>801</LEA><Estab>2000</Estab><SchoolName>Example Primary</SchoolName>
          <SessionsPossible>{possible}</SessionsPossible>
          <SessionsAuthorised>{authorised}</SessionsAuthorised>
          <SessionsAttended>{attended}</SessionsAttended>
          <SessionsUnauthorised>{unauthorised}</SessionsUnauthorised>
          <AttendSessions>
            <AttendanceStartDate>2024-09-16</AttendanceStartDate>
            <AttendanceMarks>{marks}</AttendanceMarks>
          </AttendSessions>
        </YearData>
      </Attendance>
    </Pupil>
",
            upn = UPNS[i],
            dob = DOBS[i],
            year = YEARS[i],
            marks = marks_string(days, sep),
        ));
    }
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<CTfile>
  <Header>
    <DocumentName>Common Transfer File</DocumentName>
    <CTFversion>25.0</CTFversion>
    <DateTime>2024-09-30T10:15:00</DateTime>
    <DocumentQualifier>partial</DocumentQualifier>
    <SupplierID>Example MIS</SupplierID>
    <SourceSchool><LEA>801</LEA><Estab>2000</Estab><URN>100000</URN>
      <SchoolName>Example Primary</SchoolName><AcademicYear>2024</AcademicYear></SourceSchool>
    <DestSchool><LEA>801</LEA><Estab>4000</Estab></DestSchool>
  </Header>
  <CTFpupilData>
{pupils}  </CTFpupilData>
</CTfile>
"#
    )
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(bytes).expect("gzip in memory");
    gz.finish().expect("gzip in memory")
}

/// Outputs of one run: (actions.csv, summary.csv).
fn outputs(dir: &Path, register: &str, extra: &[&str]) -> (String, String) {
    outputs_env(dir, register, extra, &[])
}

fn outputs_env(
    dir: &Path,
    register: &str,
    extra: &[&str],
    env: &[(&str, &str)],
) -> (String, String) {
    let out = format!("out-{}", register.replace(['.', '/'], "_"));
    // Without a ledger: runs of one register in different formats must give the same files
    // (with one, the second run would find the first's actions unchanged).
    let mut args = vec!["--register", register, "--out", &out, "--no-ledger"];
    args.extend_from_slice(extra);
    let run = run_in(dir, &args, env);
    assert_eq!(run.code, 0, "{register}: {}", run.stderr);
    assert!(
        !errors(&run)
            .lines()
            .any(|l| l.contains("warning") && !l.contains("letters were written without")),
        "{register}: {}",
        run.stderr
    );
    let out = dir.join(out);
    (read(out.join("actions.csv")), read(out.join("summary.csv")))
}

fn fixture_dir() -> tempfile::TempDir {
    let dir = temp_dir();
    write(dir.path(), "pupils.csv", pupils_csv());
    write(dir.path(), "register.csv", long_csv(str::to_string));
    dir
}

// ---------------------------------------------------------------------------------------
// 3. Every format gives the same outputs

#[test]
fn the_source_of_truth_gives_actions_worth_comparing() {
    let dir = fixture_dir();
    let (actions, summary) = outputs(dir.path(), "register.csv", &["--pupils", "pupils.csv"]);
    // Pupil 2: 10 unauthorised sessions by Friday 2024-09-20, ten absent days by 2024-09-27.
    assert!(
        actions.contains("2024-09-20,B801200005002,penalty-notice-threshold,"),
        "{actions}"
    );
    assert!(
        actions.contains(
            "2024-09-27,B801200005002,continuous unauthorised absence,notify:local_authority"
        ),
        "{actions}"
    );
    // Arithmetic, worked by hand (summary.csv):
    //   A…001: 20 possible, 20 present (L is present): 100.0%.
    //   B…002: 20 possible, 20 unauthorised (G N O U): 0.0%, persistent and severe.
    //   C…003: possible 20 − (X X Y1) = 17; present \ B B / \ / / \ = 8 (B is an approved
    //          activity); authorised I I M C1 C1 E E R = 8; unauthorised U = 1;
    //          8/17 = 47.1%, persistent and severe.
    // And in actions.csv, C…003 on 2024-09-24: 13 possible to date (Y1 on the 20th is not),
    // 5 present.
    insta::assert_snapshot!("truth_summary", summary);
    insta::assert_snapshot!("truth_actions", actions);
}

#[test]
fn compact_marks_ctf_and_gzip_give_the_same_outputs_as_the_long_csv() {
    let dir = fixture_dir();
    let d = dir.path();
    let pupils = ["--pupils", "pupils.csv"];
    let expected = outputs(d, "register.csv", &pupils);

    write(d, "marks-comma.csv", compact_csv(","));
    write(d, "marks-bare.csv", compact_csv(""));
    write(d, "marks-weeks.csv", compact_csv("|"));
    write(d, "register.xml", ctf_xml());
    write(
        d,
        "register.csv.gz",
        gzip(long_csv(str::to_string).as_bytes()),
    );
    write(d, "marks.csv.gz", gzip(compact_csv(",").as_bytes()));
    // gzip is recognised by content, not by name.
    write(
        d,
        "register-gz.csv",
        gzip(long_csv(str::to_string).as_bytes()),
    );
    write(d, "register.xml.gz", gzip(ctf_xml().as_bytes()));

    for (register, extra) in [
        ("marks-comma.csv", &[][..]),
        ("marks-bare.csv", &[]),
        ("marks-weeks.csv", &[]),
        ("register.csv.gz", &[]),
        ("marks.csv.gz", &[]),
        ("register-gz.csv", &[]),
        ("register.xml", &["--keep-upn"]),
        ("register.xml.gz", &["--keep-upn"]),
    ] {
        let mut args = pupils.to_vec();
        args.extend_from_slice(extra);
        let got = outputs(d, register, &args);
        assert_eq!(got.0, expected.0, "{register}: actions.csv differs");
        assert_eq!(got.1, expected.1, "{register}: summary.csv differs");
    }
}

#[test]
fn ctf_upns_are_pseudonymised_unless_kept() {
    let dir = temp_dir();
    let d = dir.path();
    write(d, "register.xml", ctf_xml());
    // Without a pupils file, the CTF's own DOB and year group describe the pupils.
    let (actions, summary) = outputs(d, "register.xml", &[]);
    let ids: Vec<&str> = summary
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap_or(""))
        .collect();
    assert_eq!(ids.len(), 3, "{summary}");
    for id in &ids {
        assert!(
            id.len() == 17 && id.starts_with('U') && id[1..].bytes().all(|b| b.is_ascii_hexdigit()),
            "not a pseudonym: {id}"
        );
    }
    for upn in UPNS {
        for (what, text) in [("summary", &summary), ("actions", &actions)] {
            assert!(!text.contains(upn), "{what} holds the UPN {upn}");
            assert!(
                !text.contains(&upn[..8]),
                "{what} holds part of the UPN {upn}"
            );
        }
    }
    for name in ["Surname", "Forename"] {
        assert!(!actions.contains(name) && !summary.contains(name));
    }
    // Stable for the same key, different for another.
    let again = outputs(d, "register.xml", &[]);
    assert_eq!(again.1, summary);
    let keyed = outputs_env(
        d,
        "register.xml",
        &[],
        &[("ATTEND_PSEUDONYM_KEY", "secret")],
    );
    for id in &ids {
        assert!(!keyed.1.contains(id), "the key does not change {id}");
    }
    // The same pupils, in the same order of their ids, with the same numbers.
    let numbers = |s: &str| -> Vec<String> {
        let mut rows: Vec<String> = s
            .lines()
            .skip(1)
            .map(|l| l.split_once(',').map_or("", |x| x.1).to_string())
            .collect();
        rows.sort();
        rows
    };
    let (_, kept) = outputs(d, "register.xml", &["--keep-upn"]);
    assert_eq!(numbers(&kept), numbers(&summary));
    for upn in UPNS {
        assert!(kept.contains(upn), "--keep-upn drops {upn}: {kept}");
    }
}

// ---------------------------------------------------------------------------------------
// 4. A school's codes map

fn local(mark: &str) -> String {
    match mark {
        "I" => "7",
        "N" => "=",
        "U" => "UA",
        "C1" => "C/1",
        "Y1" => "Y01",
        other => other,
    }
    .to_string()
}

const CODES_MAP: &str = "local,national\n7,I\n=,N\nUA,U\nC/1,C1\nY01,Y1\n";

#[test]
fn a_codes_map_translates_local_codes() {
    let dir = fixture_dir();
    let d = dir.path();
    write(d, "codes.csv", CODES_MAP);
    let local_register = long_csv(local);
    assert!(local_register.contains(",7\n") && local_register.contains(",C/1\n"));
    write(d, "local.csv", &local_register);
    let expected = outputs(d, "register.csv", &["--pupils", "pupils.csv"]);
    let got = outputs(
        d,
        "local.csv",
        &["--pupils", "pupils.csv", "--codes-map", "codes.csv"],
    );
    assert_eq!(got, expected);
    // Without the map, the local codes are unknown.
    let run = run_in(
        d,
        &[
            "--register",
            "local.csv",
            "--pupils",
            "pupils.csv",
            "--out",
            "x",
        ],
        &[],
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("`7`") || run.stderr.contains("`=`"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_unmapped_local_code_names_file_line_and_column_with_did_you_mean() {
    let dir = fixture_dir();
    let d = dir.path();
    write(d, "codes.csv", CODES_MAP);
    let register = long_csv(local);
    let mut lines: Vec<String> = register.lines().map(str::to_string).collect();
    // Line 6 of the file: a slip of the keyboard for `Y01`.
    let fields: Vec<&str> = lines[5].split(',').collect();
    lines[5] = format!("{},{},{},Y02", fields[0], fields[1], fields[2]);
    write(d, "local.csv", lines.join("\n") + "\n");
    let run = run_in(
        d,
        &[
            "--register",
            "local.csv",
            "--pupils",
            "pupils.csv",
            "--codes-map",
            "codes.csv",
            "--out",
            "out",
        ],
        &[],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("local.csv:6:"), "{}", run.stderr);
    assert!(!d.join("out").join("actions.csv").exists());
    insta::assert_snapshot!("unmapped_local_code", errors(&run));
}

// ---------------------------------------------------------------------------------------
// 5. Atomic outputs

#[test]
fn a_failed_run_writes_nothing_and_keeps_earlier_outputs() {
    let dir = fixture_dir();
    let d = dir.path();
    let bad = long_csv(str::to_string).replacen(",N\n", ",n\n", 1);
    write(d, "bad.csv", &bad);

    // A fresh directory stays empty: no outputs, no temporary files.
    std::fs::create_dir(d.join("fresh")).unwrap();
    let run = run_in(
        d,
        &[
            "--register",
            "bad.csv",
            "--pupils",
            "pupils.csv",
            "--out",
            "fresh",
        ],
        &[],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("nothing was written"), "{}", run.stderr);
    assert_eq!(listing(&d.join("fresh")), Vec::<String>::new());
    // A directory that does not exist yet is not created.
    let run = run_in(
        d,
        &[
            "--register",
            "bad.csv",
            "--pupils",
            "pupils.csv",
            "--out",
            "never",
        ],
        &[],
    );
    assert_eq!(run.code, 2);
    assert!(!d.join("never").exists());

    // Outputs of an earlier good run are left exactly as they were.
    let good = run_in(
        d,
        &[
            "--register",
            "register.csv",
            "--pupils",
            "pupils.csv",
            "--out",
            "kept",
        ],
        &[],
    );
    assert_eq!(good.code, 0, "{}", good.stderr);
    let before = (
        read(d.join("kept/actions.csv")),
        read(d.join("kept/summary.csv")),
    );
    let run = run_in(
        d,
        &[
            "--register",
            "bad.csv",
            "--pupils",
            "pupils.csv",
            "--out",
            "kept",
        ],
        &[],
    );
    assert_eq!(run.code, 2);
    // The good run's letters (`letters/`) and report (`report.html`) are kept as well.
    assert_eq!(
        listing(&d.join("kept")),
        [
            "actions.csv",
            "letters",
            "report.html",
            "summary.csv",
            "withdrawn.csv"
        ]
    );
    assert_eq!(
        (
            read(d.join("kept/actions.csv")),
            read(d.join("kept/summary.csv"))
        ),
        before
    );
}

#[test]
fn a_good_run_writes_both_files_sorted_with_their_headers() {
    let dir = temp_dir();
    let out = dir.path().join("out");
    let run = example(&["--out", out.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("wrote "), "{}", run.stdout);
    // With the policy's letters rendered under `letters/` and the report.
    assert_eq!(
        listing(&out),
        [
            "actions.csv",
            "letters",
            "report.html",
            "summary.csv",
            "withdrawn.csv"
        ]
    );

    let actions = read(out.join("actions.csv"));
    let mut lines = actions.lines();
    assert_eq!(
        lines.next(),
        Some(
            "id,date,pupil_id,rule,action,stage,responsible,evidence,note,responsible_name,ledger,done"
        )
    );
    // Each action keeps the policy's qualifying note and the responsible role's name: the
    // 94% - 95% band's letter is only for unauthorised absence, by the Attendance Officer.
    assert!(
        actions.lines().any(|l| l.contains(
            ",row_94_95,letter:concern,") && l.contains(
            ",\"if unauthorised: attendance level, concerns / expectations and possible next actions\",Attendance Officer,"
        )),
        "{actions}"
    );
    let keys: Vec<(&str, &str)> = lines
        .map(|l| {
            let mut f = l.splitn(4, ',').skip(1);
            (f.next().unwrap(), f.next().unwrap_or(""))
        })
        .collect();
    assert!(keys.len() > 100, "{} actions", keys.len());
    assert!(
        keys.windows(2).all(|w| w[0] <= w[1]),
        "actions.csv is not sorted by date then pupil"
    );

    let summary = read(out.join("summary.csv"));
    let mut lines = summary.lines();
    assert_eq!(
        lines.next(),
        Some(
            "pupil_id,possible,present,authorised,unauthorised,attendance,band,stage,persistent,severe"
        )
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 30);
    for row in &rows {
        assert_eq!(row.len(), 10, "{row:?}");
        assert!(matches!(row[8], "true" | "false") && matches!(row[9], "true" | "false"));
        let n = |i: usize| row[i].parse::<u32>().unwrap();
        assert_eq!(n(1), n(2) + n(3) + n(4), "{row:?}");
    }
    assert!(summary.ends_with('\n') && actions.ends_with('\n'));
}

// ---------------------------------------------------------------------------------------
// 6. `--keep-going`

#[test]
fn keep_going_reports_several_bad_rows_up_to_max_errors() {
    let dir = fixture_dir();
    let d = dir.path();
    let mut lines: Vec<String> = long_csv(str::to_string)
        .lines()
        .map(str::to_string)
        .collect();
    let set_mark = |line: &mut String, mark: &str| {
        let keep: Vec<&str> = line.split(',').take(3).collect();
        *line = format!("{},{mark}", keep.join(","));
    };
    set_mark(&mut lines[2], "n"); // line 3: lower case
    set_mark(&mut lines[9], "Q9"); // line 10: no such code
    lines[14] = lines[14].replace("2024-09-", "2024-13-"); // line 15: bad date
    lines[19] = lines[19].replace(",AM,", ",XM,").replace(",PM,", ",XM,"); // line 20
    write(d, "bad.csv", lines.join("\n") + "\n");
    let base = [
        "--register",
        "bad.csv",
        "--pupils",
        "pupils.csv",
        "--out",
        "out",
    ];

    let first = run_in(d, &base, &[]);
    let mut all = base.to_vec();
    all.extend(["--keep-going"]);
    let every = run_in(d, &all, &[]);
    let mut limited = all.clone();
    limited.extend(["--max-errors", "2"]);
    let two = run_in(d, &limited, &[]);
    for run in [&first, &every, &two] {
        assert_eq!(run.code, 2, "{}", run.stderr);
    }
    assert!(!d.join("out").join("actions.csv").exists());
    let located = |run: &Run| {
        ["bad.csv:3:", "bad.csv:10:", "bad.csv:15:", "bad.csv:20:"]
            .iter()
            .filter(|p| run.stderr.contains(*p))
            .count()
    };
    assert_eq!(located(&first), 1, "{}", first.stderr);
    assert_eq!(located(&every), 4, "{}", every.stderr);
    assert_eq!(located(&two), 2, "{}", two.stderr);
    insta::assert_snapshot!(
        "keep_going",
        format!(
            "$ (first problem only)\n{}\n$ --keep-going\n{}\n$ --keep-going --max-errors 2\n{}",
            errors(&first),
            errors(&every),
            errors(&two)
        )
    );
}

// ---------------------------------------------------------------------------------------
// 6. A register taken so far (issue 11): the morning list at 9.30

/// Mon 24 to Fri 28 March 2025 in full, and the morning of Mon 31 March only: P0001 is
/// absent with no reason (N) that morning, P0002 is in. `gap` leaves out P0002's afternoon
/// of Wed 26 March.
fn morning_register(gap: bool) -> String {
    let mut text = String::from("pupil_id,date,session,mark\n");
    for date in ["24", "25", "26", "27", "28"] {
        for pupil in ["P0001", "P0002"] {
            for session in ["AM", "PM"] {
                if gap && pupil == "P0002" && date == "26" && session == "PM" {
                    continue;
                }
                let mark = if session == "AM" { "/" } else { "\\" };
                text.push_str(&format!("{pupil},2025-03-{date},{session},{mark}\n"));
            }
        }
    }
    text.push_str("P0001,2025-03-31,AM,N\nP0002,2025-03-31,AM,/\n");
    text
}

#[test]
fn a_register_with_only_the_morning_taken_gives_the_day_1_call_and_no_afternoon_absence() {
    let dir = temp_dir();
    let d = dir.path();
    write(
        d,
        "pupils.csv",
        "pupil_id,date_of_birth,year_group\nP0001,2016-02-10,4\nP0002,2016-06-01,4\n",
    );
    write(d, "today.csv", morning_register(false));
    let today = [("ATTEND_TODAY", "2025-03-31")];
    let args = ["--register", "today.csv", "--pupils", "pupils.csv"];
    let run = run_in(d, &[&args[..], &["--on", "today"]].concat(), &today);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // For P0001, from the morning register: the day-1 call, and the school's Pupil
    // Attendance Service trigger (attendance 10/11 = 90.9% < 95%, and unauthorised 1 >= 10%
    // of absent 1). Nothing for P0002: the afternoon not yet taken is not an absence.
    assert!(
        run.stdout.starts_with("Monday 2025-03-31: 2 actions due\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("register taken to the morning of 2025-03-31: 2 sessions not yet taken"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("  P0001  contact \"first day contact"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("P0002"), "{}", run.stdout);
    // `yesterday` is the school day before today: Friday, with nothing due.
    let run = run_in(d, &[&args[..], &["--on", "yesterday"]].concat(), &today);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.starts_with("Friday 2025-03-28: 0 actions due\n"),
        "{}",
        run.stdout
    );
    // The summary counts the morning only: 5 days * 2 + 1 = 11 possible sessions each;
    // P0001 has 1 unauthorised (the N), P0002 none. `--allow-missing` changes nothing here,
    // because nothing before the last session taken is missing.
    for extra in [&[][..], &["--allow-missing"][..]] {
        let run = run_in(d, &[&args[..], &["--out", "out"], extra].concat(), &[]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let summary = read(d.join("out/summary.csv"));
        let rows: Vec<&str> = summary.lines().skip(1).collect();
        assert!(rows[0].starts_with("P0001,11,10,0,1,90.9,"), "{summary}");
        assert!(rows[1].starts_with("P0002,11,11,0,0,100.0,"), "{summary}");
        let actions = read(d.join("out/actions.csv"));
        let rows: Vec<&str> = actions.lines().skip(1).collect();
        assert_eq!(rows.len(), 2, "{actions}");
        assert!(rows.iter().all(|r| {
            r.split_once(',')
                .is_some_and(|(_, r)| r.starts_with("2025-03-31,P0001,"))
        }));
        assert!(
            rows.iter()
                .any(|r| r.contains(",absence escalation,contact,"))
        );
    }
}

#[test]
fn a_gap_before_the_last_session_taken_is_still_an_error() {
    let dir = temp_dir();
    let d = dir.path();
    write(
        d,
        "pupils.csv",
        "pupil_id,date_of_birth,year_group\nP0001,2016-02-10,4\nP0002,2016-06-01,4\n",
    );
    write(d, "gap.csv", morning_register(true));
    let run = run_in(
        d,
        &[
            "--register",
            "gap.csv",
            "--pupils",
            "pupils.csv",
            "--on",
            "2025-03-31",
        ],
        &[],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        errors(&run).starts_with(
            "error[register::missing_mark]: no mark for pupil `P0002` on 2025-03-26 PM"
        ),
        "{}",
        run.stderr
    );
}

// ---------------------------------------------------------------------------------------
// 7. No unlawful run by default (issue 11)

#[test]
fn a_policy_with_errors_is_refused_unless_allow_errors() {
    let dir = temp_dir();
    let d = dir.path();
    let args = [
        "--register",
        "examples/data/register.csv",
        "--pupils",
        "examples/data/pupils.csv",
        "--out",
    ];
    let out = d.join("out");
    let out = out.to_str().unwrap();
    let refused = run_policy_in(root(), &policy(), &[&args[..], &[out]].concat(), &[]);
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    // The errors are listed as `attend check` lists them, and counted as it counts them
    // (`attend check` on the seed: 10 errors, 10 warnings; and 9 info).
    for code in ["AT001", "AT009", "AT201", "AT202", "AT210"] {
        assert!(
            refused
                .stderr
                .contains(&format!("{code} (attend explain {code})")),
            "{}",
            refused.stderr
        );
    }
    assert!(
        refused
            .stderr
            .contains("reports 10 errors, 10 warnings and 9 info in this policy, so it is not run"),
        "{}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains("--allow-errors"),
        "{}",
        refused.stderr
    );
    assert!(!d.join("out").exists(), "nothing is written");
    // With --allow-errors it runs as written, and says so.
    let allowed = run_policy_in(
        root(),
        &policy(),
        &[&["--allow-errors"], &args[..], &[out]].concat(),
        &[],
    );
    assert_eq!(allowed.code, 0, "{}", allowed.stderr);
    assert!(
        allowed
            .stderr
            .contains("reports 10 errors, 10 warnings and 9 info in this policy; running it as written (`--allow-errors`)"),
        "{}",
        allowed.stderr
    );
    // The report says so at its top too: it may be read far from the terminal that ran it.
    let report = std::fs::read_to_string(d.join("out/report.html")).expect("report.html");
    let warning = report
        .lines()
        .find(|l| l.starts_with("<p class=\"warn\""))
        .unwrap_or_default();
    assert!(
        warning.contains(
            "was run as written with 10 errors that `attend check` reports (`--allow-errors`)"
        ) && warning.contains("[AT")
            && warning.contains(", and 9 more. These figures follow that policy, errors included."),
        "{warning}"
    );
    // The corrected policy has no errors: it runs, and the note counts its warnings.
    let corrected = root().join("policies/corrected/kings-cross-academy.policy");
    let run = run_policy_in(root(), &corrected, &[&args[..], &[out]].concat(), &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let note = run
        .stderr
        .lines()
        .find(|l| l.starts_with("note: `attend check "))
        .unwrap_or_default();
    assert!(
        note.contains(" reports 0 errors, ") && note.ends_with(" info in this policy"),
        "{}",
        run.stderr
    );
}
