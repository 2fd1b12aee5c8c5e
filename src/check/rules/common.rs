//! What several rules share: where actions are written, conditions as exact sets of
//! attendance, the national definitions, the codes that count as unauthorised absence.

pub(super) use crate::check::rule::date;
pub(super) use crate::check::shape;
pub(super) use crate::check::{Context, Docs, Finding, InForce, REG24_IN_FORCE, Rule, first_line};
pub(super) use crate::diagnostic::Severity;

use crate::codes::{self, MarkClass};
use crate::model::normal::{self, Atom};
use crate::model::{
    Action, ActionKind, Band, BandSet, Condition, Definition, Escalation, Interval, Origin, Party,
    Plan, Policy, RatioMetric, Recipient, Step, Trigger, Window, national,
};

/// Where an action is written, and so what decides when it happens.
#[derive(Clone, Copy)]
pub enum Holder<'a> {
    Band {
        set: &'a BandSet,
        band: &'a Band,
    },
    Step {
        escalation: &'a Escalation,
        step: &'a Step,
    },
    Trigger(&'a Trigger),
    Plan {
        plan: &'a Plan,
        event: PlanEvent,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlanEvent {
    Open,
    Miss,
    Met,
    /// `every N school_weeks:` while the plan is open.
    Every,
}

impl Holder<'_> {
    /// "the band `enforce`", "day 5 of `absence escalation`".
    pub fn describe(&self) -> String {
        match self {
            Holder::Band { band, .. } => format!("the band `{}`", band.id),
            Holder::Step { escalation, step } => {
                format!("day {} of `{}`", step.day, escalation.name)
            }
            Holder::Trigger(t) => format!("the trigger `{}`", t.name),
            Holder::Plan { plan, event } => {
                let when = match event {
                    PlanEvent::Open => "opens",
                    PlanEvent::Miss => "misses its target",
                    PlanEvent::Met => "meets its target",
                    PlanEvent::Every => "is open, every few school weeks",
                };
                format!("the plan `{}` when it {when}", plan.name)
            }
        }
    }

    pub fn origin(&self) -> Origin {
        match self {
            Holder::Band { set, .. } => set.origin,
            Holder::Step { escalation, .. } => escalation.origin,
            Holder::Trigger(t) => t.origin,
            Holder::Plan { .. } => Origin::School,
        }
    }

    /// The condition that guards the action beyond its band, run or stage, if any.
    pub fn guard(&self) -> Option<&Condition> {
        match self {
            Holder::Band { .. } | Holder::Plan { .. } => None,
            Holder::Step { step, .. } => step.guard.as_ref(),
            Holder::Trigger(t) => Some(&t.condition),
        }
    }

    /// The rows of the guard that can hold; one empty row when there is no guard.
    /// `None` when the guard is too complex to spread.
    pub fn guard_rows(&self, policy: &Policy) -> Option<Vec<Vec<Atom>>> {
        match self.guard() {
            None => Some(vec![Vec::new()]),
            Some(c) => Some(
                normal::rows(policy, c)?
                    .into_iter()
                    .filter(|(_, ok)| *ok)
                    .map(|(r, _)| r)
                    .collect(),
            ),
        }
    }
}

/// An action and where it is written.
pub struct Placed<'a> {
    pub action: &'a Action,
    pub holder: Holder<'a>,
}

/// Every action in the policy, national ones included, in file order of their rules.
pub fn all_actions(policy: &Policy) -> Vec<Placed<'_>> {
    let mut out = Vec::new();
    for set in &policy.band_sets {
        for band in &set.bands {
            let actions = band.entry_clauses().flat_map(|(_, actions)| actions);
            out.extend(actions.map(|action| Placed {
                action,
                holder: Holder::Band { set, band },
            }));
        }
    }
    for escalation in &policy.escalations {
        for step in &escalation.steps {
            out.extend(step.actions.iter().map(|action| Placed {
                action,
                holder: Holder::Step { escalation, step },
            }));
        }
    }
    for t in &policy.triggers {
        out.extend(t.actions.iter().map(|action| Placed {
            action,
            holder: Holder::Trigger(t),
        }));
    }
    for plan in &policy.plans {
        for (event, actions) in [
            (PlanEvent::Open, &plan.on_open[..]),
            (PlanEvent::Miss, &plan.on_miss[..]),
            (PlanEvent::Met, &plan.on_met[..]),
            (
                PlanEvent::Every,
                plan.every.as_ref().map_or(&[][..], |e| &e.actions[..]),
            ),
        ] {
            out.extend(actions.iter().map(|action| Placed {
                action,
                holder: Holder::Plan { plan, event },
            }));
        }
    }
    out
}

