//! The CTF XML attendance subset (data-formats.md §6.c), read as a stream: for each
//! `CTfile/CTFpupilData/Pupil`, its `UPN` (pseudonymised unless asked not to), `DOB`,
//! `BasicDetails/NCyearActual` and each `Attendance/YearData`'s marks. The totals a CTF
//! carries are recomputed from its marks, and a difference is a warning naming both values.
//! Names, addresses and contacts are skipped and never stored.

use std::hash::{Hash, Hasher};
use std::io::{BufRead, Read};

use chrono::{Days, NaiveDate};
use quick_xml::events::Event;

use super::compact::{apply, tokens};
use super::error::{InputProblem, RegisterError};
use super::pupils::{Pupil, YearGroup};
use super::slots::{Collected, Slots};
use super::{Context, parse_date};
use crate::codes::{self, MarkClass};
use crate::diagnostic::Problem;

#[derive(Default)]
struct YearData {
    possible: Option<u32>,
    authorised: Option<u32>,
    attended: Option<u32>,
    unauthorised: Option<u32>,
    start: Option<(String, u64)>,
    marks: Option<(String, u64)>,
}

#[derive(Default)]
struct PupilData {
    upn: Option<String>,
    dob: Option<(String, u64)>,
    year: Option<String>,
    years: Vec<YearData>,
}

/// A problem found at a byte offset, whose line is worked out at the end.
pub(crate) struct AtOffset {
    offset: u64,
    column_in_text: usize,
    width: usize,
    error: RegisterError,
}

impl AtOffset {
    pub(crate) fn new(offset: u64, error: RegisterError) -> AtOffset {
        AtOffset::spanning(offset, 1, error)
    }

    pub(crate) fn offset(&self) -> u64 {
        self.offset
    }

    /// The same problem `by` bytes further into the input (a chunk's offset in the file).
    pub(crate) fn shifted(mut self, by: u64) -> AtOffset {
        self.offset += by;
        self
    }

    /// A problem about `width` bytes of text starting at `offset`.
    pub(crate) fn spanning(offset: u64, width: usize, error: RegisterError) -> AtOffset {
        AtOffset {
            offset,
            column_in_text: 0,
            width: width.max(1),
            error,
        }
    }
}

/// The problems found so far: errors up to the reader's limit, the rest only counted.
struct Found {
    kept: Vec<AtOffset>,
    errors: usize,
    dropped: usize,
    limit: usize,
}

impl Found {
    fn push(&mut self, problem: AtOffset) {
        if problem.error.severity() == crate::diagnostic::Severity::Error {
            if self.errors >= self.limit {
                self.dropped += 1;
                return;
            }
            self.errors += 1;
        } else if self.kept.len() >= 2 * self.limit {
            // Warnings (totals that differ) are capped too, one or two per pupil.
            self.dropped += 1;
            return;
        }
        self.kept.push(problem);
    }

    fn full(&self) -> bool {
        self.errors >= self.limit
    }
}

