//! `attend run`: apply a policy to register data. Reads the policy, the calendar, the pupils
//! file, the codes map and the register; writes `actions.csv` and `summary.csv` atomically;
//! prints the short summary, the day's list (`--on`) or one pupil's timeline (`--explain`).

use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use super::inputs::{Inputs, read_side, read_whole};
use super::progress::{self, Bar, Unit};
use super::{EXIT_FAILURE, EXIT_FINDINGS, EXIT_OK, fs, load, show_errors};
use crate::diagnostic::Problem;
use crate::engine;
use crate::ledger::{self, Ledger, LedgerError, Recorded};
use crate::register;
use crate::table::SchoolDays;
use crate::{analyse, table};

#[derive(clap::Args, Debug, Clone)]
#[command(
    after_help = "Examples:\n  attend run policies/national.policy --calendar policies/calendars/camden-2024-25.calendar \\\n    \
    --register examples/data/register.csv --pupils examples/data/pupils.csv --out out\n  \
    attend run school.policy --register marks.csv.gz --pupils pupils.csv --out out --on 2024-11-18\n  \
    attend run school.policy --register today.csv --pupils pupils.csv --on today\n  \
    attend run school.policy --register register.csv --pupils pupils.csv --explain P0042\n  \
    attend run school.policy --register register.csv --pupils pupils.csv --coverage\n\n\
    Exit status: 0 done, 1 `attend check` finds errors in the policy (refused without \
    --allow-errors), 2 the policy cannot be read or an input has errors (nothing is written)."
)]
pub struct RunArgs {
    /// The policy (.policy or .toml)
    pub policy: PathBuf,
    /// Register data: long CSV, compact marks CSV, CTF or SIMS XML, JSON session records,
    /// a grid report or a mapped CSV (gzip allowed); docs/data.md shows each
    #[arg(long, value_name = "FILE")]
    pub register: PathBuf,
    /// The register's format, when its content does not tell: long, compact, ctf, sims,
    /// json, mapped or grid
    #[arg(long, value_name = "FORMAT", value_parser = parse_format)]
    pub format: Option<register::Format>,
    /// Which column of a school's own CSV is which:
    /// `pupil_id=UPN,date=Date,session=Session,mark=Mark` (UK dates and AM/PM or times read)
    #[arg(long, value_name = "MAP", value_parser = register::ColumnMap::parse)]
    pub columns: Option<register::ColumnMap>,
    /// Pupils CSV: pupil_id,date_of_birth,year_group[,admission_date,leaving_date,sen,...]
    #[arg(long, value_name = "FILE")]
    pub pupils: Option<PathBuf>,
    /// A calendar file (.calendar, .toml, or an iCalendar .ics feed) replacing the policy's term dates
    #[arg(long, value_name = "FILE")]
    pub calendar: Option<PathBuf>,
    /// School-local codes: local,national (or mis_mark,mark,valid_from,valid_to)
    #[arg(long, value_name = "FILE")]
    pub codes_map: Option<PathBuf>,
    /// Directory for actions.csv and summary.csv (required unless --on, --explain or --coverage)
    #[arg(long, value_name = "DIR", required_unless_present_any = ["on", "explain", "coverage"])]
    pub out: Option<PathBuf>,
    /// Print the actions due on this school day, grouped by who is responsible: a date,
    /// `today`, or `yesterday` (the school day before today)
    #[arg(long, value_name = "DATE")]
    pub on: Option<String>,
    /// Print this pupil's timeline: each day a rule changed state, with the numbers
    #[arg(long, value_name = "PUPIL")]
    pub explain: Option<String>,
    /// Print how often each band, trigger, escalation step and plan fired on the register,
    /// with its policy line, and the rules that never fired (dead in practice)
    #[arg(long)]
    pub coverage: bool,
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
    /// The ledger of actions asked for and done (SQLite); by default `attend-ledger.sqlite`
    /// in the folder that holds `--out`
    #[arg(long, value_name = "FILE", conflicts_with = "no_ledger")]
    pub ledger: Option<PathBuf>,
    /// Keep no ledger: every action is new and every letter is written
    #[arg(long)]
    pub no_ledger: bool,
}

