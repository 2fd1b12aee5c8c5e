//! Pupils no rule can act on. A test that a pupil's figures over the whole span already rule
//! out (ten unauthorised sessions asked of a pupil with three in the year) rules out its rule
//! on every school day; a pupil whose every rule is ruled out so needs no day-by-day walk.
//! On a real register most pupils are such pupils, so this is most of a run's evaluation.

use chrono::NaiveDate;

use super::conditions::{flag_value, ratio_in, year_group_in};
use super::{Prefix, Shared, metric_at};
use crate::engine::plan::{BREAKS_RUN, IN_RUN, Plan, Rule, RunSpec, Test, Value};
use crate::model::PupilFlag;
use crate::register::Pupil;

/// The rules whose holding on some day would make the walk do anything: a band entered (of
/// a set or a ladder, by its range, its `or` rules or a stage's `at once`), a trigger, an
/// escalation step, a support plan opened. Band guards, entry clauses, weekly actions, plan
/// reviews and ladder exits act only once a band is held or a plan is open.
pub(super) fn acting_rules(plan: &Plan) -> Vec<&Rule> {
    let bands = plan.band_sets.iter().flatten();
    let also = plan.band_also.iter().flatten().flatten();
    let at_once = plan
        .ladders
        .iter()
        .flatten()
        .flat_map(|ladder| ladder.at_once.iter().flatten().flatten());
    let triggers = plan.triggers.iter().flat_map(|t| &t.rules);
    let steps = plan.steps.iter().map(|s| &s.rule);
    let plans = plan.plans.iter().map(|p| &p.open);
    bands
        .chain(also)
        .chain(at_once)
        .chain(triggers)
        .chain(steps)
        .chain(plans)
        .collect()
}

/// Whether the summary's own rules (persistent and severe absence) read only what a quiet
/// pupil's last day gives without a walk: not a run's length or the penalty notices, which
/// the walk carries from day to day.
pub(super) fn summary_reads_no_walk(plan: &Plan) -> bool {
    plan.persistent.iter().chain(&plan.severe).all(|rule| {
        rule.tests.iter().all(|&t| match plan.tests.get(t) {
            Some(Test::Count { value, .. }) => matches!(value, Value::Metric(_)),
            Some(Test::Share { lhs, rhs, .. }) => {
                matches!((lhs, rhs), (Value::Metric(_), Value::Metric(_)))
            }
            _ => true,
        })
    })
}

/// What is known of one pupil over the span, for ruling tests out.
pub(super) struct Span<'p> {
    pub prefix: &'p Prefix<'p>,
    /// School days of the span (from its first day), whose sessions are `marks`.
    pub len: usize,
    pub marks: &'p [u8],
    pub pupil: &'p Pupil,
    /// The first and last dates the pupil is on roll (`None`: never on roll in the span).
    pub on_roll: Option<(NaiveDate, NaiveDate)>,
    /// The pupil's compulsory school age, from its date of birth.
    pub compulsory: Option<(NaiveDate, NaiveDate)>,
}

impl Span<'_> {
    /// Each school day's class for a run (see [`RunSpec::day`]), from the span's first day.
    fn day_classes<'a>(&'a self, spec: &'a RunSpec) -> impl Iterator<Item = u8> + 'a {
        self.marks.chunks(2).take(self.len).map(|day| {
            let am = day.first().copied().unwrap_or(u8::MAX);
            let pm = day.get(1).copied().unwrap_or(u8::MAX);
            spec.day(am, pm)
        })
    }
}

/// The first school day of the span on which some acting rule could hold for this pupil;
/// `None`: no day (the pupil is quiet, and needs no walk at all). The walk need not look
/// at the days before it: nothing acts on them.
///
/// Sound by induction over the days: assume the stage is the first (rank 0) on every day
/// before the one returned, as it is while no band, trigger or plan has held. Each acting
/// rule's first day is the latest of its tests' first days (a test cannot hold before its
/// own), so on a day before the earliest rule's, no acting rule holds, and the stage stays
/// the first.
pub(super) fn first_acting_day(
    shared: &Shared<'_>,
    rules: &[&Rule],
    span: &Span<'_>,
) -> Option<usize> {
    // Each run's extending days (its longest at most), counted once: most pupils' rule out
    // every step on it.
    let mut extending: smallvec::SmallVec<[Option<u32>; 4]> =
        smallvec::smallvec![None; shared.plan.runs.len()];
    rules
        .iter()
        .filter_map(|rule| {
            rule.tests.iter().try_fold(shared.span.0, |day, &t| {
                Some(day.max(first_day(shared, t, span, &mut extending)?))
            })
        })
        .min()
}

