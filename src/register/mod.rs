//! Register readers (DESIGN.md §3; data-formats.md §6): long CSV, compact marks CSV, the CTF
//! XML attendance subset, the SIMS and JSON exports of MIS, mapped CSV, grid reports, pupils
//! CSV and a school-local codes map, gzip read transparently.
//! Every reader produces the same [`Register`]: per pupil, one mark per session of the
//! calendar, each mark a row of the national code table in force on its date.

mod codes_map;
mod columns;
mod compact;
mod compact_parallel;
mod ctf;
mod error;
mod figures;
mod grid;
mod ids;
mod input;
mod json;
mod long;
mod pupils;
mod records;
pub(crate) mod rows;
mod sims;
mod slots;
mod stream;
mod year_group;

use std::io::BufRead;

use std::borrow::Cow;

use chrono::NaiveDate;

pub use codes_map::CodesMap;
pub use columns::{ColumnMap, parse_uk_date};
pub use ctf::pseudonym;
pub use error::{EXCERPT, FORMATS, InputProblem, MAX_PROBLEMS, MAX_ROW, Position, RegisterError};
pub use figures::MarkFigures;
pub use ids::MAX_PUPILS;
pub use input::{Format, Input};
pub use pupils::{Contact, Pupil, Pupils, Sen, YearGroup, read_pupils};
pub use stream::{Block, KEPT_MARKS, Open, Opened, Streamed, open as open_stream};

use crate::codes;
use crate::model::Calendar;
use crate::table::SchoolDays;

/// No mark recorded for a session (a missing row, or `-`).
pub const NO_MARK: u8 = u8::MAX;

/// Everything the engine needs to know about the sessions of every pupil.
#[derive(Clone, Debug)]
pub struct Register {
    /// Every pupil's id, sorted; a pupil's index here is its index everywhere else.
    ids: ids::IdList,
    /// The pupils whose attributes are known (from a pupils file or the register itself),
    /// and per pupil its place there (`u32::MAX`: none). Empty when none are known: a
    /// register of a million pupils and no pupils file keeps only their ids. Shared: a
    /// streamed block of pupils reads the whole register's records, not copies.
    records: std::sync::Arc<Vec<Pupil>>,
    record_of: Vec<u32>,
    /// The first school day held: the register's marks start here, not at the calendar's
    /// first day, so a calendar of many years costs nothing per pupil.
    pub first: usize,
    /// School days held per pupil, from `first`.
    pub days: usize,
    /// `pupils.len() * days * 2` marks, pupil-major, AM then PM: a row index of the national
    /// code table ([`codes::CodeId::index`]) or [`NO_MARK`].
    pub marks: Vec<u8>,
    /// The first and last school day that has a mark for any pupil.
    pub span: Option<(usize, usize)>,
    /// Findings that do not stop the run (CTF totals that differ).
    pub warnings: Vec<InputProblem>,
}

impl Register {
    /// A register of whole pupil records, pupil `i` with row `i` of `days * 2` marks in
    /// `marks` (a row the marks do not reach is unmarked), put in id order. A pupil whose id
    /// is not a valid pupil id or repeats an earlier one is left out, and so is any past
    /// [`MAX_PUPILS`].
    pub fn new(
        pupils: Vec<Pupil>,
        first: usize,
        days: usize,
        marks: &[u8],
        span: Option<(usize, usize)>,
    ) -> Register {
        let width = days * 2;
        let mut order: Vec<usize> = (0..pupils.len())
            .filter(|i| valid_pupil_id(pupils[*i].id.as_bytes()))
            .collect();
        order.sort_by(|a, b| pupils[*a].id.cmp(&pupils[*b].id));
        order.dedup_by(|a, b| pupils[*a].id == pupils[*b].id);
        order.truncate(MAX_PUPILS);
        let mut ids = ids::IdList::default();
        let mut sorted = Vec::with_capacity(order.len() * width);
        for &i in &order {
            ids.push(pupils[i].id.as_bytes());
            let row = marks.get(i * width..).unwrap_or(&[]);
            let row = row.get(..width).unwrap_or(row);
            sorted.extend_from_slice(row);
            sorted.resize(ids.len() * width, NO_MARK);
        }
        let mut records: Vec<Option<Pupil>> = pupils.into_iter().map(Some).collect();
        let records: Vec<Pupil> = order.iter().filter_map(|i| records[*i].take()).collect();
        let record_of = own_records(records.len());
        Register {
            ids,
            records: records.into(),
            record_of,
            first,
            days,
            marks: sorted,
            span,
            warnings: Vec::new(),
        }
    }

