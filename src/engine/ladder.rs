//! A ladder, one pupil and one school day at a time (docs/language.md, "Ladders"): the
//! deepest stage that holds applies, but `in order` climbs one stage at a time (a stage only
//! from the one before, and no sooner than its weeks after); a stage with `held` keeps a pupil
//! who climbed to it until its end; a pupil whose stage no longer holds, and is not held,
//! moves down to the deepest stage below that holds (or off the ladder), firing nothing.

use super::plan::Rule;
use crate::model::Period;
use crate::table::{HeldRows, LadderRows, SchoolDays};

/// A ladder compiled for evaluation, beside its band set.
#[derive(Clone, Debug)]
pub struct LadderPlan {
    /// `in order`: school weeks on a stage before the next (0: the next school day).
    pub in_order_after_weeks: Option<u32>,
    pub held: Vec<Option<HeldPlan>>,
    /// Per stage: the rules of `at once when ...`, any of which lets a pupil climb to it
    /// without waiting for the order.
    pub at_once: Vec<Option<Vec<Rule>>>,
}

#[derive(Clone, Debug)]
pub enum HeldPlan {
    UntilEnd(Period),
    /// For `count` school days (`weeks` false) or school weeks from entry.
    For {
        count: u32,
        weeks: bool,
    },
    /// Until any rule holds; with `span`, once it has held for that many days or weeks.
    Until {
        rules: Vec<Rule>,
        span: Option<(u32, bool)>,
    },
}

/// What a pupil carries on a ladder from one school day to the next.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LadderState {
    /// The school day the current stage was entered.
    pub entered: usize,
    /// Whether the current stage still holds the pupil whatever their figures.
    pub held: bool,
    /// The first school day of the current run of days the exit condition has held.
    pub exit_since: Option<usize>,
}

/// How a day's step moved the pupil.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Move {
    Stay,
    /// Up to a deeper stage: its entry actions fire.
    Climb,
    /// Down (or off the ladder): nothing fires.
    Down,
}

impl LadderPlan {
    /// The ladder's table rows compiled into `plan`'s tests.
    pub fn new(plan: &mut super::plan::Plan, rows: &LadderRows) -> LadderPlan {
        let held = rows
            .held
            .iter()
            .zip(&rows.rows)
            .map(|(h, &row)| {
                h.as_ref().map(|h| match h {
                    HeldRows::UntilEnd(p) => HeldPlan::UntilEnd(*p),
                    HeldRows::For { count, unit } => HeldPlan::For {
                        count: *count,
                        weeks: *unit == "school_weeks",
                    },
                    HeldRows::Until { rows, count, unit } => HeldPlan::Until {
                        rules: rows.iter().map(|atoms| plan.rule(row, atoms)).collect(),
                        span: count.map(|n| (n, unit.is_some_and(|u| u == "school_weeks"))),
                    },
                })
            })
            .collect();
        let at_once = rows
            .at_once
            .iter()
            .zip(&rows.rows)
            .map(|(a, &row)| {
                a.as_ref()
                    .map(|rows| rows.iter().map(|atoms| plan.rule(row, atoms)).collect())
            })
            .collect();
        LadderPlan {
            in_order_after_weeks: rows.in_order_after_weeks,
            held,
            at_once,
        }
    }

    /// The rules of its exit conditions, whose metrics are read every day.
    pub fn rules(&self) -> impl Iterator<Item = &Rule> {
        self.held
            .iter()
            .flatten()
            .flat_map(|h| match h {
                HeldPlan::Until { rules, .. } => rules.as_slice(),
                _ => &[],
            })
            .chain(self.at_once.iter().flatten().flatten())
    }
}

/// Whether `count` days or weeks have passed from school day `from` to `day`.
fn elapsed(days: &SchoolDays, from: usize, day: usize, count: u32, weeks: bool) -> bool {
    if weeks {
        days.week(day).saturating_sub(days.week(from)) >= count
    } else {
        u32::try_from(day.saturating_sub(from)).unwrap_or(u32::MAX) >= count
    }
}

impl LadderPlan {
    /// The stage for `day`, given the stage held yesterday (`current`) and which stages'
    /// conditions hold today (`holds`); `exit` says whether any of a hold's rules holds today.
    pub fn step(
        &self,
        state: &mut LadderState,
        current: Option<usize>,
        holds: &[bool],
        day: usize,
        days: &SchoolDays,
        exit: impl Fn(&[Rule]) -> bool,
    ) -> (Option<usize>, Move) {
        // Release a hold whose end has come (checked before moving, so a hold that ends today
        // lets the pupil down today).
        if let Some(c) = current
            && state.held
        {
            let released = match self.held.get(c).and_then(Option::as_ref) {
                None => true,
                Some(HeldPlan::UntilEnd(p)) => {
                    days.period(*p, day) != days.period(*p, state.entered)
                }
                Some(HeldPlan::For { count, weeks }) => {
                    elapsed(days, state.entered, day, *count, *weeks)
                }
                Some(HeldPlan::Until { rules, span }) => {
                    state.exit_since = if exit(rules) {
                        state.exit_since.or(Some(day))
                    } else {
                        None
                    };
                    match (state.exit_since, span) {
                        (None, _) => false,
                        (Some(_), None) => true,
                        (Some(since), Some((count, weeks))) => {
                            elapsed(days, since, day, *count, *weeks)
                        }
                    }
                }
            };
            if released {
                state.held = false;
                state.exit_since = None;
            }
        }
        let deepest = holds.iter().rposition(|h| *h);
        let climb_to = match (self.in_order_after_weeks, current) {
            (_, None) | (None, Some(_)) => deepest.filter(|&k| current.is_none_or(|c| k > c)),
            (Some(weeks), Some(c)) => {
                let ready = elapsed(days, state.entered, day, weeks, true) && day > state.entered;
                (ready && deepest.is_some_and(|k| k > c)).then_some(c + 1)
            }
        };
        // In order, a pupil off the ladder enters at the first stage.
        let climb_to = match (self.in_order_after_weeks, current, climb_to) {
            (Some(_), None, Some(_)) => Some(0),
            (_, _, to) => to,
        };
        // A stage's `at once when ...` climbs to it from any shallower stage (or off the
        // ladder) on a day its condition holds, whatever the order says; the deepest wins.
        let at_once = self.at_once.iter().enumerate().rposition(|(k, rules)| {
            current.is_none_or(|c| k > c) && rules.as_ref().is_some_and(|r| exit(r))
        });
        let climb_to = match (climb_to, at_once) {
            (Some(to), Some(k)) => Some(to.max(k)),
            (to, k) => to.or(k),
        };
        if let Some(to) = climb_to {
            *state = LadderState {
                entered: day,
                held: self.held.get(to).is_some_and(Option::is_some),
                exit_since: None,
            };
            return (Some(to), Move::Climb);
        }
        match current {
            Some(c) if holds.get(c).copied().unwrap_or(false) || state.held => {
                (Some(c), Move::Stay)
            }
            // A deeper stage holds but the order keeps the pupil here for now.
            Some(c) if deepest.is_some_and(|k| k > c) => (Some(c), Move::Stay),
            Some(c) => {
                let below = holds[..c.min(holds.len())].iter().rposition(|h| *h);
                *state = LadderState {
                    entered: day,
                    held: false,
                    exit_since: None,
                };
                (below, Move::Down)
            }
            None => (None, Move::Stay),
        }
    }
}
