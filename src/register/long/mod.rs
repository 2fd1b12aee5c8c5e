//! The long CSV reader (data-formats.md §6.a): one row per pupil and session, in any order.
//! The file is cut into chunks at line ends outside quotes and parsed on every core; each
//! problem keeps its chunk and line within it, and becomes `file:line:column` at the end.

use std::io::{BufRead, Read};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError, mpsc};

use super::columns::{ColumnMap, KEYS, parse_session_text, parse_uk_date};
use super::error::{InputProblem, MAX_ROW, RegisterError};
use super::input::header_names;
use super::slots::{Collected, Slots, widen};
use super::{Context, parse_date, parse_session};

/// A duplicated session: pupil id, school day, session.
mod row;
use row::Parser;
pub(crate) use row::roll_text;

type DuplicateKey = (Vec<u8>, usize, usize);

/// The longest row is a chunk: the reader cuts chunks at line ends.
const CHUNK: usize = MAX_ROW;
const MAX_FIELDS: usize = 64;

/// Which fields hold what.
#[derive(Clone, Copy)]
struct Columns {
    count: usize,
    pupil: usize,
    date: usize,
    session: usize,
    mark: usize,
    /// Columns whose text may be shown in a message; `comment` (which may hold personal
    /// data) and unknown columns are not.
    shown: [bool; MAX_FIELDS],
    /// A mapped CSV: UK dates and session names or times are read too.
    lenient: bool,
    /// The pupil column holds UPNs, pseudonymised as they are read.
    upn: bool,
    /// The columns are `pupil_id,date,session,mark` in that order, read strictly: rows of
    /// the usual shape take [`row::Parser`]'s plain path.
    plain: bool,
}

pub(super) struct Chunk {
    pub index: usize,
    pub data: Vec<u8>,
    /// The chunk holds a `"`, so rows must be parsed with quoting in mind.
    quoted: bool,
    /// Instead of rows: one row longer than a chunk, which was skipped.
    pub overlong: Option<Overlong>,
}

/// A row longer than a chunk: its problem (at line 0 of the chunk) and its line ends.
pub(super) struct Overlong {
    problem: InputProblem,
    lines: u64,
}

/// A problem found in a chunk, with its line counted from the chunk's first line (0-based).
struct Found {
    chunk: usize,
    line: u64,
    problem: InputProblem,
    duplicate: Option<DuplicateKey>,
}

struct ChunkDone {
    index: usize,
    lines: u64,
    span: Option<(usize, usize)>,
}

pub(crate) fn read(
    ctx: &Context<'_>,
    reader: Box<dyn BufRead + Send>,
) -> Result<Collected, Vec<InputProblem>> {
    read_mapped(ctx, reader, None)
}

/// Reads a CSV whose columns `mapping` names (a school's own export), or the long CSV.
pub(crate) fn read_mapped(
    ctx: &Context<'_>,
    reader: Box<dyn BufRead + Send>,
    mapping: Option<&ColumnMap>,
) -> Result<Collected, Vec<InputProblem>> {
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(1, 16);
    let (collected, stored) = read_with(ctx, reader, workers, mapping)?;
    // Two threads can record the same session at the same instant without seeing each
    // other (see `Entry::set`); then fewer sessions are filled than were stored, and one
    // thread reading in order finds the duplicate exactly.
    if workers > 1 && collected.problems.is_empty() && collected.slots.filled() != stored {
        let reader = ctx.input.open().map_err(|p| vec![p])?;
        return read_with(ctx, reader, 1, mapping).map(|(c, _)| c);
    }
    Ok(collected)
}

