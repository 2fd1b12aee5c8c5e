//! The MIS register formats (docs/data.md): SIMS `SessionAttendances` XML, Wonde and Arbor
//! JSON, mapped CSV and the grid report. For each: its fixture (tests/formats/, written from
//! the shapes in data-formats.md) reads to the same register as the long CSV of the same
//! marks; malformed input is answered with the file, line and a fix (one snapshot); and no
//! input makes a reader panic. The bundled example, converted into each format by
//! `convert` below, gives `attend run` byte-identical `actions.csv` and `summary.csv`.

use std::path::Path;

use attend::register::{self, CodesMap, ColumnMap, Format, Input, ReadOptions, Register};
use attend::source::Source;
use attend::table::SchoolDays;
use proptest::prelude::*;

const CALENDAR: &str = "calendar \"2024-25\" {\n  session am opens 08:55\n  session pm opens 13:15\n  \
                        term autumn 2024-09-02 .. 2024-09-06\n  inset 2024-09-04\n}\n";

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/formats")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn table() -> &'static (attend::table::DecisionTable, SchoolDays) {
    static TABLE: std::sync::OnceLock<(attend::table::DecisionTable, SchoolDays)> =
        std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let policy = Source::new("p.policy", "policy \"p\" { extends national }");
        let calendar = Source::new("c.calendar", CALENDAR);
        let analysis = attend::analyse(&policy, Some(&calendar));
        let Some(checked) = analysis.checked else {
            panic!("the test policy does not check");
        };
        let (table, _) = attend::table::compile(&checked);
        let days = SchoolDays::new(&table.calendar);
        (table, days)
    })
}

/// How a case reads its register: the file, the codes map, `--columns` and `--format`.
#[derive(Clone, Default)]
struct Case {
    codes: Option<&'static str>,
    columns: Option<&'static str>,
    format: Option<Format>,
    pupils: bool,
    keep_going: bool,
}

fn read(name: &str, bytes: Vec<u8>, case: &Case) -> Result<Register, String> {
    let (table, days) = table();
    let options = ReadOptions {
        keep_going: case.keep_going,
        max_errors: 5,
        pseudonym_key: Some("test".into()),
        format: case.format,
        columns: case
            .columns
            .map(|c| ColumnMap::parse(c).unwrap_or_default()),
        ..ReadOptions::default()
    };
    let pupils = case
        .pupils
        .then(|| register::read_pupils(&Input::bytes("pupils.csv", fixture("pupils.csv")), 5))
        .transpose()
        .map_err(|p| format!("{p:?}"))?;
    let codes = case
        .codes
        .map(|c| CodesMap::read(&Input::bytes(c, fixture(c))))
        .transpose()
        .map_err(|p| format!("{p:?}"))?;
    register::read_register(
        &Input::bytes(name, bytes),
        &table.calendar,
        days,
        pupils.as_ref(),
        codes.as_ref(),
        &options,
    )
    .map_err(|problems| problems.iter().map(ToString::to_string).collect())
}

/// A register given as text, read with no pupils file, codes map or options.
fn read_text(name: &str, text: &str) -> Result<Register, Vec<register::InputProblem>> {
    let (table, days) = table();
    register::read_register(
        &Input::bytes(name, text.as_bytes().to_vec()),
        &table.calendar,
        days,
        None,
        None,
        &ReadOptions::default(),
    )
}

fn same_register(a: &Register, b: &Register) {
    let ids = |r: &Register| r.ids().map(str::to_string).collect::<Vec<_>>();
    assert_eq!(ids(a), ids(b));
    assert_eq!((a.first, a.days, a.span), (b.first, b.days, b.span));
    assert_eq!(a.marks, b.marks);
}

/// Each fixture as its format is detected, and how it is read.
fn fixtures() -> Vec<(&'static str, Format, Case)> {
    let sims = Case {
        codes: Some("sims-codes.csv"),
        ..Case::default()
    };
    let wonde = Case {
        codes: Some("wonde-codes.json"),
        ..Case::default()
    };
    let times = Case {
        columns: Some("pupil_id=Pupil,date=When,session=Register,mark=Code"),
        ..Case::default()
    };
    vec![
        ("sims.xml", Format::Sims, sims),
        ("wonde.jsonl", Format::Json, wonde),
        ("arbor.json", Format::Json, Case::default()),
        ("mapped.csv", Format::Mapped, Case::default()),
        ("mapped-times.csv", Format::Mapped, times),
        ("grid.csv", Format::Grid, Case::default()),
    ]
}