/// The ledger beside an output folder: outside it, because the folder is replaced whole by
/// each run.
pub fn default_ledger(out: &Path) -> PathBuf {
    match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.join(LEDGER_NAME),
        _ => PathBuf::from(LEDGER_NAME),
    }
}

/// The penalty notices done before the register's first day, from the ledger the run keeps,
/// when a rule reads `notices_issued(...)` and the ledger exists; none otherwise.
fn notice_history(
    args: &RunArgs,
    table: &crate::table::DecisionTable,
    days: &crate::table::SchoolDays,
    span: (usize, usize),
) -> Result<engine::notices::NoticeHistory, u8> {
    let path = match (&args.ledger, args.no_ledger, &args.out) {
        (_, true, _) => None,
        (Some(path), _, _) => Some(path.clone()),
        (None, false, Some(out)) => Some(default_ledger(out)),
        (None, false, None) => None,
    };
    let Some(path) = path.filter(|p| p.exists() && engine::reads_notices(table)) else {
        return Ok(Default::default());
    };
    let ledger = open_ledger(&path)?;
    ledger.notices_before(days.date(span.0)).map_err(|e| {
        print_ledger_error(&path, &e);
        EXIT_FAILURE
    })
}

/// The ledger's file name when `--ledger` does not give one.
pub const LEDGER_NAME: &str = "attend-ledger.sqlite";

/// Opens (making if need be) the ledger at `path`.
pub fn open_ledger(path: &Path) -> Result<Ledger, u8> {
    let fail = |e: LedgerError| {
        print_ledger_error(path, &e);
        EXIT_FAILURE
    };
    let conn = rusqlite::Connection::open(path).map_err(|e| fail(e.into()))?;
    Ledger::new(conn).map_err(fail)
}

