//! The SIMS partner API's `SessionAttendances` XML (data-formats.md §2.1, §6.a), read as a
//! stream: each element holding a `PersonID`, `AttendanceDate` (a date, or a date and time),
//! `SessionName` (`AM`/`PM`) and `AttendanceMark` is one mark. `MinsLate` and `Comments` are
//! skipped (comments are never stored); SIMS's local codes go through the codes map.
//! `PersonID` is the MIS's own number for a pupil, not a UPN: it is the pupil's id as it is.

use std::io::BufRead;

use quick_xml::events::Event;

use super::Context;
use super::columns::{parse_session_text, parse_uk_date};
use super::ctf::{AtOffset, locate};
use super::error::{InputProblem, RegisterError};
use super::records::{Part, Recorder};
use super::slots::{Collected, Slots};

const FORMAT: &str = "SIMS `SessionAttendances`";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    Pupil,
    Date,
    Session,
    Mark,
}

/// The text of a record's fields (buffers kept from record to record) and where each starts
/// in the file; a field not seen has no start.
#[derive(Default)]
struct Record {
    text: [String; 4],
    start: [Option<u64>; 4],
    /// Where the record's element starts, for a problem with the record as a whole.
    at: u64,
}

impl Record {
    fn open(&mut self, field: Field, at: u64) {
        self.text[field as usize].clear();
        self.start[field as usize] = Some(at);
    }

    fn get(&self, field: Field) -> Option<(&str, u64)> {
        let at = self.start[field as usize]?;
        Some((self.text[field as usize].trim(), at))
    }

    fn clear(&mut self) {
        self.start = [None; 4];
    }
}

fn field_of(name: &str) -> Option<Field> {
    match name {
        "PersonID" => Some(Field::Pupil),
        "AttendanceDate" => Some(Field::Date),
        "SessionName" => Some(Field::Session),
        "AttendanceMark" => Some(Field::Mark),
        _ => None,
    }
}

pub(crate) fn read(
    ctx: &Context<'_>,
    reader: Box<dyn BufRead + Send>,
) -> Result<Collected, Vec<InputProblem>> {
    let mut xml = quick_xml::Reader::from_reader(reader);
    let slots = Slots::new(ctx);
    let limit = ctx.options.limit();
    let mut found: Vec<AtOffset> = Vec::new();
    let mut dropped = 0usize;
    let mut push = |found: &mut Vec<AtOffset>, at: AtOffset| {
        if found.len() >= limit {
            dropped += 1;
        } else {
            found.push(at);
        }
    };
    let mut recorder = Recorder::new(ctx, &slots);
    let mut depth = 0usize;
    // The depth of the element holding a record's fields, once the first field is seen.
    let mut record_depth: Option<usize> = None;
    let mut record = Record::default();
    let mut records = 0u64;
    let mut element_at = 0u64;
    let mut open: Option<Field> = None;
    let mut buf = Vec::new();
    loop {
        if found.len() >= limit {
            break;
        }
        let at = xml.buffer_position();
        let event = match xml.read_event_into(&mut buf) {
            Ok(event) => event,
            Err(e) => {
                let error = RegisterError::BadRecord {
                    format: FORMAT,
                    reason: e.to_string(),
                };
                push(&mut found, AtOffset::new(xml.error_position(), error));
                break;
            }
        };
        match event {
            Event::Start(e) => {
                depth += 1;
                let field = field_of(e.local_name().as_ref());
                if let Some(field) = field {
                    if record_depth.is_none() {
                        record_depth = Some(depth - 1);
                        record.at = element_at;
                    }
                    if record_depth == Some(depth - 1) {
                        record.open(field, xml.buffer_position());
                        open = Some(field);
                    }
                } else {
                    element_at = at;
                }
            }
            Event::Empty(e) => {
                if let Some(field) = field_of(e.local_name().as_ref()) {
                    if record_depth.is_none() {
                        record_depth = Some(depth);
                        record.at = element_at;
                    }
                    if record_depth == Some(depth) {
                        record.open(field, at);
                    }
                }
            }
            Event::Text(t) => {
                if let Some(field) = open
                    && record.text[field as usize].len() < 256
                {
                    record.text[field as usize].push_str(&t);
                }
            }
            Event::GeneralRef(r) => {
                if let Some(field) = open {
                    record.text[field as usize].push_str(match &*r {
                        "amp" => "&",
                        "lt" => "<",
                        "gt" => ">",
                        "quot" => "\"",
                        "apos" => "'",
                        _ => "?",
                    });
                }
            }
            Event::End(_) => {
                open = None;
                let closing = depth;
                depth = depth.saturating_sub(1);
                if record_depth == Some(closing) {
                    records += 1;
                    let at = record.at;
                    if let Err(problem) = finish(ctx, &mut recorder, &record, at) {
                        push(&mut found, problem);
                    }
                    record.clear();
                    record_depth = None;
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if records == 0 && found.is_empty() {
        let error = RegisterError::BadRecord {
            format: FORMAT,
            reason: "no element holds a `PersonID`, `AttendanceDate`, `SessionName` and `AttendanceMark`".into(),
        };
        found.push(AtOffset::new(0, error));
    }
    let span = recorder.span;
    drop(recorder);
    let mut problems = locate(ctx, found);
    if dropped > 0 {
        problems.push(InputProblem::whole_file(
            RegisterError::TooMany { count: dropped },
            &ctx.input.name,
        ));
    }
    Ok(Collected {
        slots,
        span,
        problems,
        dropped: 0,
    })
}

/// Records one `SessionAttendance`; a problem points at the field it is about.
fn finish(
    ctx: &Context<'_>,
    recorder: &mut Recorder<'_, '_, '_>,
    record: &Record,
    at: u64,
) -> Result<(), AtOffset> {
    let field = |f: Field, name: &str| -> Result<(&str, u64), AtOffset> {
        record.get(f).ok_or_else(|| {
            AtOffset::new(
                at,
                RegisterError::BadRecord {
                    format: FORMAT,
                    reason: format!("a record has no `{name}`"),
                },
            )
        })
    };
    let (pupil, pupil_at) = field(Field::Pupil, "PersonID")?;
    let (date_text, date_at) = field(Field::Date, "AttendanceDate")?;
    let (session_text, session_at) = field(Field::Session, "SessionName")?;
    let (mark, mark_at) = field(Field::Mark, "AttendanceMark")?;
    let Some((date, _)) = parse_uk_date(date_text.as_bytes()) else {
        let error = RegisterError::BadUkDate {
            text: date_text.to_string(),
        };
        return Err(AtOffset::spanning(date_at, date_text.len(), error));
    };
    let Some(session) = parse_session_text(ctx.calendar, session_text.as_bytes()) else {
        let error = RegisterError::BadSession {
            text: session_text.to_string(),
        };
        return Err(AtOffset::spanning(session_at, session_text.len(), error));
    };
    recorder
        .record(pupil.as_bytes(), date, session, mark.as_bytes())
        .map_err(|(part, error)| {
            let (offset, width) = match part {
                Part::Pupil => (pupil_at, pupil.len()),
                Part::Date => (date_at, date_text.len()),
                Part::Session => (session_at, session_text.len()),
                Part::Mark => (mark_at, mark.len()),
            };
            AtOffset::spanning(offset, width, error)
        })
}
