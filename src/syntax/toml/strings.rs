//! Where a TOML string's decoded characters were written: escapes and line continuations
//! mapped back, so spans inside a condition string point at what the author typed.

use super::*;

/// Where a TOML string's characters sit in the file. A fragment is parsed from the decoded
/// string as if it started at `base`; where escapes (`\"`, `\u00e9`) or a line continuation
/// make the decoded text shorter than the written one, `map` moves positions back onto the
/// written characters so diagnostics and spans point at what the author typed.
pub(super) struct Placement {
    pub(super) base: usize,
    end: usize,
    /// File offset of each decoded byte, and of the end; `None` when they line up one to one.
    pub(super) map: Option<Vec<usize>>,
}

impl Placement {
    pub(super) fn new(text: &str, span: Range<usize>, decoded: &str) -> Placement {
        let raw = text.get(span.clone()).unwrap_or("");
        let (open, close, escapes) = if raw.starts_with("\"\"\"") {
            (3, 3, true)
        } else if raw.starts_with("'''") {
            (3, 3, false)
        } else if raw.starts_with('"') {
            (1, 1, true)
        } else if raw.starts_with('\'') {
            (1, 1, false)
        } else {
            (0, 0, false)
        };
        let mut body_start = open;
        if open == 3 {
            // A newline straight after the opening quotes is not part of the string.
            let after = raw.get(3..).unwrap_or("");
            if after.starts_with("\r\n") {
                body_start += 2;
            } else if after.starts_with('\n') {
                body_start += 1;
            }
        }
        let body_end = raw.len().saturating_sub(close).max(body_start);
        let body = raw.get(body_start..body_end).unwrap_or("");
        let base = span.start + body_start;
        let end = base + body.len();
        let map = if body == decoded {
            None
        } else {
            walk(body, decoded, base, escapes, open == 3)
        };
        // Without a map, a decoded text that differs from the written one can only drift;
        // `fix` clamps it into the string.
        Placement { base, end, map }
    }

    fn at(&self, offset: usize) -> usize {
        let relative = offset.saturating_sub(self.base);
        match &self.map {
            Some(map) => map.get(relative).copied().unwrap_or(self.end),
            None => (self.base + relative).min(self.end),
        }
    }

    pub(super) fn fix(&self, span: Span) -> Span {
        Span::new(self.at(span.start), self.at(span.end))
    }

    /// The file range of decoded bytes `start..end`.
    pub(super) fn range(&self, start: usize, end: usize) -> Range<usize> {
        self.at(self.base + start)..self.at(self.base + end)
    }

    fn fix_loc(&self, loc: &mut Loc) {
        loc.span = self.fix(loc.span);
    }

    pub(super) fn fix_parsed(&self, parsed: &mut Parsed) {
        match parsed {
            Parsed::Condition(e) => self.fix_expr(e),
            Parsed::Range(r) => self.fix_loc(&mut r.loc),
            Parsed::Actions(actions) => actions.iter_mut().for_each(|a| self.fix_action(a)),
            Parsed::Codes(codes) => self.fix_codes(codes),
            Parsed::Window(w) => self.fix_loc(&mut w.loc),
            Parsed::Repeat(r) => self.fix_loc(&mut r.loc),
            Parsed::Operand(o) => self.fix_loc(&mut o.loc),
            Parsed::LookedAt(l) => self.fix_loc(&mut l.loc),
            Parsed::Time(_) | Parsed::Percent(_) => {}
            Parsed::Order(o) => {
                self.fix_loc(&mut o.loc);
                if let Some(j) = &mut o.node.judged {
                    self.fix_loc(&mut j.criterion.loc);
                    self.fix_loc(&mut j.by.loc);
                }
            }
            Parsed::Held(h) => {
                self.fix_loc(&mut h.loc);
                if let HeldAst::Until { when, .. } = &mut h.node {
                    self.fix_expr(when);
                }
            }
            Parsed::DayLine(line) => {
                match &mut line.what {
                    DayWhat::At { time, session, .. } => {
                        self.fix_loc(&mut time.loc);
                        if let Some(s) = session {
                            self.fix_loc(&mut s.loc);
                        }
                    }
                    DayWhat::Lunch { starts, ends } => {
                        self.fix_loc(&mut starts.loc);
                        self.fix_loc(&mut ends.loc);
                    }
                    DayWhat::Week { minutes } => self.fix_loc(&mut minutes.loc),
                }
                if let Some(g) = &mut line.group {
                    self.fix_loc(&mut g.loc);
                }
            }
            Parsed::DayGroup(g) => self.fix_loc(&mut g.loc),
            Parsed::BandDays(d) => self.fix_loc(&mut d.loc),
            Parsed::ThresholdCount(n, _) => self.fix_loc(&mut n.loc),
        }
    }

