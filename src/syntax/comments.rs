//! Comments are part of a policy (they quote the sentence of the school's document a rule
//! encodes), so both surfaces keep them: the grammar skips them as trivia, and this module
//! finds them in the text and attaches each to the statement it belongs to.

use super::ast::*;
use crate::source::{Source, Span};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Dsl,
    Toml,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comment {
    pub span: Span,
    pub text: String,
    /// Written after code on the same line.
    pub trailing: bool,
}

/// Finds the comments in `text`: a `#` outside strings (and, in the DSL, not the closure code
/// `#` inside a code set such as `{N, #}`) up to the end of its line.
pub fn scan(text: &str, dialect: Dialect) -> Vec<Comment> {
    let bytes = text.as_bytes();
    let mut comments = Vec::new();
    let mut i = 0;
    let mut line_has_code = false;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'\n' => {
                line_has_code = false;
                i += 1;
            }
            b'"' | b'\'' if dialect == Dialect::Toml || b == b'"' => {
                line_has_code = true;
                i = skip_string(bytes, i, dialect);
            }
            _ if dialect == Dialect::Dsl && bytes[i..].starts_with("\u{201c}".as_bytes()) => {
                line_has_code = true;
                i = skip_curly_string(text, i);
            }
            b'#' if !(dialect == Dialect::Dsl && is_code_in_set(bytes, i)) => {
                let end = text[i..].find('\n').map_or(text.len(), |n| i + n);
                let raw = &text[i + 1..end];
                let body = raw.strip_prefix(' ').unwrap_or(raw).trim_end();
                let text = match dialect {
                    Dialect::Dsl => body.to_string(),
                    Dialect::Toml => unescape_from_toml(body),
                };
                comments.push(Comment {
                    span: Span::new(i, end),
                    text,
                    trailing: line_has_code,
                });
                i = end;
            }
            b' ' | b'\t' | b'\r' => i += 1,
            _ => {
                line_has_code = true;
                i += 1;
            }
        }
    }
    comments
}

