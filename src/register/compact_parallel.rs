//! The compact marks reader's fast path: the file cut into chunks at line ends (as the long
//! CSV reader cuts it), each chunk's rows split, tokenised and decoded in one pass on every
//! core, a pupil's marks recorded as one run. It gives up at the first thing out of the
//! ordinary (a quoted quote, a bad token, a problem of any kind, a pupil in two rows) and the
//! reader in `compact.rs` reads the file again, one row at a time, to report it exactly.

use std::io::BufRead;

use chrono::NaiveDate;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError, mpsc};

use super::error::MAX_ROW;
use super::input::header_names;
use super::long::split_chunks;
use super::slots::{Collected, LocalSlots, Slots, widen};
use super::{Context, Decoded, Decoder, NO_MARK, NOT_IN_FORCE, parse_date};
use crate::table::NOT_SCHOOL_DAY;

/// Where the fields are, by column.
#[derive(Clone, Copy)]
pub(super) struct Columns {
    count: usize,
    pupil: usize,
    start: usize,
    marks: usize,
}

/// Reads the header row; `None` when the file needs the careful reader.
pub(super) fn header(reader: &mut Box<dyn BufRead + Send>) -> Option<Columns> {
    let mut header = Vec::new();
    std::io::Read::take(&mut *reader, MAX_ROW as u64)
        .read_until(b'\n', &mut header)
        .ok()?;
    if !header.ends_with(b"\n") || header.contains(&b'"') {
        return None;
    }
    let names = header_names(&header);
    let find = |n: &str| names.iter().position(|c| c == n);
    let columns = Columns {
        count: names.len(),
        pupil: find("pupil_id")?,
        start: find("start_date")?,
        marks: find("marks")?,
    };
    (columns.count <= 64).then_some(columns)
}

/// The rows were read; `None`: something needs the careful reader.
pub(super) fn read(ctx: &Context<'_>, mut reader: Box<dyn BufRead + Send>) -> Option<Collected> {
    let columns = header(&mut reader)?;
    let z = ZRows::new();
    let slots = Slots::new(ctx);
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(1, 16);
    let failed = AtomicBool::new(false);
    // `split_chunks` stops when this is set: the lowest chunk that gave up.
    let stop_after = AtomicUsize::new(usize::MAX);
    let stored = AtomicU64::new(0);
    let span: Mutex<Option<(usize, usize)>> = Mutex::new(None);
    let (send, receive) = mpsc::sync_channel(workers * 2);
    let (recycle, recycled) = mpsc::channel::<Vec<u8>>();
    let receive = Mutex::new(receive);
    let mut read_error = None;
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let recycle = recycle.clone();
            let (receive, slots, failed, stop_after, stored, span, z) =
                (&receive, &slots, &failed, &stop_after, &stored, &span, &z);
            scope.spawn(move || {
                let mut local = slots.local();
                let mut run = Vec::new();
                let mut seen = None;
                loop {
                    let next = receive
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .recv();
                    let Ok(chunk) = next else { break };
                    let chunk: super::long::Chunk = chunk;
                    let ok = chunk.overlong.is_none()
                        && !failed.load(Ordering::Relaxed)
                        && lines(&chunk.data).all(|line| {
                            row(ctx, &mut local, z, columns, line, &mut run, &mut seen).is_some()
                        });
                    local.release();
                    if !ok {
                        failed.store(true, Ordering::Relaxed);
                        stop_after.fetch_min(chunk.index, Ordering::Relaxed);
                    }
                    let _ = recycle.send(chunk.data);
                }
                stored.fetch_add(local.stored, Ordering::Relaxed);
                if let Some((a, b)) = seen {
                    let mut span = span.lock().unwrap_or_else(PoisonError::into_inner);
                    widen(&mut span, a);
                    widen(&mut span, b);
                }
            });
        }
        drop(recycle);
        read_error = split_chunks(&mut reader, &send, &recycled, &stop_after, &ctx.input.name);
        drop(send);
    });
    // Two rows of one pupil recorded at the same instant on two threads can both succeed:
    // then fewer sessions are filled than were stored, and the careful reader finds them.
    if read_error.is_some() || failed.into_inner() || slots.filled() != stored.into_inner() {
        return None;
    }
    Some(Collected {
        slots,
        span: span.into_inner().unwrap_or_else(PoisonError::into_inner),
        problems: Vec::new(),
        dropped: 0,
    })
}

