//! Letter templates on disk: read relative to the policy file, checked for `attend check`,
//! and rendered for each `letter:ID` action of `attend run` into
//! `OUT/letters/<date>/<pupil>-<letter>.md` and `.html`, each written atomically.

use std::path::{Path, PathBuf};

use rustc_hash::FxHashMap;

use super::{EXIT_ERRORS, fs};
use crate::diagnostic::Diagnostic;
use crate::engine::{self, Progress, calendar::SchoolDays};
use crate::letters::{self, Facts};
use crate::model::{Letter, Policy};
use crate::register::Register;
use crate::table::DecisionTable;

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

/// Renders every letter action of a run; returns how many letters were written. A letter
/// whose template is missing or has problems is skipped with a warning (`attend check` shows
/// why).
pub fn write(
    dir: &Path,
    policy_path: &Path,
    policy: &Policy,
    table: &DecisionTable,
    days: &SchoolDays,
    register: &Register,
    outcome: &engine::Outcome,
) -> Result<usize, u8> {
    let mut templates: FxHashMap<&str, Option<String>> = FxHashMap::default();
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
        templates.insert(letter.id.as_str(), usable);
    }
    let mut warned: Vec<&str> = Vec::new();
    let mut written = 0;
    let bar = super::progress::Bar::new("writing letters", super::progress::Unit::Letters);
    if templates.values().any(Option::is_some) {
        bar.set_len(
            outcome
                .fired
                .iter()
                .filter_map(|f| table.rows.get(f.row))
                .flat_map(|r| &r.actions)
                .filter(|a| a.action.starts_with("letter:"))
                .count() as u64,
        );
    }
    for f in &outcome.fired {
        let Some(row) = table.rows.get(f.row) else {
            continue;
        };
        for action in &row.actions {
            let Some(id) = action.action.strip_prefix("letter:") else {
                continue;
            };
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
            let Some(pupil) = register.pupils.get(f.pupil) else {
                continue;
            };
            let [possible, present, unauthorised] =
                letters::year_to_date(register, days, f.pupil, f.day);
            let date = days.date(f.day).to_string();
            let facts = Facts {
                pupil_id: pupil.id.clone(),
                first_name: pupil.first_name.clone(),
                last_name: pupil.last_name.clone(),
                school: policy.name.clone(),
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
                evidence: f.evidence.clone(),
                responsible: action.responsible.clone().unwrap_or_default(),
                letter: id.to_string(),
                rule: row.rule.clone(),
            };
            let text = match letters::render(template, &facts) {
                Ok(text) => text,
                Err(e) => {
                    bar.eprintln(&format!(
                        "error: cannot render letter `{id}` for {}: {e}",
                        pupil.id
                    ));
                    return Err(EXIT_ERRORS);
                }
            };
            let day_dir = dir.join("letters").join(&date);
            if let Err(e) = std::fs::create_dir_all(&day_dir) {
                bar.eprintln(&format!(
                    "error: cannot create `{}`: {e}",
                    day_dir.display()
                ));
                return Err(EXIT_ERRORS);
            }
            let stem = format!("{}-{id}", pupil.id);
            let html = letters::html_page(&format!("{stem} ({date})"), &text);
            for (ext, bytes) in [("md", text.as_bytes()), ("html", html.as_bytes())] {
                let path = day_dir.join(format!("{stem}.{ext}"));
                if let Err(e) = fs::write_atomically(&path, bytes) {
                    bar.eprintln(&format!("error: cannot write `{}`: {e}", path.display()));
                    return Err(EXIT_ERRORS);
                }
            }
            written += 1;
            bar.inc(1);
        }
    }
    bar.finish();
    Ok(written)
}
