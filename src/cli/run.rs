//! `attend run`: apply a policy to register data. Reads the policy, the calendar, the pupils
//! file, the codes map and the register; writes `actions.csv` and `summary.csv` atomically;
//! prints the short summary, the day's list (`--on`) or one pupil's timeline (`--explain`).

use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use super::progress::{self, Bar, Unit};
use super::{EXIT_ERRORS, EXIT_OK, fs, load, show_errors};
use crate::engine::{self, calendar::SchoolDays};
use crate::register::{self, CodesMap, Input, InputProblem, ReadOptions};
use crate::{analyse, table};

#[derive(clap::Args, Debug, Clone)]
#[command(
    after_help = "Examples:\n  attend run policies/national.policy --calendar policies/calendars/camden-2024-25.calendar \\\n    \
    --register examples/data/register.csv --pupils examples/data/pupils.csv --out out\n  \
    attend run school.policy --register marks.csv.gz --pupils pupils.csv --out out --on 2024-11-18\n  \
    attend run school.policy --register today.csv --pupils pupils.csv --on today\n  \
    attend run school.policy --register register.csv --pupils pupils.csv --explain P0042\n\n\
    Exit status: 0 done, 1 `attend check` finds errors in the policy (refused without \
    --allow-errors), 2 the policy cannot be read or an input has errors (nothing is written)."
)]
pub struct RunArgs {
    /// The policy (.policy or .toml)
    pub policy: PathBuf,
    /// Register data: long CSV, compact marks CSV or CTF XML (gzip allowed)
    #[arg(long, value_name = "FILE")]
    pub register: PathBuf,
    /// Pupils CSV: pupil_id,date_of_birth,year_group[,admission_date,leaving_date,sen,...]
    #[arg(long, value_name = "FILE")]
    pub pupils: Option<PathBuf>,
    /// A calendar file (.calendar or .toml) replacing the policy's term dates
    #[arg(long, value_name = "FILE")]
    pub calendar: Option<PathBuf>,
    /// School-local codes: local,national (or mis_mark,mark,valid_from,valid_to)
    #[arg(long, value_name = "FILE")]
    pub codes_map: Option<PathBuf>,
    /// Directory for actions.csv and summary.csv (required unless --on or --explain)
    #[arg(long, value_name = "DIR", required_unless_present_any = ["on", "explain"])]
    pub out: Option<PathBuf>,
    /// Print the actions due on this school day, grouped by who is responsible: a date,
    /// `today`, or `yesterday` (the school day before today)
    #[arg(long, value_name = "DATE")]
    pub on: Option<String>,
    /// Print this pupil's timeline: each day a rule changed state, with the numbers
    #[arg(long, value_name = "PUPIL")]
    pub explain: Option<String>,
    /// Report every bad row (up to --max-errors) instead of stopping at the first
    #[arg(long)]
    pub keep_going: bool,
    /// How many problems --keep-going reports
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub max_errors: usize,
    /// Count a school session with no mark as `N` (reason not yet provided); sessions after
    /// the last one taken are not yet taken, not missing
    #[arg(long)]
    pub allow_missing: bool,
    /// Keep CTF UPNs as pupil ids (by default they are pseudonymised with a keyed hash;
    /// the key is ATTEND_PSEUDONYM_KEY, or a random key kept in ~/.config/attend)
    #[arg(long)]
    pub keep_upn: bool,
    /// Run a policy `attend check` finds errors in (it breaks the law or contradicts
    /// itself) as written, instead of refusing
    #[arg(long)]
    pub allow_errors: bool,
    /// Do not write report.html (what a benchmark of the outputs alone wants)
    #[arg(long)]
    pub no_report: bool,
}

/// Prints the problems and a closing line; `limit` is where the reader stopped looking,
/// so reaching it means there may be more.
fn print_problems(problems: &[InputProblem], limit: Option<usize>) {
    for p in problems {
        eprint!("{p}");
    }
    let errors = problems
        .iter()
        .filter(|p| p.is_error() && !matches!(p.error, register::RegisterError::TooMany { .. }))
        .count();
    let more = problems
        .iter()
        .any(|p| matches!(p.error, register::RegisterError::TooMany { .. }));
    if errors > 0 {
        let stopped = match limit {
            Some(1) if !more => " (stopped at the first; `--keep-going` reports more)".to_string(),
            Some(n) if n == errors && !more => {
                format!(" (stopped at the `--max-errors` limit of {n}; there may be more)")
            }
            _ => String::new(),
        };
        eprintln!(
            "{errors} {} in the input{stopped}; nothing was written",
            if errors == 1 { "problem" } else { "problems" }
        );
    }
}

/// Runs the subcommand and returns the exit status.
pub fn run(args: &RunArgs) -> u8 {
    match run_inner(args) {
        Ok(()) => EXIT_OK,
        Err(code) => code,
    }
}

