//! The same untargeted action (`support`, `home_visit`) asked for by different people on one
//! day. The engine (src/engine/output.rs `due`) takes the requests in the order the rules
//! fired: each joins the first line of that action whose rules do not include its own and
//! whose person (the first one named) is its own or no one, else starts a line. That pass is
//! written out request by request, over one row per pupil, day and action.

use std::fmt::Write as _;

use super::dialect::Dialect;
use crate::diagnostic::Diagnostic;
use crate::source::Loc;
use crate::table::DecisionTable;

/// The most requests for one action the script follows through one day (each table row asking
/// for it is one); the pass grows with the cube of it.
const MOST_REQUESTS: usize = 24;

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

/// An action asked for by different people in more rows than the script follows.
pub fn unexpressed(
    table: &DecisionTable,
    unsupported: &dyn Fn(String, &Loc) -> Diagnostic,
) -> Vec<Diagnostic> {
    asked_of_different_people(table)
        .into_iter()
        .filter(|a| a.rows.len() > MOST_REQUESTS)
        .filter_map(|a| {
            let row = table.rows.get(*a.rows.last()?)?;
            Some(unsupported(
                format!(
                    "`{}` asked for by different people in {} rows (at most {MOST_REQUESTS})",
                    a.action,
                    a.rows.len()
                ),
                &row.loc,
            ))
        })
        .collect()
}

/// `fired_actions` from `fired_requests`: the requests for the actions of `asked` given the
/// line (`grp`) the engine puts them on.
pub fn groups(out: &mut String, d: Dialect, asked: &[Asked]) {
    let most = asked.iter().map(|a| a.rows.len()).max().unwrap_or(1).max(1);
    let names: Vec<String> = asked.iter().map(|a| d.quote(&a.action)).collect();
    let _ = writeln!(
        out,
        "-- The requests for each action asked of different people, per pupil and day, in the\n\
         -- order the rules fired: request i's rule and person named (NULL: no one)."
    );
    let _ = writeln!(out, "{}", d.create("requests"));
    let cols: Vec<String> = (1..=most)
        .map(|i| {
            format!(
                "MAX(CASE WHEN nth = {i} THEN rule END) AS rule_{i}, \
                 MAX(CASE WHEN nth = {i} THEN NULLIF(responsible, '') END) AS who_{i}"
            )
        })
        .collect();
    let _ = writeln!(
        out,
        "SELECT pupil_id, day, action,\n  {}\nFROM fired_requests\nWHERE action IN ({})\nGROUP BY pupil_id, day, action;\n",
        cols.join(",\n  "),
        names.join(", ")
    );
    let _ = writeln!(
        out,
        "-- Request i's line (g_i): the first line so far without its rule whose person (the\n\
         -- first named on it) is its own or no one; else a new line."
    );
    let _ = writeln!(out, "{}", d.create("request_lines"));
    let mut chain = "SELECT *, 1 AS g_1 FROM requests".to_string();
    for i in 2..=most {
        let before: Vec<String> = (1..i).map(|k| format!("g_{k}")).collect();
        let lines = format!("GREATEST(0, {})", before.join(", "));
        let mut whens = Vec::new();
        for j in 1..i {
            let same_rule: Vec<String> = (1..i)
                .map(|k| format!("(g_{k} = {j} AND rule_{k} = rule_{i})"))
                .collect();
            let person: Vec<String> = (1..i)
                .map(|k| format!("CASE WHEN g_{k} = {j} THEN who_{k} END"))
                .collect();
            let person = format!("COALESCE({})", person.join(", "));
            whens.push(format!(
                "WHEN {j} <= {lines} AND NOT ({}) AND ({person} IS NULL OR who_{i} IS NULL OR {person} = who_{i}) THEN {j}",
                same_rule.join(" OR ")
            ));
        }
        chain = format!(
            "SELECT *,\n  CASE WHEN rule_{i} IS NULL THEN NULL\n  {}\n  ELSE {lines} + 1 END AS g_{i}\nFROM ({chain}) AS q{i}",
            whens.join("\n  ")
        );
    }
    let _ = writeln!(out, "{chain};\n");
    let _ = writeln!(
        out,
        "-- Each request with its line: for the actions above, the line the engine puts it on."
    );
    let _ = writeln!(out, "{}", d.create("fired_actions"));
    let pick: Vec<String> = (1..=most)
        .map(|i| format!("WHEN {i} THEN q.g_{i}"))
        .collect();
    let _ = writeln!(
        out,
        "SELECT r.pupil_id, r.day, r.date, r.row_id, r.stage_rank, r.evidence, r.rule, r.step,\n  \
         r.action, r.note, r.responsible, r.responsible_name, r.ord,\n  \
         CASE WHEN q.pupil_id IS NULL THEN r.grp ELSE CASE r.nth {} END END AS grp\n\
         FROM fired_requests AS r\n\
         LEFT JOIN request_lines AS q\n  \
         ON q.pupil_id = r.pupil_id AND q.day = r.day AND q.action = r.action;\n",
        pick.join(" ")
    );
}
