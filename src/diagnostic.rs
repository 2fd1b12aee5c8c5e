//! Diagnostics are values: every stage collects all the problems it finds as [`Diagnostic`]s
//! and carries on, so one run reports everything. Each stage has its own problem enum (its
//! error type) implementing [`Problem`]; this module only gives them one rendered shape.

use std::fmt;

use miette::{LabeledSpan, SourceCode};
use serde::Serialize;

use crate::source::Loc;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// A stage's error type: a closed enum of the problems that stage can find.
pub trait Problem: fmt::Display {
    /// Stable code, `stage::snake_case_name`; never reused for another problem.
    fn code(&self) -> &'static str;
    fn severity(&self) -> Severity {
        Severity::Error
    }
    /// How to fix it: the "did you mean", the form that was expected.
    fn help(&self) -> Option<String> {
        None
    }
    /// Text on the label at the problem's location.
    fn label(&self) -> Option<String> {
        None
    }
    /// When the fix is mechanical: the text written at the problem's location and the text
    /// that replaces it (the misspelt name and its "did you mean"). An editor offers it as a
    /// quick fix; it is kept only where the location holds exactly that text.
    fn replacement(&self) -> Option<(&str, String)> {
        None
    }

    fn at(&self, loc: &Loc) -> Diagnostic {
        let fix = self
            .replacement()
            .filter(|(written, _)| loc.text() == *written)
            .map(|(_, replacement)| Fix {
                loc: loc.clone(),
                replacement,
            });
        Diagnostic {
            code: self.code().to_string(),
            severity: self.severity(),
            message: self.to_string(),
            loc: Some(loc.clone()),
            label: self.label(),
            related: Vec::new(),
            help: self.help(),
            url: None,
            source: None,
            fix,
        }
    }
}

/// One finding, ready to render as miette text, JSON or SARIF.
#[derive(Clone, Debug)]
pub struct Diagnostic {
    pub code: String,
    pub severity: Severity,
    /// Lowercase, no final period, user input in backticks.
    pub message: String,
    pub loc: Option<Loc>,
    pub label: Option<String>,
    /// Other places that explain the finding (the other band of an overlap).
    pub related: Vec<(Loc, String)>,
    pub help: Option<String>,
    /// Where the rule is documented, for national-rule findings.
    pub url: Option<String>,
    /// The document and paragraph a national rule enforces.
    pub source: Option<String>,
    /// A machine-applicable fix (`attend lsp`'s quick fixes); no renderer prints it.
    pub fix: Option<Fix>,
}

/// Text that fixes a finding: `replacement` written in place of what `loc` covers.
#[derive(Clone, Debug)]
pub struct Fix {
    pub loc: Loc,
    pub replacement: String,
}

impl Diagnostic {
    pub fn with_related(mut self, loc: &Loc, label: impl Into<String>) -> Self {
        self.related.push((loc.clone(), label.into()));
        self
    }

    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// File, 1-based line and column of the primary location.
    pub fn position(&self) -> Option<(&str, usize, usize)> {
        self.loc.as_ref().map(|loc| {
            let (line, column) = loc.line_col();
            (loc.file(), line, column)
        })
    }

    /// Sort key: file, position, then code, so output is deterministic.
    pub fn sort_key(&self) -> (String, usize, String) {
        match &self.loc {
            Some(loc) => (loc.file().to_string(), loc.span.start, self.code.clone()),
            None => (String::new(), 0, self.code.clone()),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Diagnostic {}

impl miette::Diagnostic for Diagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(&self.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Info => miette::Severity::Advice,
        })
    }

    /// The fix, then (for a national rule) the document and paragraph it enforces.
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        match (&self.help, &self.source) {
            (Some(help), Some(source)) => Some(Box::new(format!("{help}\nsource: {source}"))),
            (Some(help), None) => Some(Box::new(help)),
            (None, Some(source)) => Some(Box::new(format!("source: {source}"))),
            (None, None) => None,
        }
    }

    fn url<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        let url = self.url.as_ref()?;
        Some(Box::new(url))
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.loc.as_ref().map(|loc| &loc.src as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let loc = self.loc.as_ref()?;
        let primary = LabeledSpan::new_primary_with_span(self.label.clone(), loc.span);
        // miette renders labels against one source, so related places in other files are
        // left to the message and help.
        let related = self
            .related
            .iter()
            .filter(|(other, _)| other.src.same_file(&loc.src))
            .map(|(other, label)| LabeledSpan::new_with_span(Some(label.clone()), other.span));
        Some(Box::new(std::iter::once(primary).chain(related)))
    }
}

/// Closest candidate to a misspelt name, for "did you mean".
pub fn did_you_mean<'a>(
    unknown: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let unknown_lower = unknown.to_lowercase();
    let unknown_len = unknown.chars().count();
    let mut best: Option<(usize, &str)> = None;
    for candidate in candidates {
        if candidate.to_lowercase() == unknown_lower {
            return Some(candidate);
        }
        // Allow about one edit in three characters: close enough to be a slip of the keyboard.
        let candidate_len = candidate.chars().count();
        let limit = (candidate_len.max(unknown_len) / 3).max(1);
        // Names differing in length by more than that are further apart than it: skip the
        // distance, which costs the product of the lengths.
        if candidate_len.abs_diff(unknown_len) > limit {
            continue;
        }
        let distance = strsim::damerau_levenshtein(&unknown_lower, &candidate.to_lowercase());
        if distance <= limit && best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, candidate)| candidate)
}

pub fn did_you_mean_help<'a>(
    unknown: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    did_you_mean(unknown, candidates).map(|c| format!("did you mean `{c}`?"))
}