fn run_inner(args: &RunArgs) -> Result<(), u8> {
    let src = load(&args.policy)?;
    let calendar = args.calendar.as_deref().map(load).transpose()?;
    let analysis = analyse(&src, calendar.as_ref());
    let found = super::findings(&args.policy, &analysis);
    let Some(checked) = analysis.checked else {
        show_errors(&analysis.diagnostics);
        return Err(EXIT_ERRORS);
    };
    super::refuse_errors(&args.policy, &found, args.allow_errors)?;
    let (table, table_diagnostics) = table::compile(&checked);
    if table_diagnostics.iter().any(|d| d.is_error()) {
        show_errors(&table_diagnostics);
        return Err(EXIT_ERRORS);
    }
    if !table.calendar.has_dates() {
        eprintln!(
            "error[run::no_calendar]: `{}` has no term dates, so there are no school days to evaluate\n  \
             = help: give a calendar with `--calendar FILE`, e.g. `--calendar policies/calendars/camden-2024-25.calendar`",
            args.policy.display()
        );
        return Err(EXIT_ERRORS);
    }
    let days = SchoolDays::new(&table.calendar);
    let options = ReadOptions {
        keep_going: args.keep_going,
        max_errors: args.max_errors,
        allow_missing: args.allow_missing,
        keep_upn: args.keep_upn,
        pseudonym_key: pseudonym_key(&Input::path(&args.register), args.keep_upn),
        progress: Bar::new("reading register", Unit::Bytes).handle(),
    };
    let pupils = match &args.pupils {
        Some(path) => Some(
            register::read_pupils(&Input::path(path), options.limit()).map_err(|p| {
                print_problems(&p, Some(options.limit()));
                EXIT_ERRORS
            })?,
        ),
        None => None,
    };
    let codes_map = match &args.codes_map {
        Some(path) => Some(CodesMap::read(&Input::path(path)).map_err(|p| {
            print_problems(&p, None);
            EXIT_ERRORS
        })?),
        None => None,
    };
    let started = std::time::Instant::now();
    let register = register::read_register(
        &Input::path(&args.register),
        &table.calendar,
        &days,
        pupils.as_ref(),
        codes_map.as_ref(),
        &options,
    )
    .map_err(|p| {
        print_problems(&p, Some(options.limit()));
        EXIT_ERRORS
    })?;
    print_problems(&register.warnings, None);
    // A CTF carries each pupil's date of birth and year group, so only warn when the
    // register gave no attributes either.
    let attributes_known = register
        .pupils
        .iter()
        .any(|p| p.dob.is_some() || p.year_group.is_some());
    if pupils.is_none() && !attributes_known && uses_pupil_attributes(&table) {
        eprintln!(
            "warning: no `--pupils` file: rules that test pupil attributes (such as `pupil.compulsory_school_age`) do not hold for any pupil"
        );
    }
    // Check `--on` and `--explain` before any work or output, so a mistyped date or pupil
    // leaves `--out` untouched.
    let span = register.span.unwrap_or((0, 0));
    let on_day = args
        .on
        .as_deref()
        .map(|text| school_day(text, &table.calendar, &days, span))
        .transpose()?;
    let explain_index = match &args.explain {
        Some(id) => {
            let Some(index) = register.pupils.iter().position(|p| p.id == *id) else {
                let ids = register.pupils.iter().map(|p| p.id.as_str());
                let help = crate::diagnostic::did_you_mean_help(id, ids)
                    .map(|h| format!("\n  = help: {h}"))
                    .unwrap_or_default();
                eprintln!("error[run::unknown_pupil]: no pupil `{id}` in the register{help}");
                return Err(EXIT_ERRORS);
            };
            Some(index)
        }
        None => None,
    };
    let read_time = started.elapsed();
    let outcome = engine::run_with_progress(
        &table,
        &days,
        &register,
        &Bar::new("evaluating", Unit::Pupils),
    );
    let eval_time = started.elapsed() - read_time;
    if let Some(dir) = &args.out {
        write_outputs(dir, &table, &days, &register, &outcome)?;
        let letters = super::letters::write(
            dir,
            &args.policy,
            checked.policy(),
            &table,
            &days,
            &register,
            &outcome,
        )?;
        let report = if args.no_report {
            None
        } else {
            Some(write_report(dir, &table, &days, &register, &outcome)?)
        };
        print!(
            "{}",
            engine::terminal_summary(&table, &days, &register, &outcome)
        );
        if !progress::quiet() {
            println!(
                "wrote {} and {}",
                dir.join("actions.csv").display(),
                dir.join("summary.csv").display()
            );
        }
        if let Some(path) = report.filter(|_| !progress::quiet()) {
            println!("wrote {}", path.display());
        }
        if letters > 0 && !progress::quiet() {
            println!(
                "wrote {letters} {} in {}",
                if letters == 1 { "letter" } else { "letters" },
                dir.join("letters").display()
            );
        }
        if std::env::var_os("ATTEND_TIMINGS").is_some() {
            eprintln!(
                "timings: read {:.3}s, evaluate {:.3}s",
                read_time.as_secs_f64(),
                eval_time.as_secs_f64()
            );
        }
    }
    if let Some(day) = on_day {
        print!(
            "{}",
            engine::on_day_text(&table, &days, &register, &outcome, day)
        );
    }
    if let Some(index) = explain_index {
        let (trace, fired) = engine::explain(&table, &days, &register, index);
        print!(
            "{}",
            engine::explain_text(&table, &days, &register, index, &trace, &fired)
        );
    }
    Ok(())
}

