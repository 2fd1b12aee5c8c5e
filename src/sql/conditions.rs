//! A row's atoms as SQL over `day_values`: each an integer test (`m1 * 1000000 >= 900000 *
//! m0`), never NULL (an unknown attribute does not hold), and the evidence text the engine
//! writes for it (src/engine/evidence.rs), built from the same columns.

use std::ops::Bound;

use super::dialect::Dialect;
use super::metrics::Metrics;
use crate::model::{CmpOp, CountMetric, Percent, PupilFlag, RatioMetric};
use crate::table::Atom;

/// A construct the SQL compiler does not express.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unsupported(pub String);

/// Where a condition is read: the stage it may test, as a column (`None`: stages are not
/// known where this condition is read).
pub struct Scope<'a> {
    pub d: Dialect,
    pub stage: Option<&'a str>,
    /// The stages by rank, for evidence.
    pub stage_names: &'a [String],
}

/// `col AND within`: a column of what the day decides of a condition and what a walk decides
/// of it, or `col` alone where the walk decides nothing (`within` is `(TRUE)`).
pub fn and_within(col: &str, within: &str) -> String {
    if within == "(TRUE)" {
        col.to_string()
    } else {
        format!("{col} AND {within}")
    }
}

/// Whether an atom tests `pupil.stage`.
pub fn is_stage(atom: &Atom) -> bool {
    matches!(atom, Atom::Stage { .. })
}

/// Whether a rule's atoms test `pupil.stage`.
pub fn reads_stage(atoms: &[Atom]) -> bool {
    atoms.iter().any(|a| matches!(a, Atom::Stage { .. }))
}

/// A rule's atoms split in two tests: what the day's columns decide (under `day`), computed
/// before a walk, and the atoms `in_walk` picks (under `walk`: the stage a walk carries, the
/// notices it counts), decided in it. The rule holds when both do.
pub fn split(
    day: &Scope<'_>,
    walk: &Scope<'_>,
    metrics: &mut Metrics,
    atoms: &[Atom],
    in_walk: impl Fn(&Atom) -> bool,
) -> Result<(String, String), Unsupported> {
    let (walked, rest): (Vec<Atom>, Vec<Atom>) = atoms.iter().cloned().partition(in_walk);
    Ok((
        rule(day, metrics, &rest)?.0,
        rule(walk, metrics, &walked)?.0,
    ))
}

/// A rule's atoms, all of which must hold: the test and the evidence.
pub fn rule(
    scope: &Scope<'_>,
    metrics: &mut Metrics,
    atoms: &[Atom],
) -> Result<(String, String), Unsupported> {
    let mut tests = Vec::new();
    let mut texts = Vec::new();
    for atom in atoms {
        let (t, e) = atom_sql(scope, metrics, atom)?;
        tests.push(format!("COALESCE({t}, FALSE)"));
        texts.push(e);
    }
    let test = if tests.is_empty() {
        "TRUE".to_string()
    } else {
        tests.join(" AND ")
    };
    let text = if texts.is_empty() {
        "''".to_string()
    } else {
        texts.join(" || '; ' || ")
    };
    Ok((format!("({test})"), text))
}

fn big(col: &str) -> String {
    format!("CAST({col} AS BIGINT)")
}

fn compare(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Ge => ">=",
        CmpOp::Gt => ">",
        CmpOp::Le => "<=",
        CmpOp::Lt => "<",
        CmpOp::Eq => "=",
        CmpOp::Ne => "<>",
    }
}

/// `num / den` as a percentage to one decimal place, rounded half up, as text.
pub fn percent_tenths(d: Dialect, num: &str, den: &str) -> String {
    let tenths = d.div(
        &format!("{} * 2000 + {}", big(num), big(den)),
        &format!("2 * {}", big(den)),
    );
    format!(
        "CASE WHEN {den} = 0 THEN '' ELSE {} || '.' || {} END",
        d.text(&d.div(&tenths, "10")),
        d.text(&format!("{tenths} % 10"))
    )
}

fn window_text(d: Dialect, metrics: &Metrics, metric: usize) -> String {
    let w = metrics.window_of(metric);
    let name = metrics
        .windows
        .get(w)
        .map(ToString::to_string)
        .unwrap_or_default();
    format!(
        "' in {name} ' || {} || '..' || {}",
        d.text(&format!("w{w}_from_date")),
        d.text("date")
    )
}

fn metric_index(col: &str) -> usize {
    col.trim_start_matches('m').parse().unwrap_or(0)
}

fn count_text(
    d: Dialect,
    metrics: &mut Metrics,
    metric: &CountMetric,
) -> Result<(String, String), Unsupported> {
    let Some(col) = metrics.value(metric) else {
        return Err(Unsupported(format!("`{metric}`")));
    };
    let text = match metric {
        CountMetric::Sessions { class, .. } => format!(
            "'{} ' || {} || ' sessions' || {}",
            class.keyword(),
            d.text(&col),
            window_text(d, metrics, metric_index(&col))
        ),
        CountMetric::Codes { codes, .. } => format!(
            "{} || {} || ' sessions' || {}",
            d.quote(&format!("count({}) ", codes.0.join(", "))),
            d.text(&col),
            window_text(d, metrics, metric_index(&col))
        ),
        CountMetric::ConsecutiveDays { codes } => {
            let r = col.trim_start_matches("run");
            format!(
                "{} || {} || {} || '..' || {}",
                d.text(&col),
                d.quote(&format!(" consecutive school days marked {codes} ")),
                d.text(&format!("run_start_date{r}")),
                d.text("date")
            )
        }
        // As the engine writes it: the notices, then the period (N years before today up to
        // yesterday; a month end clamps, as chrono's and DuckDB's month arithmetic do).
        CountMetric::NoticesIssued { years } => format!(
            "{} || ' penalty notices ' || {} || '..' || {}",
            d.text(&col),
            d.text(&d.years_before("date", *years)),
            d.text(&d.days_before("date", "1"))
        ),
    };
    Ok((col, text))
}