fn read_with(
    ctx: &Context<'_>,
    mut reader: Box<dyn BufRead + Send>,
    workers: usize,
    mapping: Option<&ColumnMap>,
) -> Result<(Collected, u64), Vec<InputProblem>> {
    let name = &ctx.input.name;
    let mut header = Vec::new();
    // A header is a line like any other: read no more of it than a row may hold.
    std::io::Read::take(&mut reader, MAX_ROW as u64)
        .read_until(b'\n', &mut header)
        .map_err(|e| {
            vec![InputProblem::whole_file(
                RegisterError::Unreadable {
                    file: name.clone(),
                    reason: e.to_string(),
                },
                name,
            )]
        })?;
    if header.len() == MAX_ROW && !header.ends_with(b"\n") {
        let error = RegisterError::RowTooLong { limit: MAX_ROW };
        return Err(vec![
            InputProblem::new(error, name, 1, 1).with_text_at(&header, 0, 1),
        ]);
    }
    let names = header_names(&header);
    let find = |key: &str| {
        let wanted = mapping.map_or(key, |m| m.name(key)).to_ascii_lowercase();
        names.iter().position(|c| *c == wanted)
    };
    if let Some(mapping) = mapping
        && let Some(key) = KEYS.iter().find(|k| find(k).is_none())
    {
        let header = String::from_utf8_lossy(&header)
            .trim_end()
            .chars()
            .take(80)
            .collect();
        let error = RegisterError::UnmappedColumns {
            column: mapping.name(key).to_string(),
            header,
        };
        return Err(vec![InputProblem::new(error, name, 1, 1)]);
    }
    let columns = match (
        find("pupil_id"),
        find("date"),
        find("session"),
        find("mark"),
    ) {
        (Some(pupil), Some(date), Some(session), Some(mark)) if names.len() <= MAX_FIELDS => {
            let mut shown = [false; MAX_FIELDS];
            let upn = mapping.is_some_and(|m| m.pupil_is_upn() && !ctx.options.keep_upn);
            for (i, n) in names.iter().enumerate() {
                shown[i] = [date, session, mark].contains(&i)
                    || (i == pupil && !upn)
                    || matches!(
                        n.as_str(),
                        "pupil_id"
                            | "date"
                            | "session"
                            | "mark"
                            | "minutes_late"
                            | "mis_mark"
                            | "school_urn"
                    );
            }
            Columns {
                count: names.len(),
                pupil,
                date,
                session,
                mark,
                shown,
                lenient: mapping.is_some(),
                upn,
                plain: names.len() == 4
                    && (pupil, date, session, mark) == (0, 1, 2, 3)
                    && mapping.is_none()
                    && !ctx.decoder.has_map(),
            }
        }
        _ => {
            let found = String::from_utf8_lossy(&header)
                .trim_end()
                .chars()
                .take(80)
                .collect();
            return Err(vec![InputProblem::new(
                RegisterError::UnknownFormat { found },
                name,
                1,
                1,
            )]);
        }
    };
    let slots = Slots::new(ctx);
    let limit = ctx.options.limit();
    // The lowest chunk with a problem once `limit` problems are known: later chunks stop.
    let stop_after = AtomicUsize::new(usize::MAX);
    let found: Mutex<Vec<Found>> = Mutex::new(Vec::new());
    let done: Mutex<Vec<ChunkDone>> = Mutex::new(Vec::new());
    let stored = std::sync::atomic::AtomicU64::new(0);
    let (send, receive) = mpsc::sync_channel::<Chunk>(workers * 2);
    let (recycle, recycled) = mpsc::channel::<Vec<u8>>();
    let receive = Mutex::new(receive);
    let mut read_error = None;
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let recycle = recycle.clone();
            let (receive, slots, found, done, stop_after, stored) =
                (&receive, &slots, &found, &done, &stop_after, &stored);
            scope.spawn(move || {
                let mut local = slots.local();
                loop {
                    let next = receive
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .recv();
                    let Ok(chunk) = next else { break };
                    let mut parser = Parser {
                        ctx,
                        columns,
                        local: &mut local,
                        chunk: chunk.index,
                        found: Vec::new(),
                        span: None,
                        date_cache: None,
                        stop_after,
                        limit,
                    };
                    let lines = match chunk.overlong {
                        Some(overlong) => {
                            parser.push(0, overlong.problem, None);
                            overlong.lines
                        }
                        None => parser.parse(&chunk.data, chunk.quoted),
                    };
                    let (problems, span) = (parser.found, parser.span);
                    // Before waiting for the next chunk, so that a thread widening the
                    // store does not wait for this one.
                    local.release();
                    if !problems.is_empty() {
                        let mut all = found.lock().unwrap_or_else(PoisonError::into_inner);
                        all.extend(problems);
                        if all.len() >= limit {
                            stop_after.fetch_min(chunk.index, Ordering::Relaxed);
                        }
                    }
                    done.lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(ChunkDone {
                            index: chunk.index,
                            lines,
                            span,
                        });
                    // The reader may have finished; a buffer nobody takes back is just dropped.
                    let _ = recycle.send(chunk.data);
                }
                stored.fetch_add(local.stored, Ordering::Relaxed);
            });
        }
        drop(recycle);
        read_error = split_chunks(&mut reader, &send, &recycled, &stop_after, name);
        drop(send);
    });
    if let Some(e) = read_error {
        return Err(vec![InputProblem::whole_file(
            RegisterError::Unreadable {
                file: name.clone(),
                reason: e.to_string(),
            },
            name,
        )]);
    }
    let mut done = done.into_inner().unwrap_or_else(PoisonError::into_inner);
    done.sort_by_key(|d| d.index);
    // Line 1 is the header; chunk k starts after the lines of the chunks before it.
    let mut first_line = Vec::with_capacity(done.len());
    let mut next = 2u64;
    let mut span = None;
    for d in &done {
        first_line.push(next);
        next += d.lines;
        if let Some((a, b)) = d.span {
            widen(&mut span, a);
            widen(&mut span, b);
        }
    }
    let mut found = found.into_inner().unwrap_or_else(PoisonError::into_inner);
    found.sort_by_key(|f| (f.chunk, f.line, f.problem.at.column));
    let mut problems = Vec::new();
    let mut duplicates = Vec::new();
    for f in found {
        let mut problem = f.problem;
        problem.at.line = first_line.get(f.chunk).copied().unwrap_or(0) + f.line;
        if let Some(key) = f.duplicate {
            duplicates.push((problems.len(), key));
        }
        problems.push(problem);
    }
    let dropped = problems.len().saturating_sub(limit);
    problems.truncate(limit);
    if !duplicates.is_empty() {
        first_lines_of_duplicates(ctx, columns, &mut problems, &duplicates);
    }
    let stored = stored.into_inner();
    Ok((
        Collected {
            slots,
            span,
            problems,
            dropped,
        },
        stored,
    ))
}

