//! Lowering schedules (`schedule NAME per half_term { 1: 3.5 days ... }`), comparisons with
//! them, and the days a trigger is looked at. A schedule's rows are in period order, whole
//! sessions or percentages, and (for counts so far in the year) never go down.

use super::*;
use crate::model::schedule::{ScheduleProblem, ScheduleRow, closes, period_name};

impl Lowerer {
    pub(super) fn schedule(&mut self, s: &ast::ScheduleAst, loc: &Loc) {
        if self.schedules.iter().any(|x| x.name == s.name.node) {
            self.error(
                &s.name.loc,
                ModelError::Duplicate {
                    what: "a schedule",
                    name: s.name.node.clone(),
                },
            );
            return;
        }
        let per = s.per.node;
        if per == Period::Year {
            self.error(&s.per.loc, ModelError::Schedule(ScheduleProblem::PerYear));
        }
        let mut rows: Vec<ScheduleRow> = Vec::new();
        for row in &s.rows {
            let r = &row.node;
            let n = r.period.node;
            if n == 0 {
                self.error(
                    &r.period.loc,
                    ModelError::Schedule(ScheduleProblem::PeriodZero),
                );
                continue;
            }
            if let Some(before) = rows.last()
                && before.period >= n
            {
                let problem = ScheduleProblem::OutOfOrder {
                    period: period_name(per, n),
                    after: period_name(per, before.period),
                };
                self.error(&r.period.loc, ModelError::Schedule(problem));
                continue;
            }
            let threshold = match &r.value.node {
                Operand::Percent(p) => Threshold::Percent(self.percent(*p, &r.value.loc)),
                Operand::Count { value, half, unit } => {
                    let in_days = unit.is_some_and(CountUnit::is_days);
                    if *half && !in_days {
                        let problem = ScheduleProblem::HalfNotWhole {
                            written: crate::syntax::print_dsl::operand(&r.value.node),
                        };
                        self.error(&r.value.loc, ModelError::Schedule(problem));
                    }
                    // No school has four billion sessions: a larger count saturates.
                    Threshold::Sessions(if in_days {
                        value.saturating_mul(2).saturating_add(u32::from(*half))
                    } else {
                        *value
                    })
                }
                // The grammar allows only a count or a percentage here.
                _ => continue,
            };
            if let (Some(before), Threshold::Sessions(now)) = (rows.last(), threshold)
                && let Threshold::Sessions(was) = before.threshold
                && now < was
            {
                let problem = ScheduleProblem::Decreases {
                    name: s.name.node.clone(),
                    period: period_name(per, n),
                    value: format!("{now} sessions"),
                    before: period_name(per, before.period),
                    before_value: format!("{was} sessions"),
                };
                self.error(&r.value.loc, ModelError::Schedule(problem));
            }
            rows.push(ScheduleRow {
                period: n,
                threshold,
                written: crate::syntax::print_dsl::operand(&r.value.node),
                label: r.label.as_ref().map(|l| l.node.clone()),
                loc: row.loc.clone(),
            });
        }
        let counts = rows
            .iter()
            .filter(|r| matches!(r.threshold, Threshold::Sessions(_)))
            .count();
        if counts != 0 && counts != rows.len() {
            let problem = ScheduleProblem::Mixed {
                name: s.name.node.clone(),
            };
            self.error(&s.name.loc, ModelError::Schedule(problem));
        }
        self.schedules.push(Schedule {
            name: s.name.node.clone(),
            wording: s.wording.as_ref().map(|w| w.node.clone()),
            per,
            rows,
            loc: loc.clone(),
        });
    }

    /// `lhs op SCHEDULE`: a count with a schedule of counts, a ratio with one of percentages.
    pub(super) fn scheduled(
        &mut self,
        lhs: ScheduledLhs,
        op: CmpOp,
        i: usize,
        loc: &Loc,
    ) -> Option<Condition> {
        let s = self.schedules.get(i)?;
        let wrong = s.rows.iter().find(|r| {
            matches!(
                (&lhs, r.threshold),
                (ScheduledLhs::Count(_), Threshold::Percent(_))
                    | (ScheduledLhs::Ratio(..), Threshold::Sessions(_))
            )
        });
        if let Some(row) = wrong {
            let (left, right) = match &lhs {
                ScheduledLhs::Count(m) => (
                    format!("`{m}` (a count)"),
                    format!(
                        "the schedule `{}` of percentages (`{}`)",
                        s.name, row.written
                    ),
                ),
                ScheduledLhs::Ratio(m, _) => (
                    format!("`{}(...)` (a percentage)", m.keyword()),
                    format!("the schedule `{}` of counts (`{}`)", s.name, row.written),
                ),
            };
            self.error(loc, ModelError::TypeMismatch { left, right });
            return None;
        }
        Some(Condition::Scheduled(Box::new(Scheduled {
            lhs,
            op,
            name: s.name.clone(),
            per: s.per,
            rows: s.rows.iter().map(|r| (r.period, r.threshold)).collect(),
        })))
    }

    /// Rows for periods the policy's own calendar does not have (a seventh half-term).
    pub(super) fn schedules_in_calendar(&mut self, model: &Policy) {
        if !model.calendar.has_dates() {
            return;
        }
        for s in &model.schedules {
            let have = closes(&model.calendar, s.per).len();
            for r in s.rows.iter().filter(|r| r.period as usize > have) {
                let problem = ScheduleProblem::NotInCalendar {
                    period: period_name(s.per, r.period),
                    per: match s.per {
                        Period::HalfTerm => "half-term",
                        Period::Term => "term",
                        Period::Year => "year",
                    },
                    have,
                };
                self.error(&r.loc, ModelError::Schedule(problem));
            }
        }
    }

    /// A band's `every N school_weeks:` (1 for `every school_week:`).
    pub(super) fn weekly_every(&mut self, b: &ast::BandAst) -> u32 {
        match &b.weekly_every {
            Some(n) if n.node == 0 => {
                self.error(&n.loc, ModelError::Schedule(ScheduleProblem::EveryZero));
                1
            }
            Some(n) => n.node,
            None => 1,
        }
    }

    pub(super) fn looked_at(&mut self, t: &ast::TriggerAst) -> Option<LookedAt> {
        let l = t.looked_at.as_ref()?;
        if let LookedAt::Every { school_weeks: 0 } = l.node {
            self.error(&l.loc, ModelError::Schedule(ScheduleProblem::EveryZero));
            return Some(LookedAt::Every { school_weeks: 1 });
        }
        Some(l.node)
    }
}
