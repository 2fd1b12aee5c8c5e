//! Schedules: a threshold that changes with the half-term or term of the year ("half-term 1:
//! 3.5 days, 2: 7 days, ..."), and conditions that compare a metric with one. On a school day
//! the row for the period the day falls in applies; a day of a period with no row holds none.

use std::fmt;

use chrono::NaiveDate;

use super::{Calendar, ClosureKind, CmpOp, Condition, CountMetric, Percent, Period, RatioMetric};
use super::{SessionClass, Window};
use crate::source::Loc;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schedule {
    pub name: String,
    pub wording: Option<String>,
    pub per: Period,
    /// In period order, each period once.
    pub rows: Vec<ScheduleRow>,
    pub loc: Loc,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScheduleRow {
    /// The period's number in the academic year, from 1.
    pub period: u32,
    pub threshold: Threshold,
    /// The value as written (`3.5 days`).
    pub written: String,
    pub label: Option<String>,
    pub loc: Loc,
}

/// A row's value: whole sessions (a day is two) or an exact percentage.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Threshold {
    Sessions(u32),
    Percent(Percent),
}

impl fmt::Display for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Threshold::Sessions(n) => write!(f, "{n} sessions"),
            Threshold::Percent(p) => write!(f, "{p}"),
        }
    }
}

/// What a schedule is compared with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScheduledLhs {
    Count(CountMetric),
    Ratio(RatioMetric, Window),
}

impl fmt::Display for ScheduledLhs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScheduledLhs::Count(m) => write!(f, "{m}"),
            ScheduledLhs::Ratio(m, w) => write!(f, "{}({w})", m.keyword()),
        }
    }
}

/// `absent(year_to_date) >= pa_days`: a metric compared with the row of a schedule for the
/// period of the day. The rows are copied in, so the condition stands on its own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scheduled {
    pub lhs: ScheduledLhs,
    pub op: CmpOp,
    pub name: String,
    pub per: Period,
    pub rows: Vec<(u32, Threshold)>,
}

impl Scheduled {
    /// The comparison on the days of one period: `lhs op threshold`.
    pub fn row_condition(&self, threshold: Threshold) -> Condition {
        match (&self.lhs, threshold) {
            (ScheduledLhs::Count(metric), Threshold::Sessions(value)) => Condition::Count {
                metric: metric.clone(),
                op: self.op,
                value,
            },
            (ScheduledLhs::Ratio(metric, window), Threshold::Percent(value)) => Condition::Ratio {
                metric: *metric,
                window: *window,
                op: self.op,
                value,
            },
            // Lowering refuses a schedule of the other kind; the row then never holds.
            (ScheduledLhs::Count(metric), Threshold::Percent(_)) => Condition::Count {
                metric: metric.clone(),
                op: CmpOp::Lt,
                value: 0,
            },
            (ScheduledLhs::Ratio(metric, window), Threshold::Sessions(_)) => Condition::Ratio {
                metric: *metric,
                window: *window,
                op: CmpOp::Gt,
                value: Percent::HUNDRED,
            },
        }
    }

    pub fn count_metrics(&self, out: &mut Vec<CountMetric>) {
        match &self.lhs {
            ScheduledLhs::Count(m) => out.push(m.clone()),
            ScheduledLhs::Ratio(m, window) => {
                out.push(CountMetric::Sessions {
                    class: m.numerator(),
                    window: *window,
                });
                out.push(CountMetric::Sessions {
                    class: SessionClass::Possible,
                    window: *window,
                });
            }
        }
    }
}

impl fmt::Display for Scheduled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.lhs, self.op.token(), self.name)
    }
}

/// The name of a period as a reader says it: `half-term 3`, `term 2`.
pub fn period_name(per: Period, n: u32) -> String {
    match per {
        Period::HalfTerm => format!("half-term {n}"),
        Period::Term => format!("term {n}"),
        Period::Year => format!("year {n}"),
    }
}

/// The close of one period of an academic year.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Close {
    /// The period's number in the year, from 1.
    pub period: u32,
    /// Its last school day.
    pub last: NaiveDate,
    /// School days from the start of the year to it, inclusive.
    pub days: u32,
}

/// The closes of the periods of the first academic year with term dates, from the calendar's
/// own school days: a half-term is a term's school days between its `half_term` closures.
pub fn closes(calendar: &Calendar, per: Period) -> Vec<Close> {
    let Some(year) = calendar.years.iter().find(|y| !y.terms.is_empty()) else {
        return Vec::new();
    };
    let one = Calendar {
        sessions: Vec::new(),
        years: vec![year.clone()],
        school_day: Default::default(),
    };
    let mut terms: Vec<_> = year.terms.iter().collect();
    terms.sort_by_key(|t| t.start);
    let mut out: Vec<Close> = Vec::new();
    let mut key = None;
    let mut days = 0u32;
    for date in one.school_days() {
        let Some(t) = terms.iter().position(|t| t.start <= date && date <= t.end) else {
            continue;
        };
        let half = year
            .closures
            .iter()
            .filter(|c| c.kind == ClosureKind::HalfTerm && c.end < date && c.start > terms[t].start)
            .count();
        let now = match per {
            Period::HalfTerm => (t, half),
            Period::Term => (t, 0),
            Period::Year => (0, 0),
        };
        days += 1;
        if key != Some(now) {
            key = Some(now);
            let period = u32::try_from(out.len() + 1).unwrap_or(u32::MAX);
            out.push(Close {
                period,
                last: date,
                days,
            });
        }
        if let Some(close) = out.last_mut() {
            close.last = date;
            close.days = days;
        }
    }
    out
}

