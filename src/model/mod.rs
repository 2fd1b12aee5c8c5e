//! The typed policy: every name resolved, every code checked against the national table,
//! every date real, `extends national` merged. Both surfaces lower to this one model; the
//! checker, the table compiler and the engine read nothing else.

mod calendar;
mod condition;
mod error;
pub mod ladder;
mod lower;
pub mod national;
pub mod normal;
pub mod schedule;
pub mod school_day;

use std::ops::Bound;

use chrono::NaiveDate;
use serde::Serialize;

pub use calendar::{AcademicYear, Calendar, Closure, RegisterTimes, SessionName, Term};
pub use condition::{
    CodeSet, Condition, CountMetric, PupilFlag, RatioMetric, SessionClass, Window,
};
pub use error::ModelError;
pub use lower::{lower, lower_calendar};

use crate::source::Loc;
pub use crate::syntax::ast::{ClosureKind, CmpOp, LookedAt, Percent, Period, RangeAst};
pub use schedule::{Schedule, Scheduled, ScheduledLhs, Threshold};

/// Whether a rule was written by the school or merged in from the national baseline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    School,
    National,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    pub name: String,
    pub loc: Loc,
    /// `extends national` and where it was written.
    pub extends_national: Option<Loc>,
    pub urn: Option<(u64, Loc)>,
    pub phase: Option<(Phase, Loc)>,
    /// `document excerpt` or `document code_of_conduct`: not a whole school policy.
    pub document: Option<(DocumentKind, Loc)>,
    pub school_type: Option<(SchoolType, Loc)>,
    pub target: Option<(Percent, Loc)>,
    pub ratified: Option<(NaiveDate, Loc)>,
    pub review: Option<(NaiveDate, Loc)>,
    pub citations: Vec<Citation>,
    pub roles: Vec<Named>,
    pub procedures: Vec<Procedure>,
    pub letters: Vec<Letter>,
    pub meetings: Vec<Named>,
    pub calendar: Calendar,
    /// The stages this policy names, in order of severity; always includes the six framework
    /// stages (under the school's own names where it gave them).
    pub stages: Vec<Stage>,
    pub definitions: Vec<Definition>,
    pub band_sets: Vec<BandSet>,
    pub escalations: Vec<Escalation>,
    pub triggers: Vec<Trigger>,
    pub plans: Vec<Plan>,
    pub penalty_notices: PenaltyNotices,
    pub limits: Limits,
    /// Thresholds that change with the half-term or term (`schedule`).
    pub schedules: Vec<Schedule>,
}

impl Policy {
    pub fn stage(&self, id: &str) -> Option<&Stage> {
        self.stages.iter().find(|s| s.id == id)
    }

    /// Replaces the policy's term dates and closures with those of a separate calendar file,
    /// and its register times if the file states any.
    pub fn with_calendar(mut self, calendar: Calendar) -> Policy {
        if !calendar.sessions.is_empty() {
            self.calendar.sessions = calendar.sessions;
        }
        if !calendar.school_day.is_empty() {
            self.calendar.school_day = calendar.school_day;
        }
        self.calendar.years = calendar.years;
        self
    }

    /// Definitions of `name`, the school's first.
    pub fn definitions_of<'a>(
        &'a self,
        name: &'a str,
    ) -> impl Iterator<Item = &'a Definition> + 'a {
        let school = self
            .definitions
            .iter()
            .filter(move |d| d.name == name && d.origin == Origin::School);
        let national = self
            .definitions
            .iter()
            .filter(move |d| d.name == name && d.origin == Origin::National);
        school.chain(national)
    }
}

macro_rules! keyword_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $word:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn keyword(self) -> &'static str {
                match self { $($name::$variant => $word),+ }
            }

            pub fn from_keyword(word: &str) -> Option<$name> {
                match word { $($word => Some($name::$variant),)+ _ => None }
            }

            pub fn keywords() -> impl Iterator<Item = &'static str> {
                Self::ALL.iter().map(|v| v.keyword())
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.keyword())
            }
        }
    };
}
pub(crate) use keyword_enum;

