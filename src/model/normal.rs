//! The normal form of conditions, shared by the checker (shape analysis) and the table
//! compiler: negations pushed to the leaves, definitions inlined, the result spread
//! into a disjunction of conjunctions, and each conjunction's constraints on one metric
//! intersected into a single exact interval. Absence ratios become attendance ratios
//! (absence = 100% − attendance, exactly), so every band and definition is on one axis.

use std::collections::HashMap;
use std::fmt;
use std::ops::Bound;

use serde::{Serialize, Serializer};

use super::{
    CmpOp, Condition, CountMetric, Interval, Percent, Period, Policy, PupilFlag, RatioMetric,
    Window,
};

/// More conjunctions than this from one condition is a sign of a condition nobody can read.
pub const MAX_ROWS: usize = 256;

/// One constraint of a row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Atom {
    /// A ratio of sessions in an exact interval.
    Ratio {
        metric: RatioMetric,
        window: Window,
        #[serde(serialize_with = "serialize_interval")]
        interval: Interval,
    },
    /// A whole-number metric in an inclusive range.
    Count {
        metric: CountMetric,
        range: CountRange,
    },
    /// `lhs op percent × rhs`, compared as `lhs * SCALE op percent * rhs`.
    Share {
        lhs: CountMetric,
        #[serde(serialize_with = "serialize_op")]
        op: CmpOp,
        #[serde(serialize_with = "serialize_percent")]
        percent: Percent,
        rhs: CountMetric,
    },
    Flag {
        flag: PupilFlag,
        value: bool,
    },
    YearGroup {
        range: CountRange,
    },
    /// The pupil's stage rank lies in `lo..=hi`.
    Stage {
        lo: usize,
        hi: usize,
        names: Vec<String>,
    },
    /// The day falls in a half-term (or term) whose number in its academic year, from 1, is
    /// in the range: a schedule's row holds in its own period.
    Period {
        per: Period,
        range: CountRange,
    },
}

/// Inclusive whole-number range; `hi` of `None` is unbounded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct CountRange {
    pub lo: u32,
    pub hi: Option<u32>,
}

impl CountRange {
    fn from_op(op: CmpOp, value: u32) -> Vec<CountRange> {
        match op {
            CmpOp::Ge => vec![CountRange {
                lo: value,
                hi: None,
            }],
            CmpOp::Gt => vec![CountRange {
                lo: value.saturating_add(1),
                hi: None,
            }],
            CmpOp::Le => vec![CountRange {
                lo: 0,
                hi: Some(value),
            }],
            CmpOp::Lt if value == 0 => vec![CountRange { lo: 1, hi: Some(0) }],
            CmpOp::Lt => vec![CountRange {
                lo: 0,
                hi: Some(value - 1),
            }],
            CmpOp::Eq => vec![CountRange {
                lo: value,
                hi: Some(value),
            }],
            CmpOp::Ne => {
                let mut out = vec![CountRange {
                    lo: value.saturating_add(1),
                    hi: None,
                }];
                if value > 0 {
                    out.insert(
                        0,
                        CountRange {
                            lo: 0,
                            hi: Some(value - 1),
                        },
                    );
                }
                out
            }
        }
    }

    fn intersect(self, other: CountRange) -> CountRange {
        let hi = match (self.hi, other.hi) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        CountRange {
            lo: self.lo.max(other.lo),
            hi,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.hi.is_some_and(|hi| hi < self.lo)
    }
}

fn serialize_interval<S: Serializer>(i: &Interval, s: S) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct End {
        value: String,
        inclusive: bool,
    }
    #[derive(Serialize)]
    struct Ends {
        lo: Option<End>,
        hi: Option<End>,
        text: String,
    }
    let end = |b: Bound<Percent>| match b {
        Bound::Included(p) => Some(End {
            value: p.to_string(),
            inclusive: true,
        }),
        Bound::Excluded(p) => Some(End {
            value: p.to_string(),
            inclusive: false,
        }),
        Bound::Unbounded => None,
    };
    Ends {
        lo: end(i.lo),
        hi: end(i.hi),
        text: i.to_string(),
    }
    .serialize(s)
}

fn serialize_op<S: Serializer>(op: &CmpOp, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(op.token())
}

fn serialize_percent<S: Serializer>(p: &Percent, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&p.to_string())
}

