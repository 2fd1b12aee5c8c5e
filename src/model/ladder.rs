//! A ladder: a band set whose bands are stages passed through in order of depth, each nested in
//! the one before (`under 96%`, `under 94%`, ...). The deepest stage reached applies; a stage
//! may be entered only from the one before (`in order`) and may hold a pupil until a stated end.

use super::{Condition, Period};
use crate::source::Loc;
pub use crate::syntax::ast::HeldSpan;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ladder {
    /// `in order`: each stage only from the one before it.
    pub order: Option<Order>,
    /// Per band of the set, in order: how long its stage holds a pupil who climbed to it.
    pub held: Vec<Option<Held>>,
    /// Per band of the set: `at once when CONDITION`, a way into the stage from any shallower
    /// one (or off the ladder) without waiting for the order.
    pub at_once: Vec<Option<AtOnce>>,
}

/// `at once when CONDITION` on a stage, and where the condition is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AtOnce {
    pub when: Condition,
    pub loc: Loc,
}

/// `in order [after N school_weeks]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Order {
    /// School weeks on a stage before the next can be entered (0: the next school day).
    pub after_weeks: u32,
    pub loc: Loc,
    /// `in order when judged "..." by ROLE`: each move to a deeper stage left to staff.
    pub judged: Option<super::Judgement>,
}

/// A stage's memory, and where it is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Held {
    pub hold: Hold,
    pub loc: Loc,
}

/// How long a stage holds a pupil who climbed to it, whatever their figures do after.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Hold {
    /// Until the last school day of the half-term, term or year the stage was entered in.
    UntilEnd(Period),
    /// For N school days or weeks from the day the stage was entered.
    For(HeldSpan),
    /// Until the condition holds (for N school days or weeks from the day it began to hold).
    Until {
        when: Condition,
        span: Option<HeldSpan>,
    },
}

impl std::fmt::Display for Hold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Hold::UntilEnd(p) => write!(f, "held until the end of the {}", p.keyword()),
            Hold::For(s) => write!(f, "held for {} {}", s.count, s.unit()),
            Hold::Until { span: None, .. } => f.write_str("held until its exit condition holds"),
            Hold::Until { span: Some(s), .. } => write!(
                f,
                "held until its exit condition has held for {} {}",
                s.count,
                s.unit()
            ),
        }
    }
}
