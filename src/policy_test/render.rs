//! A failed test as people read it: per pupil and school day, the expected actions (`-`) and
//! the ones the policy asked for (`+`), then the evaluation trace that led there.

use std::fmt::Write as _;

use super::format::Case;
use super::run::{CaseResult, Change};

/// The failure report of one test; `place` is where its `test:` line is (`file:line`).
pub fn failure_text(place: &str, case: &Case, result: &CaseResult) -> String {
    let mut out = format!("FAIL {place}: {}\n", case.name);
    let _ = writeln!(
        out,
        "  expected (-) and actual (+) actions, by pupil and school day:"
    );
    for pupil in &result.pupils {
        for day in &pupil.days {
            let _ = writeln!(out, "  {} {}", pupil.pupil, day.date);
            for (change, action) in &day.actions {
                let line = match change {
                    Change::Same => format!("      {action}"),
                    Change::Missing => format!("    - {action}"),
                    Change::Unexpected(None) => format!("    + {action}"),
                    Change::Unexpected(Some(at)) => {
                        format!("    + {action}    (expected never: line {at})")
                    }
                };
                let _ = writeln!(out, "{line}");
            }
        }
        if let Some((want, got)) = &pupil.stage {
            let _ = writeln!(out, "  {} at the end of the register", pupil.pupil);
            let _ = writeln!(out, "    - stage {want}");
            let got = if got.is_empty() { "(none)" } else { got };
            let _ = writeln!(out, "    + stage {got}");
        }
    }
    for pupil in &result.pupils {
        let _ = writeln!(
            out,
            "  how {} got there (`attend run --explain`):",
            pupil.pupil
        );
        // The timeline's own first line names the pupil: the heading above says it.
        // A row that asks for nothing (a band entered) prints `->  (band, ...)`: its
        // entry is already on the line above.
        for line in pupil.trace.lines().skip(1) {
            if line.is_empty() || line.trim_start().starts_with("->  (") {
                continue;
            }
            let _ = writeln!(out, "    {line}");
        }
    }
    out
}