/// `x op value` as an interval of percentages; `!=` is two intervals.
fn ratio_intervals(op: CmpOp, value: Percent) -> Vec<Interval> {
    use Bound::{Excluded, Included};
    let zero = Included(Percent::ZERO);
    let hundred = Included(Percent::HUNDRED);
    match op {
        CmpOp::Ge => vec![Interval {
            lo: Included(value),
            hi: hundred,
        }],
        CmpOp::Gt => vec![Interval {
            lo: Excluded(value),
            hi: hundred,
        }],
        CmpOp::Le => vec![Interval {
            lo: zero,
            hi: Included(value),
        }],
        CmpOp::Lt => vec![Interval {
            lo: zero,
            hi: Excluded(value),
        }],
        CmpOp::Eq => vec![Interval {
            lo: Included(value),
            hi: Included(value),
        }],
        CmpOp::Ne => vec![
            Interval {
                lo: zero,
                hi: Excluded(value),
            },
            Interval {
                lo: Excluded(value),
                hi: hundred,
            },
        ],
    }
}

/// Absence in an interval is attendance in the mirrored interval.
/// An absence interval as the attendance interval it is (absence = 100% − attendance).
pub fn mirror(i: Interval) -> Interval {
    let flip = |b: Bound<Percent>| match b {
        Bound::Included(p) => Bound::Included(Percent(Percent::SCALE.saturating_sub(p.0))),
        Bound::Excluded(p) => Bound::Excluded(Percent(Percent::SCALE.saturating_sub(p.0))),
        Bound::Unbounded => Bound::Unbounded,
    };
    Interval {
        lo: flip(i.hi),
        hi: flip(i.lo),
    }
}

fn intersect(a: Interval, b: Interval) -> Interval {
    a.intersect(&b)
}

type Dnf = Vec<Vec<Atom>>;

/// The rows of a condition: each a conjunction of atoms, merged, with whether it can hold.
/// `None` when the condition spreads into more than [`MAX_ROWS`] rows.
///
/// Time is linear in the size of the condition and its definitions (each definition is spread
/// once however often it is named) times the rows it makes: a definition naming another twice,
/// thirty levels deep, is not spread two to the thirtieth times.
pub fn rows(policy: &Policy, condition: &Condition) -> Option<Vec<(Vec<Atom>, bool)>> {
    let mut spreader = Spreader {
        policy,
        definitions: HashMap::new(),
    };
    let dnf = spreader.spread(condition, false, 0)?;
    let mut out: Vec<(Vec<Atom>, bool)> = Vec::new();
    for conj in dnf {
        let merged = merge(conj);
        let ok = satisfiable(&merged);
        if !out.iter().any(|(existing, _)| *existing == merged) {
            out.push((merged, ok));
        }
    }
    Some(out)
}

/// Every row of `a` joined with every row of `b`. A conjunction of one row, the usual case
/// (`x and y and z`), extends each row in place instead of copying it.
fn product(mut a: Dnf, mut b: Dnf) -> Option<Dnf> {
    if a.len().saturating_mul(b.len()) > MAX_ROWS {
        return None;
    }
    if let [only] = b.as_mut_slice() {
        let only = std::mem::take(only);
        if let Some((last, init)) = a.split_last_mut() {
            for x in init {
                x.extend(only.iter().cloned());
            }
            last.extend(only);
        }
        return Some(a);
    }
    let mut out = Vec::with_capacity(a.len() * b.len());
    for x in &a {
        for y in &b {
            let mut conj = Vec::with_capacity(x.len() + y.len());
            conj.extend(x.iter().cloned());
            conj.extend(y.iter().cloned());
            out.push(conj);
        }
    }
    Some(out)
}

struct Spreader<'p> {
    policy: &'p Policy,
    /// Each definition spread once, as written and negated.
    definitions: HashMap<(&'p str, bool), Option<Dnf>>,
}

