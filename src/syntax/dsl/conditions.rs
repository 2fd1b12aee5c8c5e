//! The DSL's conditions: `and`/`or`/`not` expressions (nesting bounded by [`MAX_DEPTH`]),
//! comparisons, operands, windows and code sets, pest pairs to AST.

use super::*;

impl Builder<'_> {
    /// A whole condition (a `when`, a plan's `target`): an expression of at most
    /// [`MAX_TERMS`] terms.
    pub(super) fn condition(&mut self, pair: Pr<'_>) -> Sp<Expr> {
        let expr = self.expr(pair, 0);
        if let Some(loc) = term_past_limit(&expr) {
            self.errors
                .push(SyntaxError::TooManyTerms { limit: MAX_TERMS }.at(&loc));
        }
        expr
    }

    pub(super) fn expr(&mut self, pair: Pr<'_>, depth: usize) -> Sp<Expr> {
        let loc = self.loc(&pair);
        if depth > MAX_DEPTH {
            if !self.errors.iter().any(|e| e.code == "syntax::too_deep") {
                self.error(&pair, SyntaxError::TooDeep { limit: MAX_DEPTH });
            }
            return Sp::new(Expr::Flag(String::new()), loc);
        }
        // `depth` counts what an author sees as nesting, parentheses and `not`, so the limit in
        // the message is one they can count; each level is a few grammar rules deep. A nested
        // `expr` is a parenthesised one (the silent `primary` rule leaves no pair of its own).
        let nested = |p: &Pr<'_>| depth + usize::from(p.as_rule() == Rule::expr);
        match pair.as_rule() {
            Rule::expr => match pair.into_inner().next() {
                Some(inner) => self.expr(inner, depth),
                None => Sp::new(Expr::Flag(String::new()), loc),
            },
            Rule::or_expr | Rule::and_expr => {
                let is_or = pair.as_rule() == Rule::or_expr;
                let mut parts: Vec<Sp<Expr>> = pair
                    .into_inner()
                    .filter(|p| !is_keyword_token(p))
                    .map(|p| {
                        let depth = nested(&p);
                        self.expr(p, depth)
                    })
                    .collect();
                if parts.len() == 1
                    && let Some(only) = parts.pop()
                {
                    return only;
                }
                Sp::new(
                    if is_or {
                        Expr::Or(parts)
                    } else {
                        Expr::And(parts)
                    },
                    loc,
                )
            }
            Rule::not_expr => match pair.into_inner().next() {
                Some(inner) => {
                    let depth = nested(&inner);
                    self.expr(inner, depth)
                }
                None => Sp::new(Expr::Flag(String::new()), loc),
            },
            Rule::negation => match pair.into_inner().find(|p| !is_keyword_token(p)) {
                Some(inner) => {
                    let operand = self.expr(inner, depth + 1);
                    Sp::new(Expr::Not(Box::new(operand)), loc)
                }
                None => Sp::new(Expr::Flag(String::new()), loc),
            },
            Rule::comparison => {
                let parts: Vec<Pr<'_>> = pair.into_inner().collect();
                match parts.as_slice() {
                    [lhs, op, rhs] => {
                        let op = match op.as_str() {
                            "<" => CmpOp::Lt,
                            "<=" | "\u{2264}" => CmpOp::Le,
                            ">" => CmpOp::Gt,
                            "==" => CmpOp::Eq,
                            "!=" | "\u{2260}" => CmpOp::Ne,
                            _ => CmpOp::Ge,
                        };
                        let lhs = self.operand(lhs.clone());
                        let rhs = self.operand(rhs.clone());
                        Sp::new(Expr::Compare { lhs, op, rhs }, loc)
                    }
                    _ => Sp::new(Expr::Flag(String::new()), loc),
                }
            }
            Rule::flag => Sp::new(Expr::Flag(pair.as_str().to_string()), loc),
            Rule::judged => Sp::new(Expr::Judged(self.judged(pair)), loc),
            // `( expr )` arrives as the inner expr itself.
            _ => Sp::new(Expr::Flag(pair.as_str().to_string()), loc),
        }
    }

    /// `judged "criterion" by ROLE`: in a condition, a plan's target or a ladder's order.
    pub(super) fn judged(&mut self, pair: Pr<'_>) -> JudgedAst {
        let mut parts = pair.clone().into_inner();
        let criterion = parts
            .next()
            .map_or_else(|| self.sp(&pair, String::new()), |c| self.string(&c));
        let by = parts
            .next()
            .map_or_else(|| self.sp(&pair, String::new()), |r| self.ident(&r));
        JudgedAst { criterion, by }
    }

    pub(super) fn operand(&mut self, pair: Pr<'_>) -> Sp<Operand> {
        let loc = self.loc(&pair);
        let inner = if pair.as_rule() == Rule::operand {
            pair.into_inner().next()
        } else {
            Some(pair)
        };
        let Some(inner) = inner else {
            return Sp::new(Operand::Path(String::new()), loc);
        };
        let node = match inner.as_rule() {
            Rule::percent => Operand::Percent(self.percent(&inner)),
            Rule::count => {
                let mut value = 0;
                let mut half = false;
                let mut unit = None;
                let written = inner.clone();
                for part in inner.into_inner() {
                    match part.as_rule() {
                        Rule::integer => value = self.u32(&part).node,
                        Rule::fraction => {
                            // A half is the only fraction of a count: half a day is a session.
                            let digits = part.as_str().trim_start_matches('.');
                            if digits.trim_end_matches('0') == "5" {
                                half = true;
                            } else if !digits.bytes().all(|b| b == b'0') {
                                self.error(
                                    &written,
                                    SyntaxError::NotWholeOrHalf {
                                        text: format!("{value}{}", part.as_str()),
                                    },
                                );
                            }
                        }
                        _ => {
                            unit = Some(match part.as_str() {
                                "sessions" => CountUnit::Sessions,
                                "session" => CountUnit::Session,
                                "school_days" => CountUnit::SchoolDays,
                                "half_days" => CountUnit::HalfDays,
                                "half_day" => CountUnit::HalfDay,
                                "day" => CountUnit::Day,
                                _ => CountUnit::Days,
                            })
                        }
                    }
                }
                Operand::Count { value, half, unit }
            }
            Rule::share => {
                let mut parts = inner.into_inner();
                let percent = parts.next().map_or(Percent::ZERO, |p| self.percent(&p));
                let of = match parts.next() {
                    Some(call) => self.operand(call),
                    None => Sp::new(Operand::Path(String::new()), loc.clone()),
                };
                Operand::Share {
                    percent,
                    of: Box::new(of),
                }
            }
            Rule::call => {
                let mut parts = inner.into_inner();
                let name = match parts.next() {
                    Some(n) => self.ident(&n),
                    None => Sp::new(String::new(), loc.clone()),
                };
                let args = parts.map(|a| self.argument(a)).collect();
                Operand::Call { name, args }
            }
            _ => Operand::Path(inner.as_str().to_string()),
        };
        Sp::new(node, loc)
    }

    pub(super) fn argument(&mut self, pair: Pr<'_>) -> Sp<Argument> {
        let loc = self.loc(&pair);
        let node = match pair.into_inner().next() {
            Some(p) if p.as_rule() == Rule::window => Argument::Window(self.window(p).node),
            Some(p) if p.as_rule() == Rule::code_set => Argument::Codes(self.code_set(p).node),
            Some(p) if p.as_rule() == Rule::years => {
                Argument::Years(p.into_inner().next().map_or(0, |n| self.u32(&n).node))
            }
            Some(p) => Argument::Code(p.as_str().to_string()),
            None => Argument::Codes(Vec::new()),
        };
        Sp::new(node, loc)
    }

    pub(super) fn window(&mut self, pair: Pr<'_>) -> Sp<WindowAst> {
        let loc = self.loc(&pair);
        let inner = if pair.as_rule() == Rule::window {
            pair.into_inner().next()
        } else {
            Some(pair)
        };
        let node = match inner {
            Some(p) => match p.as_rule() {
                Rule::this_term => WindowAst::ThisTerm,
                Rule::this_half_term => WindowAst::ThisHalfTerm,
                Rule::rolling => WindowAst::Rolling {
                    school_weeks: p.into_inner().next().map_or(0, |n| self.u32(&n).node),
                },
                Rule::last => WindowAst::Last {
                    school_days: p.into_inner().next().map_or(0, |n| self.u32(&n).node),
                },
                _ => WindowAst::YearToDate,
            },
            None => WindowAst::YearToDate,
        };
        Sp::new(node, loc)
    }

    pub(super) fn code_set(&mut self, pair: Pr<'_>) -> Sp<Vec<Sp<String>>> {
        let loc = self.loc(&pair);
        let codes = pair.into_inner().map(|c| self.ident(&c)).collect();
        Sp::new(codes, loc)
    }
}
