//! The school day in the DSL: `gates_open`, `lunch`, `day_ends`, `registers_due` and
//! `school_week` lines of a calendar, and the `for years 1 to 2` / `for phase primary` that
//! makes a line (or a `session`) one group's.

use chrono::NaiveTime;

use super::{Builder, Pr};
use crate::syntax::ast::*;
use crate::syntax::grammar::Rule;

impl Builder<'_> {
    pub(super) fn day_line(&mut self, pair: Pr<'_>) -> DayLine {
        let mut what = None;
        let mut group = None;
        for p in pair.clone().into_inner() {
            match p.as_rule() {
                Rule::day_group => group = Some(self.day_group(p)),
                _ => what = Some(self.day_what(p)),
            }
        }
        let what = what.unwrap_or_else(|| DayWhat::Week {
            minutes: self.sp(&pair, 0),
        });
        DayLine { what, group }
    }

    fn day_what(&mut self, pair: Pr<'_>) -> DayWhat {
        let children: Vec<Pr<'_>> = pair.clone().into_inner().collect();
        match pair.as_rule() {
            Rule::day_time => {
                let kind = children
                    .first()
                    .and_then(|k| DayTimeKind::from_keyword(k.as_str()))
                    .unwrap_or(DayTimeKind::GatesOpen);
                let session = children
                    .iter()
                    .find(|c| c.as_rule() == Rule::day_session)
                    .map(|s| self.sp(s, s.as_str().to_string()));
                let at = children.iter().find(|c| c.as_rule() == Rule::time);
                let time = self.clock(at, &pair);
                DayWhat::At {
                    kind,
                    session,
                    time,
                }
            }
            Rule::day_span => DayWhat::Lunch {
                starts: self.clock(children.first(), &pair),
                ends: self.clock(children.get(1), &pair),
            },
            _ => {
                let hours = children.first().map_or(0, |h| self.u32(h).node);
                let minutes = children.get(1).map_or(0, |m| self.u32(m).node);
                let total = hours.saturating_mul(60).saturating_add(minutes);
                DayWhat::Week {
                    minutes: self.sp(&pair, total),
                }
            }
        }
    }

    fn clock(&mut self, pair: Option<&Pr<'_>>, fallback: &Pr<'_>) -> Sp<NaiveTime> {
        let at = pair.unwrap_or(fallback);
        let minutes = pair.map_or(0, |p| self.time(p));
        let time = NaiveTime::from_hms_opt(u32::from(minutes / 60), u32::from(minutes % 60), 0)
            .unwrap_or_default();
        self.sp(at, time)
    }

    pub(super) fn day_group(&mut self, pair: Pr<'_>) -> Sp<DayGroup> {
        let loc_pair = pair.clone();
        // `for years 1 to 2` in the DSL; `years 1 to 2` (a `group_who`) in TOML's `for`.
        let who = match pair.as_rule() {
            Rule::day_group => pair.into_inner().next(),
            _ => Some(pair),
        };
        let group = match who.and_then(|w| w.into_inner().next()) {
            Some(g) if g.as_rule() == Rule::group_phase => {
                let name = g
                    .into_inner()
                    .next()
                    .map(|p| p.as_str().to_string())
                    .unwrap_or_default();
                DayGroup::Phase(name)
            }
            Some(g) => {
                let years: Vec<Pr<'_>> = g.into_inner().collect();
                let first = years.first().map_or(0, |y| self.year_number(y));
                let last = years.get(1).map_or(first, |y| self.year_number(y));
                DayGroup::Years { first, last }
            }
            None => DayGroup::Years { first: 0, last: 0 },
        };
        self.sp(&loc_pair, group)
    }

    /// `R` (reception) is year 0; a school's year groups run to 14 at most.
    fn year_number(&mut self, pair: &Pr<'_>) -> u8 {
        if pair.as_str() == "R" {
            return 0;
        }
        match pair.as_str().parse::<u8>() {
            Ok(n) if n <= 14 => n,
            _ => {
                self.error(
                    pair,
                    crate::syntax::error::SyntaxError::Unexpected {
                        found: format!("year {}", pair.as_str()),
                        expected: vec!["a year group from `R` to `14`".into()],
                    },
                );
                0
            }
        }
    }
}
