//! A walk over each pupil's school days on roll, carrying state from one day to the next: what
//! window functions cannot say (a ladder's stage, a support plan's floor). DuckDB runs it as a
//! recursive query; Spark, which has none (4.0) or runs one job per step (4.1), as one fold
//! (`aggregate`) over each pupil's days collected in order, in a single job.

use std::fmt::Write as _;

use super::dialect::Dialect;

/// A value carried from one school day to the next, read as `p_{name}`.
pub struct Carried {
    pub name: String,
    /// Its SQL type (Spark's fold needs one type for every day's value).
    pub ty: &'static str,
    /// Its value before the pupil's first day.
    pub first: String,
    /// The column of the day's step that holds it for the next day.
    pub next: String,
}

/// One walk: its step is a list of levels, each a list of `(column, expression)` over the
/// day's inputs, the carried values (`p_{name}`) and the columns of earlier levels.
pub struct Walk {
    /// The table the walk makes: `{prefix}pupil`, `{prefix}seq` and its outputs, one row per
    /// day.
    pub table: String,
    pub prefix: String,
    /// The table of days it walks: `pupil_id`, `seq` (1, 2, ... per pupil, in day order) and
    /// the inputs.
    pub days: String,
    pub seq: String,
    /// The columns of `days` the step reads (besides `pupil_id` and `seq`).
    pub inputs: Vec<String>,
    pub carried: Vec<Carried>,
    pub levels: Vec<Vec<(String, String)>>,
    /// Each day's outputs: their name, type and expression (a column of the step).
    pub outputs: Vec<(String, &'static str, String)>,
}

impl Walk {
    /// The statement that makes the walk's table.
    pub fn write(&self, out: &mut String, d: Dialect) {
        let _ = writeln!(out, "{}", d.create(&self.table));
        match d {
            Dialect::DuckDb => self.recursive(out),
            Dialect::Spark => self.fold(out),
        }
    }

    /// DuckDB: `WITH RECURSIVE`, each step a query nested level by level.
    fn recursive(&self, out: &mut String) {
        let step = |from: &str, prev: &[String]| {
            let mut query = format!("SELECT i.*, {}\n    {from}", prev.join(", "));
            for (k, level) in self.levels.iter().enumerate() {
                let cols: Vec<String> = level
                    .iter()
                    .map(|(name, expr)| format!("{expr} AS {name}"))
                    .collect();
                query = format!(
                    "SELECT *,\n    {}\n    FROM ({query}) AS l{k}",
                    cols.join(",\n    ")
                );
            }
            let outputs: Vec<String> = self
                .outputs
                .iter()
                .map(|(name, _, expr)| {
                    if expr == name {
                        name.clone()
                    } else {
                        format!("{expr} AS {name}")
                    }
                })
                .chain(
                    self.carried
                        .iter()
                        .map(|c| format!("{} AS n_{}", c.next, c.name)),
                )
                .collect();
            format!(
                "SELECT pupil_id AS {p}pupil, {} AS {p}seq,\n    {}\n  FROM ({query}) AS z",
                self.seq,
                outputs.join(", "),
                p = self.prefix,
            )
        };
        let first: Vec<String> = self
            .carried
            .iter()
            .map(|c| format!("CAST({} AS {}) AS p_{}", c.first, c.ty, c.name))
            .collect();
        let next: Vec<String> = self
            .carried
            .iter()
            .map(|c| format!("w.n_{0} AS p_{0}", c.name))
            .collect();
        let (days, seq, p) = (&self.days, &self.seq, &self.prefix);
        let columns: Vec<String> = ["pupil", "seq"]
            .iter()
            .map(|c| format!("{p}{c}"))
            .chain(self.outputs.iter().map(|(name, _, _)| name.clone()))
            .collect();
        let _ = writeln!(
            out,
            "WITH RECURSIVE w AS (\n  {}\n  UNION ALL\n  {}\n)\nSELECT {} FROM w;\n",
            step(&format!("FROM {days} AS i WHERE i.{seq} = 1"), &first),
            step(
                &format!(
                    "FROM w JOIN {days} AS i ON i.pupil_id = w.{p}pupil AND i.{seq} = w.{p}seq + 1"
                ),
                &next
            ),
            columns.join(", "),
        );
    }