fn uses_pupil_attributes(table: &table::DecisionTable) -> bool {
    table
        .rows
        .iter()
        .flat_map(|r| &r.when)
        .any(|a| matches!(a, table::Atom::Flag { .. } | table::Atom::YearGroup { .. }))
}

fn school_day(
    text: &str,
    calendar: &crate::model::Calendar,
    days: &SchoolDays,
    span: (usize, usize),
) -> Result<usize, u8> {
    let date = match text {
        "today" => today()?,
        // The school day before today: on a Monday, the Friday before.
        "yesterday" => {
            let today = today()?;
            let Some(day) = days.dates().iter().rev().find(|d| **d < today).copied() else {
                eprintln!(
                    "error[run::no_school_day]: the calendar has no school day before {today}"
                );
                return Err(EXIT_ERRORS);
            };
            day
        }
        _ => match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            Ok(date) => date,
            Err(_) => {
                eprintln!(
                    "error[run::bad_date]: `{text}` is not a date\n  = help: dates are ISO 8601 (`YYYY-MM-DD`), `today` or `yesterday`"
                );
                return Err(EXIT_ERRORS);
            }
        },
    };
    match days.index(date) {
        Some(day) if (span.0..=span.1).contains(&day) => Ok(day),
        Some(_) => {
            eprintln!(
                "error[run::no_data]: the register has no data for {date}\n  = help: it covers {}..{}",
                days.date(span.0),
                days.date(span.1)
            );
            Err(EXIT_ERRORS)
        }
        None => {
            let why = days
                .closed(calendar, date)
                .map_or_else(String::new, |c| format!(": {c}"));
            let before = days.dates().iter().rev().find(|d| **d < date);
            let after = days.dates().iter().find(|d| **d > date);
            let near = match (before, after) {
                (Some(b), Some(a)) => {
                    format!("\n  = help: the nearest school days are {b} and {a}")
                }
                (Some(d), None) | (None, Some(d)) => {
                    format!("\n  = help: the nearest school day is {d}")
                }
                (None, None) => String::new(),
            };
            eprintln!(
                "error[run::not_a_school_day]: {date} is not a school day in the calendar{why}{near}"
            );
            Err(EXIT_ERRORS)
        }
    }
}

/// Today's date on this computer's clock, or `ATTEND_TODAY` (`YYYY-MM-DD`) when set, so a
/// morning can be replayed (and tested) on another day.
fn today() -> Result<NaiveDate, u8> {
    match std::env::var("ATTEND_TODAY") {
        Ok(text) => NaiveDate::parse_from_str(&text, "%Y-%m-%d").map_err(|_| {
            eprintln!(
                "error[run::bad_date]: ATTEND_TODAY=`{text}` is not a date\n  = help: dates are ISO 8601: `YYYY-MM-DD`"
            );
            EXIT_ERRORS
        }),
        Err(_) => Ok(chrono::Local::now().date_naive()),
    }
}

/// Writes both files, each through a temporary file and a rename.
pub fn write_outputs(
    dir: &Path,
    table: &table::DecisionTable,
    days: &SchoolDays,
    register: &register::Register,
    outcome: &engine::Outcome,
) -> Result<(), u8> {
    if let Err(e) = std::fs::create_dir_all(dir) {
        eprintln!("error: cannot create `{}`: {e}", dir.display());
        return Err(EXIT_ERRORS);
    }
    let files = [
        (
            "actions.csv",
            engine::actions_csv(table, days, register, outcome),
        ),
        ("summary.csv", engine::summary_csv(table, register, outcome)),
    ];
    for (name, bytes) in files {
        let path = dir.join(name);
        if let Err(e) = fs::write_atomically(&path, &bytes) {
            eprintln!("error: cannot write `{}`: {e}", path.display());
            return Err(EXIT_ERRORS);
        }
    }
    Ok(())
}

