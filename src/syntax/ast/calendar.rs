//! A calendar block as written: register sessions and their times, the school day's lines
//! (gates, lunch, end of day, registers due) and whom they are for, terms and closures.

use chrono::NaiveDate;

use super::{Node, Sp};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CalendarAst {
    pub label: Option<Sp<String>>,
    pub items: Vec<Node<CalendarItem>>,
    /// Comments after the last line, inside the block: they stay there.
    pub trailing: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CalendarItem {
    Session {
        name: Sp<String>,
        times: Vec<Sp<SessionTime>>,
        /// `for years 1 to 2`: these register times are one group's, not the whole school's.
        group: Option<Sp<DayGroup>>,
    },
    /// A line of the school day: gates, lunch, end of day, registers due, the week's length.
    Day(DayLine),
    Term {
        name: Sp<String>,
        dates: Sp<DateRange>,
    },
    Closure {
        kind: ClosureKind,
        dates: Sp<DateRange>,
        reason: Option<Sp<String>>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionTime {
    pub kind: SessionTimeKind,
    /// Minutes after midnight.
    pub minutes: u16,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SessionTimeKind {
    Opens,
    LateAfter,
    Closes,
}

impl SessionTimeKind {
    pub const ALL: [SessionTimeKind; 3] = [
        SessionTimeKind::Opens,
        SessionTimeKind::LateAfter,
        SessionTimeKind::Closes,
    ];

    pub fn keyword(self) -> &'static str {
        match self {
            SessionTimeKind::Opens => "opens",
            SessionTimeKind::LateAfter => "late_after",
            SessionTimeKind::Closes => "closes",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ClosureKind {
    HalfTerm,
    Holiday,
    BankHoliday,
    Inset,
    Closed,
}

impl ClosureKind {
    pub const ALL: [ClosureKind; 5] = [
        ClosureKind::HalfTerm,
        ClosureKind::Holiday,
        ClosureKind::BankHoliday,
        ClosureKind::Inset,
        ClosureKind::Closed,
    ];

    pub fn keyword(self) -> &'static str {
        match self {
            ClosureKind::HalfTerm => "half_term",
            ClosureKind::Holiday => "holiday",
            ClosureKind::BankHoliday => "bank_holiday",
            ClosureKind::Inset => "inset",
            ClosureKind::Closed => "closed",
        }
    }

    pub fn from_keyword(word: &str) -> Option<ClosureKind> {
        ClosureKind::ALL.into_iter().find(|k| k.keyword() == word)
    }
}

/// Inclusive dates; `end` is `None` for a single day. Order is checked in the model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DateRange {
    pub start: Sp<NaiveDate>,
    pub end: Option<Sp<NaiveDate>>,
}

/// A line of the school day (`lunch 12:00 to 13:00 for years 1 to 2`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DayLine {
    pub what: DayWhat,
    pub group: Option<Sp<DayGroup>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DayWhat {
    /// `gates_open 08:40`, `day_ends 15:15`, `registers_due 09:30`; `registers_due pm 14:10`
    /// for one session's register.
    At {
        kind: DayTimeKind,
        session: Option<Sp<String>>,
        time: Sp<chrono::NaiveTime>,
    },
    /// `lunch 12:00 to 13:00`.
    Lunch {
        starts: Sp<chrono::NaiveTime>,
        ends: Sp<chrono::NaiveTime>,
    },
    /// `school_week 32 hours 30 minutes`: the length of the week the policy states.
    Week { minutes: Sp<u32> },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DayTimeKind {
    GatesOpen,
    DayEnds,
    RegistersDue,
}

impl DayTimeKind {
    pub const ALL: [DayTimeKind; 3] = [
        DayTimeKind::GatesOpen,
        DayTimeKind::DayEnds,
        DayTimeKind::RegistersDue,
    ];

    pub fn keyword(self) -> &'static str {
        match self {
            DayTimeKind::GatesOpen => "gates_open",
            DayTimeKind::DayEnds => "day_ends",
            DayTimeKind::RegistersDue => "registers_due",
        }
    }

    pub fn from_keyword(word: &str) -> Option<DayTimeKind> {
        DayTimeKind::ALL.into_iter().find(|k| k.keyword() == word)
    }
}

/// Whom a school-day line is for: some year groups (`years 1 to 2`, reception is `R`, year 0)
/// or one phase of a through-school (`phase secondary`). The phase is resolved in the model.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum DayGroup {
    Years { first: u8, last: u8 },
    Phase(String),
}

impl std::fmt::Display for DayGroup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let year = |n: u8| {
            if n == 0 {
                "R".to_string()
            } else {
                n.to_string()
            }
        };
        match self {
            DayGroup::Years { first, last } if first == last => write!(f, "year {}", year(*first)),
            DayGroup::Years { first, last } => {
                write!(f, "years {} to {}", year(*first), year(*last))
            }
            DayGroup::Phase(p) => write!(f, "phase {p}"),
        }
    }
}
