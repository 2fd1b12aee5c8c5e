//! One school day of a pupil's walk: what carries from one day to the next ([`State`]) and
//! the day's step, in the order DESIGN.md §4 gives: bands, the stage, triggers with their
//! repeat rules, support plans, escalation steps.

use super::{Day, Fired, Shared, TraceEvent, holds, reset};
use crate::engine::evidence;
use crate::engine::plan::{Plan, Rule};
use crate::model::Repeat;
use crate::table::SchoolDays;

/// What carries from one school day to the next.
#[derive(Default)]
pub(super) struct State {
    /// Per band set: (set, index in set) of the band held.
    pub(super) bands: Vec<Option<(usize, usize)>>,
    /// Per band set: the school week the pupil entered the band held.
    pub(super) entered: Vec<u32>,
    /// Per band set, per band: the school day and week its entry actions last fired.
    pub(super) band_fired: Vec<Vec<Option<(usize, u32)>>>,
    /// Per band set: where the pupil is on it, if it is a ladder.
    pub(super) ladders: Vec<crate::engine::ladder::LadderState>,
    pub(super) held: Vec<bool>,
    pub(super) last_fired: Vec<Option<(usize, u32)>>,
    pub(super) plan_open: Vec<Option<u32>>,
    pub(super) plan_stage_held: Vec<bool>,
    /// The stage a missed plan review moved the pupil to, for the rest of the academic year.
    pub(super) floor: usize,
    pub(super) year: Option<u32>,
    pub(super) holds: Vec<bool>,
}

