//! A compact marks register run with no ledger is streamed (a block of pupils at a time, each
//! block's marks dropped once evaluated). Every output must be what the same run gives with
//! the register read whole (`--on`, which needs the marks after the run, reads it whole):
//! actions, summary, report, letters and the terminal summary; and a register the stream
//! cannot take (a pupil in two rows, a bad mark, a missing mark) is read whole and reported
//! exactly as before.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

const CALENDAR: &str = "policies/calendars/camden-2024-25.calendar";
const POLICY: &str = "policies/kings-cross-academy.policy";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn attend(args: &[&str]) -> Out {
    let out = Command::new(assert_cmd::cargo::cargo_bin!("attend"))
        .current_dir(root())
        .env("NO_COLOR", "1")
        .env("ATTEND_TIMINGS", "1")
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

/// The bundled example register as compact marks: one row per pupil from its first date,
/// `-` where it has no mark. `edit` may change each pupil's tokens (two a calendar day).
fn compact(edit: &dyn Fn(&str, &mut Vec<String>)) -> String {
    compact_with(",", edit)
}

/// [`compact`] with the tokens separated by `separator`.
fn compact_with(separator: &str, edit: &dyn Fn(&str, &mut Vec<String>)) -> String {
    let text = std::fs::read_to_string(root().join("examples/data/register.csv")).unwrap();
    let mut marks: BTreeMap<String, BTreeMap<(chrono::NaiveDate, usize), String>> = BTreeMap::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let date = chrono::NaiveDate::parse_from_str(f[1], "%Y-%m-%d").unwrap();
        let session = usize::from(f[2] == "PM");
        marks
            .entry(f[0].to_string())
            .or_default()
            .insert((date, session), f[3].to_string());
    }
    let mut out = String::from("pupil_id,start_date,marks\n");
    for (pupil, sessions) in &marks {
        let start = sessions.keys().next().unwrap().0;
        let end = sessions.keys().last().unwrap().0;
        let mut tokens = Vec::new();
        let mut date = start;
        while date <= end {
            for session in 0..2 {
                let mark = sessions.get(&(date, session)).map_or("-", String::as_str);
                tokens.push(mark.to_string());
            }
            date = date.succ_opt().unwrap();
        }
        edit(pupil, &mut tokens);
        out.push_str(&format!("{pupil},{start},\"{}\"\n", tokens.join(separator)));
    }
    out
}

/// Every file under `dir`, by path relative to it.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut found = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let name = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                found.insert(name, std::fs::read(&path).unwrap());
            }
        }
    }
    found
}

/// What one run gave.
struct Ran {
    out: Out,
    files: BTreeMap<String, Vec<u8>>,
}

/// Runs the policy on `register` twice, streamed and read whole (`--on` the last day, which
/// reads it whole), each into a fresh `--out`.
fn both(dir: &Path, register: &Path, extra: &[&str]) -> (Ran, Ran) {
    std::fs::create_dir_all(dir).unwrap();
    let register = register.to_string_lossy().into_owned();
    let run = |name: &str, more: &[&str]| {
        let out_dir = dir.join(name);
        let out_text = out_dir.to_string_lossy().into_owned();
        let mut args = vec![
            "run",
            POLICY,
            "--calendar",
            CALENDAR,
            "--register",
            &register,
            "--no-ledger",
            "--allow-errors",
            "--out",
            &out_text,
        ];
        args.extend_from_slice(extra);
        args.extend_from_slice(more);
        let out = attend(&args);
        let files = if out_dir.exists() {
            files(&out_dir)
        } else {
            BTreeMap::new()
        };
        Ran { out, files }
    };
    let streamed = run("streamed", &[]);
    let whole = run("whole", &["--on", "2024-10-18"]);
    (streamed, whole)
}

/// The two runs wrote the same files and the same summary; the first was streamed.
fn same(streamed: &Ran, whole: &Ran, dir: &Path) {
    assert_eq!(streamed.out.code, 0, "{}", streamed.out.stderr);
    assert_eq!(whole.out.code, 0, "{}", whole.out.stderr);
    assert!(
        streamed.out.stderr.contains("(streamed)"),
        "{}",
        streamed.out.stderr
    );
    assert!(
        !whole.out.stderr.contains("(streamed)"),
        "{}",
        whole.out.stderr
    );
    assert!(!streamed.files.is_empty());
    assert_eq!(
        streamed.files.keys().collect::<Vec<_>>(),
        whole.files.keys().collect::<Vec<_>>()
    );
    for (name, bytes) in &streamed.files {
        assert!(
            whole.files.get(name) == Some(bytes),
            "{name} differs between the streamed and the whole run"
        );
    }
    // `--on` prints the day's list after the same summary; the paths differ by directory.
    let summary = streamed.out.stdout.replace("/streamed", "/whole");
    let summary = summary.replace(&dir.join("whole").to_string_lossy().into_owned(), "OUT");
    let whole_stdout = whole
        .out
        .stdout
        .replace(&dir.join("whole").to_string_lossy().into_owned(), "OUT");
    assert!(
        whole_stdout.starts_with(&summary),
        "streamed:\n{summary}\nwhole:\n{whole_stdout}"
    );
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn streamed_outputs_are_the_whole_registers() {
    let dir = tempfile::tempdir().unwrap();
    let register = write(dir.path(), "marks.csv", &compact(&|_, _| {}));
    let pupils = root().join("examples/data/pupils.csv");
    let pupils = pupils.to_string_lossy().into_owned();
    let (streamed, whole) = both(dir.path(), &register, &["--pupils", &pupils]);
    same(&streamed, &whole, dir.path());
    // Letters went out, with each pupil's year-to-date figures.
    assert!(
        streamed.files.keys().any(|k| k.starts_with("letters/")),
        "{:?}",
        streamed.files.keys()
    );
    let summary = String::from_utf8_lossy(&streamed.files["summary.csv"]).into_owned();
    assert!(summary.lines().count() > 10, "{summary}");
}

#[test]
fn streamed_without_a_pupils_file_and_compressed() {
    let dir = tempfile::tempdir().unwrap();
    let text = compact(&|_, _| {});
    let (streamed, whole) = both(dir.path(), &write(dir.path(), "marks.csv", &text), &[]);
    same(&streamed, &whole, dir.path());
    let gz = dir.path().join("marks.csv.gz");
    let mut encoder = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::fast(),
    );
    std::io::Write::write_all(&mut encoder, text.as_bytes()).unwrap();
    encoder.finish().unwrap();
    let gz_dir = dir.path().join("gz");
    let (streamed, whole) = both(&gz_dir, &gz, &[]);
    same(&streamed, &whole, &gz_dir);
    // Tokens with no separator or with `|`, and a code with a digit at a row's end.
    for (name, separator) in [("joined", ""), ("bars", " | ")] {
        let text = compact_with(separator, &|_, tokens| {
            let last = tokens.len() - 1;
            if tokens[last] == "/" {
                tokens[last] = "C1".into();
            }
        });
        let register = write(dir.path(), &format!("{name}.csv"), &text);
        let at = dir.path().join(name);
        let (streamed, whole) = both(&at, &register, &[]);
        same(&streamed, &whole, &at);
    }
}

