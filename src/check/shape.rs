//! Exact arithmetic over the domain a policy's percentages really take: ratios of whole
//! sessions. Splits 0–100% into regions by which of several sets of intervals hold there
//! (for gaps, overlaps and definitions that disagree) and finds the smallest
//! (sessions, possible sessions) pair in a region. Integers only: `n / q >= p` is
//! `n * SCALE >= p * q`.

use std::ops::Bound;

use crate::model::{Interval, Percent, RatioMetric, Window};

/// The most possible sessions a pupil has in one school year: 190 days of two sessions,
/// with room to spare.
pub const SCHOOL_YEAR_SESSIONS: u32 = 400;

const SCALE: u64 = Percent::SCALE as u64;

/// The whole domain, 0% to 100% inclusive.
pub const ALL: Interval = Interval {
    lo: Bound::Included(Percent::ZERO),
    hi: Bound::Included(Percent::HUNDRED),
};

/// The most possible sessions a window can hold (two a school day, ten a school week).
pub fn max_possible(window: Window) -> u32 {
    match window {
        Window::RollingWeeks(n) => n.saturating_mul(10).min(SCHOOL_YEAR_SESSIONS),
        Window::LastDays(n) => n.saturating_mul(2).min(SCHOOL_YEAR_SESSIONS),
        Window::YearToDate | Window::ThisTerm | Window::ThisHalfTerm => SCHOOL_YEAR_SESSIONS,
    }
}

/// Whether `n / q` lies in the interval, exactly.
pub fn holds(interval: &Interval, n: u32, q: u32) -> bool {
    let value = u64::from(n) * SCALE;
    let scaled = |p: Percent| u64::from(p.0) * u64::from(q);
    let above_lo = match interval.lo {
        Bound::Included(lo) => value >= scaled(lo),
        Bound::Excluded(lo) => value > scaled(lo),
        Bound::Unbounded => true,
    };
    let below_hi = match interval.hi {
        Bound::Included(hi) => value <= scaled(hi),
        Bound::Excluded(hi) => value < scaled(hi),
        Bound::Unbounded => true,
    };
    above_lo && below_hi
}

/// A pupil's sessions: `sessions` of `possible` (present sessions for attendance, missed
/// sessions for absence).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Example {
    pub sessions: u32,
    pub possible: u32,
}

/// The smallest pair (fewest possible sessions, then fewest sessions) whose ratio lies in the
/// interval, with `min_possible..=max_possible` possible sessions.
pub fn smallest_pair(interval: &Interval, min_possible: u32, max_possible: u32) -> Option<Example> {
    for q in min_possible.max(1)..=max_possible {
        let q64 = u64::from(q);
        let first = match interval.lo {
            Bound::Included(lo) => (u64::from(lo.0) * q64).div_ceil(SCALE),
            Bound::Excluded(lo) => u64::from(lo.0) * q64 / SCALE + 1,
            Bound::Unbounded => 0,
        };
        let Ok(n) = u32::try_from(first) else {
            continue;
        };
        if n <= q && holds(interval, n, q) {
            return Some(Example {
                sessions: n,
                possible: q,
            });
        }
    }
    None
}

/// `n / q` as a percentage for people: exact where it is (`90%`), otherwise rounded to the
/// fewest decimals (two to four) that still lie inside `within`, so `287/299` in
/// (95.9%, 96%) shows as `95.99%`, never as a rounded `96%`.
pub fn percent_text(n: u32, q: u32, within: &Interval) -> String {
    let n64 = u64::from(n);
    let q64 = u64::from(q.max(1));
    if (n64 * SCALE).is_multiple_of(q64)
        && let Ok(p) = u32::try_from(n64 * SCALE / q64)
    {
        return Percent(p).to_string();
    }
    let mut fallback = String::new();
    for decimals in 2..=4u32 {
        let unit = 10u64.pow(decimals);
        // Round half up: (2·n·100·unit + q) / (2q).
        let rounded = (2 * n64 * 100 * unit + q64) / (2 * q64);
        let text = format!(
            "{}.{:0width$}%",
            rounded / unit,
            rounded % unit,
            width = decimals as usize
        );
        // The shown value, as millionths of a whole, stays inside the region when it can.
        let shown_millionths = rounded * SCALE / (100 * unit);
        let exact_shown = (rounded * SCALE).is_multiple_of(100 * unit);
        let inside = u32::try_from(shown_millionths)
            .map(|m| exact_shown && within_percent(within, Percent(m)))
            .unwrap_or(false);
        if decimals == 2 {
            fallback = text.clone();
        }
        if inside || decimals == 4 {
            return if inside { text } else { fallback };
        }
    }
    fallback
}

fn within_percent(interval: &Interval, p: Percent) -> bool {
    interval.contains(p)
}