keyword_enum!(
    /// A document that is not a school's whole attendance policy: an excerpt (a web page, a
    /// newsletter) or a local authority's code of conduct. Completeness rules do not apply.
    DocumentKind {
    Excerpt => "excerpt",
    CodeOfConduct => "code_of_conduct",
});

keyword_enum!(Phase {
    Nursery => "nursery",
    Primary => "primary",
    Middle => "middle",
    Secondary => "secondary",
    AllThrough => "all_through",
    Special => "special",
    AlternativeProvision => "alternative_provision",
});

keyword_enum!(
    /// Maintained schools are bound by the school-year regulations; academies by their
    /// funding agreements (national-rules.md §6).
    SchoolType {
        Maintained => "maintained",
        Academy => "academy",
        Independent => "independent",
    }
);

keyword_enum!(CitationKind {
    Act => "act",
    Regulations => "regulations",
    Guidance => "guidance",
    Policy => "policy",
});

keyword_enum!(
    /// What the guidance asks every attendance policy to say (national-rules.md §10).
    ProcedureTopic {
        ReportingAbsence => "reporting_absence",
        FollowingUp => "following_up",
        Support => "support",
        PenaltyNotices => "penalty_notices",
        LeaveRequests => "leave_requests",
        WorkingWithLa => "working_with_la",
        Lateness => "lateness",
    }
);

keyword_enum!(
    /// The support-first framework's stages, in order of severity (WT; national-rules.md §7).
    FrameworkStage {
        Expect => "expect",
        Monitor => "monitor",
        Listen => "listen",
        Facilitate => "facilitate",
        Formalise => "formalise",
        Enforce => "enforce",
    }
);

keyword_enum!(
    /// Who outside the school an action goes to.
    Party {
        LocalAuthority => "local_authority",
        SocialWorker => "social_worker",
        SocialCare => "social_care",
        EarlyHelp => "early_help",
        MedicalNeeds => "medical_needs",
        InclusionService => "inclusion_service",
    }
);

keyword_enum!(
    /// What an action asks someone to consider.
    Matter {
        PenaltyNotice => "penalty_notice",
        Prosecution => "prosecution",
        DeletionFromRoll => "deletion_from_roll",
        NoticeToImprove => "notice_to_improve",
        AttendanceContract => "attendance_contract",
        ParentingContract => "parenting_contract",
        EducationSupervisionOrder => "education_supervision_order",
        ParentingOrder => "parenting_order",
        EarlyHelpAssessment => "early_help_assessment",
    }
);

keyword_enum!(Verb {
    Letter => "letter",
    Meeting => "meeting",
    Contact => "contact",
    HomeVisit => "home_visit",
    Review => "review",
    Support => "support",
    Notify => "notify",
    Refer => "refer",
    Consider => "consider",
    PenaltyWarning => "penalty_warning",
    Detention => "detention",
    Certificate => "certificate",
    Sticker => "sticker",
    Reward => "reward",
});

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Citation {
    pub kind: CitationKind,
    pub title: String,
    pub loc: Loc,
}

