//! The browser test (issue 6, item 3): `tests/browser/screenshot.sh` opens a page in headless
//! Chromium (installing Debian's package when it is missing and the test runs as root), saves a
//! screenshot and measures the page; these tests check that a page renders with no console
//! messages, no scripts and nothing external, and that its SVG charts have a size. There is no
//! silent skip: without a Chromium the script fails and so does the test, saying why.
//!
//! Each screenshot is also copied beside the build, for a person to look at:
//! `target/report-screenshot.png` (`attend simulate` of two policies on a synthetic cohort of
//! 200), `target/run-report-screenshot.png` (`attend run` on the bundled example) and
//! `target/fixture-screenshot.png` and `target/letter-screenshot.png` (a letter of `attend demo`),
//! and `target/diff-screenshot.png` (`attend diff` of King's Cross Academy's policy as written
//! and corrected, replayed on a synthetic cohort of 200).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const SCRIPT: &str = "tests/browser/screenshot.sh";

struct Rendered {
    code: Option<i32>,
    /// What the script printed on both streams.
    log: String,
    result: Value,
    console: String,
    png: PathBuf,
}

fn render(page: &Path, min_svgs: usize, out: &Path) -> Rendered {
    let output = Command::new("bash")
        .arg(SCRIPT)
        .arg("--min-svgs")
        .arg(min_svgs.to_string())
        .arg(page)
        .arg(out)
        .output()
        .expect("bash runs");
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let code = output.status.code();
    assert_ne!(
        code,
        Some(3),
        "no Chromium, and the script could not install one:\n{log}"
    );
    let result = std::fs::read_to_string(out.join("result.json"))
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or(Value::Null);
    Rendered {
        code,
        console: std::fs::read_to_string(out.join("console.txt")).unwrap_or_default(),
        png: out.join("screenshot.png"),
        log,
        result,
    }
}

/// Where a person finds the screenshot: `target/NAME`.
fn keep(png: &Path, name: &str) -> PathBuf {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("target directory")
        .join(name);
    std::fs::copy(png, &target).expect("copy the screenshot");
    target
}

/// Every check a report must pass: the script succeeded, the PNG is a real picture, the console
/// was silent, and there are at least `min_svgs` charts, each with a size.
fn assert_renders(r: &Rendered, min_svgs: usize) {
    assert_eq!(r.code, Some(0), "screenshot.sh failed:\n{}", r.log);
    let png = std::fs::read(&r.png).expect("the screenshot exists");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert!(
        png.len() > 10_000,
        "a {}-byte screenshot is blank",
        png.len()
    );
    assert!(r.console.is_empty(), "console messages:\n{}", r.console);
    assert_eq!(r.result["errors"], Value::Array(vec![]), "{}", r.log);
    assert_eq!(r.result["scripts"], 0, "the report has scripts");
    assert_eq!(r.result["external"], Value::Array(vec![]), "external files");
    let svgs = r.result["svgs"].as_array().expect("svg sizes");
    assert!(
        svgs.len() >= min_svgs,
        "{} SVG charts, expected at least {min_svgs}",
        svgs.len()
    );
    for (i, size) in svgs.iter().enumerate() {
        let (w, h) = (size[0].as_f64().unwrap(), size[1].as_f64().unwrap());
        assert!(w > 0.0 && h > 0.0, "SVG chart {i} is {w}×{h}");
    }
}

#[test]
fn the_fixture_renders_with_four_charts() {
    let dir = tempfile::tempdir().unwrap();
    let r = render(Path::new("tests/browser/fixture.html"), 4, dir.path());
    assert_renders(&r, 4);
    assert_eq!(r.result["svgs"].as_array().unwrap().len(), 4);
    keep(&r.png, "fixture-screenshot.png");
}

/// The checker is worth something only if it fails a broken page: an invalid SVG attribute
/// (which Chromium reports on the console), a chart of no size, a script and a stylesheet
/// from elsewhere.
#[test]
fn the_checker_fails_a_broken_page() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("broken.html");
    std::fs::write(
        &page,
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>broken</title>\
         <link rel=\"stylesheet\" href=\"https://example.invalid/x.css\"></head><body>\
         <svg width=\"200\" height=\"100\"><rect width=\"10\" height=\"NaN\"/></svg>\
         <svg width=\"0\" height=\"100\"></svg>\
         <script>document.title = 'scripted';</script></body></html>",
    )
    .unwrap();
    let r = render(&page, 4, &dir.path().join("out"));
    assert_eq!(r.code, Some(1), "{}", r.log);
    assert!(r.console.contains("Expected length"), "{}", r.console);
    assert_eq!(r.result["scripts"], 1);
    assert!(
        r.result["external"].to_string().contains("example.invalid"),
        "{}",
        r.result
    );
    for expected in [
        "console logged",
        "has scripts",
        "external files",
        "2 SVG chart(s), expected at least 4",
        "1 SVG chart(s) with zero width or height",
    ] {
        assert!(r.log.contains(expected), "`{expected}` not in:\n{}", r.log);
    }
}

fn attend(args: &[&str]) {
    let output = assert_cmd::Command::cargo_bin("attend")
        .unwrap()
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "attend {args:?} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The acceptance page of issue 6, on a small cohort: `attend simulate` of two policies.
#[test]
fn the_simulate_report_renders() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sim");
    attend(&[
        "simulate",
        "policies/corrected/kings-cross-academy.policy",
        "policies/corrected/attendance-thresholds.policy",
        "--cohort",
        "200",
        "--seed",
        "1",
        "--out",
        out.to_str().unwrap(),
    ]);
    let r = render(&out.join("report.html"), 4, &dir.path().join("shot"));
    assert_renders(&r, 4);
    assert_eq!(r.result["title"], "Attendance policy comparison");
    let kept = keep(&r.png, "report-screenshot.png");
    eprintln!("screenshot: {}", kept.display());
}

