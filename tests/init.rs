//! `attend init` as a new user runs it: the policy it writes for a primary and a secondary
//! school passes `attend check` with no finding, is in canonical form, and `attend run` runs it
//! on the bundled example register; every phase checks clean; an unknown phase, a missing
//! value, a file already there and a folder that cannot be made are refused with what to do.

use std::path::Path;

use assert_cmd::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// The binary in `dir`, with no terminal on standard input (as CI and scripts run it) and the
/// day fixed, since the calendar skeleton's year and the ratification date come from it.
fn attend(dir: &Path, args: &[&str]) -> Run {
    let out = Command::new(assert_cmd::cargo::cargo_bin!("attend"))
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("ATTEND_TODAY", "2026-12-02")
        .args(args)
        .output()
        .expect("the binary runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

const WRITTEN: [&str; 5] = [
    "attendance.policy",
    "school.calendar",
    "attend.toml",
    "letters/concern.md",
    "letters/three-day.md",
];

/// `attend check` in the folder, as the next step `init` prints: it reads attend.toml, so the
/// policy is checked against the skeleton's term dates. No finding at all, not only no error.
fn checks_clean(dir: &Path) {
    let check = attend(dir, &["check", "attendance.policy"]);
    assert_eq!(check.code, 0, "{}{}", check.stdout, check.stderr);
    assert!(
        check
            .stderr
            .contains("checked 1 policy: 0 errors, 0 warnings and 0 info"),
        "{}{}",
        check.stdout,
        check.stderr
    );
    let fmt = attend(
        dir,
        &["fmt", "--check", "attendance.policy", "school.calendar"],
    );
    assert_eq!(fmt.code, 0, "not in canonical form: {}", fmt.stderr);
}

/// `attend run` on the bundled example register (2024-25), with the bundled calendar of that
/// year, as README's run example does.
fn runs_on_the_example_register(dir: &Path) -> String {
    let calendar = root().join("policies/calendars/camden-2024-25.calendar");
    let register = root().join("examples/data/register.csv");
    let pupils = root().join("examples/data/pupils.csv");
    let run = attend(
        dir,
        &[
            "run",
            "attendance.policy",
            "--calendar",
            calendar.to_str().expect("UTF-8 path"),
            "--register",
            register.to_str().expect("UTF-8 path"),
            "--pupils",
            pupils.to_str().expect("UTF-8 path"),
            "--out",
            "out",
        ],
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    // The policy's own rules fired, not only the national ones.
    let actions = read(&dir.join("out/actions.csv"));
    for action in [
        ",unexplained absence,contact,",
        ",unexplained absence,letter:three-day,",
        ",concern,letter:concern,",
        ",persistent,meeting:attendance,",
    ] {
        assert!(actions.contains(action), "no `{action}` in\n{actions}");
    }
    // The letters render from the templates init wrote, signed by the role it named.
    let letters: Vec<_> = walk(&dir.join("out/letters"))
        .into_iter()
        .filter(|p| p.to_string_lossy().ends_with("-concern.md"))
        .collect();
    let letter = read(letters.first().expect("a concern letter"));
    assert!(letter.starts_with("# Attendance concern\n"), "{letter}");
    assert!(letter.contains("Attendance lead\\"), "{letter}");
    actions
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).expect("a folder").flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(walk(&path));
        } else {
            found.push(path);
        }
    }
    found.sort();
    found
}

#[test]
fn a_primary_policy_checks_clean_and_runs_on_the_example_register() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let init = attend(
        dir.path(),
        &["init", "--phase", "primary", "--name", "Test School"],
    );
    assert_eq!(init.code, 0, "{}", init.stderr);
    assert!(init.stderr.is_empty(), "{}", init.stderr);
    insta::assert_snapshot!("init_next_steps", init.stdout);
    for name in WRITTEN {
        assert!(dir.path().join(name).is_file(), "{name} not written");
    }
    insta::assert_snapshot!(
        "init_primary_policy",
        read(&dir.path().join("attendance.policy"))
    );
    insta::assert_snapshot!(
        "init_primary_calendar",
        read(&dir.path().join("school.calendar"))
    );
    insta::assert_snapshot!("init_config", read(&dir.path().join("attend.toml")));
    checks_clean(dir.path());
    runs_on_the_example_register(dir.path());
}

#[test]
fn a_secondary_policy_with_a_urn_checks_clean_and_runs() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let init = attend(
        dir.path(),
        &[
            "init",
            "school",
            "--phase",
            "secondary",
            "--name",
            "St Anne's \"Academy\"",
            "--urn",
            "123456",
        ],
    );
    assert_eq!(init.code, 0, "{}", init.stderr);
    let school = dir.path().join("school");
    let policy = read(&school.join("attendance.policy"));
    // The name is quoted as the language reads it back; the secondary school day and roles.
    assert!(
        policy.contains("policy \"St Anne's \\\"Academy\\\"\" {"),
        "{policy}"
    );
    assert!(policy.contains("\n  urn 123456\n"), "{policy}");
    assert!(policy.contains("\n  phase secondary\n"), "{policy}");
    assert!(
        policy.contains("session am opens 08:30 late_after 08:40 closes 09:00"),
        "{policy}"
    );
    assert!(policy.contains("by head_of_year"), "{policy}");
    insta::assert_snapshot!("init_secondary_policy", policy);
    checks_clean(&school);
    runs_on_the_example_register(&school);
    // The summary names the school and its URN, from what init wrote.
    let summary = attend(
        &school,
        &["check", "attendance.policy", "--summary", "--format", "csv"],
    );
    assert!(
        summary.stdout.contains("St Anne's \"\"Academy\"\"") && summary.stdout.contains("123456"),
        "{}",
        summary.stdout
    );
}