impl<'p> Spreader<'p> {
    fn spread(&mut self, c: &'p Condition, negate: bool, depth: usize) -> Option<Dnf> {
        let policy = self.policy;
        // Definitions cannot refer to themselves in a checked policy; the depth bound is a guard.
        if depth > 32 {
            return None;
        }
        let single = |atom: Atom| Some(vec![vec![atom]]);
        match c {
            Condition::All(parts) | Condition::Any(parts) => {
                let conjunctive = matches!(c, Condition::All(_)) != negate;
                let mut acc: Dnf = if conjunctive { vec![vec![]] } else { vec![] };
                for part in parts {
                    let d = self.spread(part, negate, depth + 1)?;
                    if conjunctive {
                        acc = product(acc, d)?;
                    } else {
                        acc.extend(d);
                        if acc.len() > MAX_ROWS {
                            return None;
                        }
                    }
                }
                // Merged here, a conjunction holds each constraint once however many times
                // nested definitions repeat it.
                Some(acc.into_iter().map(merge).collect())
            }
            Condition::Not(inner) => self.spread(inner, !negate, depth + 1),
            Condition::Scheduled(s) => {
                // Each row holds on the days of its own period; negated, each row's comparison
                // is negated in its period, and a day of a period with no row holds.
                let mut out: Dnf = Vec::new();
                for &(period, threshold) in &s.rows {
                    let at = Atom::Period {
                        per: s.per,
                        range: CountRange {
                            lo: period,
                            hi: Some(period),
                        },
                    };
                    let row = s.row_condition(threshold);
                    let mut inner = Spreader {
                        policy,
                        definitions: HashMap::new(),
                    };
                    for mut conj in inner.spread(&row, negate, depth + 1)? {
                        conj.push(at.clone());
                        out.push(conj);
                    }
                }
                if negate {
                    let mut next = 1u32;
                    for &(period, _) in &s.rows {
                        if period > next {
                            out.push(vec![Atom::Period {
                                per: s.per,
                                range: CountRange {
                                    lo: next,
                                    hi: Some(period - 1),
                                },
                            }]);
                        }
                        next = period.saturating_add(1);
                    }
                    out.push(vec![Atom::Period {
                        per: s.per,
                        range: CountRange { lo: next, hi: None },
                    }]);
                }
                if out.len() > MAX_ROWS {
                    return None;
                }
                Some(out.into_iter().map(merge).collect())
            }
            Condition::Defined(name) => {
                let key = (name.as_str(), negate);
                if let Some(done) = self.definitions.get(&key) {
                    return done.clone();
                }
                let def = policy.definitions_of(name).next()?;
                let spread = self.spread(&def.condition, negate, depth + 1);
                self.definitions.insert(key, spread.clone());
                spread
            }
            Condition::Ratio {
                metric,
                window,
                op,
                value,
            } => {
                let op = if negate { op.negated() } else { *op };
                Some(
                    ratio_intervals(op, *value)
                        .into_iter()
                        .map(|i| {
                            let interval = if *metric == RatioMetric::Absence {
                                mirror(i)
                            } else {
                                i
                            };
                            vec![Atom::Ratio {
                                metric: RatioMetric::Attendance,
                                window: *window,
                                interval,
                            }]
                        })
                        .collect(),
                )
            }
            Condition::Count { metric, op, value } => {
                let op = if negate { op.negated() } else { *op };
                Some(
                    CountRange::from_op(op, *value)
                        .into_iter()
                        .map(|range| {
                            vec![Atom::Count {
                                metric: metric.clone(),
                                range,
                            }]
                        })
                        .collect(),
                )
            }
            Condition::Share {
                lhs,
                op,
                percent,
                rhs,
            } => {
                let op = if negate { op.negated() } else { *op };
                let ops = if op == CmpOp::Ne {
                    vec![CmpOp::Lt, CmpOp::Gt]
                } else {
                    vec![op]
                };
                Some(
                    ops.into_iter()
                        .map(|op| {
                            vec![Atom::Share {
                                lhs: lhs.clone(),
                                op,
                                percent: *percent,
                                rhs: rhs.clone(),
                            }]
                        })
                        .collect(),
                )
            }
            Condition::Flag(flag) => single(Atom::Flag {
                flag: *flag,
                value: !negate,
            }),
            Condition::YearGroup { op, value } => {
                let op = if negate { op.negated() } else { *op };
                Some(
                    CountRange::from_op(op, *value)
                        .into_iter()
                        .map(|range| vec![Atom::YearGroup { range }])
                        .collect(),
                )
            }
            Condition::Stage { op, stage } => {
                let op = if negate { op.negated() } else { *op };
                let top = policy.stages.len().saturating_sub(1);
                let rank = stage.rank;
                let ranges: Vec<(usize, usize)> = match op {
                    CmpOp::Ge => vec![(rank, top)],
                    CmpOp::Gt => vec![(rank + 1, top)],
                    CmpOp::Le => vec![(0, rank)],
                    CmpOp::Lt if rank == 0 => vec![(1, 0)],
                    CmpOp::Lt => vec![(0, rank - 1)],
                    CmpOp::Eq => vec![(rank, rank)],
                    CmpOp::Ne if rank == 0 => vec![(1, top)],
                    CmpOp::Ne => vec![(0, rank - 1), (rank + 1, top)],
                };
                Some(
                    ranges
                        .into_iter()
                        .map(|(lo, hi)| {
                            vec![Atom::Stage {
                                lo,
                                hi,
                                names: stage_names(policy, lo, hi),
                            }]
                        })
                        .collect(),
                )
            }
        }
    }
}

