//! A school-local codes map (`local,national` or `mis_mark,mark,valid_from,valid_to`), as
//! `--codes-map`; each local code it defines is translated on a date of the bundled calendar.
#![no_main]

use attend::register::{CodesMap, Input};
use chrono::NaiveDate;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match CodesMap::read(&Input::bytes("codes.csv", data.to_vec())) {
        Ok(map) => {
            let dates = [(2024, 8, 18), (2024, 8, 19), (2025, 1, 6)];
            for local in map.locals() {
                for (y, m, d) in dates {
                    if let Some(date) = NaiveDate::from_ymd_opt(y, m, d) {
                        std::hint::black_box(map.translate(local.as_bytes(), date).ok());
                    }
                }
            }
        }
        Err(problems) => attend_fuzz::render(&problems),
    }
});
