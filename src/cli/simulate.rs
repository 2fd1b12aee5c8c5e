//! `attend simulate`: several policies applied to one cohort (a register and pupils file, or
//! a synthetic cohort made in memory), compared side by side; writes `comparison.csv` and
//! `report.html` atomically.

use std::path::PathBuf;

use super::generate::PhaseArg;
use super::progress::{self, Bar, Unit};
use super::{EXIT_FAILURE, EXIT_FINDINGS, EXIT_OK, bundled_calendar, fs, load, show_errors};
use crate::generate::{self, Config, Phase};
use crate::progress::Progress;
use crate::register::{self, Input, ReadOptions};
use crate::simulate::{self, Minutes};
use crate::table::SchoolDays;
use crate::{analyse, model, table};

#[derive(clap::Args, Debug, Clone)]
#[command(after_help = "Examples:\n  \
    attend simulate policies/corrected/kings-cross-academy.policy \\\n    policies/corrected/attendance-thresholds.policy \\\n    \
    --cohort 2000 --seed 1 --out sim\n  \
    attend simulate school.policy --register register.csv --pupils pupils.csv \\\n    \
    --minutes letter=15 --out sim\n\n\
    Each policy runs on its own term dates; one that gives none runs on the bundled \
    illustrative Camden 2024-25 calendar, and --calendar runs every policy on that file. \
    Policies whose calendars differ are refused: one register has one calendar.\n\
    The cohort's phase is the policies' own `phase` (primary, or secondary) when they state \
    one; --phase chooses it otherwise, or overrides it.\n\
    Staff time counts each action once, on the day it is due, at these minutes per action \
    (--minutes KIND=MIN changes one): letter 10, contact 5, meeting 45, home_visit 45, \
    review 5, notify 10, refer 30, consider 15, penalty_warning 20, support 30, detention 5, \
    certificate 1, sticker 0, reward 2.\n\
    Exit status: 0 done, 1 `attend check` finds errors in a policy (refused without \
    --allow-errors), 2 a policy cannot be read or an input has errors (nothing is written).")]
