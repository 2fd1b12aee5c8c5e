//! Calendar expansion: the school days of one or several academic years, each with its school
//! week, half-term, term and academic year, and where every window of DESIGN.md §4 starts.
//! Built once per run; every pupil's metrics index into it.

use chrono::{Datelike, NaiveDate, Weekday};

use crate::model::{Calendar, ClosureKind, Period, Window};

/// Marks a calendar date that is not a school day in [`SchoolDays::index_of_offset`].
pub const NOT_SCHOOL_DAY: u32 = u32::MAX;

/// Every school day of a calendar, in date order, with the periods it belongs to.
#[derive(Clone, Debug)]
pub struct SchoolDays {
    dates: Vec<NaiveDate>,
    /// Per school day: ordinal of its school week (Monday–Sunday with a school day).
    week: Vec<u32>,
    half_term: Vec<u32>,
    term: Vec<u32>,
    year: Vec<u32>,
    /// Per ordinal: the index of the period's first school day.
    week_start: Vec<u32>,
    half_term_start: Vec<u32>,
    term_start: Vec<u32>,
    year_start: Vec<u32>,
    /// The first date the calendar covers and, per date from it, the school day index.
    first: NaiveDate,
    index_of_offset: Vec<u32>,
    /// Term names and academic-year labels, for explanations.
    term_names: Vec<String>,
    year_labels: Vec<String>,
}

/// Why a date is not a school day, for error messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Closed {
    Weekend(Weekday),
    Closure {
        kind: ClosureKind,
        reason: Option<String>,
    },
    NotInTerm,
    OutsideCalendar,
}

impl std::fmt::Display for Closed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Closed::Weekend(day) => write!(f, "a {}", weekday_name(*day)),
            Closed::Closure {
                kind,
                reason: Some(reason),
            } => write!(f, "closed ({}: {reason})", kind.keyword()),
            Closed::Closure { kind, reason: None } => write!(f, "closed ({})", kind.keyword()),
            Closed::NotInTerm => f.write_str("not in any term"),
            Closed::OutsideCalendar => f.write_str("outside the calendar"),
        }
    }
}

fn weekday_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

impl SchoolDays {
    /// Expands a calendar. Academic years are taken in order of their first term; a term's
    /// half-terms are split by the `half_term` closures inside it.
    pub fn new(calendar: &Calendar) -> SchoolDays {
        let mut years: Vec<_> = calendar
            .years
            .iter()
            .filter(|y| !y.terms.is_empty())
            .collect();
        years.sort_by_key(|y| y.terms.iter().map(|t| t.start).min());
        let mut terms = Vec::new();
        for (y, year) in years.iter().enumerate() {
            let mut ts: Vec<_> = year.terms.iter().collect();
            ts.sort_by_key(|t| t.start);
            for t in ts {
                terms.push((y, t));
            }
        }
        let first = terms
            .iter()
            .map(|(_, t)| t.start)
            .min()
            .unwrap_or(NaiveDate::MIN);
        let last = terms
            .iter()
            .map(|(_, t)| t.end)
            .max()
            .unwrap_or(NaiveDate::MIN);
        let span = usize::try_from((last - first).num_days() + 1).unwrap_or(0);
        let mut days = SchoolDays {
            dates: Vec::new(),
            week: Vec::new(),
            half_term: Vec::new(),
            term: Vec::new(),
            year: Vec::new(),
            week_start: Vec::new(),
            half_term_start: Vec::new(),
            term_start: Vec::new(),
            year_start: Vec::new(),
            first,
            index_of_offset: vec![NOT_SCHOOL_DAY; span],
            term_names: Vec::new(),
            year_labels: years
                .iter()
                .enumerate()
                .map(|(i, y)| y.label.clone().unwrap_or_else(|| format!("year {}", i + 1)))
                .collect(),
        };
        let mut keys: Option<(NaiveDate, usize, usize, usize)> = None;
        for (term_ordinal, (y, term)) in terms.iter().enumerate() {
            days.term_names.push(term.name.clone());
            for date in term.start.iter_days().take_while(|d| *d <= term.end) {
                if !calendar.is_school_day(date) || days.dates.last().is_some_and(|l| *l >= date) {
                    continue;
                }
                let index = u32::try_from(days.dates.len()).unwrap_or(u32::MAX);
                let monday =
                    date - chrono::Days::new(u64::from(date.weekday().num_days_from_monday()));
                let half = calendar
                    .closures()
                    .filter(|c| {
                        c.kind == ClosureKind::HalfTerm && c.end < date && c.start > term.start
                    })
                    .count();
                let (new_week, new_half, new_term, new_year) = match keys {
                    None => (true, true, true, true),
                    Some((m, t, h, yy)) => (
                        m != monday,
                        t != term_ordinal || h != half,
                        t != term_ordinal,
                        yy != *y,
                    ),
                };
                keys = Some((monday, term_ordinal, half, *y));
                push_period(new_week, &mut days.week, &mut days.week_start, index);
                push_period(
                    new_half,
                    &mut days.half_term,
                    &mut days.half_term_start,
                    index,
                );
                push_period(new_term, &mut days.term, &mut days.term_start, index);
                push_period(new_year, &mut days.year, &mut days.year_start, index);
                if let Some(slot) = usize::try_from((date - first).num_days())
                    .ok()
                    .and_then(|o| days.index_of_offset.get_mut(o))
                {
                    *slot = index;
                }
                days.dates.push(date);
            }
        }
        days
    }