pub(crate) fn read(
    ctx: &Context<'_>,
    reader: Box<dyn BufRead + Send>,
) -> Result<Collected, Vec<InputProblem>> {
    let mut xml = quick_xml::Reader::from_reader(reader);
    let slots = Slots::new(ctx);
    let mut local = slots.local();
    let limit = ctx.options.limit();
    let mut found = Found {
        kept: Vec::new(),
        errors: 0,
        dropped: 0,
        limit,
    };
    let mut span = None;
    let mut path: Vec<Vec<u8>> = Vec::new();
    let mut pupil: Option<PupilData> = None;
    let mut buf = Vec::new();
    let mut text = String::new();
    let mut text_at = 0u64;
    loop {
        let at = xml.buffer_position();
        let event = match xml.read_event_into(&mut buf) {
            Ok(event) => event,
            Err(e) => {
                let error = RegisterError::BadXml {
                    reason: e.to_string(),
                };
                found.push(AtOffset {
                    offset: xml.error_position(),
                    column_in_text: 0,
                    width: 1,
                    error,
                });
                break;
            }
        };
        match event {
            Event::Start(e) => {
                let local_name = e.local_name().as_ref().as_bytes().to_vec();
                if local_name == b"Pupil" && path.last().is_some_and(|p| p == b"CTFpupilData") {
                    pupil = Some(PupilData::default());
                }
                if local_name == b"YearData"
                    && let Some(p) = pupil.as_mut()
                {
                    p.years.push(YearData::default());
                }
                path.push(local_name);
                text.clear();
                text_at = xml.buffer_position();
            }
            Event::Text(t) => text.push_str(&t),
            Event::CData(t) => text.push_str(&t.into_inner()),
            Event::GeneralRef(r) => match &*r {
                "amp" => text.push('&'),
                "lt" => text.push('<'),
                "gt" => text.push('>'),
                "quot" => text.push('"'),
                "apos" => text.push('\''),
                _ => {}
            },
            Event::End(_) => {
                let closing = path.pop().unwrap_or_default();
                let parent = path.last().map(Vec::as_slice);
                let value = text.trim().to_string();
                if let Some(p) = pupil.as_mut() {
                    match (parent, closing.as_slice()) {
                        (Some(b"Pupil"), b"UPN") => p.upn = Some(value),
                        (Some(b"Pupil"), b"DOB") => p.dob = Some((value, text_at)),
                        (Some(b"BasicDetails"), b"NCyearActual") => p.year = Some(value),
                        (Some(b"YearData"), field) => {
                            if let Some(y) = p.years.last_mut() {
                                let number = value.parse().ok();
                                match field {
                                    b"SessionsPossible" => y.possible = number,
                                    b"SessionsAuthorised" => y.authorised = number,
                                    b"SessionsAttended" => y.attended = number,
                                    b"SessionsUnauthorised" => y.unauthorised = number,
                                    _ => {}
                                }
                            }
                        }
                        (Some(b"AttendSessions"), b"AttendanceStartDate") => {
                            if let Some(y) = p.years.last_mut() {
                                y.start = Some((value, text_at));
                            }
                        }
                        (Some(b"AttendSessions"), b"AttendanceMarks") => {
                            if let Some(y) = p.years.last_mut() {
                                y.marks = Some((text.clone(), text_at));
                            }
                        }
                        _ => {}
                    }
                }
                if closing == b"Pupil"
                    && let Some(p) = pupil.take()
                {
                    finish_pupil(ctx, &slots, &mut local, p, &mut span, &mut found);
                    if found.full() {
                        break;
                    }
                }
                text.clear();
            }
            Event::Eof => break,
            _ => {}
        }
        let _ = at;
        buf.clear();
    }
    drop(local);
    let dropped = found.dropped;
    let problems = locate(ctx, found.kept);
    Ok(Collected {
        slots,
        span,
        problems,
        dropped,
    })
}

fn finish_pupil(
    ctx: &Context<'_>,
    slots: &Slots,
    local: &mut super::slots::LocalSlots<'_>,
    p: PupilData,
    span: &mut Option<(usize, usize)>,
    found: &mut Found,
) {
    let Some(upn) = p.upn.filter(|u| !u.is_empty()) else {
        let offset = p
            .years
            .first()
            .and_then(|y| y.marks.as_ref())
            .map_or(0, |m| m.1);
        found.push(AtOffset {
            offset,
            column_in_text: 0,
            width: 1,
            error: RegisterError::BadXml {
                reason: "a pupil has no `UPN`".into(),
            },
        });
        return;
    };
    let id = ctx.upn_id(&upn);
    let mut dob = None;
    if let Some((text, at)) = &p.dob {
        dob = parse_date(text.as_bytes());
        if dob.is_none() {
            found.push(AtOffset {
                offset: *at,
                column_in_text: 0,
                width: text.len(),
                error: RegisterError::BadDate { text: text.clone() },
            });
        }
    }
    let mut record = Pupil::unknown(id.clone());
    record.dob = dob;
    record.year_group = p.year.as_deref().and_then(YearGroup::parse);
    for year in &p.years {
        let (Some((start_text, start_at)), Some((marks, marks_at))) = (&year.start, &year.marks)
        else {
            continue;
        };
        let Some(start) = parse_date(start_text.as_bytes()) else {
            let error = RegisterError::BadDate {
                text: start_text.clone(),
            };
            found.push(AtOffset {
                offset: *start_at,
                column_in_text: 0,
                width: start_text.len(),
                error,
            });
            continue;
        };
        let mut report = |error: &dyn Fn() -> RegisterError, offset: usize, width: usize| {
            if found.full() {
                found.dropped += 1;
                return;
            }
            let column_in_text = if offset == usize::MAX { 0 } else { offset };
            found.push(AtOffset {
                offset: *marks_at,
                column_in_text,
                width,
                error: ctx.unknown_pupil(error()),
            });
        };
        apply(
            ctx,
            local,
            id.as_bytes(),
            start,
            marks.as_bytes(),
            span,
            &mut report,
        );
        if let Some(what) = totals_differ(year, start, marks) {
            let error = RegisterError::CtfTotals {
                pupil: id.clone(),
                what,
            };
            found.push(AtOffset {
                offset: *marks_at,
                column_in_text: 0,
                width: 1,
                error,
            });
        }
    }
    if ctx.pupils.is_none() {
        slots.set_record(id.as_bytes(), record);
    }
}

