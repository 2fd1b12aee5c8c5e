//! Compulsory school age, from a date of birth: when a pupil's attendance can lead to
//! enforcement (EA96 s8; national-rules.md §8).

use chrono::{Datelike, Months, NaiveDate, Weekday};

/// Compulsory school age (EA96 s8): from the 5th birthday if it is a prescribed day,
/// otherwise the next prescribed day (31 December, 31 March, 31 August: Education (Start of
/// Compulsory School Age) Order 1998), to the last Friday in June of the school year in which
/// the child turns 16. 29 February birthdays fall on 1 March in other years.
pub fn compulsory_school_age(dob: Option<NaiveDate>) -> Option<(NaiveDate, NaiveDate)> {
    let dob = dob?;
    let birthday = |years: u32| {
        dob.checked_add_months(Months::new(12 * years)).map(|d| {
            if d.day() < dob.day() {
                d.succ_opt().unwrap_or(d)
            } else {
                d
            }
        })
    };
    let fifth = birthday(5)?;
    let y = fifth.year();
    // 31 December ends the year, so one of the three always falls on or after the birthday.
    let prescribed = [
        NaiveDate::from_ymd_opt(y, 3, 31),
        NaiveDate::from_ymd_opt(y, 8, 31),
        NaiveDate::from_ymd_opt(y, 12, 31),
    ];
    let start = prescribed.into_iter().flatten().find(|d| *d >= fifth)?;
    let sixteenth = birthday(16)?;
    // The school year runs 1 September to 31 August.
    let june_year = if sixteenth.month() >= 9 {
        sixteenth.year() + 1
    } else {
        sixteenth.year()
    };
    let june_end = NaiveDate::from_ymd_opt(june_year, 6, 30)?;
    let back =
        (june_end.weekday().num_days_from_monday() + 7 - Weekday::Fri.num_days_from_monday()) % 7;
    let end = june_end - chrono::Days::new(u64::from(back));
    Some((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
    }

    /// The day compulsory school age starts for a child born on `dob`.
    fn start(dob: NaiveDate) -> Option<NaiveDate> {
        compulsory_school_age(Some(dob)).map(|(from, _)| from)
    }

    #[test]
    fn starts_on_the_fifth_birthday_when_it_is_a_prescribed_day_otherwise_the_next_one() {
        let cases = [
            // 5th birthday 2024-12-30, a Monday: not prescribed; the next is 31 December.
            (date(2019, 12, 30), date(2024, 12, 31)),
            // 5th birthday 2024-12-31 is itself a prescribed day: that day.
            (date(2019, 12, 31), date(2024, 12, 31)),
            // 5th birthday 2025-01-01: the next prescribed day is 31 March (not 1 January).
            (date(2020, 1, 1), date(2025, 3, 31)),
            // 5th birthday 2025-03-30: the next day, 31 March (a Monday in term).
            (date(2020, 3, 30), date(2025, 3, 31)),
            // 5th birthday 2025-03-31 is prescribed: that day.
            (date(2020, 3, 31), date(2025, 3, 31)),
            // 5th birthday 2025-04-01: 31 March has passed; the next is 31 August (not 1 April).
            (date(2020, 4, 1), date(2025, 8, 31)),
            // 5th birthday 2025-08-31 is prescribed: that day.
            (date(2020, 8, 31), date(2025, 8, 31)),
            // 5th birthday 2025-09-01: the next is 31 December.
            (date(2020, 9, 1), date(2025, 12, 31)),
            // Born 29 February 2020: 2025 is not a leap year, so the 5th birthday is
            // 1 March 2025; the next prescribed day is 31 March 2025.
            (date(2020, 2, 29), date(2025, 3, 31)),
        ];
        for (dob, expected) in cases {
            assert_eq!(start(dob), Some(expected), "born {dob}");
        }
    }

    #[test]
    fn ends_on_the_last_friday_in_june_of_the_school_year_the_child_turns_16() {
        // Born 2008-09-01: 16 on 2024-09-01, in the school year 2024-25, so the end is the
        // last Friday in June 2025: 30 June 2025 is a Monday, so Friday 27 June.
        assert_eq!(
            compulsory_school_age(Some(date(2008, 9, 1))).map(|(_, to)| to),
            Some(date(2025, 6, 27))
        );
        // Born 2009-08-31: 16 on 2025-08-31, still the school year 2024-25: 27 June 2025.
        assert_eq!(
            compulsory_school_age(Some(date(2009, 8, 31))).map(|(_, to)| to),
            Some(date(2025, 6, 27))
        );
        assert_eq!(compulsory_school_age(None), None);
    }
}
