//! Differential test: the engine against a deliberately naive reference written here, which
//! recomputes every metric from scratch on every school day by scanning the calendar. Random
//! calendars (one or two academic years, terms, half-terms, INSET days) and random registers;
//! the two must agree exactly on every action and every summary figure.

use std::collections::BTreeSet;

use attend::codes::{self, MarkClass};
use attend::engine;
use attend::register::{self, Input, ReadOptions};
use attend::source::Source;
use attend::table::SchoolDays;
use chrono::{Datelike, Days, NaiveDate};
use proptest::prelude::*;

const POLICY: &str = r#"policy "differential" {
  trigger "rolling" when unauthorised(rolling 3 school_weeks) >= 4 then contact
  trigger "ytd" when attendance(year_to_date) < 90% then home_visit
  trigger "term" when absent(this_term) >= 6 then support once per term
  trigger "half" when count({L, U}, this_half_term) >= 2 then contact once per half_term
  trigger "last" when possible(last 5 school_days) <= 6 then contact
  trigger "every" when authorised(rolling 2 school_weeks) >= 2 then contact repeat every 2 school_weeks
  trigger "spaced" when absent(rolling 2 school_weeks) >= 3 then review not again within 2 school_weeks
  bands "rolling" attendance over rolling 2 school_weeks {
    band good "85% and above" 85% and above
    band poor "below 85%" below 85% on enter: refer early_help once per term
  }
  escalation "run" days marked {G, N, O} {
    day 2: contact
    day 4: home_visit
  }
}
"#;

const CODES: [&str; 14] = [
    "/", "\\", "/", "\\", "L", "U", "N", "O", "G", "I", "M", "X", "Y1", "#",
];

/// An academic year: terms (start, end) and closures (start, end, is a half-term).
type Year = (
    Vec<(NaiveDate, NaiveDate)>,
    Vec<(NaiveDate, NaiveDate, bool)>,
);
/// Fired (date, pupil, rule), and each pupil's year-to-date figures.
type Results = (BTreeSet<(String, String, String)>, Vec<(String, [u32; 4])>);
type Marks = std::collections::HashMap<(String, NaiveDate), [String; 2]>;

/// A tiny deterministic generator, so one `u64` describes a whole case.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

struct Case {
    calendar: String,
    /// Academic years: terms (start, end) and closures (start, end, is half-term).
    years: Vec<Year>,
    register: String,
    pupils: Vec<String>,
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
}

fn case(seed: u64) -> Case {
    let mut rng = Rng(seed | 1);
    let mut years = Vec::new();
    let mut text = String::new();
    for y in 0..(1 + rng.below(2)) as i32 {
        let mut terms = Vec::new();
        let mut closures = Vec::new();
        let mut start = day(2024 + y, 9, 2) + Days::new(rng.below(4));
        text.push_str(&format!("calendar \"{}-{}\" {{\n", 2024 + y, 25 + y));
        for _ in 0..(2 + rng.below(2)) {
            let end = start + Days::new(14 + rng.below(30));
            text.push_str(&format!("  term t{} {start} .. {end}\n", terms.len()));
            if rng.below(2) == 0 {
                let h = start + Days::new(5 + rng.below(7));
                let h_end = h + Days::new(4);
                if h_end < end {
                    text.push_str(&format!("  half_term {h} .. {h_end}\n"));
                    closures.push((h, h_end, true));
                }
            }
            if rng.below(2) == 0 {
                let inset = start + Days::new(rng.below(10));
                text.push_str(&format!("  inset {inset}\n"));
                closures.push((inset, inset, false));
            }
            terms.push((start, end));
            start = end + Days::new(7 + rng.below(20));
        }
        text.push_str("}\n");
        years.push((terms, closures));
    }
    let mut register = String::from("pupil_id,date,session,mark\n");
    let pupils: Vec<String> = (0..(1 + rng.below(3))).map(|i| format!("P{i}")).collect();
    let school = school_days(&years);
    // Registers taken so far: two cases in three stop at a random school day, with only some
    // of that day taken: the morning of some pupils (no afternoon yet), or every morning and
    // some pupils' afternoons (a class not yet marked). Nothing before it is ever missing.
    // (The first day is always taken, so every pupil is in the register.)
    let cut = match rng.below(3) {
        0 => None,
        _ if school.len() < 2 => None,
        _ => Some((
            1 + rng.below(school.len() as u64 - 1) as usize,
            rng.below(2) == 0,
        )),
    };
    for p in &pupils {
        // Each pupil has their own mix of codes, so some reach thresholds and some do not.
        let bias = rng.below(4);
        for (i, (d, ..)) in school.iter().enumerate() {
            let taken = |session: &str, rng: &mut Rng| match cut {
                Some((c, _)) if i > c => false,
                Some((c, true)) if i == c => session == "AM" && rng.below(4) != 0,
                Some((c, false)) if i == c => session == "AM" || rng.below(2) == 0,
                _ => true,
            };
            for session in ["AM", "PM"] {
                if !taken(session, &mut rng) {
                    continue;
                }
                let r = rng.below(20);
                let code = match bias {
                    // A pupil mostly away without a reason: long runs of G, N and O.
                    0 => ["N", "O", "G", "N", "O", "G", "/", "Y1"][rng.below(8) as usize],
                    _ if r < 8 + bias * 3 => CODES[rng.below(4) as usize],
                    _ => CODES[rng.below(CODES.len() as u64) as usize],
                };
                register.push_str(&format!("{p},{d},{session},{code}\n"));
            }
        }
    }
    Case {
        calendar: text,
        years,
        register,
        pupils,
    }
}

