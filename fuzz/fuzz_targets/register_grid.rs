//! A grid ("herringbone") report, one row per pupil and one column per session or day, read
//! as that format whatever it holds, checked against the bundled calendar with `--keep-going`.
#![no_main]

use attend::register::Format;
use libfuzzer_sys::{Corpus, fuzz_target};

fuzz_target!(|data: &[u8]| -> Corpus { attend_fuzz::register_as(data, Format::Grid, None) });
