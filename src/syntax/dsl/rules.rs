//! The DSL's rules and what they do: escalations and their steps, triggers, support plans,
//! penalty-notice settings, limits and actions, pest pairs to AST.

use super::*;

impl Builder<'_> {
    pub(super) fn escalation(&mut self, children: Vec<Pr<'_>>) -> EscalationAst {
        let fallback = self.src.loc(Span::default());
        let mut name = None;
        let mut codes = None;
        let mut steps = Vec::new();
        for p in children {
            match p.as_rule() {
                Rule::string => name = Some(self.string(&p)),
                Rule::code_set => codes = Some(self.code_set(p)),
                _ => steps.push(self.node(&p, |b, p| b.step(p))),
            }
        }
        EscalationAst {
            name: name.unwrap_or_else(|| Sp::new(String::new(), fallback.clone())),
            codes: codes.unwrap_or_else(|| Sp::new(Vec::new(), fallback)),
            steps,
        }
    }

    pub(super) fn step(&mut self, pair: Pr<'_>) -> StepAst {
        let mut day = None;
        let mut when = None;
        let mut actions = Vec::new();
        for p in pair.clone().into_inner() {
            match p.as_rule() {
                Rule::integer => day = Some(self.u32(&p)),
                Rule::when_clause => when = p.into_inner().next().map(|e| self.condition(e)),
                _ => actions = self.actions(p),
            }
        }
        StepAst {
            day: day.unwrap_or_else(|| self.sp(&pair, 0)),
            when,
            actions,
        }
    }

    pub(super) fn trigger(&mut self, children: Vec<Pr<'_>>) -> TriggerAst {
        let fallback = self.src.loc(Span::default());
        let mut name = None;
        let mut min_possible = None;
        let mut min_possible_written = None;
        let mut when = None;
        let mut each = None;
        let mut actions = Vec::new();
        let mut stage = None;
        let mut repeat = None;
        let mut looked_at = None;
        for p in children {
            match p.as_rule() {
                Rule::string => name = Some(self.string(&p)),
                Rule::looked_at => looked_at = Some(self.looked_at(p)),
                Rule::on_each => {
                    each = p.into_inner().next().map(|c| {
                        if c.as_rule() == Rule::code_set {
                            self.code_set(c)
                        } else {
                            let code = self.ident(&c);
                            Sp::new(vec![code.clone()], code.loc)
                        }
                    })
                }
                Rule::evidence => {
                    let (n, written) = self.threshold_count(&p);
                    min_possible = Some(n);
                    min_possible_written = written;
                }
                Rule::expr => when = Some(self.condition(p)),
                Rule::actions => actions = self.actions(p),
                Rule::stage_ref => stage = p.into_inner().next().map(|s| self.ident(&s)),
                _ => repeat = Some(self.repeat(p)),
            }
        }
        TriggerAst {
            name: name.unwrap_or_else(|| Sp::new(String::new(), fallback.clone())),
            min_possible,
            min_possible_written,
            when: when.or_else(|| {
                each.is_none()
                    .then(|| Sp::new(Expr::Flag(String::new()), fallback))
            }),
            each,
            actions,
            stage,
            repeat,
            looked_at,
        }
    }

    pub(super) fn repeat(&mut self, pair: Pr<'_>) -> Sp<RepeatAst> {
        let loc = self.loc(&pair);
        let inner = pair.into_inner().next();
        let node = match inner {
            Some(p) if p.as_rule() == Rule::repeat_every => {
                let n = p.into_inner().next().map_or(1, |n| self.u32(&n).node);
                RepeatAst::Every { school_weeks: n }
            }
            Some(p) if p.as_rule() == Rule::repeat_not_within => {
                let n = p.into_inner().next().map_or(1, |n| self.u32(&n).node);
                RepeatAst::NotWithin { school_weeks: n }
            }
            Some(p) => {
                let period = match p
                    .into_inner()
                    .next()
                    .map(|w| w.as_str().to_string())
                    .as_deref()
                {
                    Some("half_term") => Period::HalfTerm,
                    Some("year") => Period::Year,
                    _ => Period::Term,
                };
                RepeatAst::OncePer(period)
            }
            None => RepeatAst::OncePer(Period::Term),
        };
        Sp::new(node, loc)
    }

    pub(super) fn plan(&mut self, children: Vec<Pr<'_>>) -> PlanAst {
        let fallback = self.src.loc(Span::default());
        let mut name = None;
        let mut stage = None;
        let mut items = Vec::new();
        for p in children {
            match p.as_rule() {
                Rule::string => name = Some(self.string(&p)),
                Rule::ident => stage = Some(self.ident(&p)),
                _ => items.push(self.node(&p, |b, p| b.plan_item(p))),
            }
        }
        PlanAst {
            name: name.unwrap_or_else(|| Sp::new(String::new(), fallback.clone())),
            stage: stage.unwrap_or_else(|| Sp::new(String::new(), fallback)),
            items,
        }
    }

    pub(super) fn plan_item(&mut self, pair: Pr<'_>) -> PlanItem {
        let rule = pair.as_rule();
        let children: Vec<Pr<'_>> = pair.clone().into_inner().collect();
        let first = children.first().cloned();
        match (rule, first) {
            (Rule::plan_review, Some(n)) => PlanItem::Review {
                school_weeks: self.u32(&n),
                until: children
                    .get(1)
                    .and_then(|u| u.clone().into_inner().next())
                    .map(|n| self.u32(&n)),
            },
            (Rule::plan_target, Some(j)) if j.as_rule() == Rule::judged => {
                let JudgedAst { criterion, by } = self.judged(j);
                PlanItem::Judged { criterion, by }
            }
            (Rule::plan_target, Some(e)) => PlanItem::Target(self.condition(e)),
            (Rule::plan_escalate, Some(s)) => PlanItem::EscalateTo(self.ident(&s)),
            (Rule::plan_every, Some(_)) => {
                let mut school_weeks = None;
                let mut actions = Vec::new();
                for c in children {
                    if c.as_rule() == Rule::integer {
                        school_weeks = Some(self.u32(&c));
                    } else {
                        actions = self.actions(c);
                    }
                }
                PlanItem::Every {
                    school_weeks,
                    actions,
                }
            }
            (_, Some(event)) => {
                let event_kind = match event.as_str() {
                    "open" => PlanEvent::Open,
                    "met" => PlanEvent::Met,
                    _ => PlanEvent::Miss,
                };
                let actions = children
                    .get(1)
                    .map(|a| self.actions(a.clone()))
                    .unwrap_or_default();
                PlanItem::On {
                    event: event_kind,
                    actions,
                }
            }
            (_, None) => PlanItem::Review {
                until: None,
                school_weeks: self.sp(&pair, 0),
            },
        }
    }

    pub(super) fn penalty_item(&mut self, pair: Pr<'_>) -> PenaltyItem {
        let rule = pair.as_rule();
        let children: Vec<Pr<'_>> = pair.clone().into_inner().collect();
        match rule {
            Rule::penalty_threshold => self.penalty_threshold(&pair, &children),
            Rule::penalty_limit => PenaltyItem::Limit {
                notices: self.u32_or_zero(children.first(), &pair),
                years: self.u32_or_zero(children.get(1), &pair),
            },
            _ => {
                let second = children
                    .first()
                    .is_some_and(|k| k.as_str() == "second_fine");
                let pence = match children.get(1) {
                    Some(m) => self.money(m),
                    None => self.sp(&pair, 0),
                };
                let within_days = self.u32_or_zero(children.get(2), &pair);
                PenaltyItem::Fine {
                    second,
                    pence,
                    within_days,
                }
            }
        }
    }

    pub(super) fn money(&mut self, pair: &Pr<'_>) -> Sp<u64> {
        let text = pair.as_str().trim_start_matches('£');
        let (pounds, pence) = text.split_once('.').unwrap_or((text, "0"));
        let value = pounds
            .parse::<u64>()
            .ok()
            .and_then(|p| p.checked_mul(100))
            .and_then(|p| p.checked_add(pence.parse::<u64>().ok()?));
        let value = value.unwrap_or_else(|| {
            self.error(
                pair,
                SyntaxError::NumberTooLarge {
                    text: pair.as_str().into(),
                },
            );
            0
        });
        self.sp(pair, value)
    }

    pub(super) fn limit(&mut self, pair: Pr<'_>) -> LimitAst {
        let children: Vec<Pr<'_>> = pair.clone().into_inner().collect();
        LimitAst {
            name: children
                .first()
                .map_or_else(|| self.ident(&pair), |n| self.ident(n)),
            value: self.u32_or_zero(children.get(1), &pair),
            unit: children.get(2).map(|u| self.ident(u)),
        }
    }

    // ------------------------------------------------------------ actions

    pub(super) fn actions(&mut self, pair: Pr<'_>) -> Vec<Sp<ActionAst>> {
        pair.into_inner().map(|a| self.action(a)).collect()
    }

    pub(super) fn action(&mut self, pair: Pr<'_>) -> Sp<ActionAst> {
        let loc = self.loc(&pair);
        let mut verb = None;
        let mut target = None;
        let mut note = None;
        let mut by = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::word => verb = Some(self.ident(&p)),
                Rule::action_target => target = p.into_inner().next().map(|t| self.ident(&t)),
                Rule::string => note = Some(self.string(&p)),
                _ => by = p.into_inner().next().map(|r| self.ident(&r)),
            }
        }
        let verb = verb.unwrap_or_else(|| Sp::new(String::new(), loc.clone()));
        Sp::new(
            ActionAst {
                verb,
                target,
                note,
                by,
            },
            loc,
        )
    }

    // ------------------------------------------------------------ conditions
}
