//! Band sets compared as exact regions: 0–100% attendance is split where any band of either
//! version begins or ends, and each region whose band differs is given with the pupil of
//! fewest possible sessions (whole sessions, integer arithmetic) who lies in it.

use serde::Serialize;

use crate::check::shape;
use std::ops::Bound;

use crate::model::{Band, BandSet, Interval, Percent, RatioMetric};

/// One band set's regions that moved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BandSetDiff {
    pub name: String,
    /// `attendance over year_to_date`, in the new version's terms.
    pub measure: String,
    /// Each version's bands, on the attendance axis.
    pub old_bands: Vec<BandRange>,
    pub new_bands: Vec<BandRange>,
    pub moves: Vec<Move>,
    /// The evidence guard (`from N possible sessions`), when it changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guard: Option<GuardChange>,
}

impl BandSetDiff {
    pub fn is_empty(&self) -> bool {
        self.moves.is_empty() && self.guard.is_none()
    }
}

/// A band's attendance range: `(lo, hi)` in millionths for drawing, and in words.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BandRange {
    pub name: String,
    pub range: String,
    pub lo: u32,
    pub hi: u32,
}

fn end(b: std::ops::Bound<crate::model::Percent>) -> u32 {
    match b {
        std::ops::Bound::Included(p) | std::ops::Bound::Excluded(p) => p.0.min(1_000_000),
        std::ops::Bound::Unbounded => 0,
    }
}

fn band_ranges(set: &BandSet) -> Vec<BandRange> {
    use std::ops::Bound;
    let at = |b: Bound<crate::model::Percent>, open: u32| match b {
        Bound::Unbounded => open,
        b => end(b),
    };
    set.bands
        .iter()
        .map(|b| {
            let i = attendance(set, b);
            BandRange {
                name: b.id.clone(),
                range: i.inequality_text(),
                lo: at(i.lo, 0),
                hi: at(i.hi, 1_000_000),
            }
        })
        .collect()
}

/// A region of attendance that was in one band (or none) and is now in another.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Move {
    /// In words: `attendance above 90% and below 91%`.
    pub region: String,
    /// In the exact range syntax: `90% <.. 91%`.
    pub exact: String,
    /// Its ends in millionths, for drawing.
    pub lo: u32,
    pub hi: u32,
    /// The bands that held there, by their names in each version (empty: no band).
    pub old: Vec<String>,
    pub new: Vec<String>,
    /// A pupil in the region: the fewest possible sessions the set's guards allow.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub example: Option<Example>,
    /// A pupil in the region with a term's sessions or more ([`TERM_SESSIONS`]), where the
    /// set's window holds that many.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub term_example: Option<Example>,
}

/// The possible sessions of a typical term: thirteen school weeks of ten sessions.
pub const TERM_SESSIONS: u32 = 130;

/// The evidence guard changed: pupils with this many possible sessions are classified by one
/// version and by no band in the other.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GuardChange {
    pub old: u32,
    pub new: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub example: Option<Example>,
    pub example_old: Vec<String>,
    pub example_new: Vec<String>,
}

/// A pupil in whole sessions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Example {
    pub present: u32,
    pub possible: u32,
    /// `90.48%`: exact where it is, otherwise to the decimals that keep it in its region.
    pub attendance: String,
    /// `a pupil present for 19 of 21 possible sessions (90.48%), absent for 2`.
    pub text: String,
}

impl Example {
    fn new(present: u32, possible: u32, within: &Interval) -> Example {
        let attendance = shape::percent_text(present, possible, within);
        let absent = possible - present;
        Example {
            present,
            possible,
            text: format!(
                "a pupil present for {present} of {possible} possible sessions ({attendance}), absent for {absent}"
            ),
            attendance,
        }
    }
}

/// The pupil with the fewest possible sessions (at least `min_possible`, at most a school
/// year's) whose attendance lies in the region, at the region's boundary: the fewest present
/// sessions, or the most where the region runs down to 0% (its boundary is its top).
pub fn example_pair(region: &Interval, min_possible: u32, max_possible: u32) -> Option<Example> {
    let from_zero = match region.lo {
        Bound::Unbounded => true,
        Bound::Included(p) => p == Percent::ZERO,
        Bound::Excluded(_) => false,
    };
    let to_hundred = match region.hi {
        Bound::Unbounded => true,
        Bound::Included(p) => p >= Percent::HUNDRED,
        Bound::Excluded(_) => false,
    };
    if from_zero && !to_hundred {
        return largest_pair(region, min_possible, max_possible);
    }
    shape::smallest_pair(region, min_possible, max_possible)
        .map(|e| Example::new(e.sessions, e.possible, region))
}

