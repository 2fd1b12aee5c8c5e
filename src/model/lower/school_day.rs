//! Lowering the school day: a calendar's `gates_open`, `lunch`, `day_ends`, `registers_due`
//! and `school_week` lines, and `session` lines for one group (`for years 1 to 2`), into
//! `SchoolDay`, one set of times per group. A later calendar may restate a time; only a
//! different value conflicts.

use chrono::NaiveTime;

use super::*;
use crate::model::school_day::{DayGroup, DayTimes, Lunch, Timed};
use crate::syntax::ast::{DayLine, DayTimeKind, DayWhat};

impl Lowerer {
    fn day_group(&mut self, group: &Sp<ast::DayGroup>) -> Option<DayGroup> {
        match &group.node {
            ast::DayGroup::Years { first, last } => {
                if first > last {
                    self.error(
                        &group.loc,
                        ModelError::ReversedDates {
                            what: "the year groups",
                            start: first.to_string(),
                            end: last.to_string(),
                        },
                    );
                    return None;
                }
                Some(DayGroup::Years {
                    first: *first,
                    last: *last,
                })
            }
            ast::DayGroup::Phase(name) => match Phase::from_keyword(name) {
                Some(p) => Some(DayGroup::Phase(p)),
                None => {
                    self.unknown(
                        &group.loc,
                        "phase",
                        name,
                        Phase::keywords().map(String::from).collect(),
                    );
                    None
                }
            },
        }
    }

    fn day_times<'d>(
        &mut self,
        group: Option<DayGroup>,
        into: &'d mut Calendar,
    ) -> &'d mut DayTimes {
        let groups = &mut into.school_day.groups;
        let at = match groups.iter().position(|g| g.group == group) {
            Some(i) => i,
            None => {
                groups.push(DayTimes::new(group));
                groups.len() - 1
            }
        };
        &mut groups[at]
    }

    pub(super) fn day_line(&mut self, line: &DayLine, loc: &Loc, into: &mut Calendar) {
        let group = match &line.group {
            Some(g) => match self.day_group(g) {
                Some(g) => Some(g),
                None => return,
            },
            None => None,
        };
        let label = group
            .as_ref()
            .map_or("the school day".to_string(), |g| format!("the day {g}"));
        let mut conflict: Option<(&'static str, String, String, Loc)> = None;
        match &line.what {
            DayWhat::At {
                kind,
                session: Some(name),
                time,
            } => {
                let session = SessionName::from_keyword(&name.node);
                let (Some(session), DayTimeKind::RegistersDue) = (session, kind) else {
                    self.error(
                        &name.loc,
                        ModelError::SessionOnlyForRegisters {
                            what: kind.keyword(),
                        },
                    );
                    return;
                };
                let day = self.day_times(group, into);
                match day
                    .session_registers_due
                    .iter()
                    .find(|(s, _)| *s == session)
                {
                    Some((_, first)) if first.time != time.node => {
                        conflict = Some((
                            kind.keyword(),
                            clock(first.time),
                            clock(time.node),
                            first.loc.clone(),
                        ));
                    }
                    Some(_) => {}
                    None => day.session_registers_due.push((
                        session,
                        Timed {
                            time: time.node,
                            loc: loc.clone(),
                        },
                    )),
                }
            }
            DayWhat::At { kind, time, .. } => {
                let day = self.day_times(group, into);
                let slot = match kind {
                    DayTimeKind::GatesOpen => &mut day.gates_open,
                    DayTimeKind::DayEnds => &mut day.day_ends,
                    DayTimeKind::RegistersDue => &mut day.registers_due,
                };
                match slot {
                    Some(first) if first.time != time.node => {
                        conflict = Some((
                            kind.keyword(),
                            clock(first.time),
                            clock(time.node),
                            first.loc.clone(),
                        ));
                    }
                    Some(_) => {}
                    None => {
                        *slot = Some(Timed {
                            time: time.node,
                            loc: loc.clone(),
                        })
                    }
                }
            }
            DayWhat::Lunch { starts, ends } => {
                if ends.node <= starts.node {
                    self.error(
                        loc,
                        ModelError::TimesOutOfOrder {
                            session: "lunch".into(),
                        },
                    );
                    return;
                }
                let day = self.day_times(group, into);
                match &day.lunch {
                    Some(first) if (first.starts, first.ends) != (starts.node, ends.node) => {
                        conflict = Some((
                            "lunch",
                            format!("{} to {}", clock(first.starts), clock(first.ends)),
                            format!("{} to {}", clock(starts.node), clock(ends.node)),
                            first.loc.clone(),
                        ));
                    }
                    Some(_) => {}
                    None => {
                        day.lunch = Some(Lunch {
                            starts: starts.node,
                            ends: ends.node,
                            loc: loc.clone(),
                        })
                    }
                }
            }
            DayWhat::Week { minutes } => {
                let day = self.day_times(group, into);
                match &day.week_minutes {
                    Some((first, at)) if *first != minutes.node => {
                        conflict =
                            Some(("school_week", week(*first), week(minutes.node), at.clone()));
                    }
                    Some(_) => {}
                    None => day.week_minutes = Some((minutes.node, loc.clone())),
                }
            }
        }
        if let Some((time, earlier, later, first_loc)) = conflict {
            self.diagnostics.push(
                ModelError::SessionTimesDiffer {
                    session: label,
                    time,
                    earlier,
                    later,
                }
                .at(loc)
                .with_related(&first_loc, "stated first here"),
            );
        }
    }

    /// `session pm opens 12:45 closes 13:15 for years 1 to 2`: that group's register, beside
    /// the whole school's.
    pub(super) fn group_session(
        &mut self,
        register: RegisterTimes,
        group: &Sp<ast::DayGroup>,
        into: &mut Calendar,
    ) {
        let Some(group) = self.day_group(group) else {
            return;
        };
        let label = format!("{} {group}", register.session);
        let day = self.day_times(Some(group), into);
        match day.sessions.iter().find(|s| s.session == register.session) {
            Some(first) => {
                let same = (first.opens, first.late_after, first.closes)
                    == (register.opens, register.late_after, register.closes);
                if !same {
                    let first_loc = first.loc.clone();
                    let earlier = session_text(first);
                    let later = session_text(&register);
                    self.diagnostics.push(
                        ModelError::SessionTimesDiffer {
                            session: label,
                            time: "times",
                            earlier,
                            later,
                        }
                        .at(&register.loc)
                        .with_related(&first_loc, "stated first here"),
                    );
                }
            }
            None => day.sessions.push(register),
        }
    }
}

