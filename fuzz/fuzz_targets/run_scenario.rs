//! The whole `attend run` pipeline from one scenario file: a policy, a calendar, a pupils file,
//! a codes map and a register, each after a `--- name` line (the format of
//! tests/scenarios/*.scenario). Every section is optional.
#![no_main]

use libfuzzer_sys::{Corpus, fuzz_target};

fuzz_target!(|data: &[u8]| -> Corpus {
    let Some(text) = attend_fuzz::text(data) else {
        return Corpus::Reject;
    };
    attend_fuzz::run_scenario(text);
    Corpus::Keep
});
