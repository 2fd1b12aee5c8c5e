//! `attend check`: every finding in one or more policies, or in every policy under a folder,
//! with the settings of the nearest `attend.toml`, and an exit status as ruff and cargo give:
//! 0 clean, 1 findings at or above the deny level, 2 when the check itself could not be done.

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use super::config::{self, Config, DenyLevel};
use super::output::{DiagnosticFormat, render_diagnostics};
use super::summary::{self, SummaryFormat};
use super::{EXIT_FAILURE, EXIT_FINDINGS, EXIT_OK, color_stdout, fs, load, plural, show_errors};
use crate::analyse;
use crate::diagnostic::Diagnostic;
use crate::source::Source;

#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  attend check policies/kings-cross-academy.policy\n  \
    attend check policies/ --summary --format csv\n  \
    attend check school.policy --calendar term-dates.calendar --deny warning\n\n\
    Exit status: 0 no finding at or above the deny level, 1 findings at or above it (errors by \
    default), 2 a file could not be read, an argument or attend.toml is wrong.\n\
    Settings come from the nearest attend.toml from the working folder upward (docs/check.md); \
    `# attend: allow AT201 -- reason` silences one rule on one line."
)]
pub struct CheckArgs {
    /// Policy files (.policy or .toml), or folders to search for them
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// A calendar file (.calendar, .toml, or an iCalendar .ics feed) replacing each policy's term dates
    #[arg(long, value_name = "FILE")]
    calendar: Option<PathBuf>,
    /// human, json or sarif for findings; markdown, csv or json with --summary
    #[arg(long, value_enum)]
    format: Option<CheckFormat>,
    /// The least severe finding that fails the check (exit 1): error (default), warning, info
    #[arg(long, value_enum, value_name = "LEVEL")]
    deny: Option<DenyLevel>,
    /// Print a compliance matrix (policy × rule: counts, each school's name and URN) instead
    /// of the findings, in the --format given (Markdown by default)
    #[arg(long, value_enum, num_args = 0..=1, require_equals = true, default_missing_value = "markdown", value_name = "FORMAT")]
    summary: Option<SummaryFormat>,
    /// Read these settings instead of the attend.toml found from the working folder upward
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    config: Option<PathBuf>,
    /// Read no attend.toml
    #[arg(long)]
    no_config: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum CheckFormat {
    /// miette reports pointing at the source
    Human,
    /// findings, or with --summary the matrix, as JSON
    Json,
    /// SARIF 2.1.0, for code-scanning views
    Sarif,
    /// the --summary matrix as Markdown
    Markdown,
    /// the --summary matrix as CSV
    Csv,
}

pub fn run(args: &CheckArgs) -> u8 {
    let config = match read_config(args) {
        Ok(config) => config,
        Err(code) => return code,
    };
    let summary_format = match (args.summary, args.format) {
        (None, Some(format @ (CheckFormat::Markdown | CheckFormat::Csv))) => {
            eprintln!(
                "error: `--format {}` is a format of the summary: add `--summary`",
                if format == CheckFormat::Csv {
                    "csv"
                } else {
                    "markdown"
                }
            );
            return EXIT_FAILURE;
        }
        (Some(_), Some(CheckFormat::Sarif)) => {
            eprintln!(
                "error: `--summary` is Markdown, CSV or JSON\n  = help: use `--summary --format csv`"
            );
            return EXIT_FAILURE;
        }
        (None, _) => None,
        (Some(_), Some(CheckFormat::Json)) => Some(SummaryFormat::Json),
        (Some(_), Some(CheckFormat::Csv)) => Some(SummaryFormat::Csv),
        (Some(_), Some(CheckFormat::Markdown)) => Some(SummaryFormat::Markdown),
        (Some(given), Some(CheckFormat::Human) | None) => Some(given),
    };
    let format = match args.format {
        Some(CheckFormat::Json) => DiagnosticFormat::Json,
        Some(CheckFormat::Sarif) => DiagnosticFormat::Sarif,
        _ => DiagnosticFormat::Human,
    };
    let deny = args
        .deny
        .or(config.as_ref().and_then(|c| c.deny))
        .unwrap_or(DenyLevel::Error);
    let calendar_path = args
        .calendar
        .clone()
        .or_else(|| config.as_ref().and_then(|c| c.calendar.clone()));
    let calendar = match calendar_path.as_deref().map(load).transpose() {
        Ok(c) => c,
        Err(code) => return code,
    };
    let mut files = Vec::new();
    let mut failed = false;
    for path in &args.paths {
        if path.is_dir() {
            match policies_under(path) {
                Ok(found) => files.extend(found),
                Err(diagnostic) => {
                    show_errors(&[*diagnostic]);
                    failed = true;
                }
            }
        } else {
            files.push(path.clone());
        }
    }
    let mut all = Vec::new();
    let mut per_policy = Vec::new();
    for path in &files {
        let (found, school) = match fs::read_source(path) {
            Ok(src) => {
                let analysis = analyse(&src, calendar.as_ref());
                let mut found = super::findings(path, &src, &analysis);
                if let Some(config) = &config {
                    let ignored = config.ignored(path);
                    found.retain(|d| !ignored.contains(&d.code.as_str()));
                }
                (found, school(&src, &analysis))
            }
            Err(diagnostic) => {
                failed = true;
                (vec![*diagnostic], summary::School::default())
            }
        };
        all.extend(found.iter().cloned());
        per_policy.push(summary::PolicyFindings {
            name: path.display().to_string(),
            school,
            diagnostics: found,
        });
    }
    match summary_format {
        Some(summary_format) => print!("{}", summary::render(&per_policy, summary_format)),
        None => print!("{}", render_diagnostics(&all, format, color_stdout())),
    }
    if format == DiagnosticFormat::Human && summary_format.is_none() {
        eprintln!(
            "checked {} {}: {}",
            files.len(),
            plural(files.len(), "policy", "policies"),
            super::count_findings(&all)
        );
    }
    if failed {
        EXIT_FAILURE
    } else if all.iter().any(|d| deny.denies(d.severity)) {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }
}

/// The config named by `--config`, or the one found upward from the working folder.
fn read_config(args: &CheckArgs) -> Result<Option<Config>, u8> {
    if args.no_config {
        return Ok(None);
    }
    let path = match &args.config {
        Some(path) => Some(path.clone()),
        None => std::env::current_dir()
            .ok()
            .and_then(|dir| config::discover(&dir)),
    };
    let Some(path) = path else {
        return Ok(None);
    };
    config::load(&path).map(Some).map_err(|diagnostic| {
        show_errors(&[*diagnostic]);
        EXIT_FAILURE
    })
}

/// Every policy under `folder`, sorted: each `.policy` file, and each `.toml` file that is a
/// policy (it has a `[policy]` table, so calendars and settings are left alone). Hidden
/// folders and files are skipped.
pub(super) fn policies_under(folder: &Path) -> Result<Vec<PathBuf>, Box<Diagnostic>> {
    let mut found = Vec::new();
    let walk = walkdir::WalkDir::new(folder)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
    for entry in walk {
        let entry = entry.map_err(|e| super::fs::unreadable(&folder.display(), &e))?;
        let path = entry.path();
        if !entry.file_type().is_file() {
            continue;
        }
        let extension = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        match extension.as_deref() {
            Some("policy") => found.push(path.to_path_buf()),
            Some("toml") if is_toml_policy(path) => found.push(path.to_path_buf()),
            _ => {}
        }
    }
    Ok(found)
}

/// Whether a TOML file is a policy: it has a `[policy]` table. A file too broken to read as
/// TOML is a policy when a line of it opens that table, so its problems are still reported.
fn is_toml_policy(path: &Path) -> bool {
    if path.file_name().is_some_and(|n| n == config::FILE_NAME) {
        return false;
    }
    let Ok(text) = std::fs::read_to_string(path) else {
        // Unreadable: let the check report why.
        return true;
    };
    match toml::from_str::<toml::Table>(&text) {
        Ok(table) => table.contains_key("policy"),
        Err(_) => text.lines().any(|l| l.trim() == "[policy]"),
    }
}

/// The school a policy names, for the summary's rows: from the checked model, or, when the
/// policy has model errors, from what it wrote.
fn school(src: &Source, analysis: &crate::Analysis) -> summary::School {
    if let Some(checked) = &analysis.checked {
        let policy = checked.policy();
        return summary::School {
            name: Some(policy.name.clone()),
            urn: policy.urn.as_ref().map(|(urn, _)| *urn),
        };
    }
    match crate::syntax::parse(src) {
        Ok(crate::syntax::ast::File::Policy(ast)) => summary::School {
            name: Some(ast.node.name.node.clone()),
            urn: ast.node.items.iter().find_map(|item| match &item.node {
                crate::syntax::ast::Item::Urn(urn) => Some(urn.node),
                _ => None,
            }),
        },
        _ => summary::School::default(),
    }
}
