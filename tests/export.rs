//! `attend export`: a register in any format written as the long CSV and pupils CSV a compiled
//! SQL script loads. What it writes, run by `attend run`, gives the outputs the original gives
//! (the bundled example, a SIMS export with its local codes, a CTF); UPNs stay pseudonymised
//! and names never leave the CTF; a register with an error writes nothing.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn attend(dir: &Path, args: &[&str]) -> Out {
    let out = Command::new(assert_cmd::cargo::cargo_bin!("attend"))
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("ATTEND_PSEUDONYM_KEY", "export-test")
        .args(args)
        .output()
        .expect("the binary runs");
    let out = Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    out
}

fn read(path: impl AsRef<Path>) -> String {
    std::fs::read_to_string(path.as_ref())
        .unwrap_or_else(|e| panic!("{}: {e}", path.as_ref().display()))
}

/// `attend run POLICY` on a register: (actions.csv, summary.csv).
fn outputs(dir: &Path, policy: &str, calendar: &str, register: &[&str]) -> (String, String) {
    let out = dir.join(format!(
        "out-{}",
        register.join("-").replace(['/', '.'], "_")
    ));
    let out_text = out.to_string_lossy().into_owned();
    let mut args = vec![
        "run",
        policy,
        "--calendar",
        calendar,
        "--allow-errors",
        "--no-ledger",
        "--no-report",
        "-q",
        "--out",
        &out_text,
    ];
    args.extend_from_slice(register);
    let run = attend(dir, &args);
    assert_eq!(run.code, 0, "{register:?}: {}", run.stderr);
    (read(out.join("actions.csv")), read(out.join("summary.csv")))
}

#[test]
fn the_bundled_example_exported_gives_the_same_outputs() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let d = dir.path();
    let policy = root().join("examples/school.policy");
    let policy = policy.to_string_lossy();
    let calendar = root().join("policies/calendars/camden-2024-25.calendar");
    let calendar = calendar.to_string_lossy();
    let register = root().join("examples/data/register.csv");
    let pupils = root().join("examples/data/pupils.csv");
    let (register, pupils) = (register.to_string_lossy(), pupils.to_string_lossy());
    let export = attend(
        d,
        &[
            "export",
            "--register",
            &register,
            "--pupils",
            &pupils,
            "--calendar",
            &calendar,
            "--out",
            "warehouse",
        ],
    );
    assert_eq!(export.code, 0, "{}", export.stderr);
    assert!(
        export.stdout.starts_with("exported ") && export.stdout.contains("warehouse/register.csv"),
        "{}",
        export.stdout
    );
    let written = read(d.join("warehouse/register.csv"));
    assert!(
        written.starts_with("pupil_id,date,session,mark\n"),
        "{written}"
    );
    // As many rows as the example has marks (its rows are one per session).
    let original = read(register.as_ref());
    assert_eq!(written.lines().count(), original.lines().count());
    let pupils_out = read(d.join("warehouse/pupils.csv"));
    assert!(
        pupils_out.starts_with(
            "pupil_id,date_of_birth,year_group,admission_date,leaving_date,sen,fsm,social_worker,looked_after,child_protection_plan\n"
        ),
        "{pupils_out}"
    );
    let expected = outputs(
        d,
        &policy,
        &calendar,
        &["--register", &register, "--pupils", &pupils],
    );
    let got = outputs(
        d,
        &policy,
        &calendar,
        &[
            "--register",
            "warehouse/register.csv",
            "--pupils",
            "warehouse/pupils.csv",
        ],
    );
    assert_eq!(got.0, expected.0, "actions.csv differs");
    assert_eq!(got.1, expected.1, "summary.csv differs");
}

const CALENDAR: &str = "calendar \"2024-25\" {\n  session am opens 08:55\n  session pm opens 13:15\n  \
                        term autumn 2024-09-02 .. 2024-09-06\n  inset 2024-09-04\n}\n";

#[test]
fn a_sims_export_with_local_codes_exported_gives_the_same_outputs() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let d = dir.path();
    std::fs::write(d.join("term.calendar"), CALENDAR).expect("write the calendar");
    let formats = root().join("tests/formats");
    let sims = formats.join("sims.xml");
    let codes = formats.join("sims-codes.csv");
    let pupils = formats.join("pupils.csv");
    let (sims, codes, pupils) = (
        sims.to_string_lossy(),
        codes.to_string_lossy(),
        pupils.to_string_lossy(),
    );
    let export = attend(
        d,
        &[
            "export",
            "--register",
            &sims,
            "--codes-map",
            &codes,
            "--pupils",
            &pupils,
            "--calendar",
            "term.calendar",
            "--out",
            "warehouse",
            "-q",
        ],
    );
    assert_eq!(export.code, 0, "{}", export.stderr);
    assert!(
        export.stdout.is_empty(),
        "-q prints nothing: {}",
        export.stdout
    );
    let written = read(d.join("warehouse/register.csv"));
    // The local code 7 is written as the national code it stands for.
    assert!(written.contains(",I\n"), "{written}");
    assert!(!written.contains(",7\n"), "{written}");
    let national = root().join("policies/national.policy");
    let national = national.to_string_lossy();
    let expected = outputs(
        d,
        &national,
        "term.calendar",
        &[
            "--register",
            &sims,
            "--codes-map",
            &codes,
            "--pupils",
            &pupils,
        ],
    );
    let got = outputs(
        d,
        &national,
        "term.calendar",
        &[
            "--register",
            "warehouse/register.csv",
            "--pupils",
            "warehouse/pupils.csv",
        ],
    );
    assert_eq!(got, expected);
}

