//! Schedules and triggers looked at on some days only: the rows the table compiles them to,
//! and the normal form of a schedule negated (each row's comparison turned round in its own
//! period, and every period without a row holding).

use attend::model::normal;
use attend::source::Source;
use attend::syntax::ast::File;

fn policy(text: &str) -> attend::model::Policy {
    let src = Source::new("t.policy", text);
    let Ok(File::Policy(ast)) = attend::syntax::parse(&src) else {
        panic!("parses");
    };
    let (policy, diagnostics) = attend::model::lower(&ast);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    policy
}

#[test]
fn the_compiled_table_has_a_row_per_period() {
    let text = std::fs::read_to_string("tests/forms/schedules.policy").expect("the form");
    let analysis = attend::analyse(&Source::new("tests/forms/schedules.policy", text), None);
    let checked = analysis.checked.expect("no model errors");
    let (table, problems) = attend::table::compile(&checked);
    assert!(problems.is_empty());
    insta::assert_snapshot!(attend::table::render_text(&table));
}

#[test]
fn a_schedule_negated_holds_in_the_periods_it_has_no_row_for() {
    // Rows for half-terms 1 and 3 only: 3.5 days = 7 sessions, 10 days = 20 sessions.
    let p = policy(
        "policy \"P\" {\n  schedule s per half_term {\n    1: 3.5 days\n    3: 10 days\n  }\n  \
         define d when not (absent(year_to_date) >= s)\n}\n",
    );
    let def = p.definitions.iter().find(|d| d.name == "d").expect("d");
    let rows = normal::rows(&p, &def.condition).expect("rows");
    let texts: Vec<String> = rows
        .iter()
        .map(|(atoms, _)| {
            atoms
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" and ")
        })
        .collect();
    assert_eq!(
        texts,
        [
            // In half-term 1, fewer than 7 sessions; in half-term 3, fewer than 20.
            "absent(year_to_date) <= 6 and half_term_of_year == 1",
            "absent(year_to_date) <= 19 and half_term_of_year == 3",
            // Half-term 2 and from half-term 4 on: no row, so `absent >= s` does not hold.
            "half_term_of_year == 2",
            "half_term_of_year >= 4",
        ]
    );
}

#[test]
fn a_percentage_schedule_reads_attendance() {
    // Per term: 97%, 96.5%: `attendance(year_to_date) < s` is `present * 100 < 97 * possible`
    // in term 1 and `present * 1000 < 965 * possible` in term 2.
    let p = policy(
        "policy \"P\" {\n  schedule s per term {\n    1: 97%\n    2: 96.5%\n  }\n  \
         define d when attendance(year_to_date) < s\n}\n",
    );
    let def = p.definitions.iter().find(|d| d.name == "d").expect("d");
    let rows = normal::rows(&p, &def.condition).expect("rows");
    let texts: Vec<String> = rows
        .iter()
        .map(|(atoms, _)| {
            atoms
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" and ")
        })
        .collect();
    assert_eq!(
        texts,
        [
            "attendance(year_to_date) < 97% and term_of_year == 1",
            "attendance(year_to_date) < 96.5% and term_of_year == 2",
        ]
    );
}

/// The rule codes `attend check` reports, each with its line.
fn findings(text: &str) -> Vec<(String, usize)> {
    let analysis = attend::analyse(&Source::new("t.policy", text), None);
    analysis
        .diagnostics
        .iter()
        .filter(|d| d.code.starts_with("AT"))
        .map(|d| (d.code.clone(), d.loc.as_ref().map_or(0, |l| l.line_col().0)))
        .collect()
}