#[test]
fn each_fixture_reads_as_the_long_csv_of_the_same_marks() {
    for pupils in [false, true] {
        let plain = Case {
            pupils,
            ..Case::default()
        };
        let long = read("register.csv", fixture("register.csv"), &plain);
        let long = long.unwrap_or_else(|e| panic!("register.csv: {e}"));
        // 2 pupils x 4 school days x 2 sessions.
        assert_eq!(long.sessions(), 16);
        for (name, format, case) in fixtures() {
            let bytes = fixture(name);
            let detected = Input::bytes(name, bytes.clone())
                .open_detect()
                .map(|(f, _)| f);
            if case.columns.is_none() {
                assert_eq!(detected.ok(), Some(format), "{name} is detected");
            }
            let case = Case { pupils, ..case };
            let got = read(name, bytes, &case).unwrap_or_else(|e| panic!("{name}: {e}"));
            same_register(&got, &long);
        }
    }
}

#[test]
fn format_overrides_detection() {
    // A grid report named as one, though detection would say so too.
    let case = Case {
        format: Some(Format::Grid),
        ..Case::default()
    };
    let long = read("register.csv", fixture("register.csv"), &Case::default());
    let grid = read("grid.csv", fixture("grid.csv"), &case);
    same_register(
        &grid.unwrap_or_else(|e| panic!("{e}")),
        &long.unwrap_or_else(|e| panic!("{e}")),
    );
    // The long CSV read as SIMS XML is not XML: the error says so.
    let case = Case {
        format: Some(Format::Sims),
        ..Case::default()
    };
    let wrong = read("register.csv", fixture("register.csv"), &case);
    assert!(wrong.is_err_and(|e| e.contains("register::bad_record")));
}

/// Replaces the first `from` in a fixture with `to`.
fn edit(name: &str, from: &str, to: &str) -> Vec<u8> {
    let text = String::from_utf8(fixture(name)).unwrap_or_default();
    assert!(text.contains(from), "{name} has no `{from}`");
    text.replacen(from, to, 1).into_bytes()
}

#[test]
fn malformed_input_names_the_file_the_line_and_a_fix() {
    let sims = Case {
        codes: Some("sims-codes.csv"),
        ..Case::default()
    };
    let wonde = Case {
        codes: Some("wonde-codes.json"),
        ..Case::default()
    };
    let with_pupils = Case {
        pupils: true,
        ..Case::default()
    };
    let cases: Vec<(&str, &str, Vec<u8>, Case)> = vec![
        (
            "sims: a bad date",
            "sims.xml",
            edit("sims.xml", "2024-09-03T00", "2024-09-31T00"),
            sims.clone(),
        ),
        (
            "sims: a local code the map lacks",
            "sims.xml",
            edit("sims.xml", ">L<", ">9<"),
            sims.clone(),
        ),
        (
            "sims: a bad session",
            "sims.xml",
            edit("sims.xml", ">PM<", ">Evening<"),
            sims.clone(),
        ),
        (
            "sims: a record without its mark",
            "sims.xml",
            edit("sims.xml", "<AttendanceMark>/</AttendanceMark>", ""),
            sims.clone(),
        ),
        (
            "sims: not well-formed",
            "sims.xml",
            edit("sims.xml", "</SessionName>", "</Session>"),
            sims.clone(),
        ),
        (
            "xml that is not a register",
            "other.xml",
            b"<?xml version=\"1.0\"?>\n<Staff><Person/></Staff>\n".to_vec(),
            Case::default(),
        ),
        (
            "wonde: a code id the code list lacks",
            "wonde.jsonl",
            edit("wonde.jsonl", "\"A3\"", "\"Z9\""),
            wonde.clone(),
        ),
        (
            "wonde: a broken record",
            "wonde.jsonl",
            edit("wonde.jsonl", "\"session\": \"PM\"", "\"session\" \"PM\""),
            wonde.clone(),
        ),
        (
            "wonde: a pupil not in the pupils file",
            "wonde.jsonl",
            edit("wonde.jsonl", "\"1002\"", "\"1009\""),
            Case {
                pupils: true,
                ..wonde.clone()
            },
        ),
        (
            "arbor: a record with no mark",
            "arbor.json",
            edit("arbor.json", "\"attendanceMark\"", "\"attendanceNote\""),
            Case::default(),
        ),
        (
            "arbor: the file ends early",
            "arbor.json",
            fixture("arbor.json")[..200].to_vec(),
            Case::default(),
        ),
        (
            "mapped: a US date",
            "mapped.csv",
            edit("mapped.csv", "03/09/2024", "09/13/2024"),
            Case::default(),
        ),
        (
            "mapped: a missing mapped column",
            "mapped-times.csv",
            fixture("mapped-times.csv"),
            Case {
                columns: Some("pupil_id=Pupil,date=Date,session=Register,mark=Code"),
                ..Case::default()
            },
        ),
        (
            "a report whose columns are not named",
            "report.csv",
            b"UPN,Date,Session,Mark\nA,05/09/2024,AM,/\n".to_vec(),
            Case::default(),
        ),
        (
            "grid: an unknown code",
            "grid.csv",
            edit("grid.csv", "N,O", "N,Q9"),
            Case::default(),
        ),
        (
            "grid: a name column is never shown",
            "grid.csv",
            edit("grid.csv", "1002,Name 1002", "1009,Name 1002"),
            with_pupils,
        ),
        (
            "a csv that is no register",
            "scores.csv",
            b"name,score\nA,1\n".to_vec(),
            Case::default(),
        ),
    ];
    let mut out = String::new();
    for (title, name, bytes, case) in cases {
        let shown = match read(name, bytes, &case) {
            Ok(r) => format!("accepted: {} sessions\n", r.sessions()),
            Err(e) => e,
        };
        out.push_str(&format!("=== {title}\n{shown}\n"));
    }
    insta::assert_snapshot!(out);
}

