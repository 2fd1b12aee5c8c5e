//! Session records as JSON (data-formats.md §2.2, §2.4): Wonde's (`student_id`, `date`,
//! `session`, `attendance_code_id`) and Arbor's (`student`, `attendanceRegister`,
//! `attendanceMark`), as a JSON array, JSON lines, or an API response whose `data` array holds
//! them. Code ids are resolved through the code list given as `--codes-map`; a record that
//! carries its code (`attendanceMark: {"code": "/"}`) needs none. The file is scanned for
//! records as it streams, each record parsed by serde_json on its own, so a register larger
//! than memory is read and every problem has a line.

use std::borrow::Cow;
use std::fmt;
use std::io::BufRead;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};

use super::Context;
use super::columns::{parse_session_text, parse_uk_date, session_at};
use super::ctf::AtOffset;
use super::error::{InputProblem, RegisterError};
use super::records::{Part, Problems, Recorder, read_chunks};
use super::slots::{Collected, Slots};

const FORMAT: &str = "JSON";

/// A record's fields under the names Wonde, Arbor and SIMS give them; others are ignored.
#[derive(serde::Deserialize)]
struct Record<'a> {
    #[serde(
        borrow,
        alias = "student_id",
        alias = "student",
        alias = "PersonID",
        alias = "personId"
    )]
    pupil_id: Option<Scalar<'a>>,
    #[serde(
        borrow,
        alias = "AttendanceDate",
        alias = "startDatetime",
        alias = "attendanceRegister"
    )]
    date: Option<Scalar<'a>>,
    #[serde(borrow, alias = "SessionName")]
    session: Option<Scalar<'a>>,
    #[serde(
        borrow,
        alias = "code",
        alias = "attendanceMark",
        alias = "attendance_code",
        alias = "AttendanceMark",
        alias = "attendance_code_id"
    )]
    mark: Option<Scalar<'a>>,
}

/// A value that names something: a string or number as written, or an object's `code`
/// (a mark), `startDatetime` (a register) or `id`, looked for under `data` too (Wonde's
/// includes).
struct Scalar<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Scalar<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string, a number, or an object with a `code` or `id`")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Scalar(Cow::Borrowed(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Scalar(Cow::Owned(v.to_string())))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Scalar(Cow::Owned(v.to_string())))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Scalar(Cow::Owned(v.to_string())))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut code, mut start, mut id, mut data) = (None, None, None, None);
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            match &*key {
                "code" => code = map.next_value::<Option<Scalar<'de>>>()?,
                "startDatetime" | "date" => start = map.next_value::<Option<Scalar<'de>>>()?,
                "id" => id = map.next_value::<Option<Scalar<'de>>>()?,
                "data" => data = map.next_value::<Option<Scalar<'de>>>()?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        code.or(start)
            .or(data)
            .or(id)
            .ok_or_else(|| de::Error::custom("an object with no `code`, `startDatetime` or `id`"))
    }
}

/// Where the scanner is: which containers are open, and whether inside a string.
struct Scanner {
    /// The open containers, outermost first (`{` or `[`).
    open: Vec<u8>,
    in_string: bool,
    escaped: bool,
    /// The depth (containers open, the record's own included) while inside a record.
    record: Option<usize>,
    /// The depth of the `data` array of an API response, whose objects are records.
    data_array: Option<usize>,
    /// The last string at depth 1, to recognise `"data": [`.
    last_key: Vec<u8>,
    key_open: bool,
    line: u64,
    column: u64,
    /// The record being read, and the line and column of its `{`.
    bytes: Vec<u8>,
    start: (u64, u64),
}

/// Containers nested deeper than this end the scan: no record needs them.
const MAX_DEPTH: usize = 64;

