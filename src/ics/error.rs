//! The iCalendar import's problems: a feed that cannot be read (errors), and what it read but
//! a person should confirm (warnings and notes), each at the line of the `.ics` file.

use thiserror::Error;

use crate::diagnostic::{Problem, Severity};

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum IcsError {
    #[error("this is not an iCalendar file: it does not begin with `BEGIN:VCALENDAR`")]
    NotICalendar,
    #[error("the file is larger than 1 MiB")]
    TooLarge,
    #[error("the feed holds more than {limit} events")]
    TooManyEvents { limit: usize },
    #[error("{date} is outside the years attend reads, {first} to {last}")]
    OutOfRange { date: String, first: i32, last: i32 },
    #[error("`BEGIN:{name}` is never ended")]
    Unterminated { name: String },
    #[error("`END:{name}` has no `BEGIN:{name}` before it")]
    UnexpectedEnd { name: String },
    #[error("`END:{found}` ends `BEGIN:{open}`")]
    MismatchedEnd { found: String, open: String },
    #[error("components nested more than {limit} deep")]
    TooDeep { limit: usize },
    #[error("this line is not an iCalendar content line")]
    BadLine,
    #[error("`{text}` is not an iCalendar date or date-time")]
    BadDate { text: String },
    #[error("`{text}` is not an iCalendar duration")]
    BadDuration { text: String },
    #[error("the event `{summary}` has no DTSTART")]
    NoStart { summary: String },
    #[error("the RRULE `{text}` cannot be expanded: {reason}")]
    BadRule { text: String, reason: String },
    #[error("the feed holds no term dates")]
    NoTerms,
    #[error("`{summary}` ({date}) is in academic year {year}, where the feed has no term")]
    WrongAcademicYear {
        summary: String,
        date: String,
        year: String,
    },
    #[error("`{summary}` starts on a {weekday} ({date})")]
    HalfTermMidWeek {
        summary: String,
        date: String,
        weekday: String,
    },
    #[error("`{summary}` ({date}) is a first day for some year groups only")]
    SomeYearGroups { summary: String, date: String },
    #[error("`{summary}` ({date}) {why}")]
    InsetOutsideTerm {
        summary: String,
        date: String,
        why: String,
    },
    #[error("`{summary}` ({date}) starts a term that never ends in the feed")]
    TermWithoutEnd { summary: String, date: String },
    #[error("`{summary}` ({date}) ends no term")]
    EndWithoutTerm { summary: String, date: String },
    #[error("time zone `{tzid}` is not London's")]
    ForeignTimeZone { tzid: String },
    #[error("the RRULE of `{summary}` repeats more than {limit} times")]
    TooManyRepeats { summary: String, limit: usize },
    #[error("`{summary}` ({date}): a half day, {what}")]
    HalfDay {
        summary: String,
        date: String,
        what: String,
    },
    #[error("`{summary}` ({dates}) is listed again")]
    Duplicate { summary: String, dates: String },
    #[error("`{summary}` ({dates}) overlaps `{other}`, so the two are read as one {kind}")]
    Overlap {
        summary: String,
        dates: String,
        other: String,
        kind: String,
    },
    #[error("{date} ({name}) is not in the feed: filled as a bank holiday")]
    BankHolidayFilled { date: String, name: String },
}