    /// How many pupils.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Pupil `i`'s id; empty outside the register.
    pub fn id(&self, i: usize) -> &str {
        self.ids.text(i)
    }

    /// Every pupil's id, in order.
    pub fn ids(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.len()).map(|i| self.id(i))
    }

    /// The index of the pupil with this id.
    pub fn find(&self, id: &str) -> Option<usize> {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.ids.get(mid).cmp(id.as_bytes()) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(mid),
            }
        }
        None
    }

    /// Pupil `i`'s attributes as far as they are known (a pupil the register alone names
    /// has only its id).
    pub fn pupil(&self, i: usize) -> Option<Cow<'_, Pupil>> {
        if i >= self.len() {
            return None;
        }
        match self.record(i) {
            Some(p) => Some(Cow::Borrowed(p)),
            None => Some(Cow::Owned(Pupil::unknown(self.id(i).to_string()))),
        }
    }

    /// Pupil `i`'s record, when a pupils file or the register gave one.
    pub fn record(&self, i: usize) -> Option<&Pupil> {
        let at = *self.record_of.get(i)?;
        self.records.get(at as usize)
    }

    /// The pupils whose attributes are known.
    pub fn records(&self) -> &[Pupil] {
        &self.records
    }

    /// A pupil's marks on the days held: `(day - first) * 2 + session`.
    pub fn marks_of(&self, pupil: usize) -> &[u8] {
        let width = self.days * 2;
        self.marks
            .get(pupil * width..(pupil + 1) * width)
            .unwrap_or(&[])
    }

    /// The mark of a pupil on a school day and session; [`NO_MARK`] outside the days held.
    pub fn mark(&self, pupil: usize, day: usize, session: usize) -> u8 {
        day.checked_sub(self.first)
            .and_then(|d| self.marks_of(pupil).get(d * 2 + session))
            .copied()
            .unwrap_or(NO_MARK)
    }

    /// A pupil's marks on school days `from..=to` that are held (the days outside hold no
    /// mark), starting at `from` when it is held.
    pub fn marks_between(&self, pupil: usize, from: usize, to: usize) -> &[u8] {
        let row = self.marks_of(pupil);
        let a = from.saturating_sub(self.first) * 2;
        let b = ((to + 1).saturating_sub(self.first) * 2).min(row.len());
        row.get(a..b).unwrap_or(&[])
    }

    /// Sessions with a mark.
    pub fn sessions(&self) -> usize {
        self.marks.iter().filter(|m| **m != NO_MARK).count()
    }

    /// The last session taken: the last school day with a mark, and `1` when some pupil has
    /// an afternoon mark on it (`0`: only the morning is taken). Unmarked sessions from there
    /// on are not yet taken: neither possible nor absent.
    pub fn taken_to(&self) -> Option<(usize, usize)> {
        let (_, last) = self.span?;
        let afternoon = (0..self.len()).any(|p| self.mark(p, last, 1) != NO_MARK);
        Some((last, usize::from(afternoon)))
    }

    /// How many sessions of the last day taken are not yet taken, over pupils on roll that
    /// day: the afternoons still to come, or a class whose register is not yet marked.
    pub fn not_yet_taken(&self, on_roll: impl Fn(usize) -> bool) -> usize {
        let Some((last, session)) = self.taken_to() else {
            return 0;
        };
        (0..self.len())
            .filter(|p| on_roll(*p))
            .map(|p| {
                (session..2)
                    .filter(|s| self.mark(p, last, *s) == NO_MARK)
                    .count()
            })
            .sum()
    }
}