pub struct SimulateArgs {
    /// Policies to compare (.policy or .toml)
    #[arg(required = true)]
    pub policies: Vec<PathBuf>,
    /// Register data (with --pupils) instead of a synthetic cohort
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
    /// A synthetic cohort of N pupils, made in memory
    #[arg(long, value_name = "N", required_unless_present = "register")]
    pub cohort: Option<usize>,
    /// The synthetic cohort's phase [default: the policies' own `phase`, or secondary]
    #[arg(long, value_enum)]
    pub phase: Option<PhaseArg>,
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seed: u64,
    /// A calendar file (.calendar, .toml, or an iCalendar .ics feed) replacing every policy's own term dates
    #[arg(long, value_name = "FILE")]
    pub calendar: Option<PathBuf>,
    /// Staff minutes per action of a kind, e.g. `--minutes letter=15 --minutes meeting=60` (the defaults are below)
    #[arg(long, value_name = "KIND=MIN")]
    pub minutes: Vec<String>,
    /// Simulate policies `attend check` finds errors in as written, instead of refusing
    #[arg(long)]
    pub allow_errors: bool,
    /// Directory for comparison.csv and report.html
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

pub fn run(args: &SimulateArgs) -> u8 {
    match run_inner(args) {
        Ok(()) => EXIT_OK,
        Err(code) => code,
    }
}

/// A policy read, checked and compiled, with what the comparison says of it.
struct Loaded {
    path: PathBuf,
    table: table::DecisionTable,
    /// The calendar it runs on, in words.
    calendar: String,
    check: String,
    phase: Option<Phase>,
}

fn run_inner(args: &SimulateArgs) -> Result<(), u8> {
    let minutes = Minutes::default().with(&args.minutes).map_err(|e| {
        eprintln!(
            "error[simulate::bad_minutes]: {e}\n  = help: write `--minutes letter=15`; the defaults: {}",
            Minutes::default().describe()
        );
        EXIT_FAILURE
    })?;
    let given = args.calendar.as_deref().map(load).transpose()?;
    let mut loaded: Vec<Loaded> = Vec::new();
    let mut warnings = Vec::new();
    let mut refused = None;
    for path in &args.policies {
        let src = load(path)?;
        // The policy's own term dates, unless `--calendar` replaces them; one with none (or
        // one that does not compile) is run and checked on the bundled calendar.
        let mut calendar = given.clone();
        let mut analysis = analyse(&src, calendar.as_ref());
        let own = calendar.is_none()
            && analysis
                .checked
                .as_ref()
                .is_some_and(|c| c.policy().calendar.has_dates());
        if calendar.is_none() && !own {
            calendar = Some(bundled_calendar());
            analysis = analyse(&src, calendar.as_ref());
        }
        let found = super::findings(path, &src, &analysis);
        let Some(checked) = analysis.checked else {
            refused = Some(super::refuse_malformed(path, calendar.as_ref(), &found));
            continue;
        };
        // Every policy is looked at, so one run names each that has errors.
        if let Err(code) = super::refuse_errors(path, calendar.as_ref(), &found, args.allow_errors)
        {
            refused = Some(code);
            continue;
        }
        warnings.extend(super::run_with_errors_note(path, &found));
        let (table, diagnostics) = table::compile(&checked);
        if diagnostics.iter().any(|d| d.is_error()) {
            show_errors(&diagnostics);
            return Err(EXIT_FINDINGS);
        }
        let phase = match checked.policy().phase.as_ref().map(|(p, _)| *p) {
            Some(model::Phase::Nursery | model::Phase::Primary) => Some(Phase::Primary),
            Some(model::Phase::Secondary) => Some(Phase::Secondary),
            _ => None,
        };
        loaded.push(Loaded {
            path: path.clone(),
            calendar: match &calendar {
                Some(c) => c.name().to_string(),
                None => "its own term dates".to_string(),
            },
            check: super::count_findings(&found),
            phase,
            table,
        });
    }
    if let Some(code) = refused {
        return Err(code);
    }
    let Some(first) = loaded.first() else {
        return Err(EXIT_FAILURE);
    };
    let days = SchoolDays::new(&first.table.calendar);
    if days.is_empty() {
        eprintln!("error[simulate::no_school_days]: the calendar has no school days");
        return Err(EXIT_FAILURE);
    }
    if let Some(other) = loaded
        .iter()
        .find(|l| SchoolDays::new(&l.table.calendar).dates() != days.dates())
    {
        let other_days = SchoolDays::new(&other.table.calendar);
        let describe = |l: &Loaded, d: &SchoolDays| {
            let span = match (d.len(), d.len().checked_sub(1)) {
                (0, _) | (_, None) => "no school days".to_string(),
                (n, Some(last)) => format!("{n} school days, {} to {}", d.date(0), d.date(last)),
            };
            format!("`{}` runs on {} ({span})", l.path.display(), l.calendar)
        };
        eprintln!(
            "error[simulate::calendars_differ]: the policies' calendars differ: {}, but {}; one register can be simulated on one calendar only\n  \
             = help: run every policy on the same calendar with `--calendar FILE`",
            describe(first, &days),
            describe(other, &other_days)
        );
        return Err(EXIT_FAILURE);
    }
    let tables: Vec<table::DecisionTable> = loaded.iter().map(|l| l.table.clone()).collect();
    let Some(first) = tables.first() else {
        return Err(EXIT_FAILURE);
    };
    let (register, cohort) = match register_or_cohort(
        args.register.as_deref().zip(args.pupils.as_deref()),
        args.cohort,
        args.seed,
        || cohort_phase(args.phase, &loaded),
        first,
        &days,
    )? {
        Some(Cohort { register, what, .. }) => (register, what),
        None => {
            eprintln!(
                "error[simulate::no_cohort]: give `--cohort N` or `--register FILE --pupils FILE`"
            );
            return Err(EXIT_FAILURE);
        }
    };
    let spinner = Bar::spinner("simulating");
    let mut sim = simulate::simulate(&tables, &days, &register, &minutes);
    spinner.finish();
    let files: Vec<String> = loaded
        .iter()
        .map(|l| l.path.display().to_string())
        .collect();
    let checks: Vec<String> = loaded.iter().map(|l| l.check.clone()).collect();
    simulate::name_policies(&mut sim, &files, &checks);
    for warning in &warnings {
        println!("WARNING: {warning}\n");
    }
    println!("Cohort: {cohort}");
    print!("{}", sim.text(&days));
    let html = crate::report::html(&crate::report::Report {
        title: "Attendance policy comparison",
        cohort: &cohort,
        sim: &sim,
        tables: &tables,
        days: &days,
        warnings: &warnings,
    });
    if let Err(e) = std::fs::create_dir_all(&args.out) {
        eprintln!("error: cannot create `{}`: {e}", args.out.display());
        return Err(EXIT_FAILURE);
    }
    let files = [
        ("comparison.csv", sim.csv(&days)),
        ("report.html", html.into_bytes()),
    ];
    for (name, bytes) in files {
        let path = args.out.join(name);
        if let Err(e) = fs::write_atomically(&path, &bytes) {
            eprintln!("error: cannot write `{}`: {e}", path.display());
            return Err(EXIT_FAILURE);
        }
    }
    if progress::quiet() {
        return Ok(());
    }
    println!(
        "\nwrote {} and {}",
        args.out.join("comparison.csv").display(),
        args.out.join("report.html").display()
    );
    Ok(())
}

/// The register a comparison runs on, and how to name it.
pub(super) struct Cohort {
    pub register: register::Register,
    /// "N pupils from FILE" (the school's), or "synthetic PHASE cohort of N pupils (seed S)".
    pub what: String,
    /// Made in memory over the calendar's first academic year, not read.
    pub synthetic: bool,
}

/// Reads the school's register (`school`: the register and pupils files), or else generates
/// a cohort of `cohort` pupils; `None` when neither is given. `phase` is asked only for a
/// synthetic cohort, since only it has one.
pub(super) fn register_or_cohort(
    school: Option<(&std::path::Path, &std::path::Path)>,
    cohort: Option<usize>,
    seed: u64,
    phase: impl FnOnce() -> Result<Phase, u8>,
    table: &table::DecisionTable,
    days: &SchoolDays,
) -> Result<Option<Cohort>, u8> {
    if let Some((reg, pupils)) = school {
        let options = ReadOptions {
            progress: Bar::new("reading register", Unit::Bytes).handle(),
            ..ReadOptions::default()
        };
        let show_problems = |p: Vec<register::InputProblem>| {
            for problem in &p {
                eprint!("{problem}");
            }
            EXIT_FAILURE
        };
        let pupils =
            register::read_pupils(&Input::path(pupils), options.limit()).map_err(show_problems)?;
        let register = register::read_register(
            &Input::path(reg),
            &table.calendar,
            days,
            Some(&pupils),
            None,
            &options,
        )
        .map_err(show_problems)?;
        let what = format!("{} pupils from {}", register.len(), reg.display());
        return Ok(Some(Cohort {
            register,
            what,
            synthetic: false,
        }));
    }
    let Some(n) = cohort else {
        return Ok(None);
    };
    let phase = phase()?;
    let config = Config {
        cohort: n,
        phase,
        seed,
    };
    let spinner = Bar::spinner("generating cohort");
    let cohort = generate::generate(&config, days.first_year());
    spinner.finish();
    let what = format!(
        "synthetic {} cohort of {n} pupils (seed {seed})",
        match phase {
            Phase::Primary => "primary",
            Phase::Secondary => "secondary",
        }
    );
    Ok(Some(Cohort {
        register: simulate::register_from_cohort(&cohort, days),
        what,
        synthetic: true,
    }))
}

/// The synthetic cohort's phase: `--phase`, else the phase the policies state (primary or
/// secondary; a nursery counts as primary), else secondary. Policies stating different
/// phases need `--phase`.
fn cohort_phase(arg: Option<PhaseArg>, loaded: &[Loaded]) -> Result<Phase, u8> {
    if let Some(arg) = arg {
        let phase = match arg {
            PhaseArg::Primary => Phase::Primary,
            PhaseArg::Secondary => Phase::Secondary,
        };
        for l in loaded
            .iter()
            .filter(|l| l.phase.is_some_and(|p| p != phase))
        {
            eprintln!(
                "note: `--phase` overrides the phase `{}` states",
                l.path.display()
            );
        }
        return Ok(phase);
    }
    let stated: Vec<&Loaded> = loaded.iter().filter(|l| l.phase.is_some()).collect();
    let Some(first) = stated.first() else {
        return Ok(Phase::Secondary);
    };
    if let Some(other) = stated.iter().find(|l| l.phase != first.phase) {
        let word = |l: &Loaded| match l.phase {
            Some(Phase::Primary) => "primary",
            _ => "secondary",
        };
        eprintln!(
            "error[simulate::phases_differ]: `{}` is a {} policy and `{}` a {} one, so the cohort's phase is not clear\n  \
             = help: choose it with `--phase primary` or `--phase secondary`",
            first.path.display(),
            word(first),
            other.path.display(),
            word(other)
        );
        return Err(EXIT_FAILURE);
    }
    Ok(first.phase.unwrap_or(Phase::Secondary))
}