pub(crate) fn read(
    ctx: &Context<'_>,
    mut reader: Box<dyn BufRead + Send>,
) -> Result<Collected, Vec<InputProblem>> {
    if is_json_lines(reader.fill_buf().unwrap_or(&[])) {
        let parse = |recorder: &mut Recorder<'_, '_, '_>,
                     data: &[u8],
                     _: usize,
                     found: &mut Vec<AtOffset>| {
            parse_lines(ctx, recorder, data, found);
        };
        let boundary = |data: &[u8]| memchr::memrchr(b'\n', data).map(|i| i + 1);
        return read_chunks(ctx, reader, &boundary, &parse);
    }
    let slots = Slots::new(ctx);
    let mut problems = Problems::new(ctx);
    let mut recorder = Recorder::new(ctx, &slots);
    let mut s = Scanner {
        open: Vec::new(),
        in_string: false,
        escaped: false,
        record: None,
        data_array: None,
        last_key: Vec::new(),
        key_open: false,
        line: 1,
        column: 0,
        bytes: Vec::new(),
        start: (1, 1),
    };
    let name = ctx.input.name.clone();
    let mut records = 0u64;
    let bad = |line: u64, column: u64, reason: String| {
        InputProblem::new(
            RegisterError::BadRecord {
                format: FORMAT,
                reason,
            },
            &name,
            line,
            column,
        )
    };
    'read: loop {
        let buf = match reader.fill_buf() {
            Ok([]) => break,
            Ok(buf) => buf,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                problems.push(bad(s.line, s.column, e.to_string()));
                break;
            }
        };
        let len = buf.len();
        let mut from = 0;
        for (i, &b) in buf.iter().enumerate() {
            if b == b'\n' {
                s.line += 1;
                s.column = 0;
            } else if b & 0xC0 != 0x80 {
                s.column += 1;
            }
            if s.in_string {
                if s.escaped {
                    s.escaped = false;
                } else if b == b'\\' {
                    s.escaped = true;
                } else if b == b'"' {
                    s.in_string = false;
                    s.key_open = false;
                } else if s.key_open && s.last_key.len() < 8 {
                    s.last_key.push(b);
                }
                continue;
            }
            match b {
                b'"' => {
                    s.in_string = true;
                    if s.open.len() == 1 {
                        s.last_key.clear();
                        s.key_open = true;
                    }
                }
                b'{' | b'[' => {
                    if s.open.len() >= MAX_DEPTH {
                        problems.push(bad(
                            s.line,
                            s.column,
                            format!("nested more than {MAX_DEPTH} deep"),
                        ));
                        break 'read;
                    }
                    if s.record.is_none() {
                        let outer = s.open.first().copied();
                        let starts = b == b'{'
                            && (s.open.is_empty()
                                || (s.open.len() == 1 && outer == Some(b'['))
                                || s.data_array == Some(s.open.len()));
                        if b == b'[' && s.open.len() == 1 && s.last_key == b"data" {
                            s.data_array = Some(2);
                        }
                        if starts {
                            s.record = Some(s.open.len() + 1);
                            s.start = (s.line, s.column);
                            s.bytes.clear();
                            from = i;
                        }
                    } else if b == b'[' && s.open.len() == 1 && s.last_key == b"data" {
                        // A top-level object that turns out to be an API response: its
                        // `data` array holds the records, so it is not one itself.
                        s.record = None;
                        s.data_array = Some(2);
                    }
                    s.open.push(b);
                }
                b'}' | b']' => {
                    if s.open.pop().is_none() {
                        problems.push(bad(
                            s.line,
                            s.column,
                            format!("`{}` closes nothing", char::from(b)),
                        ));
                        break 'read;
                    }
                    if s.data_array.is_some_and(|d| d > s.open.len()) {
                        s.data_array = None;
                    }
                    if s.record == Some(s.open.len() + 1) {
                        s.record = None;
                        s.bytes.extend_from_slice(&buf[from..=i]);
                        records += 1;
                        if let Err(problem) = record(ctx, &mut recorder, &s.bytes) {
                            problems.push(placed(&name, &s.bytes, s.start, problem));
                        }
                        if problems.full() {
                            break 'read;
                        }
                    }
                }
                _ => {}
            }
        }
        if s.record.is_some() {
            s.bytes.extend_from_slice(&buf[from..]);
            if s.bytes.len() > super::MAX_ROW {
                let error = RegisterError::RowTooLong {
                    limit: super::MAX_ROW,
                };
                problems.push(InputProblem::new(error, &name, s.start.0, s.start.1));
                break;
            }
        }
        reader.consume(len);
    }
    if !problems.full() && (s.in_string || !s.open.is_empty()) {
        let reason = if s.in_string {
            "the file ends inside a string".to_string()
        } else {
            format!(
                "the file ends before `{}` closes",
                s.open.last().map_or('{', |b| char::from(*b))
            )
        };
        problems.push(bad(s.line, s.column.max(1), reason));
    }
    if records == 0 && problems.kept.is_empty() {
        let reason = "no records: expected an array of objects, JSON lines, or an object whose `data` is an array".into();
        problems.push(bad(1, 1, reason));
    }
    let span = recorder.span;
    drop(recorder);
    Ok(problems.collected(slots, span))
}

/// A problem in a record: the byte of the record it starts at, its width, and what it is.
type RecordProblem = (usize, usize, RegisterError);