/// "a pupil with 287 of 299 possible sessions (95.99%)", or, for absence, "a pupil who
/// missed 13 of 299 possible sessions (4.35%)".
pub fn example_text(metric: RatioMetric, example: Example, within: &Interval) -> String {
    let percent = percent_text(example.sessions, example.possible, within);
    let Example { sessions, possible } = example;
    match metric {
        RatioMetric::Attendance => {
            format!("a pupil with {sessions} of {possible} possible sessions ({percent})")
        }
        RatioMetric::Absence => {
            format!("a pupil who missed {sessions} of {possible} possible sessions ({percent})")
        }
    }
}

/// A region of 0–100% and the sets (by index) that hold everywhere in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Region {
    pub interval: Interval,
    pub holders: Vec<usize>,
}

/// Splits 0–100% into maximal regions where the same sets hold. Each set is a union of
/// intervals. Every interval end is a boundary, so between two neighbouring boundaries each
/// set holds everywhere or nowhere.
pub fn regions(sets: &[Vec<Interval>]) -> Vec<Region> {
    let mut bounds: Vec<Percent> = vec![Percent::ZERO, Percent::HUNDRED];
    for interval in sets.iter().flatten() {
        for b in [interval.lo, interval.hi] {
            if let Bound::Included(p) | Bound::Excluded(p) = b
                && p <= Percent::HUNDRED
            {
                bounds.push(p);
            }
        }
    }
    bounds.sort();
    bounds.dedup();
    // Pieces in order: the point b0, the open span (b0, b1), the point b1, ...
    let mut pieces: Vec<(Interval, Vec<usize>)> = Vec::new();
    for (i, &b) in bounds.iter().enumerate() {
        let point = Interval {
            lo: Bound::Included(b),
            hi: Bound::Included(b),
        };
        pieces.push((point, holders_at(sets, |iv| iv.contains(b))));
        if let Some(&next) = bounds.get(i + 1) {
            let open = Interval {
                lo: Bound::Excluded(b),
                hi: Bound::Excluded(next),
            };
            pieces.push((open, holders_at(sets, |iv| covers_open(iv, b, next))));
        }
    }
    let mut out: Vec<Region> = Vec::new();
    for (piece, holders) in pieces {
        match out.last_mut() {
            Some(last) if last.holders == holders => last.interval.hi = piece.hi,
            _ => out.push(Region {
                interval: piece,
                holders,
            }),
        }
    }
    out
}

fn holders_at(sets: &[Vec<Interval>], holds: impl Fn(&Interval) -> bool) -> Vec<usize> {
    sets.iter()
        .enumerate()
        .filter(|(_, set)| set.iter().any(&holds))
        .map(|(i, _)| i)
        .collect()
}

/// Whether the interval holds all of the open span (a, b), a < b neighbouring boundaries.
fn covers_open(iv: &Interval, a: Percent, b: Percent) -> bool {
    let lo_ok = match iv.lo {
        Bound::Included(lo) | Bound::Excluded(lo) => lo <= a,
        Bound::Unbounded => true,
    };
    let hi_ok = match iv.hi {
        Bound::Included(hi) | Bound::Excluded(hi) => hi >= b,
        Bound::Unbounded => true,
    };
    lo_ok && hi_ok
}

/// Whether two intervals share a value.
pub fn meet(a: &Interval, b: &Interval) -> bool {
    !intersect(a, b).is_empty()
}

pub fn intersect(a: &Interval, b: &Interval) -> Interval {
    a.intersect(b)
}

/// Whether every value of `inner` lies in `outer`.
pub fn within(inner: &Interval, outer: &Interval) -> bool {
    inner.is_empty() || intersect(inner, outer) == *inner
}

/// Whether every value of `a` is above every value of `b`.
pub fn wholly_above(a: &Interval, b: &Interval) -> bool {
    let a_lo = match a.lo {
        Bound::Included(p) => (p, true),
        Bound::Excluded(p) => (p, false),
        Bound::Unbounded => return false,
    };
    let b_hi = match b.hi {
        Bound::Included(p) => (p, true),
        Bound::Excluded(p) => (p, false),
        Bound::Unbounded => return false,
    };
    a_lo.0 > b_hi.0 || (a_lo.0 == b_hi.0 && !(a_lo.1 && b_hi.1))
}

/// Absence in an interval is attendance in the mirrored one, exactly.
pub fn mirror(i: &Interval) -> Interval {
    let flip = |b: Bound<Percent>| match b {
        Bound::Included(p) => Bound::Included(Percent(Percent::SCALE.saturating_sub(p.0))),
        Bound::Excluded(p) => Bound::Excluded(Percent(Percent::SCALE.saturating_sub(p.0))),
        Bound::Unbounded => Bound::Unbounded,
    };
    Interval {
        lo: flip(i.hi),
        hi: flip(i.lo),
    }
}

/// The interval in attendance terms, whichever metric it was written in.
pub fn as_attendance(metric: RatioMetric, i: &Interval) -> Interval {
    match metric {
        RatioMetric::Attendance => *i,
        RatioMetric::Absence => mirror(i),
    }
}

