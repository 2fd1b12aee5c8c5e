//! A rule's tests on one school day: ratios of whole sessions against exact percentages,
//! counts, shares, pupil attributes, year groups, stages and periods. Integer arithmetic only.

use std::ops::Bound;

use super::Day;
use crate::engine::plan::{Plan, Rule, Test, Value};
use crate::model::{CmpOp, Percent, PupilFlag};
use crate::register::{Pupil, Sen};

/// Whether every test of a rule holds today.
#[inline]
pub(super) fn holds(plan: &Plan, rule: &Rule, d: &Day<'_>) -> bool {
    // A plain loop: `Iter::all` stayed a call in a build of many codegen units, on the
    // evaluation's hottest path (a rule's tests, every pupil and school day).
    for t in &rule.tests {
        if !test(plan, *t, d) {
            return false;
        }
    }
    true
}

fn value(d: &Day<'_>, v: Value) -> u64 {
    u64::from(match v {
        Value::Metric(m) => d.values.get(m).copied().unwrap_or(0),
        Value::Run(r) => d.runs.get(r).copied().unwrap_or(0),
        Value::Notices(n) => d.notices.get(n).copied().unwrap_or(0),
    })
}

#[inline]
fn test(plan: &Plan, t: usize, d: &Day<'_>) -> bool {
    let Some(test) = plan.tests.get(t) else {
        return false;
    };
    match test {
        Test::Ratio {
            numerator,
            denominator,
            lo,
            hi,
            ..
        } => {
            let num = u64::from(d.values.get(*numerator).copied().unwrap_or(0));
            let den = u64::from(d.values.get(*denominator).copied().unwrap_or(0));
            den > 0 && ratio_in(num, den, *lo, *hi)
        }
        Test::Count { value: v, lo, hi } => {
            let x = value(d, *v);
            x >= u64::from(*lo) && hi.is_none_or(|h| x <= u64::from(h))
        }
        Test::Share {
            lhs,
            op,
            percent,
            rhs,
        } => {
            let l = value(d, *lhs) * u64::from(Percent::SCALE);
            let r = u64::from(percent.0) * value(d, *rhs);
            compare(l, *op, r)
        }
        Test::Flag { flag, value } => flag_of(d, *flag).is_some_and(|f| f == *value),
        Test::YearGroup { lo, hi } => year_group_in(d.pupil, *lo, *hi),
        Test::Stage { lo, hi } => (*lo..=*hi).contains(&d.stage),
        Test::Period { per, lo, hi } => {
            let n = crate::engine::schedule::of(d.in_year, *per);
            n >= *lo && hi.is_none_or(|h| n <= h)
        }
    }
}

/// Whether the pupil's year group is stated and lies in `lo..=hi` (`None`: no upper bound).
pub(super) fn year_group_in(p: &Pupil, lo: u32, hi: Option<u32>) -> bool {
    p.year_group
        .and_then(|y| y.number())
        .is_some_and(|n| n >= lo && hi.is_none_or(|h| n <= h))
}

/// `num / den` within the bounds, as `num * SCALE` against `bound * den`.
pub fn ratio_in(num: u64, den: u64, lo: Bound<Percent>, hi: Bound<Percent>) -> bool {
    let x = num * u64::from(Percent::SCALE);
    let at = |p: Percent| u64::from(p.0) * den;
    let above = match lo {
        Bound::Included(p) => x >= at(p),
        Bound::Excluded(p) => x > at(p),
        Bound::Unbounded => true,
    };
    let below = match hi {
        Bound::Included(p) => x <= at(p),
        Bound::Excluded(p) => x < at(p),
        Bound::Unbounded => true,
    };
    above && below
}

fn compare(l: u64, op: CmpOp, r: u64) -> bool {
    match op {
        CmpOp::Ge => l >= r,
        CmpOp::Gt => l > r,
        CmpOp::Le => l <= r,
        CmpOp::Lt => l < r,
        CmpOp::Eq => l == r,
        CmpOp::Ne => l != r,
    }
}

fn flag_of(d: &Day<'_>, flag: PupilFlag) -> Option<bool> {
    match flag {
        PupilFlag::CompulsorySchoolAge => d.compulsory,
        _ => flag_value(d.pupil, flag),
    }
}

/// A pupil's flag as the pupils file states it (`None`: not stated); compulsory school age
/// is a matter of the day, read from the day instead.
pub(super) fn flag_value(p: &Pupil, flag: PupilFlag) -> Option<bool> {
    match flag {
        PupilFlag::Sen => p.sen.map(|s| s != Sen::None),
        PupilFlag::SenSupport => p.sen.map(|s| s == Sen::Support),
        PupilFlag::EhcPlan => p.sen.map(|s| s == Sen::EhcPlan),
        PupilFlag::Fsm => p.fsm,
        PupilFlag::SocialWorker => p.social_worker,
        PupilFlag::LookedAfter => p.looked_after,
        PupilFlag::ChildProtectionPlan => p.child_protection_plan,
        PupilFlag::CompulsorySchoolAge => None,
    }
}