fn stage_names(policy: &Policy, lo: usize, hi: usize) -> Vec<String> {
    policy
        .stages
        .iter()
        .enumerate()
        .filter(|(i, _)| *i >= lo && *i <= hi)
        .map(|(_, s)| s.id.clone())
        .collect()
}

/// What an atom constrains: two atoms with the same key are one constraint, intersected.
#[derive(Clone, PartialEq, Eq, Hash)]
enum Key {
    Ratio(RatioMetric, Window),
    Count(CountMetric),
    YearGroup,
    Stage,
    Share(CountMetric, CmpOp, Percent, CountMetric),
    Flag(PupilFlag, bool),
    Period(Period),
}

impl Atom {
    fn key(&self) -> Key {
        match self {
            Atom::Ratio { metric, window, .. } => Key::Ratio(*metric, *window),
            Atom::Count { metric, .. } => Key::Count(metric.clone()),
            Atom::YearGroup { .. } => Key::YearGroup,
            Atom::Stage { .. } => Key::Stage,
            Atom::Share {
                lhs,
                op,
                percent,
                rhs,
            } => Key::Share(lhs.clone(), *op, *percent, rhs.clone()),
            Atom::Flag { flag, value } => Key::Flag(*flag, *value),
            Atom::Period { per, .. } => Key::Period(*per),
        }
    }
}

/// Intersects the constraints on each metric, and sorts atoms into a stable order. One pass
/// with a table of what each atom constrains, so a long conjunction costs its length.
fn merge(conj: Vec<Atom>) -> Vec<Atom> {
    let mut out: Vec<Atom> = Vec::with_capacity(conj.len());
    let mut seen: HashMap<Key, usize> = HashMap::with_capacity(conj.len());
    for atom in conj {
        let key = atom.key();
        let Some(existing) = seen.get(&key).and_then(|&i| out.get_mut(i)) else {
            seen.insert(key, out.len());
            out.push(atom);
            continue;
        };
        match (existing, atom) {
            (Atom::Ratio { interval: i1, .. }, Atom::Ratio { interval: i2, .. }) => {
                *i1 = intersect(*i1, i2);
            }
            (Atom::Count { range: r1, .. }, Atom::Count { range: r2, .. })
            | (Atom::YearGroup { range: r1 }, Atom::YearGroup { range: r2 })
            | (Atom::Period { range: r1, .. }, Atom::Period { range: r2, .. }) => {
                *r1 = r1.intersect(r2);
            }
            (
                Atom::Stage {
                    lo: l1,
                    hi: h1,
                    names: n1,
                },
                Atom::Stage {
                    lo: l2,
                    hi: h2,
                    names: n2,
                },
            ) => {
                *l1 = (*l1).max(l2);
                *h1 = (*h1).min(h2);
                n1.retain(|n| n2.contains(n));
            }
            // Same key, same atom: a repeated share or flag says nothing new.
            _ => {}
        }
    }
    out.sort_by_cached_key(|a| (a.order(), a.to_string()));
    out
}

/// False when some constraint of the conjunction admits nothing.
pub fn satisfiable(conj: &[Atom]) -> bool {
    let mut flags: HashMap<PupilFlag, bool> = HashMap::new();
    let flags_clash = conj.iter().any(|a| match a {
        Atom::Flag { flag, value } => *flags.entry(*flag).or_insert(*value) != *value,
        _ => false,
    });
    !flags_clash
        && conj.iter().all(|a| match a {
            Atom::Ratio { interval, .. } => !interval.is_empty(),
            Atom::Count { range, .. } | Atom::YearGroup { range } | Atom::Period { range, .. } => {
                !range.is_empty()
            }
            Atom::Stage { lo, hi, .. } => lo <= hi,
            Atom::Share { .. } | Atom::Flag { .. } => true,
        })
}

impl Atom {
    fn order(&self) -> u8 {
        match self {
            Atom::Ratio { .. } => 0,
            Atom::Count { .. } => 1,
            Atom::Share { .. } => 2,
            Atom::YearGroup { .. } => 3,
            Atom::Stage { .. } => 4,
            Atom::Flag { .. } => 5,
            Atom::Period { .. } => 6,
        }
    }
}

