//! The rules added for real policies (AT013, AT110, AT212, AT213, AT305, and the additions to
//! AT002 and AT104), each shown firing on the form real documents use and staying silent on the
//! corrected form, with the arithmetic beside it.

use attend::source::Source;

/// `(code, line)` of every finding of `code` in `body`, a policy's statements.
fn found(code: &str, body: &str) -> Vec<(String, usize)> {
    let text = format!("policy \"Case\" {{\n  extends national\n{body}}}\n");
    let src = Source::new("case.policy", text);
    let analysis = attend::analyse(&src, None);
    assert!(
        !analysis
            .diagnostics
            .iter()
            .any(|d| d.code.starts_with("syntax::") || d.code.starts_with("model::")),
        "{body}: {:?}",
        analysis.diagnostics
    );
    analysis
        .diagnostics
        .into_iter()
        .filter(|d| d.code == code)
        .map(|d| {
            let line = d.position().map_or(0, |p| p.1);
            (d.message, line)
        })
        .collect()
}

#[test]
fn at013_legal_steps_on_attendance_bands_but_not_on_the_national_threshold() {
    let band = r#"  bands attendance over year_to_date from 20 possible sessions {
    band ok "ok" 90% ..= 100% stage expect
    band low "low" below 90% stage enforce on enter: consider penalty_notice once per term
  }
"#;
    let f = found("AT013", band);
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(f[0].0.contains("an attendance band"), "{f:?}");
    // Ten unauthorised sessions in a rolling 10 school weeks is the national threshold.
    let national = r#"  trigger "threshold" when unauthorised(rolling 10 school_weeks) >= 10 and pupil.compulsory_school_age then consider penalty_notice
"#;
    assert!(found("AT013", national).is_empty());
    // Five days of G (10 sessions) in a row meet it too; four days (8 sessions) do not.
    let five = "  escalation \"holiday\" days marked {G} { day 5 when pupil.compulsory_school_age: consider penalty_notice }\n";
    assert!(found("AT013", five).is_empty());
    let four = "  escalation \"holiday\" days marked {G} { day 4 when pupil.compulsory_school_age: consider penalty_notice }\n";
    assert_eq!(found("AT013", four).len(), 1);
    // A referral to the local authority for a fine is a legal step; one for support is not.
    let fine = "  trigger \"fine\" from 20 possible sessions when attendance(year_to_date) < 85% then refer local_authority \"for a fixed penalty fine\" once per term\n";
    assert_eq!(found("AT013", fine).len(), 1);
    let help = "  trigger \"help\" from 20 possible sessions when attendance(year_to_date) < 85% then refer local_authority \"early help\" once per term\n";
    assert!(found("AT013", help).is_empty());
}

#[test]
fn at110_a_count_of_days_agrees_with_ten_percent_only_at_the_end_of_the_year() {
    // 38 sessions is 10% of 380 (190 days): day d needs ceil(2d / 10) sessions, which is 38
    // on days 186 (372 sessions: 37.2 -> 38) to 190 (380: 38).
    let f = found(
        "AT110",
        "  define persistent_absence \"19 days\" when absent(year_to_date) >= 38 sessions\n",
    );
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(f[0].0.contains("only on school days 186 to 190"), "{f:?}");
    // Day 185: 370 sessions, 37 absent is exactly 10%, persistent nationally, not by 38.
    assert!(
        f[0].0.contains("absent 37 of 370 sessions (10.0%)"),
        "{f:?}"
    );
    // "Over 25 days" is 51 sessions or more; a 190-day year never needs more than 38, so the
    // two never agree, and the count only ever leaves pupils out.
    let f = found(
        "AT110",
        "  define persistent_absence \"over 25 days\" when absent(year_to_date) > 50 sessions\n",
    );
    assert!(f[0].0.contains("on no school day"), "{f:?}");
    // Four sessions: needed on days 16 (32 sessions: 3.2 -> 4) to 20 (40: 4); from day 21
    // (42 sessions: 4.2 -> 5) a pupil absent 4 of 42 (9.5%) is counted though under 10%.
    let f = found(
        "AT110",
        "  define persistent_absence \"2 days\" when absent(year_to_date) >= 4 sessions\n",
    );
    assert!(f[0].0.contains("only on school days 16 to 20"), "{f:?}");
    assert!(
        f[0].0
            .contains("on school day 21 a pupil absent 4 of 42 sessions (9.5%)"),
        "{f:?}"
    );
    // Over the policy's own calendar: three terms of 209 weekdays (no closures written), so
    // from day 191 (382 sessions, 38.2 needed -> 39) 38 sessions is under 10% (9.9%).
    let f = found(
        "AT110",
        r#"  calendar "2024-25" {
    term autumn 2024-09-04 .. 2024-12-20
    term spring 2025-01-06 .. 2025-04-04
    term summer 2025-04-22 .. 2025-07-22
  }
  define persistent_absence "19 days" when absent(year_to_date) >= 38 sessions
"#,
    );
    assert!(
        f[0].0
            .contains("of the 209 school days of the policy's 2024-25 calendar"),
        "{f:?}"
    );
    assert!(
        f[0].0
            .contains("on school day 191 a pupil absent 38 of 382 sessions (9.9%)"),
        "{f:?}"
    );
    // The share itself is not reported.
    assert!(
        found(
            "AT110",
            "  define persistent_absence \"10%\" when absence(year_to_date) >= 10%\n"
        )
        .is_empty()
    );
}