    fn fix_codes(&self, codes: &mut Sp<Vec<Sp<String>>>) {
        self.fix_loc(&mut codes.loc);
        for code in &mut codes.node {
            self.fix_loc(&mut code.loc);
        }
    }

    fn fix_action(&self, action: &mut Sp<ActionAst>) {
        self.fix_loc(&mut action.loc);
        let a = &mut action.node;
        self.fix_loc(&mut a.verb.loc);
        for part in [&mut a.target, &mut a.note, &mut a.by]
            .into_iter()
            .flatten()
        {
            self.fix_loc(&mut part.loc);
        }
    }

    fn fix_expr(&self, e: &mut Sp<Expr>) {
        self.fix_loc(&mut e.loc);
        match &mut e.node {
            Expr::Or(parts) | Expr::And(parts) => parts.iter_mut().for_each(|p| self.fix_expr(p)),
            Expr::Not(inner) => self.fix_expr(inner),
            Expr::Compare { lhs, rhs, .. } => {
                self.fix_operand(lhs);
                self.fix_operand(rhs);
            }
            Expr::Flag(_) => {}
            Expr::Judged(j) => {
                self.fix_loc(&mut j.criterion.loc);
                self.fix_loc(&mut j.by.loc);
            }
        }
    }

    fn fix_operand(&self, o: &mut Sp<Operand>) {
        self.fix_loc(&mut o.loc);
        match &mut o.node {
            Operand::Share { of, .. } => self.fix_operand(of),
            Operand::Call { name, args } => {
                self.fix_loc(&mut name.loc);
                for arg in args {
                    self.fix_loc(&mut arg.loc);
                    if let Argument::Codes(codes) = &mut arg.node {
                        codes.iter_mut().for_each(|c| self.fix_loc(&mut c.loc));
                    }
                }
            }
            Operand::Percent(_) | Operand::Count { .. } | Operand::Path(_) => {}
        }
    }
}

/// Lines the written body of a string up with its decoded text, byte by byte; `None` when they
/// cannot be matched (then positions only drift).
fn walk(
    body: &str,
    decoded: &str,
    base: usize,
    escapes: bool,
    multiline: bool,
) -> Option<Vec<usize>> {
    let bytes = body.as_bytes();
    let mut out = Vec::with_capacity(decoded.len() + 1);
    let mut chars = decoded.chars();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if escapes && b == b'\\' {
            let next = bytes.get(i + 1).copied();
            if multiline && matches!(next, Some(b' ' | b'\t' | b'\r' | b'\n')) {
                // A line-ending backslash swallows the whitespace and newlines after it.
                i += 1;
                while matches!(bytes.get(i), Some(b' ' | b'\t' | b'\r' | b'\n')) {
                    i += 1;
                }
                continue;
            }
            let written = match next {
                Some(b'x') => 4,
                Some(b'u') => 6,
                Some(b'U') => 10,
                _ => 2,
            };
            let c = chars.next()?;
            out.extend(std::iter::repeat_n(base + i, c.len_utf8()));
            i += written;
            continue;
        }
        let c = chars.next()?;
        if c == '\n' && b == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
            out.push(base + i);
            i += 2;
            continue;
        }
        let written = body.get(i..).and_then(|s| s.chars().next())?;
        if written != c {
            return None;
        }
        for k in 0..c.len_utf8() {
            out.push(base + i + k);
        }
        i += c.len_utf8();
    }
    if chars.next().is_some() {
        return None;
    }
    out.push(base + body.len());
    (out.len() == decoded.len() + 1).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placement_follows_escapes() {
        let text = r#"x = "a\"b\u00e9c""#;
        let decoded = "a\"béc";
        let place = Placement::new(text, 4..text.len(), decoded);
        assert_eq!(place.base, 5);
        // `c` is decoded byte 5 (é is two bytes) and written at offset 15.
        assert_eq!(place.at(place.base + 5), 15);
        assert_eq!(
            place.at(place.base + 1),
            6,
            "the escaped quote starts at its backslash"
        );
    }

    #[test]
    fn placement_skips_leading_newline_of_multiline() {
        let text = "x = '''\nab'''";
        let place = Placement::new(text, 4..text.len(), "ab");
        assert_eq!(place.base, 8);
        assert!(place.map.is_none());
    }
}