/// The naive calendar: every date, one at a time. (date, academic year, term, half-term key).
fn school_days(years: &[Year]) -> Vec<(NaiveDate, usize, usize, usize)> {
    let closures: Vec<_> = years.iter().flat_map(|y| y.1.iter().copied()).collect();
    let mut out = Vec::new();
    let mut term_no = 0;
    for (y, (terms, _)) in years.iter().enumerate() {
        for (start, end) in terms {
            let mut d = *start;
            while d <= *end {
                let weekend = d.weekday().number_from_monday() > 5;
                if !weekend && !closures.iter().any(|(a, b, _)| *a <= d && d <= *b) {
                    let half = closures
                        .iter()
                        .filter(|(a, b, h)| *h && *b < d && *a > *start)
                        .count();
                    out.push((d, y, term_no, half));
                }
                d = d + Days::new(1);
            }
            term_no += 1;
        }
    }
    out
}

fn monday(d: NaiveDate) -> NaiveDate {
    d - Days::new(u64::from(d.weekday().num_days_from_monday()))
}

/// Every rule's firing days and the summary, recomputed from scratch each day.
fn reference(case: &Case) -> Results {
    let all_days = school_days(&case.years);
    let days = &all_days;
    let mut marks: Marks = std::collections::HashMap::new();
    for line in case.register.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let d = NaiveDate::parse_from_str(f[1], "%Y-%m-%d").unwrap_or(NaiveDate::MIN);
        let entry = marks
            .entry((f[0].to_string(), d))
            .or_insert_with(|| [String::new(), String::new()]);
        entry[usize::from(f[2] == "PM")] = f[3].to_string();
    }
    let class = |code: &str, d: NaiveDate| {
        codes::table()
            .lookup(code, d)
            .map_or(MarkClass::NotCounted, |i| i.class)
    };
    // The register ends on the last school day on which any session is taken; the sessions
    // of that day with no mark are not yet taken, so (like every unmarked session here) they
    // count as nothing: not possible, neither extending nor breaking a run.
    let Some(last) = (0..days.len()).rev().find(|i| {
        case.pupils
            .iter()
            .any(|p| marks.contains_key(&(p.clone(), days[*i].0)))
    }) else {
        return (BTreeSet::new(), Vec::new());
    };
    let mut fired = BTreeSet::new();
    let mut summary = Vec::new();
    for p in &case.pupils {
        let sessions = |i: usize| -> Vec<(String, MarkClass)> {
            let d = days[i].0;
            marks
                .get(&(p.clone(), d))
                .map(|m| m.iter().map(|c| (c.clone(), class(c, d))).collect())
                .unwrap_or_default()
        };
        // Count sessions over school days `i` in the window at day `t`.
        let count = |t: usize,
                     in_window: &dyn Fn(usize) -> bool,
                     what: &dyn Fn(&str, MarkClass) -> bool|
         -> u32 {
            (0..=t)
                .filter(|i| in_window(*i))
                .map(|i| sessions(i).iter().filter(|(c, k)| what(c, *k)).count() as u32)
                .sum()
        };
        let weeks_back = |t: usize, n: usize| {
            let mut mondays: Vec<NaiveDate> = (0..=t).map(|i| monday(days[i].0)).collect();
            mondays.dedup();
            let keep: Vec<NaiveDate> = mondays.iter().rev().take(n).copied().collect();
            move |i: usize| keep.contains(&monday(days[i].0))
        };
        let possible = |_: &str, k: MarkClass| k.is_possible();
        let (mut held, mut last_fired): ([bool; 7], [Option<usize>; 7]) = ([false; 7], [None; 7]);
        // The band held over the rolling two school weeks (none while there is no possible
        // session), and the day `poor`'s entry actions last fired.
        let (mut band, mut poor_fired): (Option<&str>, Option<usize>) = (None, None);
        for t in 0..=last {
            let (d, year, term, half) = days[t];
            let ytd = |i: usize| days[i].1 == year;
            let present = count(t, &ytd, &|_, k| k.is_present());
            let poss = count(t, &ytd, &possible);
            let run = {
                let mut n = 0;
                for i in (0..=t).rev() {
                    let s: Vec<_> = sessions(i)
                        .into_iter()
                        .filter(|(_, k)| k.is_possible())
                        .collect();
                    if s.is_empty() {
                        continue;
                    }
                    if s.iter().all(|(c, _)| ["G", "N", "O"].contains(&c.as_str())) {
                        n += 1
                    } else {
                        break;
                    }
                }
                n
            };
            let today: Vec<_> = sessions(t)
                .into_iter()
                .filter(|(_, k)| k.is_possible())
                .collect();
            let extended = !today.is_empty()
                && today
                    .iter()
                    .all(|(c, _)| ["G", "N", "O"].contains(&c.as_str()));
            let conditions = [
                count(t, &weeks_back(t, 3), &|_, k| k == MarkClass::Unauthorised) >= 4,
                poss > 0 && present * 100 < 90 * poss,
                count(t, &|i| days[i].2 == term, &|_, k| k.is_absent()) >= 6,
                count(t, &|i| days[i].2 == term && days[i].3 == half, &|c, _| {
                    c == "L" || c == "U"
                }) >= 2,
                count(t, &|i| i + 5 > t, &possible) <= 6,
                count(t, &weeks_back(t, 2), &|_, k| k == MarkClass::Authorised) >= 2,
                count(t, &weeks_back(t, 2), &|_, k| k.is_absent()) >= 3,
            ];
            let names = ["rolling", "ytd", "term", "half", "last", "every", "spaced"];
            let week_of = |i: usize| {
                let mut m: Vec<NaiveDate> = (0..=i).map(|j| monday(days[j].0)).collect();
                m.dedup();
                m.len()
            };
            for (r, now) in conditions.iter().enumerate() {
                let fires = *now
                    && match r {
                        2 => last_fired[r].is_none_or(|l| days[l].2 != term),
                        3 => last_fired[r].is_none_or(|l| (days[l].2, days[l].3) != (term, half)),
                        5 => !held[r] || last_fired[r].is_none_or(|l| week_of(t) >= week_of(l) + 2),
                        // Not again within 2 school weeks: a rising edge, and the last firing
                        // at least 2 school weeks back.
                        6 => !held[r] && last_fired[r].is_none_or(|l| week_of(t) >= week_of(l) + 2),
                        _ => !held[r],
                    };
                if fires {
                    fired.insert((d.to_string(), p.clone(), names[r].to_string()));
                    last_fired[r] = Some(t);
                }
                held[r] = *now;
            }
            // The band over the rolling two school weeks: entering `good` (no actions, no limit)
            // is recorded every time; entering `poor` refers at most once per term.
            let (p2, poss2) = (
                count(t, &weeks_back(t, 2), &|_, k| k.is_present()),
                count(t, &weeks_back(t, 2), &possible),
            );
            let now = (poss2 > 0).then(|| {
                if p2 * 100 >= 85 * poss2 {
                    "good"
                } else {
                    "poor"
                }
            });
            if now != band {
                if now == Some("good") {
                    fired.insert((d.to_string(), p.clone(), "good".to_string()));
                }
                if now == Some("poor") && poor_fired.is_none_or(|l| days[l].2 != term) {
                    fired.insert((d.to_string(), p.clone(), "poor".to_string()));
                    poor_fired = Some(t);
                }
                band = now;
            }
            if extended && (run == 2 || run == 4) {
                fired.insert((d.to_string(), p.clone(), format!("run{run}")));
            }
        }
        let ytd = |i: usize| days[i].1 == days[last].1;
        summary.push((
            p.clone(),
            [
                count(last, &ytd, &possible),
                count(last, &ytd, &|_, k| k.is_present()),
                count(last, &ytd, &|_, k| k == MarkClass::Authorised),
                count(last, &ytd, &|_, k| k == MarkClass::Unauthorised),
            ],
        ));
    }
    (fired, summary)
}