#[test]
fn at212_an_action_below_90_percent_against_a_definition_that_includes_90() {
    let below = "  trigger \"LA\" from 20 possible sessions when attendance(year_to_date) < 90% then notify local_authority once per term\n";
    // No definition of its own: the national one (absent * 10 >= possible) includes 9 of 10.
    let f = found("AT212", below);
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(
        f[0].0
            .contains("a pupil with 9 of 10 possible sessions (90%)"),
        "{f:?}"
    );
    let at_or_below = "  trigger \"LA\" from 20 possible sessions when attendance(year_to_date) <= 90% then notify local_authority once per term\n";
    assert!(found("AT212", at_or_below).is_empty());
    // The policy's own definition is the one compared when it has one.
    let own = "  define persistent_absence \"below 90%\" when attendance(year_to_date) < 90%\n";
    assert!(found("AT212", &format!("{own}{below}")).is_empty());
    assert_eq!(found("AT212", &format!("{own}{at_or_below}")).len(), 1);
}

#[test]
fn at213_a_cumulative_ladder_but_not_disjoint_bands() {
    let cumulative = r#"  bands attendance over year_to_date from 20 possible sessions {
    band good "good" 95% ..= 100% stage expect
    band s1 "under 95%" below 95% stage listen
    band s2 "under 90%" below 90% stage facilitate
  }
"#;
    let f = found("AT213", cumulative);
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(
        f[0].0
            .contains("`s2` and its stage `facilitate` can never be reached"),
        "{f:?}"
    );
    let ladder = cumulative.replace("below 95% stage listen", "90% .. 95% stage listen");
    assert!(found("AT213", &ladder).is_empty());
}

#[test]
fn at305_a_trigger_that_can_fire_on_the_first_morning() {
    let bare = "  trigger \"PA\" when attendance(year_to_date) <= 90% then contact once per term\n";
    assert_eq!(found("AT305", bare).len(), 1);
    let guarded = "  trigger \"PA\" from 20 possible sessions when attendance(year_to_date) <= 90% then contact once per term\n";
    assert!(found("AT305", guarded).is_empty());
    // A count that needs more than the first week's 10 sessions is a guard of its own.
    let counted = "  trigger \"PA\" when attendance(year_to_date) <= 90% and absent(year_to_date) >= 11 sessions then contact once per term\n";
    assert!(found("AT305", counted).is_empty());
    // A certificate at 100% does not hold at 0 of 1 sessions.
    let reward = "  trigger \"full\" when attendance(this_half_term) >= 100% then contact once per half_term\n";
    assert!(found("AT305", reward).is_empty());
}