/// The first school day of the span on which test `t` can hold, the stage being the first;
/// `None`: no day.
fn first_day(
    shared: &Shared<'_>,
    t: usize,
    span: &Span<'_>,
    extending: &mut [Option<u32>],
) -> Option<usize> {
    let plan = shared.plan;
    let first = shared.span.0;
    let any_day = |ruled_out: bool| (!ruled_out).then_some(first);
    match plan.tests.get(t) {
        None => None,
        Some(Test::Count { value, lo, .. }) => match value {
            _ if *lo == 0 => Some(first),
            Value::Metric(m) => first_reaching(shared, *m, *lo, span),
            Value::Run(r) => {
                // No run is longer than the days that extend it: counted once, and on most
                // pupils fewer than any step asks, so no day need be walked for it.
                let extending = *extending
                    .get_mut(*r)?
                    .get_or_insert_with(|| extending_days(plan, *r, span));
                if extending < *lo {
                    return None;
                }
                first_run_of(plan, *r, *lo, span).map(|i| first + i)
            }
            // Notices are given by the run itself, which only a walk knows.
            Value::Notices(_) => Some(first),
        },
        // Not before a possible session, nor (where its interval does not admit 0%) before
        // a session of the numerator.
        Some(Test::Ratio {
            numerator,
            denominator,
            lo,
            hi,
            ..
        }) => {
            let possible = first_counted(shared, *denominator, span)?;
            if ratio_in(0, 1, *lo, *hi) {
                Some(possible)
            } else {
                Some(possible.max(first_counted(shared, *numerator, span)?))
            }
        }
        Some(Test::Share { .. } | Test::Period { .. }) => Some(first),
        Some(Test::Flag { flag, value }) => match flag {
            // Read on each day on roll, between the first and last dates on roll.
            PupilFlag::CompulsorySchoolAge => any_day(match (span.compulsory, span.on_roll) {
                (None, _) | (_, None) => true,
                (Some((from, to)), Some((first, last))) => {
                    if *value {
                        to < first || last < from
                    } else {
                        from <= first && last <= to
                    }
                }
            }),
            _ => any_day(flag_value(span.pupil, *flag) != Some(*value)),
        },
        Some(Test::YearGroup { lo, hi }) => any_day(!year_group_in(span.pupil, *lo, *hi)),
        Some(Test::Stage { lo, hi }) => any_day(!(*lo..=*hi).contains(&0)),
    }
}

/// The first school day of the span whose sessions so far count towards metric `m`'s
/// counter: no window of the metric holds any before it (every window ends on its day and
/// is clamped to the span). `None`: no day.
fn first_counted(shared: &Shared<'_>, m: usize, span: &Span<'_>) -> Option<usize> {
    first_cumulative(shared, m, 1, span)
}

/// The first school day of the span by which the metric's counter, summed from the span's
/// first day, reaches `lo` (the sums only grow, so it is found by halving).
fn first_cumulative(shared: &Shared<'_>, m: usize, lo: u32, span: &Span<'_>) -> Option<usize> {
    let &(counter, _) = shared.plan.metrics.get(m)?;
    let so_far = |i: usize| span.prefix.between(counter, 0, i + 1);
    let (mut below, mut reached) = (0, span.len);
    while below < reached {
        let mid = below + (reached - below) / 2;
        if so_far(mid) < lo {
            below = mid + 1;
        } else {
            reached = mid;
        }
    }
    (reached < span.len).then_some(shared.span.0 + reached)
}

/// The first school day of the span on which metric `m`, read as the walk reads it, is at
/// least `lo`; `None`: no day. No day before the one its counter's sum reaches `lo` can be.
fn first_reaching(shared: &Shared<'_>, m: usize, lo: u32, span: &Span<'_>) -> Option<usize> {
    let from = first_cumulative(shared, m, lo, span)?;
    (from..shared.span.0 + span.len).find(|&day| metric_at(shared, span.prefix, m, day) >= lo)
}

/// The school days of the span that extend run `r` (every possible session in its set, at
/// least one possible), wherever they are: no run is longer.
fn extending_days(plan: &Plan, r: usize, span: &Span<'_>) -> u32 {
    plan.runs.get(r).map_or(0, |spec| {
        span.day_classes(spec)
            .map(|class| u32::from(class == IN_RUN))
            .sum()
    })
}

