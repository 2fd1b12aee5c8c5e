//! `attend generate`: a synthetic cohort (pupils and a register) over a calendar's first
//! academic year, written as `pupils.csv` and `register.csv` (long CSV), each atomically.

use std::path::PathBuf;

use super::progress::{self, Bar};
use super::{EXIT_FAILURE, EXIT_OK, bundled_calendar, calendar_of, fs};
use crate::generate::{self, Config, Phase};
use crate::progress::Progress;
use crate::table::SchoolDays;

#[derive(clap::Args, Debug, Clone)]
#[command(
    after_help = "Examples:\n  attend generate --cohort 2000 --phase primary --seed 1 --out cohort\n  \
    attend generate --cohort 900 --phase secondary --seed 7 --out cohort \\\n    \
    --calendar policies/calendars/camden-2024-25.calendar\n\n\
    The same seed gives the same files. Without --calendar or --policy, the bundled illustrative \
    Camden 2024-25 calendar is used; only its first academic year is generated."
)]
pub struct GenerateArgs {
    /// How many pupils
    #[arg(long, value_name = "N")]
    pub cohort: usize,
    #[arg(long, value_enum)]
    pub phase: PhaseArg,
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seed: u64,
    /// Directory for pupils.csv and register.csv
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// A calendar file (.calendar, .toml, or an iCalendar .ics feed) whose first academic year to use
    #[arg(long, value_name = "FILE")]
    pub calendar: Option<PathBuf>,
    /// A policy whose calendar to use (replaced by --calendar when both are given)
    #[arg(long, value_name = "POLICY")]
    pub policy: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum PhaseArg {
    Primary,
    Secondary,
}

pub fn run(args: &GenerateArgs) -> u8 {
    match run_inner(args) {
        Ok(()) => EXIT_OK,
        Err(code) => code,
    }
}

fn run_inner(args: &GenerateArgs) -> Result<(), u8> {
    let calendar = calendar_of(
        args.policy.as_deref(),
        args.calendar.as_deref(),
        bundled_calendar(),
    )?;
    let days = SchoolDays::new(&calendar);
    if days.is_empty() {
        eprintln!("error[generate::no_school_days]: the calendar has no school days");
        return Err(EXIT_FAILURE);
    }
    let dates = days.first_year();
    let config = Config {
        cohort: args.cohort,
        phase: match args.phase {
            PhaseArg::Primary => Phase::Primary,
            PhaseArg::Secondary => Phase::Secondary,
        },
        seed: args.seed,
    };
    let spinner = Bar::spinner("generating cohort");
    let cohort = generate::generate(&config, dates);
    if let Err(e) = std::fs::create_dir_all(&args.out) {
        eprintln!("error: cannot create `{}`: {e}", args.out.display());
        return Err(EXIT_FAILURE);
    }
    let files = [
        ("pupils.csv", cohort.pupils_csv()),
        ("register.csv", cohort.register_csv()),
    ];
    spinner.finish();
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
        "generated {} pupils over {} school days ({} to {}): wrote {} and {}",
        cohort.pupils.len(),
        dates.len(),
        dates.first().map(ToString::to_string).unwrap_or_default(),
        dates.last().map(ToString::to_string).unwrap_or_default(),
        args.out.join("pupils.csv").display(),
        args.out.join("register.csv").display()
    );
    Ok(())
}
