//! `notices_issued(N years)`: how many penalty notices a pupil has had in the N years before
//! a day. Within a run, every `consider penalty_notice` the policy asked for on an earlier
//! school day counts (the run re-reads the register from its first day, so its own history is
//! complete); before the run's first day, the ledger's notices staff marked done count, dated
//! the day they were done. Dates are compared exactly: a notice on or after the same date N
//! years earlier (29 February falls back to 28 February) is within the period.

use std::collections::HashMap;

use chrono::{Months, NaiveDate};

/// The table-row action that is a penalty notice.
pub const NOTICE_ACTION: &str = "consider:penalty_notice";

/// Penalty notices from before the run, by pupil id.
#[derive(Clone, Debug, Default)]
pub struct NoticeHistory {
    by_pupil: HashMap<String, Vec<NaiveDate>>,
}

impl NoticeHistory {
    pub fn insert(&mut self, pupil: &str, on: NaiveDate) {
        self.by_pupil.entry(pupil.to_string()).or_default().push(on);
    }

    pub fn of(&self, pupil: &str) -> &[NaiveDate] {
        self.by_pupil.get(pupil).map_or(&[], Vec::as_slice)
    }

    pub fn is_empty(&self) -> bool {
        self.by_pupil.is_empty()
    }
}

/// The first day within `years` years before `today`.
pub fn period_start(today: NaiveDate, years: u32) -> NaiveDate {
    today
        .checked_sub_months(Months::new(years.saturating_mul(12)))
        .unwrap_or(NaiveDate::MIN)
}

/// Notices dated in `[today - years, today)`.
pub fn count(dates: impl IntoIterator<Item = NaiveDate>, today: NaiveDate, years: u32) -> u32 {
    let from = period_start(today, years);
    let n = dates
        .into_iter()
        .filter(|d| from <= *d && *d < today)
        .count();
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("a real date")
    }

    #[test]
    fn three_years_run_from_the_same_date() {
        // Today 2025-03-10: the period is 2022-03-10 ..= 2025-03-09. 2022-03-09 is one day
        // too early; 2022-03-10 is in; today itself is not before today.
        let dates = [
            date(2022, 3, 9),
            date(2022, 3, 10),
            date(2024, 1, 5),
            date(2025, 3, 10),
        ];
        assert_eq!(count(dates, date(2025, 3, 10), 3), 2);
    }

    #[test]
    fn a_leap_day_falls_back_to_the_end_of_february() {
        // 2028-02-29 less one year: 2027-02-28.
        assert_eq!(period_start(date(2028, 2, 29), 1), date(2027, 2, 28));
    }
}
