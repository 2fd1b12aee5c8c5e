//! The policy's statements, table by table: `[policy]` and its one-line keys, stages,
//! definitions, bands, escalation, triggers, plans, penalty notices and limits.

use super::strings::Placement;
use super::*;

impl Cx<'_> {
    // ------------------------------------------------------------ policy

    /// The `[policy]` table: the name and the one-line statements (`urn`, `target`, ...).
    pub(super) fn policy(
        &mut self,
        raw: &Raw<'_>,
        items: &mut Vec<Node<Item>>,
    ) -> Option<(Sp<String>, Loc)> {
        let t = self.table(raw, "[policy]")?;
        let p: PolicyToml = self.de(raw, "[policy]")?;
        let loc = self.loc(raw.span().start..extent(raw, 0));
        let mut push = |cx: &mut Self, key: &str, range: Range<usize>, item: Option<Item>| {
            if let Some(item) = item {
                items.push(Node::new(item, cx.key_value(t, key, range)));
            }
        };
        if let Some(v) = &p.extends {
            let item = self.name(v).map(Item::Extends);
            push(self, "extends", v.span(), item);
        }
        if let Some(v) = &p.urn {
            let item = self.urn(v).map(Item::Urn);
            push(self, "urn", v.span(), item);
        }
        if let Some(v) = &p.phase {
            let item = self.name(v).map(Item::Phase);
            push(self, "phase", v.span(), item);
        }
        if let Some(v) = &p.document {
            let item = self.name(v).map(Item::Document);
            push(self, "document", v.span(), item);
        }
        if let Some(v) = &p.school_type {
            let item = self.name(v).map(Item::SchoolType);
            push(self, "type", v.span(), item);
        }
        if let Some(v) = &p.target {
            let item = match self.fragment(Fragment::Percent, v) {
                Some(Parsed::Percent(percent)) => {
                    Some(Item::Target(Sp::new(percent, self.loc(v.span()))))
                }
                _ => None,
            };
            push(self, "target", v.span(), item);
        }
        if let Some(v) = &p.ratified {
            let item = self.date(v).map(Item::Ratified);
            push(self, "ratified", v.span(), item);
        }
        if let Some(v) = &p.review {
            let item = self.date(v).map(Item::Review);
            push(self, "review", v.span(), item);
        }
        Some((self.string(&p.name), loc))
    }

    pub(super) fn cite(&mut self, raw: &Raw<'_>, _: &DeTable<'_>) -> Option<Item> {
        let c: CiteToml = self.de(raw, "[[cite]]")?;
        self.check_name(Rule::word, c.kind.get_ref(), c.kind.span())
            .then_some(())?;
        Some(Item::Cites {
            kind: self.string(&c.kind),
            title: self.string(&c.title),
        })
    }

    /// `[roles]`, `[procedures]`, `[letters]`, `[meetings]`: `id = "text"` in the order written.
    pub(super) fn entries(
        &mut self,
        raw: &Raw<'_>,
        table: &str,
        make: fn(Vec<Node<Entry>>) -> Item,
    ) -> Option<Node<Item>> {
        let t = self.table(raw, table)?;
        let mut entries = Vec::new();
        let mut ok = true;
        for (key, value) in t.iter() {
            let id: &str = key.get_ref().as_ref();
            let id_ok = self.check_name(Rule::word, id, key.span());
            let text: Option<Str> = self.de(value, table);
            match text {
                Some(text) if id_ok => {
                    let id = Sp::new(id.to_string(), self.loc(key.span()));
                    let loc = self.loc(key.span().start..value.span().end);
                    entries.push(Node::new(
                        Entry {
                            id,
                            text: self.string(&text),
                        },
                        loc,
                    ));
                }
                _ => ok = false,
            }
        }
        entries.sort_by_key(|e| e.loc.span.start);
        ok.then(|| Node::new(make(entries), self.loc(raw.span().start..extent(raw, 0))))
    }

    // ------------------------------------------------------------ stages, definitions, bands

    /// Every `[[stage]]` table forms the one `stages` statement. TOML has no place for the
    /// statement itself, so its node is an empty span just after the first header: comments
    /// before a `[[stage]]` then belong to that stage, never to the statement.
    pub(super) fn stages(&mut self, raw: &Raw<'_>) -> Option<Node<Item>> {
        let mut entries = Vec::new();
        let mut ok = true;
        // The block runs from the first `[[stage]]` header to the end of the last table, so a
        // comment before the first header is the block's (as `stages {` in the DSL) and one
        // under a header is its stage's.
        let mut first = None;
        let mut end = raw.span().end;
        for raw in self.elements(raw, "[[stage]]") {
            first = first.or(Some(raw.span().start));
            end = end.max(extent(raw, 0));
            let Some(s) = self.de::<StageToml>(raw, "[[stage]]") else {
                ok = false;
                continue;
            };
            let id = self.name(&s.id);
            let framework = self.optional(&s.is, |cx, v| cx.name(v));
            match (id, framework) {
                (Some(id), Ok(framework)) => {
                    let text = s.text.as_ref().map(|t| self.string(t));
                    let entry = StageEntry {
                        id,
                        framework,
                        text,
                    };
                    entries.push(Node::new(entry, self.loc(raw.span().start..extent(raw, 0))));
                }
                _ => ok = false,
            }
        }
        let start = first.unwrap_or(raw.span().start);
        (ok && !entries.is_empty()).then(|| Node::new(Item::Stages(entries), self.loc(start..end)))
    }

    pub(super) fn define(&mut self, raw: &Raw<'_>) -> Option<Item> {
        let d: DefineToml = self.de(raw, "[[define]]")?;
        let name = self.name(&d.name);
        let when = self.expr(&d.when);
        let wording = d.wording.as_ref().map(|w| self.string(w));
        Some(Item::Define(DefineAst {
            name: name?,
            wording,
            when: when?,
        }))
    }

    pub(super) fn bands(&mut self, raw: &Raw<'_>, t: &DeTable<'_>) -> Option<Item> {
        let head: Option<BandsToml> = self.de(raw, "[[bands]]");
        let mut bands = Vec::new();
        let mut ok = true;
        if let Some(sub) = get(t, "band") {
            for raw in self.elements(sub, "[[bands.band]]") {
                match self.band(raw) {
                    Some(band) => {
                        bands.push(Node::new(band, self.loc(raw.span().start..extent(raw, 0))))
                    }
                    None => ok = false,
                }
            }
        }
        let head = head?;
        let metric = self.name(&head.metric);
        let window = self.window(&head.over);
        let label = head.label.as_ref().map(|l| self.string(l));
        let ladder = self.ladder(head.ladder.as_ref(), head.order.as_ref());
        let (min_possible, min_possible_written) =
            self.evidence(head.min_possible.as_ref(), head.min_possible_count.as_ref());
        let (metric, window, ladder) = (metric?, window?, ladder.ok()?);
        ok.then_some(Item::Bands(BandsAst {
            label,
            metric,
            window,
            min_possible,
            min_possible_written,
            bands,
            trailing: Vec::new(),
            ladder,
        }))
    }

    fn band(&mut self, raw: &Raw<'_>) -> Option<BandAst> {
        let b: BandToml = self.de(raw, "[[bands.band]]")?;
        let id = self.name(&b.id);
        let range = match self.fragment(Fragment::Range, &b.range) {
            Some(Parsed::Range(r)) => Some(r),
            _ => None,
        };
        let reading = self.optional(&b.read_as, |cx, v| {
            match cx.fragment(Fragment::Range, v)? {
                Parsed::Range(r) => Some(r),
                _ => None,
            }
        });
        let days = self.optional(&b.absence, |cx, v| {
            match cx.fragment(Fragment::BandDays, v)? {
                Parsed::BandDays(d) => Some(d),
                _ => None,
            }
        });
        let defines = self.optional(&b.defines, |cx, v| cx.name(v));
        let or_when = self.optional(&b.or_when, |cx, v| cx.expr(v));
        let stage = self.optional(&b.stage, |cx, v| cx.name(v));
        let on_enter = self.optional(&b.on_enter, |cx, v| cx.actions(v));
        let enter_when = self.optional(&b.on_enter_when, |cx, v| cx.expr(v));
        let weekly = self.optional(&b.every_school_week, |cx, v| cx.actions(v));
        if let (Some(n), None) = (&b.weekly_every, &b.every_school_week) {
            // How often, with no actions to repeat.
            self.error(
                n.span(),
                SyntaxError::TomlMissingKey {
                    key: "every_school_week".into(),
                    table: "[[bands.band]]".into(),
                },
            );
            return None;
        }
        let weekly_every = b
            .weekly_every
            .as_ref()
            .map(|n| Sp::new(*n.get_ref(), self.loc(n.span())));
        let held = self.optional(&b.held, |cx, v| cx.held(v));
        let at_once = self.optional(&b.at_once_when, |cx, v| cx.expr(v));
        if let (Some(v), None) = (&b.on_enter_when, &b.on_enter) {
            // A guard with no actions to guard.
            self.error(
                v.span(),
                SyntaxError::TomlMissingKey {
                    key: "on_enter".into(),
                    table: "[[bands.band]]".into(),
                },
            );
            return None;
        }
        let repeat = self.optional(&b.repeat, |cx, v| {
            match cx.fragment(Fragment::BandRepeat, v)? {
                Parsed::Repeat(r) => Some(r),
                _ => None,
            }
        });
        let mut enter_also = Vec::new();
        for clause in b.on_enter_also.iter().flatten() {
            let when = self.optional(&clause.when, |cx, v| cx.expr(v));
            let actions = self.actions(&clause.then);
            let loc = self.loc(clause.then.span());
            enter_also.push(Sp::new(
                EnterClause {
                    when: when.ok()?,
                    actions: actions?,
                },
                loc,
            ));
        }
        let label = b.label.as_ref().map(|l| self.string(l));
        Some(BandAst {
            id: id?,
            label,
            range: range?,
            reading: reading.ok()?,
            days: days.ok()?,
            or_when: or_when.ok()?,
            defines: defines.ok()?,
            stage: stage.ok()?,
            enter_when: enter_when.ok()?,
            on_enter: on_enter.ok()?.unwrap_or_default(),
            repeat: repeat.ok()?,
            enter_also,
            weekly: weekly.ok()?.unwrap_or_default(),
            weekly_every,
            at_once: at_once.ok()?,
            held: held.ok()?,
        })
    }

    // ------------------------------------------------------------ escalation, triggers, plans

    pub(super) fn escalation(&mut self, raw: &Raw<'_>, t: &DeTable<'_>) -> Option<Item> {
        let head: Option<EscalationToml> = self.de(raw, "[[escalation]]");
        let mut steps = Vec::new();
        let mut ok = true;
        if let Some(sub) = get(t, "step") {
            for raw in self.elements(sub, "[[escalation.step]]") {
                match self.step(raw) {
                    Some(step) => {
                        steps.push(Node::new(step, self.loc(raw.span().start..extent(raw, 0))))
                    }
                    None => ok = false,
                }
            }
        }
        let head = head?;
        let codes = match self.fragment(Fragment::Codes, &head.days_marked) {
            Some(Parsed::Codes(c)) => Some(c),
            _ => None,
        };
        let name = self.string(&head.name);
        let codes = codes?;
        ok.then_some(Item::Escalation(EscalationAst { name, codes, steps }))
    }

    fn step(&mut self, raw: &Raw<'_>) -> Option<StepAst> {
        let s: StepToml = self.de(raw, "[[escalation.step]]")?;
        let when = self.optional(&s.when, |cx, v| cx.expr(v));
        let actions = self.actions(&s.then);
        let day = Sp::new(*s.day.get_ref(), self.loc(s.day.span()));
        Some(StepAst {
            day,
            when: when.ok()?,
            actions: actions?,
        })
    }

    pub(super) fn trigger(&mut self, raw: &Raw<'_>) -> Option<Item> {
        let t: TriggerToml = self.de(raw, "[[trigger]]")?;
        if t.on_each.is_none() && t.when.is_none() {
            self.error(
                raw.span(),
                SyntaxError::TomlMissingKey {
                    key: "when".into(),
                    table: "[[trigger]]".into(),
                },
            );
            return None;
        }
        let when = self.optional(&t.when, |cx, v| cx.expr(v));
        let each = self.optional(&t.on_each, |cx, v| {
            // One code bare (`L`) or a set (`{L, U}`), as the DSL writes them.
            if v.get_ref().trim_start().starts_with('{') {
                return match cx.fragment(Fragment::Codes, v)? {
                    Parsed::Codes(c) => Some(c),
                    _ => None,
                };
            }
            let text = v.get_ref().as_str();
            let whole = PolicyParser::parse(Rule::code, text)
                .ok()
                .and_then(|mut pairs| pairs.next())
                .is_some_and(|p| p.as_str().len() == text.len());
            if !whole {
                cx.error(
                    v.span(),
                    SyntaxError::Toml {
                        message: format!(
                            "`{text}` is not a register code: write one code (`L`) or a set (`{{L, U}}`)"
                        ),
                    },
                );
                return None;
            }
            let loc = cx.loc(v.span());
            Some(Sp::new(vec![Sp::new(text.to_string(), loc.clone())], loc))
        });
        let actions = self.actions(&t.then);
        let stage = self.optional(&t.stage, |cx, v| cx.name(v));
        let repeat = self.optional(&t.repeat, |cx, v| {
            match cx.fragment(Fragment::Repeat, v)? {
                Parsed::Repeat(r) => Some(r),
                _ => None,
            }
        });
        let looked_at = self.optional(&t.looked_at, |cx, v| {
            match cx.fragment(Fragment::LookedAt, v)? {
                Parsed::LookedAt(l) => Some(l),
                _ => None,
            }
        });
        let (min_possible, min_possible_written) =
            self.evidence(t.min_possible.as_ref(), t.min_possible_count.as_ref());
        Some(Item::Trigger(TriggerAst {
            looked_at: looked_at.ok()?,
            name: self.string(&t.name),
            min_possible,
            min_possible_written,
            each: each.ok()?,
            when: when.ok()?,
            actions: actions?,
            stage: stage.ok()?,
            repeat: repeat.ok()?,
        }))
    }

    pub(super) fn plan(&mut self, raw: &Raw<'_>, t: &DeTable<'_>) -> Option<Item> {
        let p: PlanToml = self.de(raw, "[[plan]]")?;
        let stage = self.name(&p.at);
        let mut items = Vec::new();
        let mut ok = true;
        let until = p
            .review_until
            .as_ref()
            .map(|u| Sp::new(*u.get_ref(), self.loc(u.span())));
        if let Some(n) = &p.review_after {
            let school_weeks = Sp::new(*n.get_ref(), self.loc(n.span()));
            items.push(Node::new(
                PlanItem::Review {
                    school_weeks,
                    until,
                },
                self.key_value(t, "review_after", n.span()),
            ));
        } else if let Some(u) = &p.review_until {
            // The end of a range of weeks says nothing without its start.
            self.error(
                u.span(),
                SyntaxError::TomlMissingKey {
                    key: "review_after".into(),
                    table: "[[plan]]".into(),
                },
            );
            ok = false;
        }
        match (&p.judged, &p.judged_by) {
            (Some(c), Some(b)) => match self.name(b) {
                Some(by) => items.push(Node::new(
                    PlanItem::Judged {
                        criterion: self.string(c),
                        by,
                    },
                    self.key_value(t, "judged", c.span()),
                )),
                None => ok = false,
            },
            (Some(v), None) | (None, Some(v)) => {
                let missing = if p.judged.is_some() {
                    "judged_by"
                } else {
                    "judged"
                };
                self.error(
                    v.span(),
                    SyntaxError::TomlMissingKey {
                        key: missing.into(),
                        table: "[[plan]]".into(),
                    },
                );
                ok = false;
            }
            (None, None) => {}
        }
        if let Some(v) = &p.target {
            match self.expr(v) {
                Some(e) => items.push(Node::new(
                    PlanItem::Target(e),
                    self.key_value(t, "target", v.span()),
                )),
                None => ok = false,
            }
        }
        if let Some(v) = &p.escalate_to {
            match self.name(v) {
                Some(s) => items.push(Node::new(
                    PlanItem::EscalateTo(s),
                    self.key_value(t, "escalate_to", v.span()),
                )),
                None => ok = false,
            }
        }
        for (event, key, value) in [
            (PlanEvent::Open, "on_open", &p.on_open),
            (PlanEvent::Miss, "on_miss", &p.on_miss),
            (PlanEvent::Met, "on_met", &p.on_met),
        ] {
            let Some(v) = value else { continue };
            match self.actions(v) {
                Some(actions) => items.push(Node::new(
                    PlanItem::On { event, actions },
                    self.key_value(t, key, v.span()),
                )),
                None => ok = false,
            }
        }
        match (&p.every_school_week, &p.weekly_every) {
            (Some(v), n) => match self.actions(v) {
                Some(actions) => items.push(Node::new(
                    PlanItem::Every {
                        school_weeks: n
                            .as_ref()
                            .map(|n| Sp::new(*n.get_ref(), self.loc(n.span()))),
                        actions,
                    },
                    self.key_value(t, "every_school_week", v.span()),
                )),
                None => ok = false,
            },
            (None, Some(n)) => {
                // How often, with no actions to repeat.
                self.error(
                    n.span(),
                    SyntaxError::TomlMissingKey {
                        key: "every_school_week".into(),
                        table: "[[plan]]".into(),
                    },
                );
                ok = false;
            }
            (None, None) => {}
        }
        items.sort_by_key(|i| i.loc.span.start);
        let stage = stage?;
        ok.then(|| {
            Item::Plan(PlanAst {
                name: self.string(&p.name),
                stage,
                items,
            })
        })
    }

    // ------------------------------------------------------------ penalty notices and limits

    pub(super) fn penalty_notices(&mut self, raw: &Raw<'_>) -> Option<Node<Item>> {
        let t = self.table(raw, "[penalty_notices]")?;
        let head: Option<PenaltyToml> = self.de(raw, "[penalty_notices]");
        let mut items: Vec<Node<PenaltyItem>> = Vec::new();
        let mut ok = head.is_some();
        for (key, second) in [("fine", false), ("second_fine", true)] {
            let Some(sub) = get(t, key) else { continue };
            let table = if second {
                "[[penalty_notices.second_fine]]"
            } else {
                "[[penalty_notices.fine]]"
            };
            for raw in self.elements(sub, table) {
                let Some(f) = self.de::<FineToml>(raw, table) else {
                    ok = false;
                    continue;
                };
                match self.money(&f.amount) {
                    Some(pence) => {
                        let within_days =
                            Sp::new(*f.within_days.get_ref(), self.loc(f.within_days.span()));
                        let item = PenaltyItem::Fine {
                            second,
                            pence,
                            within_days,
                        };
                        items.push(Node::new(item, self.loc(raw.span().start..extent(raw, 0))));
                    }
                    None => ok = false,
                }
            }
        }
        if let Some(head) = head {
            let count = match &head.threshold_count {
                Some(c) => match self.fragment(Fragment::ThresholdCount, c) {
                    Some(Parsed::ThresholdCount(n, written)) => {
                        Some((n, written, c.span(), "threshold_count"))
                    }
                    _ => {
                        ok = false;
                        None
                    }
                },
                None => head.threshold_sessions.as_ref().map(|n| {
                    (
                        Sp::new(*n.get_ref(), self.loc(n.span())),
                        None,
                        n.span(),
                        "threshold_sessions",
                    )
                }),
            };
            let counted = match &head.threshold_codes {
                Some(c) => match self.fragment(Fragment::Codes, c) {
                    Some(Parsed::Codes(codes)) => Some(codes),
                    _ => {
                        ok = false;
                        None
                    }
                },
                None => None,
            };
            match (count, &head.threshold_window) {
                (Some((sessions, written, n_span, key)), Some(w)) => match self.window(w) {
                    Some(window) => {
                        let start = self.key_value(t, key, n_span.clone()).span.start;
                        let mut end = n_span.end.max(w.span().end);
                        if let Some(c) = &head.threshold_codes {
                            end = end.max(c.span().end);
                        }
                        let loc = self.loc(
                            start.min(self.key_value(t, "threshold_window", w.span()).span.start)
                                ..end,
                        );
                        let item = PenaltyItem::Threshold {
                            sessions,
                            window,
                            written,
                            codes: counted,
                        };
                        items.push(Node::new(item, loc));
                    }
                    None => ok = false,
                },
                (Some((_, _, n_span, _)), None) => {
                    ok &= self.missing("threshold_window", "[penalty_notices]", n_span)
                }
                (None, Some(w)) => {
                    ok &= self.missing("threshold_sessions", "[penalty_notices]", w.span())
                }
                (None, None) => {}
            }
            match (&head.limit_notices, &head.limit_years) {
                (Some(n), Some(y)) => {
                    let notices = Sp::new(*n.get_ref(), self.loc(n.span()));
                    let years = Sp::new(*y.get_ref(), self.loc(y.span()));
                    let start = self.key_value(t, "limit_notices", n.span()).span.start;
                    let loc = self.loc(
                        start.min(self.key_value(t, "limit_years", y.span()).span.start)
                            ..n.span().end.max(y.span().end),
                    );
                    items.push(Node::new(PenaltyItem::Limit { notices, years }, loc));
                }
                (Some(n), None) => ok &= self.missing("limit_years", "[penalty_notices]", n.span()),
                (None, Some(y)) => {
                    ok &= self.missing("limit_notices", "[penalty_notices]", y.span())
                }
                (None, None) => {}
            }
        }
        items.sort_by_key(|i| i.loc.span.start);
        ok.then(|| {
            Node::new(
                Item::PenaltyNotices(items),
                self.loc(raw.span().start..extent(raw, 0)),
            )
        })
    }

    /// An evidence guard: `min_possible = 20`, or `min_possible_count = "10 days"`.
    fn evidence(
        &mut self,
        sessions: Option<&Spanned<u32>>,
        count: Option<&Str>,
    ) -> (Option<Sp<u32>>, Option<ThresholdCount>) {
        if let Some(c) = count
            && let Some(Parsed::ThresholdCount(n, written)) =
                self.fragment(Fragment::ThresholdCount, c)
        {
            return (Some(n), written);
        }
        (
            sessions.map(|n| Sp::new(*n.get_ref(), self.loc(n.span()))),
            None,
        )
    }

    /// Reports a key that must come with another; always `false`, for `ok &= ...`.
    fn missing(&mut self, key: &str, table: &str, at: Range<usize>) -> bool {
        self.error(
            at,
            SyntaxError::TomlMissingKey {
                key: key.into(),
                table: table.into(),
            },
        );
        false
    }

    /// `[limits]`: `name = N` or `name = "N unit"`, in the order written.
    pub(super) fn limits(&mut self, raw: &Raw<'_>) -> Option<Node<Item>> {
        let t = self.table(raw, "[limits]")?;
        let mut limits = Vec::new();
        let mut ok = true;
        for (key, value) in t.iter() {
            let name: &str = key.get_ref().as_ref();
            let name_ok = self.check_name(Rule::ident, name, key.span());
            let Some(v) = self.de::<Any>(value, "[limits]") else {
                ok = false;
                continue;
            };
            let limit = self.limit_value(&v);
            match limit {
                Some((value, unit)) if name_ok => {
                    let name = Sp::new(name.to_string(), self.loc(key.span()));
                    let loc = self.loc(key.span().start..v.span().end);
                    limits.push(Node::new(LimitAst { name, value, unit }, loc));
                }
                _ => ok = false,
            }
        }
        limits.sort_by_key(|l| l.loc.span.start);
        ok.then(|| {
            Node::new(
                Item::Limits(limits),
                self.loc(raw.span().start..extent(raw, 0)),
            )
        })
    }

    fn limit_value(&mut self, v: &Any) -> Option<(Sp<u32>, Option<Sp<String>>)> {
        let bad = |cx: &mut Self| {
            let message =
                "a limit is a whole number, or a number and a unit such as \"30 minutes\""
                    .to_string();
            cx.error(v.span(), SyntaxError::Toml { message });
            None
        };
        match v.get_ref() {
            ::toml::Value::Integer(i) => match u32::try_from(*i) {
                Ok(n) => Some((Sp::new(n, self.loc(v.span())), None)),
                Err(_) => bad(self),
            },
            ::toml::Value::String(s) => {
                let place = Placement::new(self.src.text(), v.span(), s);
                let words = words(s);
                let (number, unit) = match words.as_slice() {
                    [number] => (*number, None),
                    [number, unit] => (*number, Some(*unit)),
                    _ => return bad(self),
                };
                let Ok(n) = number.1.parse::<u32>() else {
                    return bad(self);
                };
                let at = |(start, word): (usize, &str)| place.range(start, start + word.len());
                let value = Sp::new(n, self.loc(at(number)));
                let unit = match unit {
                    Some(unit @ (_, "minutes" | "sessions")) => {
                        Some(Sp::new(unit.1.to_string(), self.loc(at(unit))))
                    }
                    Some(unit) => {
                        let problem = SyntaxError::Unexpected {
                            found: format!("`{}`", unit.1),
                            expected: vec!["`minutes` or `sessions`".into()],
                        };
                        self.error(at(unit), problem);
                        return None;
                    }
                    None => None,
                };
                Some((value, unit))
            }
            _ => bad(self),
        }
    }
}

fn words(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        if c.is_whitespace() {
            if let Some(s) = start.take() {
                out.push((s, text.get(s..i).unwrap_or("")));
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        out.push((s, text.get(s..).unwrap_or("")));
    }
    out
}