/// A declared name with its description: a role, a meeting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Named {
    pub id: String,
    pub text: String,
    pub loc: Loc,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Procedure {
    pub topic: ProcedureTopic,
    pub text: String,
    pub loc: Loc,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Letter {
    pub id: String,
    /// Template path, relative to the policy file.
    pub template: String,
    pub loc: Loc,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stage {
    /// The name the policy uses (`aspire`), or the framework's own name.
    pub id: String,
    pub framework: FrameworkStage,
    pub text: Option<String>,
    /// Where the policy declared it; `None` for a framework stage it did not rename.
    pub loc: Option<Loc>,
}

/// A resolved reference to a stage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StageRef {
    pub id: String,
    pub framework: FrameworkStage,
    /// Position in [`Policy::stages`]: the order of severity.
    pub rank: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Definition {
    pub name: String,
    pub wording: Option<String>,
    pub condition: Condition,
    pub loc: Loc,
    pub origin: Origin,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BandSet {
    pub label: Option<String>,
    pub metric: RatioMetric,
    pub window: Window,
    /// The evidence guard: no band holds below this many possible sessions.
    pub min_possible: u32,
    pub bands: Vec<Band>,
    pub loc: Loc,
    pub origin: Origin,
    /// Written `ladder`: the bands are stages entered in order of depth (src/model/ladder.rs).
    pub ladder: Option<ladder::Ladder>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Band {
    pub id: String,
    pub label: Option<String>,
    /// The exact set of ratios the band holds.
    pub range: Interval,
    /// The range as the school wrote it, for messages and tables.
    pub written: String,
    /// Where the written range leaves an end open, the two readings and the one chosen.
    pub ambiguity: Option<Ambiguity>,
    pub stage: Option<StageRef>,
    /// `absence 8 - 20 days`: the day counts the document gives beside the range.
    pub stated_days: Option<StatedDays>,
    /// `or CONDITION`: the band also holds where the condition does.
    pub also: Option<Condition>,
    /// `on enter when CONDITION:`: the entry actions fire only where it holds.
    pub enter_guard: Option<Condition>,
    /// A `judged` part of `on enter when`: staff decide whether the entry actions are due.
    pub enter_judged: Option<Judgement>,
    pub on_enter: Vec<Action>,
    /// Further `on enter [when CONDITION]:` clauses, each fired on the same entries as the
    /// first where its own guard holds.
    pub enter_also: Vec<EnterClause>,
    /// `every school_week:`: actions on the first school day of each school week a pupil
    /// stays in the band.
    pub weekly: Vec<Action>,
    /// `every N school_weeks:`: the weekly actions on every Nth school week in the band,
    /// counted from the week the pupil entered it (1: every week).
    pub weekly_every: u32,
    /// How often the entry actions fire: on every entry ([`Repeat::RisingEdge`]), at most once
    /// a period, or not again within some school weeks.
    pub repeat: Repeat,
    pub loc: Loc,
    pub range_loc: Loc,
}

/// The absence a band's document states beside its percentages (`8 - 20 days`): one count
/// or two, in sessions, as AT112 compares them with the range over a year.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatedDays {
    /// In sessions, as written (a day is two).
    pub sessions: Vec<u32>,
    /// Whether the counts are whole days (rounding to a day is then the author's right).
    pub whole_days: bool,
    /// The counts as written (`8 - 20 days`).
    pub written: String,
    pub loc: Loc,
}

/// A band's further entry clause: its guard, if any, and its actions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnterClause {
    pub guard: Option<Condition>,
    pub actions: Vec<Action>,
    pub loc: Loc,
}

impl Band {
    /// Whether any clause has entry actions.
    pub fn has_entry_actions(&self) -> bool {
        self.entry_clauses().any(|(_, actions)| !actions.is_empty())
    }

    /// Every entry clause: the first (`on enter`) and the further ones, each with its guard.
    pub fn entry_clauses(&self) -> impl Iterator<Item = (Option<&Condition>, &[Action])> {
        std::iter::once((self.enter_guard.as_ref(), self.on_enter.as_slice())).chain(
            self.enter_also
                .iter()
                .map(|c| (c.guard.as_ref(), c.actions.as_slice())),
        )
    }
}

/// A band range whose words leave one end open (`Below 96%- 94%`: is 94% in?), and the reading
/// the policy states with `read as`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ambiguity {
    /// The percentage the words leave open.
    pub at: Percent,
    /// The reading stated (`read as`), which is the band's range.
    pub chosen: Interval,
    /// The other reading of the same words.
    pub other: Interval,
    /// Where `read as` is written.
    pub loc: Loc,
}

/// One end of an interval: the percentage, and whether the interval includes it.
pub type End = (Percent, bool);

/// An interval of percentages with inclusive or exclusive ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Interval {
    pub lo: Bound<Percent>,
    pub hi: Bound<Percent>,
}

