//! `attend diff OLD NEW`: what changes from one version of a policy to another, as written
//! (bands, rules, steps, stages, letters, register times) and, with a register or a synthetic
//! cohort, as done (the actions that differ, by pupil, kind, stage and group).

use std::path::{Path, PathBuf};

use super::generate::PhaseArg;
use super::progress::Bar;
use super::simulate::register_or_cohort;
use super::{EXIT_FAILURE, EXIT_FINDINGS, EXIT_OK, bundled_calendar, fs, load, show_errors};
use crate::check::CheckedPolicy;
use crate::diff;
use crate::generate::Phase;
use crate::progress::Progress;
use crate::source::Source;
use crate::table::{DecisionTable, SchoolDays};
use crate::{analyse, table};

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum DiffFormat {
    Text,
    Markdown,
    Json,
}

#[derive(clap::Args, Debug, Clone)]
#[command(after_help = "Examples:\n  \
    attend diff policies/kings-cross-academy.policy policies/corrected/kings-cross-academy.policy\n  \
    attend diff old.policy new.policy --cohort 2000 --seed 1 --format markdown\n  \
    attend diff old.policy new.policy --register register.csv --pupils pupils.csv \\\n    \
    --calendar term-dates.calendar --report diff.html\n\n\
    Bands are compared as exact regions of attendance: each region that falls in another band \
    is given with a pupil in whole sessions (the fewest possible sessions the bands' evidence \
    guards allow). With --register/--pupils or --cohort both policies are run on the same \
    register and every action only one of them takes is listed.\n\
    A register is replayed over --calendar, else each policy's own term dates, else the \
    bundled illustrative Camden 2024-25 calendar; two policies with different term dates need \
    --calendar.\n\
    Exit status: 0 compared (with --exit-code: 0 no change, 1 changes), 1 a policy does not \
    parse or names what it does not define, 2 a file cannot be read or an input has errors.")]
pub struct DiffArgs {
    /// The policy as it was (.policy or .toml)
    pub old: PathBuf,
    /// The policy as it would be
    pub new: PathBuf,
    /// Register data (with --pupils) to replay both policies on
    #[arg(
        long,
        value_name = "FILE",
        requires = "pupils",
        conflicts_with = "cohort"
    )]
    pub register: Option<PathBuf>,
    /// Pupils CSV for --register
    #[arg(long, value_name = "FILE", requires = "register")]
    pub pupils: Option<PathBuf>,
    /// Replay both policies on a synthetic cohort of N pupils, made in memory
    #[arg(long, value_name = "N")]
    pub cohort: Option<usize>,
    /// The synthetic cohort's phase (default: the new policy's `phase`, else secondary)
    #[arg(long, value_enum, requires = "cohort")]
    pub phase: Option<PhaseArg>,
    /// The synthetic cohort's seed: the same seed, the same cohort
    #[arg(long, value_name = "S", default_value_t = 1, requires = "cohort")]
    pub seed: u64,
    /// A calendar file (.calendar, .toml, or an iCalendar .ics feed) used for both policies
    #[arg(long, value_name = "FILE")]
    pub calendar: Option<PathBuf>,
    /// text for a terminal, markdown for a paper to governors, json for programs
    #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
    pub format: DiffFormat,
    /// In text and Markdown, list the differing actions of the first N pupils (JSON lists all)
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub show: usize,
    /// Also write the diff as a self-contained HTML page (atomically)
    #[arg(long, value_name = "FILE.html")]
    pub report: Option<PathBuf>,
    /// Exit 1 when the policies differ, like `git diff --exit-code`
    #[arg(long)]
    pub exit_code: bool,
}

pub fn run(args: &DiffArgs) -> u8 {
    match run_inner(args) {
        Ok(code) => code,
        Err(code) => code,
    }
}

/// A policy read and checked, or the exit status after saying why it cannot be compared.
fn checked(path: &Path, src: &Source, calendar: Option<&Source>) -> Result<CheckedPolicy, u8> {
    checked_with_findings(path, src, calendar).map(|(c, _)| c)
}

/// [`checked`], with what `attend check` finds in it.
fn checked_with_findings(
    path: &Path,
    src: &Source,
    calendar: Option<&Source>,
) -> Result<(CheckedPolicy, Vec<crate::diagnostic::Diagnostic>), u8> {
    let analysis = analyse(src, calendar);
    let found = super::findings(path, src, &analysis);
    let Some(checked) = analysis.checked else {
        let errors: Vec<_> = found.iter().filter(|d| d.is_error()).cloned().collect();
        show_errors(&errors);
        eprintln!(
            "error: `{}` reports {} in this policy, so it cannot be compared\n  \
             = help: correct the errors above: a policy that does not parse, or names what it \
             does not define, has no meaning to compare",
            super::check_command(path, calendar),
            super::count_findings(&found)
        );
        return Err(EXIT_FINDINGS);
    };
    Ok((checked, found))
}

