//! The same untargeted action (`support`, `home_visit`) asked for by different people on one
//! day. The engine (src/engine/output.rs `due`) takes the requests in the order the rules
//! fired: each joins the first line of that action whose rules do not include its own and
//! whose person (the first one named) is its own or no one, else starts a line. That pass is
//! a walk over each pupil's requests (src/sql/walk.rs), however many rows ask.

use std::fmt::Write as _;

use super::dialect::Dialect;
use super::walk::{Carried, Walk};
use crate::table::DecisionTable;

/// An untargeted action different people are named for: the action, and the table rows asking
/// for it (a row once per time it asks).
pub struct Asked {
    pub action: String,
    pub rows: Vec<usize>,
}

/// The untargeted actions asked of more than one person.
pub fn asked_of_different_people(table: &DecisionTable) -> Vec<Asked> {
    let mut people: Vec<(&str, Vec<&str>)> = Vec::new();
    for row in &table.rows {
        for a in &row.actions {
            let Some(who) = a.responsible.as_deref() else {
                continue;
            };
            if a.action.contains(':') {
                continue;
            }
            match people.iter_mut().find(|(act, _)| *act == a.action) {
                Some((_, named)) if !named.contains(&who) => named.push(who),
                Some(_) => {}
                None => people.push((&a.action, vec![who])),
            }
        }
    }
    people
        .into_iter()
        .filter(|(_, named)| named.len() > 1)
        .map(|(action, _)| Asked {
            action: action.to_string(),
            rows: (0..table.rows.len())
                .flat_map(|r| {
                    table.rows[r]
                        .actions
                        .iter()
                        .filter(|a| a.action == action)
                        .map(move |_| r)
                })
                .collect(),
        })
        .collect()
}

