//! A SIMS `SessionAttendances` XML register (one element per pupil and session), read as
//! that format whatever it holds, checked against the bundled calendar with `--keep-going`.
#![no_main]

use attend::register::Format;
use libfuzzer_sys::{Corpus, fuzz_target};

fuzz_target!(|data: &[u8]| -> Corpus { attend_fuzz::register_as(data, Format::Sims, None) });