#[test]
fn a_upn_keyed_register_meets_a_upn_keyed_pupils_file() {
    // A mapped CSV keyed by UPN: the pupils file's `upn` column names the same pupils, so the
    // register's ids are the pupils file's.
    let register = "UPN,Date,Session,Mark\nB801200005001,02/09/2024,AM,/\n";
    let (table, days) = table();
    let options = |keep_upn| ReadOptions {
        pseudonym_key: Some("k".into()),
        columns: ColumnMap::parse("pupil_id=UPN,date=Date,session=Session,mark=Mark").ok(),
        keep_upn,
        ..ReadOptions::default()
    };
    let by_column = "pupil_id,date_of_birth,year_group,upn\nP1,2015-05-01,4,B801200005001\n";
    let by_id = "pupil_id,date_of_birth,year_group\nB801200005001,2015-05-01,4\n";
    let other = "pupil_id,date_of_birth,year_group\nP1,2015-05-01,4\n";
    let run = |pupils: &str, keep_upn: bool| {
        let pupils =
            register::read_pupils(&Input::bytes("pupils.csv", pupils.as_bytes().to_vec()), 5);
        let pupils = pupils.unwrap_or_else(|p| panic!("{p:?}"));
        register::read_register(
            &Input::bytes("marks.csv", register.as_bytes().to_vec()),
            &table.calendar,
            days,
            Some(&pupils),
            None,
            &options(keep_upn),
        )
        .map(|r| r.ids().map(str::to_string).collect::<Vec<_>>())
        .map_err(|p| p.iter().map(ToString::to_string).collect::<String>())
    };
    assert_eq!(run(by_column, false), Ok(vec!["P1".to_string()]));
    // Keyed by UPN: both sides pseudonymised with the same key.
    let pseudonym = register::pseudonym("B801200005001", Some("k"));
    assert_eq!(run(by_id, false), Ok(vec![pseudonym]));
    assert_eq!(run(by_id, true), Ok(vec!["B801200005001".to_string()]));
    // A pupils file with no UPNs: the error says how the two can meet.
    let error = run(other, false).err().unwrap_or_default();
    assert!(
        error.contains("pseudonymised UPN") && error.contains("--keep-upn"),
        "{error}"
    );
}

#[test]
fn year_groups_as_mis_write_them_are_read_and_ambiguous_ones_warned_of() {
    let text = "pupil_id,date_of_birth,year_group\nA,2015-05-01,Year 5\nB,2015-05-01,Rec\nC,2020-01-01,N\nD,2015-05-01,Yr 6\n";
    let pupils = register::read_pupils(&Input::bytes("pupils.csv", text.as_bytes().to_vec()), 5);
    let pupils = pupils.unwrap_or_else(|p| panic!("{p:?}"));
    let groups: Vec<Option<u32>> = pupils
        .iter()
        .map(|p| p.year_group.and_then(|g| g.number()))
        .collect();
    // Reception is 0; nursery has no number.
    assert_eq!(groups, [Some(5), Some(0), None, Some(6)]);
    let warnings: String = pupils.warnings.iter().map(ToString::to_string).collect();
    insta::assert_snapshot!(warnings);
}

// --- The bundled example in every format -------------------------------------------------

/// One row of a long CSV.
struct Row {
    pupil: String,
    date: String,
    session: String,
    mark: String,
}

fn rows(long: &str) -> Vec<Row> {
    long.lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            Row {
                pupil: f[0].into(),
                date: f[1].into(),
                session: f[2].into(),
                mark: f[3].into(),
            }
        })
        .collect()
}