impl Interval {
    pub fn contains(&self, p: Percent) -> bool {
        let above_lo = match self.lo {
            Bound::Included(lo) => p >= lo,
            Bound::Excluded(lo) => p > lo,
            Bound::Unbounded => true,
        };
        let below_hi = match self.hi {
            Bound::Included(hi) => p <= hi,
            Bound::Excluded(hi) => p < hi,
            Bound::Unbounded => true,
        };
        above_lo && below_hi
    }

    /// The ends that say something, each with whether it is included: an end at 0% or 100%
    /// that includes it is no limit on attendance, so it is `None`.
    pub fn inner_ends(&self) -> (Option<End>, Option<End>) {
        let lo = match self.lo {
            Bound::Included(p) if p == Percent::ZERO => None,
            Bound::Included(p) => Some((p, true)),
            Bound::Excluded(p) => Some((p, false)),
            Bound::Unbounded => None,
        };
        let hi = match self.hi {
            Bound::Included(p) if p == Percent::HUNDRED => None,
            Bound::Included(p) => Some((p, true)),
            Bound::Excluded(p) => Some((p, false)),
            Bound::Unbounded => None,
        };
        (lo, hi)
    }

    /// The percentages both intervals hold.
    pub fn intersect(&self, other: &Interval) -> Interval {
        let lo = match (self.lo, other.lo) {
            (Bound::Unbounded, x) | (x, Bound::Unbounded) => x,
            (Bound::Included(x), Bound::Included(y)) => Bound::Included(x.max(y)),
            (Bound::Excluded(x), Bound::Excluded(y)) => Bound::Excluded(x.max(y)),
            (Bound::Included(i), Bound::Excluded(e)) | (Bound::Excluded(e), Bound::Included(i)) => {
                if e >= i {
                    Bound::Excluded(e)
                } else {
                    Bound::Included(i)
                }
            }
        };
        let hi = match (self.hi, other.hi) {
            (Bound::Unbounded, x) | (x, Bound::Unbounded) => x,
            (Bound::Included(x), Bound::Included(y)) => Bound::Included(x.min(y)),
            (Bound::Excluded(x), Bound::Excluded(y)) => Bound::Excluded(x.min(y)),
            (Bound::Included(i), Bound::Excluded(e)) | (Bound::Excluded(e), Bound::Included(i)) => {
                if e <= i {
                    Bound::Excluded(e)
                } else {
                    Bound::Included(i)
                }
            }
        };
        Interval { lo, hi }
    }

    /// True when no percentage lies in the interval (`90% .. 90%`).
    pub fn is_empty(&self) -> bool {
        match (self.lo, self.hi) {
            (Bound::Included(lo), Bound::Included(hi)) => lo > hi,
            (
                Bound::Included(lo) | Bound::Excluded(lo),
                Bound::Excluded(hi) | Bound::Included(hi),
            ) => lo >= hi,
            _ => false,
        }
    }
}

impl Interval {
    /// The interval in the exact range syntax a `read as` takes: `94% .. 96%`.
    pub fn exact_text(&self) -> String {
        let (lo, lo_in) = match self.lo {
            Bound::Included(p) => (p, true),
            Bound::Excluded(p) => (p, false),
            Bound::Unbounded => (Percent::ZERO, true),
        };
        let (hi, hi_in) = match self.hi {
            Bound::Included(p) => (p, true),
            Bound::Excluded(p) => (p, false),
            Bound::Unbounded => (Percent::HUNDRED, true),
        };
        let op = match (lo_in, hi_in) {
            (true, false) => "..",
            (true, true) => "..=",
            (false, false) => "<..",
            (false, true) => "<..=",
        };
        format!("{lo} {op} {hi}")
    }

    /// The interval in words a reader checks at a glance: `94% ≤ x < 96%`.
    pub fn inequality_text(&self) -> String {
        let lo = match self.lo {
            Bound::Included(p) => format!("{p} ≤ "),
            Bound::Excluded(p) => format!("{p} < "),
            Bound::Unbounded => String::new(),
        };
        let hi = match self.hi {
            Bound::Included(p) => format!(" ≤ {p}"),
            Bound::Excluded(p) => format!(" < {p}"),
            Bound::Unbounded => String::new(),
        };
        format!("{lo}x{hi}")
    }
}

