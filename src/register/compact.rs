//! The compact marks reader (data-formats.md §6.b): `pupil_id,start_date,marks`, two tokens
//! per calendar day from `start_date`, AM then PM, optionally separated by `,`, ` ` or `|`.
//! The same tokeniser reads CTF `AttendanceMarks`.

use std::io::BufRead;

use chrono::NaiveDate;
use rustc_hash::FxHashMap;

use super::error::{InputProblem, RegisterError};
use super::long::roll_text;
use super::rows::{RowLimit, overlong_problem};
use super::slots::{Collected, LocalSlots, Slots, widen};
use super::{Context, Decoded, parse_date, session_name};

/// One session token and its character offset in the marks string.
pub(crate) struct Token<'m> {
    pub text: &'m [u8],
    pub offset: usize,
}

/// Splits a marks string into tokens: a letter with an optional digit, `/`, `\`, `#` or `-`;
/// separators are ignored. A digit is taken into the token before it whatever the letter,
/// so that `X1` is reported as one unknown code rather than two tokens. An iterator, so a
/// marks string of any length is read without a list of its tokens; it ends after an `Err`
/// for the first byte that starts no token.
pub(crate) fn tokens(marks: &[u8]) -> Tokens<'_> {
    Tokens { marks, at: 0 }
}

pub(crate) struct Tokens<'m> {
    marks: &'m [u8],
    at: usize,
}

impl<'m> Iterator for Tokens<'m> {
    type Item = Result<Token<'m>, Token<'m>>;

    fn next(&mut self) -> Option<Self::Item> {
        let marks = self.marks;
        while let Some(&b) = marks.get(self.at) {
            let i = self.at;
            match b {
                b',' | b' ' | b'|' | b'\t' | b'\r' | b'\n' => self.at += 1,
                b'/' | b'\\' | b'#' | b'-' => {
                    self.at += 1;
                    return Some(Ok(Token {
                        text: &marks[i..=i],
                        offset: i,
                    }));
                }
                _ if b.is_ascii_alphabetic() => {
                    let len = if marks.get(i + 1).is_some_and(u8::is_ascii_digit) {
                        2
                    } else {
                        1
                    };
                    self.at += len;
                    return Some(Ok(Token {
                        text: &marks[i..i + len],
                        offset: i,
                    }));
                }
                _ => {
                    let end = (i + 1..=marks.len().min(i + 4))
                        .find(|e| std::str::from_utf8(&marks[i..*e]).is_ok())
                        .unwrap_or(i + 1);
                    self.at = marks.len();
                    return Some(Err(Token {
                        text: &marks[i..end],
                        offset: i,
                    }));
                }
            }
        }
        None
    }
}

/// Where [`apply`] sends a problem: how to build it (only done when it is kept), the byte
/// offset of its token in the marks (`usize::MAX`: the pupil id) and its width.
pub(crate) type Report<'r> = dyn FnMut(&dyn Fn() -> RegisterError, usize, usize) + 'r;

