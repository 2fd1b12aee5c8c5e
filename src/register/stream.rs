//! Compact marks streamed: a register read a block of pupils at a time, each block handed on
//! and dropped, so a run's memory does not grow with the pupils' marks. A first pass finds
//! every pupil and the span of marked sessions (a row's ends are decoded, its middle only
//! counted); the second makes each chunk of rows a [`Block`] over the whole span, used on the
//! thread that made it. A register whose decoded marks fit [`KEPT_MARKS`] is decoded by the
//! first pass and its marks kept, so the file is read once; a larger one is decoded again by
//! the second, and never held whole. Anything out of the ordinary gives up, and the caller
//! reads the file whole, where the careful reader reports it exactly.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError, mpsc};

use super::compact_parallel::{Columns, ZRows, each_mark, fields, header, lines};
use super::ids::{IdList, MAX_PUPILS};
use super::long::{Chunk, split_chunks};
use super::slots::{fill_missing, roll_of, rows_in_order};
use super::{
    Context, Decoded, Decoder, Format, Input, NO_MARK, Pupil, Pupils, ReadOptions, Register,
    own_records, valid_pupil_id,
};
use crate::model::Calendar;
use crate::table::SchoolDays;

/// The most marks buffers kept for the next blocks: one for each core making one.
const SPARE_BLOCKS: usize = 16;

/// Pupils of a block made of pupils the register has no row for.
const UNSEEN_BLOCK: usize = 4096;

/// The most bytes of decoded marks the first pass keeps for the second (a session's mark is a
/// byte: about 350,000 pupils over a school year); a register with more is read twice. Only
/// a file of at most twice as many bytes is tried (a compact file of about 200,000 pupils).
pub const KEPT_MARKS: usize = 128 << 20;

/// Some pupils of the register with their marks over the whole span: `register` is a register
/// of these pupils alone, whose pupil `i` is pupil `global[i]` of the whole register.
pub struct Block {
    pub register: Register,
    pub global: Vec<usize>,
}

/// What [`Opened::blocks`] did.
pub enum Streamed {
    /// Every block was handed on. The register has every pupil's id and record and the span,
    /// but no marks: what the outputs need of the marks was gathered from the blocks.
    Read(Register),
    /// The file is not plain compact marks, or holds something out of the ordinary: read it
    /// whole. Any blocks already handed on must be dropped. The pupils file comes back.
    GaveUp(Option<Pupils>),
}

/// A pass over the chunks of rows gave up.
struct GiveUp;

/// A compact marks register after the first pass: every pupil and the span are known, the
/// marks are still in the file.
pub struct Opened<'a> {
    input: &'a Input,
    calendar: &'a Calendar,
    days: &'a SchoolDays,
    options: &'a ReadOptions,
    decoder: Decoder,
    whole: Register,
    /// The last session taken (`day * 2 + session`).
    taken_to: usize,
    kept: Option<Kept>,
    /// The rows the first pass decoded, when it kept them all.
    decoded: Option<Vec<DecodedRows>>,
}

/// What [`open`] did.
// Made once a run and matched at once: the size of a variant does not matter.
#[allow(clippy::large_enum_variant)]
pub enum Open<'a, E> {
    /// The first pass is done: the marks are ready to be streamed.
    Opened(Opened<'a>),
    /// The register must be read whole (another format, or anything out of the ordinary):
    /// the pupils file comes back, read.
    Whole(Option<Pupils>),
    /// The pupils file could not be read.
    Failed(E),
}

/// The first pass over a compact marks register, with the pupils file read by `pupils` on
/// a thread of its own meanwhile: the pass checks only that a row's pupil id is well
/// formed (the second finds each in the register, and gives up on one it lacks), so it
/// does not wait for the pupils file.
pub fn open<'a, E: Send>(
    input: &'a Input,
    calendar: &'a Calendar,
    days: &'a SchoolDays,
    pupils: Option<&(dyn Fn() -> Result<Pupils, E> + Sync)>,
    codes_map: Option<&super::CodesMap>,
    options: &'a ReadOptions,
    kept_marks: usize,
) -> Open<'a, E> {
    let read_pupils = || pupils.map(|read| read()).transpose();
    if !matches!(
        input.open_as(options.format, options.columns.is_some(), None),
        Ok((Format::Compact, _))
    ) {
        return match read_pupils() {
            Ok(pupils) => Open::Whole(pupils),
            Err(e) => Open::Failed(e),
        };
    }
    let decoder = Decoder::new(days, codes_map);
    let ctx = Context {
        input,
        calendar,
        days,
        decoder: &decoder,
        pupils: None,
        options,
        upn_keyed: false,
    };
    // The pupils file is read, and put in id order, while the first pass runs.
    let (scan, pupils) = std::thread::scope(|scope| {
        let reading = scope.spawn(|| read_pupils().map(|p| p.map(in_id_order)));
        // A pass that only counts leaves a core to the pupils file's thread (reading it takes
        // longer); one that decodes shares them all.
        let keep = input
            .size()
            .is_some_and(|bytes| bytes <= 2 * kept_marks as u64)
            .then_some(kept_marks);
        let leave = usize::from(pupils.is_some() && keep.is_none());
        let scan = scan(&ctx, pupils.is_none(), leave, keep);
        let pupils = reading
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (scan, pupils)
    });
    let (whole, kept) = match pupils {
        Ok(Some(InIdOrder::Sorted(whole, kept))) => (Some(whole), Some(kept)),
        Ok(Some(InIdOrder::Whole(pupils))) => return Open::Whole(Some(pupils)),
        Ok(None) => (None, None),
        Err(e) => return Open::Failed(e),
    };
    let give_back = |whole: Option<Register>, kept: Option<Kept>| {
        kept.map(|kept| {
            let records = whole.map(|r| std::sync::Arc::unwrap_or_clone(r.records));
            kept.pupils(records.unwrap_or_default())
        })
    };
    let Some(scan) = scan else {
        return Open::Whole(give_back(whole, kept));
    };
    let mut whole = match whole {
        Some(register) => register,
        None => {
            let mut ids = scan.ids;
            ids.sort_unstable();
            if ids.windows(2).any(|w| w[0] == w[1]) {
                return Open::Whole(None);
            }
            let mut list = IdList::default();
            for id in &ids {
                list.push(id);
            }
            Register {
                ids: list,
                records: Default::default(),
                record_of: Vec::new(),
                first: 0,
                days: 0,
                marks: Vec::new(),
                span: None,
                warnings: Vec::new(),
            }
        }
    };
    let taken = scan.taken.unwrap_or((0, 0));
    let (first, last) = (taken.0 / 2, taken.1 / 2);
    whole.first = first;
    whole.span = Some((first, last));
    Open::Opened(Opened {
        input,
        calendar,
        days,
        options,
        decoder,
        whole,
        taken_to: taken.1,
        kept,
        decoded: scan.decoded,
    })
}

