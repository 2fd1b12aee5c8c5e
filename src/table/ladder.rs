//! A ladder in the decision table: which band rows are its stages, in order of depth, whether
//! they are entered one at a time, and how long each holds a pupil (its exit condition as rows
//! of atoms). The engine reads this beside the band rows; the renderers print it under them.

use serde::Serialize;

use super::{Atom, DecisionTable};
use crate::model::Period;
use crate::model::ladder::{Hold, Ladder};

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LadderRows {
    /// The rows of its stages (the band set's rows), shallowest first.
    #[serde(skip)]
    pub rows: Vec<usize>,
    /// `in order`: the school weeks on a stage before the next may be entered (0: the next
    /// school day); `None`: the deepest stage reached applies at once.
    pub in_order_after_weeks: Option<u32>,
    /// Per stage: how long it holds a pupil who climbed to it.
    pub held: Vec<Option<HeldRows>>,
    /// Per stage: `at once when ...`, the rows (with the set's evidence guard) any of which
    /// lets a pupil climb to it from a shallower stage without waiting for the order.
    #[serde(skip_serializing_if = "none_at_once")]
    pub at_once: Vec<Option<Vec<Vec<Atom>>>>,
}

fn none_at_once(at_once: &[Option<Vec<Vec<Atom>>>]) -> bool {
    at_once.iter().all(Option::is_none)
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HeldRows {
    UntilEnd(Period),
    For {
        count: u32,
        unit: &'static str,
    },
    /// Released when any row holds (for `count` school days or weeks, if given).
    Until {
        rows: Vec<Vec<Atom>>,
        count: Option<u32>,
        unit: Option<&'static str>,
    },
}

/// The ladder's rows, given its band rows and a way to spread a condition into rows.
pub(super) fn rows(
    ladder: &Ladder,
    band_rows: Vec<usize>,
    guard: Option<Atom>,
    mut spread: impl FnMut(&crate::model::Condition) -> Vec<Vec<Atom>>,
) -> LadderRows {
    let at_once = ladder
        .at_once
        .iter()
        .map(|c| {
            c.as_ref().map(|c| {
                let mut rows = spread(&c.when);
                for row in &mut rows {
                    row.extend(guard.clone());
                }
                rows
            })
        })
        .collect();
    let held = ladder
        .held
        .iter()
        .map(|h| {
            h.as_ref().map(|h| match &h.hold {
                Hold::UntilEnd(p) => HeldRows::UntilEnd(*p),
                Hold::For(span) => HeldRows::For {
                    count: span.count,
                    unit: span.unit(),
                },
                Hold::Until { when, span } => HeldRows::Until {
                    rows: spread(when),
                    count: span.map(|s| s.count),
                    unit: span.map(|s| s.unit()),
                },
            })
        })
        .collect();
    LadderRows {
        rows: band_rows,
        in_order_after_weeks: ladder.order.as_ref().map(|o| o.after_weeks),
        held,
        at_once,
    }
}

/// The lines the text table prints under row `row` when it is a ladder's stage.
pub(super) fn lines(table: &DecisionTable, row: usize) -> Vec<String> {
    let Some((ladder, k)) = table.ladders.iter().find_map(|l| {
        let k = l.rows.iter().position(|r| *r == row)?;
        Some((l, k))
    }) else {
        return Vec::new();
    };
    let mut out = vec![format!(
        "ladder stage {} of {}: {}",
        k + 1,
        ladder.rows.len(),
        match (k, ladder.in_order_after_weeks) {
            (_, None) => "entered when it is the deepest stage that holds".to_string(),
            (0, Some(_)) => "entered first, when any stage holds".to_string(),
            (_, Some(0)) => format!("entered only from stage {k}, one stage a school day"),
            (_, Some(n)) =>
                format!("entered only from stage {k}, no sooner than {n} school weeks after it"),
        }
    )];
    if let Some(Some(rows)) = ladder.at_once.get(k) {
        let rows: Vec<String> = rows
            .iter()
            .map(|atoms| {
                let atoms: Vec<String> = atoms.iter().map(ToString::to_string).collect();
                atoms.join(" and ")
            })
            .collect();
        let when = if rows.is_empty() {
            "never (its condition can hold for no pupil)".to_string()
        } else {
            rows.join(" or ")
        };
        out.push(format!(
            "or entered at once, from any stage above it or off the ladder, when {when}"
        ));
    }
    if let Some(Some(held)) = ladder.held.get(k) {
        out.push(held_text(held));
    }
    out
}

fn held_text(held: &HeldRows) -> String {
    match held {
        HeldRows::UntilEnd(p) => format!(
            "held until the last school day of the {} it was entered in",
            p.keyword()
        ),
        HeldRows::For { count, unit } => format!("held for {count} {unit} from entry"),
        HeldRows::Until { rows, count, unit } => {
            let rows: Vec<String> = rows
                .iter()
                .map(|atoms| {
                    let atoms: Vec<String> = atoms.iter().map(ToString::to_string).collect();
                    atoms.join(" and ")
                })
                .collect();
            let exit = if rows.is_empty() {
                "never (its exit condition can hold for no pupil)".to_string()
            } else {
                rows.join(" or ")
            };
            match (count, unit) {
                (Some(n), Some(u)) => format!("held until {exit} has held for {n} {u}"),
                _ => format!("held until {exit}"),
            }
        }
    }
}

/// The Markdown table's note for row `row`: the same lines, joined.
pub(super) fn note(table: &DecisionTable, row: usize) -> Option<String> {
    let lines = lines(table, row);
    (!lines.is_empty()).then(|| lines.join("; "))
}
