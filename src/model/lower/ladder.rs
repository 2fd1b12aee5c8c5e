//! Lowering a ladder's order and its stages' memory (`held ...`); `held` outside a ladder is
//! an error, since a table of bands re-reads each pupil's band every day.

use super::*;
use crate::model::ladder::{AtOnce, Held, Hold, Ladder, Order};
use crate::syntax::ast::HeldAst;

impl Lowerer {
    pub(super) fn ladder(&mut self, bands: &ast::BandsAst) -> Option<Ladder> {
        let ordered = bands.ladder.as_ref().is_some_and(|l| l.order.is_some());
        for band in &bands.bands {
            if let Some(e) = band.node.at_once.as_ref().filter(|_| !ordered) {
                self.error(
                    &e.loc,
                    ModelError::AtOnceWithoutOrder {
                        band: band.node.id.node.clone(),
                    },
                );
            }
        }
        let Some(ladder) = &bands.ladder else {
            for band in &bands.bands {
                if let Some(h) = &band.node.held {
                    self.error(
                        &h.loc,
                        ModelError::HeldOutsideLadder {
                            band: band.node.id.node.clone(),
                        },
                    );
                }
            }
            return None;
        };
        let order = ladder.order.as_ref().map(|o| Order {
            after_weeks: o.node.after_weeks.unwrap_or(0),
            loc: o.loc.clone(),
            judged: o
                .node
                .judged
                .as_ref()
                .and_then(|j| self.judgement(j, &o.loc)),
        });
        let held = bands
            .bands
            .iter()
            .map(|b| b.node.held.as_ref().and_then(|h| self.held(h)))
            .collect();
        let at_once = bands
            .bands
            .iter()
            .map(|b| {
                let e = b.node.at_once.as_ref()?;
                Some(AtOnce {
                    when: self.condition(e)?,
                    loc: e.loc.clone(),
                })
            })
            .collect();
        Some(Ladder {
            order,
            held,
            at_once,
        })
    }

    fn held(&mut self, held: &Sp<HeldAst>) -> Option<Held> {
        let span = match &held.node {
            HeldAst::For(span)
            | HeldAst::Until {
                span: Some(span), ..
            } => Some(*span),
            _ => None,
        };
        if let Some(span) = span
            && span.count == 0
            && matches!(held.node, HeldAst::For(_))
        {
            self.error(&held.loc, ModelError::HeldForNothing { unit: span.unit() });
            return None;
        }
        let hold = match &held.node {
            HeldAst::UntilEnd(p) => Hold::UntilEnd(*p),
            HeldAst::For(span) => Hold::For(*span),
            HeldAst::Until { when, span } => Hold::Until {
                when: self.condition(when)?,
                span: *span,
            },
        };
        Some(Held {
            hold,
            loc: held.loc.clone(),
        })
    }
}
