//! Lowering conditions: code sets, windows, metrics, calls and comparisons, each operand
//! given its type so that a comparison of unlike things is an error here.

use super::*;

/// What an operand turned out to be.
#[derive(Clone, Debug)]
enum Value {
    Ratio(RatioMetric, Window),
    Count(CountMetric),
    Percent(Percent),
    /// A count as written: the number, whether it has a half (`3.5`), and its unit.
    Number(u32, bool, Option<CountUnit>),
    Share(Percent, CountMetric),
    YearGroup,
    Stage,
    StageName(StageRef),
    /// A schedule's name: its row for the period of the day.
    Schedule(usize),
}

impl Value {
    fn describe(&self) -> String {
        match self {
            Value::Ratio(m, _) => format!("`{}(...)` (a percentage)", m.keyword()),
            Value::Count(m) => format!("`{m}` (a count)"),
            Value::Percent(p) => format!("`{p}`"),
            Value::Number(n, half, _) => {
                format!("the number `{n}{}`", if *half { ".5" } else { "" })
            }
            Value::Share(p, m) => format!("`{p} of {m}`"),
            Value::YearGroup => "`pupil.year_group`".into(),
            Value::Stage => "`pupil.stage`".into(),
            Value::StageName(s) => format!("the stage `{}`", s.id),
            Value::Schedule(_) => "a schedule".into(),
        }
    }
}

impl Lowerer {
    pub(super) fn code_set(&mut self, codes: &[Sp<String>]) -> CodeSet {
        let table = codes::table();
        let mut out = Vec::new();
        for code in codes {
            if !table.is_known(&code.node) {
                let suggestion = table.suggest(&code.node).map(String::from);
                self.error(
                    &code.loc,
                    ModelError::UnknownCode {
                        code: code.node.clone(),
                        suggestion,
                    },
                );
                continue;
            }
            if table
                .lookup(&code.node, self.judged_on.max(codes_2024()))
                .is_none()
                && table.lookup(&code.node, self.judged_on).is_none()
            {
                self.error(
                    &code.loc,
                    ModelError::RetiredCode {
                        code: code.node.clone(),
                    },
                );
            }
            out.push(code.node.clone());
        }
        CodeSet::new(out)
    }

    pub(super) fn window(&mut self, w: &WindowAst, loc: &Loc) -> Window {
        match *w {
            WindowAst::YearToDate => Window::YearToDate,
            WindowAst::ThisTerm => Window::ThisTerm,
            WindowAst::ThisHalfTerm => Window::ThisHalfTerm,
            WindowAst::Rolling { school_weeks } => {
                if school_weeks == 0 {
                    self.error(
                        loc,
                        ModelError::EmptyWindow {
                            unit: "school weeks",
                        },
                    );
                }
                Window::RollingWeeks(school_weeks.max(1))
            }
            WindowAst::Last { school_days } => {
                if school_days == 0 {
                    self.error(
                        loc,
                        ModelError::EmptyWindow {
                            unit: "school days",
                        },
                    );
                }
                Window::LastDays(school_days.max(1))
            }
        }
    }

    pub(super) fn condition(&mut self, e: &Sp<Expr>) -> Option<Condition> {
        match &e.node {
            Expr::Or(parts) | Expr::And(parts) => {
                let lowered: Vec<Option<Condition>> =
                    parts.iter().map(|p| self.condition(p)).collect();
                let lowered: Option<Vec<Condition>> = lowered.into_iter().collect();
                let lowered = lowered?;
                Some(if matches!(e.node, Expr::Or(_)) {
                    Condition::Any(lowered)
                } else {
                    Condition::All(lowered)
                })
            }
            Expr::Not(inner) => Some(Condition::Not(Box::new(self.condition(inner)?))),
            Expr::Flag(name) => self.flag(name, &e.loc),
            Expr::Judged(j) => {
                self.judged_misplaced(j, &e.loc);
                None
            }
            Expr::Compare { lhs, op, rhs } => {
                let l = self.operand(lhs);
                let r = self.operand(rhs);
                let (l, r) = (l?, r?);
                self.compare(l, *op, r, &e.loc, lhs, rhs)
            }
        }
    }

    fn flag(&mut self, name: &str, loc: &Loc) -> Option<Condition> {
        if let Some(attr) = name.strip_prefix("pupil.") {
            if let Some(flag) = PupilFlag::from_keyword(attr) {
                return Some(Condition::Flag(flag));
            }
            if attr == "year_group" || attr == "stage" {
                self.error(
                    loc,
                    ModelError::NotACondition {
                        name: name.to_string(),
                    },
                );
                return None;
            }
            let candidates = PupilFlag::keywords()
                .map(|k| format!("pupil.{k}"))
                .collect();
            self.unknown(loc, "pupil attribute", name, candidates);
            return None;
        }
        if self.definitions.contains(name) {
            return Some(Condition::Defined(name.to_string()));
        }
        let mut candidates: Vec<String> = self.for_help(&self.definitions);
        candidates.extend(PupilFlag::keywords().map(|k| format!("pupil.{k}")));
        self.unknown(loc, "definition", name, candidates);
        None
    }