impl std::fmt::Display for Interval {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.lo {
            Bound::Included(lo) => write!(f, "[{lo}, ")?,
            Bound::Excluded(lo) => write!(f, "({lo}, ")?,
            Bound::Unbounded => f.write_str("(-inf, ")?,
        }
        match self.hi {
            Bound::Included(hi) => write!(f, "{hi}]"),
            Bound::Excluded(hi) => write!(f, "{hi})"),
            Bound::Unbounded => f.write_str("inf)"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Escalation {
    pub name: String,
    pub codes: CodeSet,
    pub steps: Vec<Step>,
    pub loc: Loc,
    pub origin: Origin,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub day: u32,
    pub guard: Option<Condition>,
    /// A `judged` part of the step's `when`: staff decide, the engine sets them a task.
    pub judged: Option<Judgement>,
    pub actions: Vec<Action>,
    pub loc: Loc,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trigger {
    pub name: String,
    pub min_possible: u32,
    /// The condition without its `judged` part, if any.
    pub condition: Condition,
    /// A `judged` part of the `when`: staff decide, the engine sets them a task.
    pub judged: Option<Judgement>,
    pub actions: Vec<Action>,
    pub stage: Option<StageRef>,
    pub repeat: Repeat,
    pub loc: Loc,
    pub origin: Origin,
    /// `at end of term`, `every 2 school_weeks`: the only days the trigger is looked at;
    /// every school day when `None`.
    pub looked_at: Option<LookedAt>,
}

/// When a true condition fires again (DESIGN.md §4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Repeat {
    /// False on the previous school day, true today.
    RisingEdge,
    OncePer(Period),
    Every {
        school_weeks: u32,
    },
    /// A rising edge, unless the rule fired within the last `school_weeks` school weeks.
    NotWithin {
        school_weeks: u32,
    },
    /// `on each L`: every school day the condition holds, not only its rising edge.
    Each,
}

impl std::fmt::Display for Repeat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Repeat::RisingEdge => f.write_str("on rising edge"),
            Repeat::OncePer(p) => write!(f, "once per {}", p.keyword()),
            Repeat::Every { school_weeks } => write!(f, "every {school_weeks} school_weeks"),
            Repeat::NotWithin { school_weeks } => {
                write!(f, "not again within {school_weeks} school_weeks")
            }
            Repeat::Each => f.write_str("on each marked day"),
        }
    }
}

impl Serialize for Period {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.keyword())
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    pub name: String,
    pub stage: StageRef,
    pub review_after_weeks: u32,
    /// `review after 4 to 6 school_weeks`: the last week the policy allows; the review falls
    /// due at the first.
    pub review_until_weeks: Option<u32>,
    pub target: PlanTarget,
    pub escalate_to: Option<StageRef>,
    pub on_open: Vec<Action>,
    pub on_miss: Vec<Action>,
    pub on_met: Vec<Action>,
    /// `every N school_weeks: ACTIONS`: while the plan is open, on the first school day of
    /// every Nth school week after the one it opened in.
    pub every: Option<PlanEvery>,
    pub loc: Loc,
}

/// A plan's periodic actions and how many school weeks apart they are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanEvery {
    pub school_weeks: u32,
    pub actions: Vec<Action>,
    pub loc: Loc,
}

/// A criterion the policy leaves to a named role (`judged "multiple absences" by
/// attendance_lead`): where the rest of its rule holds, the engine sets that role a review
/// task in place of the rule's actions (docs/language.md, "A condition left to staff").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Judgement {
    pub criterion: String,
    /// Role id.
    pub by: String,
    pub loc: Loc,
}

impl std::fmt::Display for Judgement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "judged \"{}\" by {}", self.criterion, self.by)
    }
}