/// Reads one row (with its line end) into the slots; `None` when it needs the careful
/// reader. `run` is a buffer for the row's marks; `seen` is widened to its school days.
fn row(
    ctx: &Context<'_>,
    local: &mut LocalSlots<'_>,
    z: &ZRows,
    columns: Columns,
    line: &[u8],
    run: &mut Vec<u8>,
    seen: &mut Option<(usize, usize)>,
) -> Option<()> {
    let fields = fields(line, columns)?;
    let entry = local.get_once(fields.pupil).ok()?;
    let Some(from) = decode(ctx, z, entry.roll, fields.start, fields.marks, run)? else {
        return Some(());
    };
    local.set_run(entry.index, from * 2, run).ok()?;
    if let Some(a) = run.iter().position(|m| *m != NO_MARK) {
        let b = run.iter().rposition(|m| *m != NO_MARK).unwrap_or(a);
        widen(seen, from + a / 2);
        widen(seen, from + b / 2);
    }
    Some(())
}

/// A chunk's rows, each with its line end: found with `memchr`, not a byte at a time.
pub(super) fn lines(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = data;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let end = memchr::memchr(b'\n', rest).map_or(rest.len(), |i| i + 1);
        let (line, after) = rest.split_at(end);
        rest = after;
        Some(line)
    })
}

/// One row's fields.
pub(super) struct Fields<'l> {
    pub pupil: &'l [u8],
    pub start: NaiveDate,
    pub marks: &'l [u8],
}

/// Cuts a row (with its line end) into its fields: plain, or wholly quoted with no quote
/// inside; `None` when it needs the careful reader.
pub(super) fn fields(line: &[u8], columns: Columns) -> Option<Fields<'_>> {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.is_empty() || line.contains(&b'\r') {
        return None;
    }
    let mut fields: [&[u8]; 64] = [&[]; 64];
    let mut count = 0;
    let mut rest = line;
    loop {
        let (field, after) = if let Some(quoted) = rest.strip_prefix(b"\"") {
            let end = memchr::memchr(b'"', quoted)?;
            let after = &quoted[end + 1..];
            if !(after.is_empty() || after.starts_with(b",")) {
                return None;
            }
            (&quoted[..end], after)
        } else {
            let end = memchr::memchr(b',', rest).unwrap_or(rest.len());
            if memchr::memchr(b'"', &rest[..end]).is_some() {
                return None;
            }
            (&rest[..end], &rest[end..])
        };
        *fields.get_mut(count)? = field;
        count += 1;
        match after.split_first() {
            Some((_, tail)) => rest = tail,
            None => break,
        }
    }
    if count != columns.count {
        return None;
    }
    Some(Fields {
        pupil: fields[columns.pupil],
        start: parse_date(fields[columns.start])?,
        marks: fields[columns.marks],
    })
}

/// Which code-table rows are `Z` (the one mark allowed off roll).
pub(super) struct ZRows([bool; 256]);

impl ZRows {
    /// Whether a session off roll may hold `code`: no mark, or `Z`.
    pub fn allowed_off_roll(&self, code: u8) -> bool {
        code == NO_MARK || self.0[usize::from(code)]
    }

    pub fn new() -> ZRows {
        let mut z = [false; 256];
        for (i, row) in crate::codes::table().rows().iter().enumerate() {
            if row.code == "Z"
                && let Some(slot) = z.get_mut(i)
            {
                *slot = true;
            }
        }
        ZRows(z)
    }
}

/// Decodes a row's marks (tokens as `compact::tokens` cuts them, each on its day) into `run`,
/// a slot per session from the first school day the row reaches, which it returns (`None`:
/// the row reaches no school day). `None` outside when the row needs the careful reader:
/// a bad or odd token, a code not in force, a mark on a closed day or off `roll`.
pub(super) fn decode(
    ctx: &Context<'_>,
    z: &ZRows,
    roll: (usize, usize),
    start: NaiveDate,
    marks: &[u8],
    run: &mut Vec<u8>,
) -> Option<Option<usize>> {
    run.clear();
    let mut first: Option<usize> = None;
    each_mark(ctx, z, roll, start, marks, |day, session, code| {
        let from = *first.get_or_insert(day);
        let at = (day - from) * 2 + session;
        if run.len() <= at {
            run.resize(at + 1, NO_MARK);
        }
        run[at] = code;
        Some(())
    })?;
    Some(first)
}