impl Opened<'_> {
    /// Every pupil's id and record, and the span; no marks.
    pub fn register(&self) -> &Register {
        &self.whole
    }

    /// The last session taken, as [`Register::taken_to`] gives it.
    pub fn taken_to(&self) -> (usize, usize) {
        (self.taken_to / 2, self.taken_to % 2)
    }

    /// The second pass: every pupil to `each`, a block at a time, on every core and in no
    /// particular order (each block is used where it was decoded); see [`Streamed`].
    pub fn blocks(self, each: &(dyn Fn(&Block) + Sync)) -> Streamed {
        let ctx = Context {
            input: self.input,
            calendar: self.calendar,
            days: self.days,
            decoder: &self.decoder,
            pupils: None,
            options: self.options,
            upn_keyed: false,
        };
        let span = self.whole.span.unwrap_or((0, 0));
        let plan = Plan {
            ctx: &ctx,
            whole: &self.whole,
            span,
            taken_to: self.taken_to,
        };
        let handed = match self.decoded {
            Some(decoded) => plan.decoded_blocks(decoded, each),
            None => plan.blocks(each),
        };
        if handed.is_err() {
            // Every block is dropped: the records are the register's alone again.
            let records = std::sync::Arc::unwrap_or_clone({ self.whole }.records);
            return Streamed::GaveUp(self.kept.map(|kept| kept.pupils(records)));
        }
        Streamed::Read(self.whole)
    }
}

/// A pupils file made ready for the stream, or given back for the register to be read
/// whole.
enum InIdOrder {
    /// Every pupil, sorted by id: the pupils file's records moved into the register, not
    /// copied.
    Sorted(Register, Kept),
    /// Too many pupils, a malformed id or an id twice.
    Whole(Pupils),
}

/// Puts a pupils file's records in id order, the UPNs following their pupils.
fn in_id_order(pupils: Pupils) -> InIdOrder {
    if pupils.len() > MAX_PUPILS || !pupils.iter().all(|r| valid_pupil_id(r.id.as_bytes())) {
        return InIdOrder::Whole(pupils);
    }
    let (list, mut upns, warnings) = pupils.into_parts();
    // A file in id order (strictly: no id twice) is kept as it is.
    if list.is_sorted_by(|a, b| a.id < b.id) {
        return InIdOrder::Sorted(with_records(list), Kept { upns, warnings });
    }
    let mut order: Vec<usize> = (0..list.len()).collect();
    order.sort_by(|a, b| list[*a].id.cmp(&list[*b].id));
    let mut place = vec![0; order.len()];
    for (new, old) in order.iter().enumerate() {
        place[*old] = new;
    }
    for at in upns.values_mut() {
        *at = place.get(*at).copied().unwrap_or(*at);
    }
    let mut slots: Vec<Option<Pupil>> = list.into_iter().map(Some).collect();
    let list: Vec<Pupil> = order.iter().filter_map(|i| slots[*i].take()).collect();
    let kept = Kept { upns, warnings };
    if list.windows(2).any(|w| w[0].id == w[1].id) {
        return InIdOrder::Whole(kept.pupils(list));
    }
    InIdOrder::Sorted(with_records(list), kept)
}

/// What a pupils file keeps besides its records, to give it back whole.
struct Kept {
    upns: rustc_hash::FxHashMap<String, usize>,
    warnings: Vec<super::InputProblem>,
}

impl Kept {
    fn pupils(self, list: Vec<Pupil>) -> Pupils {
        Pupils::of(list, self.upns, self.warnings)
    }
}

