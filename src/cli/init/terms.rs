//! The calendar skeleton `attend init` writes: one academic year's terms, half terms, holidays,
//! INSET days and the bank holidays that fall in term, on dates typical of England, for the
//! school to replace with its own published term dates.

use chrono::{Datelike, Days, NaiveDate, Weekday};

use crate::source::Source;

/// The pupil days the skeleton's year has: 190, the 380 sessions a maintained school must
/// meet (SDSY99 reg 3(2)), so the skeleton passes AT010 as written.
pub const PUPIL_DAYS: usize = 190;

/// The academic year (named by the calendar year its autumn term is in) a school is in on
/// `today`: from August, the one about to start, since that is the year a new policy is for.
pub fn academic_year_of(today: NaiveDate) -> i32 {
    if today.month() >= 8 {
        today.year()
    } else {
        today.year() - 1
    }
}

/// One term or closure line of the skeleton; lines are written in date order, a term before
/// the closures that start on its first day.
struct Line {
    date: NaiveDate,
    /// 0 for a term, 1 for a closure.
    rank: u8,
    text: String,
    /// A comment written above the line, if any.
    note: Option<&'static str>,
}

/// The `.calendar` text for the academic year starting in September of `year`, with the
/// summer term ending on its [`PUPIL_DAYS`]th school day. `None` only for a year chrono
/// cannot represent (the caller bounds `year`).
pub fn skeleton(year: i32) -> Option<String> {
    // Dates are typical of England's local authorities, not any one's: the comments say so.
    let autumn_start = weekday_on_or_after(ymd(year, 9, 1)?)?;
    let autumn_inset_end = weekday_on_or_after(autumn_start.checked_add_days(Days::new(1))?)?;
    let autumn_half = last_weekday_of(year, 10, Weekday::Mon)?;
    let after_half = autumn_half.checked_add_days(Days::new(7))?;
    let autumn_end = last_friday_on_or_before(ymd(year, 12, 21)?)?;
    let spring_start = monday_on_or_after(ymd(year + 1, 1, 2)?)?;
    let spring_half = NaiveDate::from_weekday_of_month_opt(year + 1, 2, Weekday::Mon, 3)?;
    let easter = crate::holidays::easter_sunday(year + 1)?;
    let spring_end = easter.checked_sub_days(Days::new(9))?;
    let easter_holiday = easter.checked_sub_days(Days::new(6))?;
    let summer_start = easter.checked_add_days(Days::new(8))?;
    let summer_half = last_weekday_of(year + 1, 5, Weekday::Mon)?;
    let friday = |monday: NaiveDate| monday.checked_add_days(Days::new(4));

    let term = |date: NaiveDate, text: String, note: Option<&'static str>| Line {
        date,
        rank: 0,
        text,
        note,
    };
    let closure = |date: NaiveDate, text: String, note: Option<&'static str>| Line {
        date,
        rank: 1,
        text,
        note,
    };
    let build = |summer_end: NaiveDate, bank_holidays: &[(NaiveDate, &str)]| -> Option<String> {
        let christmas = autumn_end.checked_add_days(Days::new(3))?;
        let mut lines = vec![
            term(
                autumn_start,
                format!("term autumn {autumn_start} .. {autumn_end}"),
                Some("Its first two days are INSET (staff training) days: no pupils, no register."),
            ),
            closure(
                autumn_start,
                format!("inset {autumn_start} .. {autumn_inset_end} \"INSET days\""),
                None,
            ),
            closure(
                autumn_half,
                format!(
                    "half_term {autumn_half} .. {} \"autumn half term\"",
                    friday(autumn_half)?
                ),
                None,
            ),
            closure(
                after_half,
                format!("inset {after_half} \"INSET day\""),
                None,
            ),
            closure(
                christmas,
                format!(
                    "holiday {christmas} .. {} \"Christmas\"",
                    spring_start.checked_sub_days(Days::new(3))?
                ),
                None,
            ),
            term(
                spring_start,
                format!("term spring {spring_start} .. {spring_end}"),
                None,
            ),
            closure(
                spring_start,
                format!("inset {spring_start} \"INSET day\""),
                None,
            ),
            closure(
                spring_half,
                format!(
                    "half_term {spring_half} .. {} \"spring half term\"",
                    friday(spring_half)?
                ),
                None,
            ),
            closure(
                easter_holiday,
                format!(
                    "holiday {easter_holiday} .. {} \"Easter\"",
                    easter.checked_add_days(Days::new(5))?
                ),
                Some("Good Friday and Easter Monday fall in the Easter holiday."),
            ),
            term(
                summer_start,
                format!("term summer {summer_start} .. {summer_end}"),
                None,
            ),
            closure(
                summer_start,
                format!("inset {summer_start} \"INSET day\""),
                None,
            ),
            closure(
                summer_half,
                format!(
                    "half_term {summer_half} .. {} \"summer half term\"",
                    friday(summer_half)?
                ),
                Some("The spring bank holiday, the last Monday of May, falls in the half term."),
            ),
        ];
        for (date, name) in bank_holidays {
            // A bank holiday in term is a closure the calendar must state (AT011).
            lines.push(closure(
                *date,
                format!("bank_holiday {date} \"{name}\""),
                None,
            ));
        }
        // Stable: two closures starting on one day keep the order written above.
        lines.sort_by_key(|l| (l.date, l.rank));
        Some(render(year, &lines))
    };

    // The bank holidays of the year that fall in term on a day nothing else closes: found on
    // the calendar with the summer term running to the end of July, since none falls in the
    // weeks the summer term then loses.
    let long = build(ymd(year + 1, 7, 31)?, &[])?;
    let calendar = lower(&long)?;
    let in_term: Vec<(NaiveDate, &str)> = crate::holidays::bank_holidays(year)
        .into_iter()
        .chain(crate::holidays::bank_holidays(year + 1))
        .filter(|(d, _)| calendar.is_school_day(*d))
        .collect();
    let closed = build(ymd(year + 1, 7, 31)?, &in_term)?;
    // The calendar decides what a school day is: the summer term ends on the school day that
    // makes the year's total.
    let days = lower(&closed)?.school_days();
    let summer_end = *days.get(PUPIL_DAYS - 1)?;
    let in_term: Vec<_> = in_term
        .into_iter()
        .filter(|(d, _)| *d <= summer_end)
        .collect();
    build(summer_end, &in_term)
}