/// Decodes a row's marks, telling `put` each school day's session and its code-table row
/// ([`NO_MARK`] for `-`), in order; `None` when the row needs the careful reader (as
/// [`decode`]) or `put` says so.
#[inline]
pub(super) fn each_mark(
    ctx: &Context<'_>,
    z: &ZRows,
    roll: (usize, usize),
    start: NaiveDate,
    marks: &[u8],
    put: impl FnMut(usize, usize, u8) -> Option<()>,
) -> Option<()> {
    match ctx.days.from_date(start) {
        Some(days) if !ctx.decoder.has_map() => each_national_mark(ctx, z, roll, days, marks, put),
        _ => each_dated_mark(ctx, z, roll, start, marks, put),
    }
}

/// [`each_mark`] for any decoder: each token's date walked forward for a codes map, whose
/// codes can change on a date.
fn each_dated_mark(
    ctx: &Context<'_>,
    z: &ZRows,
    roll: (usize, usize),
    start: NaiveDate,
    marks: &[u8],
    mut put: impl FnMut(usize, usize, u8) -> Option<()>,
) -> Option<()> {
    let mut walk = ctx.days.walk_from(start);
    // The date matters only to a codes map (whose codes can change on a date): without
    // one, the decoder reads the school day alone, and the date is not moved on.
    let dated = ctx.decoder.has_map();
    let (mut date, mut day) = (start, walk.next().flatten());
    let mut tokens = 0usize;
    let mut i = 0;
    while let Some(&b) = marks.get(i) {
        let len = token_len(marks, i, b)?;
        if len == 0 {
            i += 1;
            continue;
        }
        let text = &marks[i..i + len];
        i += len;
        if tokens > 0 && tokens.is_multiple_of(2) {
            if dated {
                date = date.succ_opt()?;
            }
            day = walk.next().flatten();
        }
        let session = tokens % 2;
        tokens += 1;
        let Some(day) = day else {
            if !ctx.decoder.is_closure_mark(text, date) {
                return None;
            }
            continue;
        };
        let code = if dated {
            match ctx.decoder.decode(text, day, date).ok()? {
                Decoded::Code(code) => code,
                Decoded::Missing => NO_MARK,
            }
        } else {
            ctx.decoder.national(text, day)?
        };
        if code != NO_MARK && !(roll.0..roll.1).contains(&day) && !z.0[usize::from(code)] {
            return None;
        }
        put(day, session, code)?;
    }
    tokens.is_multiple_of(2).then_some(())
}

/// What a byte of a row's marks is, for [`token_len`].
const SEPARATOR: u8 = 0;
const ONE_BYTE: u8 = 1;
const LETTER: u8 = 2;
const OTHER: u8 = 3;

const CLASSES: [u8; 256] = {
    let mut classes = [OTHER; 256];
    let mut b = 0;
    while b < 256 {
        classes[b] = match b as u8 {
            b',' | b' ' | b'|' | b'\t' => SEPARATOR,
            b'/' | b'\\' | b'#' | b'-' => ONE_BYTE,
            c if c.is_ascii_alphabetic() => LETTER,
            _ => OTHER,
        };
        b += 1;
    }
    classes
};

/// The length of the token starting with byte `b` at `marks[i]`: 0 for a separator, `None`
/// for a byte no token starts with. A letter followed by a digit is one token (`C1`).
#[inline]
fn token_len(marks: &[u8], i: usize, b: u8) -> Option<usize> {
    match CLASSES[usize::from(b)] {
        SEPARATOR => Some(0),
        ONE_BYTE => Some(1),
        LETTER if marks.get(i + 1).is_some_and(u8::is_ascii_digit) => Some(2),
        LETTER => Some(1),
        _ => None,
    }
}

