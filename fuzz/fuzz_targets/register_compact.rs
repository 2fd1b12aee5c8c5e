//! A compact marks register (`pupil_id,start_date,marks`), checked against the bundled
//! calendar and the national code table with `--keep-going`.
#![no_main]

use attend::register::Format;
use libfuzzer_sys::{Corpus, fuzz_target};

fuzz_target!(|data: &[u8]| -> Corpus { attend_fuzz::register_target(data, Format::Compact) });
