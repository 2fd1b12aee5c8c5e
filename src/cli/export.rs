//! `attend export`: a register read from any format `attend run` reads (a CTF, SIMS XML,
//! Wonde or Arbor JSON, a grid report, a school's own CSV, compact marks) written out as the
//! long CSV and pupils CSV, the tables a compiled SQL script loads (docs/sql.md). The marks
//! are the reader's: checked, local codes mapped, UPNs pseudonymised, as a run reads them.

use std::io::Write;
use std::path::PathBuf;

use super::inputs::{Inputs, read_inputs};
use super::progress::{self, Bar, Unit};
use super::run::parse_format;
use super::{EXIT_FAILURE, EXIT_OK, calendar_of, fs};
use crate::progress::Progress;
use crate::register::{self, NO_MARK, Pupil, Register, YearGroup};
use crate::table::SchoolDays;

#[derive(clap::Args, Debug, Clone)]
#[command(
    after_help = "Examples:\n  attend export --register school.ctf.xml --calendar term-dates.calendar --out warehouse\n  \
    attend export --register marks.csv --columns pupil_id=Adno,date=Date,session=AM/PM,mark=Mark \\\n    \
    --codes-map codes.csv --policy attendance.policy --out warehouse\n\n\
    Writes OUT/register.csv (pupil_id,date,session,mark: one row per session with a mark, pupil \
    by pupil, in date order, AM before PM) and OUT/pupils.csv (pupil_id, date_of_birth, \
    year_group, admission_date, leaving_date, sen, fsm, social_worker, looked_after, \
    child_protection_plan: no names or addresses), each replaced whole or not at all.\n\n\
    Exit status: 0 written, 2 the calendar or an input cannot be read or has errors (nothing is \
    written)."
)]
pub struct ExportArgs {
    /// Register data in any format `attend run` reads (gzip allowed); docs/data.md shows each
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
    /// Pupils CSV whose attributes join the register's (a CTF carries its own)
    #[arg(long, value_name = "FILE")]
    pub pupils: Option<PathBuf>,
    /// The school's calendar (.calendar, .toml or .ics): which days are school days
    #[arg(long, value_name = "FILE", required_unless_present = "policy")]
    pub calendar: Option<PathBuf>,
    /// A policy whose calendar to use (replaced by --calendar when both are given)
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// School-local codes: local,national (or mis_mark,mark,valid_from,valid_to)
    #[arg(long, value_name = "FILE")]
    pub codes_map: Option<PathBuf>,
    /// Directory for register.csv and pupils.csv
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Report every bad row (up to --max-errors) instead of stopping at the first
    #[arg(long)]
    pub keep_going: bool,
    /// How many problems --keep-going reports
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub max_errors: usize,
    /// Write a school session with no mark as `N` (reason not yet provided), as `attend run
    /// --allow-missing` reads it; without it such a register is refused, as `attend run` refuses it
    #[arg(long)]
    pub allow_missing: bool,
    /// Keep CTF UPNs as pupil ids (by default they are pseudonymised with a keyed hash, the
    /// same key `attend run` uses, so the ids match its outputs)
    #[arg(long)]
    pub keep_upn: bool,
}

/// What writes one of the files.
type WriteFile<'a> = dyn Fn(&mut dyn Write) -> std::io::Result<()> + 'a;

pub fn run(args: &ExportArgs) -> u8 {
    match run_inner(args) {
        Ok(()) => EXIT_OK,
        Err(code) => code,
    }
}