/// The actions the school wrote (not those merged from the national baseline).
pub fn school_actions(policy: &Policy) -> Vec<Placed<'_>> {
    all_actions(policy)
        .into_iter()
        .filter(|p| p.holder.origin() == Origin::School)
        .collect()
}

/// `notify local_authority` or `refer local_authority`.
pub fn tells_local_authority(kind: &ActionKind) -> bool {
    matches!(
        kind,
        ActionKind::Notify(Recipient::Party(Party::LocalAuthority))
            | ActionKind::Refer(Recipient::Party(Party::LocalAuthority))
    )
}

/// The action as written, for messages: `consider prosecution`, `letter concern`.
pub fn action_text(kind: &ActionKind) -> String {
    kind.name().replace(':', " ")
}

/// A condition as an exact set of attendance values over one window, when it is nothing but
/// attendance (or absence) comparisons on that window.
pub fn attendance_set(policy: &Policy, condition: &Condition) -> Option<(Window, Vec<Interval>)> {
    let rows = normal::rows(policy, condition)?;
    let mut window = None;
    let mut intervals = Vec::new();
    for (row, ok) in rows {
        if !ok {
            continue;
        }
        let [
            Atom::Ratio {
                metric: RatioMetric::Attendance,
                window: w,
                interval,
            },
        ] = row.as_slice()
        else {
            return None;
        };
        if window.is_some_and(|seen| seen != *w) {
            return None;
        }
        window = Some(*w);
        intervals.push(*interval);
    }
    Some((window?, intervals))
}

/// Whether the completeness rules apply: a school's whole policy, not the national baseline, not
/// a document declared an excerpt or a local authority's code of conduct (`document ...`), and
/// not the part of a policy that lowered despite model errors.
pub fn whole_policy(ctx: &Context) -> bool {
    !ctx.baseline && !ctx.partial && ctx.policy.document.is_none()
}

/// The national baseline's definition of `name`.
pub fn national_definition(name: &str) -> Option<&'static Definition> {
    national::policy()
        .ok()?
        .definitions
        .iter()
        .find(|d| d.name == name)
}

/// The codes that are unauthorised absence on the date the policy is judged.
pub fn unauthorised_codes(ctx: &Context) -> Vec<&'static str> {
    let on = ctx.judged_on.unwrap_or(REG24_IN_FORCE);
    let mut codes: Vec<&'static str> = codes::table()
        .codes_in_force(on)
        .filter(|c| c.class == MarkClass::Unauthorised)
        .map(|c| c.code)
        .collect();
    codes.sort_unstable();
    codes.dedup();
    codes
}

/// What a register code means, for messages.
pub fn code_meaning(code: &str) -> String {
    codes::table()
        .lookup_any(code)
        .map_or_else(String::new, |c| c.meaning.clone())
}

