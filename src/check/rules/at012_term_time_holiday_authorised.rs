//! AT012: the policy treats a term-time holiday as authorised leave (the retired code `H`).

use super::common::*;
use crate::model::normal::{self, Atom};
use crate::model::{CountMetric, Origin};
use crate::source::{Loc, Span};

pub static RULE: Rule = Rule {
    code: "AT012",
    name: "term-time-holiday-authorised",
    severity: Severity::Error,
    source: "REG24; WT, leave of absence (national-rules.md §1, §9)",
    in_force: InForce::from(REG24_IN_FORCE),
    docs: Docs {
        what: "Code sets in escalations, triggers and definitions of the school's that use `H`, \
the retired code for a holiday authorised by the school, in a policy ratified from 19 August \
2024.",
        why: "Leave may be granted only in exceptional circumstances, and a term-time holiday is \
not in itself one; holiday taken without leave is `G`, unauthorised (national-rules.md §9). The \
code `H` (authorised holiday) was retired on 19 August 2024 (§1). A rule that counts `H` treats \
holidays as leave the school can authorise.",
        example: r#"trigger "holiday" when count({H}, this_term) >= 1 then letter holiday"#,
        fix: "Count term-time holidays as `G`, and let leave requests follow the school's \
`leave_requests` procedure for exceptional circumstances.",
    },
    check,
};

fn check(ctx: &Context) -> Vec<Finding> {
    let policy = ctx.policy;
    let mut out = Vec::new();
    let mut report = |loc: &Loc, what: String| {
        out.push(
            Finding::new(&code_span(loc, "H"), format!("{what} counts `H`, a holiday authorised as leave"))
                .label("`H` (authorised holiday) was retired on 19 August 2024")
                .help("a term-time holiday without leave is `G` (unauthorised); leave is only for exceptional circumstances"),
        );
    };
    for e in policy
        .escalations
        .iter()
        .filter(|e| e.origin == Origin::School)
    {
        if e.codes.contains("H") {
            report(&e.loc, format!("the escalation `{}`", e.name));
        }
    }
    let counts_h = |c: &crate::model::Condition| {
        normal::rows(policy, c).is_some_and(|rows| {
            rows.iter().flat_map(|(r, _)| r.iter()).any(|a| match a {
                Atom::Count {
                    metric:
                        CountMetric::Codes { codes, .. } | CountMetric::ConsecutiveDays { codes },
                    ..
                } => codes.contains("H"),
                _ => false,
            })
        })
    };
    for t in policy
        .triggers
        .iter()
        .filter(|t| t.origin == Origin::School)
    {
        if counts_h(&t.condition) {
            report(&t.loc, format!("the trigger `{}`", t.name));
        }
    }
    for d in policy
        .definitions
        .iter()
        .filter(|d| d.origin == Origin::School)
    {
        if counts_h(&d.condition) {
            report(&d.loc, format!("the definition `{}`", d.name));
        }
    }
    out
}

/// The first place the code is written as a token in the statement, else its first line.
fn code_span(loc: &Loc, code: &str) -> Loc {
    let text = loc.text();
    let bytes = text.as_bytes();
    let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'-';
    let mut from = 0;
    while let Some(i) = text
        .get(from..)
        .and_then(|t| t.find(code))
        .map(|i| i + from)
    {
        let before = i.checked_sub(1).and_then(|j| bytes.get(j)).copied();
        let after = bytes.get(i + code.len()).copied();
        if !before.is_some_and(is_word) && !after.is_some_and(is_word) {
            let start = loc.span.start + i;
            return Loc {
                src: loc.src.clone(),
                span: Span::new(start, start + code.len()),
            };
        }
        from = i + code.len();
    }
    first_line(loc)
}