/// [`each_mark`] for a decoder with no codes map, whose marks mean the same on every date:
/// the school day of each token is read from `days` (the calendar from the row's start date,
/// [`crate::table::SchoolDays::from_date`]) without a date, and a byte's kind from a table.
/// This is the inner loop of reading compact marks, once per session of every pupil.
#[inline]
fn each_national_mark(
    ctx: &Context<'_>,
    z: &ZRows,
    roll: (usize, usize),
    days: &[u32],
    marks: &[u8],
    mut put: impl FnMut(usize, usize, u8) -> Option<()>,
) -> Option<()> {
    if usual_row(ctx.decoder, z, roll, days, marks, &mut put) {
        return Some(());
    }
    let mut tokens = 0usize;
    let mut i = 0;
    while let Some(&b) = marks.get(i) {
        let class = CLASSES[usize::from(b)];
        if class == SEPARATOR {
            i += 1;
            continue;
        }
        let session = tokens % 2;
        let day = days.get(tokens / 2).copied().unwrap_or(NOT_SCHOOL_DAY);
        tokens += 1;
        // A code of two bytes (`C1`) is rare: kept on a branch of its own, so that the
        // next token's place does not wait on this one's second byte.
        let two = class == LETTER && marks.get(i + 1).is_some_and(u8::is_ascii_digit);
        let code = if two {
            let text = &marks[i..i + 2];
            i += 2;
            if day == NOT_SCHOOL_DAY {
                return None;
            }
            two_byte(ctx.decoder, text, day as usize)?
        } else {
            i += 1;
            if day == NOT_SCHOOL_DAY {
                if !matches!(b, b'#' | b'-') {
                    return None;
                }
                continue;
            }
            if class == OTHER {
                return None;
            }
            ctx.decoder.national_byte(b, day as usize)?
        };
        let day = day as usize;
        if code != NO_MARK && !(roll.0..roll.1).contains(&day) && !z.0[usize::from(code)] {
            return None;
        }
        put(day, session, code)?;
    }
    tokens.is_multiple_of(2).then_some(())
}

/// The usual row, read a school day at a time: every mark followed by one comma but the
/// last, an even number of them, and every school day the row can reach in one era of the
/// code table (so one 256-byte table decodes a one-byte mark; a two-byte one, `C1`, is
/// looked up on a cold branch). `false` for any other row, or one holding anything out of
/// the ordinary (a bad mark, a mark on a closed day or off roll): [`each_national_mark`]'s
/// token loop then reads it again from its start, giving `put` the same marks, and reports
/// what is wrong.
#[inline]
fn usual_row(
    decoder: &Decoder,
    z: &ZRows,
    roll: (usize, usize),
    days: &[u32],
    marks: &[u8],
    put: &mut impl FnMut(usize, usize, u8) -> Option<()>,
) -> bool {
    // A row of one-byte marks is the longest in days a row of its length can be.
    let reach = days.len().min(marks.len().div_ceil(4));
    let Some(days) = days.get(..reach) else {
        return false;
    };
    let school = |d: &&u32| **d != NOT_SCHOOL_DAY;
    let (Some(&from), Some(&to)) = (days.iter().find(school), days.iter().rfind(school)) else {
        return false;
    };
    let Some(table) = decoder.byte_table(from as usize, to as usize) else {
        return false;
    };
    let off_roll = |code: u8| code != NO_MARK && !z.0[usize::from(code)];
    // The commonest row of all: every mark one byte, each but the last followed by a comma,
    // so the day's marks are at fixed places.
    let whole_days = (marks.len() + 1) / 4;
    if (marks.len() + 1).is_multiple_of(4) && commas_between(marks) {
        let Some(days) = days.get(..whole_days) else {
            return false;
        };
        for (k, &day) in days.iter().enumerate() {
            let (a, p) = (marks[k * 4], marks[k * 4 + 2]);
            if day == NOT_SCHOOL_DAY {
                if !matches!(a, b'#' | b'-') || !matches!(p, b'#' | b'-') {
                    return false;
                }
                continue;
            }
            let (am, pm) = (table[usize::from(a)], table[usize::from(p)]);
            let day = day as usize;
            if am == NOT_IN_FORCE
                || pm == NOT_IN_FORCE
                || (!(roll.0..roll.1).contains(&day) && (off_roll(am) || off_roll(pm)))
                || put(day, 0, am).is_none()
                || put(day, 1, pm).is_none()
            {
                return false;
            }
        }
        return true;
    }
    // The mark starting at `i` on school day `day` (`NOT_SCHOOL_DAY`: `#` and `-` only): its
    // row, and where the next mark starts after its comma (`marks.len()` after the last).
    let mark = |i: usize, day: u32| -> Option<(u8, usize)> {
        let b = *marks.get(i)?;
        let (code, end) = match marks.get(i + 1) {
            Some(d) if d.is_ascii_digit() && day != NOT_SCHOOL_DAY => (
                two_byte(decoder, marks.get(i..i + 2)?, day as usize).unwrap_or(NOT_IN_FORCE),
                i + 2,
            ),
            _ if day == NOT_SCHOOL_DAY => (matches!(b, b'#' | b'-').then_some(NO_MARK)?, i + 1),
            _ => (table[usize::from(b)], i + 1),
        };
        if code == NOT_IN_FORCE {
            return None;
        }
        match marks.get(end) {
            None => Some((code, end)),
            Some(b',') => Some((code, end + 1)),
            Some(_) => None,
        }
    };
    let mut i = 0;
    for &day in days {
        let Some((am, after)) = mark(i, day) else {
            return false;
        };
        // The afternoon's mark is never the row's last byte but one: `a,` ends no row.
        if after >= marks.len() {
            return false;
        }
        let Some((pm, next)) = mark(after, day) else {
            return false;
        };
        i = next;
        if day != NOT_SCHOOL_DAY {
            let day = day as usize;
            if !(roll.0..roll.1).contains(&day) && (off_roll(am) || off_roll(pm)) {
                return false;
            }
            if put(day, 0, am).is_none() || put(day, 1, pm).is_none() {
                return false;
            }
        }
        if i >= marks.len() {
            // Ended on the last byte, not after a trailing comma.
            return marks.last() != Some(&b',');
        }
    }
    false
}

