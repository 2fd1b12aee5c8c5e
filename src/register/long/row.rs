//! One chunk of a long CSV register parsed row by row: fields split (quotes followed), the
//! pupil, date, session and mark of each row checked, and the mark put in its slot.

use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::NaiveDate;

use super::{Columns, DuplicateKey, Found, first_line};
use crate::register::columns::{parse_session_text, parse_uk_date};
use crate::register::error::{InputProblem, RegisterError};
use crate::register::slots::{LocalSlots, widen};
use crate::register::{Context, Decoded, NO_MARK, parse_date, parse_session, session_name};

/// What a date means, cached across rows because register files repeat dates.
#[derive(Clone, Copy)]
pub(super) enum DateMeaning {
    School(usize, NaiveDate),
    Closed(NaiveDate),
    Bad,
}

pub(super) struct Parser<'a, 'c, 's> {
    pub(super) ctx: &'a Context<'c>,
    pub(super) columns: Columns,
    pub(super) local: &'a mut LocalSlots<'s>,
    pub(super) chunk: usize,
    pub(super) found: Vec<Found>,
    pub(super) span: Option<(usize, usize)>,
    pub(super) date_cache: Option<([u8; 10], DateMeaning)>,
    pub(super) stop_after: &'a AtomicUsize,
    pub(super) limit: usize,
}

/// A field of a row: where it starts in the line, and its (unquoted) bytes.
type Field<'d> = (usize, std::borrow::Cow<'d, [u8]>);