/// Reads the input into chunks that end at a line end outside quotes, and sends them on. A
/// chunk holds whole rows, so a row longer than a chunk ([`MAX_ROW`]) is not read: it is
/// skipped to its end and sent as a chunk that holds only its problem.
pub(super) fn split_chunks(
    reader: &mut Box<dyn BufRead + Send>,
    send: &mpsc::SyncSender<Chunk>,
    recycled: &mpsc::Receiver<Vec<u8>>,
    stop_after: &AtomicUsize,
    name: &str,
) -> Option<std::io::Error> {
    let mut carry: Vec<u8> = Vec::new();
    let mut index = 0;
    loop {
        if stop_after.load(Ordering::Relaxed) != usize::MAX {
            return None;
        }
        // The chunk is read at its full length, so that the file is read straight into it: a
        // `BufReader` hands a read at least as large as its own buffer to the file, and the
        // bytes are copied once instead of through its buffer. Zeroing a recycled chunk
        // touches only the little that the chunk before it did not fill.
        let mut data = recycled.try_recv().unwrap_or_default();
        data.resize(CHUNK, 0);
        let mut len = carry.len();
        data[..len].copy_from_slice(&carry);
        carry.clear();
        let mut eof = false;
        while len < CHUNK {
            match reader.read(&mut data[len..]) {
                Ok(0) => {
                    eof = true;
                    break;
                }
                Ok(n) => len += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Some(e),
            }
        }
        data.truncate(len);
        let quoted = memchr::memchr(b'"', &data).is_some();
        let mut overlong = None;
        if !eof {
            match last_line_end(&data, quoted) {
                Some(end) => {
                    carry.extend_from_slice(&data[end + 1..]);
                    let end = data.len() - carry.len();
                    data.truncate(end);
                }
                // The chunk starts a row, so that row is longer than a chunk.
                None => match skip_row(reader, &data, name) {
                    Ok(skipped) => {
                        eof = skipped.1;
                        overlong = Some(skipped.0);
                        data.clear();
                    }
                    Err(e) => return Some(e),
                },
            }
        }
        if (!data.is_empty() || overlong.is_some())
            && send
                .send(Chunk {
                    index,
                    data,
                    quoted,
                    overlong,
                })
                .is_err()
        {
            return None;
        }
        index += 1;
        if eof {
            return None;
        }
    }
}