/// The fewest possible sessions, then the most present, whose ratio lies in the region.
fn largest_pair(region: &Interval, min_possible: u32, max_possible: u32) -> Option<Example> {
    let scale = u64::from(Percent::SCALE);
    (min_possible.max(1)..=max_possible).find_map(|q| {
        let q64 = u64::from(q);
        let top = match region.hi {
            Bound::Included(p) | Bound::Excluded(p) => u64::from(p.0) * q64 / scale,
            Bound::Unbounded => q64,
        };
        let top = u32::try_from(top.min(q64)).ok()?;
        // The floor may sit on an excluded end: one fewer then.
        (top.saturating_sub(1)..=top)
            .rev()
            .find(|n| shape::holds(region, *n, q))
            .map(|n| Example::new(n, q, region))
    })
}

/// Bands only in `old` paired with bands only in `new` that say the same (range, stage,
/// actions): the same band under a new name.
pub fn band_renames(old: &BandSet, new: &BandSet) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for o in old
        .bands
        .iter()
        .filter(|o| !new.bands.iter().any(|n| n.id == o.id))
    {
        let twin = new.bands.iter().find(|n| {
            !old.bands.iter().any(|x| x.id == n.id)
                && !out.iter().any(|(_, y)| *y == n.id)
                && same_but_name(o, n)
        });
        if let Some(n) = twin {
            out.push((o.id.clone(), n.id.clone()));
        }
    }
    out
}

fn same_but_name(a: &Band, b: &Band) -> bool {
    let mut b = b.clone();
    b.id.clone_from(&a.id);
    b.label.clone_from(&a.label);
    *a == b
}

fn attendance(set: &BandSet, b: &Band) -> Interval {
    shape::as_attendance(set.metric, &b.range)
}

/// The regions of attendance whose band differs between the two versions of a band set.
pub fn diff_set(old: &BandSet, new: &BandSet, renames: &[(String, String)]) -> BandSetDiff {
    let n_old = old.bands.len();
    let mut sets: Vec<Vec<Interval>> = old.bands.iter().map(|b| vec![attendance(old, b)]).collect();
    sets.extend(new.bands.iter().map(|b| vec![attendance(new, b)]));
    let renamed = |id: &str| -> String {
        renames
            .iter()
            .find(|(o, _)| o == id)
            .map_or_else(|| id.to_string(), |(_, n)| n.clone())
    };
    let min_possible = old.min_possible.max(new.min_possible).max(1);
    let max_possible = shape::max_possible(old.window).max(shape::max_possible(new.window));
    let mut moves: Vec<Move> = Vec::new();
    // Bands over different windows measure different things: no region of one is a region of
    // the other (the change of measure is listed with the set's other changes).
    let regions = if old.window == new.window {
        shape::regions(&sets)
    } else {
        Vec::new()
    };
    for region in regions {
        let olds: Vec<&Band> = region
            .holders
            .iter()
            .filter(|h| **h < n_old)
            .filter_map(|h| old.bands.get(*h))
            .collect();
        let news: Vec<&Band> = region
            .holders
            .iter()
            .filter(|h| **h >= n_old)
            .filter_map(|h| new.bands.get(*h - n_old))
            .collect();
        let as_new: Vec<String> = olds.iter().map(|b| renamed(&b.id)).collect();
        let new_ids: Vec<String> = news.iter().map(|b| b.id.clone()).collect();
        if as_new == new_ids {
            continue;
        }
        let Some(example) = example_pair(&region.interval, min_possible, max_possible) else {
            // No whole-session ratio lies there (at these session counts): no pupil moves.
            continue;
        };
        let term_example = (max_possible >= TERM_SESSIONS)
            .then(|| {
                example_pair(
                    &region.interval,
                    TERM_SESSIONS.max(min_possible),
                    max_possible,
                )
            })
            .flatten()
            .filter(|e| e.possible > example.possible);
        moves.push(Move {
            region: shape::describe(RatioMetric::Attendance, &region.interval),
            exact: region.interval.exact_text(),
            lo: end(region.interval.lo),
            hi: end(region.interval.hi),
            old: olds.iter().map(|b| b.id.clone()).collect(),
            new: new_ids,
            example: Some(example),
            term_example,
        });
    }
    BandSetDiff {
        name: new.label.clone().unwrap_or_else(|| "bands".into()),
        measure: format!("{} over {}", new.metric.keyword(), new.window),
        old_bands: band_ranges(old),
        new_bands: band_ranges(new),
        moves,
        guard: guard_change(old, new),
    }
}

