//! The counts rules read: every distinct session count (by class or by code) a column of
//! per-day counts, every (count, window) a metric read by subtracting running totals, every
//! `consecutive_days` a run carried by running totals over the school days.

use std::fmt::Write as _;

use super::dialect::Dialect;
use crate::model::{CodeSet, CountMetric, SessionClass, Window};
use crate::table::{Atom, DecisionTable};

/// Sessions counted by the class or code of their mark.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Counter {
    Class(SessionClass),
    Codes(CodeSet),
}

/// The counts, windows, metrics and runs of a table.
#[derive(Clone, Debug, Default)]
pub struct Metrics {
    pub counters: Vec<Counter>,
    pub windows: Vec<Window>,
    /// (counter, window): column `mN` of `day_values`.
    pub metrics: Vec<(usize, usize)>,
    /// The code sets of `consecutive_days`: columns `runN`, `extN`, `run_startN`.
    pub runs: Vec<CodeSet>,
    /// The days triggers are looked at (`at end of term`): calendar columns `lookN`.
    pub looks: Vec<crate::model::LookedAt>,
    /// Where `notices_issued(N years)` may be read (the walk over a pupil's days that follows
    /// the notices asked for): the N read, as columns `noticesN`; `None` elsewhere.
    pub notices: Option<Vec<u32>>,
    /// When the notices are counted before the rules (src/sql/asked.rs): the N read, as
    /// columns `noticesN` of `noticed_values`, which the rules then read for `day_values`.
    pub counted: Option<Vec<u32>>,
}

impl Metrics {
    /// Every metric the table's rows and measures read, the year-to-date summary figures first
    /// (possible, present, authorised, unauthorised: metrics 0 to 3).
    pub fn of(table: &DecisionTable) -> Metrics {
        let mut m = Metrics::default();
        for class in [
            SessionClass::Possible,
            SessionClass::Present,
            SessionClass::Authorised,
            SessionClass::Unauthorised,
        ] {
            m.metric(Counter::Class(class), Window::YearToDate);
        }
        let rows = table.rows.iter().flat_map(|r| {
            std::iter::once(&r.when)
                .chain(r.guard.iter().flatten())
                .chain(r.also.iter().flatten())
        });
        let measures = table
            .measures
            .persistent
            .iter()
            .chain(&table.measures.severe);
        for atoms in rows.chain(measures) {
            for atom in atoms {
                m.atom(atom);
            }
        }
        m
    }

    fn atom(&mut self, atom: &Atom) {
        match atom {
            Atom::Ratio { metric, window, .. } => {
                self.metric(Counter::Class(metric.numerator()), *window);
                self.metric(Counter::Class(SessionClass::Possible), *window);
            }
            Atom::Count { metric, .. } => {
                self.value(metric);
            }
            Atom::Share { lhs, rhs, .. } => {
                self.value(lhs);
                self.value(rhs);
            }
            _ => {}
        }
    }

    /// The column a count reads: `mN` for a metric, `runN` for a run; `None` for a count the
    /// data cannot give (penalty notices).
    pub fn value(&mut self, metric: &CountMetric) -> Option<String> {
        match metric {
            CountMetric::Sessions { class, window } => {
                Some(format!("m{}", self.metric(Counter::Class(*class), *window)))
            }
            CountMetric::Codes { codes, window } => Some(format!(
                "m{}",
                self.metric(Counter::Codes(codes.clone()), *window)
            )),
            CountMetric::ConsecutiveDays { codes } => Some(format!("run{}", self.run(codes))),
            CountMetric::NoticesIssued { years } => {
                let read = match &mut self.counted {
                    Some(counted) => counted,
                    None => self.notices.as_mut()?,
                };
                if !read.contains(years) {
                    read.push(*years);
                }
                Some(format!("notices{years}"))
            }
        }
    }