/// The calendar the checker compares schedules and looked-at triggers over when a policy
/// gives no term dates: the illustrative 2024-25 calendar shipped with attend.
const ILLUSTRATIVE: &str = include_str!("../../policies/calendars/camden-2024-25.calendar");

static ILLUSTRATIVE_CALENDAR: std::sync::LazyLock<Calendar> = std::sync::LazyLock::new(|| {
    let src = crate::source::Source::new("camden-2024-25.calendar", ILLUSTRATIVE);
    match crate::syntax::dsl::parse_file(&src) {
        Ok(crate::syntax::ast::File::Calendars(file)) => super::lower_calendar(&file).0,
        _ => Calendar::default(),
    }
});

/// The illustrative 2024-25 calendar (`policies/calendars/camden-2024-25.calendar`): 191
/// school days in half-terms of 37, 35, 29, 30, 23 and 37.
pub fn illustrative_calendar() -> &'static Calendar {
    &ILLUSTRATIVE_CALENDAR
}

/// What can be wrong with a schedule as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScheduleProblem {
    /// `per year`: one row, which is a plain comparison.
    PerYear,
    PeriodZero,
    /// A row for a period at or before the row above it.
    OutOfOrder {
        period: String,
        after: String,
    },
    /// A cumulative count lower than the period's before.
    Decreases {
        name: String,
        period: String,
        value: String,
        before: String,
        before_value: String,
    },
    /// Counts and percentages in one schedule.
    Mixed {
        name: String,
    },
    /// A period the policy's own calendar does not have.
    NotInCalendar {
        period: String,
        per: &'static str,
        have: usize,
    },
    /// A half anywhere but days (`3.5 sessions`).
    HalfNotWhole {
        written: String,
    },
    /// `every 0 school_weeks`.
    EveryZero,
}

impl ScheduleProblem {
    pub fn message(&self) -> String {
        match self {
            ScheduleProblem::PerYear => "a schedule per year has one row".into(),
            ScheduleProblem::PeriodZero => "periods are numbered from 1".into(),
            ScheduleProblem::OutOfOrder { period, after } => {
                format!("{period} is written after {after}")
            }
            ScheduleProblem::Decreases {
                name,
                period,
                value,
                before,
                before_value,
            } => format!(
                "the schedule `{name}` goes down from {before_value} at {before} to {value} at {period}"
            ),
            ScheduleProblem::Mixed { name } => {
                format!("the schedule `{name}` mixes counts and percentages")
            }
            ScheduleProblem::NotInCalendar { period, per, have } => {
                format!("the policy's calendar has no {period}: its first year has {have} {per}s")
            }
            ScheduleProblem::HalfNotWhole { written } => {
                format!("`{written}` is not a whole number of sessions")
            }
            ScheduleProblem::EveryZero => "every 0 school weeks is never".into(),
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ScheduleProblem::PerYear => "model::schedule_per_year",
            ScheduleProblem::PeriodZero => "model::schedule_period_zero",
            ScheduleProblem::OutOfOrder { .. } => "model::schedule_out_of_order",
            ScheduleProblem::Decreases { .. } => "model::schedule_decreases",
            ScheduleProblem::Mixed { .. } => "model::schedule_mixed",
            ScheduleProblem::NotInCalendar { .. } => "model::schedule_period_not_in_calendar",
            ScheduleProblem::HalfNotWhole { .. } => "model::half_not_whole",
            ScheduleProblem::EveryZero => "model::looked_every_zero",
        }
    }

    pub fn help(&self) -> String {
        match self {
            ScheduleProblem::PerYear => {
                "write `per half_term` or `per term`, or compare with the count itself".into()
            }
            ScheduleProblem::PeriodZero => "the first half-term or term of the year is `1:`".into(),
            ScheduleProblem::OutOfOrder { .. } => {
                "write each period once, in the order of the year".into()
            }
            ScheduleProblem::Decreases { .. } => {
                "a schedule counts absence so far in the year, which cannot go down: check the row"
                    .into()
            }
            ScheduleProblem::Mixed { .. } => {
                "write every row as a count (`3.5 days`) or every row as a percentage (`96%`)"
                    .into()
            }
            ScheduleProblem::NotInCalendar { .. } => {
                "remove the row, or add the term dates and `half_term` closures that make it".into()
            }
            ScheduleProblem::HalfNotWhole { .. } => {
                "a half is a half day: `3.5 days` is 7 sessions".into()
            }
            ScheduleProblem::EveryZero => {
                "write `every school_week` or `every 2 school_weeks`".into()
            }
        }
    }
}