/// `{G, N, O}` for messages.
pub fn code_list(codes: &[&str]) -> String {
    let quoted: Vec<String> = codes.iter().map(|c| format!("`{c}`")).collect();
    match quoted.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// The rank of the first support stage (`facilitate`) in the policy's order of severity.
pub fn first_support_rank(policy: &Policy) -> usize {
    policy
        .stages
        .iter()
        .position(|s| s.framework == crate::model::FrameworkStage::Facilitate)
        .unwrap_or(policy.stages.len())
}

/// Whether every row requires the pupil to be at or beyond stage rank `rank`.
pub fn rows_require_stage(rows: &[Vec<Atom>], rank: usize) -> bool {
    !rows.is_empty()
        && rows.iter().all(|row| {
            row.iter()
                .any(|a| matches!(a, Atom::Stage { lo, .. } if *lo >= rank))
        })
}

/// Whether a trigger counts towards the penalty-notice threshold: its rows all count
/// unauthorised sessions (or codes) over a rolling window, at 10 or more.
pub fn is_penalty_threshold(rows: &[Vec<Atom>]) -> bool {
    use crate::model::{CountMetric, SessionClass};
    !rows.is_empty()
        && rows.iter().all(|row| {
            row.iter().any(|a| match a {
                Atom::Count { metric, range } => {
                    let counts_unauthorised = matches!(
                        metric,
                        CountMetric::Sessions {
                            class: SessionClass::Unauthorised,
                            window: Window::RollingWeeks(_)
                        } | CountMetric::Codes {
                            window: Window::RollingWeeks(_),
                            ..
                        }
                    );
                    counts_unauthorised && range.lo >= 10
                }
                _ => false,
            })
        })
}

/// Where two sets of attendance values differ: each region held by one set only, which one
/// (`true`: the first), and the smallest pair of sessions there.
pub struct Difference {
    pub interval: Interval,
    pub first_only: bool,
    pub example: Option<shape::Example>,
}

pub fn differences(first: &[Interval], second: &[Interval], window: Window) -> Vec<Difference> {
    shape::regions(&[first.to_vec(), second.to_vec()])
        .into_iter()
        .filter(|r| r.holders.len() == 1)
        .map(|r| Difference {
            interval: r.interval,
            first_only: r.holders == [0],
            example: shape::smallest_pair(&r.interval, 1, shape::max_possible(window)),
        })
        .collect()
}

/// "`miss 10% or more`" or the condition itself.
pub fn wording(d: &Definition) -> String {
    match &d.wording {
        Some(w) => format!("\"{w}\""),
        None => format!("`{}`", d.condition),
    }
}

/// Findings for each school definition of `name` that differs from the national one.
pub fn departures_from_national(ctx: &Context, name: &str, fix: &str) -> Vec<Finding> {
    let Some(national) = national_definition(name) else {
        return Vec::new();
    };
    let Some((national_window, national_set)) = attendance_set(ctx.policy, &national.condition)
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for d in ctx
        .policy
        .definitions
        .iter()
        .filter(|d| d.name == name && d.origin == Origin::School)
    {
        let Some((window, set)) = attendance_set(ctx.policy, &d.condition) else {
            continue;
        };
        if window != national_window {
            out.push(
                Finding::new(&d.loc, format!("`{name}` is measured over `{window}`, the national measure over `{national_window}`"))
                    .label(format!("national: {}", wording(national)))
                    .help(fix.to_string()),
            );
            continue;
        }
        for diff in differences(&set, &national_set, window) {
            let region = shape::describe(RatioMetric::Attendance, &diff.interval);
            let example = diff
                .example
                .map(|e| {
                    format!(
                        ", e.g. {},",
                        shape::example_text(RatioMetric::Attendance, e, &diff.interval)
                    )
                })
                .unwrap_or_default();
            let message = if diff.first_only {
                format!(
                    "`{name}` as {} includes {region}{example} which the national definition does not",
                    wording(d)
                )
            } else {
                format!(
                    "`{name}` as {} leaves out {region}{example} which the national definition includes",
                    wording(d)
                )
            };
            out.push(
                Finding::new(&d.loc, message)
                    .label(format!("national: {}", wording(national)))
                    .help(fix.to_string()),
            );
        }
    }
    out
}

/// Bands of one table that hold exactly the same values, in the order first written.
pub struct BandGroup<'a> {
    pub interval: Interval,
    pub members: Vec<&'a Band>,
}

impl BandGroup<'_> {
    pub fn first(&self) -> Option<&Band> {
        self.members.first().copied()
    }

    /// How many different stages the group's bands name.
    pub fn stages(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for b in &self.members {
            if let Some(s) = &b.stage
                && !out.contains(&s.id)
            {
                out.push(s.id.clone());
            }
        }
        out
    }
}

pub fn band_groups(set: &BandSet) -> Vec<BandGroup<'_>> {
    let mut groups: Vec<BandGroup<'_>> = Vec::new();
    for band in &set.bands {
        match groups.iter_mut().find(|g| g.interval == band.range) {
            Some(g) => g.members.push(band),
            None => groups.push(BandGroup {
                interval: band.range,
                members: vec![band],
            }),
        }
    }
    groups
}