fn uk(date: &str) -> String {
    let p: Vec<&str> = date.split('-').collect();
    format!("{}/{}/{}", p[2], p[1], p[0])
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Converts a long CSV (`pupil_id,date,session,mark`) into `format`; Wonde's records name
/// codes by id, so its code list comes back too.
fn convert(long: &str, format: &str) -> (String, Option<String>) {
    let rows = rows(long);
    let mut out = String::new();
    match format {
        "sims" => {
            out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<SessionAttendances>\n");
            for r in &rows {
                out.push_str(&format!(
                    "  <SessionAttendance><PersonID>{}</PersonID><AttendanceDate>{}T00:00:00</AttendanceDate>\
                     <SessionName>{}</SessionName><AttendanceMark>{}</AttendanceMark><MinsLate>0</MinsLate>\
                     <Comments /></SessionAttendance>\n",
                    r.pupil, r.date, r.session, xml_escape(&r.mark)
                ));
            }
            out.push_str("</SessionAttendances>\n");
            (out, None)
        }
        "wonde" => {
            let mut codes: Vec<String> = rows.iter().map(|r| r.mark.clone()).collect();
            codes.sort();
            codes.dedup();
            let id = |m: &str| format!("C{}", codes.iter().position(|c| c == m).unwrap_or(0));
            for r in &rows {
                let record = serde_json::json!({
                    "student_id": r.pupil, "date": r.date, "session": r.session,
                    "attendance_code_id": id(&r.mark), "minutes_late": 0, "comment": null,
                });
                out.push_str(&format!("{record}\n"));
            }
            let list: Vec<_> = codes
                .iter()
                .map(|c| serde_json::json!({"id": id(c), "code": c}))
                .collect();
            (out, Some(serde_json::json!({ "data": list }).to_string()))
        }
        "arbor" => {
            let records: Vec<_> = rows
                .iter()
                .map(|r| {
                    let time = if r.session == "AM" {
                        "08:55:00"
                    } else {
                        "13:15:00"
                    };
                    serde_json::json!({
                        "student": {"entityType": "Student", "id": r.pupil},
                        "attendanceRegister": {"startDatetime": format!("{} {time}", r.date)},
                        "attendanceMark": {"code": r.mark},
                        "minutesLate": null, "recordNote": null,
                    })
                })
                .collect();
            (
                serde_json::to_string_pretty(&records).unwrap_or_default() + "\n",
                None,
            )
        }
        "mapped" => {
            out.push_str("Adno,Session Date,AM/PM,Mark\n");
            for r in &rows {
                let session = r.session.to_ascii_lowercase();
                out.push_str(&format!(
                    "{},{},{session},{}\n",
                    r.pupil,
                    uk(&r.date),
                    r.mark
                ));
            }
            (out, None)
        }
        "grid" => {
            let mut sessions: Vec<(String, String)> = rows
                .iter()
                .map(|r| (r.date.clone(), r.session.clone()))
                .collect();
            sessions.sort();
            sessions.dedup();
            let mut pupils: Vec<String> = rows.iter().map(|r| r.pupil.clone()).collect();
            pupils.sort();
            pupils.dedup();
            out.push_str("pupil_id");
            for (d, s) in &sessions {
                out.push_str(&format!(",{} {s}", uk(d)));
            }
            out.push('\n');
            let mut cells = std::collections::HashMap::new();
            for r in &rows {
                cells.insert(
                    (r.pupil.as_str(), r.date.as_str(), r.session.as_str()),
                    r.mark.as_str(),
                );
            }
            for p in &pupils {
                out.push_str(p);
                for (d, s) in &sessions {
                    out.push(',');
                    out.push_str(
                        cells
                            .get(&(p.as_str(), d.as_str(), s.as_str()))
                            .unwrap_or(&""),
                    );
                }
                out.push('\n');
            }
            (out, None)
        }
        _ => panic!("no format {format}"),
    }
}

#[test]
fn the_converter_keeps_every_mark() {
    let long = "pupil_id,date,session,mark\nP1,2024-09-02,AM,/\nP1,2024-09-02,PM,\\\nP2,2024-09-02,AM,C1\n";
    let (sims, _) = convert(long, "sims");
    assert_eq!(sims.matches("<SessionAttendance>").count(), 3);
    let (wonde, codes) = convert(long, "wonde");
    assert_eq!(wonde.lines().count(), 3);
    assert!(codes.is_some_and(|c| c.contains("\"C1\"")));
    let (grid, _) = convert(long, "grid");
    // P2 has no afternoon mark: an empty cell.
    assert_eq!(
        grid,
        "pupil_id,02/09/2024 AM,02/09/2024 PM\nP1,/,\\\nP2,C1,\n"
    );
}

fn attend_run(
    dir: &Path,
    register: &Path,
    codes: Option<&Path>,
    out: &str,
    extra: &[&str],
) -> (Vec<u8>, Vec<u8>) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin!("attend"));
    cmd.current_dir(root).args([
        "run",
        "policies/kings-cross-academy.policy",
        "--calendar",
        "policies/calendars/camden-2024-25.calendar",
        "--pupils",
        "examples/data/pupils.csv",
        "--allow-errors",
        "--no-ledger",
        "--no-report",
    ]);
    cmd.arg("--register")
        .arg(register)
        .arg("--out")
        .arg(dir.join(out));
    if let Some(codes) = codes {
        cmd.arg("--codes-map").arg(codes);
    }
    cmd.args(extra);
    let output = cmd.output().unwrap_or_else(|e| panic!("attend run: {e}"));
    assert!(
        output.status.success(),
        "{out}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let read = |f: &str| std::fs::read(dir.join(out).join(f)).unwrap_or_default();
    (read("actions.csv"), read("summary.csv"))
}