#[test]
fn at002_a_ten_day_ladder_that_misses_a_code_and_at104_a_missing_afternoon_register() {
    // Without `extends national` no other ladder makes the return.
    let text = "policy \"Case\" {\n  document excerpt\n  calendar { session am opens 08:50 closes 09:10 }\n  escalation \"ten days\" days marked {N, O} { day 10: notify local_authority }\n}\n";
    let analysis = attend::analyse(&Source::new("case.policy", text), None);
    let at = |code: &str| {
        analysis
            .diagnostics
            .iter()
            .filter(|d| d.code == code)
            .map(|d| (d.message.clone(), d.position().map_or(0, |p| p.1)))
            .collect::<Vec<_>>()
    };
    let at002 = at("AT002");
    assert_eq!(at002.len(), 1, "{at002:?}");
    assert!(
        at002[0].0.contains("a run of `G` is never reported") && at002[0].1 == 4,
        "{at002:?}"
    );
    let at104 = at("AT104");
    assert_eq!(at104.len(), 1, "{at104:?}");
    assert!(
        at104[0]
            .0
            .contains("not when the afternoon register opens or closes")
            && at104[0].1 == 3,
        "{at104:?}"
    );
    // An excerpt is not asked for what a whole policy must contain.
    assert!(at("AT107").is_empty() && at("AT108").is_empty());
}

#[test]
fn at104_an_afternoon_register_stated_year_group_by_year_group_is_stated() {
    // Flax Bourton: one morning register for all, the afternoon's by year group.
    let by_years = "  document excerpt\n  calendar {\n    session am opens 08:55 closes 09:15\n    session pm opens 13:00 closes 13:15 for years R to 3\n    session pm opens 13:10 closes 13:25 for years 4 to 6\n  }\n";
    let f = found("AT104", by_years);
    assert!(f.is_empty(), "{f:?}");
    // Helena Romanes: each phase's morning register, and no afternoon register anywhere.
    let by_phase = "  document excerpt\n  calendar {\n    session am opens 09:00 closes 09:10 for phase primary\n    session am opens 08:40 closes 08:55 for phase secondary\n  }\n";
    let f = found("AT104", by_phase);
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(
        f[0].0
            .contains("not when the afternoon register opens or closes")
            && f[0].1 == 5,
        "{f:?}"
    );
}

#[test]
fn at112_day_counts_beside_percentages_over_a_190_day_year() {
    // No term dates: a year of 190 school days, 380 sessions.
    // "96% (7 days)": 4% of 380 = 15.2 sessions = 7.6 days; the nearest day is 8, not 7.
    // "90-96% (8-20 days)": 8 days (16 sessions, 364 of 380 present = 95.8%) is inside the row
    // and within a day of 7.6; 20 days (40 sessions, 340 of 380 = 89.4%) is outside it (10%
    // of 380 is 38 sessions, 19 days).
    // "85-90% (19-28 days)": 19 days is 10% exactly, 28 days (56 sessions, 85.2%) is inside
    // and within a day of 28.5: no finding. "7.5 days" beside 96% is the nearest half day.
    let bands = r#"  bands attendance over year_to_date from 20 possible sessions {
    band minimum "96%" 96% ..= 100% absence 7 days stage expect
    band middle "90-96%" 90% <.. 96% absence 8 - 20 days stage monitor
    band low "85-90%" 85% ..= 90% absence 19 to 28 days stage listen
  }
  bands "half days" attendance over year_to_date from 20 possible sessions {
    band half "96%" 96% ..= 100% absence 7.5 days stage expect
  }
"#;
    let f = found("AT112", bands);
    assert_eq!(f.len(), 2, "{f:?}");
    assert_eq!(f[0].1, 4, "{f:?}");
    assert!(
        f[0].0
            .contains("4% of 380 sessions is 15.2 sessions = 7.6 days, not 7 days"),
        "{f:?}"
    );
    assert_eq!(f[1].1, 5, "{f:?}");
    assert!(
        f[1].0.contains(
            "10% of 380 sessions is 38 sessions = 19 days, not 20 days (340 of 380 sessions present, 89.4%, is outside 90% <.. 96%)"
        ),
        "{f:?}"
    );
}