    pub fn metric(&mut self, counter: Counter, window: Window) -> usize {
        let c = position_or_push(&mut self.counters, counter);
        let w = position_or_push(&mut self.windows, window);
        position_or_push(&mut self.metrics, (c, w))
    }

    /// The table of the days the rules read: `day_values`, or with the notices counted
    /// before the rules, `noticed_values`.
    pub fn day_values(&self) -> &'static str {
        match self.counted {
            Some(_) => super::asked::NOTICED_VALUES,
            None => "day_values",
        }
    }

    /// Whether `notices_issued(...)` is a column of the days the rules read, not the walk's.
    pub fn notices_counted(&self) -> bool {
        self.counted.is_some()
    }

    pub fn look(&mut self, looked_at: crate::model::LookedAt) -> usize {
        position_or_push(&mut self.looks, looked_at)
    }

    pub fn run(&mut self, codes: &CodeSet) -> usize {
        position_or_push(&mut self.runs, codes.clone())
    }

    /// The window a metric column is counted over.
    pub fn window_of(&self, metric: usize) -> usize {
        self.metrics.get(metric).map_or(0, |(_, w)| *w)
    }
}

fn position_or_push<T: PartialEq>(list: &mut Vec<T>, item: T) -> usize {
    match list.iter().position(|x| *x == item) {
        Some(i) => i,
        None => {
            list.push(item);
            list.len() - 1
        }
    }
}