#[test]
fn a_trigger_looked_at_the_end_of_a_period_cannot_fire_in_the_first_days_or_bob() {
    // Line 2 is looked at on the last school day of each term only: no evidence guard is needed
    // (AT305), it fires at most once a term (AT304), and the daily trigger on line 3, though
    // its condition and actions are the same, acts on other days (not AT207).
    let text = "policy \"T\" {\n  \
        trigger \"end of term\" at end of term when attendance(year_to_date) < 90% then contact \"below 90%\"\n  \
        trigger \"daily\" when attendance(year_to_date) < 90% then contact \"below 90%\"\n}\n";
    let found = findings(text);
    for code in ["AT304", "AT305", "AT207"] {
        assert!(
            !found.contains(&(code.to_string(), 2)),
            "{code} on line 2: {found:?}"
        );
    }
    assert!(!found.contains(&("AT207".to_string(), 3)), "{found:?}");
    assert!(found.contains(&("AT305".to_string(), 3)), "{found:?}");
    assert!(found.contains(&("AT304".to_string(), 3)), "{found:?}");
}

#[test]
fn periods_are_numbered_in_their_year_and_end_on_the_calendars_last_school_day() {
    // Two years. 2024-25: autumn 2 Sep - 20 Dec with half-term 28 Oct - 1 Nov; spring 6 Jan -
    // 4 Apr with half-term 17 - 21 Feb. 2025-26: autumn 1 Sep - 19 Dec, no half-term.
    let text = "calendar \"2024-25\" {\n  term autumn 2024-09-02 .. 2024-12-20\n  \
        half_term 2024-10-28 .. 2024-11-01\n  term spring 2025-01-06 .. 2025-04-04\n  \
        half_term 2025-02-17 .. 2025-02-21\n}\ncalendar \"2025-26\" {\n  \
        term autumn 2025-09-01 .. 2025-12-19\n}\n";
    let src = Source::new("t.calendar", text);
    let Ok(File::Calendars(file)) = attend::syntax::parse(&src) else {
        panic!("parses");
    };
    let (calendar, problems) = attend::model::lower_calendar(&file);
    assert!(problems.is_empty());
    let days = attend::table::SchoolDays::new(&calendar);
    let at = |y, m, d| {
        days.index(chrono::NaiveDate::from_ymd_opt(y, m, d).expect("date"))
            .expect("a school day")
    };
    use attend::model::Period::{HalfTerm, Term};
    // Fri 25 Oct 2024 is the last school day of half-term 1 (the next is Mon 4 Nov, half-term 2).
    assert_eq!(days.in_year(HalfTerm, at(2024, 10, 25)), 1);
    assert!(days.is_last_of(HalfTerm, at(2024, 10, 25)));
    assert!(!days.is_last_of(Term, at(2024, 10, 25)));
    assert_eq!(days.in_year(HalfTerm, at(2024, 11, 4)), 2);
    // Spring's half-terms are the year's third and fourth; spring is term 2.
    assert_eq!(days.in_year(HalfTerm, at(2025, 1, 6)), 3);
    assert_eq!(days.in_year(HalfTerm, at(2025, 2, 24)), 4);
    assert_eq!(days.in_year(Term, at(2025, 2, 24)), 2);
    assert!(days.is_last_of(Term, at(2025, 4, 4)));
    // The next year counts from 1 again; its last school day ends every period.
    assert_eq!(days.in_year(HalfTerm, at(2025, 9, 1)), 1);
    assert_eq!(days.in_year(Term, at(2025, 9, 1)), 1);
    assert!(days.is_last_of(attend::model::Period::Year, at(2025, 12, 19)));
    // School weeks count from the year's first: Mon 2 Sep 2024 is week 1, Mon 9 Sep week 2;
    // the half-term week has no school day and is no school week, so Mon 4 Nov is week 9.
    assert_eq!(days.week_in_year(at(2024, 9, 2)), 1);
    assert_eq!(days.week_in_year(at(2024, 9, 9)), 2);
    assert_eq!(days.week_in_year(at(2024, 11, 4)), 9);
    assert_eq!(days.week_in_year(at(2025, 9, 1)), 1);
}
