//! A TOML policy (or calendar) file through `attend check` and `attend compile`: any text gets diagnostics or a
//! table, never a panic, a hang or unbounded memory.
#![no_main]

use attend::source::Source;
use libfuzzer_sys::{Corpus, fuzz_target};

fuzz_target!(|data: &[u8]| -> Corpus {
    let Some(text) = attend_fuzz::text(data) else {
        return Corpus::Reject;
    };
    attend_fuzz::check_and_compile(&Source::new("fuzz.toml", text), None);
    Corpus::Keep
});