/// How to read a register.
#[derive(Clone, Debug, Default)]
pub struct ReadOptions {
    /// Report every bad row (up to `max_errors`) instead of stopping at the first.
    pub keep_going: bool,
    pub max_errors: usize,
    /// Count a missing mark as `N` instead of failing.
    pub allow_missing: bool,
    /// Keep CTF UPNs as pupil ids instead of pseudonymising them.
    pub keep_upn: bool,
    /// The key of the hash that pseudonymises UPNs.
    pub pseudonym_key: Option<String>,
    /// Told the input's size and each block of bytes read from it (before decompression).
    pub progress: crate::progress::ProgressHandle,
    /// The format `--format` names, in place of the one the content shows.
    pub format: Option<Format>,
    /// Which column is which in a school's own CSV (`--columns`).
    pub columns: Option<ColumnMap>,
}

/// Whether a register names pupils by UPN (a CTF, or a CSV whose pupil column `--columns`
/// maps to `UPN`), so its ids are pseudonymised unless `--keep-upn`.
pub fn upn_keyed(input: &Input, options: &ReadOptions) -> bool {
    if options
        .columns
        .as_ref()
        .is_some_and(ColumnMap::pupil_is_upn)
    {
        return true;
    }
    matches!(
        input.open_as(options.format, options.columns.is_some(), None),
        Ok((Format::Ctf, _))
    )
}

impl ReadOptions {
    /// How many problems to collect before stopping: `--max-errors`, but never more than
    /// [`MAX_PROBLEMS`] (the rest are counted, not kept).
    pub fn limit(&self) -> usize {
        if self.keep_going {
            self.max_errors.clamp(1, MAX_PROBLEMS)
        } else {
            1
        }
    }
}

/// Reads a register in any supported format, checking every mark against the calendar, the
/// national code table (through `codes_map` when given) and the pupils file (when given).
pub fn read_register(
    input: &Input,
    calendar: &Calendar,
    school_days: &SchoolDays,
    pupils: Option<&Pupils>,
    codes_map: Option<&CodesMap>,
    options: &ReadOptions,
) -> Result<Register, Vec<InputProblem>> {
    let decoder = Decoder::new(school_days, codes_map);
    if let Some(len) = input.size() {
        options.progress.set_len(len);
    }
    let mapped = options.columns.is_some();
    let (format, mut reader) = match input.open_as(options.format, mapped, Some(&options.progress))
    {
        Ok(opened) => opened,
        Err(problems) => {
            options.progress.finish();
            return Err(problems);
        }
    };
    let upn_keyed = !options.keep_upn
        && (format == Format::Ctf
            || options
                .columns
                .as_ref()
                .is_some_and(ColumnMap::pupil_is_upn));
    // A UPN-keyed register meets a pupils file keyed by UPN through the same pseudonyms.
    let keyed;
    let pupils = match pupils {
        Some(p) if upn_keyed => {
            keyed = p.pseudonymised(options.pseudonym_key.as_deref());
            Some(&keyed)
        }
        other => other,
    };
    let ctx = Context {
        input,
        calendar,
        days: school_days,
        decoder: &decoder,
        pupils,
        options,
        upn_keyed,
    };
    let read = match format {
        Format::Long => long::read(&ctx, reader),
        Format::Compact => compact::read(&ctx, reader),
        Format::Ctf => ctf::read(&ctx, reader),
        Format::Sims => sims::read(&ctx, reader),
        Format::Json => json::read(&ctx, reader),
        Format::Grid => grid::read(&ctx, reader),
        Format::Mapped => match options.columns.clone().or_else(|| {
            let head = reader.fill_buf().ok()?;
            let line = head.split(|b| *b == b'\n').next()?;
            columns::infer(&input::header_names(line))
        }) {
            Some(mapping) => long::read_mapped(&ctx, reader, Some(&mapping)),
            None => Err(vec![InputProblem::new(
                RegisterError::UnmappedColumns {
                    column: "pupil_id".into(),
                    header: String::new(),
                },
                &input.name,
                1,
                1,
            )]),
        },
    };
    options.progress.finish();
    slots::finish(&ctx, read?)
}