/// Reports stop after this many problems in one file, as compilers do: past the first hundred,
/// more of them tell an author nothing new, and ten thousand cost time to print and read.
pub const MAX_PER_FILE: usize = 100;

/// The code of the closing note that counts the problems not shown.
pub const MORE_PROBLEMS: &str = "input::more_problems";

/// Keeps the first [`MAX_PER_FILE`] problems of each file, in the order given, and closes each
/// file that had more with a note at the first one left out saying how many there were.
pub fn limit_per_file(diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
    use std::collections::HashMap;
    let file = |d: &Diagnostic| {
        d.loc
            .as_ref()
            .map_or(String::new(), |l| l.file().to_string())
    };
    let mut counts: HashMap<String, usize> = HashMap::new();
    for d in diagnostics.iter().filter(|d| d.code != MORE_PROBLEMS) {
        *counts.entry(file(d)).or_default() += 1;
    }
    if counts.values().all(|&n| n <= MAX_PER_FILE) {
        return diagnostics;
    }
    struct Left {
        first: Option<Loc>,
        count: usize,
        worst: Severity,
    }
    let mut kept: HashMap<String, usize> = HashMap::new();
    let mut left: Vec<(String, Left)> = Vec::new();
    let mut out = Vec::with_capacity(MAX_PER_FILE * counts.len());
    for d in diagnostics {
        let name = file(&d);
        let shown = kept.entry(name.clone()).or_default();
        if d.code == MORE_PROBLEMS || *shown < MAX_PER_FILE {
            *shown += usize::from(d.code != MORE_PROBLEMS);
            out.push(d);
            continue;
        }
        let index = match left.iter().position(|(n, _)| *n == name) {
            Some(i) => i,
            None => {
                left.push((
                    name,
                    Left {
                        first: d.loc.clone(),
                        count: 0,
                        worst: d.severity,
                    },
                ));
                left.len() - 1
            }
        };
        if let Some((_, l)) = left.get_mut(index) {
            l.count += 1;
            l.worst = l.worst.max(d.severity);
        }
    }
    out.extend(
        left.into_iter()
            .map(|(_, l)| more_problems(l.count, l.first, l.worst)),
    );
    out
}

/// The note closing a file's report: `count` more problems, the first of them at `first`.
pub fn more_problems(count: usize, first: Option<Loc>, worst: Severity) -> Diagnostic {
    Diagnostic {
        code: MORE_PROBLEMS.into(),
        severity: worst,
        message: format!(
            "{} more {} not shown",
            thousands(count),
            if count == 1 { "problem" } else { "problems" }
        ),
        loc: first,
        label: Some("the first of them".into()),
        related: Vec::new(),
        help: Some(format!(
            "only the first {MAX_PER_FILE} problems of a file are reported; fix these and check again"
        )),
        url: None,
        source: None,
        fix: None,
    }
}

/// `11282` as `11,282`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{Source, Span};

    fn problem(src: &Source, at: usize, severity: Severity) -> Diagnostic {
        Diagnostic {
            code: "test::problem".into(),
            severity,
            message: format!("problem at {at}"),
            loc: Some(src.loc(Span::new(at, at + 1))),
            label: None,
            related: Vec::new(),
            help: None,
            url: None,
            source: None,
            fix: None,
        }
    }

    #[test]
    fn a_file_reports_its_first_hundred_problems_and_counts_the_rest() {
        let a = Source::new("a.policy", "x".repeat(20_000));
        let b = Source::new("b.policy", "y".repeat(10));
        let mut all: Vec<Diagnostic> = (0..11_382)
            .map(|i| problem(&a, i, Severity::Warning))
            .collect();
        all.push(problem(&a, 11_382, Severity::Error));
        all.extend((0..3).map(|i| problem(&b, i, Severity::Error)));
        let shown = limit_per_file(all);
        // 100 of a's 11,383, a's note, and all 3 of b's.
        assert_eq!(shown.len(), 100 + 1 + 3);
        let note = shown.last().expect("a note");
        assert_eq!(note.code, MORE_PROBLEMS);
        // 11,383 - 100 = 11,283 left out, one of them an error.
        assert_eq!(note.message, "11,283 more problems not shown");
        assert_eq!(note.severity, Severity::Error);
        assert_eq!(note.position(), Some(("a.policy", 1, 101)));
        // Limiting again changes nothing.
        assert_eq!(limit_per_file(shown.clone()).len(), shown.len());
    }

    /// A misspelt name whose replacement is known.
    struct Misspelt;

    impl fmt::Display for Misspelt {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("unknown letter `concen`")
        }
    }

    impl Problem for Misspelt {
        fn code(&self) -> &'static str {
            "test::misspelt"
        }
        fn replacement(&self) -> Option<(&str, String)> {
            Some(("concen", "concern".into()))
        }
    }

    #[test]
    fn a_fix_is_kept_only_where_the_location_holds_the_text_it_replaces() {
        let src = Source::new("a.policy", "letter concen by office");
        let at_name = Misspelt.at(&src.loc(Span::new(7, 13)));
        let fix = at_name.fix.expect("a fix at the name");
        assert_eq!(
            (fix.loc.span, fix.replacement.as_str()),
            (Span::new(7, 13), "concern")
        );
        // A location covering more than the name (the whole action) gets no fix: replacing it
        // would delete the rest.
        assert!(Misspelt.at(&src.loc(Span::new(0, 23))).fix.is_none());
    }

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(7), "7");
        assert_eq!(thousands(100), "100");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(11_282), "11,282");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
