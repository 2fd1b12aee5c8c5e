//! A school's own CSV read through `--columns` (UK dates, sessions by name or time), checked
//! against the bundled calendar with `--keep-going`.
#![no_main]

use attend::register::Format;
use libfuzzer_sys::{Corpus, fuzz_target};

fuzz_target!(|data: &[u8]| -> Corpus {
    attend_fuzz::register_as(
        data,
        Format::Mapped,
        Some("pupil_id=Adno,date=Date,session=Session,mark=Mark"),
    )
});
