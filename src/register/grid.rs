//! The grid ("herringbone") report (data-formats.md §2.6): one row per pupil, one column per
//! session (`2024-09-05 AM`, `Thu 05/09/2024 PM`) or per day (`05/09/2024`, two marks AM then
//! PM, as `/\`). The pupil column is `pupil_id` or the one `--columns pupil_id=NAME` names;
//! other columns (names, registration groups) are skipped and never shown in a message.

use std::io::BufRead;

use chrono::NaiveDate;

use super::Context;
use super::columns::parse_uk_date;
use super::compact::tokens;
use super::error::{InputProblem, RegisterError};
use super::records::{Problems, Recorder};
use super::slots::{Collected, Slots};

/// What a header cell names: a session of a day, or a whole day (AM then PM in one cell).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Column {
    Session(NaiveDate, usize),
    Day(NaiveDate),
}

/// Reads a grid header cell: a date (ISO or UK), optionally a weekday name before it and
/// `AM`/`PM` after it, separated by spaces, `:` or `_`.
pub(crate) fn session_column(name: &str) -> Option<Column> {
    let mut date = None;
    let mut session = None;
    for word in name
        .split(|c: char| c.is_whitespace() || c == ':' || c == '_')
        .filter(|w| !w.is_empty())
    {
        if let Some(s) = super::parse_session(word.as_bytes()) {
            if session.replace(s).is_some() {
                return None;
            }
        } else if let Some((d, None)) = parse_uk_date(word.as_bytes()) {
            if date.replace(d).is_some() {
                return None;
            }
        } else if !is_weekday(word) {
            return None;
        }
    }
    match (date?, session) {
        (d, Some(s)) => Some(Column::Session(d, s)),
        (d, None) => Some(Column::Day(d)),
    }
}

fn is_weekday(word: &str) -> bool {
    let w = word.trim_end_matches([',', '.']).to_ascii_lowercase();
    [
        "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun",
    ]
    .contains(&w.as_str())
        || [
            "monday",
            "tuesday",
            "wednesday",
            "thursday",
            "friday",
            "saturday",
            "sunday",
        ]
        .contains(&w.as_str())
}

/// Names a pupil column may have in a grid report, compared without case.
const PUPIL_COLUMNS: [&str; 5] = ["pupil_id", "personid", "adno", "student_id", "upn"];

