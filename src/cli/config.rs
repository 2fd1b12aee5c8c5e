//! `attend.toml`: a trust's or school's settings for `attend check`, found from the working
//! folder upward as ruff and cargo find theirs. It sets the deny level, the calendar and the
//! rules to ignore in the files a glob names.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Deserialize;

use crate::check::rules::RULES;
use crate::diagnostic::{Diagnostic, Severity};
use crate::source::{Source, Span};

pub const FILE_NAME: &str = "attend.toml";

/// The least severe finding that fails a check (exit 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum DenyLevel {
    /// errors fail; warnings and info do not (the default)
    #[value(alias = "errors")]
    #[serde(alias = "errors")]
    Error,
    /// warnings and errors fail
    #[value(alias = "warnings")]
    #[serde(alias = "warnings")]
    Warning,
    /// every finding fails
    Info,
}

impl DenyLevel {
    pub fn denies(self, severity: Severity) -> bool {
        severity
            >= match self {
                DenyLevel::Error => Severity::Error,
                DenyLevel::Warning => Severity::Warning,
                DenyLevel::Info => Severity::Info,
            }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Raw {
    deny: Option<DenyLevel>,
    calendar: Option<PathBuf>,
    #[serde(default)]
    per_file_ignores: BTreeMap<String, Vec<String>>,
}

/// A read `attend.toml`.
pub struct Config {
    pub deny: Option<DenyLevel>,
    /// The calendar, relative paths taken from the config's folder.
    pub calendar: Option<PathBuf>,
    folder: PathBuf,
    globs: GlobSet,
    /// Rule codes per glob, in the order of `globs`.
    ignores: Vec<Vec<String>>,
}

impl Config {
    /// The rule codes to ignore in `file` (a path as given on the command line).
    pub fn ignored(&self, file: &Path) -> Vec<&str> {
        let absolute = std::path::absolute(file).unwrap_or_else(|_| file.to_path_buf());
        let relative = absolute.strip_prefix(&self.folder).unwrap_or(&absolute);
        self.globs
            .matches(relative)
            .into_iter()
            .flat_map(|i| self.ignores[i].iter().map(String::as_str))
            .collect()
    }
}

/// The `attend.toml` in `start` or the nearest folder above it, stopping at a folder with
/// `.git` (the top of a repository) or at the root.
pub fn discover(start: &Path) -> Option<PathBuf> {
    let start = std::path::absolute(start).ok()?;
    for folder in start.ancestors() {
        let candidate = folder.join(FILE_NAME);
        if candidate.is_file() {
            return Some(candidate);
        }
        if folder.join(".git").exists() {
            return None;
        }
    }
    None
}

/// Reads and validates a config file; a problem is a diagnostic pointing into it.
pub fn load(path: &Path) -> Result<Config, Box<Diagnostic>> {
    let src = super::fs::read_source(path)?;
    let at = |span: Span, message: String, help: &str| {
        Box::new(Diagnostic {
            code: "config::invalid".to_string(),
            severity: Severity::Error,
            message,
            loc: Some(src.loc(span)),
            label: None,
            related: Vec::new(),
            help: Some(help.to_string()),
            url: None,
            source: None,
            fix: None,
        })
    };
    let raw: Raw = toml::from_str(src.text()).map_err(|e| {
        let span = e
            .span()
            .map_or(Span::default(), |r| Span::new(r.start, r.end));
        at(
            span,
            format!(
                "`{}` is not a valid attend.toml: {}",
                path.display(),
                e.message()
            ),
            "attend.toml holds `deny = \"error\"|\"warning\"|\"info\"`, `calendar = \"FILE\"` and \
             a `[per-file-ignores]` table of `\"GLOB\" = [\"AT107\"]`",
        )
    })?;
    let folder = std::path::absolute(path)
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .unwrap_or_default();
    let mut builder = GlobSetBuilder::new();
    let mut ignores = Vec::new();
    for (pattern, codes) in &raw.per_file_ignores {
        let place = span_of(&src, pattern);
        let glob = Glob::new(pattern).map_err(|e| {
            at(
                place,
                format!("`{pattern}` is not a glob: {}", e.kind()),
                "write a glob relative to attend.toml's folder, e.g. `\"excerpts/*.policy\"`",
            )
        })?;
        builder.add(glob);
        let mut resolved = Vec::new();
        for code in codes {
            let Some(rule) = RULES.iter().find(|r| r.code == code || r.name == code) else {
                let help = crate::diagnostic::did_you_mean_help(
                    code,
                    RULES.iter().flat_map(|r| [r.code, r.name]),
                )
                .unwrap_or_else(|| "`attend rules` lists every rule's code".to_string());
                return Err(at(
                    span_of(&src, code),
                    format!("`{code}` in `[per-file-ignores]` is not a rule"),
                    &help,
                ));
            };
            resolved.push(rule.code.to_string());
        }
        ignores.push(resolved);
    }
    let globs = builder.build().map_err(|e| {
        at(
            Span::default(),
            format!("the globs of `[per-file-ignores]` cannot be used: {e}"),
            "write each glob relative to attend.toml's folder, e.g. `\"excerpts/*.policy\"`",
        )
    })?;
    Ok(Config {
        deny: raw.deny,
        calendar: raw.calendar.map(|c| folder.join(c)),
        folder,
        globs,
        ignores,
    })
}

/// Where `text` is first written as a quoted string in the config, for pointing at it.
fn span_of(src: &Source, text: &str) -> Span {
    let quoted = format!("\"{text}\"");
    src.text()
        .find(&quoted)
        .map_or(Span::default(), |i| Span::new(i, i + quoted.len()))
}
