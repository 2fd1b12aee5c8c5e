//! Letter templates on disk: read relative to the policy file, checked for `attend check`,
//! and rendered for each new `letter:ID` action of `attend run` into
//! `OUT/letters/<date>/<pupil>-<letter>.md` and `.html`, with each day's letters in one
//! printable `OUT/letters/<date>/all.html`.

use std::path::{Path, PathBuf};

use rustc_hash::FxHashMap;

use super::{EXIT_FAILURE, fs};
use crate::diagnostic::Diagnostic;
use crate::engine;
use crate::ledger::Recorded;
use crate::letters::{self, Facts};
use crate::model::{Letter, Policy};
use crate::progress::Progress;
use crate::register::{MarkFigures, Register};
use crate::table::DecisionTable;
use crate::table::SchoolDays;

/// Where a letter's template is: its path is relative to the policy file.
fn template_path(policy_path: &Path, letter: &Letter) -> PathBuf {
    let dir = policy_path.parent().unwrap_or(Path::new(""));
    dir.join(&letter.template)
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| e.to_string())
}

/// Problems with the policy's letter templates: missing, not parsing, or using a variable
/// letters do not have. Each points at the letter's declaration.
pub fn check(policy_path: &Path, policy: &Policy) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    for letter in &policy.letters {
        let path = template_path(policy_path, letter);
        let text = read(&path);
        found.extend(letters::check(
            letter,
            &path.display().to_string(),
            text.as_deref().map_err(String::as_str),
        ));
    }
    found
}

/// The policy's templates by letter id, read from disk: `None` for one that is missing or
/// has problems (`attend check` says why).
pub fn templates(policy_path: &Path, policy: &Policy) -> FxHashMap<String, Option<String>> {
    let mut templates = FxHashMap::default();
    for letter in &policy.letters {
        let path = template_path(policy_path, letter);
        let text = read(&path);
        let problems = letters::check(
            letter,
            &path.display().to_string(),
            text.as_deref().map_err(String::as_str),
        );
        let usable = match text {
            Ok(text) if problems.is_empty() => Some(text),
            _ => None,
        };
        templates.insert(letter.id.clone(), usable);
    }
    templates
}

/// What [`write`] did.
#[derive(Clone, Debug, Default)]
pub struct Written {
    pub written: usize,
    /// The dates that have letters, each with its `all.html`.
    pub days: Vec<String>,
}

