//! What the TOML surface cannot hold of a policy, found before converting it, so
//! `attend fmt --to toml` refuses at the statement instead of dropping it.

use std::collections::HashSet;

use crate::diagnostic::{Diagnostic, Problem as _};
use crate::source::Loc;
use crate::syntax::ast::*;
use crate::syntax::error::SyntaxError;

/// What TOML cannot hold of a policy: a one-line statement, an entry, a limit, a penalty
/// setting, or a block that TOML keeps as one table (`stages`, `roles`, `letters`, `limits`...)
/// written twice. TOML keeps one value per key, so converting such a policy would
/// drop the repeat silently; `attend fmt --to toml` refuses it at the repeat instead.
pub fn cannot_hold(file: &File) -> Vec<Diagnostic> {
    let policy = match file {
        File::Policy(policy) => policy,
        File::Calendars(file) => {
            return file
                .calendars
                .iter()
                .flat_map(|c| calendar_repeats(&c.node))
                .collect();
        }
    };
    let mut seen: HashSet<String> = HashSet::new();
    let mut repeats = Vec::new();
    let mut once = |key: String, what: &dyn Fn() -> String, loc: &Loc| {
        if !seen.insert(key) {
            repeats.push(SyntaxError::TomlCannotRepeat { what: what() }.at(loc));
        }
    };
    // The one-line statements are keys of `[policy]`, which TOML prints above every table:
    // one written after a block would move up on the way back, so it is refused like a repeat.
    let mut after_block = false;
    let mut misplaced = Vec::new();
    let mut in_calendars = Vec::new();
    for item in &policy.node.items {
        let loc = &item.loc;
        let key = match &item.node {
            Item::Extends(_) => Some("`extends`"),
            Item::Urn(_) => Some("`urn`"),
            Item::Phase(_) => Some("`phase`"),
            Item::Document(_) => Some("`document`"),
            Item::SchoolType(_) => Some("`type`"),
            Item::Target(_) => Some("`target`"),
            Item::Ratified(_) => Some("`ratified`"),
            Item::Review(_) => Some("`review`"),
            _ => None,
        };
        match key {
            Some(what) if after_block => misplaced.push(
                SyntaxError::TomlCannotOrder {
                    what: what.to_string(),
                }
                .at(loc),
            ),
            Some(_) => {}
            None => after_block = true,
        }
        match &item.node {
            Item::Extends(_) => once("extends".into(), &|| "`extends`".into(), loc),
            Item::Urn(_) => once("urn".into(), &|| "`urn`".into(), loc),
            Item::Phase(_) => once("phase".into(), &|| "`phase`".into(), loc),
            Item::Document(_) => once("document".into(), &|| "`document`".into(), loc),
            Item::SchoolType(_) => once("type".into(), &|| "`type`".into(), loc),
            Item::Target(_) => once("target".into(), &|| "`target`".into(), loc),
            Item::Ratified(_) => once("ratified".into(), &|| "`ratified`".into(), loc),
            Item::Review(_) => once("review".into(), &|| "`review`".into(), loc),
            Item::Roles(entries)
            | Item::Procedures(entries)
            | Item::Letters(entries)
            | Item::Meetings(entries) => {
                let (kind, block) = match &item.node {
                    Item::Roles(_) => ("role", "roles"),
                    Item::Procedures(_) => ("procedure", "procedures"),
                    Item::Letters(_) => ("letter", "letters"),
                    _ => ("meeting", "meetings"),
                };
                // TOML holds each of these blocks as one table: a second block would merge
                // into the first, moving its entries (or, empty, its comments) up there.
                once(
                    format!("block:{block}"),
                    &|| format!("a `{block}` block"),
                    loc,
                );
                for e in entries {
                    let id = &e.node.id.node;
                    once(
                        format!("{kind}:{id}"),
                        &|| format!("{kind} `{id}`"),
                        &e.node.id.loc,
                    );
                }
            }
            // TOML reads every `[[stage]]` as one list, at the first one's place: a second
            // `stages` block would merge into the first, moving what stands between them.
            Item::Stages(_) => once("stages".into(), &|| "a `stages` block".into(), loc),
            Item::Limits(entries) => {
                once("block:limits".into(), &|| "a `limits` block".into(), loc);
                for e in entries {
                    let name = &e.node.name.node;
                    once(
                        format!("limit:{name}"),
                        &|| format!("limit `{name}`"),
                        &e.node.name.loc,
                    );
                }
            }
            Item::PenaltyNotices(entries) => {
                once(
                    "block:penalty_notices".into(),
                    &|| "a `penalty_notices` block".into(),
                    loc,
                );
                for e in entries {
                    let key = match &e.node {
                        PenaltyItem::Threshold { .. } => "threshold",
                        PenaltyItem::Limit { .. } => "limit",
                        PenaltyItem::Fine { .. } => continue,
                    };
                    once(
                        format!("penalty:{key}"),
                        &|| format!("the penalty notices' `{key}`"),
                        &e.loc,
                    );
                }
            }
            Item::Calendar(calendar) => in_calendars.extend(calendar_repeats(calendar)),
            Item::Plan(plan) => in_calendars.extend(plan_repeats(plan)),
            _ => {}
        }
    }
    repeats.extend(misplaced);
    repeats.extend(in_calendars);
    repeats
}

/// A plan's statement written twice (`target`, `review`, `on miss:` ...): each is one key of
/// the plan's TOML table, and two `on miss:` lines would merge into one list of actions.
fn plan_repeats(plan: &PlanAst) -> Vec<Diagnostic> {
    let mut repeats = Vec::new();
    let mut seen = HashSet::new();
    for item in &plan.items {
        let key = match &item.node {
            PlanItem::Review { .. } => "`review after`".to_string(),
            PlanItem::Target(_) => "`target`".to_string(),
            PlanItem::Judged { .. } => "`target judged`".to_string(),
            PlanItem::EscalateTo(_) => "`escalate to`".to_string(),
            PlanItem::Every { .. } => "`every ...:`".to_string(),
            PlanItem::On { event, .. } => format!("`on {}:`", event.keyword()),
        };
        if !seen.insert(key.clone()) {
            let what = format!("{key} of plan \"{}\"", plan.name.node);
            repeats.push(SyntaxError::TomlCannotRepeat { what }.at(&item.loc));
        }
    }
    repeats
}

/// A session's time written twice (`opens 08:50 opens 13:00`): each time is one key of the
/// session's table.
fn calendar_repeats(calendar: &CalendarAst) -> Vec<Diagnostic> {
    let mut repeats = Vec::new();
    for item in &calendar.items {
        let CalendarItem::Session { name, times, .. } = &item.node else {
            continue;
        };
        let mut seen = HashSet::new();
        for time in times {
            if !seen.insert(time.node.kind) {
                let what = format!("`{}` of session `{}`", time.node.kind.keyword(), name.node);
                repeats.push(SyntaxError::TomlCannotRepeat { what }.at(&time.loc));
            }
        }
    }
    repeats
}