/// The skeleton's text read back as the library reads a `.calendar` file.
fn lower(text: &str) -> Option<crate::model::Calendar> {
    let src = Source::new("school.calendar", text);
    crate::load_calendar(&src)
        .ok()
        .map(|(calendar, _)| calendar)
}

fn render(year: i32, lines: &[Line]) -> String {
    let mut out = format!(
        "# The school's term dates for {year}-{next:02}, written by `attend init`.\n\
         #\n\
         # THESE DATES ARE PLACEHOLDERS: dates typical of England, not your school's. Replace every\n\
         # date below with the term dates your school or local authority publishes, then run\n\
         # `attend check`. A school's iCalendar (.ics) feed of term dates becomes a file like this\n\
         # one with `attend calendar import term-dates.ics -o school.calendar`.\n\
         #\n\
         # School days come from this file: a weekday inside a term that no closure (half_term,\n\
         # holiday, bank_holiday, inset, closed) covers. As written, the year has {PUPIL_DAYS} school days\n\
         # ({sessions} sessions), the least a maintained school may have. Each `calendar` block is one\n\
         # academic year: add the next year's block below this one when its dates are published.\n\
         # The register times are in the policy (`calendar {{ session ... }}`).\n",
        next = (year + 1).rem_euclid(100),
        sessions = PUPIL_DAYS * 2,
    );
    out.push_str(&format!(
        "calendar \"{year}-{:02}\" {{\n",
        (year + 1).rem_euclid(100)
    ));
    for line in lines {
        if let Some(note) = line.note {
            out.push_str(&format!("  # {note}\n"));
        }
        out.push_str(&format!("  {}\n", line.text));
    }
    out.push_str("}\n");
    out
}

fn ymd(year: i32, month: u32, day: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, month, day)
}

