//! JSON session records (Wonde, Arbor: an array, JSON lines or a `data` array), read as that
//! format whatever they hold, checked against the bundled calendar with `--keep-going`.
#![no_main]

use attend::register::Format;
use libfuzzer_sys::{Corpus, fuzz_target};

fuzz_target!(|data: &[u8]| -> Corpus { attend_fuzz::register_as(data, Format::Json, None) });
