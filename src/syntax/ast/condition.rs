//! The condition language as written: `and`/`or`/`not` over comparisons of metrics (counts,
//! percentages, days) in windows, before names are resolved or types checked.

use super::{Percent, Sp};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expr {
    Or(Vec<Sp<Expr>>),
    And(Vec<Sp<Expr>>),
    Not(Box<Sp<Expr>>),
    Compare {
        lhs: Sp<Operand>,
        op: CmpOp,
        rhs: Sp<Operand>,
    },
    /// A bare name: a pupil flag (`pupil.fsm`) or a definition (`persistent_absence`).
    Flag(String),
    /// `judged "multiple absences" by attendance_lead`: a term the policy leaves to staff.
    Judged(JudgedAst),
}

/// A criterion the policy leaves to a named role (`judged "no significant improvement" by
/// attendance_lead`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JudgedAst {
    pub criterion: Sp<String>,
    pub by: Sp<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CmpOp {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

impl CmpOp {
    pub fn token(self) -> &'static str {
        match self {
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
        }
    }

    /// The operator with its operands swapped: `a < b` is `b > a`.
    pub fn flipped(self) -> CmpOp {
        match self {
            CmpOp::Lt => CmpOp::Gt,
            CmpOp::Le => CmpOp::Ge,
            CmpOp::Gt => CmpOp::Lt,
            CmpOp::Ge => CmpOp::Le,
            CmpOp::Eq => CmpOp::Eq,
            CmpOp::Ne => CmpOp::Ne,
        }
    }

    pub fn negated(self) -> CmpOp {
        match self {
            CmpOp::Lt => CmpOp::Ge,
            CmpOp::Le => CmpOp::Gt,
            CmpOp::Gt => CmpOp::Le,
            CmpOp::Ge => CmpOp::Lt,
            CmpOp::Eq => CmpOp::Ne,
            CmpOp::Ne => CmpOp::Eq,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Operand {
    Percent(Percent),
    Count {
        value: u32,
        /// `3.5 days`: the count is `value` and a half.
        half: bool,
        unit: Option<CountUnit>,
    },
    /// `10% of absent(year_to_date)`
    Share {
        percent: Percent,
        of: Box<Sp<Operand>>,
    },
    Call {
        name: Sp<String>,
        args: Vec<Sp<Argument>>,
    },
    /// `pupil.year_group`, `formalise`
    Path(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CountUnit {
    Sessions,
    Session,
    SchoolDays,
    Days,
    Day,
    /// A half day is one session (`7 half_days`).
    HalfDays,
    HalfDay,
}

impl CountUnit {
    pub fn keyword(self) -> &'static str {
        match self {
            CountUnit::Sessions => "sessions",
            CountUnit::Session => "session",
            CountUnit::SchoolDays => "school_days",
            CountUnit::Days => "days",
            CountUnit::Day => "day",
            CountUnit::HalfDays => "half_days",
            CountUnit::HalfDay => "half_day",
        }
    }

    /// Whether the unit is whole days (`days`, `school_days`): two sessions each.
    pub fn is_days(self) -> bool {
        matches!(
            self,
            CountUnit::Days | CountUnit::Day | CountUnit::SchoolDays
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Argument {
    Window(WindowAst),
    Codes(Vec<Sp<String>>),
    Code(String),
    /// `3 years`: the period of `notices_issued(3 years)`.
    Years(u32),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WindowAst {
    YearToDate,
    ThisTerm,
    ThisHalfTerm,
    Rolling { school_weeks: u32 },
    Last { school_days: u32 },
}

impl std::fmt::Display for WindowAst {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WindowAst::YearToDate => f.write_str("year_to_date"),
            WindowAst::ThisTerm => f.write_str("this_term"),
            WindowAst::ThisHalfTerm => f.write_str("this_half_term"),
            WindowAst::Rolling { school_weeks } => write!(f, "rolling {school_weeks} school_weeks"),
            WindowAst::Last { school_days } => write!(f, "last {school_days} school_days"),
        }
    }
}

/// A penalty-notice threshold as written in days or half days: `value` and a half, in `unit`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThresholdCount {
    pub value: u32,
    pub half: bool,
    pub unit: CountUnit,
}

impl std::fmt::Display for ThresholdCount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let half = if self.half { ".5" } else { "" };
        write!(f, "{}{half} {}", self.value, self.unit.keyword())
    }
}
