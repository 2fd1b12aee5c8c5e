//! The decision table as a person reads it (text, Markdown) and as a program reads it (JSON).

use std::fmt::Write;

use super::{DecisionTable, Event, Row, RowAction};
use crate::model::Repeat;

fn event_text(event: &Event) -> String {
    match event {
        Event::EnterBand => "on entering the band".into(),
        Event::WeeksInPlan { school_weeks: 1 } => {
            "on the first school day of each school week after the plan opens, while it is open"
                .into()
        }
        Event::WeeksInPlan { school_weeks } => format!(
            "on the first school day of every {school_weeks} school weeks after the plan opens, while it is open"
        ),
        Event::EnterBandAlso { clause } => {
            format!("on entering the band (entry clause {clause})")
        }
        Event::WeekInBand => {
            "on the first school day of each school week the pupil stays in the band".into()
        }
        Event::WeeksInBand { school_weeks } => format!(
            "on the first school day of every {} school weeks after the pupil enters the band, while the pupil stays in it",
            school_weeks
        ),
        Event::ReachDay(day) => format!("on the day the run reaches day {day}"),
        Event::Holds => "when it holds".into(),
        Event::EndOf(period) => format!(
            "on the last school day of each {} when it holds",
            period.keyword().replace('_', "-")
        ),
        Event::LookedEvery { school_weeks: 1 } => {
            "looked at on the first school day of each school week".into()
        }
        Event::LookedEvery { school_weeks } => format!(
            "looked at on the first school day of school weeks 1, {}, {}, ... of the year",
            1 + school_weeks,
            1 + 2 * school_weeks
        ),
        Event::EnterStage(stage) => format!("on reaching stage {stage}"),
        Event::Review {
            after_school_weeks,
            until_school_weeks,
            escalate_to,
        } => {
            let weeks = match until_school_weeks {
                Some(until) => format!("{after_school_weeks} to {until}"),
                None => after_school_weeks.to_string(),
            };
            match escalate_to {
                Some(stage) => format!(
                    "at review after {weeks} school weeks; target missed: escalate to {stage}"
                ),
                None => format!("at review after {weeks} school weeks"),
            }
        }
    }
}

fn action_text(a: &RowAction) -> String {
    let mut text = a.action.clone();
    if let Some(note) = &a.note {
        let _ = write!(text, " \"{note}\"");
    }
    if let Some(by) = &a.responsible {
        let _ = write!(text, " (by {by})");
    }
    text
}

fn kind_text(row: &Row) -> &'static str {
    match row.kind {
        super::RowKind::Band => "band",
        super::RowKind::Step => "step",
        super::RowKind::Trigger => "trigger",
        super::RowKind::PlanOpen => "plan opens",
        super::RowKind::PlanMissed => "plan missed",
        super::RowKind::PlanMet => "plan met",
        super::RowKind::PlanJudged => "plan review (judged by staff)",
        super::RowKind::BandWeekly => "band, weekly",
        super::RowKind::BandEntry => "band, entry",
        super::RowKind::PlanEvery => "plan, periodic",
    }
}

fn repeat_text(row: &Row) -> Option<String> {
    match row.repeat {
        Repeat::RisingEdge => None,
        other => Some(other.to_string()),
    }
}

pub fn render_text(table: &DecisionTable) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "decision table: {} ({} rows)",
        table.policy,
        table.rows.len()
    );
    let _ = writeln!(
        out,
        "stages, least to most severe: {}",
        table.stages.join(" < ")
    );
    for (index, row) in table.rows.iter().enumerate() {
        out.push('\n');
        let origin = match row.origin {
            crate::model::Origin::School => "",
            crate::model::Origin::National => " [national]",
        };
        let _ = writeln!(
            out,
            "{:<4} {} {:?}{origin}  ({})",
            row.id,
            kind_text(row),
            row.rule,
            row.source
        );
        for (i, atom) in row.when.iter().enumerate() {
            let _ = writeln!(
                out,
                "     {} {atom}",
                if i == 0 { "when " } else { "  and" }
            );
        }
        if row.when.is_empty() {
            let _ = writeln!(out, "     when  always");
        }
        if let Some(written) = &row.written {
            let _ = writeln!(out, "     as written \"{written}\"");
        }
        for atoms in row.also.iter().flatten() {
            let atoms: Vec<String> = atoms.iter().map(ToString::to_string).collect();
            let _ = writeln!(out, "     or    {}", atoms.join(" and "));
        }
        if row.guard.as_ref().is_some_and(Vec::is_empty) {
            let _ = writeln!(out, "     only if never (the guard can hold for no pupil)");
        }
        for (i, atoms) in row.guard.iter().flatten().enumerate() {
            let atoms: Vec<String> = atoms.iter().map(ToString::to_string).collect();
            let atoms = if atoms.is_empty() {
                "always".to_string()
            } else {
                atoms.join(" and ")
            };
            let _ = writeln!(
                out,
                "     {} {atoms}",
                if i == 0 { "only if" } else { "     or" }
            );
        }
        if let Some(judged) = &row.judged {
            let _ = writeln!(out, "     and   {judged} (left to staff)");
        }
        if !row.satisfiable {
            let _ = writeln!(out, "     NEVER HOLDS: its conditions exclude each other");
        }
        let _ = writeln!(out, "     event {}", event_text(&row.event));
        if let Some(repeat) = repeat_text(row) {
            let _ = writeln!(out, "     again {repeat}");
        }
        for (i, a) in row.actions.iter().enumerate() {
            let _ = writeln!(
                out,
                "     {} {}",
                if i == 0 { "then " } else { "     " },
                action_text(a)
            );
        }
        if let Some(stage) = &row.stage {
            let _ = writeln!(out, "     stage {stage}");
        }
        for line in super::ladder::lines(table, index) {
            let _ = writeln!(out, "     {line}");
        }
    }
    out
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

pub fn render_markdown(table: &DecisionTable) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Decision table: {}\n", cell(&table.policy));
    let _ = writeln!(
        out,
        "Stages, least to most severe: {}.\n",
        table.stages.join(" → ")
    );
    let _ = writeln!(
        out,
        "| # | kind | rule | when | event | then | stage | source |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|");
    for (index, row) in table.rows.iter().enumerate() {
        let mut when: Vec<String> = row.when.iter().map(|a| format!("`{a}`")).collect();
        if let Some(written) = &row.written {
            when.push(format!("(written `{written}`)"));
        }
        for atoms in row.also.iter().flatten() {
            let atoms: Vec<String> = atoms.iter().map(|a| format!("`{a}`")).collect();
            when.push(format!("or {}", atoms.join(" and ")));
        }
        if let Some(judged) = &row.judged {
            when.push(format!("`{judged}` (left to staff)"));
        }
        if !row.satisfiable {
            when.push("**never holds**".into());
        }
        let mut event = event_text(&row.event);
        if let Some(repeat) = repeat_text(row) {
            let _ = write!(event, "; {repeat}");
        }
        if row.kind == super::RowKind::Band
            && let Some(note) = super::ladder::note(table, index)
        {
            let _ = write!(event, "; {note}");
        }
        let actions: Vec<String> = row.actions.iter().map(action_text).collect();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            row.id,
            kind_text(row),
            cell(&row.rule),
            cell(&when.join(" and ")),
            cell(&event),
            cell(&actions.join("; ")),
            row.stage.as_deref().unwrap_or(""),
            cell(&row.source.to_string()),
        );
    }
    out
}

pub fn render_json(table: &DecisionTable) -> String {
    serde_json::to_string_pretty(table).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}