/// A comment's text as a TOML comment may hold it: TOML allows no control character but tab
/// in a comment, so each is written `\u{7}` (its code in hex), and a backslash that would
/// read as such an escape is written `\u{5c}`. [`unescape_from_toml`] reverses it exactly, so
/// a DSL comment survives a trip through TOML.
pub fn escape_for_toml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, c) in text.char_indices() {
        let escape = (c.is_control() && c != '\t')
            || (c == '\\' && text.get(i + 1..).is_some_and(|rest| rest.starts_with("u{")));
        if escape {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

/// Turns the escapes [`escape_for_toml`] writes back into the characters: `\u{HEX}` naming a
/// control character or a backslash. Anything else is left as written.
pub fn unescape_from_toml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("\\u{") {
        let (before, from) = rest.split_at(at);
        out.push_str(before);
        let decoded = from.get(3..).and_then(|hex| {
            let close = hex.find('}')?;
            let digits = hex.get(..close)?;
            let valid = !digits.is_empty()
                && digits.len() <= 6
                && digits.chars().all(|d| d.is_ascii_hexdigit());
            let c = u32::from_str_radix(digits, 16)
                .ok()
                .and_then(char::from_u32)?;
            (valid && ((c.is_control() && c != '\t') || c == '\\')).then_some((c, 3 + close + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = from.get(len..).unwrap_or("");
            }
            None => {
                out.push('\\');
                rest = from.get(1..).unwrap_or("");
            }
        }
    }
    out.push_str(rest);
    out
}

/// Past a DSL string in curly quotes (`“...”`, as a word processor writes them), or to the end
/// of its line if it is not closed there.
fn skip_curly_string(text: &str, start: usize) -> usize {
    let mut chars = text[start..].char_indices().skip(1);
    while let Some((at, c)) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '\n' => return start + at,
            '\u{201d}' => return start + at + c.len_utf8(),
            _ => {}
        }
    }
    text.len()
}

fn skip_string(bytes: &[u8], start: usize, dialect: Dialect) -> usize {
    let quote = bytes[start];
    let triple =
        dialect == Dialect::Toml && bytes.get(start..start + 3) == Some(&[quote, quote, quote][..]);
    let escapes = quote == b'"';
    let mut i = if triple { start + 3 } else { start + 1 };
    while i < bytes.len() {
        let b = bytes[i];
        if escapes && b == b'\\' {
            i += 2;
            continue;
        }
        if !triple && b == b'\n' {
            return i;
        }
        if b == quote {
            if !triple {
                return i + 1;
            }
            if bytes.get(i..i + 3) == Some(&[quote, quote, quote][..]) {
                return i + 3;
            }
        }
        i += 1;
    }
    bytes.len()
}

/// `#` between `{`/`,` and `,`/`}` is the register code for a planned closure.
fn is_code_in_set(bytes: &[u8], at: usize) -> bool {
    let before = bytes[..at]
        .iter()
        .rev()
        .find(|b| !matches!(b, b' ' | b'\t'));
    let after = bytes
        .get(at + 1..)
        .and_then(|rest| rest.iter().find(|b| !matches!(b, b' ' | b'\t')));
    matches!(before, Some(b'{' | b',')) && matches!(after, Some(b',' | b'}'))
}

/// Attaches the comments of `src` to the statements of `file` by position.
pub fn attach(src: &Source, file: &mut File) {
    attach_comments(src, scan(src.text(), Dialect::Dsl), Dialect::Dsl, file);
}

/// A node's span, its leading comments, and for a block that keeps them (`bands`), the
/// comments after its last entry.
type Slot<'a> = (Span, &'a mut Vec<String>, Option<&'a mut Vec<String>>);

pub fn attach_comments(src: &Source, comments: Vec<Comment>, dialect: Dialect, file: &mut File) {
    if comments.is_empty() {
        return;
    }
    // A comment after a policy's last statement stays at the end of its body (the policy's
    // trailing comments) rather than moving above `policy`, so `attend fmt` is a fixed point.
    let root = matches!(file, File::Policy(_)).then_some(0);
    let mut nodes: Vec<Slot> = Vec::new();
    collect_nodes(file, &mut nodes);
    let mut orphans = Vec::new();
    // Decide every comment's owner first (indices into `nodes`), then move the text. Comments
    // come in the order written and nodes are sorted by where they start, so each comment
    // costs a binary search and the walk as a whole is linear: a file of ten thousand
    // statements, each with its comment, is not ten thousand squared.
    let spans: Vec<Span> = nodes.iter().map(|(span, ..)| *span).collect();
    let keeps_trailing: Vec<bool> = nodes.iter().map(|(.., inner)| inner.is_some()).collect();
    let text = src.text();
    let mut by_start: Vec<usize> = (0..spans.len()).collect();
    by_start.sort_by_key(|&i| spans.get(i).map_or(0, |s| s.start));
    let start_of = |i: usize| spans.get(i).map_or(0, |s| s.start);
    let end_of = |i: usize| spans.get(i).map_or(0, |s| s.end);
    // Nodes that start before the current comment and may still enclose it, latest start on
    // top. One that ends before a comment ends encloses no later comment either.
    let mut open: Vec<usize> = Vec::new();
    let mut opened = 0;
    let mut owners: Vec<Option<(usize, bool)>> = Vec::with_capacity(comments.len());
    for comment in &comments {
        let before = by_start.partition_point(|&i| start_of(i) < comment.span.start);
        let mut owner = None;
        if comment.trailing {
            let line = src.line(comment.span.start);
            owner = before
                .checked_sub(1)
                .and_then(|b| by_start.get(b).copied())
                .filter(|&i| src.line(start_of(i)) == line);
        }
        if owner.is_none() {
            let next = by_start
                .get(by_start.partition_point(|&i| start_of(i) < comment.span.end))
                .copied();
            while let Some(&i) = by_start.get(opened).filter(|_| opened < before) {
                if Some(i) != root {
                    open.push(i);
                }
                opened += 1;
            }
            while open.last().is_some_and(|&i| end_of(i) < comment.span.end) {
                open.pop();
            }
            let enclosing = open.last().copied();
            owner = match (next, enclosing) {
                (Some(n), Some(e)) => Some(if start_of(n) < end_of(e) { n } else { e }),
                (Some(n), None) => Some(n),
                (None, Some(e)) => Some(e),
                (None, None) => None,
            };
            // A comment after a block's last entry, inside it (the DSL's `}` still to come),
            // or straight after it with no blank line (TOML, whose tables have no end), stays
            // at the end of the block.
            let block = if owner.is_some() && owner == enclosing {
                enclosing
            } else if dialect == Dialect::Toml {
                (0..spans.len())
                    .filter(|&i| {
                        keeps_trailing.get(i) == Some(&true) && end_of(i) <= comment.span.start
                    })
                    .max_by_key(|&i| end_of(i))
                    .filter(|&i| {
                        text.get(end_of(i)..comment.span.start)
                            .is_some_and(directly_after)
                    })
            } else {
                None
            };
            if let Some(b) = block.filter(|&b| keeps_trailing.get(b) == Some(&true)) {
                owners.push(Some((b, true)));
                continue;
            }
        }
        owners.push(owner.map(|o| (o, false)));
    }
    for (comment, owner) in comments.into_iter().zip(owners) {
        match owner.and_then(|(i, inner)| nodes.get_mut(i).map(|n| (n, inner))) {
            Some(((_, _, Some(trailing)), true)) => trailing.push(comment.text),
            Some(((_, slot, _), _)) => slot.push(comment.text),
            None => orphans.push(comment.text),
        }
    }
    drop(nodes);
    trailing_slot_push(file, orphans);
}

/// Whether the text between a block's end and a comment is only line breaks and other
/// comments, with no blank line: the comment continues the block.
fn directly_after(between: &str) -> bool {
    let mut lines: Vec<&str> = between.split('\n').collect();
    // The rest of the block's last line, the whole lines between, the comment's indent.
    let (Some(first), Some(_)) = (lines.first().copied(), lines.pop()) else {
        return false;
    };
    !lines.is_empty()
        && (first.trim().is_empty() || first.trim_start().starts_with('#'))
        && lines[1..]
            .iter()
            .all(|line| line.trim_start().starts_with('#'))
}

fn trailing_slot_push(file: &mut File, orphans: Vec<String>) {
    match file {
        File::Policy(policy) => policy.node.trailing.extend(orphans),
        File::Calendars(cals) => cals.trailing.extend(orphans),
    }
}

fn collect_nodes<'a>(file: &'a mut File, out: &mut Vec<Slot<'a>>) {
    match file {
        File::Policy(policy) => {
            let Node {
                comments,
                loc,
                node,
            } = policy;
            out.push((loc.span, comments, None));
            for item in &mut node.items {
                item_nodes(item, out);
            }
        }
        File::Calendars(cals) => {
            for cal in &mut cals.calendars {
                let Node {
                    comments,
                    loc,
                    node,
                } = cal;
                let at = out.len();
                out.push((loc.span, comments, None));
                calendar_nodes(node, at, out);
            }
        }
    }
}