impl Problem for IcsError {
    fn code(&self) -> &'static str {
        match self {
            IcsError::NotICalendar => "ics::not_icalendar",
            IcsError::TooLarge => "ics::too_large",
            IcsError::TooManyEvents { .. } => "ics::too_many_events",
            IcsError::OutOfRange { .. } => "ics::out_of_range",
            IcsError::Unterminated { .. } => "ics::unterminated",
            IcsError::UnexpectedEnd { .. } => "ics::unexpected_end",
            IcsError::MismatchedEnd { .. } => "ics::mismatched_end",
            IcsError::TooDeep { .. } => "ics::too_deep",
            IcsError::BadLine => "ics::bad_line",
            IcsError::BadDate { .. } => "ics::bad_date",
            IcsError::BadDuration { .. } => "ics::bad_duration",
            IcsError::NoStart { .. } => "ics::no_start",
            IcsError::BadRule { .. } => "ics::bad_rule",
            IcsError::NoTerms => "ics::no_terms",
            IcsError::WrongAcademicYear { .. } => "ics::wrong_academic_year",
            IcsError::HalfTermMidWeek { .. } => "ics::half_term_mid_week",
            IcsError::SomeYearGroups { .. } => "ics::some_year_groups",
            IcsError::InsetOutsideTerm { .. } => "ics::inset_outside_term",
            IcsError::TermWithoutEnd { .. } => "ics::term_without_end",
            IcsError::EndWithoutTerm { .. } => "ics::end_without_term",
            IcsError::ForeignTimeZone { .. } => "ics::foreign_time_zone",
            IcsError::TooManyRepeats { .. } => "ics::too_many_repeats",
            IcsError::HalfDay { .. } => "ics::half_day",
            IcsError::Duplicate { .. } => "ics::duplicate",
            IcsError::Overlap { .. } => "ics::overlap",
            IcsError::BankHolidayFilled { .. } => "ics::bank_holiday_filled",
        }
    }

    fn severity(&self) -> Severity {
        match self {
            IcsError::NotICalendar
            | IcsError::TooLarge
            | IcsError::TooManyEvents { .. }
            | IcsError::OutOfRange { .. }
            | IcsError::Unterminated { .. }
            | IcsError::UnexpectedEnd { .. }
            | IcsError::MismatchedEnd { .. }
            | IcsError::TooDeep { .. }
            | IcsError::BadLine
            | IcsError::BadDate { .. }
            | IcsError::BadDuration { .. }
            | IcsError::NoStart { .. }
            | IcsError::BadRule { .. }
            | IcsError::NoTerms => Severity::Error,
            IcsError::WrongAcademicYear { .. }
            | IcsError::HalfTermMidWeek { .. }
            | IcsError::SomeYearGroups { .. }
            | IcsError::InsetOutsideTerm { .. }
            | IcsError::TermWithoutEnd { .. }
            | IcsError::EndWithoutTerm { .. }
            | IcsError::ForeignTimeZone { .. }
            | IcsError::TooManyRepeats { .. } => Severity::Warning,
            IcsError::HalfDay { .. }
            | IcsError::Duplicate { .. }
            | IcsError::Overlap { .. }
            | IcsError::BankHolidayFilled { .. } => Severity::Info,
        }
    }

    fn help(&self) -> Option<String> {
        Some(match self {
            IcsError::NotICalendar => "export the calendar as iCalendar (.ics), or give a \
                `.calendar` file; an iCalendar file's first line is `BEGIN:VCALENDAR`"
                .into(),
            IcsError::TooLarge => "a school's term dates fit in a few kilobytes: export only \
                the term-dates calendar, not every event"
                .into(),
            IcsError::TooManyEvents { .. } => "export only the term-dates calendar; a school \
                year's term dates are a few dozen events"
                .into(),
            IcsError::OutOfRange { .. } => "check the year of this date".into(),
            IcsError::Unterminated { name } => {
                format!("add `END:{name}` after the component's last line")
            }
            IcsError::UnexpectedEnd { name } => {
                format!("remove this line, or add `BEGIN:{name}` where the component starts")
            }
            IcsError::MismatchedEnd { open, .. } => {
                format!("end the open component first with `END:{open}`")
            }
            IcsError::TooDeep { .. } => {
                "a term-dates feed holds events inside one VCALENDAR".into()
            }
            IcsError::BadLine => "each line is `NAME:value` or `NAME;PARAM=x:value`; a \
                continuation of the line before starts with a space"
                .into(),
            IcsError::BadDate { .. } => "write a date as YYYYMMDD (`DTSTART;VALUE=DATE:20240904`) \
                or a date-time as YYYYMMDDTHHMMSS (`DTSTART;TZID=Europe/London:20240904T090000`)"
                .into(),
            IcsError::BadDuration { .. } => "write a duration as `P1D`, `P1W` or `PT6H30M`".into(),
            IcsError::NoStart { .. } => {
                "add `DTSTART;VALUE=DATE:YYYYMMDD` with the event's first day".into()
            }
            IcsError::BadRule { .. } => "write the rule as RFC 5545 says, e.g. \
                `RRULE:FREQ=WEEKLY;COUNT=3`, or list each date as its own event"
                .into(),
            IcsError::NoTerms => "attend needs events whose summaries say where terms start and \
                end (`Autumn term starts`, `Last day of term`) or span a term (`Autumn term`); \
                see docs/data.md, \"Term dates from iCalendar\""
                .into(),
            IcsError::WrongAcademicYear { .. } => "it is kept as a comment in the .calendar, not \
                used; correct its year in the feed if it belongs to one of the feed's years"
                .into(),
            IcsError::HalfTermMidWeek { .. } => "half-terms usually start on a Monday (or the \
                weekend before it); check this date against the school's website"
                .into(),
            IcsError::SomeYearGroups { .. } => "attend's calendar has no days for some year \
                groups only: the day is a school day for every pupil, so mark the sessions of \
                the year groups not expected in school `#` (planned partial closure)"
                .into(),
            IcsError::InsetOutsideTerm { .. } => "it changes no school day; check whether the \
                holiday or the term end is a day out"
                .into(),
            IcsError::TermWithoutEnd { .. } => {
                "add the term's last day to the feed (`Autumn term ends`)".into()
            }
            IcsError::EndWithoutTerm { .. } => {
                "add the term's first day to the feed (`Autumn term starts`)".into()
            }
            IcsError::ForeignTimeZone { .. } => "its times are read as London clock times; \
                export the feed in Europe/London if they are not"
                .into(),
            IcsError::TooManyRepeats { limit, .. } => {
                format!("only the first {limit} are used; add UNTIL or COUNT to the RRULE")
            }
            IcsError::HalfDay { .. } => "the day stays a school day; mark any session the \
                school does not hold `#` (planned closure)"
                .into(),
            IcsError::Duplicate { .. } => "the repeat is ignored".into(),
            IcsError::Overlap { .. } => {
                "check the dates: the .calendar holds the days either event covers".into()
            }
            IcsError::BankHolidayFilled { .. } => "England's bank holidays are never school \
                days; the .calendar lists it so the count of school days is right"
                .into(),
        })
    }
}
