//! The SIMS partner API's `SessionAttendances` XML (data-formats.md §2.1, §6.a), read as a
//! stream: each element holding a `PersonID`, `AttendanceDate` (a date, or a date and time),
//! `SessionName` (`AM`/`PM`) and `AttendanceMark` is one mark. `MinsLate` and `Comments` are
//! skipped (comments are never stored); SIMS's local codes go through the codes map.
//! `PersonID` is the MIS's own number for a pupil, not a UPN: it is the pupil's id as it is.

use std::io::BufRead;
use std::sync::atomic::{AtomicU64, Ordering};

use quick_xml::events::Event;

use super::Context;
use super::columns::{parse_session_text, parse_uk_date};
use super::ctf::{AtOffset, locate};
use super::error::{InputProblem, RegisterError};
use super::records::{Part, Recorder, read_chunks};
use super::slots::Collected;

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
    let records = AtomicU64::new(0);
    let parse = |recorder: &mut Recorder<'_, '_, '_>,
                 data: &[u8],
                 index: usize,
                 found: &mut Vec<AtOffset>| {
        let n = parse_chunk(ctx, recorder, data, index, found);
        records.fetch_add(n, Ordering::Relaxed);
    };
    let mut collected = read_chunks(ctx, reader, &boundary, &parse)?;
    if records.into_inner() == 0 && collected.problems.is_empty() {
        let error = RegisterError::BadRecord {
            format: FORMAT,
            reason: "no element holds a `PersonID`, `AttendanceDate`, `SessionName` and `AttendanceMark`".into(),
        };
        collected.problems = locate(ctx, vec![AtOffset::new(0, error)]);
    }
    Ok(collected)
}

/// Where a chunk of the file may end: just after its last `</SessionAttendance>`.
fn boundary(data: &[u8]) -> Option<usize> {
    const END: &[u8] = b"</SessionAttendance>";
    memchr::memmem::rfind(data, END).map(|i| i + END.len())
}

/// Reads the records of one chunk (the first holds the prolog and the root's start tag, the
/// last the root's end tag, which is unmatched in its chunk and allowed to be); returns how
/// many records it held.
fn parse_chunk(
    ctx: &Context<'_>,
    recorder: &mut Recorder<'_, '_, '_>,
    data: &[u8],
    index: usize,
    found: &mut Vec<AtOffset>,
) -> u64 {
    let mut xml = quick_xml::Reader::from_reader(data);
    xml.config_mut().allow_unmatched_ends = index > 0;
    let limit = ctx.options.limit();
    let mut depth = 0usize;
    // The depth of the element holding a record's fields, once the first field is seen.
    let mut record_depth: Option<usize> = None;
    let mut record = Record::default();
    let mut records = 0u64;
    let mut element_at = 0u64;
    let mut open: Option<Field> = None;
    // A chunk after the first may close what an earlier chunk opened (the root, at the end of
    // the file), so quick-xml is told to allow unmatched ends there; but chunks end just after
    // a record, so an unmatched end followed by more elements is a stray tag, not the root's.
    let mut unmatched_end: Option<(u64, String)> = None;
    while found.len() < limit {
        let at = xml.buffer_position();
        let event = match xml.read_event() {
            Ok(event) => event,
            Err(e) => {
                let error = RegisterError::BadRecord {
                    format: FORMAT,
                    reason: e.to_string(),
                };
                found.push(AtOffset::new(xml.error_position(), error));
                break;
            }
        };
        if let (Some((end_at, name)), Event::Start(_) | Event::Empty(_)) = (&unmatched_end, &event)
        {
            let error = RegisterError::BadRecord {
                format: FORMAT,
                reason: format!("the closing tag `</{name}>` closes no element opened before it"),
            };
            found.push(AtOffset::new(*end_at, error));
            break;
        }
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
            Event::End(e) => {
                open = None;
                if depth == 0 && unmatched_end.is_none() {
                    let name = e.name().as_ref().to_string();
                    unmatched_end = Some((at, name));
                }
                let closing = depth;
                depth = depth.saturating_sub(1);
                if record_depth == Some(closing) {
                    records += 1;
                    if let Err(problem) = finish(ctx, recorder, &record, record.at) {
                        found.push(problem);
                    }
                    record.clear();
                    record_depth = None;
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    records
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