/// Whether every other byte of `marks`, from its second, is a comma: eight bytes at a
/// time, the odd places of each eight masked at once.
fn commas_between(marks: &[u8]) -> bool {
    const ODD: u64 = 0xFF00_FF00_FF00_FF00;
    const COMMAS: u64 = 0x2C00_2C00_2C00_2C00;
    let mut eights = marks.chunks_exact(8);
    let whole = eights.by_ref().all(|eight| {
        let mut word = [0u8; 8];
        word.copy_from_slice(eight);
        u64::from_le_bytes(word) & ODD == COMMAS
    });
    whole
        && eights
            .remainder()
            .iter()
            .skip(1)
            .step_by(2)
            .all(|&b| b == b',')
}

/// A two-byte mark's code-table row on school day `day`: out of line, so both reading loops
/// stay loops of one-byte marks.
#[cold]
#[inline(never)]
fn two_byte(decoder: &Decoder, text: &[u8], day: usize) -> Option<u8> {
    decoder.national(text, day)
}

#[cfg(test)]
mod tests {
    use super::{ZRows, each_dated_mark, each_mark, usual_row};
    use crate::register::{Context, Decoder, Input, ReadOptions};
    use crate::source::Source;
    use crate::table::SchoolDays;
    use chrono::NaiveDate;

    /// Two weeks of school, 2 to 13 September 2024, with an INSET day on the 4th.
    const CALENDAR: &str = "calendar \"2024-25\" {\n  session am opens 08:55\n  session pm opens 13:15\n  \
                            term autumn 2024-09-02 .. 2024-09-13\n  inset 2024-09-04\n}\n";

    /// The national policy's table over [`CALENDAR`], and its school days.
    fn two_weeks() -> (crate::table::DecisionTable, SchoolDays) {
        let policy = Source::new("p.policy", "policy \"p\" { extends national }");
        let calendar = Source::new("c.calendar", CALENDAR);
        let Some(checked) = crate::analyse(&policy, Some(&calendar)).checked else {
            panic!("the test policy does not check");
        };
        let (table, _) = crate::table::compile(&checked);
        let days = SchoolDays::new(&table.calendar);
        (table, days)
    }