#[test]
fn a_half_taken_last_day_is_told_the_same_streamed() {
    // Every afternoon of the last day but one pupil's is not yet taken.
    let dir = tempfile::tempdir().unwrap();
    let text = compact(&|pupil, tokens| {
        if pupil != "P0003" {
            let last = tokens.len() - 1;
            tokens[last] = "-".into();
        }
    });
    let register = write(dir.path(), "marks.csv", &text);
    let (streamed, whole) = both(dir.path(), &register, &[]);
    same(&streamed, &whole, dir.path());
    assert!(
        streamed.out.stdout.contains("not yet taken"),
        "{}",
        streamed.out.stdout
    );
}

#[test]
fn pupils_with_no_row_are_evaluated_when_marks_may_be_missing() {
    // Two pupils of the pupils file have no row: with --allow-missing every session of
    // theirs counts as `N`, streamed as when read whole.
    let dir = tempfile::tempdir().unwrap();
    let text = compact(&|_, _| {});
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with("P0004,") && !l.starts_with("P0007,"))
        .collect();
    let register = write(dir.path(), "marks.csv", &(kept.join("\n") + "\n"));
    let pupils = root().join("examples/data/pupils.csv");
    let pupils = pupils.to_string_lossy().into_owned();
    let (streamed, whole) = both(
        dir.path(),
        &register,
        &["--pupils", &pupils, "--allow-missing"],
    );
    same(&streamed, &whole, dir.path());
    let summary = String::from_utf8_lossy(&streamed.files["summary.csv"]).into_owned();
    assert!(summary.contains("\nP0004,"), "{summary}");
    // Without --allow-missing the stream gives up and the whole reader names the gap.
    let strict = dir.path().join("strict");
    let (streamed, whole) = both(&strict, &register, &["--pupils", &pupils]);
    assert_eq!(streamed.out.code, 2, "{}", streamed.out.stderr);
    assert_eq!(streamed.out.stderr, whole.out.stderr);
    assert!(
        streamed.out.stderr.contains("P0004"),
        "{}",
        streamed.out.stderr
    );
    assert!(streamed.files.is_empty() && whole.files.is_empty());
}

#[test]
fn what_the_stream_cannot_take_is_read_whole() {
    let dir = tempfile::tempdir().unwrap();
    // A pupil in two rows: read whole, the same outputs, not streamed.
    let text = compact(&|_, _| {});
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let row = lines[1].clone();
    let (head, marks) = row.split_once(",\"").unwrap();
    let (pupil, start) = head.split_once(',').unwrap();
    let tokens: Vec<&str> = marks.trim_end_matches('"').split(',').collect();
    let half = tokens.len() / 4 * 2;
    let start = chrono::NaiveDate::parse_from_str(start, "%Y-%m-%d").unwrap();
    let later = start + chrono::Days::new((half / 2) as u64);
    lines[1] = format!("{pupil},{start},\"{}\"", tokens[..half].join(","));
    lines.push(format!("{pupil},{later},\"{}\"", tokens[half..].join(",")));
    let split = write(dir.path(), "split.csv", &(lines.join("\n") + "\n"));
    let whole_text = write(dir.path(), "marks.csv", &text);
    let (two_rows, _) = both(dir.path(), &split, &[]);
    let (one_row, _) = both(&dir.path().join("one"), &whole_text, &[]);
    assert_eq!(two_rows.out.code, 0, "{}", two_rows.out.stderr);
    assert!(!two_rows.out.stderr.contains("(streamed)"));
    assert!(one_row.out.stderr.contains("(streamed)"));
    for name in ["actions.csv", "summary.csv"] {
        assert!(two_rows.files[name] == one_row.files[name], "{name}");
    }
    // A bad mark: the whole reader's located error, nothing written.
    let bad = compact(&|pupil, tokens| {
        if pupil == "P0005" {
            tokens[7] = "?".into();
        }
    });
    let bad = write(dir.path(), "bad.csv", &bad);
    let (streamed, whole) = both(&dir.path().join("bad"), &bad, &[]);
    assert_eq!(streamed.out.code, 2);
    assert_eq!(streamed.out.stderr, whole.out.stderr);
    assert!(
        streamed.out.stderr.contains("bad.csv:"),
        "{}",
        streamed.out.stderr
    );
    assert!(streamed.files.is_empty());
}