/// One pupil's CTF: a UPN, names, a date of birth, a year group and a week of marks.
const CTF: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<CTfile>
  <Header>
    <DocumentName>Common Transfer File</DocumentName>
    <CTFversion>25.0</CTFversion>
    <DateTime>2024-09-30T10:15:00</DateTime>
    <DocumentQualifier>partial</DocumentQualifier>
    <SourceSchool><LEA>801</LEA><Estab>2000</Estab><AcademicYear>2024</AcademicYear></SourceSchool>
    <DestSchool><LEA>801</LEA><Estab>4000</Estab></DestSchool>
  </Header>
  <CTFpupilData>
    <Pupil>
      <UPN>B801200005001</UPN>
      <Surname>Surnameone</Surname><Forename>Forenameone</Forename>
      <DOB>2015-05-01</DOB>
      <BasicDetails><NCyearActual>4</NCyearActual></BasicDetails>
      <Attendance>
        <YearData>
          <Year>2024</Year>
          <SessionsPossible>8</SessionsPossible>
          <SessionsAuthorised>1</SessionsAuthorised>
          <SessionsAttended>5</SessionsAttended>
          <SessionsUnauthorised>2</SessionsUnauthorised>
          <AttendSessions>
            <AttendanceStartDate>2024-09-02</AttendanceStartDate>
            <AttendanceMarks>/\/\##/INO</AttendanceMarks>
          </AttendSessions>
        </YearData>
      </Attendance>
    </Pupil>
  </CTFpupilData>
</CTfile>
"#;

#[test]
fn a_ctf_exported_keeps_upns_pseudonymised_and_names_out() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let d = dir.path();
    std::fs::write(d.join("term.calendar"), CALENDAR).expect("write the calendar");
    std::fs::write(d.join("pupil.xml"), CTF).expect("write the CTF");
    let export = attend(
        d,
        &[
            "export",
            "--register",
            "pupil.xml",
            "--calendar",
            "term.calendar",
            "--out",
            "warehouse",
        ],
    );
    assert_eq!(export.code, 0, "{}", export.stderr);
    let register = read(d.join("warehouse/register.csv"));
    let pupils = read(d.join("warehouse/pupils.csv"));
    for text in [&register, &pupils] {
        for secret in ["B801200005001", "Surnameone", "Forenameone"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
    }
    // The CTF's own date of birth and year group; the pseudonym `attend run` gives.
    let row = pupils.lines().nth(1).unwrap_or_default();
    assert!(
        row.starts_with('U') && row.contains(",2015-05-01,4,"),
        "{pupils}"
    );
    // 2024-09-04 is an INSET day (`#`): no row. Four school days, two sessions each.
    assert_eq!(register.lines().count(), 1 + 8, "{register}");
    assert!(!register.contains("2024-09-04"), "{register}");
    let national = root().join("policies/national.policy");
    let national = national.to_string_lossy();
    let expected = outputs(d, &national, "term.calendar", &["--register", "pupil.xml"]);
    let got = outputs(
        d,
        &national,
        "term.calendar",
        &[
            "--register",
            "warehouse/register.csv",
            "--pupils",
            "warehouse/pupils.csv",
        ],
    );
    assert_eq!(got, expected);
}

#[test]
fn a_register_with_an_error_writes_nothing() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let d = dir.path();
    std::fs::write(d.join("term.calendar"), CALENDAR).expect("write the calendar");
    std::fs::write(
        d.join("register.csv"),
        "pupil_id,date,session,mark\nP1,2024-09-02,AM,/\nP1,2024-09-02,PM,Q9\n",
    )
    .expect("write the register");
    let export = attend(
        d,
        &[
            "export",
            "--register",
            "register.csv",
            "--calendar",
            "term.calendar",
            "--out",
            "warehouse",
        ],
    );
    assert_eq!(export.code, 2, "{}", export.stderr);
    assert!(
        export.stderr.contains("register.csv:3:") && export.stderr.contains("nothing was written"),
        "{}",
        export.stderr
    );
    assert!(!d.join("warehouse/register.csv").exists());
    assert!(!d.join("warehouse/pupils.csv").exists());
    // Neither a calendar nor a policy: clap says which is needed.
    let bare = attend(d, &["export", "--register", "register.csv", "--out", "w"]);
    assert_eq!(bare.code, 2, "{}", bare.stderr);
    assert!(bare.stderr.contains("--calendar"), "{}", bare.stderr);
}
