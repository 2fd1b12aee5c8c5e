//! A pupils CSV (`pupil_id,date_of_birth,year_group[,admission_date,...]`), as `--pupils`.
#![no_main]

use attend::register::{self, Input};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let input = Input::bytes("pupils.csv", data.to_vec());
    match register::read_pupils(&input, 20) {
        Ok(pupils) => {
            for pupil in pupils.iter() {
                std::hint::black_box(pupil);
            }
        }
        Err(problems) => attend_fuzz::render(&problems),
    }
});
