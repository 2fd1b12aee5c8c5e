//! Lowering `judged` terms: a criterion the policy leaves to staff is kept apart from the
//! condition the engine decides, and is allowed only as an `and` part of a rule's condition,
//! where "the rest holds, staff judge the rest" has one meaning.

use super::*;
use crate::syntax::ast::JudgedAst;

impl Lowerer {
    /// A rule's condition split into what the engine decides and what staff judge. `None` when
    /// it does not lower; a condition of `None` when only a judged term was written.
    pub(super) fn judged_condition(
        &mut self,
        e: &Sp<Expr>,
    ) -> Option<(Option<Condition>, Option<Judgement>)> {
        let parts: &[Sp<Expr>] = match &e.node {
            Expr::Judged(j) => return Some((None, Some(self.judgement(j, &e.loc)?))),
            Expr::And(parts) => parts,
            _ => return Some((Some(self.condition(e)?), None)),
        };
        let mut judged = None;
        let mut rest = Vec::new();
        let mut ok = true;
        for part in parts {
            match &part.node {
                Expr::Judged(j) if judged.is_none() => match self.judgement(j, &part.loc) {
                    Some(found) => judged = Some(found),
                    None => ok = false,
                },
                Expr::Judged(j) => {
                    self.error(
                        &part.loc,
                        ModelError::JudgedMisplaced {
                            criterion: j.criterion.node.clone(),
                            place: "is a second judged term in one rule (write the criterion once)",
                        },
                    );
                    ok = false;
                }
                _ => match self.condition(part) {
                    Some(c) => rest.push(c),
                    None => ok = false,
                },
            }
        }
        if !ok {
            return None;
        }
        let rest = match rest.len() {
            0 => None,
            1 => rest.pop(),
            _ => Some(Condition::All(rest)),
        };
        Some((rest, judged))
    }

    /// A judged term whose role is declared.
    pub(super) fn judgement(&mut self, j: &JudgedAst, loc: &Loc) -> Option<Judgement> {
        if !self.roles.contains(&j.by.node) {
            let candidates = self.for_help(&self.roles);
            self.unknown(&j.by.loc, "role", &j.by.node, candidates);
            return None;
        }
        Some(Judgement {
            criterion: j.criterion.node.clone(),
            by: j.by.node.clone(),
            loc: loc.clone(),
        })
    }

    /// A judged term anywhere else: under `not` or `or`, in a definition, a plan's target
    /// condition, a band's `or` or a stage's `held until`.
    pub(super) fn judged_misplaced(&mut self, j: &JudgedAst, loc: &Loc) {
        self.error(
            loc,
            ModelError::JudgedMisplaced {
                criterion: j.criterion.node.clone(),
                place: "is not a plain `and` part of a rule's condition",
            },
        );
    }
}
