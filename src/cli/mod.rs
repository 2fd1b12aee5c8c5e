//! The command line: the only place that reads files, writes files and prints. Each
//! subcommand loads its inputs, runs the library's pipeline and renders the results.

mod calendar;
mod check;
mod config;
mod demo;
mod diff;
pub mod done;
mod export;
mod fs;
mod generate;
mod init;
mod inputs;
mod letters;
mod lsp;
mod manual;
mod output;
mod progress;
mod rules;
mod run;
mod sarif;
mod simulate;
mod streamed;
mod summary;
mod suppress;
mod test;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::source::Source;
use crate::syntax::{self, Surface};
use crate::{analyse, load_calendar, table};

pub use output::{DiagnosticFormat, render_diagnostics};
use rules::RulesFormat;

#[derive(Parser, Debug)]
#[command(
    name = "attend",
    version,
    about = "Compile and validate English school attendance policies",
    long_about = "Compile and validate English school attendance policies.\n\n\
        A policy is written in the attend language (.policy) or in TOML (.toml). `attend check` \
        reports where it is malformed or departs from the national framework; `attend compile` \
        turns it into a decision table.",
    after_help = "Examples:\n  attend demo\n  attend check policies/kings-cross-academy.policy\n  \
        attend compile policies/national.policy --format markdown\n\n\
        Exit status (every command): 0 nothing to report; 1 findings at or above the deny level \
        (a policy with errors, a file not in canonical form); 2 attend could not do its job (a \
        file unreadable or unwritable, a wrong argument or setting)."
)]
pub struct Cli {
    /// No progress bars and no closing "wrote …" lines; results, warnings and errors are still
    /// printed. (Progress bars are only ever drawn when standard error is a terminal.)
    #[arg(long, short, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Report every problem in policies, or in every policy under a folder
    Check(check::CheckArgs),
    /// List the national rules `check` applies: code, severity, name, source
    #[command(
        after_help = "Examples:\n  attend rules\n  attend rules --format markdown > docs/rules.md"
    )]
    Rules {
        #[arg(long, value_enum, default_value_t = RulesFormat::Text)]
        format: RulesFormat,
    },
    /// Print a rule's documentation
    #[command(
        after_help = "Examples:\n  attend explain AT201\n  attend explain attendance-in-no-band"
    )]
    Explain {
        /// A rule code (`AT201`) or name (`attendance-in-no-band`)
        code: String,
    },
    /// Compile a policy into its decision table
    #[command(
        after_help = "Examples:\n  attend compile policies/kings-cross-academy.policy\n  \
        attend compile policies/national.policy --format json --output table.json\n  \
        attend compile school.policy --format sql --dialect spark --output school.sql"
    )]
    Compile {
        /// A policy file (.policy or .toml)
        policy: PathBuf,
        /// A calendar file (.calendar, .toml, or an iCalendar .ics feed) replacing the policy's term dates
        #[arg(long, value_name = "FILE")]
        calendar: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = TableFormat::Text)]
        format: TableFormat,
        /// With `--format sql`: the SQL engine the script is for
        #[arg(long, value_enum, default_value_t = DialectArg::Duckdb)]
        dialect: DialectArg,
        /// Write the table to this file (atomically) instead of standard output
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Print policies in canonical form, or convert between the DSL and TOML
    #[command(
        after_help = "Examples:\n  attend fmt policies/kings-cross-academy.policy\n  \
        attend fmt --check policies/*.policy\n  attend fmt --write school.policy\n  \
        attend fmt --to toml school.policy > school.toml\n\n\
        With --check, exit status 1 means a file is not in canonical form; 2 that a file \
        could not be read or written."
    )]
    Fmt {
        /// Policy or calendar files
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Write no file and print no text: name each file that would change on standard
        /// error, and exit 1 if any would
        #[arg(long, conflicts_with = "write")]
        check: bool,
        /// Rewrite each file in place (atomically)
        #[arg(long, short)]
        write: bool,
        /// The surface to print (default: the file's own)
        #[arg(long, value_enum)]
        to: Option<SurfaceArg>,
    },
    /// Apply a policy to register data: actions.csv, summary.csv, a day's list, a timeline
    Run(run::RunArgs),
    /// Record in the ledger what staff did about actions (by id, or an edited actions.csv)
    Done(done::DoneArgs),
    /// Check, compile and run the bundled example policy on the bundled example register
    #[command(after_help = "Example:\n  attend demo")]
    Demo,
    /// Generate a synthetic cohort (pupils.csv, register.csv) calibrated to national figures
    Generate(generate::GenerateArgs),
    /// Write a register read from any format (CTF, SIMS, JSON, a school's CSV...) as the long
    /// CSV and pupils CSV a compiled SQL script loads
    Export(export::ExportArgs),
    /// Compare policies on one cohort: actions, stages, staff time, equity; writes report.html
    Simulate(simulate::SimulateArgs),
    /// Run each policy's tests: small registers and the actions expected on which days
    Test(test::TestArgs),
    /// What changes from one version of a policy to another: bands, rules, and actions replayed
    Diff(diff::DiffArgs),
    /// Calendars: import an iCalendar (.ics) feed of term dates as a .calendar file
    #[command(after_help = "Examples:\n  attend calendar import term-dates.ics\n  \
        attend calendar import term-dates.ics -o school.calendar\n\n\
        Any command's --calendar also takes the .ics feed itself.")]
    Calendar {
        #[command(subcommand)]
        command: calendar::CalendarCommand,
    },
    /// Start a school's policy: attendance.policy, a calendar skeleton, letters, attend.toml
    Init(init::InitArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish)
    Completions(manual::CompletionsArgs),
    /// Print the manual page, or write a page per command with --out
    Man(manual::ManArgs),
    /// Serve the Language Server Protocol on standard input and output, for editors
    #[command(after_help = "Example (an editor starts it):\n  attend lsp\n\nSee docs/editors.md.")]
    Lsp,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum TableFormat {
    Text,
    Markdown,
    Json,
    /// One SQL script making `actions` and `summary` from tables `register` and `pupils`
    Sql,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum DialectArg {
    Duckdb,
    Spark,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum SurfaceArg {
    Dsl,
    Toml,
}

/// Exit statuses shared by the subcommands, as ruff and cargo give them: 0 nothing to report;
/// 1 the policy has findings at or above the deny level (errors by default: a policy that does
/// not parse, contradicts itself or breaks the law; `fmt --check`: not in canonical form);
/// 2 `attend` could not do its job (a file unreadable or unwritable, a wrong argument or
/// setting, register data it cannot read, a ledger it cannot use).
const EXIT_OK: u8 = 0;
const EXIT_FINDINGS: u8 = 1;
const EXIT_FAILURE: u8 = 2;

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    progress::set_quiet(cli.quiet);
    let code = match cli.command {
        Command::Check(args) => check::run(&args),
        Command::Rules { format } => {
            print!("{}", rules::render(format));
            EXIT_OK
        }
        Command::Explain { code } => match rules::explain(&code) {
            Ok(text) => {
                print!("{text}");
                EXIT_OK
            }
            Err(message) => {
                eprintln!("error: {message}");
                EXIT_FAILURE
            }
        },
        Command::Compile {
            policy,
            calendar,
            format,
            dialect,
            output,
        } => compile(
            &policy,
            calendar.as_deref(),
            format,
            dialect,
            output.as_deref(),
        ),
        Command::Fmt {
            files,
            check,
            write,
            to,
        } => fmt(&files, check, write, to),
        Command::Run(args) => run::run(&args),
        Command::Done(args) => done::run(&args),
        Command::Demo => demo::run(),
        Command::Generate(args) => generate::run(&args),
        Command::Export(args) => export::run(&args),
        Command::Simulate(args) => simulate::run(&args),
        Command::Test(args) => test::run(&args),
        Command::Diff(args) => diff::run(&args),
        Command::Calendar { command } => calendar::run(&command),
        Command::Init(args) => init::run(&args),
        Command::Completions(args) => manual::completions(&args),
        Command::Man(args) => manual::man(&args),
        Command::Lsp => lsp::run(),
    };
    ExitCode::from(code)
}

/// Reads a file as a [`Source`], or prints why it cannot and gives the exit status.
fn load(path: &std::path::Path) -> Result<Source, u8> {
    match fs::read_source(path) {
        Ok(src) => Ok(src),
        Err(diagnostic) => {
            show_errors(&[*diagnostic]);
            Err(EXIT_FAILURE)
        }
    }
}

fn color_stderr() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

fn color_stdout() -> bool {
    use std::io::IsTerminal;
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// Every finding `attend check` reports for one policy: the stages' and its letter
/// templates', in file order.
/// Inline suppressions (`# attend: allow AT201 -- reason`) are applied here, so `run` and
/// `simulate` refuse a policy only for the errors `check` shows.
fn findings(
    path: &std::path::Path,
    src: &Source,
    analysis: &crate::Analysis,
) -> Vec<crate::diagnostic::Diagnostic> {
    let mut found = analysis.diagnostics.clone();
    // Letter templates are files beside the policy: read here, checked in `letters`.
    if let Some(checked) = &analysis.checked {
        found.extend(letters::check(path, checked.policy()));
        found.sort_by_key(crate::diagnostic::Diagnostic::sort_key);
    }
    suppress::apply(src, found, analysis.checked.is_some())
}

/// `3 errors, 6 warnings and 1 info`: the findings counted by severity.
fn count_findings(found: &[crate::diagnostic::Diagnostic]) -> String {
    use crate::diagnostic::Severity;
    let n = |s: Severity| found.iter().filter(|d| d.severity == s).count();
    let (errors, warnings, info) = (n(Severity::Error), n(Severity::Warning), n(Severity::Info));
    format!(
        "{errors} {}, {warnings} {} and {info} info",
        plural(errors, "error", "errors"),
        plural(warnings, "warning", "warnings")
    )
}

/// The `attend check` command that reports what a command found in a policy: with the
/// calendar it used, since term dates change the findings.
fn check_command(path: &std::path::Path, calendar: Option<&Source>) -> String {
    match calendar {
        Some(calendar) => format!(
            "attend check {} --calendar {}",
            path.display(),
            calendar.name()
        ),
        None => format!("attend check {}", path.display()),
    }
}

/// What `run` and `simulate` do with what `check` finds in a policy: with errors (the policy
/// breaks the law or contradicts itself) they refuse, listing the errors, unless
/// `--allow-errors`; otherwise they say what `check` reports and carry on.
fn refuse_errors(
    path: &std::path::Path,
    calendar: Option<&Source>,
    found: &[crate::diagnostic::Diagnostic],
    allow_errors: bool,
) -> Result<(), u8> {
    let errors: Vec<_> = found.iter().filter(|d| d.is_error()).cloned().collect();
    if !errors.is_empty() && !allow_errors {
        show_errors(&errors);
        eprintln!(
            "error: `{}` reports {} in this policy, so it is not run\n  \
             = help: correct the errors above, or run the policy as written with `--allow-errors`",
            check_command(path, calendar),
            count_findings(found)
        );
        return Err(EXIT_FINDINGS);
    }
    if !found.is_empty() {
        eprintln!(
            "note: `{}` reports {} in this policy{}",
            check_command(path, calendar),
            count_findings(found),
            if errors.is_empty() {
                ""
            } else {
                "; running it as written (`--allow-errors`)"
            }
        );
    }
    Ok(())
}

/// What a report made from a policy run with `--allow-errors` says at its top, so figures that
/// follow a policy that breaks the law or contradicts itself never pass for a checked one:
/// the file, how many errors, and the first of them with its line.
fn run_with_errors_note(
    path: &std::path::Path,
    found: &[crate::diagnostic::Diagnostic],
) -> Option<String> {
    let errors: Vec<_> = found.iter().filter(|d| d.is_error()).collect();
    let first = errors.first()?;
    let at = first
        .position()
        .map(|(_, line, _)| format!(" (line {line})"))
        .unwrap_or_default();
    let more = match errors.len() {
        1 => String::new(),
        2 => ", and 1 more".to_string(),
        n => format!(", and {} more", n - 1),
    };
    Some(format!(
        "`{}` was run as written with {} that `attend check` reports (`--allow-errors`): {} [{}]{at}{more}. These figures follow that policy, errors included.",
        path.display(),
        if errors.len() == 1 {
            "1 error".to_string()
        } else {
            format!("{} errors", errors.len())
        },
        first.message,
        first.code,
    ))
}

/// What `run` and `simulate` say of a policy that does not parse or names what it does not
/// define: its errors, and that not even `--allow-errors` can run it.
fn refuse_malformed(
    path: &std::path::Path,
    calendar: Option<&Source>,
    found: &[crate::diagnostic::Diagnostic],
) -> u8 {
    let errors: Vec<_> = found.iter().filter(|d| d.is_error()).cloned().collect();
    show_errors(&errors);
    eprintln!(
        "error: `{}` reports {} in this policy, so it is not run\n  \
         = help: correct the errors above: a policy that does not parse, or names what it does \
         not define, cannot be run even with `--allow-errors`",
        check_command(path, calendar),
        count_findings(found)
    );
    EXIT_FINDINGS
}

fn plural(n: usize, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 { one } else { many }
}

fn compile(
    policy: &std::path::Path,
    calendar: Option<&std::path::Path>,
    format: TableFormat,
    dialect: DialectArg,
    output: Option<&std::path::Path>,
) -> u8 {
    let src = match load(policy) {
        Ok(src) => src,
        Err(code) => return code,
    };
    let calendar = match calendar.map(load).transpose() {
        Ok(c) => c,
        Err(code) => return code,
    };
    let analysis = analyse(&src, calendar.as_ref());
    let found = findings(policy, &src, &analysis);
    let Some(checked) = analysis.checked else {
        show_errors(&analysis.diagnostics);
        return EXIT_FINDINGS;
    };
    let (table, table_diagnostics) = table::compile(&checked);
    // The policy is well-formed, so the table stands; what the checker found about the law is
    // `attend check`'s to show in full, and compile only says it is there, counted as `check`
    // counts it.
    if !found.is_empty() {
        eprintln!(
            "note: `{}` reports {} in this policy",
            check_command(policy, calendar.as_ref()),
            count_findings(&found)
        );
    }
    if !table_diagnostics.is_empty() {
        show_errors(&table_diagnostics);
    }
    let shown = table_diagnostics;
    let text = match format {
        TableFormat::Text => table::render_text(&table),
        TableFormat::Markdown => table::render_markdown(&table),
        TableFormat::Json => table::render_json(&table) + "\n",
        TableFormat::Sql => {
            let dialect = match dialect {
                DialectArg::Duckdb => crate::sql::Dialect::DuckDb,
                DialectArg::Spark => crate::sql::Dialect::Spark,
            };
            let days = table::SchoolDays::new(&table.calendar);
            let whole = src.loc(crate::source::Span::new(0, 0));
            match crate::sql::compile(&table, &days, dialect, &whole) {
                Ok(script) => script,
                Err(errors) => {
                    show_errors(&errors);
                    return EXIT_FINDINGS;
                }
            }
        }
    };
    match output {
        Some(path) => {
            if let Err(e) = fs::write_atomically(path, text.as_bytes()) {
                eprintln!("error: cannot write `{}`: {e}", path.display());
                return EXIT_FAILURE;
            }
        }
        None => print!("{text}"),
    }
    if shown.iter().any(|d| d.is_error()) {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }
}

fn fmt(files: &[PathBuf], check: bool, write: bool, to: Option<SurfaceArg>) -> u8 {
    let mut status = EXIT_OK;
    for path in files {
        let src = match load(path) {
            Ok(src) => src,
            Err(code) => return code,
        };
        if crate::ics::is_icalendar(src.text()) {
            eprintln!(
                "error: `{}` is an iCalendar feed, which `attend fmt` does not rewrite
                   = help: `attend calendar import {}` writes it as a .calendar file",
                path.display(),
                path.display()
            );
            return EXIT_FAILURE;
        }
        let parsed = match syntax::parse(&src) {
            Ok(file) => file,
            Err(errors) => {
                show_errors(&errors);
                return EXIT_FINDINGS;
            }
        };
        let surface = match to {
            Some(SurfaceArg::Dsl) => Surface::Dsl,
            Some(SurfaceArg::Toml) => Surface::Toml,
            None => Surface::of_path(src.name()),
        };
        if surface == Surface::Toml {
            let lost = syntax::toml_cannot_hold(&parsed);
            if !lost.is_empty() {
                show_errors(&lost);
                return EXIT_FAILURE;
            }
        }
        let text = syntax::print(&parsed, surface);
        if check {
            if text != src.text() {
                eprintln!("{} is not in canonical form", path.display());
                status = EXIT_FINDINGS;
            }
        } else if write {
            if text != src.text()
                && let Err(e) = fs::replace_keeping_mode(path, text.as_bytes())
            {
                eprintln!("error: cannot write `{}`: {e}", path.display());
                return EXIT_FAILURE;
            }
        } else {
            let mut stdout = std::io::stdout().lock();
            if stdout.write_all(text.as_bytes()).is_err() {
                return EXIT_FAILURE;
            }
        }
    }
    status
}

const BUNDLED_CALENDAR: &str = include_str!("../../policies/calendars/camden-2024-25.calendar");

/// The illustrative Camden calendar every command falls back to when given none.
/// The calendar of `policy` (replaced by `calendar` when both are given), of `calendar`
/// alone, or else of `default`; the diagnostics are printed when it cannot be read.
fn calendar_of(
    policy: Option<&std::path::Path>,
    calendar: Option<&std::path::Path>,
    default: Source,
) -> Result<crate::model::Calendar, u8> {
    let calendar_src = calendar.map(load).transpose()?;
    if let Some(policy) = policy {
        let src = load(policy)?;
        let analysis = analyse(&src, calendar_src.as_ref());
        let Some(checked) = analysis.checked else {
            show_errors(&analysis.diagnostics);
            return Err(EXIT_FAILURE);
        };
        return Ok(table::compile(&checked).0.calendar);
    }
    let src = calendar_src.as_ref().unwrap_or(&default);
    let (calendar, diagnostics) = load_calendar(src).map_err(|d| {
        show_errors(&d);
        EXIT_FAILURE
    })?;
    if diagnostics.iter().any(|d| d.is_error()) {
        show_errors(&diagnostics);
        return Err(EXIT_FAILURE);
    }
    Ok(calendar)
}

fn bundled_calendar() -> Source {
    Source::new(
        "policies/calendars/camden-2024-25.calendar",
        BUNDLED_CALENDAR,
    )
}

/// Prints diagnostics on standard error, as people read them.
fn show_errors(diagnostics: &[crate::diagnostic::Diagnostic]) {
    eprint!(
        "{}",
        render_diagnostics(diagnostics, DiagnosticFormat::Human, color_stderr())
    );
}