impl State {
    /// The state before a pupil's first day, in the room of the last pupil's.
    pub(super) fn reset(&mut self, plan: &Plan) {
        let State {
            bands,
            entered,
            band_fired,
            ladders,
            held,
            last_fired,
            plan_open,
            plan_stage_held,
            floor,
            year,
            holds,
        } = self;
        let sets = plan.band_sets.len();
        reset(bands, sets);
        reset(entered, sets);
        band_fired.resize_with(sets, Vec::new);
        for (fired, set) in band_fired.iter_mut().zip(&plan.band_sets) {
            reset(fired, set.len());
        }
        reset(ladders, sets);
        reset(held, plan.triggers.len());
        reset(last_fired, plan.triggers.len());
        reset(holds, plan.triggers.len());
        reset(plan_open, plan.plans.len());
        reset(plan_stage_held, plan.plans.len());
        *floor = 0;
        *year = None;
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "one day's evaluation reads all of these"
    )]
    pub(super) fn step(
        &mut self,
        shared: &Shared<'_>,
        pupil: usize,
        day: usize,
        d: &mut Day<'_>,
        run_start: &[usize],
        extended: &[bool],
        fired: &mut Vec<Fired>,
        mut trace: Option<&mut Vec<TraceEvent>>,
    ) {
        let plan = shared.plan;
        let days = shared.days;
        let year = days.academic_year(day);
        if self.year != Some(year) {
            self.floor = 0;
            self.year = Some(year);
        }
        let describe = |rule: &Rule, d: &Day<'_>| {
            evidence::describe(
                shared,
                rule,
                d.values.as_slice(),
                d.runs.as_slice(),
                run_start,
                day,
                d.pupil,
                d.compulsory,
                d.stage,
                d.notices.as_slice(),
            )
        };
        let fire = |rule: &Rule, d: &Day<'_>, stage: usize, fired: &mut Vec<Fired>| {
            fired.push(Fired {
                day,
                pupil,
                row: rule.row,
                stage,
                evidence: describe(rule, d),
            });
        };
        // Bands: the first band of each set whose rows hold.
        let previous_stage = d.stage;
        let mut base = self.floor;
        let week = days.week(day);
        for (s, set) in plan.band_sets.iter().enumerate() {
            // A band holds by its range, or by any rule of its `or CONDITION`; the rule that
            // holds is the evidence.
            let also = plan.band_also.get(s);
            let holding = |i: usize| -> Option<&Rule> {
                let rule = set.get(i)?;
                if holds(plan, rule, d) {
                    return Some(rule);
                }
                also.and_then(|a| a.get(i))
                    .and_then(|rules| rules.iter().find(|r| holds(plan, r, d)))
            };
            // A ladder moves by its own rule (src/engine/ladder.rs); only a climb fires.
            let mut climbed = true;
            let found = match plan.ladders.get(s).and_then(Option::as_ref) {
                Some(ladder) => {
                    let holding_now: Vec<bool> =
                        (0..set.len()).map(|i| holding(i).is_some()).collect();
                    let current = self.bands[s].map(|(_, i)| i);
                    let (to, how) = ladder.step(
                        &mut self.ladders[s],
                        current,
                        &holding_now,
                        day,
                        days,
                        |rules| rules.iter().any(|r| holds(plan, r, d)),
                    );
                    climbed = how == crate::engine::ladder::Move::Climb;
                    to.and_then(|i| Some((i, holding(i).or_else(|| set.get(i))?)))
                }
                None => (0..set.len()).find_map(|i| holding(i).map(|rule| (i, rule))),
            };
            let now = found.map(|(i, _)| (s, i));
            if now != self.bands[s] {
                if let Some(t) = trace.as_deref_mut() {
                    let what = match now {
                        Some((_, i)) => format!(
                            "enters band `{}`: {}",
                            band_name(shared, set, i),
                            describe(found.map_or(&set[i], |(_, r)| r), d)
                        ),
                        // A gap between the bands or an evidence guard not yet met: the
                        // numbers say which.
                        None => match set.first() {
                            Some(first) => format!("is in no band: {}", describe(first, d)),
                            None => "is in no band".into(),
                        },
                    };
                    t.push(TraceEvent {
                        day,
                        rule: "bands".into(),
                        what,
                    });
                }
                if let Some((_, i)) = now
                    && climbed
                {
                    let repeat = plan.band_repeat[s][i];
                    let last = self.band_fired[s][i];
                    let guard = plan.band_guard.get(s).and_then(|g| g.get(i)).and_then(|g| {
                        g.as_ref()
                            .map(|rules| rules.iter().any(|r| holds(plan, r, d)))
                    });
                    if guard == Some(false) {
                        trace_push(
                            &mut trace,
                            day,
                            "bands",
                            format!(
                                "entry actions of `{}` not fired: their guard does not hold",
                                band_name(shared, set, i)
                            ),
                        );
                    } else if fires(days, repeat, false, last, day, week) {
                        let stage = plan.band_stage[s][i].unwrap_or(previous_stage);
                        fire(found.map_or(&set[i], |(_, r)| r), d, stage, fired);
                        self.band_fired[s][i] = Some((day, week));
                    } else {
                        trace_push(
                            &mut trace,
                            day,
                            "bands",
                            format!(
                                "entry actions of `{}` not repeated ({repeat})",
                                band_name(shared, set, i)
                            ),
                        );
                    }
                    // Further `on enter when ...:` clauses: the same entries (the limit is
                    // the band's), each under its own guard.
                    let clauses = plan.band_enter_also.get(s).and_then(|c| c.get(i));
                    for (rule, guard) in clauses.into_iter().flatten() {
                        let held = guard
                            .as_ref()
                            .is_none_or(|rules| rules.iter().any(|r| holds(plan, r, d)));
                        if !held {
                            trace_push(
                                &mut trace,
                                day,
                                "bands",
                                format!(
                                    "an entry clause of `{}` not fired: its guard does not hold",
                                    band_name(shared, set, i)
                                ),
                            );
                        } else if fires(days, repeat, false, last, day, week) {
                            let stage = plan.band_stage[s][i].unwrap_or(previous_stage);
                            fire(rule, d, stage, fired);
                            self.band_fired[s][i] = Some((day, week));
                        }
                    }
                }
                self.bands[s] = now;
                self.entered[s] = week;
            } else if let Some((_, i)) = now
                && day > 0
                && days.week(day - 1) != week
                && let Some(Some(rule)) = plan.band_weekly.get(s).and_then(|w| w.get(i))
                && crate::engine::schedule::weekly_due(plan, s, i, week, self.entered[s])
            {
                // In the band since last week, on the first school day of this one.
                let stage = plan.band_stage[s][i].unwrap_or(previous_stage);
                fire(rule, d, stage, fired);
                trace_push(
                    &mut trace,
                    day,
                    "bands",
                    format!(
                        "a new school week in `{}`: its weekly actions",
                        band_name(shared, set, i)
                    ),
                );
            }
            if let Some((_, i)) = now
                && let Some(rank) = plan.band_stage[s][i]
            {
                base = base.max(rank);
            }
        }
        // The stage: bands and plan escalations, raised by the stages of the triggers whose
        // conditions hold at the stage the pass before gave, until a pass changes nothing or
        // for len(stages) + 1 passes. A trigger reading the stage can raise it out of its own
        // range (`pupil.stage == monitor ... stage listen`), so there may be no fixed point:
        // the last pass's holds stand, and a trigger fires by a row holding at the final stage.
        d.stage = base;
        for _ in 0..=plan.stages.len() {
            let mut stage = base;
            for (t, trigger) in plan.triggers.iter().enumerate() {
                self.holds[t] = trigger.rules.iter().any(|r| holds(plan, r, d));
                if self.holds[t]
                    && let Some(rank) = trigger.stage
                {
                    stage = stage.max(rank);
                }
            }
            if stage == d.stage {
                break;
            }
            d.stage = stage;
        }
        for (t, trigger) in plan.triggers.iter().enumerate() {
            // A trigger looked at on some days only is neither fired nor changed on the rest:
            // its rising edge is from one look to the next; each period's end is a look of
            // its own.
            let Some(fresh) = crate::engine::schedule::look(days, trigger.looked_at, day) else {
                continue;
            };
            let now = self.holds[t];
            let was = self.held[t] && !fresh;
            let fires = now && fires(days, trigger.repeat, was, self.last_fired[t], day, week);
            if let Some(tr) = trace.as_deref_mut()
                && (now != was || fires)
            {
                let rule = trigger.rules.iter().find(|r| holds(plan, r, d));
                let what = match (now, rule) {
                    (true, Some(rule)) => {
                        format!(
                            "{}: {}",
                            if fires { "fires" } else { "holds" },
                            describe(rule, d)
                        )
                    }
                    _ => "no longer holds".to_string(),
                };
                tr.push(TraceEvent {
                    day,
                    rule: trigger.name.clone(),
                    what,
                });
            }
            if fires && let Some(rule) = trigger.rules.iter().find(|r| holds(plan, r, d)) {
                let stage = trigger.stage.unwrap_or(d.stage);
                fire(rule, d, stage, fired);
                self.last_fired[t] = Some((day, week));
            }
            self.held[t] = now;
        }
        // Support plans: open on reaching the plan's stage, review after its school weeks.
        for (p, group) in plan.plans.iter().enumerate() {
            if let Some(opened) = self.plan_open[p] {
                if week >= opened + group.after_weeks
                    && let Some(task) = &group.judged
                {
                    // Staff judge the target: set them the review, decide nothing, close.
                    fire(task, d, d.stage, fired);
                    trace_push(
                        &mut trace,
                        day,
                        &group.name,
                        "review: the target is for staff to judge".to_string(),
                    );
                    self.plan_open[p] = None;
                } else if week >= opened + group.after_weeks {
                    let met = group.met.iter().find(|r| holds(plan, r, d));
                    let missed = group
                        .missed
                        .iter()
                        .find(|r| holds(plan, r, d))
                        .or(group.missed.first());
                    match (met, missed) {
                        (Some(rule), _) => {
                            fire(rule, d, d.stage, fired);
                            trace_push(
                                &mut trace,
                                day,
                                &group.name,
                                format!("review: target met, plan closes: {}", describe(rule, d)),
                            );
                        }
                        (None, Some(rule)) => {
                            self.floor = self.floor.max(group.escalate_to);
                            d.stage = d.stage.max(self.floor);
                            fire(rule, d, d.stage, fired);
                            let to = plan
                                .stages
                                .get(group.escalate_to)
                                .map_or("", String::as_str);
                            trace_push(
                                &mut trace,
                                day,
                                &group.name,
                                format!(
                                    "review: target missed, moves to `{to}`: {}",
                                    describe(rule, d)
                                ),
                            );
                        }
                        (None, None) => {}
                    }
                    self.plan_open[p] = None;
                }
                // Periodic actions while the plan stays open: the first school day of every
                // Nth school week after the one it opened in.
                if let Some((rule, n)) = &group.every
                    && self.plan_open[p].is_some()
                    && day > 0
                    && days.week(day - 1) != week
                    && week > opened
                    && (week - opened).is_multiple_of(*n)
                {
                    fire(rule, d, d.stage, fired);
                    trace_push(
                        &mut trace,
                        day,
                        &group.name,
                        format!("open {} school weeks: its periodic actions", week - opened),
                    );
                }
                self.plan_stage_held[p] = holds(plan, &group.open, d);
                continue;
            }
            let now = holds(plan, &group.open, d);
            if now && !self.plan_stage_held[p] {
                self.plan_open[p] = Some(week);
                fire(&group.open, d, d.stage, fired);
                trace_push(
                    &mut trace,
                    day,
                    &group.name,
                    format!("opens (review after {} school weeks)", group.after_weeks),
                );
            }
            self.plan_stage_held[p] = now;
        }
        // Escalation steps fire on the day the run reaches their day.
        for step in &plan.steps {
            if extended[step.run] && d.runs[step.run] == step.day && holds(plan, &step.rule, d) {
                fire(&step.rule, d, d.stage, fired);
                trace_push(
                    &mut trace,
                    day,
                    &format!("day {}", step.day),
                    format!("step fires: {}", describe(&step.rule, d)),
                );
            }
        }
        if d.stage != previous_stage
            && let Some(t) = trace
        {
            let name = plan.stages.get(d.stage).map_or("", String::as_str);
            t.push(TraceEvent {
                day,
                rule: "stage".into(),
                what: format!("stage is now `{name}`"),
            });
        }
    }
}

