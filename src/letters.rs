//! Letter templates (minijinja): the variables a letter may use, checking a template's text
//! against them, and rendering one letter for one action. No file I/O here: `cli` reads the
//! templates (their paths are relative to the policy file) and writes the letters.

use std::collections::BTreeMap;

use minijinja::{Environment, Value};

use crate::diagnostic::{Diagnostic, Problem, did_you_mean_help};
use crate::model::Letter;

/// Every variable a letter template may use.
pub const VARIABLES: &[&str] = &[
    "pupil.id",
    "pupil.first_name",
    "pupil.last_name",
    "pupil.name",
    "carer.name",
    "carer.address",
    "school.name",
    "school.contact",
    "date",
    "attendance",
    "possible",
    "present",
    "unauthorised",
    "evidence",
    "responsible",
    "signed_by",
    "letter",
    "rule",
];

/// Names a template may also look up: the objects themselves and minijinja's global
/// functions.
const ALSO_ALLOWED: &[&str] = &[
    "pupil",
    "carer",
    "school",
    "range",
    "dict",
    "namespace",
    "debug",
];

/// A problem with a letter's template, reported at the letter's declaration.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum LetterError {
    #[error("the template of letter `{letter}` cannot be read: `{path}`: {reason}")]
    Missing {
        letter: String,
        path: String,
        reason: String,
    },
    #[error("the template of letter `{letter}` (`{path}`) does not parse: {reason}")]
    Syntax {
        letter: String,
        path: String,
        reason: String,
    },
    #[error(
        "the template of letter `{letter}` (`{path}`) uses `{variable}`, which letters do not have"
    )]
    UnknownVariable {
        letter: String,
        path: String,
        variable: String,
    },
}

impl Problem for LetterError {
    fn code(&self) -> &'static str {
        match self {
            LetterError::Missing { .. } => "input::letter_template_missing",
            LetterError::Syntax { .. } => "input::letter_template_syntax",
            LetterError::UnknownVariable { .. } => "input::letter_template_variable",
        }
    }

    fn help(&self) -> Option<String> {
        match self {
            LetterError::Missing { .. } => {
                Some("template paths are relative to the policy file".into())
            }
            LetterError::Syntax { .. } => None,
            LetterError::UnknownVariable { variable, .. } => Some(
                did_you_mean_help(variable, VARIABLES.iter().copied())
                    .unwrap_or_else(|| format!("letters have {}", VARIABLES.join(", "))),
            ),
        }
    }

    fn label(&self) -> Option<String> {
        Some("letter declared here".into())
    }
}

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    // Keep a template's last newline, so a letter ends as its template does.
    if let Ok(syntax) = minijinja::syntax::SyntaxConfig::builder()
        .keep_trailing_newline(true)
        .build()
    {
        env.set_syntax(syntax);
    }
    env
}

/// Checks a letter's template: `text` is its contents, or why it could not be read. Every
/// problem points at the letter's declaration in the policy.
pub fn check(letter: &Letter, path: &str, text: Result<&str, &str>) -> Vec<Diagnostic> {
    let at = |e: LetterError| e.at(&letter.loc);
    let text = match text {
        Ok(text) => text,
        Err(reason) => {
            return vec![at(LetterError::Missing {
                letter: letter.id.clone(),
                path: path.into(),
                reason: reason.into(),
            })];
        }
    };
    let env = environment();
    let template = match env.template_from_str(text) {
        Ok(t) => t,
        Err(e) => {
            let line = e.line().map(|l| format!("line {l}: ")).unwrap_or_default();
            return vec![at(LetterError::Syntax {
                letter: letter.id.clone(),
                path: path.into(),
                reason: format!("{line}{}", e.detail().unwrap_or("syntax error")),
            })];
        }
    };
    let mut unknown: Vec<String> = template
        .undeclared_variables(true)
        .into_iter()
        .filter(|v| !VARIABLES.contains(&v.as_str()) && !ALSO_ALLOWED.contains(&v.as_str()))
        .collect();
    unknown.sort();
    unknown
        .into_iter()
        .map(|variable| {
            at(LetterError::UnknownVariable {
                letter: letter.id.clone(),
                path: path.into(),
                variable,
            })
        })
        .collect()
}

/// The facts one letter is rendered with.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    pub pupil_id: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// The pupils file's `carer_name`, and its `carer_address` split into lines.
    pub carer_name: Option<String>,
    pub carer_address: Vec<String>,
    pub school: String,
    /// Who parents may also ask for: the description of the policy's `champion` role (the
    /// senior attendance champion), or else its `headteacher`.
    pub contact: Option<String>,
    pub date: String,
    /// Attendance over the academic year to date to one decimal place, with its sign
    /// (`93.5%`); `no possible sessions` when there were none.
    pub attendance: String,
    pub possible: u32,
    pub present: u32,
    pub unauthorised: u32,
    pub evidence: String,
    /// The responsible role's description (`Attendance Lead`), never its identifier.
    pub responsible: String,
    pub letter: String,
    pub rule: String,
}

impl Facts {
    /// The pupil's name as a letter says it: first and last name, or "your child".
    pub fn pupil_name(&self) -> String {
        let parts: Vec<&str> = [&self.first_name, &self.last_name]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect();
        if parts.is_empty() {
            "your child".into()
        } else {
            parts.join(" ")
        }
    }
}

