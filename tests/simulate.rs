//! `attend simulate`: the in-memory cohort register equals the one read from the generated
//! CSV files, the figures are deterministic and add up, and the command writes its outputs.

use assert_cmd::Command;

use attend::generate::{self, Config, Phase};
use attend::register::{self, Input, ReadOptions};
use attend::simulate::{self, Minutes};
use attend::source::Source;
use attend::table::SchoolDays;
use attend::{analyse, table};

const CALENDAR: &str = include_str!("../policies/calendars/camden-2024-25.calendar");

fn tables(paths: &[&str]) -> Vec<table::DecisionTable> {
    let cal = Source::new("camden-2024-25.calendar", CALENDAR);
    paths
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).expect("policy");
            let src = Source::new(*p, text);
            let checked = analyse(&src, Some(&cal)).checked.expect("policy checks");
            table::compile(&checked).0
        })
        .collect()
}

fn cohort(n: usize, days: &SchoolDays) -> generate::Cohort {
    let dates: Vec<_> = (0..days.len())
        .take_while(|d| days.academic_year(*d) == days.academic_year(0))
        .map(|d| days.date(d))
        .collect();
    let config = Config {
        cohort: n,
        phase: Phase::Secondary,
        seed: 1,
    };
    generate::generate(&config, &dates)
}

#[test]
fn cohort_register_matches_the_csv_files() {
    let t = tables(&["policies/national.policy"]);
    let days = SchoolDays::new(&t[0].calendar);
    let c = cohort(60, &days);
    let direct = simulate::register_from_cohort(&c, &days);
    let options = ReadOptions::default();
    let pupils = register::read_pupils(&Input::bytes("pupils.csv", c.pupils_csv()), 10)
        .expect("pupils parse");
    let read = register::read_register(
        &Input::bytes("register.csv", c.register_csv()),
        &t[0].calendar,
        &days,
        Some(&pupils),
        None,
        &options,
    )
    .expect("register parses");
    assert!(direct.ids().eq(read.ids()));
    assert_eq!(direct.records(), read.records());
    assert_eq!(direct.span, read.span);
    // The reader holds the register's own days only; the cohort's register holds the
    // calendar's. Over the register's span they must agree mark for mark.
    let (first, last) = read.span.expect("the register has marks");
    for pupil in 0..read.len() {
        assert!(
            direct.marks_between(pupil, first, last) == read.marks_between(pupil, first, last),
            "marks of {} differ",
            read.id(pupil)
        );
    }
}

#[test]
fn figures_are_deterministic_and_add_up() {
    let t = tables(&[
        "policies/kings-cross-academy.policy",
        "policies/attendance-thresholds.policy",
    ]);
    let days = SchoolDays::new(&t[0].calendar);
    let reg = simulate::register_from_cohort(&cohort(60, &days), &days);
    let a = simulate::simulate(&t, &days, &reg, &Minutes::default());
    let b = simulate::simulate(&t, &days, &reg, &Minutes::default());
    assert_eq!(a, b);
    assert_eq!(a.pupils[0], 60);
    for p in &a.policies {
        let total: u64 = p.actions.values().map(|c| c[0]).sum();
        assert_eq!(total, p.weekly.iter().sum::<u64>(), "{}", p.name);
        assert!(p.reached.iter().all(|c| c[0] <= 60), "{}", p.name);
        assert_eq!(p.weeks.len(), a.weeks.len(), "a snapshot per week");
        assert!(!p.half_terms.is_empty());
    }
    let min = Minutes::default()
        .with(&["letter=15".to_string()])
        .expect("parses");
    assert_eq!(min.of("letter"), 15);
    assert!(Minutes::default().with(&["letter".to_string()]).is_err());
}

