//! Lowering calendars: academic years, terms, half-terms and closures, every date checked
//! to be real and in order.

use super::*;

impl Lowerer {
    pub(super) fn calendar(&mut self, cal: &ast::CalendarAst, loc: &Loc, into: &mut Calendar) {
        let mut year = AcademicYear {
            label: cal.label.as_ref().map(|l| l.node.clone()),
            terms: Vec::new(),
            closures: Vec::new(),
            loc: loc.clone(),
        };
        let mut seen_here = HashSet::new();
        for item in &cal.items {
            match &item.node {
                ast::CalendarItem::Day(line) => self.day_line(line, &item.loc, into),
                ast::CalendarItem::Session { name, times, group } => {
                    let Some(session) = SessionName::from_keyword(&name.node) else {
                        self.unknown(
                            &name.loc,
                            "session",
                            &name.node,
                            SessionName::keywords().map(String::from).collect(),
                        );
                        continue;
                    };
                    if group.is_none() && !seen_here.insert(session) {
                        self.error(
                            &name.loc,
                            ModelError::Duplicate {
                                what: "a session",
                                name: name.node.clone(),
                            },
                        );
                        continue;
                    }
                    let mut register = RegisterTimes {
                        session,
                        opens: None,
                        late_after: None,
                        closes: None,
                        loc: item.loc.clone(),
                    };
                    for t in times {
                        let slot = match t.node.kind {
                            ast::SessionTimeKind::Opens => &mut register.opens,
                            ast::SessionTimeKind::LateAfter => &mut register.late_after,
                            ast::SessionTimeKind::Closes => &mut register.closes,
                        };
                        if slot.is_some() {
                            self.error(
                                &t.loc,
                                ModelError::DuplicateStatement {
                                    what: t.node.kind.keyword(),
                                },
                            );
                        }
                        *slot = Some(t.node.minutes);
                    }
                    let times: Vec<u16> = [register.opens, register.late_after, register.closes]
                        .into_iter()
                        .flatten()
                        .collect();
                    if times.windows(2).any(|w| w[0] > w[1]) {
                        self.error(
                            &item.loc,
                            ModelError::TimesOutOfOrder {
                                session: name.node.clone(),
                            },
                        );
                    }
                    if let Some(group) = group {
                        self.group_session(register, group, into);
                        continue;
                    }
                    // Each academic year's block may restate the register times; they are one
                    // set for the school. A restatement may leave out a time the first gave, or
                    // give one it left out; only a time both state, differently, conflicts.
                    match into.sessions.iter_mut().find(|s| s.session == session) {
                        Some(first) => {
                            let times = [
                                ("opens at", &mut first.opens, register.opens),
                                (
                                    "marks late after",
                                    &mut first.late_after,
                                    register.late_after,
                                ),
                                ("closes at", &mut first.closes, register.closes),
                            ];
                            let mut conflicts = Vec::new();
                            for (time, earlier, later) in times {
                                match (*earlier, later) {
                                    (Some(a), Some(b)) if a != b => {
                                        conflicts.push(ModelError::SessionTimesDiffer {
                                            session: name.node.clone(),
                                            time,
                                            earlier: crate::syntax::print_dsl::time(a),
                                            later: crate::syntax::print_dsl::time(b),
                                        })
                                    }
                                    (None, Some(b)) => *earlier = Some(b),
                                    _ => {}
                                }
                            }
                            let first_loc = first.loc.clone();
                            for problem in conflicts {
                                self.diagnostics.push(
                                    problem
                                        .at(&item.loc)
                                        .with_related(&first_loc, "stated first here"),
                                );
                            }
                        }
                        None => into.sessions.push(register),
                    }
                }
                ast::CalendarItem::Term { name, dates } => {
                    let (start, end) = self.date_range(&dates.node, "the term", &dates.loc);
                    year.terms.push(Term {
                        name: name.node.clone(),
                        start,
                        end,
                        loc: item.loc.clone(),
                    });
                }
                ast::CalendarItem::Closure {
                    kind,
                    dates,
                    reason,
                } => {
                    let (start, end) = self.date_range(&dates.node, "the closure", &dates.loc);
                    year.closures.push(Closure {
                        kind: *kind,
                        start,
                        end,
                        reason: reason.as_ref().map(|r| r.node.clone()),
                        loc: item.loc.clone(),
                    });
                }
            }
        }
        if !year.terms.is_empty() || !year.closures.is_empty() || year.label.is_some() {
            into.years.push(year);
        }
    }

    fn date_range(
        &mut self,
        range: &ast::DateRange,
        what: &'static str,
        loc: &Loc,
    ) -> (NaiveDate, NaiveDate) {
        let start = range.start.node;
        let end = range.end.as_ref().map_or(start, |e| e.node);
        if end < start {
            self.error(
                loc,
                ModelError::ReversedDates {
                    what,
                    start: start.to_string(),
                    end: end.to_string(),
                },
            );
            return (start, start);
        }
        (start, end)
    }
}
