//! Bad register input: each problem names the file, line and column, with "did you mean"
//! for codes; `--keep-going` reports every bad row up to the limit. One snapshot per case,
//! the problems rendered as the terminal shows them.

use attend::register::{self, Input, ReadOptions};
use attend::source::Source;
use attend::table::SchoolDays;

const CALENDAR: &str =
    "calendar \"2024-25\" {\n  term autumn 2024-09-02 .. 2024-09-06\n  inset 2024-09-04\n}\n";
const PUPILS: &str = "pupil_id,date_of_birth,year_group\nP1,2015-05-01,4\nP2,2015-05-01,4\n";

/// Every session of P1 and P2 except the ones a case changes.
fn full_register() -> Vec<String> {
    let mut rows = vec!["pupil_id,date,session,mark".to_string()];
    for d in ["2024-09-02", "2024-09-03", "2024-09-05", "2024-09-06"] {
        for p in ["P1", "P2"] {
            rows.push(format!("{p},{d},AM,/"));
            rows.push(format!("{p},{d},PM,\\"));
        }
    }
    rows
}

fn problems(register: &str, keep_going: bool, with_pupils: bool) -> String {
    let policy = Source::new("p.policy", "policy \"p\" { extends national }");
    let calendar = Source::new("c.calendar", CALENDAR);
    let analysis = attend::analyse(&policy, Some(&calendar));
    let Some(checked) = analysis.checked else {
        return "policy did not check".into();
    };
    let (table, _) = attend::table::compile(&checked);
    let days = SchoolDays::new(&table.calendar);
    let options = ReadOptions {
        keep_going,
        max_errors: 5,
        ..ReadOptions::default()
    };
    let pupils =
        register::read_pupils(&Input::bytes("pupils.csv", PUPILS.as_bytes().to_vec()), 5).ok();
    let pupils = if with_pupils { pupils } else { None };
    let input = Input::bytes("register.csv", register.as_bytes().to_vec());
    match register::read_register(
        &input,
        &table.calendar,
        &days,
        pupils.as_ref(),
        None,
        &options,
    ) {
        Ok(r) => format!("accepted: {} pupils, {} sessions\n", r.len(), r.sessions()),
        Err(problems) => problems.iter().map(ToString::to_string).collect(),
    }
}

fn with(change: impl Fn(&mut Vec<String>)) -> String {
    let mut rows = full_register();
    change(&mut rows);
    rows.join("\n") + "\n"
}

#[test]
fn bad_input() {
    let cases: Vec<(&str, String, bool, bool)> = vec![
        ("clean", with(|_| {}), false, true),
        ("unknown_code_lower_case", with(|r| r[3] = "P1,2024-09-02,PM,n".into()), false, true),
        ("unknown_code_two_characters", with(|r| r[3] = "P1,2024-09-02,PM,Y8".into()), false, true),
        ("retired_code", with(|r| r[3] = "P1,2024-09-02,PM,H".into()), false, true),
        ("bad_date", with(|r| r[3] = "P1,2024-09-31,PM,/".into()), false, true),
        ("mark_on_inset_day", with(|r| r.push("P1,2024-09-04,AM,/".into())), false, true),
        ("mark_outside_calendar", with(|r| r.push("P1,2024-09-09,AM,/".into())), false, true),
        ("hash_on_closed_day_is_fine", with(|r| r.push("P1,2024-09-04,AM,#".into())), false, true),
        ("duplicate", with(|r| r.push("P2,2024-09-03,AM,N".into())), false, true),
        ("missing_session", with(|r| { r.remove(3); }), false, true),
        ("pupil_not_in_pupils_file", with(|r| r.push("P9,2024-09-02,AM,/".into())), false, true),
        ("malformed_row", with(|r| r[5] = "P1,2024-09-03,AM".into()), false, true),
        ("bad_session", with(|r| r[5] = "P1,2024-09-03,XM,/".into()), false, true),
        ("comment_is_not_shown", "pupil_id,date,session,mark,comment\nP1,2024-09-02,AM,q,\"private, about the family\"\n".into(), false, true),
        ("not_csv_at_all", "\u{0}\u{1}PNG\u{0}binary".into(), false, true),
        ("not_a_register", "name,score\nA,1\n".into(), false, true),
        (
            "keep_going_reports_every_bad_row",
            with(|r| {
                r[3] = "P1,2024-09-02,PM,n".into();
                r[5] = "P1,2024-09-03,AM,Q9".into();
                r[7] = "P2,2024-09-03,XX,/".into();
                r.push("P2,2024-13-01,AM,/".into());
            }),
            true,
            true,
        ),
        ("without_a_pupils_file_any_id", with(|r| r.push("P9,2024-09-02,AM,/".into())), false, false),
    ];
    let mut out = String::new();
    for (name, register, keep_going, with_pupils) in cases {
        out.push_str(&format!(
            "=== {name}\n{}\n",
            problems(&register, keep_going, with_pupils)
        ));
    }
    insta::assert_snapshot!(out);
}