/// A register of these records (sorted by id), with no marks yet.
fn with_records(records: Vec<Pupil>) -> Register {
    let mut ids = IdList::default();
    for r in &records {
        ids.push(r.id.as_bytes());
    }
    let record_of = own_records(records.len());
    Register {
        ids,
        records: records.into(),
        record_of,
        first: 0,
        days: 0,
        marks: Vec::new(),
        span: None,
        warnings: Vec::new(),
    }
}

/// What the first pass found.
struct Scan {
    /// The register's pupil ids, when no pupils file lists them.
    ids: Vec<Box<[u8]>>,
    /// The first and last marked session, as `school day * 2 + session` (`None`: none).
    taken: Option<(usize, usize)>,
    /// Every chunk's rows decoded, when they were kept.
    decoded: Option<Vec<DecodedRows>>,
}

/// A chunk's rows decoded by the first pass, for the second to make a block of without
/// reading them again. Nothing of the pupils file is known yet: each row's pupil is found,
/// and its marks off roll checked, by the second.
struct DecodedRows {
    ids: IdList,
    /// The first school day of the rows' marks.
    from: usize,
    /// School days each row holds (every marked session of the chunk's rows is in them).
    days: usize,
    /// Row `i`'s marks are `marks[i * days * 2..][..days * 2]`.
    marks: Vec<u8>,
}

/// The first pass: every row's first and last marked session, and its pupil when `ids`
/// are wanted (there is no pupils file to list them); with `keep`, every row decoded too,
/// while the decoded marks stay within `keep` bytes (past it none are kept). Runs on every
/// core but `cores_taken`.
fn scan(ctx: &Context<'_>, ids: bool, cores_taken: usize, keep: Option<usize>) -> Option<Scan> {
    let found = Mutex::new(Scan {
        ids: Vec::new(),
        taken: None,
        decoded: keep.map(|_| Vec::new()),
    });
    let kept_bytes = AtomicUsize::new(0);
    let wanted = ids;
    let z = ZRows::new();
    let rows = |columns: Columns, chunk: &Chunk| -> Result<(), GiveUp> {
        let mut ids = Vec::new();
        let mut taken: Option<(usize, usize)> = None;
        let mut rows = Vec::new();
        let keeping = keep.is_some_and(|most| kept_bytes.load(Ordering::Relaxed) <= most);
        for line in lines(&chunk.data) {
            let row = fields(line, columns).ok_or(GiveUp)?;
            if !valid_pupil_id(row.pupil) {
                return Err(GiveUp);
            }
            if wanted {
                ids.push(Box::from(row.pupil));
            }
            if let Some((a, b)) = ends(ctx, row.start, row.marks).ok_or(GiveUp)? {
                taken = Some(taken.map_or((a, b), |(x, y)| (x.min(a), y.max(b))));
            }
            if keeping {
                rows.push(row);
            }
        }
        let decoded = match keeping {
            true => Some(decode_rows(ctx, &z, &rows, taken)?),
            false => None,
        };
        let mut found = found.lock().unwrap_or_else(PoisonError::into_inner);
        found.ids.append(&mut ids);
        if let Some((a, b)) = taken {
            found.taken = Some(found.taken.map_or((a, b), |(x, y)| (x.min(a), y.max(b))));
        }
        match decoded {
            Some(decoded) => {
                let bytes = kept_bytes.fetch_add(decoded.marks.len(), Ordering::Relaxed);
                if let Some(kept) = &mut found.decoded {
                    if keep.is_some_and(|most| bytes + decoded.marks.len() <= most) {
                        kept.push(decoded);
                    } else {
                        found.decoded = None;
                    }
                }
            }
            None => found.decoded = None,
        }
        Ok(())
    };
    chunks(ctx, cores_taken, &|columns, chunk| rows(columns, chunk)).ok()?;
    let found = found.into_inner().unwrap_or_else(PoisonError::into_inner);
    (found.ids.len() <= MAX_PUPILS && found.taken.is_some()).then_some(found)
}