#[test]
fn the_bundled_example_in_every_format_gives_the_same_outputs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let long_path = root.join("examples/data/register.csv");
    let long = std::fs::read_to_string(&long_path).unwrap_or_default();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (actions, summary) = attend_run(dir.path(), &long_path, None, "long", &[]);
    assert!(actions.len() > 1000, "the example asks for actions");
    // The mapped CSV twice: its MIS header names detected, and named with `--columns`.
    let columns = [
        "--columns",
        "pupil_id=Adno,date=Session Date,session=AM/PM,mark=Mark",
    ];
    for (format, file, extra) in [
        ("sims", "register.xml", &[][..]),
        ("wonde", "register.jsonl", &[]),
        ("arbor", "register.json", &[]),
        ("mapped", "register-mapped.csv", &[]),
        ("mapped", "register-columns.csv", &columns[..]),
        ("grid", "register-grid.csv", &["--format", "grid"]),
    ] {
        let (text, codes) = convert(&long, format);
        let path = dir.path().join(file);
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
        let codes_path = codes.map(|c| {
            let p = dir.path().join("codes.json");
            std::fs::write(&p, c).unwrap_or_else(|e| panic!("{e}"));
            p
        });
        let (a, s) = attend_run(
            dir.path(),
            &path,
            codes_path.as_deref(),
            &format!("out-{file}"),
            extra,
        );
        assert!(a == actions, "{file}: actions.csv differs");
        assert!(s == summary, "{file}: summary.csv differs");
    }
}

// --- Never panics ---------------------------------------------------------------------------

/// Reads bytes as each format (detected, and forced), with every problem rendered.
fn exercise(bytes: &[u8]) {
    for format in [
        None,
        Some(Format::Sims),
        Some(Format::Json),
        Some(Format::Grid),
        Some(Format::Mapped),
    ] {
        let case = Case {
            format,
            keep_going: true,
            codes: Some("wonde-codes.json"),
            columns: (format == Some(Format::Mapped))
                .then_some("pupil_id=Adno,date=Session Date,session=AM/PM,mark=Mark"),
            ..Case::default()
        };
        let _ = read("fuzz", bytes.to_vec(), &case);
    }
}

#[derive(Clone, Debug)]
enum Mutation {
    Delete(usize, usize),
    Insert(usize, Vec<u8>),
    Duplicate(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1usize..20).prop_map(|(a, n)| Mutation::Delete(a, n)),
        (
            any::<usize>(),
            prop::collection::vec(
                prop_oneof![
                    Just(b'<'),
                    Just(b'>'),
                    Just(b'/'),
                    Just(b'{'),
                    Just(b'}'),
                    Just(b'['),
                    Just(b']'),
                    Just(b'"'),
                    Just(b','),
                    Just(b'\n'),
                    Just(b'\\'),
                    any::<u8>()
                ],
                1..8
            )
        )
            .prop_map(|(a, b)| Mutation::Insert(a, b)),
        (any::<usize>(), 1usize..200).prop_map(|(a, n)| Mutation::Duplicate(a, n)),
    ]
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    let len = bytes.len().max(1);
    match m {
        Mutation::Delete(at, n) => {
            let at = at % len;
            let end = (at + n).min(bytes.len());
            if at < end {
                bytes.drain(at..end);
            }
        }
        Mutation::Insert(at, b) => {
            let at = (at % len).min(bytes.len());
            bytes.splice(at..at, b.iter().copied());
        }
        Mutation::Duplicate(at, n) => {
            let at = (at % len).min(bytes.len());
            let end = (at + n).min(bytes.len());
            let copy = bytes[at..end].to_vec();
            bytes.splice(end..end, copy);
        }
    }
}

const FIXTURES: [&str; 6] = [
    "sims.xml",
    "wonde.jsonl",
    "arbor.json",
    "mapped.csv",
    "mapped-times.csv",
    "grid.csv",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn mutated_fixtures_never_panic(file in 0usize..FIXTURES.len(), mutations in prop::collection::vec(mutation(), 1..5)) {
        let mut bytes = fixture(FIXTURES[file]);
        for m in &mutations {
            apply(&mut bytes, m);
        }
        exercise(&bytes);
    }

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        exercise(&bytes);
    }
}