/// The bundled example register: 30 pupils, 2024-09-05 to 2025-02-14, made by
/// `scripts/gen_register.py --pupils 30 --seed 7`.
const DEMO_REGISTER: &[u8] = include_bytes!("../../examples/data/register.csv");
const DEMO_PUPILS: &[u8] = include_bytes!("../../examples/data/pupils.csv");

/// `attend demo`'s last step: the compiled example policy run on the example register.
pub fn demo(table: &table::DecisionTable) -> u8 {
    let out = std::env::temp_dir().join("attend-demo");
    println!(
        "\n$ attend run policies/kings-cross-academy.policy --calendar policies/calendars/camden-2024-25.calendar \\\n    \
         --register examples/data/register.csv --pupils examples/data/pupils.csv --out {}\n",
        out.display()
    );
    let days = SchoolDays::new(&table.calendar);
    let options = ReadOptions {
        max_errors: 20,
        ..ReadOptions::default()
    };
    let read = register::read_pupils(
        &Input::bytes("examples/data/pupils.csv", DEMO_PUPILS),
        options.limit(),
    )
    .and_then(|pupils| {
        let input = Input::bytes("examples/data/register.csv", DEMO_REGISTER);
        register::read_register(
            &input,
            &table.calendar,
            &days,
            Some(&pupils),
            None,
            &options,
        )
    });
    let register = match read {
        Ok(register) => register,
        Err(problems) => {
            print_problems(&problems, Some(options.limit()));
            return EXIT_ERRORS;
        }
    };
    let outcome = engine::run(table, &days, &register);
    if let Err(code) = write_outputs(&out, table, &days, &register, &outcome) {
        return code;
    }
    print!(
        "{}",
        engine::terminal_summary(table, &days, &register, &outcome)
    );
    println!(
        "wrote {} and {}",
        out.join("actions.csv").display(),
        out.join("summary.csv").display()
    );
    EXIT_OK
}

/// The key that pseudonymises CTF UPNs: `ATTEND_PSEUDONYM_KEY`, or else a random key kept in
/// the user's configuration directory (made on first use, readable by them alone), so a
/// pupil's pseudonym is the same in every run on this machine and cannot be recovered by
/// hashing every possible UPN with a key everyone knows. Only a CTF register needs one.
fn pseudonym_key(register: &Input, keep_upn: bool) -> Option<String> {
    if let Ok(key) = std::env::var("ATTEND_PSEUDONYM_KEY") {
        return Some(key);
    }
    if keep_upn || !matches!(register.open_detect(), Ok((register::Format::Ctf, _))) {
        return None;
    }
    let dir = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?
        .join("attend");
    let path = dir.join("pseudonym-key");
    if let Ok(key) = std::fs::read_to_string(&path) {
        return Some(key.trim().to_string());
    }
    let made = (|| -> std::io::Result<String> {
        use std::io::{Read, Write};
        let mut bytes = [0u8; 32];
        std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
        let key: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        std::fs::create_dir_all(&dir)?;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        options.open(&path)?.write_all(key.as_bytes())?;
        Ok(key)
    })();
    // Another run may have made the key at the same moment: then use theirs.
    let made = made.or_else(|e| {
        std::fs::read_to_string(&path)
            .map(|k| k.trim().to_string())
            .map_err(|_| e)
    });
    match made {
        Ok(key) => {
            eprintln!(
                "note: CTF UPNs are pseudonymised with a new key kept in {}; keep it to get the same ids next time",
                path.display()
            );
            Some(key)
        }
        Err(e) => {
            eprintln!(
                "warning: cannot keep a pseudonym key in {} ({e}); set ATTEND_PSEUDONYM_KEY, or the ids use a built-in key",
                path.display()
            );
            None
        }
    }
}

/// Writes `report.html` for one policy: the same page `attend simulate` makes, with the
/// register's pupils as the cohort, from the run already made.
fn write_report(
    dir: &Path,
    table: &table::DecisionTable,
    days: &SchoolDays,
    register: &register::Register,
    outcome: &engine::Outcome,
) -> Result<PathBuf, u8> {
    let tables = std::slice::from_ref(table);
    let sim = crate::simulate::compare(
        tables,
        std::slice::from_ref(outcome),
        days,
        register,
        &crate::simulate::Minutes::default(),
    );
    let cohort = format!("the register's {} pupils", register.pupils.len());
    let html = crate::report::html(&crate::report::Report {
        title: "Attendance policy report",
        cohort: &cohort,
        sim: &sim,
        tables,
        days,
    });
    let path = dir.join("report.html");
    fs::write_atomically(&path, html.as_bytes()).map_err(|e| {
        eprintln!("error: cannot write `{}`: {e}", path.display());
        EXIT_ERRORS
    })?;
    Ok(path)
}
