//! `report.html`: a snapshot of the page for a small deterministic cohort, and the page's
//! promises (every chart sized, no scripts, nothing fetched).

use attend::generate::{self, Config, Phase};
use attend::report::{self, Report};
use attend::simulate::{self, Minutes};
use attend::source::Source;
use attend::table::SchoolDays;
use attend::{analyse, table};

const CALENDAR: &str = include_str!("../policies/calendars/camden-2024-25.calendar");

fn page() -> String {
    let cal = Source::new("camden-2024-25.calendar", CALENDAR);
    let tables: Vec<_> = [
        "policies/kings-cross-academy.policy",
        "policies/attendance-thresholds.policy",
    ]
    .iter()
    .map(|p| {
        let src = Source::new(*p, std::fs::read_to_string(p).expect("policy"));
        table::compile(&analyse(&src, Some(&cal)).checked.expect("checks")).0
    })
    .collect();
    let days = SchoolDays::new(&tables[0].calendar);
    let dates: Vec<_> = (0..days.len())
        .take_while(|d| days.academic_year(*d) == days.academic_year(0))
        .map(|d| days.date(d))
        .collect();
    let config = Config {
        cohort: 60,
        phase: Phase::Secondary,
        seed: 1,
    };
    let cohort = generate::generate(&config, &dates);
    let register = simulate::register_from_cohort(&cohort, &days);
    let sim = simulate::simulate(&tables, &days, &register, &Minutes::default());
    report::html(&Report {
        title: "Attendance policy comparison",
        cohort: "synthetic secondary cohort of 60 pupils (seed 1)",
        sim: &sim,
        tables: &tables,
        days: &days,
        warnings: &[],
    })
}

#[test]
fn report_snapshot() {
    insta::assert_snapshot!(page());
}

fn attr(tag: &str, name: &str) -> Option<f64> {
    let at = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let rest = &tag[at..];
    rest[..rest.find('"')?].parse().ok()
}

#[test]
fn every_chart_is_sized_and_nothing_is_fetched() {
    let html = page();
    let svgs: Vec<&str> = html
        .match_indices("<svg")
        .map(|(i, _)| &html[i..i + html[i..].find('>').expect("tag closes")])
        .collect();
    assert!(svgs.len() >= 5, "{} charts", svgs.len());
    for tag in svgs {
        assert!(attr(tag, "width").is_some_and(|w| w > 0.0), "{tag}");
        assert!(attr(tag, "height").is_some_and(|h| h > 0.0), "{tag}");
        assert!(tag.contains("viewBox=\""), "{tag}");
    }
    let lower = html.to_lowercase();
    assert!(!lower.contains("<script"));
    assert!(!lower.contains("http"));
    assert!(!lower.contains("<link"));
}

#[test]
fn text_is_escaped() {
    assert_eq!(
        report::esc("<a href=\"x\">&'"),
        "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
    );
}