/// The region in words: "attendance above 95.9% and below 96%", "attendance of exactly 90%",
/// "attendance above 92%, up to and including 96%".
pub fn describe(metric: RatioMetric, i: &Interval) -> String {
    let name = metric.keyword();
    let (lo, hi) = i.inner_ends();
    match (lo, hi) {
        (None, None) => format!("any {name}"),
        (Some((a, true)), Some((b, true))) if a == b => format!("{name} of exactly {a}"),
        (None, Some((b, true))) => format!("{name} of {b} or less"),
        (None, Some((b, false))) => format!("{name} below {b}"),
        (Some((a, true)), None) => format!("{name} of {a} or more"),
        (Some((a, false)), None) => format!("{name} above {a}"),
        (Some((a, true)), Some((b, true))) => format!("{name} from {a} to {b}"),
        (Some((a, false)), Some((b, false))) => format!("{name} above {a} and below {b}"),
        (Some((a, false)), Some((b, true))) => format!("{name} above {a}, up to and including {b}"),
        (Some((a, true)), Some((b, false))) => format!("{name} of at least {a} and below {b}"),
    }
}

/// Where a region has a closed end other than 0% or 100%, the exact value there, e.g.
/// "exactly 96%", so a reader sees that the boundary itself is affected.
pub fn closed_end(i: &Interval) -> Option<Percent> {
    match (i.lo, i.hi) {
        (Bound::Included(a), Bound::Included(b)) if a == b => None,
        (_, Bound::Included(b)) if b != Percent::HUNDRED => Some(b),
        (Bound::Included(a), _) if a != Percent::ZERO => Some(a),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pct(whole: u32, tenths_of_basis: u32) -> Percent {
        Percent(whole * 10_000 + tenths_of_basis)
    }

    fn open(a: Percent, b: Percent) -> Interval {
        Interval {
            lo: Bound::Excluded(a),
            hi: Bound::Excluded(b),
        }
    }

    #[test]
    fn the_gap_between_95_9_and_96_is_first_reached_at_47_of_49() {
        let gap = open(pct(95, 9000), Percent::whole(96));
        let ex = smallest_pair(&gap, 1, SCHOOL_YEAR_SESSIONS);
        assert_eq!(
            ex,
            Some(Example {
                sessions: 47,
                possible: 49
            })
        );
        assert!(holds(&gap, 287, 299));
        assert_eq!(percent_text(287, 299, &gap), "95.99%");
    }

    #[test]
    fn exactly_ninety_percent_is_nine_of_ten() {
        let point = Interval {
            lo: Bound::Included(Percent::whole(90)),
            hi: Bound::Included(Percent::whole(90)),
        };
        assert_eq!(
            smallest_pair(&point, 1, 400),
            Some(Example {
                sessions: 9,
                possible: 10
            })
        );
        assert_eq!(
            smallest_pair(&point, 20, 400),
            Some(Example {
                sessions: 18,
                possible: 20
            })
        );
        assert_eq!(percent_text(9, 10, &point), "90%");
    }

    #[test]
    fn a_sliver_too_thin_for_a_school_year_has_no_pair() {
        let sliver = open(pct(95, 9990), pct(95, 9999));
        assert_eq!(smallest_pair(&sliver, 1, SCHOOL_YEAR_SESSIONS), None);
    }

    #[test]
    fn regions_find_gaps_and_overlaps() {
        let a = vec![Interval {
            lo: Bound::Included(Percent::whole(90)),
            hi: Bound::Included(Percent::HUNDRED),
        }];
        let b = vec![Interval {
            lo: Bound::Included(Percent::ZERO),
            hi: Bound::Included(Percent::whole(90)),
        }];
        let c = vec![Interval {
            lo: Bound::Included(Percent::ZERO),
            hi: Bound::Excluded(Percent::whole(50)),
        }];
        let r = regions(&[a, b, c]);
        let overlap: Vec<_> = r.iter().filter(|r| r.holders.len() > 1).collect();
        assert_eq!(overlap.len(), 2);
        assert_eq!(
            describe(RatioMetric::Attendance, &overlap[0].interval),
            "attendance below 50%"
        );
        assert_eq!(
            describe(RatioMetric::Attendance, &overlap[1].interval),
            "attendance of exactly 90%"
        );
        assert!(r.iter().all(|r| !r.holders.is_empty()));
    }

    #[test]
    fn mirror_turns_absence_into_attendance() {
        let absence = Interval {
            lo: Bound::Included(Percent::whole(10)),
            hi: Bound::Included(Percent::HUNDRED),
        };
        let attendance = mirror(&absence);
        assert_eq!(
            attendance,
            Interval {
                lo: Bound::Included(Percent::ZERO),
                hi: Bound::Included(Percent::whole(90))
            }
        );
    }
}
