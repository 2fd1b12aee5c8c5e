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
use crate::{analyse, table};

#[derive(clap::Args, Debug, Clone)]
#[command(after_help = "Examples:\n  \
    attend simulate policies/corrected/kings-cross-academy.policy \\\n    policies/corrected/attendance-thresholds.policy \\\n    \
    --cohort 2000 --seed 1 --out sim\n  \
    attend simulate school.policy --register register.csv --pupils pupils.csv \\\n    \
    --calendar term-dates.calendar --minutes letter=15 --out sim\n\n\
    Every policy is run over one calendar: --calendar, or the bundled illustrative Camden \
    2024-25 calendar.\n\
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
    #[arg(long, value_enum, default_value = "secondary")]
    pub phase: PhaseArg,
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seed: u64,
    /// A calendar file (.calendar, .toml, or an iCalendar .ics feed) used for every policy
    #[arg(long, value_name = "FILE")]
    pub calendar: Option<PathBuf>,
    /// Staff minutes per action kind, e.g. `--minutes letter=15 --minutes meeting=60`
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

fn run_inner(args: &SimulateArgs) -> Result<(), u8> {
    let minutes = Minutes::default().with(&args.minutes).map_err(|e| {
        eprintln!("error[simulate::bad_minutes]: {e}\n  = help: write `--minutes letter=15`");
        EXIT_FAILURE
    })?;
    let calendar = match &args.calendar {
        Some(path) => load(path)?,
        None => bundled_calendar(),
    };
    let mut tables = Vec::new();
    let mut warnings = Vec::new();
    let mut refused = None;
    for path in &args.policies {
        let src = load(path)?;
        let analysis = analyse(&src, Some(&calendar));
        let found = super::findings(path, &src, &analysis);
        let Some(checked) = analysis.checked else {
            refused = Some(super::refuse_malformed(path, Some(&calendar), &found));
            continue;
        };
        // Every policy is looked at, so one run names each that has errors.
        if let Err(code) = super::refuse_errors(path, Some(&calendar), &found, args.allow_errors) {
            refused = Some(code);
            continue;
        }
        warnings.extend(super::run_with_errors_note(path, &found));
        let (table, diagnostics) = table::compile(&checked);
        if diagnostics.iter().any(|d| d.is_error()) {
            show_errors(&diagnostics);
            return Err(EXIT_FINDINGS);
        }
        tables.push(table);
    }
    if let Some(code) = refused {
        return Err(code);
    }
    let Some(first) = tables.first() else {
        return Err(EXIT_FAILURE);
    };
    let days = SchoolDays::new(&first.calendar);
    if days.is_empty() {
        eprintln!("error[simulate::no_school_days]: the calendar has no school days");
        return Err(EXIT_FAILURE);
    }
    let (register, cohort) = match (&args.register, &args.pupils, args.cohort) {
        (Some(reg), Some(pupils), _) => {
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
            let pupils = register::read_pupils(&Input::path(pupils), options.limit())
                .map_err(show_problems)?;
            let register = register::read_register(
                &Input::path(reg),
                &first.calendar,
                &days,
                Some(&pupils),
                None,
                &options,
            )
            .map_err(show_problems)?;
            let what = format!("{} pupils from {}", register.len(), reg.display());
            (register, what)
        }
        (_, _, Some(n)) => {
            let first_year = days.academic_year(0);
            let dates: Vec<_> = (0..days.len())
                .take_while(|d| days.academic_year(*d) == first_year)
                .map(|d| days.date(d))
                .collect();
            let phase = match args.phase {
                PhaseArg::Primary => Phase::Primary,
                PhaseArg::Secondary => Phase::Secondary,
            };
            let config = Config {
                cohort: n,
                phase,
                seed: args.seed,
            };
            let spinner = Bar::spinner("generating cohort");
            let cohort = generate::generate(&config, &dates);
            spinner.finish();
            let what = format!(
                "synthetic {} cohort of {n} pupils (seed {})",
                match phase {
                    Phase::Primary => "primary",
                    Phase::Secondary => "secondary",
                },
                args.seed
            );
            (simulate::register_from_cohort(&cohort, &days), what)
        }
        _ => {
            eprintln!(
                "error[simulate::no_cohort]: give `--cohort N` or `--register FILE --pupils FILE`"
            );
            return Err(EXIT_FAILURE);
        }
    };
    let spinner = Bar::spinner("simulating");
    let sim = simulate::simulate(&tables, &days, &register, &minutes);
    spinner.finish();
    for warning in &warnings {
        println!("WARNING: {warning}\n");
    }
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