/// A chunk's rows decoded over the school days of their marked sessions (`taken`), every
/// pupil taken to be on roll (the second pass checks each row against its pupil's roll).
fn decode_rows(
    ctx: &Context<'_>,
    z: &ZRows,
    rows: &[super::compact_parallel::Fields<'_>],
    taken: Option<(usize, usize)>,
) -> Result<DecodedRows, GiveUp> {
    let (from, to) = taken.map_or((0, None), |(a, b)| (a / 2, Some(b / 2)));
    let days = to.map_or(0, |to| to + 1 - from);
    let width = days * 2;
    let mut decoded = DecodedRows {
        ids: IdList::default(),
        from,
        days,
        marks: vec![NO_MARK; rows.len() * width],
    };
    for (i, row) in rows.iter().enumerate() {
        decoded.ids.push(row.pupil).ok_or(GiveUp)?;
        let cells = decoded
            .marks
            .get_mut(i * width..(i + 1) * width)
            .ok_or(GiveUp)?;
        decode_row(ctx, z, (0, usize::MAX), row, from, cells)?;
    }
    Ok(decoded)
}

/// A row's marks decoded into `cells`, which start at school day `from`; each must fall in
/// them.
fn decode_row(
    ctx: &Context<'_>,
    z: &ZRows,
    roll: (usize, usize),
    row: &super::compact_parallel::Fields<'_>,
    from: usize,
    cells: &mut [u8],
) -> Result<(), GiveUp> {
    each_mark(ctx, z, roll, row.start, row.marks, |day, session, code| {
        if code != NO_MARK {
            *cells.get_mut(day.checked_sub(from)? * 2 + session)? = code;
        }
        Some(())
    })
    .ok_or(GiveUp)
}

/// The index of a pupil in the whole register.
fn find(whole: &Register, id: &[u8]) -> Option<usize> {
    whole.find(std::str::from_utf8(id).ok()?)
}

/// A row's first and last marked session (`school day * 2 + session`; `None` inside: none),
/// from the tokens at each end and a count of those between; `None` when the row is out of
/// the ordinary. The second pass decodes every token and checks it, so a row this counts
/// wrongly (a stray byte) is given up there.
fn ends(
    ctx: &Context<'_>,
    start: chrono::NaiveDate,
    marks: &[u8],
) -> Option<Option<(usize, usize)>> {
    // Every byte but a separator or a code's digit starts a token, in a row the second pass
    // accepts (it checks every byte): counted without branches, so the loop is vectorised.
    let skipped: usize = marks
        .chunks(255)
        .map(|chunk| {
            let mut n = 0u8;
            for &b in chunk {
                n += u8::from(
                    (b == b',') | (b == b' ') | (b == b'|') | (b == b'\t') | b.is_ascii_digit(),
                );
            }
            usize::from(n)
        })
        .sum();
    let tokens = marks.len() - skipped;
    if !tokens.is_multiple_of(2) {
        return None;
    }
    let marked = |k: usize, text: &[u8]| -> Option<Option<usize>> {
        let date = start.checked_add_days(chrono::Days::new((k / 2) as u64))?;
        let Some(day) = ctx.days.index(date) else {
            return Some(None);
        };
        match ctx.decoder.decode(text, day, date).ok()? {
            Decoded::Code(_) => Some(Some(day * 2 + k % 2)),
            Decoded::Missing => Some(None),
        }
    };
    // Forward to the first marked session.
    let mut first = None;
    let (mut k, mut i) = (0, 0);
    while let Some(&b) = marks.get(i) {
        if matches!(b, b',' | b' ' | b'|' | b'\t') {
            i += 1;
            continue;
        }
        let len = if b.is_ascii_alphabetic() && marks.get(i + 1).is_some_and(u8::is_ascii_digit) {
            2
        } else {
            1
        };
        if let Some(slot) = marked(k, &marks[i..i + len])? {
            first = Some(slot);
            break;
        }
        k += 1;
        i += len;
    }
    let Some(first) = first else {
        return Some(None);
    };
    // Backward to the last.
    let (mut k, mut end) = (tokens, marks.len());
    while end > 0 {
        let b = marks[end - 1];
        if matches!(b, b',' | b' ' | b'|' | b'\t') {
            end -= 1;
            continue;
        }
        // A row the count and this walk read differently (a digit that ends no code, `2`
        // after a space) runs out of tokens or bytes: out of the ordinary.
        let len = if b.is_ascii_digit() { 2 } else { 1 };
        let start = end.checked_sub(len)?;
        k = k.checked_sub(1)?;
        if let Some(slot) = marked(k, &marks[start..end])? {
            return Some(Some((first, slot)));
        }
        end = start;
    }
    None
}

/// Runs `rows` on every chunk of the file's rows, on every core but `cores_taken` (kept for
/// other work) and at least one; an error from any stops the pass.
fn chunks(
    ctx: &Context<'_>,
    cores_taken: usize,
    rows: &(dyn Fn(Columns, &Chunk) -> Result<(), GiveUp> + Sync),
) -> Result<(), GiveUp> {
    let mut reader = ctx.input.open().map_err(|_| GiveUp)?;
    let columns = header(&mut reader).ok_or(GiveUp)?;
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .saturating_sub(cores_taken)
        .clamp(1, 16);
    let failed = AtomicBool::new(false);
    let stop_after = AtomicUsize::new(usize::MAX);
    let (send, receive) = mpsc::sync_channel::<Chunk>(workers * 2);
    let (recycle, recycled) = mpsc::channel::<Vec<u8>>();
    let receive = Mutex::new(receive);
    let mut read_error = None;
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let recycle = recycle.clone();
            let (receive, failed, stop_after) = (&receive, &failed, &stop_after);
            scope.spawn(move || {
                loop {
                    let next = receive
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .recv();
                    let Ok(chunk) = next else { break };
                    let ok = chunk.overlong.is_none()
                        && !failed.load(Ordering::Relaxed)
                        && rows(columns, &chunk).is_ok();
                    if !ok {
                        failed.store(true, Ordering::Relaxed);
                        stop_after.fetch_min(chunk.index, Ordering::Relaxed);
                    }
                    let _ = recycle.send(chunk.data);
                }
            });
        }
        drop(recycle);
        read_error = split_chunks(&mut reader, &send, &recycled, &stop_after, &ctx.input.name);
        drop(send);
    });
    if read_error.is_some() || failed.into_inner() {
        return Err(GiveUp);
    }
    Ok(())
}