fn engine_result(case: &Case) -> Result<Results, String> {
    let policy = Source::new("differential.policy", POLICY);
    let calendar = Source::new("differential.calendar", case.calendar.clone());
    let analysis = attend::analyse(&policy, Some(&calendar));
    let checked = analysis.checked.ok_or_else(|| {
        format!(
            "{:?}",
            analysis
                .diagnostics
                .iter()
                .map(|d| &d.message)
                .collect::<Vec<_>>()
        )
    })?;
    let (table, _) = attend::table::compile(&checked);
    let days = SchoolDays::new(&table.calendar);
    let input = Input::bytes("register.csv", case.register.clone().into_bytes());
    let register = register::read_register(
        &input,
        &table.calendar,
        &days,
        None,
        None,
        &ReadOptions::default(),
    )
    .map_err(|p| p.iter().map(ToString::to_string).collect::<String>())?;
    let outcome = engine::run(&table, &days, &register);
    let mut fired = BTreeSet::new();
    for f in &outcome.fired {
        let row = &table.rows[f.row];
        let rule = match &row.event {
            attend::table::Event::ReachDay(k) => format!("run{k}"),
            _ => row.rule.clone(),
        };
        fired.insert((
            days.date(f.day).to_string(),
            register.id(f.pupil).to_string(),
            rule,
        ));
    }
    let summary = register
        .ids()
        .zip(&outcome.summary)
        .map(|(p, s)| {
            (
                p.to_string(),
                [s.possible, s.present, s.authorised, s.unauthorised],
            )
        })
        .collect();
    Ok((fired, summary))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]
    #[test]
    fn engine_agrees_with_naive_reference(seed in any::<u64>()) {
        let case = case(seed);
        let engine = engine_result(&case).map_err(TestCaseError::fail)?;
        let reference = reference(&case);
        prop_assert_eq!(engine.1, reference.1, "summary differs\n{}", case.calendar);
        prop_assert_eq!(engine.0, reference.0, "actions differ\n{}", case.calendar);
    }
}

/// The random cases are not vacuous: over a few seeds every rule fires somewhere.
#[test]
fn cases_exercise_every_rule() {
    let mut rules = BTreeSet::new();
    for seed in 1..30u64 {
        let case = case(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        if let Ok((fired, _)) = engine_result(&case) {
            rules.extend(fired.into_iter().map(|(_, _, rule)| rule));
        }
    }
    let all: BTreeSet<String> = [
        "every", "good", "half", "last", "poor", "rolling", "run2", "run4", "spaced", "term", "ytd",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(rules, all);
}
