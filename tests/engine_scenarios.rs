//! Hand-worked scenarios: each `tests/scenarios/*.scenario` holds a policy, a calendar, a
//! pupils file and a register, with the arithmetic written beside them in comments. The
//! snapshot is the run's `actions.csv` and `summary.csv` (or the input problems), as a user
//! sees them.

use attend::engine;
use attend::register::{self, Input, ReadOptions};
use attend::source::Source;
use attend::table::SchoolDays;

/// Splits a scenario into its `--- name` sections.
fn sections(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if let Some(name) = line.strip_prefix("--- ") {
            out.push((name.trim().to_string(), String::new()));
        } else if let Some((_, body)) = out.last_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    out
}

fn run(text: &str) -> String {
    let parts = sections(text);
    let get = |name: &str| {
        parts
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, b)| b.clone())
            .unwrap_or_default()
    };
    let policy = Source::new("scenario.policy", get("policy"));
    let calendar = Source::new("scenario.calendar", get("calendar"));
    let analysis = attend::analyse(&policy, Some(&calendar));
    let Some(checked) = analysis.checked else {
        return analysis
            .diagnostics
            .iter()
            .map(|d| format!("{}: {}\n", d.code, d.message))
            .collect();
    };
    let (table, _) = attend::table::compile(&checked);
    let days = SchoolDays::new(&table.calendar);
    let options = ReadOptions {
        keep_going: true,
        max_errors: 20,
        ..ReadOptions::default()
    };
    let pupils =
        match register::read_pupils(&Input::bytes("pupils.csv", get("pupils").into_bytes()), 20) {
            Ok(p) => p,
            Err(problems) => return problems.iter().map(ToString::to_string).collect(),
        };
    let input = Input::bytes("register.csv", get("register").into_bytes());
    let register = match register::read_register(
        &input,
        &table.calendar,
        &days,
        Some(&pupils),
        None,
        &options,
    ) {
        Ok(r) => r,
        Err(problems) => return problems.iter().map(ToString::to_string).collect(),
    };
    let outcome = engine::run(&table, &days, &register);
    let actions = String::from_utf8_lossy(&engine::actions_csv(&table, &days, &register, &outcome))
        .into_owned();
    let summary =
        String::from_utf8_lossy(&engine::summary_csv(&table, &register, &outcome)).into_owned();
    format!("actions.csv:\n{actions}\nsummary.csv:\n{summary}")
}

#[test]
fn scenarios() {
    insta::glob!("scenarios/*.scenario", |path| {
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| format!("cannot read: {e}"));
        insta::assert_snapshot!(format!("{text}\n=== output\n{}", run(&text)));
    });
}
