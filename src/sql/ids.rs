//! Each action's id as `actions.csv` prints it: the first 32 bits of SipHash-2-4 (fixed keys,
//! src/engine/output.rs `action_key`) of pupil, rule, step, action (each followed by a 0xff
//! byte) and date. The message is built as hex (`hex` gives a text's UTF-8 bytes in both
//! dialects), so names in any script hash as the engine hashes them and the 0xff byte is
//! written as itself. SQL has no SipHash and no unsigned 64-bit arithmetic common to the
//! dialects, so each 64-bit word is two 32-bit halves in BIGINT columns (`x_h`, `x_l`),
//! added with an explicit carry and rotated by multiplying and dividing by powers of two.
//! DuckDB compresses the message one 8-byte block per statement; Spark folds over each
//! message's own blocks in one expression (a statement per block compiles slowly there).

use std::fmt::Write as _;

use super::dialect::Dialect;
use crate::table::{DecisionTable, step_name};

/// The keys of `action_key`.
const K0: u64 = 0x6174_7465_6e64_0003;
const K1: u64 = 0x6163_7469_6f6e_0004;
/// The 0xff byte after each part, in hex.
const SEPARATOR: &str = "FF";
/// The longest pupil id (src/register `valid_pupil_id`).
const MAX_PUPIL_ID: usize = 64;
const M32: &str = "4294967296";

/// The longest message (in bytes) any action of the table hashes.
fn longest(table: &DecisionTable) -> usize {
    table
        .rows
        .iter()
        .flat_map(|row| {
            let step = step_name(row.kind, &row.event);
            row.actions
                .iter()
                .map(move |a| row.rule.len() + step.len() + a.action.len())
        })
        .max()
        .unwrap_or(0)
        + MAX_PUPIL_ID
        + 4
        + 10
}

/// A 64-bit word held in two 32-bit halves: SQL for each half.
#[derive(Clone)]
struct Word {
    h: String,
    l: String,
}

impl Word {
    fn col(name: &str) -> Word {
        Word {
            h: format!("{name}_h"),
            l: format!("{name}_l"),
        }
    }

    fn constant(x: u64) -> Word {
        Word {
            h: (x >> 32).to_string(),
            l: (x & 0xffff_ffff).to_string(),
        }
    }
}

fn add(d: Dialect, a: &Word, b: &Word) -> Word {
    let low = format!("({} + {})", a.l, b.l);
    Word {
        h: format!("(({} + {} + {}) % {M32})", a.h, b.h, d.div(&low, M32)),
        l: format!("({low} % {M32})"),
    }
}

fn xor(d: Dialect, a: &Word, b: &Word) -> Word {
    Word {
        h: d.xor(&a.h, &b.h),
        l: d.xor(&a.l, &b.l),
    }
}

fn rotl(d: Dialect, a: &Word, n: u32) -> Word {
    if n == 32 {
        return Word {
            h: a.l.clone(),
            l: a.h.clone(),
        };
    }
    let up = 1u64 << n;
    let down = 1u64 << (32 - n);
    Word {
        h: format!(
            "((({} * {up}) % {M32}) + {})",
            a.h,
            d.div(&a.l, &down.to_string())
        ),
        l: format!(
            "((({} * {up}) % {M32}) + {})",
            a.l,
            d.div(&a.h, &down.to_string())
        ),
    }
}

/// The columns an action carries through the hash's layers.
const KEEP: &str = "pupil_id, day, date, row_id, stage_rank, evidence, rule, action, note, responsible, responsible_name, msg, msg_len";
/// [`KEEP`] and the block being compressed.
const KEEP_M: &str = "pupil_id, day, date, row_id, stage_rank, evidence, rule, action, note, responsible, responsible_name, msg, msg_len, m_h, m_l, p0_h, p0_l, p1_h, p1_l, p2_h, p2_l, p3_h, p3_l";

/// One layer of a SELECT: new values of the state words from the current columns.
fn layer(inner: &str, keep: &str, words: &[(&str, Word)]) -> String {
    let cols: Vec<String> = words
        .iter()
        .map(|(name, w)| format!("{} AS {name}_h, {} AS {name}_l", w.h, w.l))
        .collect();
    format!(
        "SELECT {keep},\n    {}\n  FROM ({inner}) AS s",
        cols.join(",\n    ")
    )
}

