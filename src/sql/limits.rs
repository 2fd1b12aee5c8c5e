//! Rules whose limit reads the week they last fired (src/engine/eval `fires`): a trigger's
//! `not again within N school_weeks`, a trigger's `repeat every N school_weeks` when it is
//! looked at on some days only, a band's `not again within`. Whether each fires is carried
//! from day to day by a walk over each pupil's school days (src/sql/walk.rs).

use std::fmt::Write as _;

use super::dialect::Dialect;
use super::walk::{Carried, Walk};

/// `day_state` with the walk of the limits that read the last firing.
pub const LIMITED: &str = "(SELECT * FROM day_state AS s\n  \
     JOIN repeat_walk AS r ON r.rw_pupil = s.pupil_id AND r.rw_day = s.day) AS rw";

/// A rule whose limit reads the week it last fired: a trigger's `not again within N
/// school_weeks` (or `repeat every N school_weeks` when it is looked at on some days only), a
/// band's `not again within` (its entry clauses share the limit).
pub struct Limit {
    /// The walk's columns for it: `fire_{key}_{c}` per clause, `last_{key}`.
    pub key: String,
    /// The policy line it comes from.
    pub comment: String,
    /// Per clause, where it may fire: a trigger's condition holds (on a day it is looked
    /// at); a band is entered and the clause's guard holds.
    pub clauses: Vec<String>,
    /// Where that is a rising edge.
    pub fresh: String,
    pub weeks: u32,
    /// `repeat every`: also while it holds, N school weeks after it last fired (else only on
    /// a rising edge N school weeks after).
    pub again: bool,
}

/// `repeat_walk`: per pupil and school day on roll, whether each limited rule fires, the week
/// it last fired carried from day to day (src/engine/eval `fires`).
pub fn walk(out: &mut String, d: Dialect, limits: &[Limit]) {
    let mut inputs = vec!["day".to_string(), "week".to_string()];
    let mut cols = Vec::new();
    let mut fire = Vec::new();
    let mut last = Vec::new();
    let mut carried = Vec::new();
    let mut outputs = vec![("rw_day".to_string(), "INT", "day".to_string())];
    for l in limits {
        let k = &l.key;
        cols.push(format!("{} AS fresh_{k}", l.fresh));
        inputs.push(format!("fresh_{k}"));
        let due = format!("(p_last_{k} IS NULL OR week >= p_last_{k} + {})", l.weeks);
        let mut fired = Vec::new();
        for (c, may) in l.clauses.iter().enumerate() {
            cols.push(format!("{may} AS may_{k}_{c}"));
            inputs.push(format!("may_{k}_{c}"));
            fire.push((
                format!("fire_{k}_{c}"),
                if l.again {
                    format!("may_{k}_{c} AND (fresh_{k} OR {due})")
                } else {
                    format!("may_{k}_{c} AND fresh_{k} AND {due}")
                },
            ));
            fired.push(format!("fire_{k}_{c}"));
            outputs.push((
                format!("rw_fire_{k}_{c}"),
                "BOOLEAN",
                format!("fire_{k}_{c}"),
            ));
        }
        last.push((
            format!("w_last_{k}"),
            format!(
                "CASE WHEN {} THEN week ELSE p_last_{k} END",
                fired.join(" OR ")
            ),
        ));
        carried.push(Carried {
            name: format!("last_{k}"),
            ty: "INT",
            first: "NULL".into(),
            next: format!("w_last_{k}"),
        });
    }
    let _ = writeln!(
        out,
        "-- Rules whose limit reads the week they last fired (`not again within`, `repeat every`\n\
         -- on a schedule): where each may fire and whether that is a rising edge, per day on roll."
    );
    for l in limits {
        let _ = writeln!(out, "-- {}: {}", l.key, l.comment);
    }
    let _ = writeln!(out, "{}", d.create("repeat_days"));
    let _ = writeln!(
        out,
        "SELECT pupil_id, day, week,\n  \
         ROW_NUMBER() OVER (PARTITION BY pupil_id ORDER BY day) AS rseq,\n  {}\nFROM day_state;\n",
        cols.join(",\n  ")
    );
    let _ = writeln!(
        out,
        "-- Day by day, the week each last fired (NULL: never), and whether it fires."
    );
    Walk {
        table: "repeat_walk".into(),
        prefix: "rw_".into(),
        days: "repeat_days".into(),
        seq: "rseq".into(),
        inputs,
        carried,
        levels: vec![fire, last],
        outputs,
    }
    .write(out, d);
}