impl fmt::Display for Atom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Atom::Ratio {
                metric,
                window,
                interval,
            } => {
                let name = format!("{}({window})", metric.keyword());
                let (lo, hi) = interval.inner_ends();
                let le = |inclusive: bool| if inclusive { "<=" } else { "<" };
                match (lo, hi) {
                    (None, None) => write!(f, "{name} any"),
                    (Some((p, inc)), None) => {
                        write!(f, "{name} {} {p}", if inc { ">=" } else { ">" })
                    }
                    (None, Some((p, inc))) => write!(f, "{name} {} {p}", le(inc)),
                    (Some((a, true)), Some((b, true))) if a == b => write!(f, "{name} == {a}"),
                    (Some((a, ai)), Some((b, bi))) => {
                        write!(f, "{a} {} {name} {} {b}", le(ai), le(bi))
                    }
                }
            }
            Atom::Count { metric, range } => {
                write!(f, "{}", range_text(&metric.to_string(), *range))
            }
            Atom::Share {
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
            Atom::Flag { flag, value } => {
                if *value {
                    write!(f, "pupil.{}", flag.keyword())
                } else {
                    write!(f, "not pupil.{}", flag.keyword())
                }
            }
            Atom::YearGroup { range } => write!(f, "{}", range_text("pupil.year_group", *range)),
            Atom::Stage { names, .. } => match names.as_slice() {
                [one] => write!(f, "pupil.stage == {one}"),
                _ => write!(f, "pupil.stage in {{{}}}", names.join(", ")),
            },
            Atom::Period { per, range } => {
                write!(
                    f,
                    "{}",
                    range_text(&format!("{}_of_year", per.keyword()), *range)
                )
            }
        }
    }
}

fn range_text(name: &str, r: CountRange) -> String {
    match (r.lo, r.hi) {
        (lo, Some(hi)) if lo == hi => format!("{name} == {lo}"),
        (0, Some(hi)) => format!("{name} <= {hi}"),
        (lo, None) => format!("{name} >= {lo}"),
        (lo, Some(hi)) => format!("{lo} <= {name} <= {hi}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Source;
    use crate::syntax::ast::File;

    fn lowered(text: &str) -> Policy {
        let src = Source::new("t.policy", text);
        let Ok(File::Policy(ast)) = crate::syntax::parse(&src) else {
            panic!("parses");
        };
        let (policy, diagnostics) = crate::model::lower(&ast);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        policy
    }

    /// Twenty thousand constraints on twenty thousand different windows: one row of twenty
    /// thousand atoms, found in one pass (merging them pairwise once took minutes).
    #[test]
    fn a_long_conjunction_is_one_row_made_in_one_pass() {
        let parts = (1..=20_000)
            .map(|days| Condition::Count {
                metric: CountMetric::Sessions {
                    class: super::super::condition::SessionClass::Absent,
                    window: Window::LastDays(days),
                },
                op: CmpOp::Ge,
                value: 1,
            })
            .chain(std::iter::repeat_n(Condition::Flag(PupilFlag::Fsm), 20_000))
            .collect();
        let policy = lowered("policy \"P\" {\n}\n");
        let spread = rows(&policy, &Condition::All(parts)).expect("one row");
        assert_eq!(spread.len(), 1);
        let (atoms, satisfiable) = &spread[0];
        // 20,000 windows and one flag, however often it is repeated.
        assert_eq!(atoms.len(), 20_001);
        assert!(satisfiable);
    }

    /// Each definition names the one before twice, fourteen deep: written out, the condition
    /// would be 2^14 copies of the first; spread, it is the first definition's two atoms.
    #[test]
    fn a_definition_named_twice_at_every_level_is_spread_once() {
        let mut text = String::from(
            "policy \"P\" {\n  define d0 when unauthorised(this_term) >= 1 and pupil.fsm\n",
        );
        for i in 1..=14 {
            let before = i - 1;
            text.push_str(&format!("  define d{i} when d{before} and d{before}\n"));
        }
        text.push_str("}\n");
        let policy = lowered(&text);
        let spread = rows(&policy, &Condition::Defined("d14".into())).expect("rows");
        assert_eq!(spread.len(), 1);
        let texts: Vec<String> = spread[0].0.iter().map(ToString::to_string).collect();
        assert_eq!(texts, ["unauthorised(this_term) >= 1", "pupil.fsm"]);
    }

    #[test]
    fn a_flag_and_its_negation_cannot_hold_together() {
        let both = [
            Atom::Flag {
                flag: PupilFlag::Fsm,
                value: true,
            },
            Atom::Flag {
                flag: PupilFlag::Sen,
                value: false,
            },
            Atom::Flag {
                flag: PupilFlag::Fsm,
                value: false,
            },
        ];
        assert!(!satisfiable(&both));
        assert!(satisfiable(&both[..2]));
    }
}
