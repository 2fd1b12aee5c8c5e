//! A calendar file in either surface (`.calendar`, calendar `.toml`): parsed, lowered and
//! expanded into school days, as `--calendar` does, and given to the bundled national policy.
#![no_main]

use attend::source::Source;
use attend::table::SchoolDays;
use libfuzzer_sys::{Corpus, fuzz_target};

const NATIONAL: &str = include_str!("../../policies/national.policy");

fuzz_target!(|data: &[u8]| -> Corpus {
    let Some(text) = attend_fuzz::text(data) else {
        return Corpus::Reject;
    };
    for name in ["fuzz.calendar", "fuzz.toml"] {
        let src = Source::new(name, text);
        if let Ok((calendar, _)) = attend::load_calendar(&src) {
            let days = SchoolDays::new(&calendar);
            std::hint::black_box(days);
            let policy = Source::new("policies/national.policy", NATIONAL);
            attend_fuzz::check_and_compile(&policy, Some(&src));
        }
    }
    Corpus::Keep
});
