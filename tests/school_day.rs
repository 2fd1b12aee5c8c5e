//! The school day and a local authority's threshold read the same from both surfaces: the
//! times and counts the model holds, with the arithmetic beside them.

use attend::source::Source;

fn policy(text: &str) -> attend::model::Policy {
    let src = Source::new("t.policy", text);
    let analysis = attend::analyse(&src, None);
    let errors: Vec<_> = analysis
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .collect();
    assert!(
        errors
            .iter()
            .all(|d| !d.code.starts_with("syntax") && !d.code.starts_with("model")),
        "{errors:?}"
    );
    analysis.checked.expect("a checked policy").into_policy()
}

#[test]
fn a_threshold_in_days_is_sessions() {
    // 2.5 days = 5 sessions; 5 school_days = 10 sessions; 7 half_days = 7 sessions.
    for (written, sessions) in [
        ("2.5 days", 5),
        ("5 school_days", 10),
        ("7 half_days", 7),
        ("10 sessions", 10),
    ] {
        let p = policy(&format!(
            r#"policy "LA" {{ document code_of_conduct
                penalty_notices {{ threshold {written} in rolling 10 school_weeks counting {{G, N, O, U}} }} }}"#
        ));
        let t = p.penalty_notices.threshold.expect("a threshold");
        assert_eq!(t.sessions, sessions, "{written}");
        assert_eq!(
            t.codes.map(|c| c.0),
            Some(vec!["G".into(), "N".into(), "O".into(), "U".into()])
        );
    }
}

#[test]
fn a_group_takes_the_whole_schools_times_it_does_not_state() {
    let p = policy(
        r#"policy "P" { calendar {
            session am opens 08:45 closes 09:15
            lunch 12:00 to 13:00
            day_ends 15:15
            day_ends 15:00 for years R to 2
        } }"#,
    );
    let cal = &p.calendar;
    let days = cal.school_day.days(&cal.sessions);
    assert_eq!(days.len(), 2);
    // Whole school: 08:45 to 15:15 = 390 min a day, × 5 = 1950 min = 32 h 30 min.
    assert_eq!(days[0].computed_week_minutes(), Some(1950));
    // Reception to year 2: 08:45 to 15:00 = 375 min, × 5 = 1875 min = 31 h 15 min; its lunch
    // is the whole school's.
    assert_eq!(days[1].computed_week_minutes(), Some(1875));
    assert_eq!(days[1].whom(), "for years R to 2");
    assert!(days[1].lunch.is_some());
}

#[test]
fn a_restated_time_that_differs_is_an_error() {
    let src = Source::new(
        "t.policy",
        r#"policy "P" { calendar "a" { lunch 12:00 to 13:00 } calendar "b" { lunch 12:15 to 13:00 } }"#,
    );
    let analysis = attend::analyse(&src, None);
    assert!(
        analysis
            .diagnostics
            .iter()
            .any(|d| d.code == "model::session_times_differ"),
        "{:?}",
        analysis.diagnostics
    );
}

#[test]
fn a_half_in_sessions_is_refused() {
    let src = Source::new(
        "t.policy",
        r#"policy "LA" { penalty_notices { threshold 2.5 sessions in rolling 10 school_weeks } }"#,
    );
    let analysis = attend::analyse(&src, None);
    assert!(
        analysis
            .diagnostics
            .iter()
            .any(|d| d.code == "syntax::not_whole_or_half"),
        "{:?}",
        analysis.diagnostics
    );
}

#[test]
fn an_evidence_guard_in_days_is_sessions() {
    // from 5.5 possible days = 11 sessions; from 10 possible days = 20 sessions.
    let p = policy(
        r#"policy "LA" { document code_of_conduct
            bands attendance over year_to_date from 5.5 possible days { band low below 90% }
            trigger "t" from 10 possible days when absent(year_to_date) >= 1 then contact
        }"#,
    );
    assert_eq!(p.band_sets[0].min_possible, 11);
    let t = p
        .triggers
        .iter()
        .find(|t| t.name == "t")
        .expect("the trigger");
    assert_eq!(t.min_possible, 20);
}