/// The weekly and half-term caseloads are gathered in the engine's one pass; each must be what
/// a run of the engine stopped at the end of its day gives. The run stopped at day `d` is a
/// register whose span ends at `d`, whose own last snapshot is taken from that run's summary.
#[test]
fn snapshots_gathered_in_one_pass_equal_runs_stopped_on_their_day() {
    let t = tables(&[
        "policies/national.policy",
        "policies/support-first-framework.policy",
        "policies/aspire-monitor-framework.policy",
    ]);
    let days = SchoolDays::new(&t[0].calendar);
    let reg = simulate::register_from_cohort(&cohort(80, &days), &days);
    let sim = simulate::simulate(&t, &days, &reg, &Minutes::default());
    let span = reg.span.expect("a span");
    for (table, figures) in t.iter().zip(&sim.policies) {
        let snapshots = figures.weeks.iter().chain(&figures.half_terms);
        let mut seen = 0;
        for s in snapshots {
            let mut stopped = reg.clone();
            stopped.span = Some((span.0, s.day));
            let outcome = attend::engine::run(table, &days, &stopped);
            let alone = simulate::compare(
                std::slice::from_ref(table),
                &[outcome],
                &days,
                &stopped,
                &Minutes::default(),
            );
            let last = alone.policies[0].half_terms.last().expect("the last day");
            assert_eq!(last, s, "{} on day {}", table.policy, s.day);
            seen += 1;
        }
        assert!(seen > 10, "{}: {seen} snapshots", table.policy);
    }
}

/// A policy whose bands leave a gap (above 80% to 90%), over ten school days of the bundled
/// calendar (5 to 18 September 2024), for four pupils written mark by mark.
const STAGES: &str = r#"policy "Stage counting" {
  calendar {
    session am opens 08:50 closes 09:20
    session pm opens 13:15 closes 13:45
  }
  stages {
    expect "attendance is good"
    formalise "formal support"
    enforce "enforcement"
  }
  bands "attendance" attendance over year_to_date {
    band ok "above 90%" 90% <..= 100% stage expect
    band poor "above 50% to 80%" 50% <..= 80% stage formalise
      on enter: contact "a call home", review "a look at the record"
    band severe "50% or below" 50% or below stage enforce
      on enter: home_visit "a visit"
  }
}
"#;

fn stage_counting(minutes: &Minutes) -> simulate::Simulation {
    let cal = Source::new("camden-2024-25.calendar", CALENDAR);
    let src = Source::new("stages.policy", STAGES);
    let checked = analyse(&src, Some(&cal)).checked.expect("compiles");
    let tables = vec![table::compile(&checked).0];
    let days = SchoolDays::new(&tables[0].calendar);
    let dates = [
        "2024-09-05",
        "2024-09-06",
        "2024-09-09",
        "2024-09-10",
        "2024-09-11",
        "2024-09-12",
        "2024-09-13",
        "2024-09-16",
        "2024-09-17",
        "2024-09-18",
    ];
    // A: present throughout. B: present 4 days, then absent. C: present 8 days, absent the
    // 9th morning and the 10th day. D: absent throughout.
    let pupils: [(&str, [&str; 10]); 4] = [
        ("A", ["//"; 10]),
        (
            "B",
            ["//", "//", "//", "//", "OO", "OO", "OO", "OO", "OO", "OO"],
        ),
        (
            "C",
            ["//", "//", "//", "//", "//", "//", "//", "//", "O/", "OO"],
        ),
        ("D", ["OO"; 10]),
    ];
    let mut csv = String::from("pupil_id,date,session,mark\n");
    for (id, marks) in pupils {
        for (date, m) in dates.iter().zip(marks) {
            let (am, pm) = m.split_at(1);
            csv.push_str(&format!("{id},{date},AM,{am}\n{id},{date},PM,{pm}\n"));
        }
    }
    let register = register::read_register(
        &Input::bytes("register.csv", csv.into_bytes()),
        &tables[0].calendar,
        &days,
        None,
        None,
        &ReadOptions::default(),
    )
    .expect("register parses");
    simulate::simulate(&tables, &days, &register, minutes)
}

