//! The policy as written: one AST for both surfaces (DSL and TOML), keeping the forms the
//! author chose (`100% - 96%` stays a dash range), every location, and every comment, so
//! `attend fmt` and the DSL ⇄ TOML converter are lossless. Names are still unresolved text.

use chrono::NaiveDate;

use crate::source::Loc;

mod calendar;
mod condition;

pub use calendar::*;
pub use condition::*;

/// A value and where it was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sp<T> {
    pub node: T,
    pub loc: Loc,
}

impl<T> Sp<T> {
    pub fn new(node: T, loc: Loc) -> Self {
        Sp { node, loc }
    }
}

/// A statement, with the comments written before it (or after it on its own line).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node<T> {
    pub comments: Vec<String>,
    pub loc: Loc,
    pub node: T,
}

impl<T> Node<T> {
    pub fn new(node: T, loc: Loc) -> Self {
        Node {
            comments: Vec::new(),
            loc,
            node,
        }
    }
}

/// What a file holds: a policy, or (a `.calendar` file) only calendars.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum File {
    Policy(Node<PolicyAst>),
    Calendars(CalendarFile),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CalendarFile {
    pub calendars: Vec<Node<CalendarAst>>,
    /// Comments after the last statement.
    pub trailing: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyAst {
    pub name: Sp<String>,
    pub items: Vec<Node<Item>>,
    /// Comments after the last statement.
    pub trailing: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    Extends(Sp<String>),
    Urn(Sp<u64>),
    Phase(Sp<String>),
    Document(Sp<String>),
    SchoolType(Sp<String>),
    Target(Sp<Percent>),
    Ratified(Sp<NaiveDate>),
    Review(Sp<NaiveDate>),
    Cites { kind: Sp<String>, title: Sp<String> },
    Roles(Vec<Node<Entry>>),
    Procedures(Vec<Node<Entry>>),
    Letters(Vec<Node<Entry>>),
    Meetings(Vec<Node<Entry>>),
    Calendar(CalendarAst),
    Stages(Vec<Node<StageEntry>>),
    Define(DefineAst),
    Bands(BandsAst),
    Escalation(EscalationAst),
    Trigger(TriggerAst),
    Plan(PlanAst),
    PenaltyNotices(Vec<Node<PenaltyItem>>),
    Limits(Vec<Node<LimitAst>>),
    Schedule(ScheduleAst),
}

/// `id "text"` in `roles`, `procedures`, `letters` and `meetings`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub id: Sp<String>,
    pub text: Sp<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StageEntry {
    pub id: Sp<String>,
    pub framework: Option<Sp<String>>,
    pub text: Option<Sp<String>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DefineAst {
    pub name: Sp<String>,
    pub wording: Option<Sp<String>>,
    pub when: Sp<Expr>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BandsAst {
    pub label: Option<Sp<String>>,
    pub metric: Sp<String>,
    pub window: Sp<WindowAst>,
    pub min_possible: Option<Sp<u32>>,
    /// How the evidence guard was written when not in sessions (`from 10 possible days`).
    pub min_possible_written: Option<ThresholdCount>,
    pub bands: Vec<Node<BandAst>>,
    /// Comments after the last band, inside the block: they stay there.
    pub trailing: Vec<String>,
    /// Written `ladder` rather than `bands`: stages passed through in order of depth.
    pub ladder: Option<LadderAst>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BandAst {
    pub id: Sp<String>,
    pub label: Option<Sp<String>>,
    pub range: Sp<RangeAst>,
    /// `read as 94% .. 96%`: the reading the author chose where the written range leaves an
    /// endpoint open (`Below 96%- 94%`).
    pub reading: Option<Sp<RangeAst>>,
    /// `absence 8 - 20 days`: the day counts the document gives beside the percentages.
    pub days: Option<Sp<BandDays>>,
    /// `or CONDITION`: the band also holds where the condition does (`below 90% or
    /// unauthorised(year_to_date) >= 10 sessions`).
    pub or_when: Option<Sp<Expr>>,
    /// `defines persistent_absence`: the band is also this definition.
    pub defines: Option<Sp<String>>,
    pub stage: Option<Sp<String>>,
    /// `on enter when CONDITION:`: the entry actions fire only where the guard holds.
    pub enter_when: Option<Sp<Expr>>,
    pub on_enter: Vec<Sp<ActionAst>>,
    /// How often the entry actions may fire: `once per term`, `not again within 4
    /// school_weeks`; every entry when absent.
    pub repeat: Option<Sp<RepeatAst>>,
    /// Further `on enter [when CONDITION]:` clauses, each with its own guard, under the
    /// first clause's limit.
    pub enter_also: Vec<Sp<EnterClause>>,
    /// `every school_week: ACTIONS`: on the first school day of each school week a pupil
    /// stays in the band.
    pub weekly: Vec<Sp<ActionAst>>,
    /// `every 2 school_weeks:`: the weekly actions every Nth school week in the band instead.
    pub weekly_every: Option<Sp<u32>>,
    /// A ladder stage's second way in: `at once when CONDITION`, without the order's wait.
    pub at_once: Option<Sp<Expr>>,
    /// A ladder stage's memory: `held until end of year`, `held for 6 school_weeks`, ...
    pub held: Option<Sp<HeldAst>>,
}

/// `absence 7 days`, `absence 8 - 20 days`: one count or two, in one unit, as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BandDays {
    pub first: ThresholdCount,
    /// The second count and the word or dash between them (`-`, `to`, an en or em dash).
    pub second: Option<(String, ThresholdCount)>,
}

impl BandDays {
    /// The counts in sessions (a day is two).
    pub fn sessions(&self) -> Vec<u32> {
        let one = |c: &ThresholdCount| {
            if c.unit.is_days() {
                c.value.saturating_mul(2).saturating_add(u32::from(c.half))
            } else {
                c.value
            }
        };
        std::iter::once(one(&self.first))
            .chain(self.second.as_ref().map(|(_, c)| one(c)))
            .collect()
    }
}

impl std::fmt::Display for BandDays {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let number = |c: &ThresholdCount| format!("{}{}", c.value, if c.half { ".5" } else { "" });
        write!(f, "{}", number(&self.first))?;
        if let Some((sep, second)) = &self.second {
            write!(f, " {sep} {}", number(second))?;
        }
        write!(f, " {}", self.first.unit.keyword())
    }
}

/// A further `on enter when CONDITION: ACTIONS` clause of a band.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnterClause {
    pub when: Option<Sp<Expr>>,
    pub actions: Vec<Sp<ActionAst>>,
}

/// A band's bounds: the text the school wrote, printed back as it is, and what it says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RangeAst {
    /// The range as written (`Below 96%- 94%`, `≥ 95% and < 98%`), with comments dropped and
    /// any line break or run of other white space inside it written as one space.
    pub written: String,
    pub form: RangeForm,
}

