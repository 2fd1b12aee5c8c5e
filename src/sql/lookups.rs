//! The lookups every script writes out: what each row of the decision table asks for, who is
//! responsible and the policy line it comes from (`row_actions`), and the stages by rank.

use std::fmt::Write as _;

use super::dialect::Dialect;
use crate::table::DecisionTable;

/// `row_actions` and `stages`: what each table row asks for, and the stages by rank.
pub fn lookups(out: &mut String, d: Dialect, table: &DecisionTable) {
    let t = d.text_type();
    let _ = writeln!(
        out,
        "-- What each row of the decision table asks for, and who is responsible."
    );
    let _ = writeln!(out, "{}", d.create_inline("row_actions"));
    let mut values = Vec::new();
    for (r, row) in table.rows.iter().enumerate() {
        for (k, a) in row.actions.iter().enumerate() {
            let responsible = a.responsible.as_deref().unwrap_or("");
            let name = a
                .responsible
                .as_deref()
                .and_then(|x| table.role_name(x))
                .unwrap_or("");
            values.push(format!(
                "  ({r}, {k}, {}, {}, {}, {}, {}, {}) -- {}:{}",
                d.quote(&row.rule),
                d.quote(&crate::table::step_name(row.kind, &row.event)),
                d.quote(&a.action),
                d.quote(a.note.as_deref().unwrap_or("")),
                d.quote(responsible),
                d.quote(name),
                row.source.file,
                row.source.line,
            ));
        }
    }
    if values.is_empty() {
        let _ = writeln!(
            out,
            "SELECT CAST(0 AS INTEGER) AS row_id, CAST(0 AS INTEGER) AS action_ord, CAST('' AS {t}) AS rule, CAST('' AS {t}) AS step, CAST('' AS {t}) AS action, CAST('' AS {t}) AS note, CAST('' AS {t}) AS responsible, CAST('' AS {t}) AS responsible_name WHERE 1 = 0;\n"
        );
    } else {
        // A comment after the last row would hide the closing parenthesis.
        let n = values.len();
        let rows: Vec<String> = values
            .into_iter()
            .enumerate()
            .map(|(i, v)| {
                let (data, comment) = v.split_once(" -- ").unwrap_or((&v, ""));
                let sep = if i + 1 == n { "" } else { "," };
                format!("{data}{sep} -- {comment}")
            })
            .collect();
        let _ = writeln!(
            out,
            "SELECT * FROM (VALUES\n{}\n) AS t(row_id, action_ord, rule, step, action, note, responsible, responsible_name);\n",
            rows.join("\n")
        );
    }
    let _ = writeln!(out, "-- The stages, by rank (0: the first).");
    let _ = writeln!(out, "{}", d.create_inline("stages"));
    if table.stages.is_empty() {
        let _ = writeln!(
            out,
            "SELECT CAST(0 AS INTEGER) AS stage_rank, CAST('' AS {t}) AS name WHERE 1 = 0;\n"
        );
    } else {
        let rows: Vec<String> = table
            .stages
            .iter()
            .enumerate()
            .map(|(i, s)| format!("({i}, {})", d.quote(s)))
            .collect();
        let _ = writeln!(
            out,
            "SELECT * FROM (VALUES {}) AS t(stage_rank, name);\n",
            rows.join(", ")
        );
    }
}