fn run_inner(args: &ExportArgs) -> Result<(), u8> {
    // clap requires --calendar or --policy, so the bundled calendar is never the one read.
    let calendar = calendar_of(
        args.policy.as_deref(),
        args.calendar.as_deref(),
        super::bundled_calendar(),
    )?;
    let days = SchoolDays::new(&calendar);
    if days.is_empty() {
        eprintln!(
            "error[export::no_school_days]: the calendar has no school days, so no mark can be placed\n  \
             = help: give the school's term dates with `--calendar FILE`"
        );
        return Err(EXIT_FAILURE);
    }
    let register = read_inputs(
        &Inputs {
            register: &args.register,
            pupils: args.pupils.as_deref(),
            codes_map: args.codes_map.as_deref(),
            format: args.format,
            columns: args.columns.clone(),
            keep_going: args.keep_going,
            max_errors: args.max_errors,
            allow_missing: args.allow_missing,
            keep_upn: args.keep_upn,
        },
        &calendar,
        &days,
    )?;
    if let Err(e) = std::fs::create_dir_all(&args.out) {
        eprintln!("error: cannot create `{}`: {e}", args.out.display());
        return Err(EXIT_FAILURE);
    }
    let written = Bar::new("writing", Unit::Pupils);
    written.set_len(register.len() as u64 * 2);
    let files: [(&str, &WriteFile<'_>); 2] = [
        ("register.csv", &|w| {
            write_register(w, &register, &days, &written)
        }),
        ("pupils.csv", &|w| write_pupils(w, &register, &written)),
    ];
    for (name, write) in files {
        let path = args.out.join(name);
        if let Err(e) = fs::write_atomically_with(&path, &mut |w| write(w)) {
            eprintln!("error: cannot write `{}`: {e}", path.display());
            return Err(EXIT_FAILURE);
        }
    }
    written.finish();
    if !progress::quiet() {
        println!(
            "exported {} pupils and {} sessions: wrote {} and {}",
            register.len(),
            register.sessions(),
            args.out.join("register.csv").display(),
            args.out.join("pupils.csv").display()
        );
    }
    Ok(())
}

/// `pupil_id,date,session,mark`: each session with a mark, pupil by pupil, in date order.
fn write_register(
    w: &mut dyn Write,
    register: &Register,
    days: &SchoolDays,
    progress: &Bar,
) -> std::io::Result<()> {
    let codes = crate::codes::table().rows();
    w.write_all(b"pupil_id,date,session,mark\n")?;
    let dates: Vec<String> = (0..register.days)
        .map(|d| days.date(register.first + d).to_string())
        .collect();
    let mut out = csv::WriterBuilder::new().has_headers(false).from_writer(w);
    for pupil in 0..register.len() {
        let id = register.id(pupil);
        for (slot, &mark) in register.marks_of(pupil).iter().enumerate() {
            if mark == NO_MARK {
                continue;
            }
            let (Some(date), Some(code)) = (dates.get(slot / 2), codes.get(usize::from(mark)))
            else {
                continue;
            };
            let session = if slot % 2 == 0 { "AM" } else { "PM" };
            out.write_record([id, date.as_str(), session, code.code])?;
        }
        progress.inc(1);
    }
    out.flush()
}

/// The pupils CSV columns a compiled script reads; no names, contacts or addresses.
fn write_pupils(w: &mut dyn Write, register: &Register, progress: &Bar) -> std::io::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    out.write_record([
        "pupil_id",
        "date_of_birth",
        "year_group",
        "admission_date",
        "leaving_date",
        "sen",
        "fsm",
        "social_worker",
        "looked_after",
        "child_protection_plan",
    ])?;
    let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    let flag = |f: Option<bool>| f.map(|f| f.to_string()).unwrap_or_default();
    for pupil in 0..register.len() {
        let unknown;
        let p: &Pupil = match register.record(pupil) {
            Some(p) => p,
            None => {
                unknown = Pupil::unknown(register.id(pupil).to_string());
                &unknown
            }
        };
        let year = match p.year_group {
            Some(YearGroup::Nursery(n)) => format!("N{n}"),
            Some(YearGroup::Reception) => "R".to_string(),
            Some(YearGroup::Year(n)) => n.to_string(),
            None => String::new(),
        };
        let sen = match p.sen {
            Some(register::Sen::None) => "N",
            Some(register::Sen::Support) => "K",
            Some(register::Sen::EhcPlan) => "E",
            None => "",
        };
        out.write_record([
            register.id(pupil),
            &date(p.dob),
            &year,
            &date(p.admission),
            &date(p.leaving),
            sen,
            &flag(p.fsm),
            &flag(p.social_worker),
            &flag(p.looked_after),
            &flag(p.child_protection_plan),
        ])?;
        progress.inc(1);
    }
    out.flush()
}
