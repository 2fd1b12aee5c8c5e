//! Typed conditions: what a `when` clause means once its metrics, windows, codes and names
//! are resolved. Comparisons are between whole-session counts or exact percentages only.

use std::fmt;

use serde::Serialize;

use super::{CmpOp, Percent, StageRef};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Condition {
    All(Vec<Condition>),
    Any(Vec<Condition>),
    Not(Box<Condition>),
    /// `attendance(W) >= 96%`: `present * SCALE >= 96% * possible`.
    Ratio {
        metric: RatioMetric,
        window: Window,
        op: CmpOp,
        value: Percent,
    },
    /// `unauthorised(W) >= 10`
    Count {
        metric: CountMetric,
        op: CmpOp,
        value: u32,
    },
    /// `unauthorised(W) >= 10% of absent(W)`: `lhs * SCALE >= 10% * rhs`; a comparison of two
    /// counts is a share of 100%.
    Share {
        lhs: CountMetric,
        op: CmpOp,
        percent: Percent,
        rhs: CountMetric,
    },
    Flag(PupilFlag),
    YearGroup {
        op: CmpOp,
        value: u32,
    },
    Stage {
        op: CmpOp,
        stage: StageRef,
    },
    /// A named definition (`persistent_absence`).
    Defined(String),
    /// A metric compared with a schedule's row for the period of the day.
    Scheduled(Box<super::Scheduled>),
}

impl Condition {
    /// Every metric the condition reads, for tables and engines that precompute them.
    pub fn count_metrics(&self, out: &mut Vec<CountMetric>) {
        match self {
            Condition::All(parts) | Condition::Any(parts) => {
                for p in parts {
                    p.count_metrics(out);
                }
            }
            Condition::Not(inner) => inner.count_metrics(out),
            Condition::Ratio { metric, window, .. } => {
                out.push(CountMetric::Sessions {
                    class: metric.numerator(),
                    window: *window,
                });
                out.push(CountMetric::Sessions {
                    class: SessionClass::Possible,
                    window: *window,
                });
            }
            Condition::Count { metric, .. } => out.push(metric.clone()),
            Condition::Scheduled(s) => s.count_metrics(out),
            Condition::Share { lhs, rhs, .. } => {
                out.push(lhs.clone());
                out.push(rhs.clone());
            }
            Condition::Flag(_)
            | Condition::YearGroup { .. }
            | Condition::Stage { .. }
            | Condition::Defined(_) => {}
        }
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Condition::All(parts) | Condition::Any(parts) => {
                let word = if matches!(self, Condition::All(_)) {
                    " and "
                } else {
                    " or "
                };
                for (i, p) in parts.iter().enumerate() {
                    if i > 0 {
                        f.write_str(word)?;
                    }
                    if matches!(p, Condition::All(_) | Condition::Any(_)) {
                        write!(f, "({p})")?;
                    } else {
                        write!(f, "{p}")?;
                    }
                }
                Ok(())
            }
            Condition::Not(inner) => match inner.as_ref() {
                Condition::All(_) | Condition::Any(_) => write!(f, "not ({inner})"),
                _ => write!(f, "not {inner}"),
            },
            Condition::Ratio {
                metric,
                window,
                op,
                value,
            } => {
                write!(f, "{}({window}) {} {value}", metric.keyword(), op.token())
            }
            Condition::Count { metric, op, value } => write!(f, "{metric} {} {value}", op.token()),
            Condition::Share {
                lhs,
                op,
                percent,
                rhs,
            } => {
                if *percent == Percent::HUNDRED {
                    write!(f, "{lhs} {} {rhs}", op.token())
                } else {
                    write!(f, "{lhs} {} {percent} of {rhs}", op.token())
                }
            }
            Condition::Flag(flag) => write!(f, "pupil.{}", flag.keyword()),
            Condition::YearGroup { op, value } => {
                write!(f, "pupil.year_group {} {value}", op.token())
            }
            Condition::Stage { op, stage } => write!(f, "pupil.stage {} {}", op.token(), stage.id),
            Condition::Defined(name) => f.write_str(name),
            Condition::Scheduled(s) => write!(f, "{s}"),
        }
    }
}

super::keyword_enum!(
    /// A ratio of sessions in a window.
    RatioMetric {
        Attendance => "attendance",
        Absence => "absence",
    }
);

impl RatioMetric {
    /// The count over possible sessions that makes the ratio.
    pub fn numerator(self) -> SessionClass {
        match self {
            RatioMetric::Attendance => SessionClass::Present,
            RatioMetric::Absence => SessionClass::Absent,
        }
    }
}

super::keyword_enum!(
    /// Sessions counted by the class of their mark (DESIGN.md §4).
    SessionClass {
        Possible => "possible",
        Present => "present",
        Absent => "absent",
        Authorised => "authorised",
        Unauthorised => "unauthorised",
    }
);

/// A whole-number metric.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CountMetric {
    Sessions {
        class: SessionClass,
        window: Window,
    },
    Codes {
        codes: CodeSet,
        window: Window,
    },
    /// School days in the current run on which every possible session has one of the codes.
    ConsecutiveDays {
        codes: CodeSet,
    },
    /// Penalty notices for the pupil in the last `years` years before today: those the run
    /// itself asked staff to consider, and those the ledger records as done before the run's
    /// first day (src/engine/notices.rs).
    NoticesIssued {
        years: u32,
    },
}

impl fmt::Display for CountMetric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CountMetric::Sessions { class, window } => write!(f, "{}({window})", class.keyword()),
            CountMetric::Codes { codes, window } => write!(f, "count({codes}, {window})"),
            CountMetric::ConsecutiveDays { codes } => write!(f, "consecutive_days({codes})"),
            CountMetric::NoticesIssued { years } => write!(f, "notices_issued({years} years)"),
        }
    }
}

/// A set of national register codes, sorted and without repeats.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct CodeSet(pub Vec<String>);

impl CodeSet {
    pub fn new(mut codes: Vec<String>) -> CodeSet {
        codes.sort();
        codes.dedup();
        CodeSet(codes)
    }

    pub fn contains(&self, code: &str) -> bool {
        self.0.iter().any(|c| c == code)
    }
}

impl fmt::Display for CodeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{{}}}", self.0.join(", "))
    }
}

/// The sessions a metric looks at, relative to the school day being evaluated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Window {
    YearToDate,
    ThisTerm,
    ThisHalfTerm,
    /// The school week holding the day and the N−1 school weeks before it.
    RollingWeeks(u32),
    /// The last N school days, the day itself included.
    LastDays(u32),
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Window::YearToDate => f.write_str("year_to_date"),
            Window::ThisTerm => f.write_str("this_term"),
            Window::ThisHalfTerm => f.write_str("this_half_term"),
            Window::RollingWeeks(n) => write!(f, "rolling {n} school_weeks"),
            Window::LastDays(n) => write!(f, "last {n} school_days"),
        }
    }
}

super::keyword_enum!(
    /// Facts about a pupil from the pupils file (DESIGN.md §3).
    PupilFlag {
        Sen => "sen",
        SenSupport => "sen_support",
        EhcPlan => "ehc_plan",
        Fsm => "fsm",
        SocialWorker => "social_worker",
        LookedAfter => "looked_after",
        ChildProtectionPlan => "child_protection_plan",
        CompulsorySchoolAge => "compulsory_school_age",
    }
);