/// Compares the totals a `YearData` states with those its marks give.
fn totals_differ(year: &YearData, start: NaiveDate, marks: &str) -> Option<String> {
    let (mut possible, mut attended, mut authorised, mut unauthorised) = (0u32, 0u32, 0u32, 0u32);
    for (i, token) in tokens(marks.as_bytes()).enumerate() {
        let token = token.ok()?;
        let date = start.checked_add_days(Days::new((i / 2) as u64))?;
        let Some(info) = std::str::from_utf8(token.text)
            .ok()
            .and_then(|t| codes::table().lookup(t, date))
        else {
            continue;
        };
        match info.class {
            MarkClass::Present | MarkClass::ApprovedActivity => attended += 1,
            MarkClass::Authorised => authorised += 1,
            MarkClass::Unauthorised => unauthorised += 1,
            MarkClass::NotCounted => continue,
        }
        possible += 1;
    }
    let mut differ = Vec::new();
    for (label, stated, counted) in [
        ("possible", year.possible, possible),
        ("attended", year.attended, attended),
        ("authorised", year.authorised, authorised),
        ("unauthorised", year.unauthorised, unauthorised),
    ] {
        if let Some(stated) = stated
            && stated != counted
        {
            differ.push(format!("{label} {stated} stated, {counted} in the marks"));
        }
    }
    (!differ.is_empty()).then(|| differ.join(", "))
}

/// A stable pseudonymous id for a UPN: a keyed SipHash, so ids cannot be reversed by
/// hashing every possible UPN unless the key is known.
pub fn pseudonym(upn: &str, key: Option<&str>) -> String {
    #[expect(
        deprecated,
        reason = "SipHasher is the keyed hash std offers; its output is stable"
    )]
    let mut hasher =
        std::hash::SipHasher::new_with_keys(0x6174_7465_6e64_0001, 0x7570_6e00_0000_0002);
    key.unwrap_or("").hash(&mut hasher);
    upn.trim().to_ascii_uppercase().hash(&mut hasher);
    format!("U{:016x}", hasher.finish())
}

/// Turns byte offsets into lines and columns by reading the input once more; each problem
/// keeps an excerpt of its line, and columns are counted once per line, in one pass.
pub(crate) fn locate(ctx: &Context<'_>, mut found: Vec<AtOffset>) -> Vec<InputProblem> {
    let name = &ctx.input.name;
    found.sort_by_key(|f| (f.offset, f.column_in_text));
    let mut problems = Vec::with_capacity(found.len());
    let mut found = found.into_iter().peekable();
    if let Ok(mut reader) = ctx.input.open() {
        let (mut line, mut pos) = (1u64, 0u64);
        // Characters of the line before this piece of it, when a line is read in pieces.
        let mut before = 0usize;
        let mut text: Vec<u8> = Vec::new();
        while found.peek().is_some() {
            text.clear();
            // A line is read whole only up to the longest row; past that, its problems are
            // placed by byte.
            match Read::take(&mut reader, super::MAX_ROW as u64).read_until(b'\n', &mut text) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let end = pos + n as u64;
                    // Characters before `counted`, counted so far along this line.
                    let (mut counted, mut chars) = (0usize, before);
                    while let Some(f) = found.next_if(|f| f.offset < end) {
                        let at = usize::try_from(f.offset - pos).unwrap_or(0).min(text.len());
                        let byte = at.saturating_add(f.column_in_text).min(text.len());
                        if byte >= counted {
                            chars += String::from_utf8_lossy(&text[counted..byte])
                                .chars()
                                .count();
                            counted = byte;
                        }
                        problems.push(
                            InputProblem::new(f.error, name, line, chars as u64 + 1)
                                .with_text_at(&text, byte, f.width),
                        );
                    }
                    pos = end;
                    if text.ends_with(b"\n") {
                        line += 1;
                        before = 0;
                    } else {
                        before = chars + String::from_utf8_lossy(&text[counted..]).chars().count();
                    }
                }
            }
        }
    }
    problems.extend(found.map(|f| InputProblem::whole_file(f.error, name)));
    problems
}
