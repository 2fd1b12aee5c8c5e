//! AT112: the day counts a band's document states beside its percentages ("96% (7 days
//! absence per year)") compared with those percentages of a school year, in exact arithmetic.

use super::common::*;
use crate::model::{Interval, Percent, RatioMetric, StatedDays, Window};

pub static RULE: Rule = Rule {
    code: "AT112",
    name: "band-days-disagree-with-percentages",
    severity: Severity::Warning,
    source: "WT; DfE absence statistics (national-rules.md §2)",
    in_force: InForce::ALWAYS,
    docs: Docs {
        what: "A year-to-date attendance (or absence) band that states the days of absence its \
percentages stand for (`band b90_96 \"90-96%\" 90% - 96% absence 8 - 20 days`), each count \
compared with the share of the sessions of a school year its percentage leaves out, over the \
first academic year of the policy's own calendar (or, without term dates, a year of 190 school \
days, 380 sessions). One count stands for the band's one end short of 100% (or 0%), and may \
round the exact figure to the nearest day (to the nearest half day when written with a half, \
or in half days or sessions). Two counts are the band's row, the fewer days with the higher \
attendance: each must be inside the row and within a day (a half day) of its end's figure, as \
a row starts at the first whole day inside it. The finding gives the arithmetic for each count \
that disagrees.",
        why: "Parents read the days more easily than the percentages, so the days are what the \
policy tells them: a row \"90-96% (8-20 days)\" whose 20 days is more than 10% of the year puts \
a persistently absent pupil in a row above the national threshold, and \"96% (7 days)\" tells a \
family that a pupil absent 7.5 days is still above 96%.",
        example: r#"bands attendance over year_to_date {
  band good "96% and above" 96% ..= 100% absence 7 days
}"#,
        fix: "Work the days out from the percentages over the school's own year (4% of 380 \
sessions is 15.2 sessions, 7.6 days: \"about 7 and a half days\"), or give the percentages \
only.",
    },
    check,
};

