//! What a national rule is: a stable code, a name that names the problem, a severity, the
//! source it enforces, the dates it is law, its documentation and its check. Rules report
//! [`Finding`]s; [`Rule::diagnostic`] turns them into diagnostics carrying the rule's code.

use chrono::NaiveDate;

use crate::diagnostic::{Diagnostic, Severity};
use crate::model::Policy;
use crate::source::{Loc, Span};

/// One rule of the catalogue. Adding a rule is one file in `rules/`, one line in
/// [`super::rules::RULES`] and one fixture `tests/rules/<CODE>.policy`.
pub struct Rule {
    /// `AT` and three digits; never reused. AT0xx law and regulations, AT1xx statutory
    /// guidance, AT2xx the policy's own shape and consistency, AT3xx good practice.
    pub code: &'static str,
    /// Kebab-case, naming the problem the rule finds.
    pub name: &'static str,
    /// Error where an Act or regulations fix the rule, warning where statutory guidance says
    /// "should", info for good practice. A finding may lower it (and says why in the docs).
    pub severity: Severity,
    /// The document and paragraph the rule enforces, as in `national-rules.md`.
    pub source: &'static str,
    pub in_force: InForce,
    pub docs: Docs,
    pub check: fn(&Context) -> Vec<Finding>,
}

/// The rule's documentation, under fixed headings.
pub struct Docs {
    pub what: &'static str,
    pub why: &'static str,
    /// A policy fragment that the rule reports.
    pub example: &'static str,
    pub fix: &'static str,
}

/// The dates a rule is law: a policy is judged by the law in force on its ratification date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InForce {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

impl InForce {
    pub const ALWAYS: InForce = InForce {
        from: None,
        to: None,
    };

    pub const fn from(date: NaiveDate) -> InForce {
        InForce {
            from: Some(date),
            to: None,
        }
    }

    pub const fn until(date: NaiveDate) -> InForce {
        InForce {
            from: None,
            to: Some(date),
        }
    }

    /// Whether the rule applies to a policy ratified on `date`; a policy with no ratification
    /// date is judged by the law in force now (rules with no end date).
    pub fn applies_on(&self, date: Option<NaiveDate>) -> bool {
        match date {
            None => self.to.is_none(),
            Some(d) => self.from.is_none_or(|from| d >= from) && self.to.is_none_or(|to| d <= to),
        }
    }
}

impl std::fmt::Display for InForce {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.from, self.to) {
            (None, None) => f.write_str("always"),
            (Some(from), None) => write!(f, "from {from}"),
            (None, Some(to)) => write!(f, "until {to}"),
            (Some(from), Some(to)) => write!(f, "from {from} until {to}"),
        }
    }
}

/// A date known when the program is compiled (an invalid one fails the build).
pub const fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    match NaiveDate::from_ymd_opt(year, month, day) {
        Some(d) => d,
        None => panic!("a rule's date is not a real date"),
    }
}

/// The day the 2024 registration regulations, codes and guidance came into force.
pub const REG24_IN_FORCE: NaiveDate = date(2024, 8, 19);

/// What a rule looks at.
pub struct Context<'a> {
    pub policy: &'a Policy,
    /// The ratification date, when the policy states one.
    pub judged_on: Option<NaiveDate>,
    /// The national baseline itself, which is not a school's policy.
    pub baseline: bool,
    /// The model is what lowered of a policy with model errors: a statement may be missing
    /// from it because it was wrong, so no rule reports content as missing.
    pub partial: bool,
}

impl Context<'_> {
    /// The `policy "Name"` line, where findings about the policy as a whole point.
    pub fn header(&self) -> Loc {
        let loc = &self.policy.loc;
        let text = loc.text();
        let line_end = text.find('\n').unwrap_or(text.len());
        // `policy "Name" {` in the DSL; the `[policy]` line in TOML.
        let end = text.find('{').filter(|&i| i < line_end).unwrap_or(line_end);
        let head = text.get(..end).unwrap_or("").trim_end();
        Loc {
            src: loc.src.clone(),
            span: Span::new(loc.span.start, loc.span.start + head.len()),
        }
    }
}

/// The first line of a statement, so a label on a long trigger does not quote all of it.
pub fn first_line(loc: &Loc) -> Loc {
    let text = loc.text();
    let end = text.find('\n').unwrap_or(text.len());
    let line = text.get(..end).unwrap_or("").trim_end();
    Loc {
        src: loc.src.clone(),
        span: Span::new(loc.span.start, loc.span.start + line.len()),
    }
}

/// One place where a rule is broken.
#[derive(Clone, Debug)]
pub struct Finding {
    pub loc: Loc,
    pub message: String,
    pub label: Option<String>,
    pub related: Vec<(Loc, String)>,
    pub help: Option<String>,
    /// Set when this finding is less (or more) severe than the rule's default.
    pub severity: Option<Severity>,
}

impl Finding {
    pub fn new(loc: &Loc, message: impl Into<String>) -> Finding {
        Finding {
            loc: loc.clone(),
            message: message.into(),
            label: None,
            related: Vec::new(),
            help: None,
            severity: None,
        }
    }

    pub fn label(mut self, label: impl Into<String>) -> Finding {
        self.label = Some(label.into());
        self
    }

    pub fn related(mut self, loc: &Loc, label: impl Into<String>) -> Finding {
        self.related.push((loc.clone(), label.into()));
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Finding {
        self.help = Some(help.into());
        self
    }

    pub fn severity(mut self, severity: Severity) -> Finding {
        self.severity = Some(severity);
        self
    }
}

impl Rule {
    /// The rule's anchor in `docs/rules.md`.
    pub fn url(&self) -> String {
        format!("docs/rules.md#{}", self.code.to_ascii_lowercase())
    }

    pub fn diagnostic(&self, finding: Finding) -> Diagnostic {
        Diagnostic {
            code: self.code.to_string(),
            severity: finding.severity.unwrap_or(self.severity),
            message: finding.message,
            loc: Some(finding.loc),
            label: finding.label,
            related: finding.related,
            help: finding.help,
            url: Some(self.url()),
            source: Some(self.source.to_string()),
            fix: None,
        }
    }

    /// The rule's documentation as Markdown, as `attend explain` prints it.
    pub fn explain(&self) -> String {
        let mut out = format!("# {} {}\n\n", self.code, self.name);
        out.push_str(&format!("- severity: {}\n", self.severity.as_str()));
        out.push_str(&format!("- source: {}\n", self.source));
        out.push_str(&format!("- in force: {}\n\n", self.in_force));
        out.push_str(&format!(
            "## What it checks\n\n{}\n\n",
            self.docs.what.trim()
        ));
        out.push_str(&format!("## Why\n\n{}\n\n", self.docs.why.trim()));
        out.push_str(&format!(
            "## Example\n\n```text\n{}\n```\n\n",
            self.docs.example.trim_matches('\n')
        ));
        out.push_str(&format!("## How to fix\n\n{}\n", self.docs.fix.trim()));
        out
    }
}
