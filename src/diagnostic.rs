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

    fn at(&self, loc: &Loc) -> Diagnostic {
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
    let mut best: Option<(usize, &str)> = None;
    for candidate in candidates {
        if candidate.to_lowercase() == unknown_lower {
            return Some(candidate);
        }
        let distance = strsim::damerau_levenshtein(&unknown_lower, &candidate.to_lowercase());
        // Allow about one edit in three characters: close enough to be a slip of the keyboard.
        let limit = (candidate.chars().count().max(unknown.chars().count()) / 3).max(1);
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