    fn operand(&mut self, o: &Sp<Operand>) -> Option<Value> {
        match &o.node {
            Operand::Percent(p) => Some(Value::Percent(self.percent(*p, &o.loc))),
            Operand::Count { value, half, unit } => Some(Value::Number(*value, *half, *unit)),
            Operand::Share { percent, of } => {
                let p = self.percent(*percent, &o.loc);
                match self.operand(of)? {
                    Value::Count(m) => Some(Value::Share(p, m)),
                    other => {
                        self.error(
                            &of.loc,
                            ModelError::TypeMismatch {
                                left: format!("`{p} of`"),
                                right: other.describe(),
                            },
                        );
                        None
                    }
                }
            }
            Operand::Call { name, args } => self.call(name, args, &o.loc),
            Operand::Path(path) => match path.as_str() {
                "pupil.year_group" => Some(Value::YearGroup),
                "pupil.stage" => Some(Value::Stage),
                other if other.starts_with("pupil.") => {
                    let mut candidates: Vec<String> = PupilFlag::keywords()
                        .map(|k| format!("pupil.{k}"))
                        .collect();
                    candidates.push("pupil.year_group".into());
                    candidates.push("pupil.stage".into());
                    self.unknown(&o.loc, "pupil attribute", other, candidates);
                    None
                }
                other => {
                    if let Some(i) = self.schedules.iter().position(|s| s.name == other) {
                        return Some(Value::Schedule(i));
                    }
                    let name = Sp::new(other.to_string(), o.loc.clone());
                    self.stage_ref(&name).map(Value::StageName)
                }
            },
        }
    }

    fn call(&mut self, name: &Sp<String>, args: &[Sp<Argument>], loc: &Loc) -> Option<Value> {
        let window_arg =
            |l: &mut Self, arg: Option<&Sp<Argument>>, expected: &'static str| match arg
                .map(|a| (&a.node, &a.loc))
            {
                Some((Argument::Window(w), wl)) => Some(l.window(w, wl)),
                _ => {
                    l.error(
                        loc,
                        ModelError::WrongArguments {
                            name: name.node.clone(),
                            expected,
                        },
                    );
                    None
                }
            };
        let codes_arg = |l: &mut Self, arg: Option<&Sp<Argument>>, expected: &'static str| match arg
            .map(|a| &a.node)
        {
            Some(Argument::Codes(codes)) => Some(l.code_set(codes)),
            Some(Argument::Code(code)) => {
                let code = Sp::new(
                    code.clone(),
                    arg.map_or_else(|| loc.clone(), |a| a.loc.clone()),
                );
                Some(l.code_set(std::slice::from_ref(&code)))
            }
            _ => {
                l.error(
                    loc,
                    ModelError::WrongArguments {
                        name: name.node.clone(),
                        expected,
                    },
                );
                None
            }
        };
        let n = name.node.as_str();
        if let Some(ratio) = RatioMetric::from_keyword(n) {
            const EXPECTED: &str = "one window, e.g. `attendance(year_to_date)`";
            if !self.arity(args, 1, n, EXPECTED, loc) {
                return None;
            }
            return window_arg(self, args.first(), EXPECTED).map(|w| Value::Ratio(ratio, w));
        }
        if let Some(class) = SessionClass::from_keyword(n) {
            const EXPECTED: &str = "one window, e.g. `unauthorised(rolling 10 school_weeks)`";
            if !self.arity(args, 1, n, EXPECTED, loc) {
                return None;
            }
            return window_arg(self, args.first(), EXPECTED)
                .map(|window| Value::Count(CountMetric::Sessions { class, window }));
        }
        match n {
            "count" => {
                const EXPECTED: &str = "codes and a window, e.g. `count(L, this_half_term)`";
                if !self.arity(args, 2, n, EXPECTED, loc) {
                    return None;
                }
                let codes = codes_arg(self, args.first(), EXPECTED);
                let window = window_arg(self, args.get(1), EXPECTED);
                Some(Value::Count(CountMetric::Codes {
                    codes: codes?,
                    window: window?,
                }))
            }
            "notices_issued" => {
                const EXPECTED: &str = "a number of years, e.g. `notices_issued(3 years)`";
                if !self.arity(args, 1, n, EXPECTED, loc) {
                    return None;
                }
                match args.first().map(|a| &a.node) {
                    Some(Argument::Years(years)) if *years > 0 => {
                        Some(Value::Count(CountMetric::NoticesIssued { years: *years }))
                    }
                    _ => {
                        self.error(
                            loc,
                            ModelError::WrongArguments {
                                name: name.node.clone(),
                                expected: EXPECTED,
                            },
                        );
                        None
                    }
                }
            }
            "consecutive_days" => {
                const EXPECTED: &str = "codes, e.g. `consecutive_days({N, O})`";
                if !self.arity(args, 1, n, EXPECTED, loc) {
                    return None;
                }
                codes_arg(self, args.first(), EXPECTED)
                    .map(|codes| Value::Count(CountMetric::ConsecutiveDays { codes }))
            }
            _ => {
                self.unknown(
                    &name.loc,
                    "metric",
                    n,
                    METRICS.iter().map(|m| m.to_string()).collect(),
                );
                None
            }
        }
    }