#[test]
fn stages_are_counted_as_each_pupil_reaches_them_and_a_band_gap_is_no_stage() {
    let sim = stage_counting(&Minutes::default());
    let p = &sim.policies[0];
    // Attendance day by day (present / possible sessions):
    // A: 2/2 .. 20/20 = 100%: ok (expect) every day.
    // B: 8/8 = 100% (expect) for 4 days; day 5 8/10 = 80% (poor: formalise); day 6 8/12 =
    //    66.7%, day 7 8/14 = 57.1% (formalise); day 8 8/16 = 50% (severe: enforce); 8/18,
    //    8/20 (enforce).
    // C: 16/16 (expect); day 9 17/18 = 94.4% (expect); day 10 17/20 = 85%: in the gap between
    //    80% and 90%, in no band and so at no stage.
    // D: 0/2 .. 0/20 = 0%: severe (enforce) from the first day, never formalise.
    // Reaching expect: A, B, C = 3; formalise: B = 1; enforce: B, D = 2. (Counting "at
    // formalise or beyond" would give formalise 2 = enforce 2, the figure this replaces.)
    assert_eq!(p.reaching("expect").map(|c| c[0]), Some(3));
    assert_eq!(p.reaching("formalise").map(|c| c[0]), Some(1));
    assert_eq!(p.reaching("enforce").map(|c| c[0]), Some(2));
    // No rule puts a pupil at monitor: the policy does not have it in practice ("—").
    assert_eq!(p.reaching("monitor"), None);
    // On the last day: expect A; enforce B and D; C at no stage and in no band.
    let last = p.half_terms.last().expect("a snapshot");
    let at = |name: &str| p.stages.iter().position(|s| s == name).expect("stage");
    assert_eq!(last.stages[at("expect")][0], 1);
    assert_eq!(last.stages[at("formalise")][0], 0);
    assert_eq!(last.stages[at("enforce")][0], 2);
    assert_eq!(last.no_band[0], 1);
    assert_eq!(last.no_stage[0], 0);
    let band = |name: &str| {
        last.bands
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, c)| c[0])
    };
    assert_eq!(band("ok"), Some(1));
    assert_eq!(band("severe"), Some(2));
    assert_eq!(band(simulate::NO_BAND), Some(1));
}

#[test]
fn staff_time_counts_each_action_once_at_its_kinds_minutes() {
    // Actions: B enters poor on day 5 (contact 5 min + review 5 min) and severe on day 8
    // (home_visit 45 min); D enters severe on day 1 (home_visit 45 min); A and C none.
    // 5 + 5 + 45 + 45 = 100 minutes.
    let sim = stage_counting(&Minutes::default());
    let p = &sim.policies[0];
    assert_eq!(p.actions.get("home_visit").map(|c| c[0]), Some(2));
    assert_eq!(p.actions.get("contact").map(|c| c[0]), Some(1));
    assert_eq!(p.actions.get("review").map(|c| c[0]), Some(1));
    assert_eq!(p.minutes[0], 100);
    assert_eq!(p.minutes_by_kind.get("home_visit"), Some(&90));
    // With home visits at 60 minutes: 5 + 5 + 60 + 60 = 130.
    let min = Minutes::default()
        .with(&["home_visit=60".to_string()])
        .expect("a kind");
    assert_eq!(stage_counting(&min).policies[0].minutes[0], 130);
}

#[test]
fn minutes_for_a_kind_that_does_not_exist_are_refused_with_the_nearest() {
    let err = Minutes::default()
        .with(&["letters=999".to_string()])
        .expect_err("no kind `letters`");
    assert!(err.contains("did you mean `letter`?"), "{err}");
    let err = Minutes::default()
        .with(&["foo=5".to_string()])
        .expect_err("no kind `foo`");
    assert!(
        err.contains("`foo` in `foo=5` is not an action kind"),
        "{err}"
    );
    assert!(err.contains("letter, contact, meeting"), "{err}");
    assert!(Minutes::default().with(&["letter=x".to_string()]).is_err());
}

#[test]
fn simulate_prints_the_comparison_and_writes_its_files() {
    let out = tempfile::tempdir().expect("tempdir");
    let assert = Command::cargo_bin("attend")
        .expect("binary")
        .args([
            "simulate",
            "policies/corrected/kings-cross-academy.policy",
            "policies/corrected/attendance-thresholds.policy",
            "--cohort",
            "60",
            "--seed",
            "1",
            "--minutes",
            "letter=15",
            "--out",
        ])
        .arg(out.path())
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    assert!(stdout.contains("Actions by kind"));
    assert!(stdout.contains("Social worker"));
    let csv = std::fs::read_to_string(out.path().join("comparison.csv")).expect("csv");
    assert!(csv.starts_with("policy,file,measure,group,value,percent_of_group\n"));
    assert!(csv.contains(",reaching:enforce,sen,"), "{csv}");
    assert!(!csv.contains('%'), "numbers only: {csv}");
    // The defaults for staff time are stated beside its figures.
    assert!(
        stdout.contains("letter 15, contact 5, meeting 45"),
        "{stdout}"
    );
    let html = std::fs::read_to_string(out.path().join("report.html")).expect("html");
    assert!(html.contains("<svg"));
}