    pub fn len(&self) -> usize {
        self.dates.len()
    }

    pub fn is_empty(&self) -> bool {
        self.dates.is_empty()
    }

    pub fn dates(&self) -> &[NaiveDate] {
        &self.dates
    }

    /// The school days of the calendar's first academic year: what a synthetic cohort spans.
    pub fn first_year(&self) -> &[NaiveDate] {
        let first = self.academic_year(0);
        let n = (0..self.len())
            .take_while(|d| self.academic_year(*d) == first)
            .count();
        &self.dates[..n]
    }

    pub fn date(&self, day: usize) -> NaiveDate {
        self.dates.get(day).copied().unwrap_or(self.first)
    }

    /// The school day index of a date, if it is a school day.
    pub fn index(&self, date: NaiveDate) -> Option<usize> {
        let offset = usize::try_from((date - self.first).num_days()).ok()?;
        self.index_of_offset
            .get(offset)
            .filter(|i| **i != NOT_SCHOOL_DAY)
            .map(|i| *i as usize)
    }

    /// Per calendar day from `date` on, its school day index (`None`: not a school day): a
    /// reader walking a run of calendar days subtracts dates once, not once a day.
    pub fn walk_from(&self, date: NaiveDate) -> impl Iterator<Item = Option<usize>> + '_ {
        let offset = (date - self.first).num_days();
        (offset..).map(move |o| {
            usize::try_from(o)
                .ok()
                .and_then(|o| self.index_of_offset.get(o))
                .filter(|i| **i != NOT_SCHOOL_DAY)
                .map(|i| *i as usize)
        })
    }

    /// Per calendar day from `date` to the calendar's end, its school day index or
    /// [`NOT_SCHOOL_DAY`]; `None` when `date` is before the calendar. (What
    /// [`SchoolDays::walk_from`] gives, as a slice for a reader's inner loop.)
    pub fn from_date(&self, date: NaiveDate) -> Option<&[u32]> {
        let offset = usize::try_from((date - self.first).num_days()).ok()?;
        Some(self.index_of_offset.get(offset..).unwrap_or(&[]))
    }

    /// The first school day on or after `date` (for ranges that start on a closed day).
    pub fn index_on_or_after(&self, date: NaiveDate) -> usize {
        self.dates.partition_point(|d| *d < date)
    }

    /// Why `date` is not a school day (`None` when it is one).
    pub fn closed(&self, calendar: &Calendar, date: NaiveDate) -> Option<Closed> {
        if self.index(date).is_some() {
            return None;
        }
        let first = self.dates.first()?;
        let in_span = calendar.terms().any(|t| t.start <= date && date <= t.end);
        Some(
            if matches!(date.weekday(), Weekday::Sat | Weekday::Sun) && in_span {
                Closed::Weekend(date.weekday())
            } else if let Some(c) = calendar.closure_on(date) {
                Closed::Closure {
                    kind: c.kind,
                    reason: c.reason.clone(),
                }
            } else if date < *first || self.dates.last().is_some_and(|l| date > *l) {
                Closed::OutsideCalendar
            } else if matches!(date.weekday(), Weekday::Sat | Weekday::Sun) {
                Closed::Weekend(date.weekday())
            } else {
                Closed::NotInTerm
            },
        )
    }

    pub fn week(&self, day: usize) -> u32 {
        self.week.get(day).copied().unwrap_or(0)
    }

    pub fn academic_year(&self, day: usize) -> u32 {
        self.year.get(day).copied().unwrap_or(0)
    }

    pub fn year_label(&self, day: usize) -> &str {
        self.year_labels
            .get(self.academic_year(day) as usize)
            .map_or("", String::as_str)
    }

    pub fn term_name(&self, day: usize) -> &str {
        self.term_names
            .get(self.term.get(day).copied().unwrap_or(0) as usize)
            .map_or("", String::as_str)
    }

    /// The ordinal of the period holding `day`, for `once per` rules.
    pub fn period(&self, period: Period, day: usize) -> u32 {
        let of = match period {
            Period::HalfTerm => &self.half_term,
            Period::Term => &self.term,
            Period::Year => &self.year,
        };
        of.get(day).copied().unwrap_or(0)
    }

    /// The number of the period holding `day` within its academic year, from 1: the third
    /// half-term of the year is 3, whatever the calendar's earlier years held.
    pub fn in_year(&self, period: Period, day: usize) -> u32 {
        let first = self
            .year
            .get(day)
            .and_then(|y| self.year_start.get(*y as usize))
            .map_or(0, |s| *s as usize);
        let of = match period {
            Period::HalfTerm => &self.half_term,
            Period::Term => &self.term,
            Period::Year => return 1,
        };
        let at = |d: usize| of.get(d).copied().unwrap_or(0);
        at(day).saturating_sub(at(first)) + 1
    }

    /// The number of the school week holding `day` within its academic year, from 1.
    pub fn week_in_year(&self, day: usize) -> u32 {
        let first = self
            .year
            .get(day)
            .and_then(|y| self.year_start.get(*y as usize))
            .map_or(0, |s| *s as usize);
        self.week(day).saturating_sub(self.week(first)) + 1
    }

    /// Whether `day` is the last school day of its period in the calendar (the next school
    /// day is in another period, or there is none).
    pub fn is_last_of(&self, period: Period, day: usize) -> bool {
        day < self.len()
            && (day + 1 >= self.len() || self.period(period, day + 1) != self.period(period, day))
    }

    /// The index of the first school day of the window at `day`; the window is
    /// `start..=day`, empty when `start > day` (a window of zero weeks or days).
    pub fn window_start(&self, window: Window, day: usize) -> usize {
        let first_of = |ordinals: &[u32], starts: &[u32]| {
            ordinals
                .get(day)
                .and_then(|o| starts.get(*o as usize))
                .map_or(0, |s| *s as usize)
        };
        match window {
            Window::YearToDate => first_of(&self.year, &self.year_start),
            Window::ThisTerm => first_of(&self.term, &self.term_start),
            Window::ThisHalfTerm => first_of(&self.half_term, &self.half_term_start),
            Window::RollingWeeks(0) | Window::LastDays(0) => day + 1,
            Window::RollingWeeks(n) => {
                let week = self.week(day);
                let from = week.saturating_sub(n - 1);
                self.week_start
                    .get(from as usize)
                    .map_or(0, |s| *s as usize)
            }
            Window::LastDays(n) => (day + 1).saturating_sub(n as usize),
        }
    }
}

fn push_period(new: bool, ordinals: &mut Vec<u32>, starts: &mut Vec<u32>, index: u32) {
    if new {
        starts.push(index);
    }
    ordinals.push(u32::try_from(starts.len()).unwrap_or(1).saturating_sub(1));
}