pub(crate) fn read(
    ctx: &Context<'_>,
    reader: Box<dyn BufRead + Send>,
) -> Result<Collected, Vec<InputProblem>> {
    let name = &ctx.input.name;
    let mut csv = csv::ReaderBuilder::new().flexible(true).from_reader(reader);
    let headers = csv
        .byte_headers()
        .map_err(|_| vec![InputProblem::new(RegisterError::NotText, name, 1, 1)])?
        .clone();
    let names: Vec<String> = headers
        .iter()
        .map(|h| {
            String::from_utf8_lossy(h)
                .trim()
                .trim_start_matches('\u{feff}')
                .to_string()
        })
        .collect();
    let wanted = ctx
        .options
        .columns
        .as_ref()
        .and_then(|c| c.pupil_id.clone());
    let pupil_col = match &wanted {
        Some(w) => names.iter().position(|n| n.eq_ignore_ascii_case(w)),
        None => names.iter().position(|n| {
            PUPIL_COLUMNS
                .iter()
                .any(|p| n.eq_ignore_ascii_case(p) || n.replace(' ', "_").eq_ignore_ascii_case(p))
        }),
    };
    let Some(pupil_col) = pupil_col else {
        let error = RegisterError::MissingColumn {
            column: wanted.unwrap_or_else(|| "pupil_id".into()),
            expected: "a pupil column (`pupil_id`, or the one `--columns pupil_id=NAME` names)",
        };
        return Err(vec![InputProblem::new(error, name, 1, 1)]);
    };
    let upn = names
        .get(pupil_col)
        .is_some_and(|n| n.eq_ignore_ascii_case("upn"));
    let columns: Vec<Option<Column>> = names.iter().map(|n| session_column(n)).collect();
    let slots = Slots::new(ctx);
    let mut problems = Problems::new(ctx);
    let mut recorder = Recorder::new(ctx, &slots);
    let mut record = csv::ByteRecord::new();
    while !problems.full() {
        match csv.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(0, csv::Position::line);
                problems.push(InputProblem::new(RegisterError::NotText, name, line, 1));
                break;
            }
        }
        let line = record.position().map_or(0, csv::Position::line);
        // The row as shown in a message: the pupil id and the marks, nothing else.
        let shown: Vec<String> = record
            .iter()
            .enumerate()
            .map(|(i, f)| {
                if i == pupil_col && !upn || columns.get(i).copied().flatten().is_some() {
                    String::from_utf8_lossy(f).into_owned()
                } else if f.is_empty() {
                    String::new()
                } else {
                    "…".into()
                }
            })
            .collect();
        let problem = |problems: &mut Problems, error: RegisterError, field: usize| {
            let joined = shown.join(",");
            let before: usize = shown
                .iter()
                .take(field)
                .map(|f| f.chars().count() + 1)
                .sum();
            let width = shown.get(field).map_or(1, |f| f.chars().count());
            problems.push(
                InputProblem::new(error, name, line, before as u64 + 1).with_text(&joined, width),
            );
        };
        if record.len() != names.len() {
            let error = RegisterError::FieldCount {
                expected: names.len(),
                found: record.len(),
            };
            problem(&mut problems, error, 0);
            continue;
        }
        let raw = record.get(pupil_col).unwrap_or_default().trim_ascii();
        let id = if upn {
            ctx.upn_id(&String::from_utf8_lossy(raw)).into_bytes()
        } else {
            raw.to_vec()
        };
        for (i, column) in columns.iter().enumerate() {
            if problems.full() {
                break;
            }
            let Some(column) = column else { continue };
            let cell = record.get(i).unwrap_or_default().trim_ascii();
            if cell.is_empty() {
                continue;
            }
            let marks: Vec<(NaiveDate, usize, &[u8])> = match *column {
                Column::Session(date, session) => vec![(date, session, cell)],
                Column::Day(date) => {
                    let found: Vec<_> = tokens(cell).collect();
                    match found.as_slice() {
                        [Ok(am), Ok(pm)] => vec![(date, 0, am.text), (date, 1, pm.text)],
                        [Err(bad), ..] | [_, Err(bad), ..] => {
                            let error = RegisterError::BadToken {
                                text: String::from_utf8_lossy(bad.text).into_owned(),
                                suggestion: None,
                            };
                            problem(&mut problems, error, i);
                            continue;
                        }
                        _ => {
                            let error = RegisterError::OddMarks {
                                tokens: found.len(),
                            };
                            problem(&mut problems, error, i);
                            continue;
                        }
                    }
                }
            };
            for (date, session, mark) in marks {
                if let Err((part, error)) = recorder.record(&id, date, session, mark) {
                    let field = if part == super::records::Part::Pupil {
                        pupil_col
                    } else {
                        i
                    };
                    problem(&mut problems, error, field);
                }
            }
        }
    }
    let span = recorder.span;
    drop(recorder);
    Ok(problems.collected(slots, span))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_cells_name_a_session_or_a_day() {
        let d = NaiveDate::from_ymd_opt(2024, 9, 5);
        assert_eq!(
            session_column("2024-09-05 AM"),
            d.map(|d| Column::Session(d, 0))
        );
        assert_eq!(
            session_column("Thu 05/09/2024 pm"),
            d.map(|d| Column::Session(d, 1))
        );
        assert_eq!(
            session_column("2024-09-05_PM"),
            d.map(|d| Column::Session(d, 1))
        );
        assert_eq!(session_column("05/09/2024"), d.map(Column::Day));
        assert_eq!(session_column("Surname"), None);
        assert_eq!(session_column("AM"), None);
        assert_eq!(session_column("2024-09-05 AM PM"), None);
    }
}