fn weekday_on_or_after(date: NaiveDate) -> Option<NaiveDate> {
    match date.weekday() {
        Weekday::Sat => date.checked_add_days(Days::new(2)),
        Weekday::Sun => date.checked_add_days(Days::new(1)),
        Weekday::Mon | Weekday::Tue | Weekday::Wed | Weekday::Thu | Weekday::Fri => Some(date),
    }
}

fn monday_on_or_after(date: NaiveDate) -> Option<NaiveDate> {
    let ahead = (7 - date.weekday().num_days_from_monday()) % 7;
    date.checked_add_days(Days::new(u64::from(ahead)))
}

fn last_friday_on_or_before(date: NaiveDate) -> Option<NaiveDate> {
    let back =
        (date.weekday().num_days_from_monday() + 7 - Weekday::Fri.num_days_from_monday()) % 7;
    date.checked_sub_days(Days::new(u64::from(back)))
}

fn last_weekday_of(year: i32, month: u32, weekday: Weekday) -> Option<NaiveDate> {
    (1..=5u8)
        .rev()
        .find_map(|n| NaiveDate::from_weekday_of_month_opt(year, month, weekday, n))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("a test date")
    }

    #[test]
    fn the_academic_year_turns_in_august() {
        assert_eq!(academic_year_of(date("2026-07-31")), 2025);
        assert_eq!(academic_year_of(date("2026-08-01")), 2026);
        assert_eq!(academic_year_of(date("2026-12-02")), 2026);
        assert_eq!(academic_year_of(date("2027-03-01")), 2026);
    }

    #[test]
    fn every_year_has_exactly_190_school_days_and_no_bank_holiday_open() {
        // Easter moves from 22 March to 25 April, and the New Year's substitute day falls in
        // term some years: each of 40 years is a different mix.
        for year in 2000..2040 {
            let text = skeleton(year).expect("a skeleton for every year");
            let calendar = lower(&text).expect("the skeleton reads back");
            let days = calendar.school_days();
            assert_eq!(days.len(), PUPIL_DAYS, "{year}: {text}");
            for (d, name) in crate::holidays::bank_holidays(year + 1) {
                assert!(!calendar.is_school_day(d), "{year}: {name} {d} is open");
            }
            // The summer term ends in July, as English schools' do.
            let last = days.last().expect("a school day");
            assert_eq!(last.month(), 7, "{year}: ends {last}");
        }
    }

    #[test]
    fn the_2026_skeleton_on_dates_checked_by_hand() {
        // 2026-09-01 is a Tuesday; Easter 2027 is 28 March (Good Friday 26 March).
        let text = skeleton(2026).expect("a skeleton");
        for line in [
            "term autumn 2026-09-01 .. 2026-12-18",
            "inset 2026-09-01 .. 2026-09-02 \"INSET days\"",
            "half_term 2026-10-26 .. 2026-10-30 \"autumn half term\"",
            "holiday 2026-12-21 .. 2027-01-01 \"Christmas\"",
            "term spring 2027-01-04 .. 2027-03-19",
            "half_term 2027-02-15 .. 2027-02-19 \"spring half term\"",
            "holiday 2027-03-22 .. 2027-04-02 \"Easter\"",
            "bank_holiday 2027-05-03 \"early May bank holiday\"",
            "half_term 2027-05-31 .. 2027-06-04 \"summer half term\"",
        ] {
            assert!(text.contains(line), "missing `{line}` in\n{text}");
        }
        // Autumn: 2026-09-01..2026-12-18 is 16 weeks less a day (Mon 31 Aug not in term) =
        // 79 weekdays, less half term 5, INSET 3 = 71. Spring: 2027-01-04..2027-03-19 is 11
        // weeks = 55 weekdays, less half term 5, INSET 1 = 49. So summer needs 190 - 71 - 49
        // = 70: from Monday 2027-04-05, the 15 weeks to 16 July are 75 weekdays, less INSET 1,
        // the early May bank holiday 1 and half term 5 = 68; Monday 19 and Tuesday 20 July
        // make 70.
        assert!(
            text.contains("term summer 2027-04-05 .. 2027-07-20"),
            "{text}"
        );
    }
}
