//! England's regular bank holidays, a fact about dates: the checker warns of one left in term
//! (AT011) and the iCalendar import fills the ones a school's feed leaves out.

use chrono::{Datelike, NaiveDate, Weekday};

/// The regular bank holidays in England in `year`, with substitute days.
pub fn bank_holidays(year: i32) -> Vec<(NaiveDate, &'static str)> {
    let mut out = Vec::new();
    let ymd = |m: u32, d: u32| NaiveDate::from_ymd_opt(year, m, d);
    if let Some(d) = ymd(1, 1) {
        out.push((next_weekday(d), "New Year's Day"));
    }
    if let Some(easter) = easter_sunday(year) {
        if let Some(d) = easter.checked_sub_days(chrono::Days::new(2)) {
            out.push((d, "Good Friday"));
        }
        if let Some(d) = easter.checked_add_days(chrono::Days::new(1)) {
            out.push((d, "Easter Monday"));
        }
    }
    if let Some(d) = NaiveDate::from_weekday_of_month_opt(year, 5, Weekday::Mon, 1) {
        out.push((d, "early May bank holiday"));
    }
    if let Some(d) = last_monday(year, 5) {
        out.push((d, "spring bank holiday"));
    }
    if let Some(d) = last_monday(year, 8) {
        out.push((d, "summer bank holiday"));
    }
    if let (Some(christmas), Some(boxing)) = (ymd(12, 25), ymd(12, 26)) {
        let (c, b) = match christmas.weekday() {
            Weekday::Fri => (christmas, boxing.checked_add_days(chrono::Days::new(2))),
            Weekday::Sat => (
                christmas
                    .checked_add_days(chrono::Days::new(2))
                    .unwrap_or(christmas),
                boxing.checked_add_days(chrono::Days::new(2)),
            ),
            Weekday::Sun => (
                christmas
                    .checked_add_days(chrono::Days::new(2))
                    .unwrap_or(christmas),
                Some(boxing),
            ),
            Weekday::Mon | Weekday::Tue | Weekday::Wed | Weekday::Thu => (christmas, Some(boxing)),
        };
        out.push((c, "Christmas Day"));
        if let Some(b) = b {
            out.push((b, "Boxing Day"));
        }
    }
    out
}

fn next_weekday(d: NaiveDate) -> NaiveDate {
    match d.weekday() {
        Weekday::Sat => d.checked_add_days(chrono::Days::new(2)).unwrap_or(d),
        Weekday::Sun => d.checked_add_days(chrono::Days::new(1)).unwrap_or(d),
        Weekday::Mon | Weekday::Tue | Weekday::Wed | Weekday::Thu | Weekday::Fri => d,
    }
}

fn last_monday(year: i32, month: u32) -> Option<NaiveDate> {
    (1..=5u8)
        .rev()
        .find_map(|n| NaiveDate::from_weekday_of_month_opt(year, month, Weekday::Mon, n))
}

/// Easter Sunday in the Gregorian calendar (the anonymous algorithm; integers only).
pub fn easter_sunday(year: i32) -> Option<NaiveDate> {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, u32::try_from(month).ok()?, u32::try_from(day).ok()?)
}
