//! Reading single values: names, dates, times, URNs, money, and strings in the condition
//! language parsed by the DSL's grammar, each with its place in the file.

use super::strings::Placement;
use super::*;

impl Cx<'_> {
    // ------------------------------------------------------------ values

    pub(super) fn string(&self, s: &Str) -> Sp<String> {
        Sp::new(s.get_ref().clone(), self.loc(s.span()))
    }

    /// A string that must be a name of the language (`attendance_lead`), so the DSL can print it.
    pub(super) fn name(&mut self, s: &Str) -> Option<Sp<String>> {
        self.check_name(Rule::ident, s.get_ref(), s.span())
            .then(|| self.string(s))
    }

    /// Whether `text` is a name by `rule`: `ident` (no keyword) or `word` (where no keyword can
    /// be meant: an entry's id, a citation's kind); reports it if not.
    pub(super) fn check_name(&mut self, rule: Rule, text: &str, range: Range<usize>) -> bool {
        let parsed = PolicyParser::parse(rule, text)
            .ok()
            .and_then(|mut pairs| pairs.next());
        if parsed.is_some_and(|p| p.as_str().len() == text.len()) {
            return true;
        }
        let shaped = text.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        let message = if shaped {
            format!("`{text}` is a word the policy language uses, so it cannot be a name here")
        } else {
            format!(
                "`{text}` is not a name: a name starts with a letter and holds only letters, digits, `_` and `-`"
            )
        };
        self.error(range, SyntaxError::Toml { message });
        false
    }

    pub(super) fn fragment(&mut self, fragment: Fragment, s: &Str) -> Option<Parsed> {
        let place = Placement::new(self.src.text(), s.span(), s.get_ref());
        match parse_fragment(self.src, fragment, s.get_ref(), place.base) {
            Ok(mut parsed) => {
                if place.map.is_some() {
                    place.fix_parsed(&mut parsed);
                }
                Some(parsed)
            }
            Err(diagnostics) => {
                for mut d in diagnostics {
                    if let Some(loc) = d.loc.as_mut() {
                        loc.span = place.fix(loc.span);
                    }
                    // The grammar sees the string as the whole input; its end is not the file's.
                    if d.message == "unexpected end of file" {
                        d.message = "unexpected end of the string".into();
                    }
                    self.errors.push(d);
                }
                None
            }
        }
    }

    pub(super) fn expr(&mut self, s: &Str) -> Option<Sp<Expr>> {
        match self.fragment(Fragment::Condition, s)? {
            Parsed::Condition(e) => Some(e),
            _ => None,
        }
    }

    pub(super) fn actions(&mut self, s: &Str) -> Option<Vec<Sp<ActionAst>>> {
        match self.fragment(Fragment::Actions, s)? {
            Parsed::Actions(a) => Some(a),
            _ => None,
        }
    }

    pub(super) fn window(&mut self, s: &Str) -> Option<Sp<WindowAst>> {
        match self.fragment(Fragment::Window, s)? {
            Parsed::Window(w) => Some(w),
            _ => None,
        }
    }

    pub(super) fn optional<T>(
        &mut self,
        s: &Option<Str>,
        read: impl FnOnce(&mut Self, &Str) -> Option<T>,
    ) -> Result<Option<T>, ()> {
        match s {
            None => Ok(None),
            Some(s) => read(self, s).map(Some).ok_or(()),
        }
    }

    pub(super) fn date(&mut self, v: &Any) -> Option<Sp<NaiveDate>> {
        let date = match v.get_ref() {
            ::toml::Value::Datetime(dt) => match (dt.date, dt.time, dt.offset) {
                (Some(d), None, None) => {
                    NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))
                }
                _ => None,
            },
            ::toml::Value::String(s) => NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok(),
            _ => None,
        };
        if date.is_none() {
            let text = self.src.text().get(v.span()).unwrap_or("").to_string();
            self.error(v.span(), SyntaxError::InvalidDate { text });
        }
        date.map(|d| Sp::new(d, self.loc(v.span())))
    }

    pub(super) fn time(&mut self, v: &Any) -> Option<u16> {
        match v.get_ref() {
            ::toml::Value::String(s) => {
                let s = Spanned::new(v.span(), s.clone());
                match self.fragment(Fragment::Time, &s)? {
                    Parsed::Time(minutes) => Some(minutes),
                    _ => None,
                }
            }
            ::toml::Value::Datetime(dt) => {
                let minutes = match (dt.date, dt.time, dt.offset) {
                    (None, Some(t), None)
                        if t.second.unwrap_or(0) == 0 && t.nanosecond.unwrap_or(0) == 0 =>
                    {
                        Some(u16::from(t.hour) * 60 + u16::from(t.minute))
                    }
                    _ => None,
                };
                if minutes.is_none() {
                    let text = self.src.text().get(v.span()).unwrap_or("").to_string();
                    self.error(v.span(), SyntaxError::InvalidTime { text });
                }
                minutes
            }
            other => {
                let message = format!(
                    "expected a time such as \"08:55\", found {}",
                    other.type_str()
                );
                self.error(v.span(), SyntaxError::Toml { message });
                None
            }
        }
    }

    pub(super) fn urn(&mut self, v: &Any) -> Option<Sp<u64>> {
        let urn = match v.get_ref() {
            ::toml::Value::Integer(i) => u64::try_from(*i).ok(),
            ::toml::Value::String(s) => s.trim().parse::<u64>().ok(),
            _ => None,
        };
        if urn.is_none() {
            let message = "a URN is a whole number, e.g. `urn = 100000`".to_string();
            self.error(v.span(), SyntaxError::Toml { message });
        }
        urn.map(|n| Sp::new(n, self.loc(v.span())))
    }

    /// `"£80"`, `"80"`, `"£80.50"` or a whole number of pounds, in pence.
    pub(super) fn money(&mut self, v: &Any) -> Option<Sp<u64>> {
        let pence = match v.get_ref() {
            ::toml::Value::Integer(i) => u64::try_from(*i).ok().and_then(|p| p.checked_mul(100)),
            ::toml::Value::String(s) => pence(s),
            _ => None,
        };
        if pence.is_none() {
            let shown = self.src.text().get(v.span()).unwrap_or("").to_string();
            let message =
                format!("{shown} is not an amount: write pounds as \"£80\" or \"£80.50\"");
            self.error(v.span(), SyntaxError::Toml { message });
        }
        pence.map(|p| Sp::new(p, self.loc(v.span())))
    }

    pub(super) fn key_value(&self, table: &DeTable<'_>, key: &str, value: Range<usize>) -> Loc {
        let start = key_span(table, key).map_or(value.start, |k| k.start.min(value.start));
        self.loc(start..value.end)
    }
}

fn pence(text: &str) -> Option<u64> {
    let text = text.trim();
    let text = text.strip_prefix('£').unwrap_or(text);
    let (pounds, pence) = text.split_once('.').unwrap_or((text, "00"));
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    if !digits(pounds) || !digits(pence) || pence.len() != 2 {
        return None;
    }
    pounds
        .parse::<u64>()
        .ok()?
        .checked_mul(100)?
        .checked_add(pence.parse::<u64>().ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pence_reads_pounds() {
        assert_eq!(pence("£80"), Some(8000));
        assert_eq!(pence("80"), Some(8000));
        assert_eq!(pence("£80.50"), Some(8050));
        assert_eq!(pence("£80.5"), None);
        assert_eq!(pence("£"), None);
    }
}