fn clock(t: NaiveTime) -> String {
    t.format("%H:%M").to_string()
}

fn week(minutes: u32) -> String {
    format!("{} hours {} minutes", minutes / 60, minutes % 60)
}

fn session_text(s: &RegisterTimes) -> String {
    let mut parts = Vec::new();
    for (word, t) in [
        ("opens", s.opens),
        ("late_after", s.late_after),
        ("closes", s.closes),
    ] {
        if let Some(t) = t {
            parts.push(format!("{word} {}", crate::syntax::print_dsl::time(t)));
        }
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use crate::model::SessionName;
    use crate::source::Source;

    fn lowered(calendar: &str) -> (Vec<(SessionName, String)>, Vec<String>) {
        let text = format!("policy \"P\" {{\n  calendar {{\n{calendar}\n  }}\n}}\n");
        let analysis = crate::analyse(&Source::new("p.policy", text), None);
        let codes = analysis
            .diagnostics
            .iter()
            .map(|d| d.code.clone())
            .collect();
        let due = analysis.checked.map_or_else(Vec::new, |c| {
            c.policy().calendar.school_day.groups[0]
                .session_registers_due
                .iter()
                .map(|(s, t)| (*s, t.time.format("%H:%M").to_string()))
                .collect()
        });
        (due, codes)
    }

    #[test]
    fn each_register_has_its_own_due_time() {
        // Billericay: "within 10 minutes of the start of the lesson": 08:35 + 10 = 08:45 for
        // period 1, 14:00 + 10 = 14:10 for period 5.
        let (due, _) = lowered(
            "session am opens 08:35 closes 09:05\nsession pm opens 14:00 closes 14:30\n\
             registers_due am 08:45\nregisters_due pm 14:10",
        );
        assert_eq!(
            due,
            vec![
                (SessionName::Am, "08:45".to_string()),
                (SessionName::Pm, "14:10".to_string())
            ]
        );
    }

    #[test]
    fn only_registers_are_due_per_session() {
        let (_, codes) = lowered("gates_open am 08:30");
        assert!(
            codes
                .iter()
                .any(|c| c == "model::session_only_for_registers"),
            "{codes:?}"
        );
        let (_, codes) = lowered("registers_due pm 14:10\nregisters_due pm 14:20");
        assert!(
            codes.iter().any(|c| c == "model::session_times_differ"),
            "{codes:?}"
        );
    }
}