    #[test]
    fn national_marks_are_read_as_the_dated_walk_reads_them() {
        let (table, days) = two_weeks();
        let decoder = Decoder::new(&days, None);
        let (input, options) = (
            Input::bytes("marks.csv", Vec::new()),
            ReadOptions::default(),
        );
        let ctx = Context {
            input: &input,
            calendar: &table.calendar,
            days: &days,
            decoder: &decoder,
            pupils: None,
            options: &options,
            upn_keyed: false,
        };
        let z = ZRows::new();
        let date = |d: u32| NaiveDate::from_ymd_opt(2024, 9, d).unwrap_or_default();
        // Separators of every kind, two-byte codes, closure days (an INSET day and a
        // weekend) marked `#` or `-`, a row running past the calendar's end, a bad token, a
        // mark on a closed day, an odd number of tokens, a code off roll (and `Z`, allowed
        // there), a row starting on a closed day.
        let rows: [(u32, &str, (usize, usize)); 19] = [
            (2, "/,/,N,/,#,#,/,/,L,/", (0, 9)),
            (2, "/ / I I # # / / / C1", (0, 9)),
            (2, "//N/##//L/", (0, 9)),
            (2, "/,/|N,/\t-,-,/,/,L,/,#,#,#,#,B,B", (0, 9)),
            (9, "/,/,/,/,/,/,/,/,/,/,#,#,#,#,/,/", (0, 9)),
            (2, "/,/,?,/", (0, 9)),
            (2, "/,/,/,/,/,/", (0, 9)),
            (2, "/,/,N", (0, 9)),
            (2, "/,/,N,/", (1, 9)),
            (2, "Z,Z,N,/", (1, 9)),
            (4, "#,#,/,/,C1,C2", (0, 9)),
            (7, "#,#,#,#,/,-", (0, 9)),
            // Commas out of the ordinary (trailing, leading, doubled), codes of two bytes (a
            // last mark among them), a digit alone.
            (2, "/,/,N,/,", (0, 9)),
            (2, ",/,/,N,/", (0, 9)),
            (2, "/,,/,N,/", (0, 9)),
            (2, "/,J1,I,I,#,#,C1,C1", (0, 9)),
            (2, "/,/,I,C1", (0, 9)),
            (2, "/,/,1,/", (0, 9)),
            (2, "/,/,N,/,#,#", (0, 9)),
        ];
        // Both readers the same on a row: whether it is read, and the marks it gives (as
        // the cells they are put in: the usual row's loop may give some again when it
        // hands a row to the token loop).
        let same = |start: u32, marks: &str, roll: (usize, usize)| -> bool {
            let mut national = std::collections::BTreeMap::new();
            let a = each_mark(&ctx, &z, roll, date(start), marks.as_bytes(), |d, s, c| {
                national.insert((d, s), c);
                Some(())
            });
            let mut dated = Vec::new();
            let b = each_dated_mark(&ctx, &z, roll, date(start), marks.as_bytes(), |d, s, c| {
                dated.push(((d, s), c));
                Some(())
            });
            assert_eq!(a, b, "{marks}");
            if a.is_some() {
                let dated_cells: std::collections::BTreeMap<_, _> = dated.iter().copied().collect();
                assert_eq!(dated_cells.len(), dated.len(), "{marks}");
                assert_eq!(national, dated_cells, "{marks}");
            }
            a.is_some()
        };
        let read = rows
            .iter()
            .filter(|(start, marks, roll)| same(*start, marks, *roll))
            .count();
        // The first four rows, `Z` off roll, the two starting on closed days, and all but
        // the digit alone of the last seven.
        assert_eq!(read, 13);
        // Every byte, and every byte followed by a digit, as a mark on a school day, on a
        // closed day, off roll, and as the last mark.
        for b in 0..=255u8 {
            let b = char::from(b);
            for mark in [format!("{b}"), format!("{b}1")] {
                same(2, &format!("/,/,{mark},/,/,/"), (0, 9));
                same(2, &format!("/,/,/,/,{mark},/,/,/"), (0, 9));
                same(2, &format!("/,/,{mark},/,/,/"), (1, 9));
                same(2, &format!("/,/,/,{mark}"), (0, 9));
            }
        }
    }

    /// The usual row's loop takes the rows it is for, two-byte marks among them, and hands
    /// anything else to the token loop.
    #[test]
    fn usual_rows_are_read_a_day_at_a_time() {
        let (_, days) = two_weeks();
        let decoder = Decoder::new(&days, None);
        let z = ZRows::new();
        let start = NaiveDate::from_ymd_opt(2024, 9, 2).unwrap_or_default();
        let Some(from_start) = days.from_date(start) else {
            panic!("2 September is in the calendar");
        };
        let usual = |marks: &str| {
            usual_row(
                &decoder,
                &z,
                (0, 9),
                from_start,
                marks.as_bytes(),
                &mut |_, _, _| Some(()),
            )
        };
        for row in ["/,/", "/,/,N,/,#,#,/,/", "/,J1,I,I,-,#,C1,C1", "L,/,N,N"] {
            assert!(usual(row), "{row}");
        }
        for row in [
            "/,/,",
            ",/,/",
            "/,,/",
            "/,/,N",
            "/ /",
            "/,/,?,/",
            "/,/,N,/,/,/",
            "/,/,1,/",
        ] {
            assert!(!usual(row), "{row}");
        }
    }
}