impl RangeAst {
    /// The written text of a range, as [`RangeAst::written`] keeps it.
    pub fn written_text(raw: &str) -> String {
        let mut out = String::with_capacity(raw.len());
        let mut space = String::new();
        for line in raw.split('\n') {
            let code = line.split('#').next().unwrap_or("");
            if !out.is_empty() || !space.is_empty() {
                space.push('\n');
            }
            for c in code.chars() {
                if c.is_whitespace() {
                    space.push(c);
                    continue;
                }
                if !space.is_empty() && !out.is_empty() {
                    if space.chars().all(|s| s == ' ') {
                        out.push_str(&space);
                    } else {
                        out.push(' ');
                    }
                }
                space.clear();
                out.push(c);
            }
        }
        out
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RangeForm {
    /// `94% - 96%`, `98 - 100%`, `Below 96%- 94%`, `90% ..= 92%`
    Between {
        first: Endpoint,
        op: RangeOp,
        second: Endpoint,
    },
    /// `below 90%`, `90% or less`, `at least 96%`, ...
    One(OneSided),
    /// `>= 95% and < 98%`
    Both(OneSided, OneSided),
}

/// One end of a written range: `95%`, `98` (no `%`), `below 96%`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Endpoint {
    pub value: Percent,
    /// Whether the number was written with `%`.
    pub percent_sign: bool,
    /// `below 96%` (the range stops short of 96%), `above 90%`.
    pub word: Option<EndWord>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndWord {
    Below,
    Above,
}

/// A bound on one side: strict (`below`, `above`) or not (`at most`, `at least`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OneSided {
    Below(Percent),
    AtMost(Percent),
    Above(Percent),
    AtLeast(Percent),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RangeOp {
    /// `a .. b`: a ≤ x < b
    HalfOpen,
    /// `a ..= b`: a ≤ x ≤ b
    Closed,
    /// `a <.. b`: a < x < b
    Open,
    /// `a <..= b`: a < x ≤ b
    OpenClosed,
    /// `a - b` (or an en or em dash): inclusive, either order, as schools write it
    Dash,
    /// `a to b`: inclusive, either order
    To,
}

impl RangeOp {
    pub fn token(self) -> &'static str {
        match self {
            RangeOp::HalfOpen => "..",
            RangeOp::Closed => "..=",
            RangeOp::Open => "<..",
            RangeOp::OpenClosed => "<..=",
            RangeOp::Dash => "-",
            RangeOp::To => "to",
        }
    }
}

/// An exact percentage in millionths (`100%` is 1,000,000), so `95.9%` compares exactly with
/// a ratio of whole sessions: `present * 1_000_000 >= 959_000 * possible`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Percent(pub u32);

impl Percent {
    pub const SCALE: u32 = 1_000_000;
    pub const HUNDRED: Percent = Percent(Percent::SCALE);
    pub const ZERO: Percent = Percent(0);