/// The last `\n` that is not inside a quoted field (chunks always start outside quotes).
fn last_line_end(data: &[u8], quoted: bool) -> Option<usize> {
    if !quoted {
        return memchr::memrchr(b'\n', data);
    }
    let mut inside = false;
    let mut last = None;
    for i in memchr::memchr2_iter(b'"', b'\n', data) {
        match data[i] {
            b'"' => inside = !inside,
            _ if !inside => last = Some(i),
            _ => {}
        }
    }
    last
}

/// Reads past the rest of a row whose first `head.len()` bytes (a whole chunk, no line end
/// outside quotes) are in `head`, in one pass over it; returns the row's problem and line
/// ends, and whether the input ended inside it.
fn skip_row(
    reader: &mut Box<dyn BufRead + Send>,
    head: &[u8],
    name: &str,
) -> std::io::Result<(Overlong, bool)> {
    // Where the quoted field open at the end of `head` (if any) starts.
    let mut open = None;
    for i in memchr::memchr_iter(b'"', head) {
        open = if open.is_some() { None } else { Some(i) };
    }
    let mut inside = open.is_some();
    let mut lines = memchr::memchr_iter(b'\n', head).count() as u64;
    let eof = loop {
        let buf = match reader.fill_buf() {
            Ok(buf) => buf,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if buf.is_empty() {
            break true;
        }
        let mut end = None;
        for i in memchr::memchr2_iter(b'"', b'\n', buf) {
            match buf[i] {
                b'"' => inside = !inside,
                _ if !inside => {
                    end = Some(i);
                    break;
                }
                _ => lines += 1,
            }
        }
        match end {
            Some(i) => {
                reader.consume(i + 1);
                lines += 1;
                break false;
            }
            None => {
                let n = buf.len();
                reader.consume(n);
            }
        }
    };
    // A quote still open at the end of the input never closed: that is the problem, at the
    // quote. Otherwise the row is merely too long.
    let problem = match open.filter(|_| eof && inside) {
        Some(quote) => {
            let column = String::from_utf8_lossy(&head[..quote]).chars().count() + 1;
            InputProblem::new(RegisterError::UnterminatedQuote, name, 0, column as u64)
                .with_text_at(first_line(head), quote, 1)
        }
        None => InputProblem::new(RegisterError::RowTooLong { limit: MAX_ROW }, name, 0, 1)
            .with_text_at(first_line(head), 0, 1),
    };
    Ok((Overlong { problem, lines }, eof))
}

/// The bytes of `data` up to its first line end (for an excerpt of a row's first line).
fn first_line(data: &[u8]) -> &[u8] {
    &data[..memchr::memchr(b'\n', data).unwrap_or(data.len())]
}

/// Finds the line of the first mark of each duplicated session, reading the file again (this
/// only happens when there is a duplicate to report).
fn first_lines_of_duplicates(
    ctx: &Context<'_>,
    columns: Columns,
    problems: &mut [InputProblem],
    duplicates: &[(usize, DuplicateKey)],
) {
    let Ok(reader) = ctx.input.open() else { return };
    let mut csv = csv::ReaderBuilder::new().flexible(true).from_reader(reader);
    let mut record = csv::ByteRecord::new();
    let mut wanted: Vec<(usize, &DuplicateKey)> = duplicates.iter().map(|(i, k)| (*i, k)).collect();
    while !wanted.is_empty() && matches!(csv.read_byte_record(&mut record), Ok(true)) {
        let (Some(pupil), Some(date), Some(session)) = (
            record.get(columns.pupil),
            record.get(columns.date),
            record.get(columns.session),
        ) else {
            continue;
        };
        let day = parse_date(date)
            .or_else(|| {
                columns
                    .lenient
                    .then(|| parse_uk_date(date))
                    .flatten()
                    .map(|(d, _)| d)
            })
            .and_then(|d| ctx.days.index(d));
        let which = parse_session(session).or_else(|| {
            columns
                .lenient
                .then(|| parse_session_text(ctx.calendar, session))
                .flatten()
        });
        let line = record.position().map_or(0, csv::Position::line);
        wanted.retain(|(i, (p, d, s))| {
            let same = pupil == p.as_slice() && day == Some(*d) && which == Some(*s);
            let hit = same
                && problems
                    .get(*i)
                    .is_some_and(|problem| problem.at.line != line);
            if hit
                && let Some(problem) = problems.get_mut(*i)
                && let RegisterError::Duplicate { first_line, .. } = &mut problem.error
            {
                *first_line = Some(line);
            }
            !hit
        });
    }
}