/// Parses and records one record.
fn record(
    ctx: &Context<'_>,
    recorder: &mut Recorder<'_, '_, '_>,
    bytes: &[u8],
) -> Result<(), RecordProblem> {
    // Where a value is in the record, to point at it.
    let at = |needle: &str, error: RegisterError| -> RecordProblem {
        let byte = (!needle.is_empty())
            .then(|| memchr::memmem::find(bytes, needle.as_bytes()))
            .flatten()
            .unwrap_or(0);
        (byte, needle.len(), error)
    };
    let parsed: Record<'_> = match serde_json::from_slice(bytes) {
        Ok(r) => r,
        Err(e) => {
            // serde_json counts lines and columns from 1 within the record.
            let line_start = bytes
                .split_inclusive(|b| *b == b'\n')
                .take(e.line().saturating_sub(1))
                .map(<[u8]>::len)
                .sum::<usize>();
            let byte = line_start + e.column().saturating_sub(1);
            let reason = e.to_string();
            let reason = reason
                .split(" at line ")
                .next()
                .unwrap_or(&reason)
                .to_string();
            let error = RegisterError::BadRecord {
                format: FORMAT,
                reason,
            };
            return Err((byte.min(bytes.len()), 1, error));
        }
    };
    let missing = |field: &str| RegisterError::BadRecord {
        format: FORMAT,
        reason: format!("a record has no `{field}`"),
    };
    let (Some(pupil), Some(date), Some(mark)) = (&parsed.pupil_id, &parsed.date, &parsed.mark)
    else {
        let field = if parsed.pupil_id.is_none() {
            "student_id"
        } else if parsed.date.is_none() {
            "date"
        } else {
            "attendance_code_id` or `attendanceMark"
        };
        return Err((0, 1, missing(field)));
    };
    let Some((day, time)) = parse_uk_date(date.0.as_bytes()) else {
        let error = RegisterError::BadUkDate {
            text: date.0.to_string(),
        };
        return Err(at(&date.0, error));
    };
    let session = match (&parsed.session, time) {
        (Some(text), _) => parse_session_text(ctx.calendar, text.0.as_bytes()),
        (None, Some(minutes)) => Some(session_at(ctx.calendar, minutes)),
        (None, None) => return Err((0, 1, missing("session"))),
    };
    let Some(session) = session else {
        let text = parsed.session.as_ref().map_or("", |s| &*s.0);
        let error = RegisterError::BadSession {
            text: text.to_string(),
        };
        return Err(at(text, error));
    };
    recorder
        .record(pupil.0.as_bytes(), day, session, mark.0.as_bytes())
        .map_err(|(part, error)| {
            let needle = match part {
                Part::Pupil => &*pupil.0,
                Part::Date => &*date.0,
                Part::Session => parsed.session.as_ref().map_or("", |s| &*s.0),
                Part::Mark => &*mark.0,
            };
            at(needle, error)
        })
}

/// A problem in a record that starts at `start` (line, column), as an input problem.
fn placed(name: &str, bytes: &[u8], start: (u64, u64), problem: RecordProblem) -> InputProblem {
    let (byte, width, error) = problem;
    let before = &bytes[..byte.min(bytes.len())];
    let newlines = memchr::memchr_iter(b'\n', before).count() as u64;
    let line_start = memchr::memrchr(b'\n', before).map_or(0, |i| i + 1);
    let text_of_line = &bytes[line_start..];
    let text_of_line =
        &text_of_line[..memchr::memchr(b'\n', text_of_line).unwrap_or(text_of_line.len())];
    let (line, column) = if newlines == 0 {
        (start.0, start.1 + byte as u64)
    } else {
        (start.0 + newlines, (byte - line_start) as u64 + 1)
    };
    InputProblem::new(error, name, line, column).with_text_at(
        text_of_line,
        byte - line_start,
        width,
    )
}

/// Whether the input is JSON lines, one record a line, which is read on every core: its
/// first line is a whole object and not an API response's wrapper.
fn is_json_lines(head: &[u8]) -> bool {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let Some(end) = memchr::memchr(b'\n', head) else {
        return false;
    };
    let line = head[..end].trim_ascii();
    line.starts_with(b"{")
        && line.ends_with(b"}")
        && memchr::memmem::find(line, b"\"data\"").is_none()
}

/// Reads the records of a chunk of JSON lines; returns how many it held.
fn parse_lines(
    ctx: &Context<'_>,
    recorder: &mut Recorder<'_, '_, '_>,
    data: &[u8],
    found: &mut Vec<AtOffset>,
) -> u64 {
    let limit = ctx.options.limit();
    let mut records = 0;
    let mut start = 0;
    for line in data.split_inclusive(|b| *b == b'\n') {
        let offset = start;
        start += line.len();
        let skip = line.len() - line.trim_ascii_start().len();
        let text = line.trim_ascii();
        if text.is_empty() {
            continue;
        }
        // A byte-order mark opens the first line, and nothing else may.
        let text = if offset == 0 {
            text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text)
        } else {
            text
        };
        records += 1;
        let result = if text.starts_with(b"{") {
            record(ctx, recorder, text)
        } else {
            let error = RegisterError::BadRecord {
                format: FORMAT,
                reason: "a line of JSON lines that is not an object".into(),
            };
            Err((0, 1, error))
        };
        if let Err((byte, width, error)) = result {
            found.push(AtOffset::spanning(
                (offset + skip + byte) as u64,
                width,
                error,
            ));
            if found.len() >= limit {
                break;
            }
        }
    }
    records
}