    /// From whole percent (`90` → 90%).
    pub const fn whole(value: u32) -> Percent {
        Percent(value * (Percent::SCALE / 100))
    }
}

impl std::fmt::Display for Percent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let per_cent = Percent::SCALE / 100;
        let whole = self.0 / per_cent;
        let frac = self.0 % per_cent;
        if frac == 0 {
            write!(f, "{whole}%")
        } else {
            let digits = format!("{frac:04}");
            write!(f, "{whole}.{}%", digits.trim_end_matches('0'))
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EscalationAst {
    pub name: Sp<String>,
    pub codes: Sp<Vec<Sp<String>>>,
    pub steps: Vec<Node<StepAst>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepAst {
    pub day: Sp<u32>,
    pub when: Option<Sp<Expr>>,
    pub actions: Vec<Sp<ActionAst>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TriggerAst {
    pub name: Sp<String>,
    pub min_possible: Option<Sp<u32>>,
    /// How the evidence guard was written when not in sessions (`from 10 possible days`).
    pub min_possible_written: Option<ThresholdCount>,
    /// `on each L` (a code) or `on each {L, U}`: fires on every school day with such a mark.
    /// A trigger has this or a `when`.
    pub each: Option<Sp<Vec<Sp<String>>>>,
    pub when: Option<Sp<Expr>>,
    pub actions: Vec<Sp<ActionAst>>,
    pub stage: Option<Sp<String>>,
    pub repeat: Option<Sp<RepeatAst>>,
    /// `at end of half_term`, `every 2 school_weeks`: the days the trigger is looked at;
    /// every school day when absent.
    pub looked_at: Option<Sp<LookedAt>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RepeatAst {
    OncePer(Period),
    Every {
        school_weeks: u32,
    },
    /// `not again within N school_weeks`: a rising edge fires unless the rule fired in the
    /// last N school weeks.
    NotWithin {
        school_weeks: u32,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Period {
    HalfTerm,
    Term,
    Year,
}

impl Period {
    pub fn keyword(self) -> &'static str {
        match self {
            Period::HalfTerm => "half_term",
            Period::Term => "term",
            Period::Year => "year",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanAst {
    pub name: Sp<String>,
    pub stage: Sp<String>,
    pub items: Vec<Node<PlanItem>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlanItem {
    Review {
        school_weeks: Sp<u32>,
        /// `review after 4 to 6 school_weeks`: the last week of the range.
        until: Option<Sp<u32>>,
    },
    Target(Sp<Expr>),
    /// `target judged "no significant improvement" by attendance_lead`: the policy leaves
    /// the criterion to staff.
    Judged {
        criterion: Sp<String>,
        by: Sp<String>,
    },
    EscalateTo(Sp<String>),
    On {
        event: PlanEvent,
        actions: Vec<Sp<ActionAst>>,
    },
    /// `every 2 school_weeks: ACTIONS` (`school_weeks` absent for `every school_week:`): while
    /// the plan is open, every Nth school week after the one it opened in.
    Every {
        school_weeks: Option<Sp<u32>>,
        actions: Vec<Sp<ActionAst>>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PlanEvent {
    Open,
    Miss,
    Met,
}

impl PlanEvent {
    pub fn keyword(self) -> &'static str {
        match self {
            PlanEvent::Open => "open",
            PlanEvent::Miss => "miss",
            PlanEvent::Met => "met",
        }
    }
}

/// `VERB [TARGET] ["note"] [by ROLE]`; the verb decides what the target may be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionAst {
    pub verb: Sp<String>,
    pub target: Option<Sp<String>>,
    pub note: Option<Sp<String>>,
    pub by: Option<Sp<String>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PenaltyItem {
    Threshold {
        /// The count in sessions (`5 days` is 10).
        sessions: Sp<u32>,
        window: Sp<WindowAst>,
        /// How the count was written when not in sessions (`2.5 days`, `5 half_days`).
        written: Option<ThresholdCount>,
        /// `counting {G, O}`: the codes the threshold counts, where the policy names them.
        codes: Option<Sp<Vec<Sp<String>>>>,
    },
    Limit {
        notices: Sp<u32>,
        years: Sp<u32>,
    },
    Fine {
        second: bool,
        pence: Sp<u64>,
        within_days: Sp<u32>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LimitAst {
    pub name: Sp<String>,
    pub value: Sp<u32>,
    pub unit: Option<Sp<String>>,
}

/// When a trigger is looked at, if not every school day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LookedAt {
    /// `at end of half_term`: on the last school day of each period.
    EndOf(Period),
    /// `every 2 school_weeks`: on the first school day of every Nth school week of the year.
    Every { school_weeks: u32 },
}

/// `schedule NAME ["wording"] per PERIOD { N: VALUE ["label"] ... }`: a threshold that
/// changes with the half-term or term of the year.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScheduleAst {
    pub name: Sp<String>,
    pub wording: Option<Sp<String>>,
    pub per: Sp<Period>,
    pub rows: Vec<Node<ScheduleRowAst>>,
    /// Comments after the last row, inside the block: they stay there.
    pub trailing: Vec<String>,
}

/// `1: 3.5 days "Close of first half-term"`: the value for the period of that number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScheduleRowAst {
    pub period: Sp<u32>,
    /// A count (`3.5 days`, `7 sessions`) or a percentage (`96%`).
    pub value: Sp<Operand>,
    pub label: Option<Sp<String>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_prints_exactly() {
        assert_eq!(Percent::whole(90).to_string(), "90%");
        assert_eq!(Percent(959_000).to_string(), "95.9%");
        assert_eq!(Percent(959_900).to_string(), "95.99%");
        assert_eq!(Percent(1).to_string(), "0.0001%");
        assert_eq!(Percent::HUNDRED.to_string(), "100%");
    }

    #[test]
    fn a_range_is_kept_as_written_less_comments_and_line_breaks() {
        assert_eq!(RangeAst::written_text("Below 96%- 94%"), "Below 96%- 94%");
        assert_eq!(RangeAst::written_text("98  -  100%"), "98  -  100%");
        assert_eq!(RangeAst::written_text("95% # low\n  - 98%"), "95% - 98%");
        assert_eq!(RangeAst::written_text("95%\t-\u{a0}98%"), "95% - 98%");
        assert_eq!(RangeAst::written_text("≥ 95% and < 98%"), "≥ 95% and < 98%");
    }
}

/// A `ladder` head's extras: whether its stages are entered one at a time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LadderAst {
    /// `in order` (`after N school_weeks`): each stage only from the one before it.
    pub order: Option<Sp<OrderAst>>,
}

/// `in order [after N school_weeks] [when judged "..." by ROLE]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderAst {
    /// The school weeks a pupil spends on a stage before the next can be entered.
    pub after_weeks: Option<u32>,
    /// Each move to a deeper stage left to staff (`when judged "no significant improvement"
    /// by welfare_lead`).
    pub judged: Option<JudgedAst>,
}

/// How long a ladder stage holds a pupil who entered it, whatever their figures do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HeldAst {
    /// `held until end of half_term|term|year`.
    UntilEnd(Period),
    /// `held for N school_days|school_weeks`.
    For(HeldSpan),
    /// `held until CONDITION [for N school_days|school_weeks]`.
    Until {
        when: Box<Sp<Expr>>,
        span: Option<HeldSpan>,
    },
}

/// `N school_days` or `N school_weeks`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeldSpan {
    pub count: u32,
    pub weeks: bool,
}

impl HeldSpan {
    pub fn unit(self) -> &'static str {
        if self.weeks {
            "school_weeks"
        } else {
            "school_days"
        }
    }
}