/// What the second pass has handed on so far, and the marks buffers handed back.
struct Handing {
    seen: Mutex<Vec<bool>>,
    // Each block's marks go back to be the next block's: a new buffer's pages would be
    // faulted in and zeroed by the kernel, block after block.
    spare: Mutex<Vec<Vec<u8>>>,
}

impl Handing {
    fn new(pupils: usize) -> Handing {
        Handing {
            seen: Mutex::new(vec![false; pupils]),
            spare: Mutex::new(Vec::new()),
        }
    }

    /// A marks buffer handed back by an earlier block, or a new one.
    fn spare(&self) -> Vec<u8> {
        let spare = self
            .spare
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        spare.unwrap_or_default()
    }

    /// Hands a block to `each`, once every pupil of it is known to be in no block before.
    fn hand(&self, mut block: Block, each: &(dyn Fn(&Block) + Sync)) -> Result<(), GiveUp> {
        {
            let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
            for &g in &block.global {
                match seen.get_mut(g) {
                    Some(s) if !*s => *s = true,
                    _ => return Err(GiveUp),
                }
            }
        }
        each(&block);
        let marks = std::mem::take(&mut block.register.marks);
        let mut spare = self.spare.lock().unwrap_or_else(PoisonError::into_inner);
        // As many as the blocks being made at once need; the blocks the first pass decoded
        // bring their own.
        if spare.len() < SPARE_BLOCKS {
            spare.push(marks);
        }
        Ok(())
    }
}

/// The second pass, over the span the first found.
struct Plan<'a> {
    ctx: &'a Context<'a>,
    whole: &'a Register,
    span: (usize, usize),
    /// The last session taken (`day * 2 + session`): a session on roll before it must have
    /// a mark, as in a register read whole.
    taken_to: usize,
}