/// What every reader shares.
pub(crate) struct Context<'a> {
    pub input: &'a Input,
    pub calendar: &'a Calendar,
    pub days: &'a SchoolDays,
    pub decoder: &'a Decoder,
    pub pupils: Option<&'a Pupils>,
    pub options: &'a ReadOptions,
    /// The register names pupils by UPN, pseudonymised.
    pub upn_keyed: bool,
}

impl Context<'_> {
    /// The pupil id of a UPN: the UPN itself with `--keep-upn`; the pupils file's id for it
    /// when that file has the UPN; otherwise its pseudonym.
    pub fn upn_id(&self, upn: &str) -> String {
        let upn = upn.trim();
        if self.options.keep_upn {
            return upn.to_string();
        }
        if let Some(p) = self.pupils.and_then(|p| p.by_upn(upn)) {
            return p.id.clone();
        }
        ctf::pseudonym(upn, self.options.pseudonym_key.as_deref())
    }

    /// A pupil the pupils file lacks, named as a UPN's pseudonym when the register is keyed
    /// by UPN (so the help can say how the two meet).
    pub fn unknown_pupil(&self, error: RegisterError) -> RegisterError {
        match error {
            RegisterError::UnknownPupil { pupil } if self.upn_keyed => {
                RegisterError::UnknownUpnPupil { pupil }
            }
            other => other,
        }
    }

    /// Why a mark cannot be recorded on `date`, when it cannot.
    pub fn closed_problem(&self, code: &str, date: NaiveDate) -> RegisterError {
        let why = self
            .days
            .closed(self.calendar, date)
            .map_or_else(|| "not a school day".into(), |c| c.to_string());
        RegisterError::ClosedDay {
            code: code.to_string(),
            date: date.to_string(),
            why,
        }
    }
}

/// What a mark's text means on a day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decoded {
    /// A row of the national code table.
    Code(u8),
    /// `-`: no mark recorded.
    Missing,
}

/// Translates mark text to code-table rows, per school day, with a school's codes map first.
pub(crate) struct Decoder {
    /// Distinct code texts: the national codes, then `-`.
    texts: Vec<String>,
    /// One- and two-byte texts → index into `texts` (`u8::MAX`: not a national code).
    short: Vec<u8>,
    /// Per era of the code table (days between two dates on which a code starts or ends),
    /// per text: the code-table row in force, or `NOT_IN_FORCE`.
    rows: Vec<u8>,
    /// Per school day, its era: a long calendar costs two bytes a day, not a row per code.
    era: Vec<u16>,
    /// Per era, per byte: the code-table row of that one-byte text in force, [`NO_MARK`]
    /// for `-`, or `NOT_IN_FORCE` (also for a byte that is no code): the reader's inner
    /// loop reads a one-byte mark with one load, not through `short` and `rows`.
    bytes: Vec<[u8; 256]>,
    dash: u8,
    map: Option<CodesMap>,
}

const NOT_IN_FORCE: u8 = u8::MAX - 1;
const UNKNOWN: u8 = u8::MAX;