/// The first school day of the span (as an offset from its first day) on which run `r`
/// reaches `lo` days, counted as the walk counts it: a school day with every possible
/// session in its set (at least one possible) extends it, one with a possible session
/// outside the set ends it, one with none does neither. `None`: no day.
fn first_run_of(plan: &Plan, r: usize, lo: u32, span: &Span<'_>) -> Option<usize> {
    let spec = plan.runs.get(r)?;
    // Without a branch on the marks (most days neither start nor end a run): a day that
    // extends the run adds one, one that ends it keeps none (`keep` is no bits), and one
    // with no possible session keeps the run as it is (`keep` is every bit).
    let mut run = 0u32;
    for (i, class) in span.day_classes(spec).enumerate() {
        let keep = u32::from(class & BREAKS_RUN == 0).wrapping_neg();
        run = (run + u32::from(class == IN_RUN)) & keep;
        if run >= lo {
            return Some(i);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::super::{Scratch, Shared, Standing, evaluate_in, evaluate_with};
    use crate::engine::plan::Plan;
    use crate::generate::{Config, Phase, generate};
    use crate::register::Pupil;
    use crate::source::Source;
    use crate::table::SchoolDays;
    use std::sync::atomic::Ordering;

    /// Every bundled policy, each pupil of a generated secondary cohort evaluated with
    /// the pupils no rule can act on skipped (and the others walked from the first day a
    /// rule could act on) and with every pupil walked whole: the same firings, summaries and
    /// standings at every look (a look each school week), and most pupils skipped on the
    /// national policy. The skipping walks share their buffers, pupil after pupil.
    #[test]
    fn skipping_pupils_no_rule_can_act_on_changes_nothing() {
        let root = env!("CARGO_MANIFEST_DIR");
        let calendar = Source::new(
            "camden-2024-25.calendar",
            std::fs::read_to_string(format!("{root}/policies/calendars/camden-2024-25.calendar"))
                .unwrap_or_default(),
        );
        let mut paths: Vec<_> = ["policies", "policies/corrected", "policies/real"]
            .iter()
            .flat_map(|dir| {
                std::fs::read_dir(format!("{root}/{dir}"))
                    .into_iter()
                    .flatten()
            })
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "policy"))
            .collect();
        paths.sort();
        assert!(paths.len() > 30, "{paths:?}");
        let mut skipped_national = None;
        for path in &paths {
            let text = std::fs::read_to_string(path).unwrap_or_default();
            let policy = Source::new(path.display().to_string(), text);
            let Some(checked) = crate::analyse(&policy, Some(&calendar)).checked else {
                panic!("{} does not check", path.display());
            };
            let (table, _) = crate::table::compile(&checked);
            let days = SchoolDays::new(&table.calendar);
            let dates: Vec<_> = (0..days.len()).map(|d| days.date(d)).collect();
            let config = Config {
                cohort: 300,
                phase: Phase::Secondary,
                seed: 7,
            };
            let cohort = generate(&config, &dates);
            let register = crate::simulate::register_from_cohort(&cohort, &days);
            let plan = Plan::new(&table);
            let span = register.span.unwrap_or((0, 0));
            let looks: Vec<usize> = (span.0..=span.1).step_by(5).collect();
            let mut skipping = Shared::new(&plan, &days, span);
            skipping.looks.clone_from(&looks);
            let mut walking = Shared::new(&plan, &days, span).walking_every_pupil();
            walking.looks = looks;
            let nobody = Pupil::unknown(String::new());
            // One pupil's walk after another in the same buffers, as a run's threads walk
            // them; the whole walks each have their own.
            let mut scratch = Scratch::default();
            for i in 0..register.len() {
                // Every third pupil also joins late and leaves early, so that pupils off
                // roll at either end of the span are skipped too.
                let mut moved = register.record(i).unwrap_or(&nobody).clone();
                if i % 3 == 0 && span.0 + 120 <= span.1 {
                    moved.admission = Some(days.date(span.0 + 20));
                    moved.leaving = Some(days.date(span.0 + 100));
                }
                let pupil = &moved;
                let marks = register.marks_between(i, span.0, span.1);
                let mut seen: [Vec<(usize, Standing)>; 2] = Default::default();
                let [a, b] = &mut seen;
                let quick = evaluate_in(
                    &skipping,
                    &mut scratch,
                    i,
                    pupil,
                    &[],
                    marks,
                    None,
                    &mut |k, s| a.push((k, s.clone())),
                );
                let walked = evaluate_with(&walking, i, pupil, &[], marks, None, &mut |k, s| {
                    b.push((k, s.clone()));
                });
                assert_eq!(quick, walked, "{} pupil {i}", path.display());
                assert_eq!(a, b, "{} pupil {i}: standings", path.display());
            }
            if path.ends_with("policies/national.policy") {
                skipped_national = Some((
                    skipping.skipped.load(Ordering::Relaxed),
                    skipping.days_skipped.load(Ordering::Relaxed),
                ));
            }
        }
        // Most pupils skipped, and the others' walks begun well into the year (when written:
        // 183 of the 300 skipped, and 18,761 of the others' 22,347 school days).
        assert!(
            skipped_national.is_some_and(|(pupils, days)| pupils > 150 && days > 10_000),
            "{skipped_national:?}"
        );
    }
}
