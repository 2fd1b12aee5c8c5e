//! `attend test`: finds each policy's tests (`NAME.policy.test` beside `NAME.policy`), runs
//! them through the engine and prints, for each failure, the expected and actual actions per
//! pupil and day and the trace that led there; a summary line closes the run.

use std::path::{Path, PathBuf};

use super::{EXIT_FAILURE, EXIT_FINDINGS, EXIT_OK, bundled_calendar, fs, show_errors};
use crate::diagnostic::{Diagnostic, Problem};
use crate::policy_test::{self, TestFile};
use crate::table::SchoolDays;
use crate::{analyse, table};

#[derive(clap::Args, Debug, Clone)]
#[command(after_help = "Examples:\n  attend test policies/\n  \
    attend test policies/kings-cross-academy.policy\n  \
    attend test school.policy.test --filter letter\n\n\
    A policy's tests are in the file named as the policy with `.test` after it \
    (`school.policy.test`); docs/testing.md describes the format.\n\
    Exit status: 0 every test passed, 1 a test failed (or its policy does not compile), \
    2 a test file is malformed or unreadable, or there are no tests to run.")]
pub struct TestArgs {
    /// Test files, policies (their tests beside them), or folders searched for both
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Run only the tests whose name contains this text
    #[arg(long, value_name = "TEXT")]
    pub filter: Option<String>,
}

/// The counts the closing line gives.
#[derive(Default)]
struct Tally {
    files: usize,
    passed: usize,
    failed: usize,
    /// Test files that are malformed or unreadable, or whose policy cannot be found.
    broken: usize,
}

pub fn run(args: &TestArgs) -> u8 {
    let started = std::time::Instant::now();
    let (tests, untested) = match discover(&args.paths) {
        Ok(found) => found,
        Err(code) => return code,
    };
    let mut tally = Tally::default();
    for path in &tests {
        run_file(path, args.filter.as_deref(), &mut tally);
    }
    if !super::progress::quiet() {
        for policy in &untested {
            println!("{}: no tests", policy.display());
        }
    }
    let ran = tally.passed + tally.failed;
    if ran == 0 && tally.broken == 0 {
        let why = match &args.filter {
            Some(text) => format!("no test's name contains `{text}`"),
            None => "no test files found".into(),
        };
        eprintln!(
            "error[test::nothing_to_run]: {why}\n  = help: a policy's tests go beside it, in `NAME.policy.test` (docs/testing.md)"
        );
        return EXIT_FAILURE;
    }
    let verdict = if tally.failed > 0 || tally.broken > 0 {
        "FAILED"
    } else {
        "ok"
    };
    let broken = match tally.broken {
        0 => String::new(),
        1 => ", 1 test file not run".into(),
        n => format!(", {n} test files not run"),
    };
    println!(
        "test result: {verdict}. {} passed, {} failed{broken}; {ran} {} in {} {}, {:.2}s",
        tally.passed,
        tally.failed,
        super::plural(ran, "test", "tests"),
        tally.files,
        super::plural(tally.files, "file", "files"),
        started.elapsed().as_secs_f64()
    );
    if tally.broken > 0 {
        EXIT_FAILURE
    } else if tally.failed > 0 {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }
}

/// The test files named or found under the paths, and the policies found with none.
fn discover(paths: &[PathBuf]) -> Result<(Vec<PathBuf>, Vec<PathBuf>), u8> {
    let mut tests = Vec::new();
    let mut policies = Vec::new();
    for path in paths {
        if path.is_dir() {
            let walk = walkdir::WalkDir::new(path)
                .sort_by_file_name()
                .into_iter()
                .filter_entry(|e| {
                    e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.')
                });
            for entry in walk {
                let entry = entry.map_err(|e| {
                    show_errors(&[*fs::unreadable(&path.display(), &e)]);
                    EXIT_FAILURE
                })?;
                if entry.file_type().is_file() && is_test_file(entry.path()) {
                    tests.push(entry.path().to_path_buf());
                }
            }
            policies.extend(super::check::policies_under(path).map_err(|d| {
                show_errors(&[*d]);
                EXIT_FAILURE
            })?);
        } else if is_test_file(path) {
            tests.push(path.clone());
        } else {
            let beside = test_file_of(path);
            if beside.is_file() {
                tests.push(beside);
            } else if path.is_file() {
                policies.push(path.clone());
            } else {
                show_errors(&[*fs::unreadable(&path.display(), &"no such file or folder")]);
                return Err(EXIT_FAILURE);
            }
        }
    }
    // A test file named twice (a folder and a policy in it) runs once.
    let mut seen = std::collections::HashSet::new();
    tests.retain(|t| seen.insert(t.clone()));
    // A policy is tested when a test file is named for it; one a `policy:` line names
    // elsewhere is still listed, which says to keep a policy's tests beside it.
    let untested = policies
        .into_iter()
        .filter(|p| !tests.contains(&test_file_of(p)))
        .collect();
    Ok((tests, untested))
}

fn is_test_file(path: &Path) -> bool {
    path.to_string_lossy().ends_with(policy_test::EXTENSION)
}

/// `school.policy` → `school.policy.test`.
fn test_file_of(policy: &Path) -> PathBuf {
    let mut name = policy.as_os_str().to_os_string();
    name.push(policy_test::EXTENSION);
    PathBuf::from(name)
}