fn atom_sql(
    scope: &Scope<'_>,
    metrics: &mut Metrics,
    atom: &Atom,
) -> Result<(String, String), Unsupported> {
    let d = scope.d;
    Ok(match atom {
        Atom::Ratio {
            metric,
            window,
            interval,
        } => {
            let num = metrics.metric(super::metrics::Counter::Class(metric.numerator()), *window);
            let den = metrics.metric(
                super::metrics::Counter::Class(crate::model::SessionClass::Possible),
                *window,
            );
            let x = format!("{} * {}", big(&format!("m{num}")), Percent::SCALE);
            let at = |p: Percent| format!("{} * {}", p.0, big(&format!("m{den}")));
            let mut tests = vec![format!("m{den} > 0")];
            match interval.lo {
                Bound::Included(p) => tests.push(format!("{x} >= {}", at(p))),
                Bound::Excluded(p) => tests.push(format!("{x} > {}", at(p))),
                Bound::Unbounded => {}
            }
            match interval.hi {
                Bound::Included(p) => tests.push(format!("{x} <= {}", at(p))),
                Bound::Excluded(p) => tests.push(format!("{x} < {}", at(p))),
                Bound::Unbounded => {}
            }
            let keyword = match metric {
                RatioMetric::Attendance => "attendance",
                RatioMetric::Absence => "absence",
            };
            let text = format!(
                "'{keyword} ' || {} || '% (' || {} || '/' || {} || ' sessions)' || {}",
                percent_tenths(d, &format!("m{num}"), &format!("m{den}")),
                d.text(&format!("m{num}")),
                d.text(&format!("m{den}")),
                window_text(d, metrics, den)
            );
            (format!("({})", tests.join(" AND ")), text)
        }
        Atom::Count { metric, range } => {
            let (col, text) = count_text(d, metrics, metric)?;
            let mut test = format!("{col} >= {}", range.lo);
            if let Some(hi) = range.hi {
                test.push_str(&format!(" AND {col} <= {hi}"));
            }
            (format!("({test})"), text)
        }
        Atom::Share {
            lhs,
            op,
            percent,
            rhs,
        } => {
            let (l, lt) = count_text(d, metrics, lhs)?;
            let (r, rt) = count_text(d, metrics, rhs)?;
            (
                format!(
                    "({} * {} {} {} * {})",
                    big(&l),
                    Percent::SCALE,
                    compare(*op),
                    percent.0,
                    big(&r)
                ),
                format!("{lt} || '; ' || {rt}"),
            )
        }
        Atom::Flag { flag, value } => {
            let column = match flag {
                PupilFlag::Sen => "(sen <> 'N')",
                PupilFlag::SenSupport => "(sen = 'K')",
                PupilFlag::EhcPlan => "(sen = 'E')",
                PupilFlag::Fsm => "fsm",
                PupilFlag::SocialWorker => "social_worker",
                PupilFlag::LookedAfter => "looked_after",
                PupilFlag::ChildProtectionPlan => "child_protection_plan",
                PupilFlag::CompulsorySchoolAge => "csa",
            };
            let text = if *value {
                format!("'pupil.{}'", flag.keyword())
            } else {
                format!("'not pupil.{}'", flag.keyword())
            };
            (
                format!("({column} = {})", if *value { "TRUE" } else { "FALSE" }),
                text,
            )
        }
        Atom::YearGroup { range } => {
            let mut test = format!("year_number >= {}", range.lo);
            if let Some(hi) = range.hi {
                test.push_str(&format!(" AND year_number <= {hi}"));
            }
            (
                format!("({test})"),
                format!(
                    "'pupil.year_group ' || COALESCE({}, 'unknown')",
                    d.text("year_number")
                ),
            )
        }
        Atom::Stage { lo, hi, .. } => match scope.stage {
            Some(col) => {
                let names: Vec<String> = scope
                    .stage_names
                    .iter()
                    .enumerate()
                    .map(|(i, n)| format!("WHEN {i} THEN {}", d.quote(n)))
                    .collect();
                let name = if names.is_empty() {
                    "''".to_string()
                } else {
                    format!("CASE {col} {} ELSE '' END", names.join(" "))
                };
                (
                    format!("({col} BETWEEN {lo} AND {hi})"),
                    format!("'pupil.stage ' || {name}"),
                )
            }
            None => return Err(Unsupported("`pupil.stage`".into())),
        },
        Atom::Period { per, range } => {
            let (col, name) = match per {
                crate::model::Period::HalfTerm => ("half_term_in_year", "half-term"),
                crate::model::Period::Term => ("term_in_year", "term"),
                crate::model::Period::Year => ("1", "year"),
            };
            let mut test = format!("{col} >= {}", range.lo);
            if let Some(hi) = range.hi {
                test.push_str(&format!(" AND {col} <= {hi}"));
            }
            (
                format!("({test})"),
                format!("'{name} ' || {} || ' of ' || year_label", d.text(col)),
            )
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_tenths_rounds_half_up_in_integers() {
        // 2/3 = 66.666..% -> (2*2000 + 3) div 6 = 667 tenths -> "66.7".
        let sql = percent_tenths(Dialect::DuckDb, "n", "d");
        assert!(sql.contains(
            "((CAST(n AS BIGINT) * 2000 + CAST(d AS BIGINT)) // (2 * CAST(d AS BIGINT)))"
        ));
        assert!(sql.starts_with("CASE WHEN d = 0 THEN ''"));
    }
}