/// A SipRound's two halves, each over the state `v` as it stands (each is one layer: the
/// second reads the first's results by name).
fn half_rounds(d: Dialect, v: &[Word; 4]) -> ([Word; 4], [Word; 4]) {
    let [v0, v1, v2, v3] = v;
    // v0 += v1; v1 = rotl(v1, 13) ^ v0; v0 = rotl(v0, 32);
    // v2 += v3; v3 = rotl(v3, 16) ^ v2.
    let a = add(d, v0, v1);
    let c = add(d, v2, v3);
    let first = [
        rotl(d, &a, 32),
        xor(d, &rotl(d, v1, 13), &a),
        c.clone(),
        xor(d, &rotl(d, v3, 16), &c),
    ];
    // v0 += v3; v3 = rotl(v3, 21) ^ v0; v2 += v1; v1 = rotl(v1, 17) ^ v2;
    // v2 = rotl(v2, 32).
    let a = add(d, v0, v3);
    let c = add(d, v2, v1);
    let second = [
        a.clone(),
        xor(d, &rotl(d, v1, 17), &c),
        rotl(d, &c, 32),
        xor(d, &rotl(d, v3, 21), &a),
    ];
    (first, second)
}

/// `count` SipRounds over the state columns, two layers each.
fn rounds(d: Dialect, mut inner: String, keep: &str, count: usize) -> String {
    let v = [
        Word::col("v0"),
        Word::col("v1"),
        Word::col("v2"),
        Word::col("v3"),
    ];
    let (first, second) = half_rounds(d, &v);
    let named = |words: [Word; 4]| {
        let [a, b, c, e] = words;
        [("v0", a), ("v1", b), ("v2", c), ("v3", e)]
    };
    for _ in 0..count {
        inner = layer(&inner, keep, &named(first.clone()));
        inner = layer(&inner, keep, &named(second.clone()));
    }
    inner
}

/// The message's 8-byte block `i` as a word (little-endian), the length byte in the top of
/// the block that holds the message's end; `pos(j)` is where its byte `j` is in the message,
/// counted from 0. Byte `p` is the hex digits at `2p + 1` and `2p + 2` (as `substr` counts).
fn block(d: Dialect, pos: &dyn Fn(usize) -> String, i: &str) -> Word {
    let byte = |j: usize| {
        let p = pos(j);
        let digit =
            |k: u32| format!("(instr('0123456789ABCDEF', substr(msg, 2 * {p} + {k}, 1)) - 1)");
        format!(
            "CASE WHEN {p} < msg_len THEN {} * 16 + {} ELSE 0 END",
            digit(1),
            digit(2)
        )
    };
    let half = |from: usize| {
        (0..4)
            .map(|j| format!("CAST({} AS BIGINT) * {}", byte(from + j), 1u64 << (8 * j)))
            .collect::<Vec<_>>()
            .join(" + ")
    };
    Word {
        h: format!(
            "({} + CASE WHEN {i} = {} THEN CAST(msg_len % 256 AS BIGINT) * 16777216 ELSE 0 END)",
            half(4),
            d.div("msg_len", "8")
        ),
        l: format!("({})", half(0)),
    }
}

