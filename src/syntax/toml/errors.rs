//! Reporting problems: toml's and serde's errors turned into diagnostics with places, and
//! problems that only follow from malformed TOML held back.

use super::*;

impl Cx<'_> {
    pub(super) fn error(&mut self, range: Range<usize>, problem: SyntaxError) {
        let loc = self.loc(range);
        self.errors.push(problem.at(&loc));
    }

    pub(super) fn syntax_error(&mut self, error: &::toml::de::Error) {
        let range = error.span().unwrap_or(0..0);
        let message = error.message();
        let text = self.src.text().get(range.clone()).unwrap_or("").to_string();
        // toml checks date and time literals itself; say it the way the DSL does.
        let problem = if message.starts_with("invalid date") || message.starts_with("invalid time")
        {
            if text.contains(':') && !text.contains('-') {
                SyntaxError::InvalidTime { text }
            } else {
                SyntaxError::InvalidDate { text }
            }
        } else {
            SyntaxError::Toml {
                message: message.to_string(),
            }
        };
        self.syntax.push(Span::new(range.start, range.end));
        self.syntax_shown += 1;
        self.error(range, problem);
    }

    /// Serde's messages, turned into the syntax stage's problems with the table named.
    fn de_error(&mut self, error: &::toml::de::Error, table: &str, fallback: Range<usize>) {
        let range = error.span().unwrap_or(fallback);
        let message = error.message();
        let problem = if let Some(rest) = message.strip_prefix("unknown field `") {
            let (key, expected) = rest
                .split_once("`, ")
                .unwrap_or((rest.trim_end_matches('`'), ""));
            SyntaxError::TomlUnknownKey {
                key: key.to_string(),
                table: table.to_string(),
                expected: backticked(expected),
            }
        } else if let Some(rest) = message.strip_prefix("missing field `") {
            SyntaxError::TomlMissingKey {
                key: rest.trim_end_matches('`').to_string(),
                table: table.to_string(),
            }
        } else {
            SyntaxError::Toml {
                message: message.to_string(),
            }
        };
        self.error(range, problem);
    }

    pub(super) fn de<T: DeserializeOwned>(&mut self, raw: &Raw<'_>, table: &str) -> Option<T> {
        match T::deserialize(ValueDeserializer::from(raw.clone())) {
            Ok(value) => Some(value),
            Err(error) => {
                self.de_error(&error, table, raw.span());
                None
            }
        }
    }

    pub(super) fn finish(mut self) -> Vec<Diagnostic> {
        if !self.syntax.is_empty() {
            let syntax = Malformed::new(std::mem::take(&mut self.syntax));
            let count = self.syntax_shown;
            let mut kept: Vec<Diagnostic> = Vec::new();
            for (i, d) in self.errors.into_iter().enumerate() {
                let span = d.loc.as_ref().map(|l| l.span).unwrap_or_default();
                let consequence = d.code == "syntax::toml_missing_key"
                    || d.code == "syntax::toml_nothing"
                    || syntax.overlaps(span);
                // The first `count` diagnostics are the syntax errors themselves.
                if i < count || !consequence {
                    kept.push(d);
                }
            }
            self.errors = kept;
        }
        self.errors
            .sort_by_key(|d| d.loc.as_ref().map_or(0, |l| l.span.start));
        self.errors.dedup_by(|a, b| {
            a.code == b.code
                && a.message == b.message
                && a.loc.as_ref().map(|l| l.span) == b.loc.as_ref().map(|l| l.span)
        });
        self.errors
    }
}

/// The places where the TOML itself was malformed, sorted, so whether a later problem lies in
/// one is a binary search: ten thousand syntax errors must not cost ten thousand squared.
struct Malformed {
    /// `(start, end)` with `end` at least `start + 1`, sorted by start.
    spans: Vec<(usize, usize)>,
    /// The greatest end among `spans[..=i]`.
    reach: Vec<usize>,
}

impl Malformed {
    fn new(spans: Vec<Span>) -> Self {
        let mut spans: Vec<(usize, usize)> = spans
            .into_iter()
            .map(|s| (s.start, s.end.max(s.start + 1)))
            .collect();
        spans.sort_unstable();
        let reach = spans
            .iter()
            .scan(0, |most, &(_, end)| {
                *most = end.max(*most);
                Some(*most)
            })
            .collect();
        Malformed { spans, reach }
    }

    /// Whether `span` (at least one byte wide) meets a malformed place.
    fn overlaps(&self, span: Span) -> bool {
        let end = span.end.max(span.start + 1);
        // Places starting before `span` ends; one of them meets it if it reaches past its start.
        let before = self.spans.partition_point(|&(start, _)| start < end);
        before > 0
            && self
                .reach
                .get(before - 1)
                .is_some_and(|&most| most > span.start)
    }
}

/// The backticked words of serde's "expected one of `a`, `b`".
fn backticked(text: &str) -> Vec<String> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}
