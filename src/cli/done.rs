//! `attend done`: staff record in the ledger what they did, by action id or by importing an
//! actions CSV with a `done` column filled in. Done again on an action the ledger has since
//! withdrawn records its follow-up (the apology sent, the meeting cancelled).

use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use super::{EXIT_FAILURE, EXIT_OK};
use crate::diagnostic::Problem;
use crate::ledger::{Done, DoneRequest};
use crate::register::MAX_ROW;
use crate::register::rows::{RowLimit, overlong_problem};

#[derive(clap::Args, Debug, Clone)]
#[command(
    after_help = "Examples:\n  attend done a7f3c2e1 5b0e9d44 --note \"letter posted\"\n  \
    attend done --import out/actions.csv\n  attend done 1c9d02aa --ledger school/attend-ledger.sqlite\n\n\
    An id is the `id` column of actions.csv (any six or more of its first hex digits).\n\
    Exit status: 0 recorded, 2 an id or the file has a problem (nothing is recorded)."
)]
pub struct DoneArgs {
    /// Action ids, as in actions.csv and the morning list
    #[arg(required_unless_present = "import", conflicts_with = "import")]
    pub ids: Vec<String>,
    /// What was done (`letter posted`, `spoke to mum`)
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
    /// The day it was done, YYYY-MM-DD (default today)
    #[arg(long, value_name = "DATE")]
    pub on: Option<String>,
    /// An actions.csv with a `done` column: each row with something in it (a date, or `yes`)
    /// is done; a `note` column is kept as the note
    #[arg(long, value_name = "FILE")]
    pub import: Option<PathBuf>,
    /// The ledger (default `attend-ledger.sqlite` here, where `attend run --out DIR` puts it
    /// for a DIR in this folder)
    #[arg(long, value_name = "FILE")]
    pub ledger: Option<PathBuf>,
}

fn parse_day(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()
}

/// The requests an edited actions CSV makes, each with its line; or the problem, in words.
fn read_import(path: &Path, today: NaiveDate) -> Result<Vec<(u64, DoneRequest)>, String> {
    let file =
        std::fs::File::open(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    read_import_from(file, &path.display().to_string(), today)
}

/// [`read_import`] of what `reader` holds, shown in messages as `shown`.
pub fn read_import_from(
    reader: impl std::io::Read,
    shown: &str,
    today: NaiveDate,
) -> Result<Vec<(u64, DoneRequest)>, String> {
    // The same row limit as the register readers: the csv crate would hold a row however long.
    let mut csv = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(RowLimit::new(reader));
    let overlong = |e: &csv::Error| {
        overlong_problem(e, shown).map(|problem| {
            format!(
                "`{shown}` line {}: the row is longer than {MAX_ROW} bytes\n  = help: an actions.csv row is a few hundred bytes; import the file `attend run` wrote",
                problem.at.line
            )
        })
    };
    let headers = csv
        .headers()
        .map_err(|e| overlong(&e).unwrap_or_else(|| format!("`{shown}` is not a CSV file: {e}")))?
        .clone();
    let col = |name: &str| {
        headers.iter().position(|h| {
            h.trim()
                .trim_start_matches('\u{feff}')
                .eq_ignore_ascii_case(name)
        })
    };
    let (Some(id_col), Some(done_col)) = (col("id"), col("done")) else {
        return Err(format!(
            "`{shown}` has no `id` and `done` columns\n  = help: import the actions.csv `attend run` wrote, with the `done` column filled in for each action done"
        ));
    };
    let note_col = col("note").or_else(|| col("done_note"));
    let mut requests = Vec::new();
    for record in csv.records() {
        let record =
            record.map_err(|e| overlong(&e).unwrap_or_else(|| format!("`{shown}`: {e}")))?;
        let line = record.position().map_or(0, csv::Position::line);
        let done = record.get(done_col).unwrap_or("").trim();
        if matches!(
            done.to_ascii_lowercase().as_str(),
            "" | "no" | "n" | "false" | "0"
        ) {
            continue;
        }
        let on = parse_day(done).unwrap_or(today);
        let note = note_col
            .and_then(|i| record.get(i))
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(String::from);
        requests.push((
            line,
            DoneRequest {
                id: record.get(id_col).unwrap_or("").to_string(),
                on,
                note,
            },
        ));
    }
    Ok(requests)
}

/// Runs the subcommand and returns the exit status.
pub fn run(args: &DoneArgs) -> u8 {
    let path = args
        .ledger
        .clone()
        .unwrap_or_else(|| PathBuf::from(super::run::LEDGER_NAME));
    if !path.exists() {
        eprintln!(
            "error[ledger::missing]: no ledger at `{}`\n  = help: `attend run --out DIR` keeps one beside DIR; give its path with `--ledger FILE`",
            path.display()
        );
        return EXIT_FAILURE;
    }
    let today = chrono::Local::now().date_naive();
    let on = match args.on.as_deref() {
        Some(text) => match parse_day(text) {
            Some(day) => day,
            None => {
                eprintln!(
                    "error[done::bad_date]: `{text}` is not a date\n  = help: dates are ISO 8601: `YYYY-MM-DD`"
                );
                return EXIT_FAILURE;
            }
        },
        None => today,
    };
    let (lines, requests): (Vec<Option<u64>>, Vec<DoneRequest>) = match &args.import {
        Some(file) => match read_import(file, today) {
            Ok(found) => found
                .into_iter()
                .map(|(line, mut r)| {
                    if r.note.is_none() {
                        r.note.clone_from(&args.note);
                    }
                    (Some(line), r)
                })
                .unzip(),
            Err(message) => {
                eprintln!("error[done::import]: {message}");
                return EXIT_FAILURE;
            }
        },
        None => args
            .ids
            .iter()
            .map(|id| {
                (
                    None,
                    DoneRequest {
                        id: id.clone(),
                        on,
                        note: args.note.clone(),
                    },
                )
            })
            .unzip(),
    };
    let mut ledger = match super::run::open_ledger(&path) {
        Ok(l) => l,
        Err(code) => return code,
    };
    match ledger.mark_done(&requests) {
        Ok(done) => {
            for d in &done {
                match d {
                    Done::Done { id } => println!("{id} done"),
                    Done::Already { id, on } => println!("{id} was already done on {on}"),
                    Done::FollowedUp { id } => {
                        println!("{id} was withdrawn after it was done: follow-up recorded")
                    }
                }
            }
            if done.is_empty() {
                println!("nothing marked done");
            }
            EXIT_OK
        }
        Err((i, e)) => {
            let at = match (&args.import, lines.get(i).copied().flatten()) {
                (Some(file), Some(line)) => format!("{}:{line}: ", file.display()),
                _ => String::new(),
            };
            let help = e
                .help()
                .map(|h| format!("\n  = help: {h}"))
                .unwrap_or_default();
            eprintln!("error[{}]: {at}{e}; nothing was recorded{help}", e.code());
            EXIT_FAILURE
        }
    }
}