/// `fired_actions` from `fired_requests`: the requests for the actions of `asked` given the
/// line the engine puts them on, by a walk over each pupil's requests for them (by day, action
/// and the order the rules fired; src/sql/walk.rs) carrying the day's lines for the action:
/// each line's rules (`,3,7,`: the rules' numbers below) and person (the first one named,
/// `''` for no one), both begun again on a new day or action.
pub fn groups(out: &mut String, d: Dialect, asked: &[Asked], table: &DecisionTable) {
    let mut rules: Vec<&str> = Vec::new();
    for a in asked {
        for &r in &a.rows {
            if let Some(row) = table.rows.get(r)
                && !rules.contains(&row.rule.as_str())
            {
                rules.push(&row.rule);
            }
        }
    }
    let numbers: Vec<String> = rules
        .iter()
        .enumerate()
        .map(|(k, rule)| format!("WHEN {} THEN {}", d.quote(rule), k + 1))
        .collect();
    let names: Vec<String> = asked.iter().map(|a| d.quote(&a.action)).collect();
    let text = d.text_type();
    // The lines begin again on each day and for each action, so each pupil's requests for one
    // action on one day are walked alone (`pupil_id` here): the walk is as long as the most
    // requests of one day, not of a pupil's whole register. An action's name has no `|` and a
    // day is a number, so the key is one pupil's day and action only.
    let walked =
        |t: &str| format!("{t}action || '|' || CAST({t}day AS {text}) || '|' || {t}pupil_id");
    let _ = writeln!(
        out,
        "-- The requests for each action asked of different people, per pupil, day and action in\n\
         -- the order the engine takes them (the order the rules fired): each request's rule, as\n\
         -- a number, and the person it names ('' for no one). The lines begin again each day and\n\
         -- for each action, so each such group is walked alone: its `pupil_id` is the group."
    );
    let _ = writeln!(out, "{}", d.create("request_days"));
    let _ = writeln!(
        out,
        "SELECT {} AS pupil_id, day, action, nth,\n  \
         ROW_NUMBER() OVER (PARTITION BY pupil_id, day, action ORDER BY nth) AS rseq,\n  \
         CASE rule {} ELSE 0 END AS rule_no,\n  \
         COALESCE(responsible, '') AS who\n\
         FROM fired_requests\nWHERE action IN ({});\n",
        walked(""),
        numbers.join(" "),
        names.join(", ")
    );
    // What differs between the dialects: lists (their type, empty, size, map, search, append,
    // element), and a lambda's index, from 1 on DuckDB and from 0 on Spark.
    let (strings, none, size, transform, position, at) = match d {
        Dialect::DuckDb => (
            "VARCHAR[]",
            "[]",
            "len",
            "list_transform",
            "list_position",
            "li",
        ),
        Dialect::Spark => (
            "ARRAY<STRING>",
            "array()",
            "size",
            "transform",
            "array_position",
            "li + 1",
        ),
    };
    let empty = format!("CAST({none} AS {strings})");
    let push = |list: &str, item: &str| match d {
        Dialect::DuckDb => format!("list_append({list}, {item})"),
        Dialect::Spark => format!("concat({list}, array({item}))"),
    };
    let nth_of = |list: &str| match d {
        Dialect::DuckDb => format!("{list}[li]"),
        Dialect::Spark => format!("element_at({list}, li + 1)"),
    };
    let fresh = "p_day IS NULL OR day <> p_day OR action <> p_action";
    let key = format!("',' || CAST(rule_no AS {text}) || ','");
    let levels = vec![
        vec![
            (
                "lrules".to_string(),
                format!("CASE WHEN {fresh} THEN {empty} ELSE p_lrules END"),
            ),
            (
                "lwho".to_string(),
                format!("CASE WHEN {fresh} THEN {empty} ELSE p_lwho END"),
            ),
            ("rkey".to_string(), key),
        ],
        // The first line without the request's rule whose person is its own or no one.
        vec![(
            "found".to_string(),
            format!(
                "COALESCE({position}({transform}(lrules, (ln, li) -> instr(ln, rkey) = 0 AND ({w} = '' OR who = '' OR {w} = who)), TRUE), 0)",
                w = nth_of("lwho")
            ),
        )],
        vec![
            (
                "line".to_string(),
                format!("CASE WHEN found > 0 THEN found ELSE {size}(lrules) + 1 END"),
            ),
            (
                "n_lrules".to_string(),
                format!(
                    "CASE WHEN found > 0 THEN {transform}(lrules, (ln, li) -> CASE WHEN {at} = found THEN ln || CAST(rule_no AS {text}) || ',' ELSE ln END) ELSE {} END",
                    push("lrules", "rkey"),
                ),
            ),
            (
                "n_lwho".to_string(),
                format!(
                    "CASE WHEN found > 0 THEN {transform}(lwho, (ln, li) -> CASE WHEN {at} = found AND ln = '' THEN who ELSE ln END) ELSE {} END",
                    push("lwho", "who")
                ),
            ),
        ],
    ];
    let carried = vec![
        Carried {
            name: "day".into(),
            ty: "INT",
            first: "NULL".into(),
            next: "day".into(),
        },
        Carried {
            name: "action".into(),
            ty: text,
            first: "NULL".into(),
            next: "action".into(),
        },
        Carried {
            name: "lrules".into(),
            ty: strings,
            first: none.into(),
            next: "n_lrules".into(),
        },
        Carried {
            name: "lwho".into(),
            ty: strings,
            first: none.into(),
            next: "n_lwho".into(),
        },
    ];
    let _ = writeln!(
        out,
        "-- Request by request, the line the engine puts it on: the first of the day's lines for\n\
         -- the action without its rule whose person (the first named on it) is its own or no one,\n\
         -- else a new line."
    );
    Walk {
        table: "request_lines".into(),
        prefix: "rq_".into(),
        days: "request_days".into(),
        seq: "rseq".into(),
        inputs: ["day", "action", "nth", "rule_no", "who"]
            .map(String::from)
            .to_vec(),
        carried,
        levels,
        outputs: vec![
            ("rq_day".into(), "INT", "day".into()),
            ("rq_action".into(), text, "action".into()),
            ("rq_nth".into(), "INT", "nth".into()),
            ("rq_line".into(), "INT", "line".into()),
        ],
    }
    .write(out, d);
    let _ = writeln!(
        out,
        "-- Each request with its line: for the actions above, the line the engine puts it on."
    );
    let _ = writeln!(out, "{}", d.create("fired_actions"));
    let _ = writeln!(
        out,
        "SELECT r.pupil_id, r.day, r.date, r.row_id, r.stage_rank, r.evidence, r.rule, r.step,\n  \
         r.action, r.note, r.responsible, r.responsible_name, r.ord,\n  \
         COALESCE(q.rq_line, r.grp) AS grp\n\
         FROM fired_requests AS r\n\
         LEFT JOIN request_lines AS q ON q.rq_pupil = {} AND q.rq_nth = r.nth;\n",
        walked("r.")
    );
}
