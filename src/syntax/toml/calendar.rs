//! The `[[calendar]]` tables: academic years with their sessions, terms and closures.

use super::*;

impl Cx<'_> {
    // ------------------------------------------------------------ calendars

    pub(super) fn calendar(&mut self, raw: &Raw<'_>) -> Option<CalendarAst> {
        let DeValue::Table(t) = raw.get_ref() else {
            return None;
        };
        let header: Option<CalendarToml> = self.de(raw, "[[calendar]]");
        let mut items: Vec<Node<CalendarItem>> = Vec::new();
        let mut ok = header.is_some();
        for (key, table) in [
            ("session", "[[calendar.session]]"),
            ("term", "[[calendar.term]]"),
            ("closure", "[[calendar.closure]]"),
            ("day", "[[calendar.day]]"),
        ] {
            let Some(sub) = get(t, key) else { continue };
            for raw in self.elements(sub, table) {
                let item = match key {
                    "session" => self.session(raw),
                    "term" => self.term(raw),
                    "day" => self.day_line(raw),
                    _ => self.closure(raw),
                };
                match item {
                    Some(item) => {
                        items.push(Node::new(item, self.loc(raw.span().start..extent(raw, 0))))
                    }
                    None => ok = false,
                }
            }
        }
        items.sort_by_key(|i| i.loc.span.start);
        let label = header.and_then(|h| h.label).map(|l| self.string(&l));
        ok.then_some(CalendarAst {
            label,
            items,
            trailing: Vec::new(),
        })
    }

    fn session(&mut self, raw: &Raw<'_>) -> Option<CalendarItem> {
        let DeValue::Table(t) = raw.get_ref() else {
            return None;
        };
        let s: SessionToml = self.de(raw, "[[calendar.session]]")?;
        let name = self.name(&s.name);
        let mut times = Vec::new();
        let mut ok = true;
        for (kind, value) in [
            (SessionTimeKind::Opens, &s.opens),
            (SessionTimeKind::LateAfter, &s.late_after),
            (SessionTimeKind::Closes, &s.closes),
        ] {
            let Some(value) = value else { continue };
            match self.time(value) {
                Some(minutes) => {
                    let loc = self.key_value(t, kind.keyword(), value.span());
                    times.push(Sp::new(SessionTime { kind, minutes }, loc));
                }
                None => ok = false,
            }
        }
        times.sort_by_key(|t| t.loc.span.start);
        let group = match &s.group {
            Some(g) => match self.fragment(Fragment::DayGroup, g)? {
                Parsed::DayGroup(g) => Some(g),
                _ => None,
            },
            None => None,
        };
        let name = name?;
        ok.then_some(CalendarItem::Session { name, times, group })
    }

    fn day_line(&mut self, raw: &Raw<'_>) -> Option<CalendarItem> {
        let d: DayToml = self.de(raw, "[[calendar.day]]")?;
        match self.fragment(Fragment::DayLine, &d.line)? {
            Parsed::DayLine(line) => Some(CalendarItem::Day(line)),
            _ => None,
        }
    }

    fn date_range(&mut self, from: &Any, to: &Option<Any>) -> Option<Sp<DateRange>> {
        let start = self.date(from);
        let end = match to {
            Some(to) => Some(self.date(to)?),
            None => None,
        };
        let start = start?;
        let last = to.as_ref().map_or(from.span().end, |t| t.span().end);
        let loc = self.loc(from.span().start..last);
        Some(Sp::new(DateRange { start, end }, loc))
    }

    fn term(&mut self, raw: &Raw<'_>) -> Option<CalendarItem> {
        let t: TermToml = self.de(raw, "[[calendar.term]]")?;
        let name = self.name(&t.name);
        let dates = self.date_range(&t.from, &t.to);
        Some(CalendarItem::Term {
            name: name?,
            dates: dates?,
        })
    }

    fn closure(&mut self, raw: &Raw<'_>) -> Option<CalendarItem> {
        let c: ClosureToml = self.de(raw, "[[calendar.closure]]")?;
        let kind = ClosureKind::from_keyword(c.kind.get_ref());
        if kind.is_none() {
            let problem = SyntaxError::Unexpected {
                found: format!("`{}`", c.kind.get_ref()),
                expected: ClosureKind::ALL
                    .iter()
                    .map(|k| format!("`{}`", k.keyword()))
                    .collect(),
            };
            self.error(c.kind.span(), problem);
        }
        let dates = self.date_range(&c.from, &c.to);
        let reason = c.reason.as_ref().map(|r| self.string(r));
        Some(CalendarItem::Closure {
            kind: kind?,
            dates: dates?,
            reason,
        })
    }
}