/// Where one version's evidence guard lets a band hold and the other's does not: the pupil
/// with the fewest possible sessions, then the most present, who is in a band in one only.
fn guard_change(old: &BandSet, new: &BandSet) -> Option<GuardChange> {
    if old.min_possible == new.min_possible {
        return None;
    }
    let (lower, upper) = if old.min_possible < new.min_possible {
        (old, new)
    } else {
        (new, old)
    };
    let found = (lower.min_possible.max(1)..upper.min_possible).find_map(|q| {
        (0..=q).rev().find_map(|n| {
            let held: Vec<String> = lower
                .bands
                .iter()
                .filter(|b| shape::holds(&attendance(lower, b), n, q))
                .map(|b| b.id.clone())
                .collect();
            (!held.is_empty()).then_some((n, q, held))
        })
    });
    let (example, held) = match found {
        Some((n, q, held)) => (Some(Example::new(n, q, &shape::ALL)), held),
        None => (None, Vec::new()),
    };
    let (example_old, example_new) = if old.min_possible < new.min_possible {
        (held, Vec::new())
    } else {
        (Vec::new(), held)
    };
    Some(GuardChange {
        old: old.min_possible,
        new: new.min_possible,
        example,
        example_old,
        example_new,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pct(whole: u32) -> Percent {
        Percent::whole(whole)
    }

    /// Above 90% and below 91%: 9/10 is 90% exactly (out), 10/11 is 90.909...% (in), so with
    /// no guard the smallest pupil has 11 possible sessions; from 20 possible sessions, 19/21
    /// = 90.476...% is the first (19/20 = 95% is out, and no n/20 lies strictly between).
    #[test]
    fn the_smallest_pupil_in_an_open_region() {
        let region = Interval {
            lo: Bound::Excluded(pct(90)),
            hi: Bound::Excluded(pct(91)),
        };
        let e = example_pair(&region, 1, 400).unwrap();
        assert_eq!((e.present, e.possible), (10, 11));
        assert_eq!(e.attendance, "90.91%");
        let e = example_pair(&region, 20, 400).unwrap();
        assert_eq!((e.present, e.possible), (19, 21));
        // 19 * 1_000_000 = 19_000_000 > 90% * 21 = 18_900_000 and < 91% * 21 = 19_110_000.
        assert_eq!(e.attendance, "90.48%");
        assert_eq!(
            e.text,
            "a pupil present for 19 of 21 possible sessions (90.48%), absent for 2"
        );
    }

    /// Exactly 94%: 47/50 is the smallest ratio equal to it (94/100 reduced), with 20 or more
    /// possible sessions still 47/50.
    #[test]
    fn the_smallest_pupil_at_a_point() {
        let point = Interval {
            lo: Bound::Included(pct(94)),
            hi: Bound::Included(pct(94)),
        };
        let e = example_pair(&point, 20, 400).unwrap();
        assert_eq!((e.present, e.possible), (47, 50));
        assert_eq!(e.attendance, "94%");
        // Over a term: 94% of 150 is 141, the first multiple of 50 sessions from 130.
        let e = example_pair(&point, TERM_SESSIONS, 400).unwrap();
        assert_eq!((e.present, e.possible), (141, 150));
    }

    /// Over a term, above 90% and below 91%: 0.9 × 130 = 117 < 118 < 118.3 = 0.91 × 130.
    #[test]
    fn a_term_pupil_in_an_open_region() {
        let region = Interval {
            lo: Bound::Excluded(pct(90)),
            hi: Bound::Excluded(pct(91)),
        };
        let e = example_pair(&region, TERM_SESSIONS, 400).unwrap();
        assert_eq!((e.present, e.possible), (118, 130));
        assert_eq!(e.attendance, "90.77%");
    }

    /// A region from 0% is shown at its top, where its boundary is: 50% or less, from 20
    /// sessions, is 10 of 20; over a term, 65 of 130. Below 90% (excluded): 17 of 20 (85%),
    /// since 18 of 20 is 90% itself; over a term 116 of 130 (89.23%), since 117 is 90%.
    #[test]
    fn a_region_from_zero_is_shown_at_its_top() {
        let half = Interval {
            lo: Bound::Included(Percent::ZERO),
            hi: Bound::Included(pct(50)),
        };
        let e = example_pair(&half, 20, 400).unwrap();
        assert_eq!((e.present, e.possible), (10, 20));
        let e = example_pair(&half, TERM_SESSIONS, 400).unwrap();
        assert_eq!((e.present, e.possible), (65, 130));
        let below = Interval {
            lo: Bound::Included(Percent::ZERO),
            hi: Bound::Excluded(pct(90)),
        };
        let e = example_pair(&below, 20, 400).unwrap();
        assert_eq!((e.present, e.possible), (17, 20));
        let e = example_pair(&below, TERM_SESSIONS, 400).unwrap();
        assert_eq!((e.present, e.possible), (116, 130));
    }

    /// A region no whole-session ratio reaches within a year's sessions has no example.
    #[test]
    fn a_region_too_thin_for_whole_sessions_has_no_pupil() {
        // (90%, 90.0001%): the first ratio inside needs more than 400 possible sessions.
        let thin = Interval {
            lo: Bound::Excluded(pct(90)),
            hi: Bound::Excluded(Percent(900_001)),
        };
        assert_eq!(example_pair(&thin, 1, 400), None);
    }
}