/// Records the marks of one run of calendar days; problems go to `report` with the
/// character offset of the token in the marks string.
pub(crate) fn apply(
    ctx: &Context<'_>,
    local: &mut LocalSlots<'_>,
    pupil: &[u8],
    start: NaiveDate,
    marks: &[u8],
    span: &mut Option<(usize, usize)>,
    report: &mut Report<'_>,
) {
    // Counted first (a pass without storage): a bad token or an odd count stops the row.
    let mut count = 0;
    for token in tokens(marks) {
        match token {
            Ok(_) => count += 1,
            Err(bad) => {
                let error = || RegisterError::BadToken {
                    text: String::from_utf8_lossy(bad.text).into_owned(),
                    suggestion: None,
                };
                report(&error, bad.offset, 1);
                return;
            }
        }
    }
    if count % 2 != 0 {
        report(
            &|| RegisterError::OddMarks { tokens: count },
            0,
            marks.len(),
        );
        return;
    }
    let entry = match local.get(pupil) {
        Ok(entry) => entry,
        Err(error) => {
            report(&|| error.clone(), usize::MAX, 0);
            return;
        }
    };
    // Two tokens a calendar day: the date and its school day move on a day at a time.
    let mut walk = ctx.days.walk_from(start);
    let (mut date, mut at) = (start, None);
    for (i, token) in tokens(marks).flatten().enumerate() {
        let session = i % 2;
        if session == 0 {
            if i > 0 {
                let Some(next) = date.succ_opt() else {
                    break;
                };
                date = next;
            }
            at = walk.next().flatten();
        }
        let width = token.text.len();
        let Some(day) = at else {
            if !ctx.decoder.is_closure_mark(token.text, date) {
                // Built only when kept: a row can hold millions of these.
                let error = || ctx.closed_problem(&String::from_utf8_lossy(token.text), date);
                report(&error, token.offset, width);
            }
            continue;
        };
        let code = match ctx.decoder.decode(token.text, day, date) {
            Ok(Decoded::Code(code)) => code,
            Ok(Decoded::Missing) => continue,
            Err(error) => {
                let error = with_session(error, date, session);
                report(&|| error.clone(), token.offset, width);
                continue;
            }
        };
        if !(entry.roll.0..entry.roll.1).contains(&day)
            && crate::codes::table()
                .rows()
                .get(usize::from(code))
                .is_none_or(|r| r.code != "Z")
        {
            let error = || RegisterError::NotOnRoll {
                pupil: String::from_utf8_lossy(pupil).into_owned(),
                date: date.to_string(),
                roll: roll_text(ctx, entry.roll),
            };
            report(&error, token.offset, width);
            continue;
        }
        if local.set(entry.index, day * 2 + session, code).is_err() {
            let error = || RegisterError::Duplicate {
                pupil: String::from_utf8_lossy(pupil).into_owned(),
                date: date.to_string(),
                session: session_name(session),
                first_line: None,
            };
            report(&error, token.offset, width);
            continue;
        }
        widen(span, day);
    }
}

/// Unknown codes in a marks string name their date and session, which the string hides.
fn with_session(error: RegisterError, date: NaiveDate, session: usize) -> RegisterError {
    match error {
        RegisterError::UnknownCode { code, suggestion } => RegisterError::UnknownCodeOn {
            code,
            date: date.to_string(),
            session: session_name(session),
            suggestion,
        },
        other => other,
    }
}

pub(crate) fn read(
    ctx: &Context<'_>,
    reader: Box<dyn BufRead + Send>,
) -> Result<Collected, Vec<InputProblem>> {
    if let Some(collected) = super::compact_parallel::read(ctx, reader) {
        return Ok(collected);
    }
    // Something out of the ordinary: read again, a row at a time, to report it exactly.
    read_rows(ctx, ctx.input.open().map_err(|p| vec![p])?)
}