#[test]
fn simulate_names_each_policy_with_errors_and_refuses_unless_allow_errors() {
    let out = tempfile::tempdir().expect("tempdir");
    let args = [
        "simulate",
        "policies/kings-cross-academy.policy",
        "policies/corrected/attendance-thresholds.policy",
        "policies/three-stage-approach.policy",
        "--cohort",
        "20",
        "--seed",
        "1",
        "--out",
    ];
    let refused = Command::cargo_bin("attend")
        .expect("binary")
        .env("NO_COLOR", "1")
        .args(args)
        .arg(out.path())
        .output()
        .expect("runs");
    assert_eq!(refused.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    // The two seeds as written have errors (10 and 1, as `attend check` counts them); the
    // corrected policy has none and is not named.
    assert!(
        stderr.contains("`attend check policies/kings-cross-academy.policy --calendar policies/calendars/camden-2024-25.calendar` reports 10 errors"),
        "{stderr}"
    );
    assert!(
        stderr.contains("`attend check policies/three-stage-approach.policy --calendar policies/calendars/camden-2024-25.calendar` reports 1 error,"),
        "{stderr}"
    );
    assert!(!stderr.contains("corrected/attendance-thresholds.policy --calendar policies/calendars/camden-2024-25.calendar` reports 0 errors, 2 warnings and 0 info in this policy, so"), "{stderr}");
    assert!(
        !out.path().join("report.html").exists(),
        "nothing is written"
    );
    let allowed = Command::cargo_bin("attend")
        .expect("binary")
        .args(args)
        .arg(out.path())
        .arg("--allow-errors")
        .output()
        .expect("runs");
    assert!(
        allowed.status.success(),
        "{}",
        String::from_utf8_lossy(&allowed.stderr)
    );
    assert!(out.path().join("report.html").exists());
}

/// A school's own policy, with its term dates in its `calendar` block (`attend init`'s policy
/// with its `school.calendar` written in), and a register on those dates.
fn own_policy(dir: &std::path::Path) -> std::path::PathBuf {
    let init = dir.join("school");
    Command::cargo_bin("attend")
        .expect("binary")
        .args(["init", "--phase", "secondary", "--name", "Test School"])
        .arg(&init)
        .assert()
        .success();
    let calendar = std::fs::read_to_string(init.join("school.calendar")).expect("calendar");
    let start = calendar.find("calendar \"").expect("a calendar block");
    let open = start + calendar[start..].find('{').expect("opens") + 1;
    let close = calendar.rfind('}').expect("closes");
    let policy = std::fs::read_to_string(init.join("attendance.policy")).expect("policy");
    let session = "    session pm opens 13:15 closes 13:45\n";
    assert!(policy.contains(session), "init's register times changed");
    let own = policy.replacen(session, &format!("{session}{}", &calendar[open..close]), 1);
    let path = init.join("own.policy");
    std::fs::write(&path, own).expect("write");
    Command::cargo_bin("attend")
        .expect("binary")
        .args([
            "generate",
            "--cohort",
            "30",
            "--phase",
            "secondary",
            "-q",
            "--policy",
        ])
        .arg(&path)
        .arg("--out")
        .arg(dir.join("cohort"))
        .assert()
        .success();
    path
}

#[test]
fn a_schools_own_policy_and_register_run_on_its_calendar_without_calendar() {
    let dir = tempfile::tempdir().expect("tempdir");
    let policy = own_policy(dir.path());
    let out = Command::cargo_bin("attend")
        .expect("binary")
        .arg("simulate")
        .arg(&policy)
        .arg("--register")
        .arg(dir.path().join("cohort/register.csv"))
        .arg("--pupils")
        .arg(dir.path().join("cohort/pupils.csv"))
        .arg("--out")
        .arg(dir.path().join("sim"))
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The school's placeholder year is 2026-27; the bundled calendar ends in July 2026.
    assert!(
        stdout.contains("30 pupils, 2026-09-03 to 2027-07-20"),
        "{stdout}"
    );
}

#[test]
fn policies_on_different_calendars_are_refused_on_one_register() {
    let dir = tempfile::tempdir().expect("tempdir");
    let policy = own_policy(dir.path());
    let out = Command::cargo_bin("attend")
        .expect("binary")
        .arg("simulate")
        .arg(&policy)
        .arg("policies/corrected/attendance-thresholds.policy")
        .args(["--cohort", "10", "--out"])
        .arg(dir.path().join("sim"))
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("error[simulate::calendars_differ]: the policies' calendars differ:"),
        "{stderr}"
    );
    assert!(
        stderr.contains("runs on its own term dates (190 school days, 2026-09-03 to 2027-07-20)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("help: run every policy on the same calendar with `--calendar FILE`"),
        "{stderr}"
    );
    assert!(!dir.path().join("sim").exists(), "nothing is written");
}

#[test]
fn policies_of_one_name_are_told_apart_and_the_phase_follows_the_policies() {
    let dir = tempfile::tempdir().expect("tempdir");
    let copy = dir.path().join("kings-cross-draft.policy");
    let text =
        std::fs::read_to_string("policies/corrected/kings-cross-academy.policy").expect("policy");
    // The letters are found beside the policy: point them back at the repository's.
    let text = text.replace(
        "\"../letters/",
        &format!("\"{}/policies/letters/", env!("CARGO_MANIFEST_DIR")),
    );
    std::fs::write(&copy, text).expect("write");
    let out = Command::cargo_bin("attend")
        .expect("binary")
        .args(["simulate", "policies/corrected/kings-cross-academy.policy"])
        .arg(&copy)
        .args(["--cohort", "20", "--out"])
        .arg(dir.path().join("sim"))
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("(kings-cross-academy.policy)"), "{stdout}");
    assert!(stdout.contains("(kings-cross-draft.policy)"), "{stdout}");
    assert!(
        stdout.contains("0 errors, 2 warnings and 0 info"),
        "{stdout}"
    );
    // King's Cross Academy states `phase primary`: the cohort is a primary one.
    assert!(
        stdout.contains("Cohort: synthetic primary cohort of 20 pupils (seed 1)"),
        "{stdout}"
    );
    let html = std::fs::read_to_string(dir.path().join("sim/report.html")).expect("html");
    assert!(
        html.contains("synthetic primary cohort of 20 pupils"),
        "{html}"
    );
}

