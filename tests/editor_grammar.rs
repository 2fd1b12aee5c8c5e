//! The VS Code extension's TextMate grammars (editors/vscode/syntaxes/) keep up with the
//! language: every word grammar/policy.pest matches literally is named in the policy grammar's
//! patterns, and every word of the rules a `.calendar` file can reach in the calendar grammar's.
//! grammar/policy.pest is read when the test runs, so a keyword added to the language fails here
//! until the highlighting knows it. (editors/vscode/test/ tokenises the bundled policies with
//! VS Code's own engine.)

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// One pest rule: the rules its body refers to (not those only under a `!` lookahead, which
/// match nothing) and the words it matches literally (`"policy"`, `^"below"`).
#[derive(Default)]
struct Rule {
    refers: BTreeSet<String>,
    words: BTreeSet<String>,
}

/// The rules of a pest grammar, read by hand: pest_meta would parse it fully, but the test
/// needs only names, string literals and `!`, and the grammar's own syntax is small.
fn pest_rules(text: &str) -> BTreeMap<String, Rule> {
    let mut rules = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        let code = line.trim_start();
        if code.starts_with("//") || code.is_empty() {
            continue;
        }
        // `name = { ...`, `name = _{ ...`, `name = @{ ...` starts a rule at the line's start.
        if !line.starts_with(char::is_whitespace)
            && let Some((name, body)) = line.split_once('=')
            && name
                .trim()
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
            && body
                .trim_start()
                .trim_start_matches(['_', '@', '$', '!'])
                .starts_with('{')
        {
            current = Some(name.trim().to_string());
            rules.insert(name.trim().to_string(), Rule::default());
            scan(body, rules.get_mut(name.trim()).expect("just inserted"));
            continue;
        }
        if let Some(rule) = current.as_ref().and_then(|name| rules.get_mut(name)) {
            scan(line, rule);
        }
    }
    rules
}

/// Adds the references and literal words of a piece of a rule's body.
fn scan(body: &str, rule: &mut Rule) {
    let chars: Vec<char> = body.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '"' {
            let start = i + 1;
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            let literal: String = chars[start..i.min(chars.len())].iter().collect();
            if !literal.is_empty() && literal.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
                rule.words.insert(literal);
            }
            i += 1;
        } else if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let name: String = chars[start..i].iter().collect();
            let negated = chars[..start]
                .iter()
                .rev()
                .find(|c| !c.is_whitespace())
                .is_some_and(|c| *c == '!');
            if !negated {
                rule.refers.insert(name);
            }
        } else {
            i += 1;
        }
    }
}

/// The literal words of the rules reachable from `start`.
fn words_from(rules: &BTreeMap<String, Rule>, start: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo = vec![start.to_string()];
    let mut words = BTreeSet::new();
    while let Some(name) = todo.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        if let Some(rule) = rules.get(&name) {
            words.extend(rule.words.iter().cloned());
            todo.extend(rule.refers.iter().cloned());
        }
    }
    words
}

/// Every word (`[A-Za-z_]+`) in the `match`, `begin` and `end` patterns of a TextMate grammar
/// and of those it includes from `others`.
fn grammar_words(grammar: &serde_json::Value) -> BTreeSet<String> {
    fn walk(value: &serde_json::Value, out: &mut BTreeSet<String>) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, value) in map {
                    if let ("match" | "begin" | "end", serde_json::Value::String(pattern)) =
                        (key.as_str(), value)
                    {
                        out.extend(
                            pattern
                                .split(|c: char| !(c.is_ascii_alphabetic() || c == '_'))
                                .filter(|w| !w.is_empty())
                                .map(String::from),
                        );
                    }
                    walk(value, out);
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    walk(grammar, &mut out);
    out
}

