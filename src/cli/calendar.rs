//! `attend calendar import`: an iCalendar feed of term dates written as a `.calendar` file for
//! a person to review, with what the import understood printed beside it.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use super::{EXIT_FAILURE, EXIT_OK, fs, load, show_errors};
use crate::ics::{self, Kind};
use crate::source::{Source, safe_to_show};

#[derive(clap::Subcommand, Debug)]
pub enum CalendarCommand {
    /// Read an iCalendar (.ics) feed of term dates into a .calendar file, and print what was
    /// understood: terms, closures, INSET days, half days, school days per term
    #[command(after_help = "Examples:\n  attend calendar import term-dates.ics\n  \
        attend calendar import term-dates.ics -o school.calendar\n\n\
        The file is read as iCalendar when its first line is BEGIN:VCALENDAR, whatever its \
        name. Without -o the calendar is written beside it, as FILE.calendar.\n\
        Exit status: 0 written (warnings allowed), 2 the feed cannot be read.")]
    Import {
        /// The iCalendar feed (.ics)
        file: PathBuf,
        /// Where to write the .calendar file (atomically)
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

pub fn run(command: &CalendarCommand) -> u8 {
    match command {
        CalendarCommand::Import { file, output } => import(file, output.as_deref()),
    }
}

fn import(file: &Path, output: Option<&Path>) -> u8 {
    let src = match load(file) {
        Ok(src) => src,
        Err(code) => return code,
    };
    if !ics::is_icalendar(src.text()) {
        let problem = ics::IcsError::NotICalendar;
        let first = src.text().find(['\r', '\n']).unwrap_or(src.text().len());
        show_errors(&[crate::diagnostic::Problem::at(
            &problem,
            &src.loc(crate::source::Span::new(0, first)),
        )]);
        return EXIT_FAILURE;
    }
    let imported = match ics::import(&src) {
        Ok(i) => i,
        Err(errors) => {
            show_errors(&errors);
            return EXIT_FAILURE;
        }
    };
    let out_path = output.map_or_else(|| file.with_extension("calendar"), Path::to_path_buf);
    let calendar_src = Source::new(out_path.display().to_string(), imported.text.clone());
    let calendar = match crate::load_calendar(&calendar_src) {
        Ok((calendar, _)) => calendar,
        Err(errors) => {
            show_errors(&errors);
            return EXIT_FAILURE;
        }
    };
    print!("{}", understood(&imported, &calendar));
    if !imported.diagnostics.is_empty() {
        show_errors(&imported.diagnostics);
    }
    if let Err(e) = fs::write_atomically(&out_path, imported.text.as_bytes()) {
        eprintln!("error: cannot write `{}`: {e}", out_path.display());
        return EXIT_FAILURE;
    }
    if !super::progress::quiet() {
        eprintln!(
            "wrote {}: check it against the school's published term dates",
            out_path.display()
        );
    }
    EXIT_OK
}

fn days(from: NaiveDate, to: NaiveDate) -> impl Iterator<Item = NaiveDate> {
    from.iter_days().take_while(move |d| *d <= to)
}

/// What the import understood, per academic year and term, for a person to confirm.
pub fn understood(imported: &ics::Imported, calendar: &crate::model::Calendar) -> String {
    let mut out = String::new();
    let mut years: Vec<&str> = imported.terms.iter().map(|t| t.year.as_str()).collect();
    years.dedup();
    for year in years {
        let _ = writeln!(out, "{year}");
        let mut total = 0;
        for t in imported.terms.iter().filter(|t| t.year == year) {
            let n = days(t.start, t.end)
                .filter(|d| calendar.is_school_day(*d))
                .count();
            total += n;
            let _ = writeln!(
                out,
                "  term {:<8} {} .. {}  {n} school days",
                t.name, t.start, t.end
            );
        }
        let _ = writeln!(out, "  {total} school days ({} sessions)", total * 2);
        let closures: Vec<_> = imported
            .closures
            .iter()
            .filter(|c| c.year == year)
            .collect();
        if !closures.is_empty() {
            out.push_str("  closures:\n");
        }
        for c in closures {
            let dates = if c.start == c.end {
                c.start.to_string()
            } else {
                format!("{} .. {}", c.start, c.end)
            };
            let closed = days(c.start, c.end)
                .filter(|d| calendar.term_of(*d).is_some() && !is_weekend(*d))
                .count();
            let _ = writeln!(
                out,
                "    {:<12} {dates:<24} {} ({closed} term {}){}",
                c.kind.keyword(),
                safe_to_show(&c.reason),
                if closed == 1 { "weekday" } else { "weekdays" },
                if c.filled {
                    ", filled: not in the feed"
                } else {
                    ""
                }
            );
        }
    }
    let insets: Vec<String> = imported
        .closures
        .iter()
        .filter(|c| c.kind == Kind::Inset)
        .flat_map(|c| days(c.start, c.end))
        .map(|d| d.to_string())
        .collect();
    let _ = writeln!(out, "INSET days: {}", list(&insets));
    let half: Vec<String> = imported
        .half_days
        .iter()
        .map(|h| format!("{} ({}, `{}`)", h.date, h.what, safe_to_show(&h.summary)))
        .collect();
    let _ = writeln!(out, "half days: {}", list(&half));
    let filled: Vec<String> = imported
        .closures
        .iter()
        .filter(|c| c.filled)
        .map(|c| format!("{} {}", c.start, safe_to_show(&c.reason)))
        .collect();
    let _ = writeln!(out, "bank holidays filled: {}", list(&filled));
    let _ = writeln!(out, "events not used: {}", imported.unused.len());
    for u in &imported.unused {
        let _ = writeln!(
            out,
            "  {} {} ({}){}",
            u.date,
            safe_to_show(&u.summary),
            u.why,
            ics::repeats(u.count)
        );
    }
    out
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "none".into()
    } else {
        items.join(", ")
    }
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(
        chrono::Datelike::weekday(&d),
        chrono::Weekday::Sat | chrono::Weekday::Sun
    )
}