#[test]
fn a_ctf_meets_a_pupils_file_with_its_upns() {
    let ctf = "<CTfile><CTFpupilData><Pupil><UPN>B801200005001</UPN><DOB>2016-03-14</DOB>\
               <Attendance><YearData><AttendSessions><AttendanceStartDate>2024-09-02</AttendanceStartDate>\
               <AttendanceMarks>/,\\,/,\\,#,#,L,\\,/,\\</AttendanceMarks></AttendSessions></YearData>\
               </Attendance></Pupil></CTFpupilData></CTfile>\n";
    let (table, days) = table();
    let options = ReadOptions {
        pseudonym_key: Some("k".into()),
        ..ReadOptions::default()
    };
    let read = |pupils: &str| {
        let pupils =
            register::read_pupils(&Input::bytes("pupils.csv", pupils.as_bytes().to_vec()), 5);
        let pupils = pupils.unwrap_or_else(|p| panic!("{p:?}"));
        register::read_register(
            &Input::bytes("pupil.ctf.xml", ctf.as_bytes().to_vec()),
            &table.calendar,
            days,
            Some(&pupils),
            None,
            &options,
        )
        .map(|r| (r.id(0).to_string(), r.sessions()))
        .map_err(|p| p.iter().map(ToString::to_string).collect::<String>())
    };
    // 4 school days (Wednesday is the INSET day) x 2 sessions.
    let with_upns = "pupil_id,date_of_birth,year_group,upn\nP1,2016-03-14,3,B801200005001\n";
    assert_eq!(read(with_upns), Ok(("P1".to_string(), 8)));
    let keyed_by_upn = "pupil_id,date_of_birth,year_group\nB801200005001,2016-03-14,3\n";
    let pseudonym = register::pseudonym("B801200005001", Some("k"));
    assert_eq!(read(keyed_by_upn), Ok((pseudonym, 8)));
    let neither = "pupil_id,date_of_birth,year_group\nP1,2016-03-14,3\n";
    insta::assert_snapshot!(read(neither).err().unwrap_or_default());
}

/// A SIMS file big enough to be read in several chunks (a chunk is 4 MiB or more), with a
/// stray closing tag well past the first chunk: each later chunk may close the root, so it
/// must still see a closing tag with records after it as a stray, as the first chunk does.
#[test]
fn a_stray_closing_tag_past_the_first_chunk_of_a_sims_file_is_an_error() {
    let record = |pupil: u32, date: &str, session: &str| {
        format!(
            "  <SessionAttendance>\n    <PersonID>{pupil}</PersonID>\n    <AttendanceDate>{date}T00:00:00</AttendanceDate>\n    <SessionName>{session}</SessionName>\n    <AttendanceMark>/</AttendanceMark>\n    <MinsLate>0</MinsLate>\n    <Comments/>\n  </SessionAttendance>\n"
        )
    };
    let mut xml =
        String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<SessionAttendances>\n");
    let mut stray_line = 0;
    for pupil in 0..30_000u32 {
        if pupil == 20_000 {
            stray_line = xml.lines().count() + 1;
            xml.push_str("  </Stray>\n");
        }
        xml.push_str(&record(100_000 + pupil, "2024-09-02", "AM"));
    }
    xml.push_str("</SessionAttendances>\n");
    assert!(
        xml.len() > 5 << 20,
        "{} bytes: not past the first chunk",
        xml.len()
    );
    let sims = Case {
        codes: Some("sims-codes.csv"),
        format: Some(Format::Sims),
        ..Case::default()
    };
    let problems = read("big-sims.xml", xml.clone().into_bytes(), &sims).expect_err("a stray tag");
    assert!(
        problems.contains(&format!("big-sims.xml:{stray_line}:"))
            && problems.contains("the closing tag `</Stray>` closes no element opened before it"),
        "{problems}"
    );
    // The same file without the stray tag reads.
    let clean = xml.replace("  </Stray>\n", "");
    assert!(read("big-sims.xml", clean.into_bytes(), &sims).is_ok());
}

