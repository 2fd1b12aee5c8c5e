//! Term dates from iCalendar: a school's or council's `.ics` feed read into the `.calendar`
//! text `attend` reads, with what a person should confirm noted at the feed's lines. It runs
//! before `syntax`, which parses the text it writes as it would a `.calendar` file.
//!
//! The `icalendar` crate parses the content lines (folded lines, parameters such as `TZID`,
//! escaped text) and the `rrule` crate expands `RRULE`s; only the mapping is written here.
//! Each event is classified by its `SUMMARY`'s words ([`classify`]), in this order:
//! - INSET: `INSET`, `Training day`, `Staff development`, `Non-pupil day`, `PD day`;
//! - bank holiday: `Bank holiday`, `Good Friday`, `Easter Monday`, `Christmas Day`, `Boxing Day`;
//! - half term: `Half term`, `Half-term holiday`;
//! - term start: `term` (or a year group) with `starts`, `begins`, `first day`, `returns`;
//! - term end: `term` with `ends`, `last day`, `finishes`, `breaks up`;
//! - holiday: `holiday`, `holidays`, `break`, `vacation` (`Christmas holiday`, `Easter break`);
//! - closure: `School closed`, `Closure`, `Polling day`;
//! - a whole term: `Autumn term`, `Spring term` spanning the term's days;
//! - anything else (`Sports day`) is not used, and listed as such.
//!
//! All-day events end the day before their `DTEND`. A timed closure closes the days whose noon
//! it covers (a half-term from 15:00 on a Friday leaves that Friday a school day, a half day);
//! UTC times are read as London's. Term starts and ends are paired in date order (a second start
//! within a fortnight, for other year groups, starts the same term). Overlapping closures of one
//! kind are merged, repeats dropped, and England's bank holidays in term that no event closes are
//! filled. Nothing is guessed silently: each of these is a note or warning at the event's line.

mod build;
pub mod classify;
mod error;
mod read;
mod write;

use chrono::NaiveDate;

pub use classify::Kind;
pub use error::IcsError;
pub use read::is_icalendar;
pub use write::repeats;

use crate::diagnostic::{Diagnostic, Problem};
use crate::source::{Loc, Source, Span};

/// A feed larger than this is refused: a school's term dates are a few kilobytes.
pub const MAX_FILE_BYTES: usize = 1024 * 1024;

/// What a feed was read as.
#[derive(Clone, Debug)]
pub struct Imported {
    /// The `.calendar` file, with comments for the reviewer.
    pub text: String,
    pub terms: Vec<Term>,
    pub closures: Vec<Closure>,
    pub half_days: Vec<HalfDay>,
    /// Events not used, with why.
    pub unused: Vec<Unused>,
    /// Warnings and notes, at the feed's lines.
    pub diagnostics: Vec<Diagnostic>,
}

#[derive(Clone, Debug)]
pub struct Term {
    /// The academic year, `2024-25`.
    pub year: String,
    pub name: String,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub loc: Loc,
}

#[derive(Clone, Debug)]
pub struct Closure {
    pub year: String,
    pub kind: Kind,
    pub start: NaiveDate,
    pub end: NaiveDate,
    /// The event's summary (the bank holiday's name when filled).
    pub reason: String,
    /// A bank holiday the feed left out.
    pub filled: bool,
    pub loc: Loc,
}

/// A school day on which a closure starts or ends part-way.
#[derive(Clone, Debug)]
pub struct HalfDay {
    pub date: NaiveDate,
    pub summary: String,
    pub what: String,
    pub loc: Loc,
}

#[derive(Clone, Debug)]
pub struct Unused {
    /// The first date, when a recurring event has several.
    pub date: NaiveDate,
    /// How many dates it has.
    pub count: usize,
    pub summary: String,
    pub why: &'static str,
}

/// Reads an iCalendar feed into a calendar, or every reason it cannot, each located.
pub fn import(src: &Source) -> Result<Imported, Vec<Diagnostic>> {
    if src.text().len() > MAX_FILE_BYTES {
        let mut at = MAX_FILE_BYTES;
        while !src.text().is_char_boundary(at) {
            at -= 1;
        }
        return Err(vec![IcsError::TooLarge.at(&src.loc(Span::new(at, at + 1)))]);
    }
    let (events, mut notes) = read::events(src)?;
    let first_line = src.text().find(['\r', '\n']).unwrap_or(src.text().len());
    let mut imported = build::build(&events, src.name(), &src.loc(Span::new(0, first_line)))?;
    notes.append(&mut imported.diagnostics);
    notes.sort_by_cached_key(Diagnostic::sort_key);
    imported.diagnostics = notes;
    Ok(imported)
}

/// A `.calendar` source for an iCalendar one (any other is returned as it is), with the
/// import's notes; the new source's name is the feed's with ` (imported)` after it.
pub fn as_calendar(src: &Source) -> Result<(Source, Vec<Diagnostic>), Vec<Diagnostic>> {
    if !is_icalendar(src.text()) {
        return Ok((src.clone(), Vec::new()));
    }
    let imported = import(src)?;
    Ok((
        Source::new(format!("{} (imported)", src.name()), imported.text),
        imported.diagnostics,
    ))
}