/// Renders the letter actions of a run (with a ledger, only the new ones: a letter already
/// offered in an earlier run is not offered again, and a withdrawn one never is): each
/// letter as `letters/<date>/<pupil>-<letter>.md` and `.html`, and each day's letters in one
/// printable `letters/<date>/all.html`. A letter whose template is missing or has problems
/// is skipped with a warning (`attend check` shows why); letters written without pupil or
/// carer names are warned about once, naming the columns that would give them.
#[allow(clippy::too_many_arguments)]
pub fn write(
    dir: &Path,
    policy_path: &Path,
    policy: &Policy,
    templates: &FxHashMap<String, Option<String>>,
    table: &DecisionTable,
    days: &SchoolDays,
    register: &Register,
    figures: &MarkFigures,
    outcome: &engine::Outcome,
    recorded: Option<&Recorded>,
) -> Result<Written, u8> {
    let mut warned: Vec<&str> = Vec::new();
    let mut written = Written::default();
    let mut missing: Vec<&str> = Vec::new();
    // Letters name a role by its description (`DecisionTable::role_name`), never its id.
    let contact = table
        .role_name("champion")
        .or_else(|| table.role_name("headteacher"))
        .map(String::from);
    let wanted = |key: u64| recorded.is_none_or(|r| r.status.get(&key).is_some_and(|s| s.new));
    let bar = super::progress::Bar::new("writing letters", super::progress::Unit::Letters);
    if templates.values().any(Option::is_some) {
        bar.set_len(
            engine::each_action(table, outcome)
                .iter()
                .filter(|d| d.action.action.starts_with("letter:"))
                .count() as u64,
        );
    }
    // One day's letters, as HTML sections, until the day changes.
    let mut day_pages: (String, Vec<String>) = (String::new(), Vec::new());
    let flush = |day: &mut (String, Vec<String>), written: &mut Written| -> Result<(), u8> {
        if day.1.is_empty() {
            return Ok(());
        }
        let page = letters::html_page(&format!("Letters of {}", day.0), &day.1);
        let path = dir.join("letters").join(&day.0).join("all.html");
        fs::write_atomically(&path, page.as_bytes()).map_err(|e| {
            eprintln!("error: cannot write `{}`: {e}", path.display());
            EXIT_FAILURE
        })?;
        written.days.push(std::mem::take(&mut day.0));
        day.1.clear();
        Ok(())
    };
    for due in engine::each_action(table, outcome) {
        let (f, row, action) = (due.fired, due.row, due.action);
        let Some(id) = action.action.strip_prefix("letter:") else {
            continue;
        };
        bar.inc(1);
        if !wanted(due.key(days, register)) {
            continue;
        }
        let Some(Some(template)) = templates.get(id) else {
            if !warned.contains(&id) {
                warned.push(id);
                bar.eprintln(&format!(
                    "warning: letter `{id}` has no usable template, so none was written; `attend check {}` says why",
                    policy_path.display()
                ));
            }
            continue;
        };
        let Some(pupil) = register.pupil(f.pupil) else {
            continue;
        };
        let to = pupil.contact.as_deref().cloned().unwrap_or_default();
        let [possible, present, unauthorised] = figures.year_to_date(f.pupil, f.day);
        let date = days.date(f.day).to_string();
        let facts = Facts {
            pupil_id: pupil.id.clone(),
            first_name: to.first_name,
            last_name: to.last_name,
            carer_name: to.carer_name,
            carer_address: to.carer_address,
            school: policy.name.clone(),
            contact: contact.clone(),
            date: date.clone(),
            attendance: if possible == 0 {
                "no possible sessions".into()
            } else {
                format!(
                    "{}%",
                    engine::percent_tenths(u64::from(present), u64::from(possible))
                )
            },
            possible,
            present,
            unauthorised,
            evidence: due.evidence().into_owned(),
            responsible: action
                .responsible
                .as_deref()
                .and_then(|r| table.role_name(r))
                .unwrap_or_default()
                .to_string(),
            letter: id.to_string(),
            rule: row.rule.clone(),
        };
        for (column, absent) in [
            ("first_name", facts.first_name.is_none()),
            ("last_name", facts.last_name.is_none()),
            ("carer_name", facts.carer_name.is_none()),
            ("carer_address", facts.carer_address.is_empty()),
        ] {
            if absent && !missing.contains(&column) {
                missing.push(column);
            }
        }
        let rendered = letters::render(template, &facts)
            .and_then(|text| letters::html_letter(template, &facts).map(|html| (text, html)));
        let (text, section) = match rendered {
            Ok(both) => both,
            Err(e) => {
                bar.eprintln(&format!(
                    "error: cannot render letter `{id}` for {}: {e}",
                    pupil.id
                ));
                return Err(EXIT_FAILURE);
            }
        };
        if day_pages.0 != date {
            flush(&mut day_pages, &mut written)?;
            day_pages.0 = date.clone();
        }
        let day_dir = dir.join("letters").join(&date);
        if let Err(e) = std::fs::create_dir_all(&day_dir) {
            bar.eprintln(&format!(
                "error: cannot create `{}`: {e}",
                day_dir.display()
            ));
            return Err(EXIT_FAILURE);
        }
        let stem = format!("{}-{id}", pupil.id);
        let html = letters::html_page(&format!("{stem} ({date})"), std::slice::from_ref(&section));
        day_pages.1.push(section);
        for (ext, bytes) in [("md", text.as_bytes()), ("html", html.as_bytes())] {
            let path = day_dir.join(format!("{stem}.{ext}"));
            if let Err(e) = fs::write_atomically(&path, bytes) {
                bar.eprintln(&format!("error: cannot write `{}`: {e}", path.display()));
                return Err(EXIT_FAILURE);
            }
        }
        written.written += 1;
    }
    flush(&mut day_pages, &mut written)?;
    bar.finish();
    if !missing.is_empty() {
        let columns: Vec<String> = missing.iter().map(|c| format!("`{c}`")).collect();
        eprintln!(
            "warning: letters were written without the pupils file's {} for some pupils, so they say \"your child\" or \"Parent/Carer\" or have no address\n  = help: add the columns to the `--pupils` file (docs/data.md describes them)",
            columns.join(", ")
        );
    }
    Ok(written)
}
