//! Coverage: how often each band, trigger, step and plan fired on a register, and the rules
//! that never fired (`attend run --coverage`, and the report's coverage section).

use assert_cmd::Command;

use attend::engine::{self, coverage::Part};
use attend::register::{self, Input, ReadOptions};
use attend::source::Source;
use attend::table::SchoolDays;
use attend::{analyse, table};

const CALENDAR: &str = include_str!("../policies/calendars/camden-2024-25.calendar");

/// Bands with a gap (above 80% to 90%), a trigger that cannot fire on ten school days, and a
/// two-step escalation.
const POLICY: &str = r#"policy "Coverage" {
  calendar {
    session am opens 08:50 closes 09:20
    session pm opens 13:15 closes 13:45
  }
  bands "attendance" attendance over year_to_date {
    band ok "above 90%" 90% <..= 100% stage expect
    band poor "above 50% to 80%" 50% <..= 80% stage formalise
      on enter: contact "a call home"
    band severe "50% or below" 50% or below stage enforce
      on enter: home_visit "a visit"
  }
  escalation "unexplained absence" days marked {O} {
    day 3: contact "a third day"
    day 20: home_visit "a twentieth day"
  }
  trigger "a term's absence" when count({O}, this_term) >= 100 sessions
    then review "a term of absence"
}
"#;

#[test]
fn coverage_counts_each_rule_and_flags_the_ones_that_never_fired() {
    let cal = Source::new("camden-2024-25.calendar", CALENDAR);
    let src = Source::new("coverage.policy", POLICY);
    let checked = analyse(&src, Some(&cal)).checked.expect("compiles");
    let table = table::compile(&checked).0;
    let days = SchoolDays::new(&table.calendar);
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
    // A present throughout; B present 4 days then absent (O) 6; C present 8 days, absent
    // the 9th morning and the 10th day; D absent throughout.
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
        &table.calendar,
        &days,
        None,
        None,
        &ReadOptions::default(),
    )
    .expect("register parses");
    let outcome = engine::run(&table, &days, &register);
    let cov = engine::coverage::coverage(&table, &outcome);
    let find = |name: &str| {
        cov.entries
            .iter()
            .find(|e| e.name() == name)
            .unwrap_or_else(|| panic!("no entry {name}: {cov:?}"))
    };
    // Attendance day by day: B 100% for 4 days, 80% on day 5 (poor), 50% on day 8
    // (severe); C 85% on day 10 (in the gap: no band); D 0% from day 1 (severe).
    // Pupils ever in a band: ok A, B, C = 3; poor B = 1; severe B, D = 2.
    assert_eq!(find("ok").pupils, 3);
    assert_eq!(find("poor").pupils, 1);
    assert_eq!(find("severe").pupils, 2);
    assert_eq!(find("severe").part, Part::Band);
    // Runs of whole days marked O: B's reaches 6 days, D's 10, C's 1 (day 10; day 9 is half
    // present). Day 3 fires for B and D = 2 times, 2 pupils; day 20 never.
    assert_eq!(
        (
            find("unexplained absence, day 3").fired,
            find("unexplained absence, day 3").pupils
        ),
        (2, 2)
    );
    assert!(find("unexplained absence, day 20").dead());
    // 100 sessions in a term cannot happen in 10 days (20 sessions at most).
    assert!(find("a term's absence").dead());
    let dead: Vec<String> = cov.dead().map(|e| e.name()).collect();
    assert_eq!(dead, ["unexplained absence, day 20", "a term's absence"]);
    // Every entry names its policy line.
    assert!(
        find("a term's absence")
            .line
            .starts_with("coverage.policy:")
    );
}

#[test]
fn run_coverage_prints_every_rule_with_its_line() {
    let out = Command::cargo_bin("attend")
        .expect("binary")
        .env("NO_COLOR", "1")
        .args([
            "run",
            "policies/corrected/kings-cross-academy.policy",
            "--calendar",
            "policies/calendars/camden-2024-25.calendar",
            "--register",
            "examples/data/register.csv",
            "--pupils",
            "examples/data/pupils.csv",
            "--coverage",
            "--no-ledger",
            "-q",
        ])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    insta::assert_snapshot!(String::from_utf8_lossy(&out.stdout));
}