/// The state SipHash starts from (`v0` ... `v3`, the keys mixed in).
fn initial() -> [(&'static str, Word); 4] {
    [
        ("v0", Word::constant(K0 ^ 0x736f_6d65_7073_6575)),
        ("v1", Word::constant(K1 ^ 0x646f_7261_6e64_6f6d)),
        ("v2", Word::constant(K0 ^ 0x6c79_6765_6e65_7261)),
        ("v3", Word::constant(K1 ^ 0x7465_6462_7974_6573)),
    ]
}

/// The message an action's id hashes, from the columns of `due`, in hex; its length in
/// bytes is [`message_len`].
fn message(d: Dialect) -> String {
    format!(
        "hex(pupil_id) || '{SEPARATOR}' || hex(rule) || '{SEPARATOR}' || hex(step) || '{SEPARATOR}' || hex(action) || '{SEPARATOR}' || hex({})",
        d.text("date")
    )
}

/// The message's length in bytes (two hex digits each).
fn message_len(d: Dialect) -> String {
    d.div("length(msg)", "2")
}

/// `action_ids`: every action of every rule fired, with its id; DuckDB compresses one block
/// per statement ([`action_ids`], [`compress`]), Spark all of them in one ([`spark_ids`]).
pub fn ids(out: &mut String, d: Dialect, table: &DecisionTable) {
    match d {
        Dialect::DuckDb => {
            action_ids(out, d);
            compress(out, d, table);
        }
        Dialect::Spark => spark_ids(out, d),
    }
}

/// `action_ids` for Spark: the whole hash of each message in one expression, a fold
/// (`aggregate`) over the steps of its own blocks, so the statement stays small whatever
/// the longest message. Each step reads the state the last one left in a struct `t` (the
/// words' halves and the block `m`): step `6i` xors block `i` into `v3`, steps `6i+1` to
/// `6i+4` are the two SipRounds' halves, `6i+5` xors the block into `v0`; after the `n`
/// blocks, step `6n` xors 0xff into `v2` and eight half-rounds finish. A chain of one
/// statement per block (as DuckDB has) makes Spark compile one large projection per block:
/// seconds each, where the fold is interpreted in one.
fn spark_ids(out: &mut String, d: Dialect) {
    let _ = writeln!(
        out,
        "-- Each action of each rule fired, with its id: SipHash-2-4 of pupil, rule, step,\n\
         -- action, each followed by a 0xff byte (`|` here), then the date; a fold over the\n\
         -- message's 8-byte blocks (6 steps each), then the finish (9 steps)."
    );
    let _ = writeln!(out, "{}", d.create_inline("action_ids"));
    let state = |words: &[Word; 4], m: &Word| {
        let mut fields: Vec<String> = words
            .iter()
            .enumerate()
            .map(|(n, w)| format!("'v{n}_h', {}, 'v{n}_l', {}", w.h, w.l))
            .collect();
        fields.push(format!("'m_h', {}, 'm_l', {}", m.h, m.l));
        format!("named_struct({})", fields.join(", "))
    };
    let t = [
        Word::col("t.v0"),
        Word::col("t.v1"),
        Word::col("t.v2"),
        Word::col("t.v3"),
    ];
    let tm = Word::col("t.m");
    let bigint = |w: &Word| Word {
        h: format!("CAST({} AS BIGINT)", w.h),
        l: format!("CAST({} AS BIGINT)", w.l),
    };
    let init = initial().map(|(_, w)| bigint(&w));
    let blocks = format!("({} * 6 + 6)", d.div("msg_len", "8"));
    let i = d.div("k", "6");
    let m = bigint(&block(d, &|j| format!("({i} * 8 + {j})"), &i));
    let load = state(
        &[t[0].clone(), t[1].clone(), t[2].clone(), xor(d, &t[3], &m)],
        &m,
    );
    let mix = state(
        &[xor(d, &t[0], &tm), t[1].clone(), t[2].clone(), t[3].clone()],
        &tm,
    );
    let seal = state(
        &[
            t[0].clone(),
            t[1].clone(),
            xor(d, &t[2], &Word::constant(0xff)),
            t[3].clone(),
        ],
        &tm,
    );
    let (a1, b1) = half_rounds(d, &t);
    let step = format!(
        "CASE WHEN k = {blocks} THEN {seal}\n      \
         WHEN k < {blocks} AND k % 6 = 0 THEN {load}\n      \
         WHEN k < {blocks} AND k % 6 = 5 THEN {mix}\n      \
         WHEN k % 2 = 1 THEN {}\n      \
         ELSE {} END",
        state(&a1, &tm),
        state(&b1, &tm),
    );
    let top = d.xor(&d.xor(&t[0].h, &t[1].h), &d.xor(&t[2].h, &t[3].h));
    let _ = writeln!(
        out,
        "SELECT aggregate(sequence(0, {blocks} + 8),\n    {},\n    (t, k) -> {step},\n    \
         t -> lower(lpad(hex({top}), 8, '0'))) AS id,\n  \
         pupil_id, day, date, row_id, stage_rank, evidence, rule, action, note, responsible, responsible_name\n\
         FROM (SELECT *, {} AS msg_len FROM (SELECT *, {} AS msg FROM due) AS m) AS m;\n",
        state(&init, &bigint(&Word::constant(0))),
        message_len(d),
        message(d),
    );
}

/// `action_ids`: every action of every rule fired, with its id.
fn action_ids(out: &mut String, d: Dialect) {
    let _ = writeln!(
        out,
        "-- Each action of each rule fired, with the message its id hashes: pupil, rule, step,\n\
         -- action, each followed by a 0xff byte, then the date; in hex, two digits a byte."
    );
    let _ = writeln!(out, "{}", d.create("action_hash_0"));
    let init = initial();
    let msg = message(d);
    let cols: Vec<String> = init
        .iter()
        .map(|(n, w)| {
            format!(
                "CAST({} AS BIGINT) AS {n}_h, CAST({} AS BIGINT) AS {n}_l",
                w.h, w.l
            )
        })
        .collect();
    let _ = writeln!(
        out,
        "SELECT pupil_id, day, date, row_id, stage_rank, evidence, rule, action, note, responsible, responsible_name, msg, {} AS msg_len,\n  {}\n\
         FROM (SELECT *, {msg} AS msg FROM due) AS m;\n",
        message_len(d),
        cols.join(", ")
    );
}

/// The statements compressing each block, then finishing: `action_ids`.
fn compress(out: &mut String, d: Dialect, table: &DecisionTable) {
    let blocks = longest(table) / 8 + 1;
    let mut prev = "action_hash_0".to_string();
    for i in 0..blocks {
        let m = block(d, &|j| (i * 8 + j).to_string(), &i.to_string());
        let name = format!("action_hash_{}", i + 1);
        let _ = writeln!(
            out,
            "-- SipHash block {i} (a message shorter than {} bytes is already done).",
            i * 8
        );
        let _ = writeln!(out, "{}", d.create(&name));
        // v3 ^= m; two rounds; v0 ^= m — kept only for the messages this block is part of
        // (the state before, pN, for the rest), so each statement reads the last once.
        let start = format!(
            "SELECT *, CAST({} AS BIGINT) AS m_h, CAST({} AS BIGINT) AS m_l,\n    \
             v0_h AS p0_h, v0_l AS p0_l, v1_h AS p1_h, v1_l AS p1_l,\n    \
             v2_h AS p2_h, v2_l AS p2_l, v3_h AS p3_h, v3_l AS p3_l\n  FROM {prev}",
            m.h, m.l
        );
        let mixed = layer(
            &start,
            KEEP_M,
            &[
                ("v0", Word::col("v0")),
                ("v1", Word::col("v1")),
                ("v2", Word::col("v2")),
                ("v3", xor(d, &Word::col("v3"), &Word::col("m"))),
            ],
        );
        let rounded = rounds(d, mixed, KEEP_M, 2);
        let part = format!("msg_len >= {}", i * 8);
        let kept = |new: Word, n: usize| Word {
            h: format!("CASE WHEN {part} THEN {} ELSE p{n}_h END", new.h),
            l: format!("CASE WHEN {part} THEN {} ELSE p{n}_l END", new.l),
        };
        let done = layer(
            &rounded,
            KEEP,
            &[
                ("v0", kept(xor(d, &Word::col("v0"), &Word::col("m")), 0)),
                ("v1", kept(Word::col("v1"), 1)),
                ("v2", kept(Word::col("v2"), 2)),
                ("v3", kept(Word::col("v3"), 3)),
            ],
        );
        let _ = writeln!(out, "{done};\n");
        prev = name;
    }
    let _ = writeln!(
        out,
        "-- SipHash finish: v2 ^= 0xff, four rounds, v0 ^ v1 ^ v2 ^ v3."
    );
    let _ = writeln!(out, "{}", d.create("action_ids"));
    let start = layer(
        &format!("SELECT * FROM {prev}"),
        KEEP,
        &[
            ("v0", Word::col("v0")),
            ("v1", Word::col("v1")),
            ("v2", xor(d, &Word::col("v2"), &Word::constant(0xff))),
            ("v3", Word::col("v3")),
        ],
    );
    let finished = rounds(d, start, KEEP, 4);
    let v = [
        Word::col("v0"),
        Word::col("v1"),
        Word::col("v2"),
        Word::col("v3"),
    ];
    let top = d.xor(&d.xor(&v[0].h, &v[1].h), &d.xor(&v[2].h, &v[3].h));
    let _ = writeln!(
        out,
        "SELECT lower(lpad(hex({top}), 8, '0')) AS id, pupil_id, day, date, row_id, stage_rank, evidence, rule, action, note, responsible, responsible_name\n\
         FROM ({finished}) AS h;\n"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rotation_by_32_swaps_the_halves() {
        let w = rotl(Dialect::DuckDb, &Word::col("x"), 32);
        assert_eq!((w.h.as_str(), w.l.as_str()), ("x_l", "x_h"));
    }
}
