//! An iCalendar feed: imported as `attend calendar import` does, its `.calendar` text read
//! back (the property: what the import writes always parses and lowers), expanded into school
//! days, and given as `--calendar` to the bundled national policy.
#![no_main]

use attend::cli::{DiagnosticFormat, render_diagnostics};
use attend::source::Source;
use attend::table::SchoolDays;
use libfuzzer_sys::{Corpus, fuzz_target};

const NATIONAL: &str = include_str!("../../policies/national.policy");

fuzz_target!(|data: &[u8]| -> Corpus {
    let Some(text) = attend_fuzz::text(data) else {
        return Corpus::Reject;
    };
    let src = Source::new("fuzz.ics", text);
    match attend::ics::import(&src) {
        Ok(imported) => {
            render_diagnostics(&imported.diagnostics, DiagnosticFormat::Human, false);
            let written = Source::new("fuzz.calendar", imported.text);
            match attend::load_calendar(&written) {
                Ok((calendar, _)) => {
                    std::hint::black_box(SchoolDays::new(&calendar));
                }
                Err(errors) => panic!("the imported calendar does not read back: {errors:?}"),
            }
            let policy = Source::new("policies/national.policy", NATIONAL);
            attend_fuzz::check_and_compile(&policy, Some(&src));
        }
        Err(errors) => {
            render_diagnostics(&errors, DiagnosticFormat::Human, false);
        }
    }
    Corpus::Keep
});