impl Decoder {
    fn new(days: &SchoolDays, map: Option<&CodesMap>) -> Decoder {
        let mut texts: Vec<String> = Vec::new();
        for row in codes::table().rows() {
            if texts.last().is_none_or(|t| t != row.code) {
                texts.push(row.code.to_string());
            }
        }
        texts.push("-".into());
        let dash = u8::try_from(texts.len() - 1).unwrap_or(UNKNOWN);
        let mut short = vec![UNKNOWN; 1 << 16];
        for (i, text) in texts.iter().enumerate() {
            if let Some(key) = short_key(text.as_bytes()) {
                short[key] = u8::try_from(i).unwrap_or(UNKNOWN);
            }
        }
        // The dates on which a code comes into force or goes out of it, in order.
        let mut changes: Vec<NaiveDate> = codes::table()
            .rows()
            .iter()
            .flat_map(|r| [r.valid_from, r.valid_to.and_then(|d| d.succ_opt())])
            .flatten()
            .collect();
        changes.sort_unstable();
        changes.dedup();
        let mut rows = Vec::new();
        let mut era = Vec::with_capacity(days.len());
        let mut current: Option<usize> = None;
        for date in days.dates() {
            let index = changes.partition_point(|c| c <= date);
            if current != Some(index) {
                current = Some(index);
                for text in &texts {
                    let id = codes::table().id(text, *date).map_or(NOT_IN_FORCE, |id| {
                        u8::try_from(id.index()).unwrap_or(NOT_IN_FORCE)
                    });
                    rows.push(id);
                }
            }
            let number = rows.len() / texts.len() - 1;
            era.push(u16::try_from(number).unwrap_or(u16::MAX));
        }
        let bytes = rows
            .chunks_exact(texts.len())
            .map(|era_rows| {
                let mut table = [NOT_IN_FORCE; 256];
                for (b, slot) in table.iter_mut().enumerate() {
                    let text = short.get(b).copied().unwrap_or(UNKNOWN);
                    if text == dash {
                        *slot = NO_MARK;
                    } else if let Some(row) = era_rows.get(usize::from(text)) {
                        *slot = *row;
                    }
                }
                table
            })
            .collect();
        Decoder {
            texts,
            short,
            rows,
            era,
            bytes,
            dash,
            map: map.cloned(),
        }
    }

    /// The index of a national code's text, `None` if it is not one.
    #[inline(always)]
    fn text_index(&self, mark: &[u8]) -> Option<u8> {
        let i = short_key(mark)
            .and_then(|k| self.short.get(k).copied())
            .unwrap_or(UNKNOWN);
        (i != UNKNOWN).then_some(i)
    }

    /// Decodes `mark` on school day `day` (dated `date`).
    #[inline]
    pub fn decode(
        &self,
        mark: &[u8],
        day: usize,
        date: NaiveDate,
    ) -> Result<Decoded, RegisterError> {
        let text = match &self.map {
            Some(map) => match map.translate(mark, date)? {
                Some(national) => self.text_index(national.as_bytes()),
                None => self.text_index(mark),
            },
            None => self.text_index(mark),
        };
        let Some(text) = text else {
            return Err(self.unknown(mark));
        };
        if text == self.dash {
            return Ok(Decoded::Missing);
        }
        match self.row(day, usize::from(text)) {
            Some(row) if row != NOT_IN_FORCE => Ok(Decoded::Code(row)),
            _ => Err(RegisterError::CodeNotInForce {
                code: String::from_utf8_lossy(mark).into_owned(),
                date: date.to_string(),
            }),
        }
    }

    /// [`Decoder::decode`] for a decoder with no codes map, in the reader's inner loop: the
    /// code-table row of `mark` on school day `day`, [`NO_MARK`] for `-`; `None` for a mark
    /// that is not a national code in force (the caller reads again to say why).
    #[inline(always)]
    pub fn national(&self, mark: &[u8], day: usize) -> Option<u8> {
        let text = self.text_index(mark)?;
        if text == self.dash {
            return Some(NO_MARK);
        }
        self.row(day, usize::from(text))
            .filter(|row| *row != NOT_IN_FORCE)
    }

    /// [`Decoder::national`] for a one-byte mark: the code-table row, [`NO_MARK`] for `-`,
    /// `None` for a byte that is not a national code in force on school day `day`.
    #[inline(always)]
    pub fn national_byte(&self, mark: u8, day: usize) -> Option<u8> {
        let era = usize::from(*self.era.get(day)?);
        let row = self.bytes.get(era)?[usize::from(mark)];
        (row != NOT_IN_FORCE).then_some(row)
    }