/// Whether a rule whose condition holds today fires, given whether it held the school day
/// before (`was`; a band's entry is never a continuation) and the school day and week it
/// last fired.
fn fires(
    days: &SchoolDays,
    repeat: Repeat,
    was: bool,
    last: Option<(usize, u32)>,
    day: usize,
    week: u32,
) -> bool {
    match repeat {
        Repeat::RisingEdge => !was,
        Repeat::Each => true,
        Repeat::OncePer(period) => {
            let ordinal = days.period(period, day);
            last.is_none_or(|(last, _)| days.period(period, last) != ordinal)
        }
        Repeat::Every { school_weeks } => {
            !was || last.is_none_or(|(_, w)| week >= w + school_weeks)
        }
        Repeat::NotWithin { school_weeks } => {
            !was && last.is_none_or(|(_, w)| week >= w + school_weeks)
        }
    }
}

fn trace_push(trace: &mut Option<&mut Vec<TraceEvent>>, day: usize, rule: &str, what: String) {
    if let Some(t) = trace.as_deref_mut() {
        t.push(TraceEvent {
            day,
            rule: rule.to_string(),
            what,
        });
    }
}

fn band_name(shared: &Shared<'_>, set: &[Rule], i: usize) -> String {
    set.get(i)
        .and_then(|r| shared.plan.row_names.get(r.row))
        .cloned()
        .unwrap_or_default()
}