    /// Whether a metric got as many arguments as it takes; reports it when not.
    fn arity(
        &mut self,
        args: &[Sp<Argument>],
        takes: usize,
        name: &str,
        expected: &'static str,
        loc: &Loc,
    ) -> bool {
        let ok = args.len() == takes;
        if !ok {
            self.error(
                loc,
                ModelError::WrongArguments {
                    name: name.into(),
                    expected,
                },
            );
        }
        ok
    }

    fn compare(
        &mut self,
        l: Value,
        op: CmpOp,
        r: Value,
        loc: &Loc,
        lhs: &Sp<Operand>,
        rhs: &Sp<Operand>,
    ) -> Option<Condition> {
        // Put the metric on the left: `10 <= x` is `x >= 10`.
        let literal_left = matches!(
            l,
            Value::Percent(_)
                | Value::Number(..)
                | Value::Share(..)
                | Value::StageName(_)
                | Value::Schedule(_)
        ) && !matches!(
            r,
            Value::Percent(_)
                | Value::Number(..)
                | Value::Share(..)
                | Value::StageName(_)
                | Value::Schedule(_)
        );
        let (l, op, r, rloc) = if literal_left {
            (r, op.flipped(), l, &lhs.loc)
        } else {
            (l, op, r, &rhs.loc)
        };
        match (l, r) {
            (Value::Ratio(metric, window), Value::Percent(value)) => Some(Condition::Ratio {
                metric,
                window,
                op,
                value,
            }),
            (Value::Count(metric), Value::Number(value, half, unit)) => {
                let value = self.count_value(&metric, value, half, unit, rloc);
                Some(Condition::Count { metric, op, value })
            }
            (Value::Count(lhs), Value::Share(percent, rhs)) => Some(Condition::Share {
                lhs,
                op,
                percent,
                rhs,
            }),
            (Value::Count(lhs), Value::Count(rhs)) => Some(Condition::Share {
                lhs,
                op,
                percent: Percent::HUNDRED,
                rhs,
            }),
            (Value::YearGroup, Value::Number(value, false, None)) => {
                Some(Condition::YearGroup { op, value })
            }
            (Value::Stage, Value::StageName(stage)) => Some(Condition::Stage { op, stage }),
            (Value::Count(metric), Value::Schedule(i)) => {
                self.scheduled(ScheduledLhs::Count(metric), op, i, loc)
            }
            (Value::Ratio(metric, window), Value::Schedule(i)) => {
                self.scheduled(ScheduledLhs::Ratio(metric, window), op, i, loc)
            }
            (l, r) => {
                self.error(
                    loc,
                    ModelError::TypeMismatch {
                        left: l.describe(),
                        right: r.describe(),
                    },
                );
                None
            }
        }
    }

    /// A count compared with a metric, in the metric's own unit: a run of days in days, any
    /// other count in sessions, where a day (`3.5 days`) is two sessions and a half day one.
    fn count_value(
        &mut self,
        metric: &CountMetric,
        value: u32,
        half: bool,
        unit: Option<CountUnit>,
        loc: &Loc,
    ) -> u32 {
        let run_of_days = matches!(metric, CountMetric::ConsecutiveDays { .. });
        let in_days = unit.is_some_and(CountUnit::is_days);
        // A run is counted in days; any other count in sessions, days or half days.
        if let Some(unit) = unit
            && run_of_days
            && !in_days
        {
            self.error(
                loc,
                ModelError::WrongUnit {
                    name: metric.to_string(),
                    expected: "school days",
                    unit: unit.keyword().to_string(),
                },
            );
        }
        if half && (run_of_days || !in_days) {
            self.error(
                loc,
                ModelError::HalfNotWhole {
                    written: format!("{value}.5"),
                    unit: if run_of_days {
                        "school days"
                    } else {
                        "sessions"
                    },
                },
            );
        }
        if in_days && !run_of_days {
            // No school has four billion sessions: a larger count saturates rather than wraps.
            value.saturating_mul(2).saturating_add(u32::from(half))
        } else {
            value
        }
    }
}