fn read_grammar(name: &str) -> serde_json::Value {
    let path = root().join("editors/vscode/syntaxes").join(name);
    let text = std::fs::read_to_string(&path).expect("the grammar is there");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn the_policy_grammar_names_every_keyword_of_policy_pest() {
    let pest = std::fs::read_to_string(root().join("grammar/policy.pest")).expect("the grammar");
    let rules = pest_rules(&pest);
    assert!(rules.contains_key("policy_file") && rules.contains_key("keyword"));
    // Every rule's words, not only those reachable from `policy_file`: the `keyword` rule is
    // used only as `!keyword`, yet its words are the language's keywords.
    let keywords: BTreeSet<String> = rules.values().flat_map(|r| r.words.clone()).collect();
    // The reading of pest found the language: a statement, a range word, a window, a unit.
    for word in [
        "escalation",
        "below",
        "year_to_date",
        "school_weeks",
        "late_after",
    ] {
        assert!(keywords.contains(word), "{word} not read from policy.pest");
    }
    let highlighted = grammar_words(&read_grammar("attend-policy.tmLanguage.json"));
    let missing: Vec<_> = keywords.difference(&highlighted).collect();
    assert!(
        missing.is_empty(),
        "keywords of grammar/policy.pest the TextMate grammar does not highlight: {missing:?}"
    );
}

#[test]
fn the_calendar_grammar_names_every_keyword_a_calendar_file_can_hold() {
    let pest = std::fs::read_to_string(root().join("grammar/policy.pest")).expect("the grammar");
    let rules = pest_rules(&pest);
    let keywords = words_from(&rules, "calendar_file");
    for word in [
        "calendar",
        "session",
        "half_term",
        "bank_holiday",
        "opens",
        "to",
    ] {
        assert!(
            keywords.contains(word),
            "{word} not reached from calendar_file"
        );
    }
    // Not reached: the calendar rules name no policy statement (`ident`'s `!keyword` is a
    // lookahead, not a use).
    assert!(!keywords.contains("escalation"), "{keywords:?}");
    let calendar = read_grammar("attend-calendar.tmLanguage.json");
    let mut highlighted = grammar_words(&calendar);
    // What the calendar grammar includes from the policy grammar's repository.
    let policy = read_grammar("attend-policy.tmLanguage.json");
    for include in calendar["patterns"]
        .as_array()
        .expect("patterns")
        .iter()
        .filter_map(|p| p["include"].as_str())
    {
        if let Some(("source.attend-policy", name)) = include.split_once('#') {
            highlighted.extend(grammar_words(&policy["repository"][name]));
        }
    }
    let missing: Vec<_> = keywords.difference(&highlighted).collect();
    assert!(
        missing.is_empty(),
        "keywords of a .calendar file the TextMate grammar does not highlight: {missing:?}"
    );
}

#[test]
fn the_extension_contributes_both_languages_and_grammars() {
    let path = root().join("editors/vscode/package.json");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("package.json"))
            .expect("package.json is JSON");
    let contributes = &manifest["contributes"];
    for (language, extension, scope, file) in [
        (
            "attend-policy",
            ".policy",
            "source.attend-policy",
            "attend-policy.tmLanguage.json",
        ),
        (
            "attend-calendar",
            ".calendar",
            "source.attend-calendar",
            "attend-calendar.tmLanguage.json",
        ),
    ] {
        let languages = contributes["languages"].as_array().expect("languages");
        assert!(
            languages
                .iter()
                .any(|l| l["id"] == language && l["extensions"][0] == extension),
            "{language}"
        );
        let grammars = contributes["grammars"].as_array().expect("grammars");
        let grammar = grammars
            .iter()
            .find(|g| g["language"] == language)
            .expect("a grammar for the language");
        assert_eq!(grammar["scopeName"], scope);
        assert_eq!(grammar["path"], format!("./syntaxes/{file}"));
        // The grammar file says the same scope name, or VS Code would not find it.
        assert_eq!(read_grammar(file)["scopeName"], scope);
    }
    assert_eq!(
        contributes["configuration"]["properties"]["attend.path"]["default"],
        "attend"
    );
}