#[test]
fn the_help_states_the_default_minutes_in_force() {
    let out = Command::cargo_bin("attend")
        .expect("binary")
        .args(["simulate", "--help"])
        .output()
        .expect("runs");
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(
        help.contains(&format!("changes one): {}.", Minutes::default().describe())),
        "the help's minutes differ from simulate::DEFAULT_MINUTES:\n{help}"
    );
}

#[test]
fn policies_stating_different_phases_need_phase() {
    let dir = tempfile::tempdir().expect("tempdir");
    let copy = dir.path().join("secondary.policy");
    let text = std::fs::read_to_string("policies/corrected/kings-cross-academy.policy")
        .expect("policy")
        .replace("  phase primary\n", "  phase secondary\n")
        .replace(
            "\"../letters/",
            &format!("\"{}/policies/letters/", env!("CARGO_MANIFEST_DIR")),
        );
    std::fs::write(&copy, text).expect("write");
    let run = |extra: &[&str]| {
        Command::cargo_bin("attend")
            .expect("binary")
            .args(["simulate", "policies/corrected/kings-cross-academy.policy"])
            .arg(&copy)
            .args(["--cohort", "10", "--out"])
            .arg(dir.path().join("sim"))
            .args(extra)
            .output()
            .expect("runs")
    };
    let refused = run(&[]);
    assert_eq!(refused.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("error[simulate::phases_differ]: `policies/corrected/kings-cross-academy.policy` is a primary policy and"), "{stderr}");
    assert!(
        stderr.contains("help: choose it with `--phase primary` or `--phase secondary`"),
        "{stderr}"
    );
    let chosen = run(&["--phase", "secondary"]);
    assert!(
        chosen.status.success(),
        "{}",
        String::from_utf8_lossy(&chosen.stderr)
    );
    let stderr = String::from_utf8_lossy(&chosen.stderr);
    assert!(
        stderr.contains("note: `--phase` overrides the phase `policies/corrected/kings-cross-academy.policy` states"),
        "{stderr}"
    );
    assert!(
        String::from_utf8_lossy(&chosen.stdout)
            .contains("Cohort: synthetic secondary cohort of 10 pupils")
    );
}