fn leaf<'a, T>(node: &'a mut Node<T>, out: &mut Vec<Slot<'a>>) -> &'a mut T {
    let Node {
        comments,
        loc,
        node,
    } = node;
    out.push((loc.span, comments, None));
    node
}

/// A calendar's lines; `at` is the calendar's own slot, which keeps the comments after its
/// last line.
fn calendar_nodes<'a>(cal: &'a mut CalendarAst, at: usize, out: &mut Vec<Slot<'a>>) {
    let CalendarAst {
        items, trailing, ..
    } = cal;
    if let Some(slot) = out.get_mut(at) {
        slot.2 = Some(trailing);
    }
    for item in items {
        leaf(item, out);
    }
}

fn item_nodes<'a>(item: &'a mut Node<Item>, out: &mut Vec<Slot<'a>>) {
    let at = out.len();
    match leaf(item, out) {
        Item::Roles(entries)
        | Item::Procedures(entries)
        | Item::Letters(entries)
        | Item::Meetings(entries) => {
            for e in entries {
                leaf(e, out);
            }
        }
        Item::Calendar(cal) => calendar_nodes(cal, at, out),
        Item::Stages(entries) => {
            for e in entries {
                leaf(e, out);
            }
        }
        Item::Bands(bands) => {
            let BandsAst {
                bands, trailing, ..
            } = bands;
            if let Some(slot) = out.get_mut(at) {
                slot.2 = Some(trailing);
            }
            for b in bands {
                leaf(b, out);
            }
        }
        Item::Schedule(schedule) => {
            let ScheduleAst { rows, trailing, .. } = schedule;
            if let Some(slot) = out.get_mut(at) {
                slot.2 = Some(trailing);
            }
            for r in rows {
                leaf(r, out);
            }
        }
        Item::Escalation(esc) => {
            for s in &mut esc.steps {
                leaf(s, out);
            }
        }
        Item::Plan(plan) => {
            for i in &mut plan.items {
                leaf(i, out);
            }
        }
        Item::PenaltyNotices(items) => {
            for i in items {
                leaf(i, out);
            }
        }
        Item::Limits(items) => {
            for i in items {
                leaf(i, out);
            }
        }
        Item::Extends(_)
        | Item::Urn(_)
        | Item::Phase(_)
        | Item::Document(_)
        | Item::SchoolType(_)
        | Item::Target(_)
        | Item::Ratified(_)
        | Item::Review(_)
        | Item::Cites { .. }
        | Item::Define(_)
        | Item::Trigger(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_comment_escapes_reverse_exactly() {
        for text in [
            "plain",
            "bell \u{7} escape \u{1b}[31m next line \u{85} delete \u{7f}",
            "tab\tstays",
            "a written \\u{7} and \\u{5c} stay written",
            "a lone backslash \\ and \\u{zz} and \\u{",
            "\u{0}",
        ] {
            let escaped = escape_for_toml(text);
            assert!(
                !escaped.chars().any(|c| c.is_control() && c != '\t'),
                "{escaped:?}"
            );
            assert_eq!(unescape_from_toml(&escaped), text);
        }
        assert_eq!(escape_for_toml("a\u{7}b"), "a\\u{7}b");
        assert_eq!(escape_for_toml("\\u{7}"), "\\u{5c}u{7}");
        // Only control characters and the backslash are escapes; other text is kept.
        assert_eq!(unescape_from_toml("\\u{41} \\u{7}"), "\\u{41} \u{7}");
    }

    #[test]
    fn ten_thousand_commented_statements_attach_in_one_pass() {
        let mut text = String::from("policy \"P\" {\n  letters {\n");
        for i in 0..10_000 {
            text.push_str(&format!(
                "    # letter {i}\n    l{i} \"p\" # trailing {i}\n"
            ));
        }
        text.push_str("  }\n}\n");
        let src = Source::new("p.policy", text);
        let Ok(File::Policy(policy)) = crate::syntax::parse(&src) else {
            panic!("parses");
        };
        let Some(Item::Letters(entries)) = policy.node.items.first().map(|i| &i.node) else {
            panic!("letters");
        };
        assert_eq!(entries.len(), 10_000);
        for (i, entry) in entries.iter().enumerate() {
            assert_eq!(
                entry.comments,
                [format!("letter {i}"), format!("trailing {i}")]
            );
        }
    }

    #[test]
    fn scan_skips_strings_and_closure_codes() {
        let text = "a \"# not\" {N, #} # yes\n# own\n";
        let found = scan(text, Dialect::Dsl);
        let texts: Vec<_> = found
            .iter()
            .map(|c| (c.text.as_str(), c.trailing))
            .collect();
        assert_eq!(texts, vec![("yes", true), ("own", false)]);
    }

    #[test]
    fn scan_skips_curly_quoted_strings() {
        let text = "a \u{201c}# not \"x\"\u{201d} # yes\n";
        let found = scan(text, Dialect::Dsl);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].text, "yes");
    }

    #[test]
    fn scan_toml_multiline_strings() {
        let text = "a = '''\n# no\n''' # yes\nb = \"x#\"\n";
        let found = scan(text, Dialect::Toml);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].text, "yes");
    }
}