#[test]
fn every_phase_and_a_year_with_a_late_easter_check_clean() {
    let phases = [
        "nursery",
        "primary",
        "middle",
        "secondary",
        "all_through",
        "special",
        "alternative_provision",
    ];
    for phase in phases {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let init = attend(
            dir.path(),
            &["init", "--phase", phase, "--name", "A School"],
        );
        assert_eq!(init.code, 0, "{phase}: {}", init.stderr);
        checks_clean(dir.path());
    }
    // Easter 2038 is 25 April, the latest it can be: the summer term starts in May.
    let dir = tempfile::tempdir().expect("a temporary folder");
    let init = attend(
        dir.path(),
        &[
            "init", "--phase", "primary", "--name", "A School", "--year", "2037",
        ],
    );
    assert_eq!(init.code, 0, "{}", init.stderr);
    let calendar = read(&dir.path().join("school.calendar"));
    assert!(calendar.contains("calendar \"2037-38\" {"), "{calendar}");
    assert!(
        calendar.contains("term summer 2038-05-03 .. "),
        "{calendar}"
    );
    checks_clean(dir.path());
}

#[test]
fn an_unknown_phase_is_refused_with_the_phases_there_are() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let init = attend(
        dir.path(),
        &["init", "--phase", "college", "--name", "Test School"],
    );
    assert_eq!(init.code, 2);
    insta::assert_snapshot!("init_unknown_phase", init.stderr);
    assert!(
        std::fs::read_dir(dir.path())
            .expect("a folder")
            .next()
            .is_none()
    );
}

#[test]
fn a_missing_value_without_a_terminal_names_the_flag_to_pass() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let no_phase = attend(dir.path(), &["init", "--name", "Test School"]);
    assert_eq!(no_phase.code, 2);
    let no_name = attend(dir.path(), &["init", "--phase", "primary"]);
    assert_eq!(no_name.code, 2);
    let empty_name = attend(dir.path(), &["init", "--phase", "primary", "--name", "  "]);
    assert_eq!(empty_name.code, 2);
    let two_lines = attend(
        dir.path(),
        &["init", "--phase", "primary", "--name", "Test\nSchool"],
    );
    assert_eq!(two_lines.code, 2);
    insta::assert_snapshot!(
        "init_missing_values",
        [no_phase, no_name, empty_name, two_lines]
            .map(|r| r.stderr)
            .join("---\n")
    );
    assert!(
        std::fs::read_dir(dir.path())
            .expect("a folder")
            .next()
            .is_none()
    );
}

#[test]
fn an_existing_file_is_kept_unless_force() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    std::fs::write(dir.path().join("attend.toml"), "deny = \"warning\"\n").expect("writable");
    let init = attend(
        dir.path(),
        &["init", "--phase", "primary", "--name", "Test School"],
    );
    assert_eq!(init.code, 2);
    insta::assert_snapshot!("init_existing_file", init.stderr);
    // Nothing was written, and the school's file is as it was.
    assert_eq!(
        read(&dir.path().join("attend.toml")),
        "deny = \"warning\"\n"
    );
    assert!(!dir.path().join("attendance.policy").exists());

    let forced = attend(
        dir.path(),
        &[
            "init",
            "--phase",
            "primary",
            "--name",
            "Test School",
            "--force",
        ],
    );
    assert_eq!(forced.code, 0, "{}", forced.stderr);
    assert!(read(&dir.path().join("attend.toml")).contains("calendar = \"school.calendar\""));
    checks_clean(dir.path());
}

#[test]
fn a_folder_that_cannot_be_made_is_an_error_naming_it() {
    // A file where the folder would go: refused whoever runs the test (root included, for
    // whom permission bits would not stop the write).
    let dir = tempfile::tempdir().expect("a temporary folder");
    std::fs::write(dir.path().join("taken"), "").expect("writable");
    let init = attend(
        dir.path(),
        &[
            "init",
            "taken/school",
            "--phase",
            "primary",
            "--name",
            "Test School",
        ],
    );
    assert_eq!(init.code, 2);
    assert!(
        init.stderr
            .starts_with("error: cannot create the folder `taken/school`: "),
        "{}",
        init.stderr
    );
    assert!(init.stdout.is_empty(), "{}", init.stdout);
}

#[cfg(unix)]
#[test]
fn files_are_written_with_the_users_umask() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("a temporary folder");
    let binary = assert_cmd::cargo::cargo_bin!("attend");
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "umask 027 && exec '{}' -q init --phase primary --name 'Test School'",
            binary.display()
        ))
        .current_dir(dir.path())
        .env("ATTEND_TODAY", "2026-12-02")
        .stdin(std::process::Stdio::null())
        .status()
        .expect("sh runs");
    assert!(status.success());
    for name in WRITTEN {
        let mode = std::fs::metadata(dir.path().join(name))
            .expect("written")
            .permissions()
            .mode();
        // 0666 less the umask 027: 0640.
        assert_eq!(mode & 0o777, 0o640, "{name}: {:o}", mode & 0o777);
    }
    // No temporary file is left beside them.
    let left: Vec<_> = walk(dir.path())
        .into_iter()
        .filter(|p| p.to_string_lossy().contains(".attend-"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}