pub fn print_ledger_error(path: &Path, e: &LedgerError) {
    let help = e
        .help()
        .map(|h| format!("\n  = help: {h}"))
        .unwrap_or_default();
    eprintln!("error[{}]: `{}`: {e}{help}", e.code(), path.display());
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
    let found = super::findings(&args.policy, &src, &analysis);
    let Some(checked) = analysis.checked else {
        return Err(super::refuse_malformed(
            &args.policy,
            calendar.as_ref(),
            &found,
        ));
    };
    super::refuse_errors(&args.policy, calendar.as_ref(), &found, args.allow_errors)?;
    let (table, table_diagnostics) = table::compile(&checked);
    if table_diagnostics.iter().any(|d| d.is_error()) {
        show_errors(&table_diagnostics);
        return Err(EXIT_FINDINGS);
    }
    if !table.calendar.has_dates() {
        eprintln!(
            "error[run::no_calendar]: `{}` has no term dates, so there are no school days to evaluate\n  \
             = help: give a calendar with `--calendar FILE`, e.g. `--calendar policies/calendars/camden-2024-25.calendar`",
            args.policy.display()
        );
        return Err(EXIT_FAILURE);
    }
    let days = SchoolDays::new(&table.calendar);
    let started = std::time::Instant::now();
    let inputs = Inputs {
        register: &args.register,
        pupils: args.pupils.as_deref(),
        codes_map: args.codes_map.as_deref(),
        format: args.format,
        columns: args.columns.clone(),
        keep_going: args.keep_going,
        max_errors: args.max_errors,
        allow_missing: args.allow_missing,
        keep_upn: args.keep_upn,
    };
    let report_wanted = args.out.is_some() && !args.no_report;
    // With no ledger, no day's list and no timeline, a pupil's marks are needed only while
    // the pupil is evaluated: compact marks are streamed, so memory does not grow with them.
    let ledger_wanted = !args.no_ledger && (args.ledger.is_some() || args.out.is_some());
    let side = if ledger_wanted || args.on.is_some() || args.explain.is_some() {
        super::streamed::Tried::Whole(read_side(&inputs)?)
    } else {
        super::streamed::run(&inputs, &table, &days, report_wanted)?
    };
    let streamed = matches!(side, super::streamed::Tried::Done(..));
    let (evaluated, on_day, explain_index, read_time) = match side {
        super::streamed::Tried::Done(evaluated, read_time) => (evaluated, None, None, read_time),
        super::streamed::Tried::Whole(side) => {
            let register = read_whole(&inputs, side, &table.calendar, &days)?;
            // Check `--on` and `--explain` before any work or output, so a mistyped date or
            // pupil leaves `--out` untouched.
            let span = register.span.unwrap_or((0, 0));
            let on_day = args
                .on
                .as_deref()
                .map(|text| school_day(text, &table.calendar, &days, span))
                .transpose()?;
            let explain_index = match &args.explain {
                Some(id) => {
                    let Some(index) = register.find(id) else {
                        let ids = register.ids();
                        let help = crate::diagnostic::did_you_mean_help(id, ids)
                            .map(|h| format!("\n  = help: {h}"))
                            .unwrap_or_default();
                        eprintln!(
                            "error[run::unknown_pupil]: no pupil `{id}` in the register{help}"
                        );
                        return Err(EXIT_FAILURE);
                    };
                    Some(index)
                }
                None => None,
            };
            let read_time = started.elapsed();
            let history = notice_history(args, &table, &days, span)?;
            // The report's weekly and half-term snapshots are gathered in the run's one
            // pass. They were always taken without the notices from before the register,
            // so a run that has some leaves them to the report (one more pass).
            let looks = (report_wanted && history.is_empty())
                .then(|| crate::simulate::Looks::new(&days, &register));
            let bar = Bar::new("evaluating", Unit::Pupils);
            let (outcome, tallies) = match &looks {
                Some(looks) => {
                    let watch = looks.watch(&table);
                    let (outcome, tallies) =
                        engine::run_watched(&table, &days, &register, &bar, &history, &watch);
                    (outcome, Some(tallies))
                }
                None => (
                    engine::run_with_history(&table, &days, &register, &bar, &history),
                    None,
                ),
            };
            let figures = register::MarkFigures::of(
                &register,
                &days,
                engine::letter_days(&table, &outcome.fired),
            );
            let evaluated = super::streamed::Evaluated {
                register,
                outcome,
                looks,
                tallies,
                figures,
            };
            (evaluated, on_day, explain_index, read_time)
        }
    };
    let (register, outcome, figures) =
        (&evaluated.register, &evaluated.outcome, &evaluated.figures);
    // A CTF carries each pupil's date of birth and year group, so only warn when the
    // register gave no attributes either.
    let attributes_known = register
        .records()
        .iter()
        .any(|p| p.dob.is_some() || p.year_group.is_some());
    if args.pupils.is_none() && !attributes_known && uses_pupil_attributes(&table) {
        eprintln!(
            "warning: no `--pupils` file: rules that test pupil attributes (such as `pupil.compulsory_school_age`) do not hold for any pupil"
        );
    }
    let eval_time = started.elapsed() - read_time;
    let ledger_path = match (&args.ledger, args.no_ledger, &args.out) {
        (_, true, _) => None,
        (Some(path), _, _) => Some(path.clone()),
        (None, false, Some(out)) => Some(default_ledger(out)),
        (None, false, None) => None,
    };
    let mut ledger = ledger_path.as_deref().map(open_ledger).transpose()?;
    let ledger_fail = |e: LedgerError| {
        if let Some(path) = &ledger_path {
            print_ledger_error(path, &e);
        }
        EXIT_FAILURE
    };
    // The run holds the ledger from here to its commit; dropping it (any error below, or
    // the process dying) leaves the ledger as it was.
    let mut ledger_run = match ledger.as_mut() {
        Some(l) => Some(l.begin().map_err(ledger_fail)?),
        None => None,
    };
    let recorded = match ledger_run.as_mut() {
        Some(run) => {
            let info = ledger::RunInfo {
                at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                policy: args.policy.display().to_string(),
                register: args.register.display().to_string(),
            };
            Some(
                run.record(&table, &days, register, outcome, &info)
                    .map_err(ledger_fail)?,
            )
        }
        None => None,
    };
    let ledger_time = started.elapsed() - read_time - eval_time;
    if let Some(dir) = &args.out {
        let staged = fs::Staged::new(dir).map_err(|e| {
            eprintln!("error: {e}");
            EXIT_FAILURE
        })?;
        let out = staged.path();
        // actions.csv and summary.csv are written on threads of their own while this one
        // makes the letters, the report and the terminal's summary.
        let (written, letters, report, summary) = std::thread::scope(|scope| {
            let writing = scope
                .spawn(|| write_outputs(out, &table, &days, register, outcome, recorded.as_ref()));
            let letters = super::letters::write(
                out,
                &args.policy,
                checked.policy(),
                &super::letters::templates(&args.policy, checked.policy()),
                &table,
                &days,
                register,
                figures,
                outcome,
                recorded.as_ref(),
            );
            let report = if args.no_report || letters.is_err() {
                Ok(None)
            } else {
                let warnings: Vec<String> = super::run_with_errors_note(&args.policy, &found)
                    .into_iter()
                    .collect();
                write_report(out, &warnings, &table, &days, &evaluated).map(Some)
            };
            let summary = engine::terminal_summary(&table, &days, register, figures, outcome);
            let written = writing
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (written, letters, report, summary)
        });
        written?;
        let letters = letters?;
        let report = report?;
        crash_point("outputs");
        staged.commit().map_err(|e| {
            eprintln!(
                "error: {e}; the ledger and `{}` are as they were",
                dir.display()
            );
            EXIT_FAILURE
        })?;
        print!("{summary}");
        if !progress::quiet() {
            println!(
                "wrote {} and {}",
                dir.join("actions.csv").display(),
                dir.join("summary.csv").display()
            );
        }
        if report.is_some() && !progress::quiet() {
            println!("wrote {}", dir.join("report.html").display());
        }
        if letters.written > 0 && !progress::quiet() {
            println!(
                "wrote {} {} in {} (one printable file a day: all.html)",
                letters.written,
                if letters.written == 1 {
                    "letter"
                } else {
                    "letters"
                },
                dir.join("letters").display()
            );
        }
    }
    // The outputs are in place before the ledger commits: a crash between the two means the
    // next run offers these actions as new again (a letter printed twice), never that a new
    // action is recorded but its letter lost.
    crash_point("ledger");
    if let Some(run) = ledger_run {
        run.commit().map_err(ledger_fail)?;
    }
    if let (Some(recorded), Some(path)) = (&recorded, &ledger_path) {
        print!("{}", ledger_text(path, recorded, args.out.as_deref()));
    }
    if std::env::var_os("ATTEND_TIMINGS").is_some() {
        // Streamed, "read" is the first pass and "evaluate" the second, which reads too.
        eprintln!(
            "timings: read {:.3}s, evaluate {:.3}s, ledger {:.3}s, write {:.3}s{}",
            read_time.as_secs_f64(),
            eval_time.as_secs_f64(),
            ledger_time.as_secs_f64(),
            (started.elapsed() - read_time - eval_time - ledger_time).as_secs_f64(),
            if streamed { " (streamed)" } else { "" }
        );
    }
    if args.coverage {
        let coverage = engine::coverage::coverage(&table, outcome);
        print!("{}", coverage.text(register.len()));
    }
    if let Some(day) = on_day {
        print!(
            "{}",
            engine::on_day_text(&table, &days, register, outcome, day)
        );
    }
    if let Some(index) = explain_index {
        let (trace, fired) = engine::explain(&table, &days, register, index);
        print!(
            "{}",
            engine::explain_text(&table, &days, register, index, &trace, &fired)
        );
    }
    // The process ends after a run: its memory is given back whole, which is quicker than
    // freeing a large register's records one by one (a tenth of a run on 100,000 pupils).
    std::mem::forget(evaluated);
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
                return Err(EXIT_FAILURE);
            };
            day
        }
        _ => match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            Ok(date) => date,
            Err(_) => {
                eprintln!(
                    "error[run::bad_date]: `{text}` is not a date\n  = help: dates are ISO 8601 (`YYYY-MM-DD`), `today` or `yesterday`"
                );
                return Err(EXIT_FAILURE);
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
            Err(EXIT_FAILURE)
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
            Err(EXIT_FAILURE)
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
            EXIT_FAILURE
        }),
        Err(_) => Ok(chrono::Local::now().date_naive()),
    }
}