/// Issue 12's diff view: `attend diff --report` of the seed policy and its corrected copy,
/// replayed on a small cohort. Two charts (the band strips, the actions by kind), the moved
/// regions with their pupils, and the changed actions.
#[test]
fn the_diff_report_renders() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("diff.html");
    attend(&[
        "diff",
        "policies/kings-cross-academy.policy",
        "policies/corrected/kings-cross-academy.policy",
        "--cohort",
        "200",
        "--seed",
        "1",
        "-q",
        "--report",
        page.to_str().unwrap(),
    ]);
    let html = std::fs::read_to_string(&page).unwrap();
    for expected in [
        "<h2>Bands: absence escalation percentage table</h2>",
        "a pupil present for 19 of 21 possible sessions (90.48%), absent for 2",
        "<h3>Actions by group</h3>",
        "<h3>Actions that differ</h3>",
    ] {
        assert!(html.contains(expected), "`{expected}` not in the page");
    }
    let r = render(&page, 2, &dir.path().join("shot"));
    assert_renders(&r, 2);
    assert_eq!(r.result["title"], "Policy change: King's Cross Academy");
    let kept = keep(&r.png, "diff-screenshot.png");
    eprintln!("screenshot: {}", kept.display());
}

/// `attend run`'s report on the bundled example.
#[test]
fn the_run_report_renders() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    attend(&[
        "run",
        "policies/corrected/kings-cross-academy.policy",
        "--calendar",
        "policies/calendars/camden-2024-25.calendar",
        "--register",
        "examples/data/register.csv",
        "--pupils",
        "examples/data/pupils.csv",
        "--out",
        out.to_str().unwrap(),
    ]);
    let r = render(&out.join("report.html"), 4, &dir.path().join("shot"));
    assert_renders(&r, 4);
    // Issue 12: the coverage section, each rule with its policy line, the dead ones flagged.
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("<h2>Coverage</h2>"));
    assert!(
        html.contains("kings-cross-academy.policy:308</code>"),
        "{html}"
    );
    assert!(html.contains("<strong>dead in practice</strong>"));
    keep(&r.png, "run-report-screenshot.png");
}

/// Issue 11's acceptance: the bundled demo's letters, printed. `attend demo` writes its
/// outputs under the temporary folder; one three-day letter is opened in Chromium. Its text
/// has a salutation naming the carer and the pupil (from the example pupils file), the
/// evidence, and a sign-off by the responsible role's description and the school, never an
/// identifier; and it renders as a page with no scripts and nothing external. The screenshot
/// is kept as `target/letter-screenshot.png`.
#[test]
fn the_demos_letters_render_with_names_evidence_and_a_named_sign_off() {
    let dir = tempfile::tempdir().unwrap();
    let output = assert_cmd::Command::cargo_bin("attend")
        .unwrap()
        .arg("demo")
        .env("TMPDIR", dir.path())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let out = dir.path().join("attend-demo");
    // Every output is where the demo says it is.
    for file in ["actions.csv", "summary.csv", "report.html"] {
        assert!(out.join(file).exists(), "{file}");
        assert!(stdout.contains(&out.join(file).display().to_string()));
    }
    assert!(stdout.contains("the morning list"), "{stdout}");
    let letters = out.join("letters");
    let mut three_day: Vec<PathBuf> = std::fs::read_dir(&letters)
        .unwrap()
        .flat_map(|day| std::fs::read_dir(day.unwrap().path()).unwrap())
        .map(|f| f.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with("-three-day.html"))
        .collect();
    three_day.sort();
    let letter = three_day.first().expect("a three-day letter");
    let pupil = letter
        .file_name()
        .unwrap()
        .to_string_lossy()
        .trim_end_matches("-three-day.html")
        .to_string();
    let pupils = std::fs::read_to_string("examples/data/pupils.csv").unwrap();
    let row: Vec<&str> = pupils
        .lines()
        .find(|l| l.starts_with(&format!("{pupil},")))
        .unwrap()
        .split(',')
        .collect();
    let (first, last, carer) = (row[7], row[8], row[9]);
    let html = std::fs::read_to_string(letter).unwrap();
    for expected in [
        format!("<p>Dear {carer}, parent/carer of {first} {last},</p>"),
        format!("<p>{carer}<br />"),
        "What our records show: 3 consecutive school days marked {N, O}".to_string(),
        "<p>Attendance Lead<br />\nKing's Cross Academy</p>".to_string(),
        "please ask for Stephen Mitchell, Headteacher.".to_string(),
    ] {
        assert!(html.contains(&expected), "`{expected}` not in:\n{html}");
    }
    assert!(!html.contains("attendance_lead"), "an identifier: {html}");
    let r = render(letter, 0, &dir.path().join("shot"));
    assert_renders(&r, 0);
    let kept = keep(&r.png, "letter-screenshot.png");
    eprintln!("screenshot: {}", kept.display());
    // The day's printable file holds the same letter.
    let all = std::fs::read_to_string(letter.with_file_name("all.html")).unwrap();
    assert!(all.contains(&format!("parent/carer of {first} {last},")));
}