/// Reads the rows one by one with the csv crate, collecting every problem.
fn read_rows(
    ctx: &Context<'_>,
    reader: Box<dyn BufRead + Send>,
) -> Result<Collected, Vec<InputProblem>> {
    let name = &ctx.input.name;
    let mut csv = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(RowLimit::new(reader));
    let headers = csv
        .byte_headers()
        .map_err(|e| {
            vec![
                overlong_problem(&e, name)
                    .unwrap_or_else(|| InputProblem::new(RegisterError::NotText, name, 1, 1)),
            ]
        })?
        .clone();
    let columns: Vec<String> = headers
        .iter()
        .map(|h| {
            String::from_utf8_lossy(h)
                .trim()
                .trim_start_matches('\u{feff}')
                .to_ascii_lowercase()
        })
        .collect();
    let find = |n: &str| columns.iter().position(|c| c == n);
    let (Some(pupil_col), Some(start_col), Some(marks_col)) =
        (find("pupil_id"), find("start_date"), find("marks"))
    else {
        let error = RegisterError::MissingColumn {
            column: "marks".into(),
            expected: "`pupil_id,start_date,marks`",
        };
        return Err(vec![InputProblem::new(error, name, 1, 1)]);
    };
    let slots = Slots::new(ctx);
    let limit = ctx.options.limit();
    let mut problems = Vec::new();
    let mut dropped = 0;
    let mut span = None;
    // Lines of each pupil's rows, to name the other row of a duplicate.
    let mut rows_of: FxHashMap<Vec<u8>, Vec<(u64, NaiveDate)>> = FxHashMap::default();
    {
        let mut local = slots.local();
        let mut record = csv::ByteRecord::new();
        while problems.len() < limit {
            match csv.read_byte_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) => {
                    let line = e.position().map_or(0, csv::Position::line);
                    problems.push(overlong_problem(&e, name).unwrap_or_else(|| {
                        InputProblem::new(RegisterError::NotText, name, line, 1)
                    }));
                    break;
                }
            }
            let line = record.position().map_or(0, csv::Position::line);
            // The row's text, for a problem's excerpt: made once, and only when there is one
            // (a row can hold millions of problems, and its text is up to 4 MiB).
            let row_text = std::cell::OnceCell::new();
            let text = || -> &String {
                row_text.get_or_init(|| {
                    record
                        .iter()
                        .map(|f| String::from_utf8_lossy(f).into_owned())
                        .collect::<Vec<_>>()
                        .join(",")
                })
            };
            // The column (in characters) and byte of each field's start in `text`.
            let column_of = |field: usize| -> usize {
                record
                    .iter()
                    .take(field)
                    .map(|f| String::from_utf8_lossy(f).chars().count() + 1)
                    .sum::<usize>()
                    + 1
            };
            let byte_of = |field: usize| -> usize {
                record
                    .iter()
                    .take(field)
                    .map(|f| String::from_utf8_lossy(f).len() + 1)
                    .sum::<usize>()
            };
            if record.len() != columns.len() {
                let error = RegisterError::FieldCount {
                    expected: columns.len(),
                    found: record.len(),
                };
                problems.push(InputProblem::new(error, name, line, 1).with_text_at(
                    text().as_bytes(),
                    0,
                    1,
                ));
                continue;
            }
            let (pupil, start, marks) = (
                record.get(pupil_col).unwrap_or_default(),
                record.get(start_col).unwrap_or_default(),
                record.get(marks_col).unwrap_or_default(),
            );
            let Some(start_date) = parse_date(start) else {
                let error = RegisterError::BadDate {
                    text: String::from_utf8_lossy(start).into_owned(),
                };
                problems.push(
                    InputProblem::new(error, name, line, column_of(start_col) as u64).with_text_at(
                        text().as_bytes(),
                        byte_of(start_col),
                        start.len(),
                    ),
                );
                continue;
            };
            let earlier = rows_of.entry(pupil.to_vec()).or_default();
            let mut report = |error: &dyn Fn() -> RegisterError, offset: usize, width: usize| {
                if problems.len() >= limit {
                    dropped += 1;
                    return;
                }
                let error = match error() {
                    RegisterError::Duplicate {
                        pupil,
                        date,
                        session,
                        ..
                    } => {
                        let on = parse_date(date.as_bytes());
                        let first_line = earlier
                            .iter()
                            .rev()
                            .find(|(_, s)| on.is_some_and(|d| *s <= d))
                            .map(|(l, _)| *l);
                        RegisterError::Duplicate {
                            pupil,
                            date,
                            session,
                            first_line,
                        }
                    }
                    other => other,
                };
                // Tokens before a problem are ASCII, so a byte offset in the marks is a
                // character offset too.
                let (column, byte) = if offset == usize::MAX {
                    (column_of(pupil_col), byte_of(pupil_col))
                } else {
                    (column_of(marks_col) + offset, byte_of(marks_col) + offset)
                };
                problems.push(
                    InputProblem::new(error, name, line, column as u64).with_text_at(
                        text().as_bytes(),
                        byte,
                        width,
                    ),
                );
            };
            apply(
                ctx,
                &mut local,
                pupil,
                start_date,
                marks,
                &mut span,
                &mut report,
            );
            earlier.push((line, start_date));
        }
    }
    Ok(Collected {
        slots,
        span,
        problems,
        dropped,
    })
}