/// Compact marks are read on every core when the rows are ordinary, and a row at a time when
/// something is not (a quoted header, a quoted quote): both give the register the long CSV
/// of the same marks gives, whatever the separators, line ends or rows per pupil; a session
/// marked twice is reported with the line of its first mark either way.
#[test]
fn compact_rows_read_alike_on_the_fast_and_the_careful_path() {
    let read = |text: &str| read_text("marks.csv", text);
    // School days 2, 3, 5 and 6 September (the 4th is an INSET day).
    let long = "pupil_id,date,session,mark\n\
        P1,2024-09-02,AM,/\nP1,2024-09-02,PM,/\nP1,2024-09-03,AM,N\nP1,2024-09-03,PM,/\n\
        P1,2024-09-05,AM,/\nP1,2024-09-05,PM,/\nP1,2024-09-06,AM,L\nP1,2024-09-06,PM,/\n\
        P2,2024-09-02,AM,/\nP2,2024-09-02,PM,/\nP2,2024-09-03,AM,I\nP2,2024-09-03,PM,I\n\
        P2,2024-09-05,AM,/\nP2,2024-09-05,PM,/\nP2,2024-09-06,AM,/\nP2,2024-09-06,PM,C1\n";
    let expected = read(long).expect("the long CSV reads");
    let compact = [
        "pupil_id,start_date,marks\nP1,2024-09-02,\"/,/,N,/,#,#,/,/,L,/\"\nP2,2024-09-02,\"/,/,I,I,#,#,/,/,/,C1\"\n",
        "pupil_id,start_date,marks\r\nP2,2024-09-02,/ / I I # # / / / C1\r\nP1,2024-09-02,//N/##//L/\r\n",
        "pupil_id,start_date,marks\nP1,2024-09-02,\"/,/|N,/\"\nP2,2024-09-02,\"/,/,I,I,#,#,/,/,/,C1\"\nP1,2024-09-04,\"#,#,/,/,L,/\"\n",
        "marks,pupil_id,start_date\n\"/,/,N,/,#,#,/,/,L,/\",P1,2024-09-02\n\"/,/,I,I,#,#,/,/,/,C1\",P2,2024-09-02",
        "\"pupil_id\",\"start_date\",\"marks\"\nP1,2024-09-02,\"/,/,N,/,#,#,/,/,L,/\"\nP2,2024-09-02,\"/,/,I,I,#,#,/,/,/,C1\"\n",
    ];
    for text in compact {
        let got = read(text).unwrap_or_else(|p| panic!("{text}: {p:?}"));
        assert!(got.ids().eq(expected.ids()), "{text}");
        assert_eq!(got.marks, expected.marks, "{text}");
        assert_eq!(
            (got.first, got.days, got.span),
            (expected.first, expected.days, expected.span)
        );
    }
    let twice = "pupil_id,start_date,marks\nP1,2024-09-02,\"/,/,N,/\"\nP1,2024-09-03,\"/,/\"\n";
    let problems = read(twice).expect_err("a session marked twice");
    let text = format!("{}", problems[0]);
    assert!(text.contains("P1") && text.contains("line 2"), "{text}");
    assert_eq!(problems[0].at.line, 3, "{text}");
}