impl Plan<'_> {
    /// Hands every pupil to `each` in blocks: a chunk of rows at a time, then the pupils
    /// with no row.
    fn blocks(&self, each: &(dyn Fn(&Block) + Sync)) -> Result<(), GiveUp> {
        let handing = Handing::new(self.whole.len());
        chunks(self.ctx, 0, &|columns, chunk| {
            let block = self.block_of(columns, chunk, handing.spare())?;
            handing.hand(block, each)
        })?;
        self.unseen(handing, each)
    }

    /// [`Plan::blocks`] from the rows the first pass decoded, on every core.
    fn decoded_blocks(
        &self,
        decoded: Vec<DecodedRows>,
        each: &(dyn Fn(&Block) + Sync),
    ) -> Result<(), GiveUp> {
        let handing = Handing::new(self.whole.len());
        let queue = Mutex::new(decoded.into_iter());
        let failed = AtomicBool::new(false);
        let workers = std::thread::available_parallelism()
            .map_or(2, |n| n.get())
            .clamp(1, 16);
        std::thread::scope(|scope| {
            for _ in 0..workers {
                scope.spawn(|| {
                    while !failed.load(Ordering::Relaxed) {
                        let next = queue.lock().unwrap_or_else(PoisonError::into_inner).next();
                        let Some(rows) = next else { break };
                        let handed = self
                            .block_from(rows, || handing.spare())
                            .and_then(|block| handing.hand(block, each));
                        if handed.is_err() {
                            failed.store(true, Ordering::Relaxed);
                        }
                    }
                });
            }
        });
        if failed.into_inner() {
            return Err(GiveUp);
        }
        self.unseen(handing, each)
    }

    /// The pupils no row named, handed on in blocks with no marks.
    fn unseen(&self, handing: Handing, each: &(dyn Fn(&Block) + Sync)) -> Result<(), GiveUp> {
        let seen = handing
            .seen
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        let unseen: Vec<usize> = (0..seen.len()).filter(|g| !seen[*g]).collect();
        for pupils in unseen.chunks(UNSEEN_BLOCK) {
            let marks = vec![NO_MARK; pupils.len() * self.width()];
            each(&self.assemble(pupils.to_vec(), marks)?);
        }
        Ok(())
    }

    /// A block of the rows the first pass decoded: each row's pupil found, its marks off
    /// roll checked (only `Z` is allowed there, as the decoding loops check when the roll is
    /// known) and put in place over the span: in a `spare` buffer, unless the rows hold the
    /// span's days already (the usual register, every row from the same first day), whose
    /// marks are the block's as they are.
    fn block_from(
        &self,
        rows: DecodedRows,
        spare: impl FnOnce() -> Vec<u8>,
    ) -> Result<Block, GiveUp> {
        let z = ZRows::new();
        let width = self.width();
        let row_width = rows.days * 2;
        // Every marked session of the rows is in the span, which the first pass found.
        let at = rows.from.checked_sub(self.span.0).ok_or(GiveUp)? * 2;
        if row_width > 0 && at + row_width > width {
            return Err(GiveUp);
        }
        let mut global = Vec::with_capacity(rows.ids.len());
        for i in 0..rows.ids.len() {
            // Rows mostly come in the pupils' order: the pupil after the last row's first.
            let id = rows.ids.get(i);
            let next = global.last().map_or(0, |g| g + 1);
            let g = match self.whole.ids.get(next) == id {
                true => next,
                false => find(self.whole, id).ok_or(GiveUp)?,
            };
            let cells = rows
                .marks
                .get(i * row_width..(i + 1) * row_width)
                .ok_or(GiveUp)?;
            let roll = self.roll(g);
            let on_roll_from = |day: usize| day.saturating_sub(rows.from).min(rows.days) * 2;
            let (a, b) = (on_roll_from(roll.0), on_roll_from(roll.1.max(roll.0)));
            let off_roll = cells[..a].iter().chain(&cells[b..]);
            if !off_roll.into_iter().all(|&code| z.allowed_off_roll(code)) {
                return Err(GiveUp);
            }
            global.push(g);
        }
        if at == 0 && row_width == width && rows.marks.len() == global.len() * width {
            return self.assemble(global, rows.marks);
        }
        let mut marks = spare();
        marks.clear();
        marks.reserve(global.len() * width);
        for cells in rows.marks.chunks_exact(row_width.max(1)).take(global.len()) {
            let start = marks.len();
            marks.resize(start + width, NO_MARK);
            if row_width > 0 {
                marks[start + at..start + at + row_width].copy_from_slice(cells);
            }
        }
        // A chunk of rows with no marked session holds no days.
        marks.resize(global.len() * width, NO_MARK);
        self.assemble(global, marks)
    }

    /// A chunk's rows decoded into a block, each straight into its row of the block's marks
    /// (`marks`, a spare buffer, cleared first).
    fn block_of(
        &self,
        columns: Columns,
        chunk: &Chunk,
        mut marks: Vec<u8>,
    ) -> Result<Block, GiveUp> {
        let z = ZRows::new();
        let width = self.width();
        let rows = memchr::memchr_iter(b'\n', &chunk.data).count() + 1;
        let mut global = Vec::with_capacity(rows);
        marks.clear();
        marks.reserve(rows * width);
        for line in lines(&chunk.data) {
            let row = fields(line, columns).ok_or(GiveUp)?;
            let g = find(self.whole, row.pupil).ok_or(GiveUp)?;
            let at = marks.len();
            marks.resize(at + width, NO_MARK);
            decode_row(
                self.ctx,
                &z,
                self.roll(g),
                &row,
                self.span.0,
                &mut marks[at..],
            )?;
            global.push(g);
        }
        self.assemble(global, marks)
    }

    /// Sessions a pupil's row holds: the span's.
    fn width(&self) -> usize {
        (self.span.1 + 1 - self.span.0) * 2
    }

    /// A pupil's school days on roll.
    fn roll(&self, g: usize) -> (usize, usize) {
        match self.whole.record(g) {
            Some(pupil) => roll_of(self.ctx, pupil),
            None => (0, self.ctx.days.len()),
        }
    }

    /// A block of these pupils (whole-register indices, and their rows of marks over the
    /// span), put in id order and each checked for missing marks as a whole register is.
    fn assemble(&self, mut global: Vec<usize>, mut marks: Vec<u8>) -> Result<Block, GiveUp> {
        let width = self.width();
        // A file in id order gives rows in order already.
        if !global.is_sorted() {
            let mut order = own_records(global.len());
            order.sort_unstable_by_key(|i| global[*i as usize]);
            rows_in_order(&mut marks, width, &order);
            global = order.iter().map(|i| global[*i as usize]).collect();
        }
        let mut ids = IdList::default();
        for (&g, row) in global.iter().zip(marks.chunks_exact_mut(width)) {
            if fill_missing(self.ctx, row, self.roll(g), self.span, self.taken_to).is_some() {
                return Err(GiveUp);
            }
            ids.push(self.whole.id(g).as_bytes());
        }
        // The block reads the whole register's records, each pupil's where it is there.
        let record_of = match self.whole.records.is_empty() {
            true => Vec::new(),
            false => global
                .iter()
                .map(|&g| self.whole.record_of.get(g).copied().unwrap_or(u32::MAX))
                .collect(),
        };
        Ok(Block {
            register: Register {
                ids,
                records: std::sync::Arc::clone(&self.whole.records),
                record_of,
                first: self.span.0,
                days: self.span.1 + 1 - self.span.0,
                marks,
                span: Some(self.span),
                warnings: Vec::new(),
            },
            global,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{KEPT_MARKS, Open, Streamed, open};
    use crate::register::{Input, NO_MARK, Pupils, ReadOptions, read_pupils, read_register};
    use crate::source::Source;
    use crate::table::SchoolDays;
    use std::fmt::Write as _;
    use std::sync::Mutex;

    /// A generated cohort's register as compact marks (a row per pupil from the first school
    /// day, `#` on the days between), and its pupils file, every third pupil admitted on the
    /// 30th school day: with `z_before` that pupil's rows are `Z` before it, else `/`.
    fn register(pupils: usize, z_before: bool) -> (Vec<u8>, Vec<u8>) {
        let (_, days) = calendar();
        let dates: Vec<_> = (0..days.len()).map(|d| days.date(d)).collect();
        let config = crate::generate::Config {
            cohort: pupils,
            phase: crate::generate::Phase::Secondary,
            seed: 11,
        };
        let cohort = crate::generate::generate(&config, &dates[..190]);
        let whole = crate::simulate::register_from_cohort(&cohort, &days);
        let (first, last) = whole.span.unwrap_or((0, 0));
        let code = |c: u8| match c {
            NO_MARK => "-",
            c => crate::codes::table().rows()[usize::from(c)].code,
        };
        let mut marks = String::from("pupil_id,start_date,marks\n");
        let mut list =
            String::from("pupil_id,date_of_birth,year_group,admission_date,leaving_date\n");
        for i in 0..whole.len() {
            let late = i % 3 == 0;
            let row = whole.marks_between(i, first, last);
            let mut tokens = Vec::new();
            let mut date = days.date(first);
            while date <= days.date(last) {
                match days.index(date) {
                    Some(d) if late && d < first + 30 => {
                        let mark = if z_before { "Z" } else { "/" };
                        tokens.extend([mark, mark]);
                    }
                    Some(d) => tokens.extend(row[(d - first) * 2..][..2].iter().map(|&c| code(c))),
                    None => tokens.extend(["#", "#"]),
                }
                date = date.succ_opt().unwrap_or(date);
            }
            let id = whole.id(i);
            let _ = writeln!(marks, "{id},{},\"{}\"", days.date(first), tokens.join(","));
            let record = whole.record(i);
            let admitted = record.and_then(|r| r.admission);
            let admitted = match late {
                true => admitted.max(Some(days.date(first + 30))),
                false => admitted,
            };
            let left = record.and_then(|r| r.leaving);
            let text = |date: Option<chrono::NaiveDate>| date.map(|d| d.to_string());
            let (admitted, left) = (text(admitted), text(left));
            let _ = writeln!(
                list,
                "{id},2012-01-15,8,{},{}",
                admitted.unwrap_or_default(),
                left.unwrap_or_default()
            );
        }
        (marks.into_bytes(), list.into_bytes())
    }

    fn calendar() -> (crate::model::Calendar, SchoolDays) {
        let root = env!("CARGO_MANIFEST_DIR");
        let path = format!("{root}/policies/calendars/camden-2024-25.calendar");
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let Ok((calendar, _)) = crate::load_calendar(&Source::new(path, text)) else {
            panic!("the bundled calendar loads");
        };
        let days = SchoolDays::new(&calendar);
        (calendar, days)
    }

    /// The span, and each pupil (by index in the register) with its marks.
    type Handed = (Option<(usize, usize)>, Vec<(usize, Vec<u8>)>);

    /// The register and pupils of [`register`] with every pupil from row `from` on leaving
    /// after school day `day`: its row ends there, and the pupils file says so.
    fn leaving_from(marks: &[u8], pupils: &[u8], from: usize, day: usize) -> (Vec<u8>, Vec<u8>) {
        let (_, days) = calendar();
        let left = days.date(day);
        let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
        let (marks, pupils) = (text(marks), text(pupils));
        let mut out = String::new();
        for (i, line) in marks.lines().enumerate() {
            let Some((head, tokens)) = line.split_once(",\"") else {
                out.push_str(line);
                out.push('\n');
                continue;
            };
            let start = head
                .rsplit(',')
                .next()
                .and_then(|d| d.parse::<chrono::NaiveDate>().ok());
            let keep = match start {
                Some(start) if i > from => ((left - start).num_days() as usize + 1) * 2,
                _ => usize::MAX,
            };
            let tokens: Vec<&str> = tokens.trim_end_matches('"').split(',').take(keep).collect();
            let _ = writeln!(out, "{head},\"{}\"", tokens.join(","));
        }
        let mut list = String::new();
        for (i, line) in pupils.lines().enumerate() {
            let mut cells: Vec<String> = line.split(',').map(String::from).collect();
            if i > from && cells.len() == 5 {
                let leaving = cells[4].parse::<chrono::NaiveDate>().ok();
                cells[4] = leaving.map_or(left, |d| d.min(left)).to_string();
            }
            list.push_str(&cells.join(","));
            list.push('\n');
        }
        (out.into_bytes(), list.into_bytes())
    }

    /// The span and each pupil's marks as the stream hands them on; `None`: it gave up.
    fn streamed(marks: &[u8], pupils: &[u8], kept_marks: usize) -> Option<Handed> {
        let (calendar, days) = calendar();
        let input = Input::bytes("register.csv", marks.to_vec());
        let list = Input::bytes("pupils.csv", pupils.to_vec());
        let read = || read_pupils(&list, 20).map_err(|_| ());
        let options = ReadOptions::default();
        let read: &(dyn Fn() -> Result<Pupils, ()> + Sync) = &read;
        let Open::Opened(opened) = open(
            &input,
            &calendar,
            &days,
            Some(read),
            None,
            &options,
            kept_marks,
        ) else {
            return None;
        };
        let rows = Mutex::new(Vec::new());
        let handed = opened.blocks(&|block| {
            let mut rows = rows
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            for (i, g) in block.global.iter().enumerate() {
                rows.push((*g, block.register.marks_of(i).to_vec()));
            }
        });
        let Streamed::Read(register) = handed else {
            return None;
        };
        let mut rows = rows.into_inner().unwrap_or_default();
        rows.sort_by_key(|(g, _)| *g);
        Some((register.span, rows))
    }

    /// A row whose digits end no code (found by the fuzzer: `NN 2NN N#` from 2 September,
    /// where the token count and the backward walk disagree and the walk ran out of tokens)
    /// is out of the ordinary, not a panic: the stream gives it up, for the whole reader to
    /// report.
    #[test]
    fn a_stray_digit_gives_a_row_up() {
        let (calendar, days) = calendar();
        let options = ReadOptions::default();
        let decoder = crate::register::Decoder::new(&days, None);
        let ctx = crate::register::Context {
            input: &Input::bytes("register.csv", Vec::new()),
            calendar: &calendar,
            days: &days,
            decoder: &decoder,
            pupils: None,
            options: &options,
            upn_keyed: false,
        };
        // Starting on every day of the first fortnight, school days and closed days (whose
        // tokens the walk does not decode) alike.
        let first = chrono::NaiveDate::from_ymd_opt(2024, 9, 1).unwrap_or_default();
        for start in first.iter_days().take(14) {
            for marks in ["NN 2NN N#", "2NN", "N, 2", "2,N,N", "NN2"] {
                // Whatever it finds, it must come back.
                let _ = super::ends(&ctx, start, marks.as_bytes());
            }
        }
        let monday = chrono::NaiveDate::from_ymd_opt(2024, 9, 9).unwrap_or_default();
        assert_eq!(
            super::ends(&ctx, monday, b"N,N"),
            days.index(monday).map(|d| Some((d * 2, d * 2 + 1)))
        );
        // And the stream, given the fuzzer's file, leaves it to the whole reader.
        let file = b"pupil_id,start_date,marks\nP1,2024-09-02,\"NN 2NN N#\"\n";
        let input = Input::bytes("register.csv", file.to_vec());
        for kept_marks in [KEPT_MARKS, 0] {
            let taken = match open::<()>(&input, &calendar, &days, None, None, &options, kept_marks)
            {
                Open::Opened(opened) => matches!(opened.blocks(&|_| {}), Streamed::Read(_)),
                _ => false,
            };
            assert!(!taken, "the stream took a stray digit");
        }
    }

    /// The first pass's decoded marks, kept, give the blocks the second pass gives by
    /// reading the file again, and both the register the whole reader reads; a mark off
    /// roll other than `Z` makes both give up (for the whole reader to report it).
    #[test]
    fn kept_marks_are_the_marks_read_again() {
        // 6,000 pupils: rows in more than one chunk of the file (4 MiB).
        let (marks, pupils) = register(6000, true);
        assert!(marks.len() > 4 << 20, "{}", marks.len());
        let (calendar, days) = calendar();
        let list = read_pupils(&Input::bytes("pupils.csv", pupils.clone()), 20).ok();
        let whole = read_register(
            &Input::bytes("register.csv", marks.clone()),
            &calendar,
            &days,
            list.as_ref(),
            None,
            &ReadOptions::default(),
        );
        let whole = match whole {
            Ok(whole) => whole,
            Err(problems) => panic!(
                "the whole reader takes the register: {:?}",
                problems.first()
            ),
        };
        let kept = streamed(&marks, &pupils, KEPT_MARKS);
        let read_again = streamed(&marks, &pupils, 0);
        let Some((span, rows)) = &kept else {
            panic!("the stream takes the register");
        };
        assert_eq!(*span, whole.span);
        assert_eq!(rows.len(), whole.len());
        for (g, row) in rows {
            assert_eq!(row.as_slice(), whole.marks_of(*g), "pupil {}", whole.id(*g));
        }
        assert!(kept == read_again, "kept and read again differ");
        // Less room than the marks need: none are kept, and the file is read again.
        assert!(streamed(&marks, &pupils, marks.len() / 8) == kept);
        // The pupils of the later chunks leave on the 100th school day, their rows ending
        // there: those chunks' rows hold fewer days than the span, and are put in place
        // over it (the first chunk's are the block's marks as they are).
        let (marks, pupils) = leaving_from(&marks, &pupils, 3000, 99);
        let whole = read_register(
            &Input::bytes("register.csv", marks.clone()),
            &calendar,
            &days,
            read_pupils(&Input::bytes("pupils.csv", pupils.clone()), 20)
                .ok()
                .as_ref(),
            None,
            &ReadOptions::default(),
        );
        let Ok(whole) = whole else {
            panic!("the whole reader takes the register of leavers");
        };
        let Some((span, rows)) = streamed(&marks, &pupils, KEPT_MARKS) else {
            panic!("the stream takes the register of leavers");
        };
        assert_eq!((span, rows.len()), (whole.span, whole.len()));
        for (g, row) in &rows {
            assert_eq!(row.as_slice(), whole.marks_of(*g), "pupil {}", whole.id(*g));
        }
        let left = rows
            .iter()
            .filter(|(_, row)| row[200..].iter().all(|&m| m == NO_MARK));
        assert!(left.count() >= 2900);
        // Present before admission: off roll, which only `Z` may be.
        let (marks, pupils) = register(300, false);
        assert!(streamed(&marks, &pupils, KEPT_MARKS).is_none());
        assert!(streamed(&marks, &pupils, 0).is_none());
    }
}