/// What `attend check` says of a policy, in one line: a diff compares policies as written,
/// errors included, and says so.
fn note_findings(path: &Path, calendar: Option<&Source>, found: &[crate::diagnostic::Diagnostic]) {
    if !found.is_empty() && !super::progress::quiet() {
        eprintln!(
            "note: `{}` reports {} in this policy; it is compared as written",
            super::check_command(path, calendar),
            super::count_findings(found)
        );
    }
}

fn compile(checked: &CheckedPolicy) -> Result<DecisionTable, u8> {
    let (table, diagnostics) = table::compile(checked);
    if diagnostics.iter().any(|d| d.is_error()) {
        show_errors(&diagnostics);
        return Err(EXIT_FINDINGS);
    }
    Ok(table)
}

fn run_inner(args: &DiffArgs) -> Result<u8, u8> {
    let old_src = load(&args.old)?;
    let new_src = load(&args.new)?;
    let calendar = args.calendar.as_deref().map(load).transpose()?;
    // Both are looked at, so one run names every policy that cannot be compared.
    let old = checked_with_findings(&args.old, &old_src, calendar.as_ref());
    let new = checked_with_findings(&args.new, &new_src, calendar.as_ref());
    let ((old, old_found), (new, new_found)) = (old?, new?);
    note_findings(&args.old, calendar.as_ref(), &old_found);
    note_findings(&args.new, calendar.as_ref(), &new_found);
    let mut d = diff::diff(
        old.policy(),
        new.policy(),
        &args.old.display().to_string(),
        &args.new.display().to_string(),
    );
    if args.register.is_some() || args.cohort.is_some() {
        d.replay = Some(replayed(
            args,
            &old_src,
            &new_src,
            &old,
            &new,
            calendar.as_ref(),
        )?);
    }
    let shown = match args.format {
        DiffFormat::Text => d.text(args.show),
        DiffFormat::Markdown => d.markdown(args.show),
        DiffFormat::Json => d.json(),
    };
    print!("{shown}");
    if let Some(path) = &args.report {
        let html = crate::report::diff_html(&d);
        if let Err(e) = fs::write_atomically(path, html.as_bytes()) {
            eprintln!("error: cannot write `{}`: {e}", path.display());
            return Err(EXIT_FAILURE);
        }
        if !super::progress::quiet() {
            eprintln!("wrote {}", path.display());
        }
    }
    Ok(if args.exit_code && !d.is_empty() {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    })
}

/// The table a register is replayed with: over `--calendar`, else the policy's own term
/// dates, else the bundled calendar.
fn replay_table(
    path: &Path,
    src: &Source,
    checked: &CheckedPolicy,
    calendar: Option<&Source>,
) -> Result<(DecisionTable, String), u8> {
    if let Some(c) = calendar {
        return Ok((compile(checked)?, format!("the calendar {}", c.name())));
    }
    if checked.policy().calendar.has_dates() {
        return Ok((
            compile(checked)?,
            format!("the term dates of {}", path.display()),
        ));
    }
    let bundled = bundled_calendar();
    let again = self::checked(path, src, Some(&bundled))?;
    Ok((
        compile(&again)?,
        format!("the bundled calendar {}", bundled.name()),
    ))
}

fn replayed(
    args: &DiffArgs,
    old_src: &Source,
    new_src: &Source,
    old: &CheckedPolicy,
    new: &CheckedPolicy,
    calendar: Option<&Source>,
) -> Result<diff::Replay, u8> {
    let (old_table, old_cal) = replay_table(&args.old, old_src, old, calendar)?;
    let (new_table, new_cal) = replay_table(&args.new, new_src, new, calendar)?;
    let days = SchoolDays::new(&new_table.calendar);
    if SchoolDays::new(&old_table.calendar).dates() != days.dates() {
        eprintln!(
            "error[diff::different_calendars]: the two policies have different school days \
             ({old_cal}; {new_cal}), so one register cannot be replayed on both\n  \
             = help: give the calendar the register was kept on with `--calendar FILE`"
        );
        return Err(EXIT_FAILURE);
    }
    if days.is_empty() {
        eprintln!("error[diff::no_school_days]: the calendar has no school days");
        return Err(EXIT_FAILURE);
    }
    let phase = || {
        Ok(match args.phase {
            Some(PhaseArg::Primary) => Phase::Primary,
            Some(PhaseArg::Secondary) => Phase::Secondary,
            None => match new.policy().phase.as_ref().map(|p| p.0) {
                Some(crate::model::Phase::Primary) => Phase::Primary,
                _ => Phase::Secondary,
            },
        })
    };
    let Some(cohort) = register_or_cohort(
        args.register.as_deref().zip(args.pupils.as_deref()),
        args.cohort,
        args.seed,
        phase,
        &new_table,
        &days,
    )?
    else {
        return Err(EXIT_FAILURE);
    };
    let article = if cohort.synthetic { "a " } else { "" };
    let (register, cohort) = (
        cohort.register,
        format!("{article}{}, over {new_cal}", cohort.what),
    );
    let spinner = Bar::spinner("replaying");
    let replay = diff::replay::replay(&old_table, &new_table, &days, &register, &cohort);
    spinner.finish();
    Ok(replay)
}