/// Runs one test file's tests, printing each failure and the file's line.
fn run_file(path: &Path, filter: Option<&str>, tally: &mut Tally) {
    tally.files += 1;
    let source = match fs::read_source(path) {
        Ok(source) => source,
        Err(d) => {
            show_errors(&[*d]);
            tally.broken += 1;
            return;
        }
    };
    let file = match policy_test::parse(&source) {
        Ok(file) => file,
        Err(errors) => {
            show_errors(&errors);
            tally.broken += 1;
            return;
        }
    };
    let Some((table, days)) = compile(path, &file, tally) else {
        return;
    };
    let (mut passed, mut failed, mut broken) = (0, 0, false);
    for case in &file.cases {
        if filter.is_some_and(|f| !case.name.contains(f)) {
            continue;
        }
        match policy_test::run_case(&file, case, &table, &days) {
            Ok(result) if result.passed() => passed += 1,
            Ok(result) => {
                failed += 1;
                let place = format!("{}:{}", source.name(), case.loc.line_col().0);
                let text = policy_test::failure_text(&place, case, &result);
                print!(
                    "{}",
                    if super::color_stdout() {
                        paint(&text)
                    } else {
                        text
                    }
                );
            }
            Err(errors) => {
                show_errors(&errors);
                broken = true;
            }
        }
    }
    tally.passed += passed;
    tally.failed += failed;
    if broken {
        tally.broken += 1;
    }
    let mut line = format!("{}: {} passed", path.display(), passed);
    if failed > 0 {
        line.push_str(&format!(", {failed} failed"));
    }
    if broken {
        line.push_str(", some not run (errors above)");
    }
    // `--quiet` keeps the failures and the closing line.
    if !super::progress::quiet() || failed > 0 || broken {
        println!("{line}");
    }
}

/// The test file's policy compiled, over the test file's calendar, else the policy's own
/// term dates, else the bundled calendar.
fn compile(
    path: &Path,
    file: &TestFile,
    tally: &mut Tally,
) -> Option<(table::DecisionTable, SchoolDays)> {
    let dir = path.parent().unwrap_or(Path::new(""));
    let policy_path = match &file.policy {
        Some(word) => dir.join(&word.text),
        None => PathBuf::from(
            path.to_string_lossy()
                .strip_suffix(policy_test::EXTENSION)
                .unwrap_or_default(),
        ),
    };
    let load = |p: &Path, word: Option<&policy_test::Word>| match fs::read_source(p) {
        Ok(src) => Some(src),
        Err(d) => {
            let d = match word {
                Some(w) => {
                    let mut placed = UnknownFile(p.display().to_string()).at(&w.loc);
                    placed.message = d.message;
                    placed
                }
                None => *d,
            };
            show_errors(&[d]);
            None
        }
    };
    let Some(policy) = load(&policy_path, file.policy.as_ref()) else {
        tally.broken += 1;
        return None;
    };
    let calendar = match &file.calendar {
        Some(word) => match load(&dir.join(&word.text), Some(word)) {
            Some(src) => Some(src),
            None => {
                tally.broken += 1;
                return None;
            }
        },
        None => None,
    };
    // The policy's errors when it does not compile: the model's, or the table's.
    let compiled = |calendar: Option<&crate::source::Source>| {
        let errors = |found: Vec<Diagnostic>| -> Vec<Diagnostic> {
            found.into_iter().filter(Diagnostic::is_error).collect()
        };
        let analysis = analyse(&policy, calendar);
        let Some(checked) = analysis.checked else {
            return Err(errors(analysis.diagnostics));
        };
        let (table, diagnostics) = table::compile(&checked);
        if diagnostics.iter().any(Diagnostic::is_error) {
            return Err(errors(diagnostics));
        }
        Ok(table)
    };
    let mut table = compiled(calendar.as_ref());
    if calendar.is_none() && table.as_ref().is_ok_and(|t| !t.calendar.has_dates()) {
        table = compiled(Some(&bundled_calendar()));
    }
    let table = match table {
        Ok(table) => table,
        Err(errors) => {
            show_errors(&errors);
            eprintln!(
                "error: `{}` does not compile, so none of the tests in `{}` can run",
                policy_path.display(),
                path.display()
            );
            tally.failed += file.cases.len();
            return None;
        }
    };
    let days = SchoolDays::new(&table.calendar);
    Some((table, days))
}

/// A file a `policy:` or `calendar:` line names that cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("cannot read `{0}`")]
struct UnknownFile(String);

impl Problem for UnknownFile {
    fn code(&self) -> &'static str {
        "test::unreadable"
    }
    fn help(&self) -> Option<String> {
        Some("the path is relative to the test file's folder".into())
    }
}

/// A failure as a terminal shows it: `FAIL` bold red, expected actions (`-`) red, actual ones
/// (`+`) green.
fn paint(text: &str) -> String {
    const RED: &str = "\x1b[31m";
    const GREEN: &str = "\x1b[32m";
    const BOLD_RED: &str = "\x1b[1;31m";
    const RESET: &str = "\x1b[0m";
    let mut out = String::with_capacity(text.len() + 64);
    for line in text.lines() {
        let colour = if line.starts_with("FAIL ") {
            Some(BOLD_RED)
        } else if line.starts_with("    - ") {
            Some(RED)
        } else if line.starts_with("    + ") {
            Some(GREEN)
        } else {
            None
        };
        match colour {
            Some(c) => out.push_str(&format!("{c}{line}{RESET}\n")),
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::paint;

    #[test]
    fn only_the_verdict_and_the_diff_lines_are_coloured() {
        let text = "FAIL t:1: x\n  P1 2024-09-09\n      contact\n    - letter:a\n    + letter:b\n";
        assert_eq!(
            paint(text),
            "\x1b[1;31mFAIL t:1: x\x1b[0m\n  P1 2024-09-09\n      contact\n\
             \x1b[31m    - letter:a\x1b[0m\n\x1b[32m    + letter:b\x1b[0m\n"
        );
    }
}