/// A test hook: `ATTEND_CRASH_AT=outputs` (every output written to the new folder, nothing
/// swapped in, the ledger not committed) or `ledger` (outputs swapped in, the ledger not
/// committed) makes the process die there, as a power cut would, so tests can show what a
/// crash leaves.
fn crash_point(at: &str) {
    if std::env::var("ATTEND_CRASH_AT").is_ok_and(|v| v == at) {
        std::process::abort();
    }
}

/// How many new actions the run lists; actions.csv has them all.
const NEW_LISTED: usize = ledger::NEW_SHOWN;

/// What the ledger says about this run: counts, the new actions (the first few), and every
/// withdrawn one with the marks before and after and whether someone must follow it up.
fn ledger_text(path: &Path, recorded: &Recorded, out: Option<&Path>) -> String {
    use std::fmt::Write as _;
    let now: Vec<_> = recorded.withdrawn.iter().filter(|w| w.this_run).collect();
    let earlier: Vec<_> = recorded.withdrawn.iter().filter(|w| !w.this_run).collect();
    let follow = recorded
        .withdrawn
        .iter()
        .filter(|w| w.needs_follow_up())
        .count();
    let mut text = format!(
        "ledger {}: {} new, {} unchanged, {} withdrawn since the last run",
        path.display(),
        recorded.new,
        recorded.unchanged,
        now.len()
    );
    if follow > 0 {
        let _ = write!(text, "; {follow} to follow up");
    }
    text.push('\n');
    let listed = |w: &ledger::Withdrawn| {
        let mut line = format!(
            "  {}  {}  {}  {}  [{}, {}]\n      {}",
            w.id.get(..engine::SHORT_ID).unwrap_or(&w.id),
            w.date,
            w.pupil_id,
            w.action,
            w.rule,
            w.step,
            w.reason
        );
        if !w.marks_before.is_empty() {
            let _ = write!(
                line,
                ": marks were {}, now {}",
                w.marks_before, w.marks_after
            );
        }
        if let Some(on) = &w.done_on {
            let note = w
                .done_note
                .as_deref()
                .map(|n| format!(" (\"{n}\")"))
                .unwrap_or_default();
            let _ = write!(
                line,
                "\n      FOLLOW UP: done on {on}{note}; undo it (an apology, a cancelled meeting), then `attend done {}`",
                w.id.get(..engine::SHORT_ID).unwrap_or(&w.id)
            );
        }
        line
    };
    if !recorded.new_actions.is_empty() {
        let _ = writeln!(text, "new:");
        for line in recorded.new_actions.iter().take(NEW_LISTED) {
            let _ = writeln!(text, "  {line}");
        }
        if recorded.new > NEW_LISTED {
            let _ = writeln!(
                text,
                "  and {} more (actions.csv's `ledger` column says `new`)",
                recorded.new - NEW_LISTED
            );
        }
    }
    if !now.is_empty() {
        let _ = writeln!(text, "withdrawn (no letter is written for these):");
        for w in now {
            let _ = writeln!(text, "{}", listed(w));
        }
    }
    if !earlier.is_empty() {
        let _ = writeln!(text, "withdrawn earlier, done, and not yet followed up:");
        for w in earlier {
            let _ = writeln!(text, "{}", listed(w));
        }
    }
    if let (Some(out), false) = (out, recorded.withdrawn.is_empty()) {
        let _ = writeln!(text, "wrote {}", out.join("withdrawn.csv").display());
    }
    text
}

