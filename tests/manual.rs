//! Shell completions and manual pages, generated from the clap definitions: every subcommand
//! is completed and has a page, and each page is well-formed roff that says what `--help` says.

use std::path::Path;

use assert_cmd::Command;
use clap::CommandFactory;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn attend(dir: &Path, args: &[&str]) -> Run {
    let out = Command::new(assert_cmd::cargo::cargo_bin!("attend"))
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .expect("the binary runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Every subcommand as a path of names (`["calendar", "import"]`), from the definitions the
/// binary is built from, so a new command is covered without editing this test.
fn subcommands() -> Vec<Vec<String>> {
    fn walk(command: &clap::Command, above: &[String], out: &mut Vec<Vec<String>>) {
        for sub in command.get_subcommands() {
            let mut path = above.to_vec();
            path.push(sub.get_name().to_string());
            out.push(path.clone());
            walk(sub, &path, out);
        }
    }
    let mut out = Vec::new();
    walk(&attend::cli::Cli::command(), &[], &mut out);
    assert!(out.len() > 10, "{out:?}");
    out
}

#[test]
fn the_bash_completion_completes_every_subcommand() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let run = attend(dir.path(), &["completions", "bash"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let script = run.stdout;
    assert!(script.contains("complete -F _attend"), "{script}");
    for path in subcommands() {
        // clap_complete's bash script names the command reached by each word as a `case` arm:
        // `attend,check)` for `attend check`, `attend__subcmd__calendar,import)` below it.
        let (last, above) = path.split_last().expect("a name");
        let parent = std::iter::once("attend".to_string())
            .chain(above.iter().cloned())
            .collect::<Vec<_>>()
            .join("__subcmd__");
        let arm = format!("{parent},{last})");
        assert!(script.contains(&arm), "no `{arm}` in the bash completion");
    }
    // The values a flag takes are completed too.
    assert!(script.contains("alternative_provision"), "--phase's values");
}

#[test]
fn every_shell_gets_a_script_naming_every_subcommand() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let run = attend(dir.path(), &["completions", shell]);
        assert_eq!(run.code, 0, "{shell}: {}", run.stderr);
        for path in subcommands() {
            let name = path.last().expect("a name");
            assert!(
                run.stdout.contains(name.as_str()),
                "{shell}: `{name}` not completed"
            );
        }
    }
    let unknown = attend(dir.path(), &["completions", "tcsh"]);
    assert_eq!(unknown.code, 2);
    assert!(
        unknown
            .stderr
            .contains("[possible values: bash, elvish, fish, powershell, zsh]"),
        "{}",
        unknown.stderr
    );
}

/// The roff requests clap_mangen writes; a page that used any other would render with
/// stray text, so every request line must be one of these.
const REQUESTS: &[&str] = &[
    ".TH", ".SH", ".TP", ".PP", ".IP", ".RS", ".RE", ".br", ".ie", ".el", ".nf", ".fi", ".sp",
];

fn well_formed(name: &str, roff: &str) {
    let mut lines = roff.lines();
    assert_eq!(lines.next(), Some(".ie \\n(.g .ds Aq \\(aq"), "{name}");
    assert!(roff.contains("\n.TH "), "{name}: no title");
    for line in roff.lines().filter(|l| l.starts_with('.')) {
        let request = line.split_whitespace().next().unwrap_or_default();
        assert!(
            REQUESTS.contains(&request),
            "{name}: unknown request `{line}`"
        );
    }
    for section in [".SH NAME", ".SH SYNOPSIS", ".SH DESCRIPTION", ".SH OPTIONS"] {
        assert!(roff.contains(section), "{name}: no `{section}`");
    }
    // Every `.RS` is closed, or the rest of the page is indented.
    assert_eq!(
        roff.matches("\n.RS").count(),
        roff.matches("\n.RE").count(),
        "{name}"
    );
}

#[test]
fn man_out_writes_attend_1_and_a_page_per_subcommand() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let run = attend(dir.path(), &["man", "--out", "man/man1"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let folder = dir.path().join("man/man1");
    let mut expected: Vec<String> = subcommands()
        .into_iter()
        .filter(|path| path.last().is_some_and(|n| n != "help"))
        .map(|path| format!("attend-{}.1", path.join("-")))
        .collect();
    expected.push("attend.1".to_string());
    expected.sort();
    let mut written: Vec<String> = std::fs::read_dir(&folder)
        .expect("the folder was made")
        .map(|e| {
            e.expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    written.sort();
    assert_eq!(written, expected);
    assert_eq!(
        run.stderr,
        format!("wrote {} manual pages in man/man1\n", expected.len())
    );

    for name in &written {
        let roff = std::fs::read_to_string(folder.join(name)).expect("a page");
        well_formed(name, &roff);
    }
    let main = std::fs::read_to_string(folder.join("attend.1")).expect("attend.1");
    assert!(main.contains(".TH attend 1 "), "{main}");
    assert!(
        main.contains("attend \\- Compile and validate English school attendance policies"),
        "{main}"
    );
    // The main page lists each command's page.
    assert!(main.contains(".SH SUBCOMMANDS"), "{main}");
    for path in subcommands()
        .iter()
        .filter(|p| p.len() == 1 && p[0] != "help")
    {
        let page = format!("attend\\-{}(1)", path[0]);
        assert!(main.contains(&page), "attend.1 does not list {page}");
    }
    // A command's page has its flags, their help and its examples.
    let init = std::fs::read_to_string(folder.join("attend-init.1")).expect("attend-init.1");
    assert!(
        init.contains(&format!(
            ".TH attend-init 1  \"attend {}\"",
            env!("CARGO_PKG_VERSION")
        )),
        "{init}"
    );
    assert!(init.contains("\\fB\\-\\-phase\\fR"), "{init}");
    assert!(init.contains("alternative_provision"), "{init}");
    assert!(
        init.contains("attend init \\-\\-phase primary \\-\\-name \"Test School\""),
        "{init}"
    );
    let nested = std::fs::read_to_string(folder.join("attend-calendar-import.1"))
        .expect("attend-calendar-import.1");
    assert!(nested.contains(".TH attend-calendar-import 1 "), "{nested}");

    // Without --out the main page goes to standard output, the same as the file.
    let printed = attend(dir.path(), &["man"]);
    assert_eq!(printed.code, 0, "{}", printed.stderr);
    assert_eq!(printed.stdout, main);
}

#[test]
fn man_out_into_a_file_is_an_error_naming_it() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    std::fs::write(dir.path().join("taken"), "").expect("writable");
    let run = attend(dir.path(), &["man", "--out", "taken/man1"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .starts_with("error: cannot create `taken/man1`: "),
        "{}",
        run.stderr
    );
}
