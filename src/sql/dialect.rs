//! The few places DuckDB, Spark SQL and PostgreSQL spell the same thing differently: how a
//! script's tables are made, integer division, text casts and date arithmetic.

use std::fmt;

/// The SQL engine a script is written for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dialect {
    DuckDb,
    Spark,
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Dialect::DuckDb => "duckdb",
            Dialect::Spark => "spark",
        })
    }
}

impl Dialect {
    /// The statement(s) that (re)make a named table from a query. Both engines materialise
    /// each step, so a later query plans only its own step: a chain of Spark views is
    /// re-analysed and re-optimised whole by every query that reads its end (minutes, or out
    /// of memory, for the action ids). Spark's session catalog cannot `CREATE OR REPLACE` a
    /// table from a query, so the last run's table is dropped first; no `USING`, so the
    /// catalog's default format is used (parquet locally, Delta on Databricks).
    pub fn create(self, name: &str) -> String {
        match self {
            Dialect::DuckDb => format!("CREATE OR REPLACE TABLE {name} AS"),
            Dialect::Spark => format!("DROP TABLE IF EXISTS {name};\nCREATE TABLE {name} AS"),
        }
    }

    /// The statement that (re)makes a lookup written out in the script (the calendar), a
    /// step cheap to compute again (the pupils' attributes), or one a single query reads.
    /// Spark keeps it a temporary view, planned inside the queries that read it, so no table
    /// is written for it (writing one costs Spark most of a second, whatever its size);
    /// DuckDB materialises it as any other.
    pub fn create_inline(self, name: &str) -> String {
        match self {
            Dialect::DuckDb => self.create(name),
            Dialect::Spark => format!("CREATE OR REPLACE TEMPORARY VIEW {name} AS"),
        }
    }

    /// Whole-number division, rounding towards zero (both operands are never negative).
    pub fn div(self, a: &str, b: &str) -> String {
        match self {
            Dialect::DuckDb => format!("(({a}) // ({b}))"),
            Dialect::Spark => format!("(({a}) div ({b}))"),
        }
    }

    /// Bitwise exclusive or of two whole numbers.
    pub fn xor(self, a: &str, b: &str) -> String {
        match self {
            Dialect::DuckDb => format!("xor({a}, {b})"),
            Dialect::Spark => format!("(({a}) ^ ({b}))"),
        }
    }

    /// The aggregate joining `x` with `sep` in the order of `order` (NULLs left out).
    pub fn join_ordered(self, x: &str, order: &str, sep: &str) -> String {
        match self {
            Dialect::DuckDb => format!("string_agg({x}, '{sep}' ORDER BY {order})"),
            Dialect::Spark => format!(
                "array_join(transform(array_sort(collect_list(CASE WHEN {x} IS NOT NULL THEN struct({order} AS o, {x} AS x) END)), e -> e.x), '{sep}')"
            ),
        }
    }

    /// A value as text, printed as `attend` prints it (a date as `2024-09-05`).
    pub fn text(self, a: &str) -> String {
        match self {
            Dialect::DuckDb => format!("CAST({a} AS VARCHAR)"),
            Dialect::Spark => format!("CAST({a} AS STRING)"),
        }
    }

    /// An ISO date (`YYYY-MM-DD`) in a text column, NULL when it is not one.
    pub fn date_of(self, a: &str) -> String {
        match self {
            Dialect::DuckDb => format!("TRY_CAST({a} AS DATE)"),
            Dialect::Spark => format!("to_date({a}, 'yyyy-MM-dd')"),
        }
    }

    /// A date `n` days before `d`.
    pub fn days_before(self, d: &str, n: &str) -> String {
        match self {
            Dialect::DuckDb => format!("(({d}) - CAST({n} AS INTEGER))"),
            Dialect::Spark => format!("date_sub({d}, {n})"),
        }
    }

    /// The date `years` years before `d`, a month end clamped (29 February to 28 February), as
    /// chrono's month arithmetic does.
    pub fn years_before(self, d: &str, years: u32) -> String {
        match self {
            Dialect::DuckDb => format!("CAST({d} - INTERVAL ({years} * 12) MONTH AS DATE)"),
            Dialect::Spark => format!("add_months({d}, -{})", years * 12),
        }
    }

    /// The day of the week of a date, Monday 0 to Sunday 6.
    pub fn weekday(self, d: &str) -> String {
        match self {
            Dialect::DuckDb => format!("(isodow({d}) - 1)"),
            Dialect::Spark => format!("((dayofweek({d}) + 5) % 7)"),
        }
    }

    /// Every match of a regular expression replaced by nothing.
    pub fn strip(self, a: &str, pattern: &str) -> String {
        match self {
            Dialect::DuckDb => format!("regexp_replace({a}, '{pattern}', '', 'g')"),
            Dialect::Spark => format!("regexp_replace({a}, '{pattern}', '')"),
        }
    }

    /// Whether text matches a regular expression (anchored by the pattern itself).
    pub fn matches(self, a: &str, pattern: &str) -> String {
        match self {
            Dialect::DuckDb => format!("regexp_matches({a}, '{pattern}')"),
            Dialect::Spark => format!("({a} RLIKE '{pattern}')"),
        }
    }

    /// A string literal: DuckDB doubles a quote; Spark escapes quotes and backslashes with a
    /// backslash (it would join two adjacent literals into one).
    pub fn quote(self, text: &str) -> String {
        match self {
            Dialect::DuckDb => format!("'{}'", text.replace('\'', "''")),
            Dialect::Spark => format!("'{}'", text.replace('\\', "\\\\").replace('\'', "\\'")),
        }
    }

    /// The text type.
    pub fn text_type(self) -> &'static str {
        match self {
            Dialect::DuckDb => "VARCHAR",
            Dialect::Spark => "STRING",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_are_doubled() {
        assert_eq!(Dialect::DuckDb.quote("it's"), "'it''s'");
        assert_eq!(Dialect::Spark.quote("it's a\\b"), "'it\\'s a\\\\b'");
    }

    #[test]
    fn division_is_spelt_per_dialect() {
        assert_eq!(Dialect::DuckDb.div("a", "b"), "((a) // (b))");
        assert_eq!(Dialect::Spark.div("a", "b"), "((a) div (b))");
    }
}