/// Renders a template with `facts` as Markdown; the error is minijinja's, in words.
pub fn render(template: &str, facts: &Facts) -> Result<String, String> {
    render_escaped(template, facts, false)
}

/// Renders a template with `facts`, each value escaped for HTML when `html` (the Markdown
/// that [`html_letter`] turns into a page: a name with `<` in it stays text).
fn render_escaped(template: &str, facts: &Facts, html: bool) -> Result<String, String> {
    let mut env = environment();
    if html {
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
    }
    let mut pupil: BTreeMap<&str, Value> = BTreeMap::new();
    pupil.insert("id", Value::from(facts.pupil_id.as_str()));
    if let Some(name) = &facts.first_name {
        pupil.insert("first_name", Value::from(name.as_str()));
    }
    if let Some(name) = &facts.last_name {
        pupil.insert("last_name", Value::from(name.as_str()));
    }
    pupil.insert("name", Value::from(facts.pupil_name()));
    let carer: BTreeMap<&str, Value> = BTreeMap::from([
        (
            "name",
            Value::from(facts.carer_name.as_deref().unwrap_or("Parent/Carer")),
        ),
        ("address", Value::from(facts.carer_address.clone())),
    ]);
    let mut school: BTreeMap<&str, Value> =
        BTreeMap::from([("name", Value::from(facts.school.as_str()))]);
    if let Some(contact) = &facts.contact {
        school.insert("contact", Value::from(contact.as_str()));
    }
    let signed_by = if facts.responsible.is_empty() {
        format!("The attendance team, {}", facts.school)
    } else {
        facts.responsible.clone()
    };
    let ctx = minijinja::context! {
        pupil => Value::from(pupil),
        carer => Value::from(carer),
        school => Value::from(school),
        signed_by => signed_by,
        date => facts.date.as_str(),
        attendance => facts.attendance.as_str(),
        possible => facts.possible,
        present => facts.present,
        unauthorised => facts.unauthorised,
        evidence => facts.evidence.as_str(),
        responsible => facts.responsible.as_str(),
        letter => facts.letter.as_str(),
        rule => facts.rule.as_str(),
    };
    env.render_str(template, ctx).map_err(|e| e.to_string())
}

/// One letter as HTML: the template rendered with every value escaped, then its Markdown
/// turned into HTML (pulldown-cmark, with tables), in a `<section class="letter">` that
/// [`html_page`] prints one to an A4 page.
pub fn html_letter(template: &str, facts: &Facts) -> Result<String, String> {
    let markdown = render_escaped(template, facts, true)?;
    let parser = pulldown_cmark::Parser::new_ext(&markdown, pulldown_cmark::Options::ENABLE_TABLES);
    let mut body = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut body, parser);
    Ok(format!("<section class=\"letter\">\n{body}</section>\n"))
}

/// The print stylesheet: A4, one letter a page; on screen, each letter a sheet of paper.
const STYLE: &str = "@page { size: A4; margin: 20mm; }
body { font-family: Georgia, 'Times New Roman', serif; font-size: 11pt; line-height: 1.45; color: #000; margin: 0; }
.letter { break-after: page; page-break-after: always; }
.letter:last-child { break-after: auto; page-break-after: auto; }
.letter h1 { font-size: 14pt; margin: 0 0 1em; }
.letter table { border-collapse: collapse; margin: 0.5em 0; }
.letter th, .letter td { border: 1px solid #888; padding: 2pt 8pt; text-align: left; }
.letter small { font-size: 8.5pt; color: #444; }
@media screen {
  body { background: #e8e8e8; }
  .letter { background: #fff; box-sizing: border-box; width: 210mm; min-height: 297mm; padding: 20mm; margin: 8mm auto; box-shadow: 0 1px 4px rgba(0,0,0,.3); }
}
";

/// Letters (each made by [`html_letter`]) as one self-contained page to print: no scripts,
/// nothing fetched.
pub fn html_page(title: &str, letters: &[String]) -> String {
    let mut page = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n",
        crate::html::escape(title)
    );
    for letter in letters {
        page.push_str(letter);
    }
    page.push_str("</body>\n</html>\n");
    page
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_letters_escape_the_facts_but_not_the_template() {
        let facts = Facts {
            first_name: Some("<b>Ada</b>".into()),
            carer_name: Some("Mr & Mrs Byron".into()),
            carer_address: vec!["1 Piccadilly".into(), "London".into()],
            school: "Test School".into(),
            responsible: "Attendance Lead".into(),
            ..Facts::default()
        };
        let template = "Dear {{ carer.name }}, parent/carer of {{ pupil.name }},\n\n\
                        {{ carer.address | join(', ') }}\n\n**{{ signed_by }}**\n";
        let html = html_letter(template, &facts).expect("renders");
        assert_eq!(
            html,
            "<section class=\"letter\">\n<p>Dear Mr &amp; Mrs Byron, parent/carer of &lt;b&gt;Ada&lt;/b&gt;,</p>\n\
             <p>1 Piccadilly, London</p>\n<p><strong>Attendance Lead</strong></p>\n</section>\n"
        );
        // Without names, the letter still reads.
        let text = render(template, &Facts::default()).expect("renders");
        assert!(text.starts_with("Dear Parent/Carer, parent/carer of your child,"));
        assert!(text.contains("**The attendance team, **"));
    }
}