/// The long CSV's rows of the usual shape (`pupil,YYYY-MM-DD,AM,mark`) are read without being
/// split into fields; every other row by the careful reader. Whatever the mix, the order of
/// the rows (by pupil, or by session as a day-by-day export writes them) and the length of
/// the ids (compared a word at a time), the register is the same, and a session marked twice
/// is reported with the line of its first mark.
#[test]
fn long_rows_read_alike_on_the_plain_and_the_careful_path() {
    let read = |text: &str| read_text("register.csv", text);
    // Ids of 2, 5, 8 and 12 characters; school days 2, 3, 5 and 6 September.
    let ids = ["P1", "P0002", "P0000003", "P00000000004"];
    let dates = ["2024-09-02", "2024-09-03", "2024-09-05", "2024-09-06"];
    let marks = ["/", "\\", "N", "L", "I", "C1", "/", "O"];
    let mark = |p: usize, d: usize, s: usize| marks[(p * 3 + d * 2 + s) % marks.len()];
    let mut by_pupil = Vec::new();
    for (p, id) in ids.iter().enumerate() {
        for (d, date) in dates.iter().enumerate() {
            for (s, session) in ["AM", "PM"].iter().enumerate() {
                by_pupil.push((
                    (d, s, p),
                    format!("{id},{date},{session},{}", mark(p, d, s)),
                ));
            }
        }
    }
    let header = "pupil_id,date,session,mark\n";
    let text = |rows: &[String], end: &str| {
        let mut text = header.replace('\n', end);
        for row in rows {
            text.push_str(row);
            text.push_str(end);
        }
        text
    };
    let plain: Vec<String> = by_pupil.iter().map(|(_, r)| r.clone()).collect();
    let expected = read(&text(&plain, "\n")).expect("the plain rows read");
    assert_eq!(expected.sessions(), 32);
    let mut by_session = by_pupil.clone();
    by_session.sort();
    let by_session: Vec<String> = by_session.into_iter().map(|(_, r)| r).collect();
    // Every other row in a shape only the careful reader takes: a lower-case session.
    let mixed: Vec<String> = plain
        .iter()
        .enumerate()
        .map(|(i, r)| {
            if i % 2 == 1 {
                r.replace(",AM,", ",am,").replace(",PM,", ",pm,")
            } else {
                r.clone()
            }
        })
        .collect();
    // A closure mark on the INSET day and a `-` (no mark) among plain rows.
    let mut extra = plain.clone();
    extra.insert(3, "P1,2024-09-04,AM,#".into());
    extra.push("P0002,2024-09-09,PM,-".into());
    let quoted: Vec<String> = plain
        .iter()
        .map(|r| {
            r.split(',')
                .map(|f| format!("\"{f}\""))
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect();
    let variants = [
        ("by session", text(&by_session, "\n")),
        ("CRLF", text(&plain, "\r\n")),
        ("mixed", text(&mixed, "\n")),
        ("closure and no mark", text(&extra, "\n")),
        ("quoted", text(&quoted, "\n")),
        (
            "no final line end",
            text(&plain, "\n").trim_end().to_string(),
        ),
    ];
    for (name, text) in variants {
        let got = read(&text).unwrap_or_else(|p| panic!("{name}: {p:?}"));
        same_register(&got, &expected);
    }
    // The same session twice, on the plain path and on the careful one.
    for second in ["P0000003,2024-09-05,PM,/", "P0000003,2024-09-05,pm,/"] {
        let mut twice = plain.clone();
        twice.push(second.into());
        let problems = read(&text(&twice, "\n")).expect_err("a session marked twice");
        let message = format!("{:?}", problems[0]);
        // Pupil 3's 2024-09-05 PM is its sixth row, the 22nd of the file: line 23.
        assert!(
            message.contains("P0000003") && message.contains("first_line: Some(23)"),
            "{message}"
        );
        assert_eq!(problems[0].at.line, 34, "{message}");
    }
}

/// A pupils file is read field by field without copying; a row with a problem is shown with
/// its UPN hidden, at the column of the field, and a pupil listed twice names the line of
/// the first row. Values are read whatever their case.
#[test]
fn a_pupils_file_names_a_repeated_pupil_and_hides_what_is_personal() {
    let read = |text: &str| {
        register::read_pupils(&Input::bytes("pupils.csv", text.as_bytes().to_vec()), 5)
    };
    let text = "pupil_id,date_of_birth,year_group,upn,sen,fsm\n\
                P1,2015-05-01,4,B801200005001,k,Yes\n\
                P2, 2014-05-01 ,Year 5,,E,no\n\
                P1,2015-05-01,4,B801200005002,N,false\n";
    let problems = read(text).expect_err("P1 is listed twice");
    assert_eq!(problems.len(), 1);
    let problem = &problems[0];
    assert_eq!((problem.at.line, problem.at.column), (4, 1));
    assert!(
        format!("{:?}", problem.error).contains("first_line: 2"),
        "{problem:?}"
    );
    let shown = format!("{problem}");
    assert!(
        !shown.contains("B801200005002") && shown.contains('…'),
        "{shown}"
    );
    let pupils = read(&text.replace(
        "P1,2015-05-01,4,B801200005002",
        "P3,2015-05-01,4,B801200005002",
    ))
    .expect("three pupils");
    assert_eq!(pupils.len(), 3);
    let p2 = pupils.get("P2").expect("P2");
    assert_eq!(p2.dob.map(|d| d.to_string()).as_deref(), Some("2014-05-01"));
    assert_eq!(p2.fsm, Some(false));
    assert_eq!(pupils.get("P1").and_then(|p| p.fsm), Some(true));
    // A bad flag is shown at its column (after `P1,2015-05-01,4,…,k,`: the UPN hidden).
    let problems = read(&text.replace("k,Yes", "k,maybe")).expect_err("a bad flag");
    assert_eq!(
        (problems[0].at.line, problems[0].at.column),
        (2, 21),
        "{:?}",
        problems[0]
    );
}

/// A register of as many pupils as rows (past the 65,536 a reading thread keeps in its own
/// cache before it stops copying pupils it does not meet again) reads every mark, and a
/// session marked twice is still found, with the line of its first mark.
#[test]
fn a_register_of_distinct_pupils_reads_past_a_threads_own_cache() {
    let read = |text: &str| read_text("register.csv", text);
    let mut text = String::from("pupil_id,date,session,mark\n");
    for p in 0..70_000 {
        text.push_str(&format!("Q{p:07},2024-09-02,AM,/\n"));
    }
    let register = read(&text).expect("70,000 pupils read");
    assert_eq!(register.sessions(), 70_000);
    assert_eq!(register.ids().count(), 70_000);
    // Past the cache: a pupil of line 69,002 again, and one of line 6.
    for (again, first) in [("Q0069000", 69_002), ("Q0000004", 6)] {
        let twice = format!("{text}{again},2024-09-02,AM,N\n");
        let problems = read(&twice).expect_err("a session marked twice");
        assert_eq!(problems[0].at.line, 70_002, "{:?}", problems[0]);
        assert!(
            format!("{:?}", problems[0].error).contains(&format!("first_line: Some({first})")),
            "{:?}",
            problems[0]
        );
    }
}