    /// The one-byte table of [`Decoder::national_byte`] for school days `from..=to`, when
    /// they are all in one era of the code table.
    pub fn byte_table(&self, from: usize, to: usize) -> Option<&[u8; 256]> {
        // Eras are numbered in the order of the days.
        let era = *self.era.get(from)?;
        (*self.era.get(to)? == era)
            .then(|| self.bytes.get(usize::from(era)))
            .flatten()
    }

    /// Whether a school's codes map translates marks first.
    pub fn has_map(&self) -> bool {
        self.map.is_some()
    }

    /// Whether `mark` (after the codes map) is `#` or `-`, the only marks allowed on a day
    /// that is not a school day.
    pub fn is_closure_mark(&self, mark: &[u8], date: NaiveDate) -> bool {
        let national = match &self.map {
            Some(map) => map.translate(mark, date).ok().flatten().map(str::as_bytes),
            None => None,
        };
        matches!(national.unwrap_or(mark), b"#" | b"-")
    }

    pub fn unknown(&self, mark: &[u8]) -> RegisterError {
        let code = String::from_utf8_lossy(mark).into_owned();
        if let Some(map) = &self.map {
            // A slip of the keyboard is likelier to be near a local code than a national one.
            let suggestion = crate::diagnostic::did_you_mean(&code, map.locals())
                .or_else(|| codes::table().suggest(&code))
                .map(str::to_string);
            return RegisterError::UnmappedCode { code, suggestion };
        }
        let suggestion = codes::table().suggest(&code).map(str::to_string);
        RegisterError::UnknownCode { code, suggestion }
    }

    /// The row of `N` on a school day, for `--allow-missing`.
    pub fn unexplained(&self, day: usize) -> u8 {
        let n = self.texts.iter().position(|t| t == "N").unwrap_or(0);
        self.row(day, n).unwrap_or(NOT_IN_FORCE)
    }

    #[inline(always)]
    fn row(&self, day: usize, text: usize) -> Option<u8> {
        let era = usize::from(*self.era.get(day)?);
        self.rows.get(era * self.texts.len() + text).copied()
    }
}

#[inline(always)]
fn short_key(mark: &[u8]) -> Option<usize> {
    match mark {
        [a] => Some(usize::from(*a)),
        [a, b] => Some(usize::from(*a) | (usize::from(*b) << 8)),
        _ => None,
    }
}

/// `record_of` for a register whose pupil `i` has record `i`, for `n` records (none: empty).
pub(crate) fn own_records(n: usize) -> Vec<u32> {
    (0..n)
        .map(|i| u32::try_from(i).unwrap_or(u32::MAX))
        .collect()
}

/// Pupil ids are opaque and pseudonymous: 1–64 characters of `[A-Za-z0-9._-]`.
pub fn valid_pupil_id(id: &[u8]) -> bool {
    (1..=64).contains(&id.len())
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Parses `YYYY-MM-DD` strictly.
pub fn parse_date(text: &[u8]) -> Option<NaiveDate> {
    let digits = |r: &[u8]| -> Option<u32> {
        r.iter().try_fold(0u32, |acc, b| {
            b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
        })
    };
    match text {
        [y @ .., b'-', m1, m2, b'-', d1, d2] if y.len() == 4 => {
            let year = i32::try_from(digits(y)?).ok()?;
            NaiveDate::from_ymd_opt(year, digits(&[*m1, *m2])?, digits(&[*d1, *d2])?)
        }
        _ => None,
    }
}

/// The session of `AM`/`PM`, case-insensitive: 0 for the morning, 1 for the afternoon.
#[inline]
pub fn parse_session(text: &[u8]) -> Option<usize> {
    match text {
        [a, b'M' | b'm'] if a.eq_ignore_ascii_case(&b'A') => Some(0),
        [p, b'M' | b'm'] if p.eq_ignore_ascii_case(&b'P') => Some(1),
        _ => None,
    }
}

pub fn session_name(session: usize) -> &'static str {
    if session == 0 { "AM" } else { "PM" }
}