    /// Spark: each pupil's days collected in order and folded with `aggregate`, the state and
    /// the rows so far in the accumulator. Each level binds its columns with a `transform` of
    /// a one-struct array (`transform(array(named_struct(...)), v -> ...)`, Spark SQL's only
    /// `let`), each over the array the level before made.
    fn fold(&self, out: &mut String) {
        let mut known: Vec<String> = self.inputs.clone();
        known.push(self.seq.clone());
        known.extend(self.carried.iter().map(|c| format!("p_{}", c.name)));
        let mut fields: Vec<(String, String)> = std::iter::once(&self.seq)
            .chain(&self.inputs)
            .map(|c| (c.clone(), format!("x.{c}")))
            .chain(
                self.carried
                    .iter()
                    .map(|c| (format!("p_{}", c.name), format!("acc.s.{}", c.name))),
            )
            .collect();
        let struct_of = |fields: &[(String, String)]| {
            let parts: Vec<String> = fields
                .iter()
                .map(|(name, value)| format!("'{name}', {value}"))
                .collect();
            format!("named_struct({})", parts.join(", "))
        };
        // Each level as a binding of all the fields so far, the innermost last.
        let mut bindings = Vec::new();
        for (k, level) in self.levels.iter().enumerate() {
            let var = format!("v{k}");
            bindings.push((var.clone(), struct_of(&fields)));
            let mut next: Vec<(String, String)> = fields
                .iter()
                .map(|(name, _)| (name.clone(), format!("{var}.{name}")))
                .collect();
            for (name, expr) in level {
                next.push((name.clone(), qualify(expr, &known, &var)));
            }
            known.extend(level.iter().map(|(name, _)| name.clone()));
            fields = next;
        }
        let last = format!("v{}", self.levels.len());
        bindings.push((last.clone(), struct_of(&fields)));
        let state: Vec<String> = self
            .carried
            .iter()
            .map(|c| {
                format!(
                    "'{}', CAST({} AS {})",
                    c.name,
                    qualify(&c.next, &known, &last),
                    c.ty
                )
            })
            .collect();
        let p = &self.prefix;
        let row: Vec<String> =
            std::iter::once(format!("'{p}seq', CAST({last}.{} AS INT)", self.seq))
                .chain(self.outputs.iter().map(|(name, ty, expr)| {
                    format!("'{name}', CAST({} AS {ty})", qualify(expr, &known, &last))
                }))
                .collect();
        let mut body = format!(
            "named_struct('s', named_struct({}),\n      'out', concat(acc.out, array(named_struct({}))))",
            state.join(", "),
            row.join(", ")
        );
        // The levels chained, not nested: each a `transform` of the one-struct array the
        // level before made. Spark works out the type of a nested lambda's result by asking
        // the lambda inside it twice (its type and whether it can be null), so its planning
        // time doubled with each level nested: a walk of 27 levels took minutes to plan.
        let mut chain = String::new();
        for (k, (_, value)) in bindings.iter().enumerate() {
            chain = match k {
                0 => format!("array({value})"),
                _ => format!("transform({chain}, {} ->\n    {value})", bindings[k - 1].0),
            };
        }
        body = format!("transform({chain}, {last} ->\n    {body})[0]");
        let first: Vec<String> = self
            .carried
            .iter()
            .map(|c| format!("'{}', CAST({} AS {})", c.name, c.first, c.ty))
            .collect();
        let row_type: Vec<String> = std::iter::once(format!("{p}seq: INT"))
            .chain(
                self.outputs
                    .iter()
                    .map(|(name, ty, _)| format!("{name}: {ty}")),
            )
            .collect();
        let collected: Vec<&str> = std::iter::once(self.seq.as_str())
            .chain(self.inputs.iter().map(String::as_str))
            .collect();
        let _ = writeln!(
            out,
            "SELECT g.pupil_id AS {p}pupil, o.*\nFROM (SELECT pupil_id, aggregate(\n  \
             array_sort(collect_list(struct({}))),\n  \
             named_struct('s', named_struct({}),\n    'out', CAST(array() AS ARRAY<STRUCT<{}>>)),\n  \
             (acc, x) -> {body}\n  ).out AS rows\n  \
             FROM {} GROUP BY pupil_id) AS g\nLATERAL VIEW inline(g.rows) o;\n",
            collected.join(", "),
            first.join(", "),
            row_type.join(", "),
            self.days,
        );
    }
}

/// `expr` with each column of `known` read from the struct `var` (`stg0` as `v3.stg0`). Only
/// whole lower-case names outside quoted text are touched: the compiler writes keywords and
/// types in upper case and functions before `(`, so neither is taken for a column.
fn qualify(expr: &str, known: &[String], var: &str) -> String {
    let mut out = String::with_capacity(expr.len() + 16);
    let chars: Vec<char> = expr.chars().collect();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        if c == '\'' {
            // A quoted text, `''` inside it a quote.
            out.push(c);
            i += 1;
            while let Some(&q) = chars.get(i) {
                out.push(q);
                i += 1;
                if q == '\'' {
                    if chars.get(i) == Some(&'\'') {
                        out.push('\'');
                        i += 1;
                    } else {
                        break;
                    }
                }
            }
        } else if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while chars
                .get(i)
                .is_some_and(|c| c.is_ascii_alphanumeric() || *c == '_')
            {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let after_dot = start > 0 && chars.get(start - 1) == Some(&'.');
            let call = chars.get(i) == Some(&'(');
            if !after_dot && !call && known.contains(&word) {
                let _ = write!(out, "{var}.{word}");
            } else {
                out.push_str(&word);
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::qualify;

    #[test]
    fn only_known_columns_outside_quotes_are_qualified() {
        let known = vec![
            "stg0".to_string(),
            "week".to_string(),
            "p_open0".to_string(),
        ];
        assert_eq!(
            qualify(
                "CASE WHEN p_open0 IS NOT NULL AND week >= p_open0 + 2 THEN 'week stg0''s' END",
                &known,
                "v1"
            ),
            "CASE WHEN v1.p_open0 IS NOT NULL AND v1.week >= v1.p_open0 + 2 THEN 'week stg0''s' END"
        );
        // Part of a longer name, after a dot, or a function: untouched.
        assert_eq!(
            qualify("x.week + weeks + week(day) + stg0_x", &known, "v"),
            "x.week + weeks + week(day) + stg0_x"
        );
    }
}
