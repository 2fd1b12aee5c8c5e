//! The school day: when the gates open, lunch, the end of the day, when registers must be
//! submitted and the week's stated length, for the whole school and for groups (year groups,
//! or a phase of a through-school) whose times differ. Read by the register-time rules.

use chrono::NaiveTime;

use super::{Phase, RegisterTimes, SessionName};
use crate::source::Loc;

/// Every group's times, the whole school's (group `None`) first when stated.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SchoolDay {
    pub groups: Vec<DayTimes>,
}

/// What the policy states of one group's day. A group's register times are its own `session`
/// lines; the whole school's are the calendar's (`Calendar::sessions`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DayTimes {
    pub group: Option<DayGroup>,
    pub sessions: Vec<RegisterTimes>,
    pub gates_open: Option<Timed>,
    pub lunch: Option<Lunch>,
    pub day_ends: Option<Timed>,
    pub registers_due: Option<Timed>,
    /// `registers_due am 08:45`, `registers_due pm 14:10`: one session's register.
    pub session_registers_due: Vec<(SessionName, Timed)>,
    /// `school_week 32 hours 30 minutes`, in minutes.
    pub week_minutes: Option<(u32, Loc)>,
}

impl DayTimes {
    pub fn new(group: Option<DayGroup>) -> Self {
        DayTimes {
            group,
            sessions: Vec::new(),
            gates_open: None,
            lunch: None,
            day_ends: None,
            registers_due: None,
            session_registers_due: Vec::new(),
            week_minutes: None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timed {
    pub time: NaiveTime,
    pub loc: Loc,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lunch {
    pub starts: NaiveTime,
    pub ends: NaiveTime,
    pub loc: Loc,
}

/// Year groups (reception is year 0) or one phase of a through-school.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum DayGroup {
    Years { first: u8, last: u8 },
    Phase(Phase),
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
            DayGroup::Phase(p) => write!(f, "the {p} phase"),
        }
    }
}

/// One group's day as it applies: its own times, and the whole school's where it states none.
#[derive(Clone, Copy, Debug)]
pub struct Day<'a> {
    pub group: Option<&'a DayGroup>,
    pub am: Option<&'a RegisterTimes>,
    pub pm: Option<&'a RegisterTimes>,
    pub lunch: Option<&'a Lunch>,
    pub day_ends: Option<&'a Timed>,
    pub week_minutes: Option<&'a (u32, Loc)>,
}

impl Day<'_> {
    /// `for years 1 to 2` or `the whole school`, for messages.
    pub fn whom(&self) -> String {
        match self.group {
            Some(g) => format!("for {g}"),
            None => "for the whole school".into(),
        }
    }

    /// The week the day's times give: from the morning register opening (the official start
    /// of the day) to the end of the day, five days a week, breaks and lunch included, as the
    /// guidance measures it (national-rules.md §6).
    pub fn computed_week_minutes(&self) -> Option<u32> {
        let start = self.am?.opens?;
        let end = self.day_ends?.time;
        let end = u16::try_from(chrono::Timelike::hour(&end) * 60 + chrono::Timelike::minute(&end))
            .ok()?;
        Some(u32::from(end.checked_sub(start)?) * 5)
    }
}

impl SchoolDay {
    fn whole(&self) -> Option<&DayTimes> {
        self.groups.iter().find(|g| g.group.is_none())
    }

    /// Whether the policy states anything of the school day beyond the calendar's sessions.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// Every group's day, the whole school's first; `sessions` are the calendar's register
    /// times, which are the whole school's.
    pub fn days<'a>(&'a self, sessions: &'a [RegisterTimes]) -> Vec<Day<'a>> {
        let whole = self.whole();
        let session = |own: &'a [RegisterTimes], name: SessionName| {
            own.iter()
                .find(|s| s.session == name)
                .or_else(|| sessions.iter().find(|s| s.session == name))
        };
        let mut out = vec![Day {
            group: None,
            am: session(&[], SessionName::Am),
            pm: session(&[], SessionName::Pm),
            lunch: whole.and_then(|w| w.lunch.as_ref()),
            day_ends: whole.and_then(|w| w.day_ends.as_ref()),
            week_minutes: whole.and_then(|w| w.week_minutes.as_ref()),
        }];
        for g in self.groups.iter().filter(|g| g.group.is_some()) {
            out.push(Day {
                group: g.group.as_ref(),
                am: session(&g.sessions, SessionName::Am),
                pm: session(&g.sessions, SessionName::Pm),
                lunch: g.lunch.as_ref().or(out[0].lunch),
                day_ends: g.day_ends.as_ref().or(out[0].day_ends),
                week_minutes: g.week_minutes.as_ref().or(out[0].week_minutes),
            });
        }
        out
    }

    /// Every group's own register times (the whole school's are the calendar's).
    pub fn group_sessions(&self) -> impl Iterator<Item = (&DayGroup, &RegisterTimes)> {
        self.groups
            .iter()
            .filter_map(|g| Some((g.group.as_ref()?, &g.sessions)))
            .flat_map(|(g, s)| s.iter().map(move |s| (g, s)))
    }
}
