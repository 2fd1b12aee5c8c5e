//! Pest pairs → AST for a ladder's parts: the `in order` of its head and a stage's `held ...`
//! memory (docs/language.md, "Ladders"). Kept apart from the rest of the DSL lowering.

use super::{Builder, Pr};
use crate::diagnostic::Problem;
use crate::syntax::ast::{HeldAst, HeldSpan, LadderAst, OrderAst, Period, Sp};
use crate::syntax::error::SyntaxError;
use crate::syntax::grammar::Rule;

impl Builder<'_> {
    /// A `bands`/`ladder` head's ladder: `Some` for `ladder`; `in order` on plain `bands` is an
    /// error, since a table of bands has no order to keep.
    pub(super) fn ladder_head(
        &mut self,
        ladder: Option<LadderAst>,
        order: Option<Sp<OrderAst>>,
    ) -> Option<LadderAst> {
        match (ladder, order) {
            (Some(_), order) => Some(LadderAst { order }),
            (None, Some(order)) => {
                let problem = SyntaxError::Unexpected {
                    found: "`in order` after `bands`".into(),
                    expected: vec!["`ladder` in place of `bands` (stages entered in order)".into()],
                };
                self.errors.push(problem.at(&order.loc));
                None
            }
            (None, None) => None,
        }
    }

    /// `in order [after N school_weeks] [when judged "..." by ROLE]`.
    pub(super) fn order(&mut self, pair: Pr<'_>) -> Sp<OrderAst> {
        let loc = self.loc(&pair);
        let mut after_weeks = None;
        let mut judged = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::integer => after_weeks = Some(self.u32(&p).node),
                Rule::judged => judged = Some(self.judged(p)),
                _ => {}
            }
        }
        Sp::new(
            OrderAst {
                after_weeks,
                judged,
            },
            loc,
        )
    }

    /// `held until end of P`, `held for N unit`, `held until CONDITION [for N unit]`.
    pub(super) fn held(&mut self, pair: Pr<'_>) -> Sp<HeldAst> {
        let loc = self.loc(&pair);
        match pair.into_inner().next() {
            Some(body) => Sp::new(self.held_body(body).node, loc),
            None => Sp::new(HeldAst::UntilEnd(Period::Term), loc),
        }
    }

    /// What follows `held` (the whole of a TOML `held` string).
    pub(super) fn held_body(&mut self, pair: Pr<'_>) -> Sp<HeldAst> {
        let loc = self.loc(&pair);
        let node = match pair.into_inner().next() {
            Some(p) if p.as_rule() == Rule::held_until_end => {
                let period = match p.into_inner().next().map(|w| w.as_str().to_string()) {
                    Some(w) if w == "half_term" => Period::HalfTerm,
                    Some(w) if w == "year" => Period::Year,
                    _ => Period::Term,
                };
                HeldAst::UntilEnd(period)
            }
            Some(p) if p.as_rule() == Rule::held_for => HeldAst::For(self.held_span(p)),
            Some(p) => {
                let mut when = None;
                let mut span = None;
                for part in p.into_inner() {
                    match part.as_rule() {
                        Rule::expr => when = Some(self.condition(part)),
                        _ => span = Some(self.held_span(part)),
                    }
                }
                let when = when.unwrap_or_else(|| {
                    Sp::new(crate::syntax::ast::Expr::Flag(String::new()), loc.clone())
                });
                HeldAst::Until {
                    when: Box::new(when),
                    span,
                }
            }
            None => HeldAst::UntilEnd(Period::Term),
        };
        Sp::new(node, loc)
    }

    /// `N school_days` or `N school_weeks` (a `held_for` pair).
    fn held_span(&mut self, pair: Pr<'_>) -> HeldSpan {
        let mut count = 0;
        let mut weeks = true;
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::integer => count = self.u32(&part).node,
                _ => weeks = part.as_str() == "school_weeks",
            }
        }
        HeldSpan { count, weeks }
    }
}