fn check(ctx: &Context) -> Vec<Finding> {
    let (days, whose) = match first_year_school_days(ctx.policy) {
        Some((n, label)) => (
            n,
            match label {
                Some(l) => format!("the policy's {l} calendar"),
                None => "the policy's calendar".to_string(),
            },
        ),
        _ => (
            DEFAULT_SCHOOL_DAYS,
            "a year of 190 school days (the policy gives no term dates)".to_string(),
        ),
    };
    let sessions = days.saturating_mul(2);
    let mut out = Vec::new();
    for set in school_band_sets(ctx.policy) {
        if set.window != Window::YearToDate {
            continue;
        }
        for band in &set.bands {
            let Some(stated) = &band.stated_days else {
                continue;
            };
            let shares = absence_shares(set.metric, band.range);
            let pairs: Vec<(u32, Percent)> = match (stated.sessions.as_slice(), shares.as_slice()) {
                ([one], [share]) => vec![(*one, *share)],
                ([a, b], [low, high]) => {
                    let (few, many) = if a <= b { (*a, *b) } else { (*b, *a) };
                    vec![(few, *low), (many, *high)]
                }
                _ => continue,
            };
            // One count stands for the band's threshold; two for its row, each inside it.
            let row = pairs.len() == 2;
            let wrong: Vec<String> = pairs
                .iter()
                .filter(|(count, share)| {
                    !agrees(stated, *count, *share, sessions, row)
                        || (row && !inside(set.metric, band.range, *count, sessions))
                })
                .map(|(count, share)| {
                    let mut text = arithmetic(*count, *share, sessions, stated);
                    if row && !inside(set.metric, band.range, *count, sessions) {
                        let present = sessions.saturating_sub(*count);
                        let tenths = u64::from(present) * 1000 / u64::from(sessions.max(1));
                        text.push_str(&format!(
                            " ({present} of {sessions} sessions present, {}.{}%, is outside {})",
                            tenths / 10,
                            tenths % 10,
                            band.written
                        ));
                    }
                    text
                })
                .collect();
            if wrong.is_empty() {
                continue;
            }
            out.push(
                Finding::new(
                    &stated.loc,
                    format!(
                        "the band `{}` ({}) states `absence {}`, which disagrees with its percentages over {whose}: {}",
                        band.id,
                        band.written,
                        stated.written,
                        wrong.join("; ")
                    ),
                )
                .label("not the percentages' share of the year")
                .related(&band.range_loc, "the percentages")
                .help(format!(
                    "give the days the percentages stand for over the school's year: {}",
                    pairs
                        .iter()
                        .map(|(_, share)| format!(
                            "{share} of {sessions} sessions is {} days",
                            decimal(u64::from(share.0) * u64::from(sessions), 2 * SCALE)
                        ))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            );
        }
    }
    out
}

const SCALE: u64 = Percent::SCALE as u64;

/// The shares of absence at the band's ends short of 100% and 0%, ascending: attendance
/// 90% - 96% is absence 4% and 10%.
fn absence_shares(metric: RatioMetric, range: Interval) -> Vec<Percent> {
    use std::ops::Bound;
    let mut shares: Vec<Percent> = [range.lo, range.hi]
        .into_iter()
        .filter_map(|b| match b {
            Bound::Included(p) | Bound::Excluded(p) => Some(p),
            Bound::Unbounded => None,
        })
        .filter(|p| *p > Percent::ZERO && *p < Percent::HUNDRED)
        .map(|p| match metric {
            RatioMetric::Attendance => Percent(Percent::SCALE - p.0),
            RatioMetric::Absence => p,
        })
        .collect();
    shares.sort();
    shares.dedup();
    shares
}

/// Whether `count` sessions is the share of the year: a threshold's count rounded to the
/// nearest day for whole days (within one session) or the nearest half day otherwise (half a
/// session); a row's end within a day (two sessions) or a half day (one), as a row starts at
/// the first whole day inside it: `|count * SCALE - share * sessions| <= tolerance * SCALE`.
fn agrees(stated: &StatedDays, count: u32, share: Percent, sessions: u32, row: bool) -> bool {
    let exact = u64::from(share.0) * u64::from(sessions);
    let said = u64::from(count) * SCALE;
    let off = exact.abs_diff(said);
    let half_sessions = match (stated.whole_days, row) {
        (true, true) => 4,
        (true, false) | (false, true) => 2,
        (false, false) => 1,
    };
    2 * off <= half_sessions * SCALE
}

/// Whether a pupil absent `count` of the year's `sessions` is in the band's range, exactly:
/// attendance `(sessions - count) / sessions` (or absence `count / sessions`) against its ends.
fn inside(metric: RatioMetric, range: Interval, count: u32, sessions: u32) -> bool {
    use std::ops::Bound;
    let numerator = match metric {
        RatioMetric::Attendance => sessions.saturating_sub(count),
        RatioMetric::Absence => count,
    };
    let ratio = u64::from(numerator) * SCALE;
    let of = |p: Percent| u64::from(p.0) * u64::from(sessions);
    let above = match range.lo {
        Bound::Included(p) => ratio >= of(p),
        Bound::Excluded(p) => ratio > of(p),
        Bound::Unbounded => true,
    };
    let below = match range.hi {
        Bound::Included(p) => ratio <= of(p),
        Bound::Excluded(p) => ratio < of(p),
        Bound::Unbounded => true,
    };
    above && below
}

/// "4% of 380 sessions is 15.2 sessions = 7.6 days, not 7 days".
fn arithmetic(count: u32, share: Percent, sessions: u32, stated: &StatedDays) -> String {
    let exact = u64::from(share.0) * u64::from(sessions);
    let said = if count.is_multiple_of(2) {
        format!("{}", count / 2)
    } else {
        format!("{}.5", count / 2)
    };
    let said = if stated.whole_days || stated.written.contains("day") {
        format!("{said} days")
    } else {
        format!("{count} sessions")
    };
    format!(
        "{share} of {sessions} sessions is {} sessions = {} days, not {said}",
        decimal(exact, SCALE),
        decimal(exact, 2 * SCALE)
    )
}

/// `numerator / denominator` exactly, in decimals (the denominator divides a power of ten).
fn decimal(numerator: u64, denominator: u64) -> String {
    let whole = numerator / denominator;
    let mut rest = numerator % denominator;
    let mut digits = String::new();
    while rest != 0 && digits.len() < 7 {
        rest *= 10;
        digits.push(char::from(
            b'0' + u8::try_from(rest / denominator).unwrap_or(0),
        ));
        rest %= denominator;
    }
    if digits.is_empty() {
        whole.to_string()
    } else {
        format!("{whole}.{digits}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_arithmetic_is_exact() {
        // 4% of 380 sessions: 40,000 * 380 / 1,000,000 = 15.2 sessions, 7.6 days.
        assert_eq!(decimal(40_000 * 380, SCALE), "15.2");
        assert_eq!(decimal(40_000 * 380, 2 * SCALE), "7.6");
        // 10% of 380: 38 sessions, 19 days.
        assert_eq!(decimal(100_000 * 380, 2 * SCALE), "19");
    }
}