fn codes_list(d: Dialect, codes: &CodeSet) -> String {
    codes
        .0
        .iter()
        .map(|c| d.quote(c))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The marks, the span of the data, the days each pupil is on roll, and per pupil and school
/// day of the span: the counts, running totals, runs and metrics (`day_values`, on-roll
/// days only).
pub fn data(out: &mut String, d: Dialect, metrics: &Metrics, school_days: usize) {
    let _ = writeln!(
        out,
        "-- Each mark with its class, by the version of its code in force on its date; `-` (no\n\
         -- mark) matches no code."
    );
    let _ = writeln!(out, "{}", d.create("marks"));
    let _ = writeln!(
        out,
        "SELECT r.pupil_id, c.day, r.mark, k.possible, k.present, k.absent, k.authorised, k.unauthorised\n\
         FROM register AS r\n\
         JOIN calendar AS c ON c.date = CAST(r.date AS DATE)\n\
         JOIN code_classes AS k ON k.code = r.mark\n  \
         AND (k.valid_from IS NULL OR k.valid_from <= c.date)\n  \
         AND (k.valid_to IS NULL OR c.date <= k.valid_to);\n"
    );
    let _ = writeln!(
        out,
        "-- The first and last school day with a mark for any pupil."
    );
    let _ = writeln!(out, "{}", d.create_inline("span"));
    let _ = writeln!(
        out,
        "SELECT MIN(day) AS first_day, MAX(day) AS last_day FROM marks;\n"
    );
    let _ = writeln!(
        out,
        "-- The school days each pupil is on roll, from_day <= day < to_day: from admission to\n\
         -- leaving, within the span."
    );
    let _ = writeln!(out, "{}", d.create("roll"));
    let _ = writeln!(
        out,
        "SELECT i.pupil_id,\n  \
         GREATEST(s.first_day, COALESCE(f.n, 0)) AS from_day,\n  \
         LEAST(s.last_day + 1, CASE WHEN a.leaving IS NULL THEN {school_days} ELSE COALESCE(t.n, 0) END) AS to_day\n\
         FROM (SELECT pupil_id FROM register UNION SELECT pupil_id FROM pupils) AS i\n\
         CROSS JOIN span AS s\n\
         LEFT JOIN pupil_attributes AS a ON a.pupil_id = i.pupil_id\n\
         LEFT JOIN (SELECT a.pupil_id, COUNT(*) AS n FROM pupil_attributes AS a\n  \
         JOIN calendar AS c ON c.date < a.admission GROUP BY a.pupil_id) AS f ON f.pupil_id = i.pupil_id\n\
         LEFT JOIN (SELECT a.pupil_id, COUNT(*) AS n FROM pupil_attributes AS a\n  \
         JOIN calendar AS c ON c.date <= a.leaving GROUP BY a.pupil_id) AS t ON t.pupil_id = i.pupil_id;\n"
    );
    // Per-day counts: one column per counter, and per run the possible sessions in its set.
    let mut counts = Vec::new();
    for (i, counter) in metrics.counters.iter().enumerate() {
        let expr = match counter {
            Counter::Class(class) => format!("m.{}", class.keyword()),
            Counter::Codes(codes) => format!(
                "CASE WHEN m.mark IN ({}) THEN 1 ELSE 0 END",
                codes_list(d, codes)
            ),
        };
        let what = match counter {
            Counter::Class(class) => format!("{} sessions", class.keyword()),
            Counter::Codes(codes) => format!("sessions marked {codes}"),
        };
        counts.push(format!(
            "  -- c{i}: {what}\n  COALESCE(SUM({expr}), 0) AS c{i}"
        ));
    }
    for (r, codes) in metrics.runs.iter().enumerate() {
        counts.push(format!(
            "  -- in{r}: possible sessions marked {codes}\n  COALESCE(SUM(CASE WHEN m.possible = 1 AND m.mark IN ({}) THEN 1 ELSE 0 END), 0) AS in{r}",
            codes_list(d, codes)
        ));
    }
    let _ = writeln!(
        out,
        "-- Per pupil and school day of the span, on roll or not: the day's counts."
    );
    let _ = writeln!(out, "{}", d.create_inline("pupil_days"));
    let _ = writeln!(
        out,
        "SELECT r.pupil_id, c.day, r.from_day, r.to_day,\n{}\n\
         FROM roll AS r\n\
         CROSS JOIN span AS s\n\
         JOIN calendar AS c ON c.day BETWEEN s.first_day AND s.last_day\n\
         LEFT JOIN marks AS m ON m.pupil_id = r.pupil_id AND m.day = c.day\n\
         GROUP BY r.pupil_id, c.day, r.from_day, r.to_day;\n",
        counts.join(",\n")
    );
    // Running totals; a run of consecutive days grows on a day whose possible sessions are
    // all in its set, breaks on a day with a possible session outside it, and is left alone
    // by a day with no possible session.
    let possible = metrics
        .counters
        .iter()
        .position(|c| *c == Counter::Class(SessionClass::Possible))
        .unwrap_or(0);
    let upto = "OVER (PARTITION BY pupil_id ORDER BY day ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)";
    let mut totals: Vec<String> = (0..metrics.counters.len())
        .map(|i| format!("SUM(c{i}) {upto} AS k{i}"))
        .collect();
    let mut flags = Vec::new();
    let mut runs = Vec::new();
    let mut starts = Vec::new();
    for r in 0..metrics.runs.len() {
        flags.push(format!(
            "CASE WHEN c{possible} > 0 AND in{r} = c{possible} THEN 1 ELSE 0 END AS ext{r},\n  \
             CASE WHEN c{possible} > 0 AND in{r} < c{possible} THEN 1 ELSE 0 END AS brk{r}"
        ));
        totals.push(format!("SUM(brk{r}) {upto} AS g{r}"));
        runs.push(format!(
            "SUM(ext{r}) OVER (PARTITION BY pupil_id, g{r} ORDER BY day ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS run{r}"
        ));
        // The day the current run (or, between runs, the last one) began.
        starts.push(format!(
            "COALESCE(MAX(CASE WHEN ext{r} = 1 AND run{r} = 1 THEN day END) {upto}, 0) AS run_start{r}"
        ));
    }
    let flags = if flags.is_empty() {
        String::new()
    } else {
        format!(",\n  {}", flags.join(",\n  "))
    };
    let layer = |cols: &[String]| {
        if cols.is_empty() {
            String::new()
        } else {
            format!(",\n  {}", cols.join(",\n  "))
        }
    };
    let _ = writeln!(
        out,
        "-- Running totals of the counts (kN), and the runs of consecutive days: a day whose\n\
         -- possible sessions all have a code of the set extends a run (extN), one with another\n\
         -- possible session breaks it (brkN), one with no possible session leaves it alone."
    );
    let _ = writeln!(out, "{}", d.create("pupil_totals"));
    let _ = writeln!(
        out,
        "SELECT *{}\nFROM (SELECT *{}\n  FROM (SELECT *{}\n    FROM (SELECT *{flags}\n      FROM pupil_days) AS x) AS y) AS z;\n",
        layer(&starts),
        layer(&runs),
        layer(&totals),
    );
    // A metric is the running total on the day less the total the day before its window.
    let mut values = Vec::new();
    let mut joins = Vec::new();
    for (w, window) in metrics.windows.iter().enumerate() {
        values.push(format!(
            "GREATEST(c.w{w}_start, s.first_day) AS w{w}_from,\n  cw{w}.date AS w{w}_from_date"
        ));
        joins.push(format!(
            "LEFT JOIN pupil_totals AS q{w} ON q{w}.pupil_id = p.pupil_id AND q{w}.day = GREATEST(c.w{w}_start, s.first_day) - 1\n\
             JOIN calendar AS cw{w} ON cw{w}.day = GREATEST(c.w{w}_start, s.first_day) -- {window}"
        ));
    }
    for (m, (c, w)) in metrics.metrics.iter().enumerate() {
        values.push(format!("p.k{c} - COALESCE(q{w}.k{c}, 0) AS m{m}"));
    }
    for r in 0..metrics.runs.len() {
        values.push(format!(
            "p.run{r}, p.ext{r}, p.run_start{r}, cr{r}.date AS run_start_date{r}"
        ));
        joins.push(format!(
            "JOIN calendar AS cr{r} ON cr{r}.day = p.run_start{r}"
        ));
    }
    let _ = writeln!(
        out,
        "-- Per pupil and school day on roll: the metrics (mN, counter over window) and runs,\n\
         -- with the pupil's attributes and whether the day is in compulsory school age."
    );
    for (m, (c, w)) in metrics.metrics.iter().enumerate() {
        let _ = writeln!(out, "--   m{m}: c{c} over w{w} ({})", metrics.windows[*w]);
    }
    // Where the notices are counted before the rules, the days are read twice (by what
    // counts them, then by `noticed_values`): a table, not a view Spark would compute again.
    let _ = writeln!(
        out,
        "{}",
        if metrics.notices_counted() {
            d.create("day_values")
        } else {
            d.create_inline("day_values")
        }
    );
    let _ = writeln!(
        out,
        "SELECT p.pupil_id, p.day, c.date, c.week, c.half_term, c.term, c.year, c.first_of_week,\n  \
         c.half_term_in_year, c.term_in_year, c.year_label,{}\n  \
         a.fsm, a.social_worker, a.looked_after, a.child_protection_plan, a.sen, a.year_number,\n  \
         CASE WHEN a.csa_from IS NULL THEN NULL ELSE (a.csa_from <= c.date AND c.date <= a.csa_to) END AS csa,\n  \
         {}\n\
         FROM pupil_totals AS p\n\
         CROSS JOIN span AS s\n\
         JOIN calendar AS c ON c.day = p.day\n\
         LEFT JOIN pupil_attributes AS a ON a.pupil_id = p.pupil_id\n\
         {}\n\
         WHERE p.day >= p.from_day AND p.day < p.to_day;\n",
        (0..metrics.looks.len())
            .map(|j| format!(" c.look{j},"))
            .collect::<String>(),
        values.join(",\n  "),
        joins.join("\n")
    );
}
