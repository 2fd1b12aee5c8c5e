//! What schedules and looked-at triggers need of the calendar, day by day: the number of the
//! day's half-term and term in its academic year, and whether a trigger is looked at today.

use crate::model::{LookedAt, Period};
use crate::table::{Event, SchoolDays};

/// The half-term and term numbers of `day` in its academic year, from 1.
pub(super) fn in_year(days: &SchoolDays, day: usize) -> [u32; 2] {
    [
        days.in_year(Period::HalfTerm, day),
        days.in_year(Period::Term, day),
    ]
}

/// The number of `per` from [`in_year`]'s pair (a year is always the first of its year).
pub(super) fn of(in_year: [u32; 2], per: Period) -> u32 {
    match per {
        Period::HalfTerm => in_year[0],
        Period::Term => in_year[1],
        Period::Year => 1,
    }
}

/// The days a trigger row is looked at, from its event.
pub(super) fn looked_at(event: &Event) -> Option<LookedAt> {
    match event {
        Event::EndOf(p) => Some(LookedAt::EndOf(*p)),
        Event::LookedEvery { school_weeks } => Some(LookedAt::Every {
            school_weeks: *school_weeks,
        }),
        _ => None,
    }
}

/// `None` when the trigger is not looked at on `day`; `Some(true)` when it is and the look
/// stands alone (the end of a period: what held at the last period's end does not carry),
/// `Some(false)` when a rising edge is from the look before (`every N school_weeks`, daily).
pub(super) fn look(days: &SchoolDays, looked_at: Option<LookedAt>, day: usize) -> Option<bool> {
    match looked_at {
        None => Some(false),
        Some(LookedAt::EndOf(per)) => days.is_last_of(per, day).then_some(true),
        Some(LookedAt::Every { school_weeks }) => {
            let first_of_week = day == 0 || days.week(day - 1) != days.week(day);
            let nth = (days.week_in_year(day) - 1).is_multiple_of(school_weeks.max(1));
            (first_of_week && nth).then_some(false)
        }
    }
}

/// Whether a band's weekly actions are due in school week `week` for a pupil who entered the
/// band in week `entered`: every week, or every Nth week after it (`every N school_weeks:`).
pub(super) fn weekly_due(
    plan: &super::plan::Plan,
    set: usize,
    band: usize,
    week: u32,
    entered: u32,
) -> bool {
    let every = plan
        .band_weekly_every
        .get(set)
        .and_then(|s| s.get(band))
        .copied()
        .unwrap_or(1)
        .max(1);
    week.saturating_sub(entered).is_multiple_of(every)
}
