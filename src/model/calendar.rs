//! Calendars: register times, terms and closures, one or more academic years. A school day is
//! a weekday inside a term that no closure covers; the calendar, not the weekday, decides.

use chrono::{Datelike, NaiveDate, Weekday};

use super::ClosureKind;
use crate::source::Loc;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Calendar {
    pub sessions: Vec<RegisterTimes>,
    pub years: Vec<AcademicYear>,
    /// Gates, lunch, end of day, registers due, the week; and groups' own register times.
    pub school_day: super::school_day::SchoolDay,
}

crate::model::keyword_enum!(SessionName {
    Am => "am",
    Pm => "pm",
});

/// When a session's register opens, when arrival is marked late, and when it closes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegisterTimes {
    pub session: SessionName,
    /// Minutes after midnight.
    pub opens: Option<u16>,
    pub late_after: Option<u16>,
    pub closes: Option<u16>,
    pub loc: Loc,
}

impl RegisterTimes {
    /// Minutes the register stays open, when the policy says both ends.
    pub fn open_minutes(&self) -> Option<u16> {
        Some(self.closes?.saturating_sub(self.opens?))
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AcademicYear {
    pub label: Option<String>,
    pub terms: Vec<Term>,
    pub closures: Vec<Closure>,
    pub loc: Loc,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Term {
    pub name: String,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub loc: Loc,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Closure {
    pub kind: ClosureKind,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub reason: Option<String>,
    pub loc: Loc,
}

impl Calendar {
    pub fn terms(&self) -> impl Iterator<Item = &Term> {
        self.years.iter().flat_map(|y| &y.terms)
    }

    pub fn closures(&self) -> impl Iterator<Item = &Closure> {
        self.years.iter().flat_map(|y| &y.closures)
    }

    pub fn has_dates(&self) -> bool {
        self.terms().next().is_some()
    }

    pub fn closure_on(&self, date: NaiveDate) -> Option<&Closure> {
        self.closures().find(|c| c.start <= date && date <= c.end)
    }

    pub fn term_of(&self, date: NaiveDate) -> Option<&Term> {
        self.terms().find(|t| t.start <= date && date <= t.end)
    }

    /// In session: a weekday in a term, not closed.
    pub fn is_school_day(&self, date: NaiveDate) -> bool {
        !matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
            && self.term_of(date).is_some()
            && self.closure_on(date).is_none()
    }

    /// Every school day, in date order, across all academic years.
    pub fn school_days(&self) -> Vec<NaiveDate> {
        let mut days: Vec<NaiveDate> = self
            .terms()
            .flat_map(|t| t.start.iter_days().take_while(move |d| *d <= t.end))
            .filter(|d| self.is_school_day(*d))
            .collect();
        days.sort();
        days.dedup();
        days
    }
}