/// The band tables the school wrote.
pub fn school_band_sets(policy: &Policy) -> impl Iterator<Item = &BandSet> {
    policy
        .band_sets
        .iter()
        .filter(|s| s.origin == Origin::School && !s.bands.is_empty())
}

/// The text of a band's range as the school wrote it: `93.9% - 90%`.
pub fn written(band: &Band) -> String {
    band.written.clone()
}

/// The example sentence for a region of a band table, or `None` when no pupil within a school
/// year (or the window) can have a value there.
pub fn band_example(set: &BandSet, interval: &Interval) -> Option<String> {
    let max = shape::max_possible(set.window);
    let e = shape::smallest_pair(interval, set.min_possible, max)?;
    Some(shape::example_text(set.metric, e, interval))
}

/// "no pupil with at most 400 possible sessions can have it".
pub fn unreachable_note(set: &BandSet) -> String {
    let max = shape::max_possible(set.window);
    if set.min_possible > 1 {
        format!(
            "no pupil with {} to {max} possible sessions can have it",
            set.min_possible
        )
    } else {
        format!("no pupil with at most {max} possible sessions can have it")
    }
}

/// The band tables the school wrote that are tables, not ladders: a pupil is in the first band
/// that holds (a ladder's stages nest by design; AT240-AT243 check them).
pub fn school_band_tables(policy: &Policy) -> impl Iterator<Item = &BandSet> {
    school_band_sets(policy).filter(|s| s.ladder.is_none())
}

/// The ladders the school wrote.
pub fn school_ladders(
    policy: &Policy,
) -> impl Iterator<Item = (&BandSet, &crate::model::ladder::Ladder)> {
    school_band_sets(policy).filter_map(|s| s.ladder.as_ref().map(|l| (s, l)))
}

/// A help line that rewrites a table's bands as a ladder (`ladder ... { band ... }`), the form
/// for cumulative "under X%" stages.
pub fn ladder_help(set: &BandSet, bands: &[&Band]) -> String {
    let guard = match set.min_possible {
        0 => String::new(),
        n => format!(" from {n} possible sessions"),
    };
    let stages: Vec<String> = bands
        .iter()
        .map(|b| {
            let stage = b.stage.as_ref().map(|s| format!(" stage {}", s.id));
            format!("band {} {}{}", b.id, b.written, stage.unwrap_or_default())
        })
        .collect();
    format!(
        "if a pupil goes deeper through these stages, write the table as a ladder, whose deepest stage reached applies (add `in order` for one stage at a time): `ladder {} over {}{guard} {{ {} }}`",
        set.metric.keyword(),
        set.window,
        stages.join("  ")
    )
}

/// Whether every percentage of `inner` is in `outer` (0% and 100% as the open ends).
pub fn within(inner: &Interval, outer: &Interval) -> bool {
    use crate::model::Percent;
    use std::ops::Bound;
    let close = |i: &Interval| Interval {
        lo: match i.lo {
            Bound::Unbounded => Bound::Included(Percent::ZERO),
            b => b,
        },
        hi: match i.hi {
            Bound::Unbounded => Bound::Included(Percent::HUNDRED),
            b => b,
        },
    };
    let (inner, outer) = (close(inner), close(outer));
    inner.is_empty() || inner.intersect(&outer) == inner
}

/// A school year of 380 sessions, used when the policy gives no term dates.
pub const DEFAULT_SCHOOL_DAYS: u32 = 190;

/// The school days of the first academic year the policy's calendar gives, with that year's
/// label: the year to date restarts each year, so rules that weigh a count of days against a
/// share compare over that one. `None` when the calendar gives no year with a school day.
pub fn first_year_school_days(policy: &Policy) -> Option<(u32, Option<String>)> {
    let year = policy.calendar.years.first()?;
    let one = crate::model::Calendar {
        sessions: Vec::new(),
        years: vec![year.clone()],
        ..Default::default()
    };
    let n = one.school_days().len();
    (n > 0).then(|| (u32::try_from(n).unwrap_or(u32::MAX), year.label.clone()))
}