impl Parser<'_, '_, '_> {
    /// Parses every row of a chunk; returns how many line ends it holds.
    pub(super) fn parse(&mut self, data: &[u8], quoted: bool) -> u64 {
        let mut pos = 0;
        let mut line = 0u64;
        let mut fields: Vec<Field<'_>> = Vec::with_capacity(self.columns.count);
        while pos < data.len() {
            if self.found.len() >= self.limit
                || self.stop_after.load(Ordering::Relaxed) < self.chunk
            {
                // Stop early: the line count no longer matters, as problems are reported.
                return line + memchr::memchr_iter(b'\n', &data[pos..]).count() as u64;
            }
            let row_line = line;
            fields.clear();
            let end;
            if quoted {
                match split_quoted(data, pos, &mut fields) {
                    Ok((next, newlines)) => {
                        end = next;
                        line += newlines;
                    }
                    Err(quote) => {
                        let row = first_line(&data[pos..]);
                        let column = String::from_utf8_lossy(&row[..(quote - pos).min(row.len())])
                            .chars()
                            .count()
                            + 1;
                        let problem = InputProblem::new(
                            RegisterError::UnterminatedQuote,
                            &self.ctx.input.name,
                            0,
                            column as u64,
                        )
                        .with_text_at(row, quote - pos, 1);
                        self.push(row_line, problem, None);
                        return line + memchr::memchr_iter(b'\n', &data[pos..]).count() as u64;
                    }
                }
            } else {
                let line_end = memchr::memchr(b'\n', &data[pos..]).map_or(data.len(), |i| pos + i);
                let mut row = &data[pos..line_end];
                if let [rest @ .., b'\r'] = row {
                    row = rest;
                }
                if self.columns.plain && self.plain_row(row) {
                    line += u64::from(line_end < data.len());
                    pos = line_end + 1;
                    continue;
                }
                let mut offset = 0;
                for piece in row.split(|b| *b == b',') {
                    fields.push((offset, std::borrow::Cow::Borrowed(piece)));
                    offset += piece.len() + 1;
                }
                end = line_end;
            }
            if end < data.len() {
                line += 1;
            }
            pos = end + 1;
            let blank = fields.len() == 1 && fields.first().is_some_and(|f| f.1.is_empty());
            if !blank {
                self.row(row_line, &fields);
            }
        }
        line
    }

    pub(super) fn push(
        &mut self,
        line: u64,
        problem: InputProblem,
        duplicate: Option<DuplicateKey>,
    ) {
        self.found.push(Found {
            chunk: self.chunk,
            line,
            problem,
            duplicate,
        });
    }

    /// Records a problem at a field of a row, showing the row with text that may be
    /// personal (comments) replaced by `…`.
    fn problem_at(&mut self, fields: &[Field<'_>], target: usize, line: u64, error: RegisterError) {
        let mut text = String::new();
        let mut column = 1;
        let mut width = 1;
        for (i, (_, value)) in fields.iter().enumerate() {
            if i > 0 {
                text.push(',');
            }
            if i == target {
                column = text.chars().count() + 1;
                width = String::from_utf8_lossy(value).chars().count();
            }
            if self.columns.shown.get(i).copied().unwrap_or(false) || value.is_empty() {
                text.push_str(&String::from_utf8_lossy(value));
            } else {
                text.push('…');
            }
        }
        let problem = InputProblem::new(error, &self.ctx.input.name, 0, column as u64)
            .with_text(&text, width);
        self.push(line, problem, None);
    }

    #[inline]
    fn date(&mut self, text: &[u8]) -> DateMeaning {
        if let (Some((cached, meaning)), Ok(key)) = (&self.date_cache, <[u8; 10]>::try_from(text))
            && *cached == key
        {
            return *meaning;
        }
        let parsed = parse_date(text).or_else(|| {
            self.columns
                .lenient
                .then(|| parse_uk_date(text))
                .flatten()
                .map(|(d, _)| d)
        });
        let meaning = match parsed {
            None => DateMeaning::Bad,
            Some(date) => match self.ctx.days.index(date) {
                Some(day) => DateMeaning::School(day, date),
                None => DateMeaning::Closed(date),
            },
        };
        if let Ok(key) = <[u8; 10]>::try_from(text) {
            self.date_cache = Some((key, meaning));
        }
        meaning
    }

    /// Reads a row of the usual shape, `pupil,YYYY-MM-DD,AM,mark` with a school day, a
    /// national code in force and a pupil on roll, without splitting it into fields: nearly
    /// every row of a register, and most of the time of reading one. Returns `false`, having
    /// recorded nothing, for any other row; [`Parser::row`] then reads it and says exactly
    /// what is wrong (or reads a closure day's mark).
    #[inline(always)]
    fn plain_row(&mut self, row: &[u8]) -> bool {
        let mut comma = 0;
        while comma < row.len() && row[comma] != b',' {
            comma += 1;
        }
        let (id, Some(rest)) = (&row[..comma], row.get(comma + 1..)) else {
            return false;
        };
        if id.is_empty() || rest.len() < 15 || rest[10] != b',' || rest[13] != b',' {
            return false;
        }
        let (date, session, mark) = (&rest[..10], &rest[11..13], &rest[14..]);
        if mark.contains(&b',') {
            return false;
        }
        let DateMeaning::School(day, _) = self.date(date) else {
            return false;
        };
        let which = match session {
            b"AM" => 0,
            b"PM" => 1,
            _ => return false,
        };
        let Some(code) = self.ctx.decoder.national(mark, day) else {
            return false;
        };
        if code == NO_MARK {
            return true;
        }
        let Ok(entry) = self.local.get(id) else {
            return false;
        };
        if !(entry.roll.0..entry.roll.1).contains(&day) && !is_z(code) {
            return false;
        }
        let slot = day * 2 + which;
        if self.local.set(entry.index, slot, code).is_err() {
            return false;
        }
        self.local.prefetch_ahead(slot);
        self.local.stored += 1;
        widen(&mut self.span, day);
        true
    }

    fn row(&mut self, line: u64, fields: &[Field<'_>]) {
        let c = self.columns;
        if fields.len() != c.count {
            let error = RegisterError::FieldCount {
                expected: c.count,
                found: fields.len(),
            };
            self.problem_at(fields, fields.len().saturating_sub(1), line, error);
            return;
        }
        let (pupil, date, session, mark) = (
            &fields[c.pupil],
            &fields[c.date],
            &fields[c.session],
            &fields[c.mark],
        );
        let (day, when) = match self.date(&date.1) {
            DateMeaning::School(day, when) => (day, when),
            DateMeaning::Closed(when) => {
                if !self.ctx.decoder.is_closure_mark(&mark.1, when) {
                    let error = self
                        .ctx
                        .closed_problem(&String::from_utf8_lossy(&mark.1), when);
                    self.problem_at(fields, c.date, line, error);
                }
                return;
            }
            DateMeaning::Bad => {
                let text = String::from_utf8_lossy(&date.1).into_owned();
                let error = if c.lenient {
                    RegisterError::BadUkDate { text }
                } else {
                    RegisterError::BadDate { text }
                };
                self.problem_at(fields, c.date, line, error);
                return;
            }
        };
        let which = parse_session(&session.1).or_else(|| {
            c.lenient
                .then(|| parse_session_text(self.ctx.calendar, &session.1))
                .flatten()
        });
        let Some(which) = which else {
            let error = RegisterError::BadSession {
                text: String::from_utf8_lossy(&session.1).into_owned(),
            };
            self.problem_at(fields, c.session, line, error);
            return;
        };
        let code = match self.ctx.decoder.decode(&mark.1, day, when) {
            Ok(Decoded::Code(code)) => code,
            Ok(Decoded::Missing) => return,
            Err(error) => {
                self.problem_at(fields, c.mark, line, error);
                return;
            }
        };
        let upn_id;
        let id: &[u8] = if c.upn {
            upn_id = self.ctx.upn_id(&String::from_utf8_lossy(&pupil.1));
            upn_id.as_bytes()
        } else {
            &pupil.1
        };
        let entry = match self.local.get(id) {
            Ok(entry) => entry,
            Err(error) => {
                let error = self.ctx.unknown_pupil(error);
                self.problem_at(fields, c.pupil, line, error);
                return;
            }
        };
        if !(entry.roll.0..entry.roll.1).contains(&day) && !is_z(code) {
            let roll = roll_text(self.ctx, entry.roll);
            let error = RegisterError::NotOnRoll {
                pupil: String::from_utf8_lossy(id).into_owned(),
                date: when.to_string(),
                roll,
            };
            self.problem_at(fields, c.date, line, error);
            return;
        }
        let slot = day * 2 + which;
        let recorded = self.local.set(entry.index, slot, code).is_ok();
        self.local.prefetch_ahead(slot);
        if recorded {
            self.local.stored += 1;
        } else {
            let error = RegisterError::Duplicate {
                pupil: String::from_utf8_lossy(id).into_owned(),
                date: when.to_string(),
                session: session_name(which),
                first_line: None,
            };
            let key = (pupil.1.to_vec(), day, which);
            self.problem_at(fields, c.date, line, error);
            if let Some(last) = self.found.last_mut() {
                last.duplicate = Some(key);
            }
            return;
        }
        widen(&mut self.span, day);
    }
}

fn is_z(code: u8) -> bool {
    crate::codes::table()
        .rows()
        .get(usize::from(code))
        .is_some_and(|r| r.code == "Z")
}

pub(crate) fn roll_text(ctx: &Context<'_>, roll: (usize, usize)) -> String {
    if roll.0 >= roll.1 {
        return "on no school day of the calendar".into();
    }
    format!("{}..{}", ctx.days.date(roll.0), ctx.days.date(roll.1 - 1))
}

/// Splits one row that may hold quoted fields; returns the index of its line end (or the
/// data's end) and how many line ends sit inside quotes, or where a quote that does not
/// close opens.
fn split_quoted<'d>(
    data: &'d [u8],
    mut pos: usize,
    fields: &mut Vec<Field<'d>>,
) -> Result<(usize, u64), usize> {
    let row_start = pos;
    let mut newlines = 0;
    loop {
        let field_start = pos - row_start;
        if data.get(pos) == Some(&b'"') {
            let mut value = Vec::new();
            let quote = pos;
            pos += 1;
            loop {
                let Some(i) = memchr::memchr(b'"', &data[pos..]) else {
                    return Err(quote);
                };
                value.extend_from_slice(&data[pos..pos + i]);
                newlines += memchr::memchr_iter(b'\n', &data[pos..pos + i]).count() as u64;
                pos += i + 1;
                if data.get(pos) == Some(&b'"') {
                    value.push(b'"');
                    pos += 1;
                } else {
                    break;
                }
            }
            fields.push((field_start, std::borrow::Cow::Owned(value)));
            // Anything between the closing quote and the separator is kept as written.
            let next = memchr::memchr2(b',', b'\n', &data[pos..]).map_or(data.len(), |i| pos + i);
            pos = next;
        } else {
            let next = memchr::memchr2(b',', b'\n', &data[pos..]).map_or(data.len(), |i| pos + i);
            let mut value = &data[pos..next];
            if data.get(next) != Some(&b',')
                && let [rest @ .., b'\r'] = value
            {
                value = rest;
            }
            fields.push((field_start, std::borrow::Cow::Borrowed(value)));
            pos = next;
        }
        match data.get(pos) {
            Some(b',') => pos += 1,
            _ => return Ok((pos, newlines)),
        }
    }
}