/// Writes one output file's bytes as they are made.
type WriteFile<'a> = dyn FnMut(&mut dyn std::io::Write) -> std::io::Result<()> + Send + 'a;

/// Writes actions.csv and summary.csv, and withdrawn.csv when there is a ledger, each
/// through a temporary file and a rename.
pub fn write_outputs(
    dir: &Path,
    table: &table::DecisionTable,
    days: &SchoolDays,
    register: &register::Register,
    outcome: &engine::Outcome,
    recorded: Option<&Recorded>,
) -> Result<(), u8> {
    if let Err(e) = std::fs::create_dir_all(dir) {
        eprintln!("error: cannot create `{}`: {e}", dir.display());
        return Err(EXIT_FAILURE);
    }
    let status = |key: u64| match recorded.and_then(|r| r.status.get(&key)) {
        Some(s) => (
            if s.new { "new" } else { "unchanged" },
            s.done.clone().unwrap_or_default(),
        ),
        None => ("", String::new()),
    };
    // The two files with a row per action or pupil are written as they are made.
    let mut files: Vec<(&str, Box<WriteFile<'_>>)> = vec![
        (
            "actions.csv",
            Box::new(|w| engine::write_actions_csv(table, days, register, outcome, &status, w)),
        ),
        (
            "summary.csv",
            Box::new(|w| engine::write_summary_csv(table, register, outcome, w)),
        ),
    ];
    if let Some(r) = recorded {
        let withdrawn = ledger::withdrawn_csv(&r.withdrawn);
        files.push(("withdrawn.csv", Box::new(move |w| w.write_all(&withdrawn))));
    }
    // Each file on a thread of its own: a large register's actions and summary are each
    // megabytes of text, made in about the same time.
    let written: Vec<(PathBuf, std::io::Result<()>)> = std::thread::scope(|scope| {
        let writing: Vec<_> = files
            .into_iter()
            .map(|(name, mut write)| {
                let path = dir.join(name);
                scope.spawn(move || {
                    let result = fs::write_atomically_with(&path, &mut write);
                    (path, result)
                })
            })
            .collect();
        writing
            .into_iter()
            .map(|w| w.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    for (path, result) in written {
        if let Err(e) = result {
            eprintln!("error: cannot write `{}`: {e}", path.display());
            return Err(EXIT_FAILURE);
        }
    }
    Ok(())
}

/// `--format`'s value: a format's name.
pub(super) fn parse_format(name: &str) -> Result<register::Format, String> {
    register::Format::from_name(name).ok_or_else(|| {
        let names: Vec<&str> = register::Format::NAMES.iter().map(|(n, _)| *n).collect();
        format!("the formats are {}", names.join(", "))
    })
}

/// Writes `report.html` for one policy: the same page `attend simulate` makes, with the
/// register's pupils as the cohort, from the run already made.
pub(super) fn write_report(
    dir: &Path,
    warnings: &[String],
    table: &table::DecisionTable,
    days: &SchoolDays,
    run: &super::streamed::Evaluated,
) -> Result<PathBuf, u8> {
    let tables = std::slice::from_ref(table);
    let register = &run.register;
    // The tallies are a few numbers per snapshot: copied, not taken from the run.
    let snapshots = run
        .looks
        .as_ref()
        .zip(run.tallies.clone())
        .map(|(looks, tallies)| (looks, vec![tallies]));
    let sim = crate::simulate::compare_watched(
        tables,
        std::slice::from_ref(&run.outcome),
        snapshots,
        days,
        register,
        Some(&run.figures),
        &crate::simulate::Minutes::default(),
    );
    let cohort = format!("the register's {} pupils", register.len());
    let html = crate::report::html(&crate::report::Report {
        title: "Attendance policy report",
        cohort: &cohort,
        sim: &sim,
        tables,
        days,
        warnings,
    });
    let path = dir.join("report.html");
    fs::write_atomically(&path, html.as_bytes()).map_err(|e| {
        eprintln!("error: cannot write `{}`: {e}", path.display());
        EXIT_FAILURE
    })?;
    Ok(path)
}