/// What a plan's review decides on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlanTarget {
    /// A condition the engine decides: met or missed.
    Condition(Condition),
    /// A criterion the policy leaves to staff (`judged "no significant improvement" by
    /// attendance_lead`): the review is a task for that role, and the engine decides nothing.
    Judged {
        criterion: String,
        by: String,
        loc: Loc,
    },
    /// No criterion at all ("monitored for a period of 6 weeks"): the review is a task with
    /// no one named, and the engine decides nothing.
    Unstated,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Action {
    pub kind: ActionKind,
    pub note: Option<String>,
    /// Role id of who is responsible.
    pub by: Option<String>,
    pub loc: Loc,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ActionKind {
    Letter(String),
    Meeting(String),
    Contact,
    HomeVisit,
    Review,
    Support,
    Notify(Recipient),
    Refer(Recipient),
    Consider(Matter),
    PenaltyWarning,
    /// A sanction or a reward, its label the note (`detention "lunchtime"`, `certificate
    /// "100% this half term"`).
    Detention,
    Certificate,
    Sticker,
    Reward,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Recipient {
    Party(Party),
    Role(String),
}

impl std::fmt::Display for Recipient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Recipient::Party(p) => f.write_str(p.keyword()),
            Recipient::Role(r) => f.write_str(r),
        }
    }
}

impl ActionKind {
    /// The action's name in outputs: `letter:three-day`, `notify:local_authority`.
    pub fn name(&self) -> String {
        match self {
            ActionKind::Letter(id) => format!("letter:{id}"),
            ActionKind::Meeting(id) => format!("meeting:{id}"),
            ActionKind::Contact => "contact".into(),
            ActionKind::HomeVisit => "home_visit".into(),
            ActionKind::Review => "review".into(),
            ActionKind::Support => "support".into(),
            ActionKind::Notify(r) => format!("notify:{r}"),
            ActionKind::Refer(r) => format!("refer:{r}"),
            ActionKind::Consider(m) => format!("consider:{}", m.keyword()),
            ActionKind::PenaltyWarning => "penalty_warning".into(),
            ActionKind::Detention => "detention".into(),
            ActionKind::Certificate => "certificate".into(),
            ActionKind::Sticker => "sticker".into(),
            ActionKind::Reward => "reward".into(),
        }
    }

    /// Enforcement in the framework's sense: only after support (national-rules.md §7).
    pub fn is_enforcement(&self) -> bool {
        match self {
            ActionKind::Consider(m) => matches!(
                m,
                Matter::PenaltyNotice
                    | Matter::Prosecution
                    | Matter::NoticeToImprove
                    | Matter::ParentingOrder
            ),
            ActionKind::PenaltyWarning => true,
            ActionKind::Letter(_)
            | ActionKind::Meeting(_)
            | ActionKind::Contact
            | ActionKind::HomeVisit
            | ActionKind::Review
            | ActionKind::Support
            | ActionKind::Notify(_)
            | ActionKind::Refer(_)
            | ActionKind::Detention
            | ActionKind::Certificate
            | ActionKind::Sticker
            | ActionKind::Reward => false,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PenaltyNotices {
    pub threshold: Option<PenaltyThreshold>,
    pub limit: Option<PenaltyLimit>,
    pub fines: Vec<Fine>,
    pub second_fines: Vec<Fine>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PenaltyThreshold {
    pub sessions: u32,
    /// `counting {G, O}`: the codes a local authority's threshold counts; every unauthorised
    /// code when the policy names none.
    pub codes: Option<CodeSet>,
    pub window: Window,
    pub loc: Loc,
    pub origin: Origin,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PenaltyLimit {
    pub notices: u32,
    pub years: u32,
    pub loc: Loc,
    pub origin: Origin,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fine {
    pub pence: u64,
    pub within_days: u32,
    pub loc: Loc,
    pub origin: Origin,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Limits {
    /// The longest a register may stay open after it opens.
    pub register_open_minutes: Option<(u32, Loc, Origin)>,
    /// The fewest sessions a school year must hold.
    pub sessions_per_year: Option<(u32, Loc, Origin)>,
}

keyword_enum!(LimitName {
    RegisterOpen => "register_open",
    SessionsPerYear => "sessions_per_year",
});
