//! A ladder in TOML: `ladder = true` and `order = "in order"` in `[[bands]]`, `held = "until end
//! of year"` in `[[bands.band]]`; the strings are the DSL's words, parsed by its grammar.

use super::*;

impl Cx<'_> {
    /// The head's ladder: `Some` when `ladder = true`; `order` needs it.
    pub(super) fn ladder(
        &mut self,
        ladder: Option<&Spanned<bool>>,
        order: Option<&Str>,
    ) -> Result<Option<LadderAst>, ()> {
        let on = ladder.is_some_and(|l| *l.get_ref());
        let order = match order {
            None => None,
            Some(v) if !on => {
                self.error(
                    v.span(),
                    SyntaxError::Unexpected {
                        found: "`order` in a table of bands".into(),
                        expected: vec!["`ladder = true` beside it (an order is a ladder's)".into()],
                    },
                );
                return Err(());
            }
            Some(v) => match self.fragment(Fragment::Order, v) {
                Some(Parsed::Order(o)) => Some(o),
                _ => return Err(()),
            },
        };
        Ok(on.then_some(LadderAst { order }))
    }

    /// A stage's `held` string: what follows `held` in the DSL.
    pub(super) fn held(&mut self, v: &Str) -> Option<Sp<HeldAst>> {
        match self.fragment(Fragment::Held, v)? {
            Parsed::Held(h) => Some(h),
            _ => None,
        }
    }
}
