//! AT002: nothing tells the local authority after 10 consecutive school days of unauthorised
//! absence, or a ladder tells it later than that.

use super::common::*;
use crate::model::Origin;

pub static RULE: Rule = Rule {
    code: "AT002",
    name: "ten-day-absence-not-reported-to-local-authority",
    severity: Severity::Error,
    source: "REG24 reg 13 (2006 reg 12(1)(b)); CME (national-rules.md §4)",
    in_force: InForce::ALWAYS,
    docs: Docs {
        what: "That some escalation counting days of unauthorised absence (`G`, `N` and `O` at \
least, and no authorised code) tells the local authority (`notify` or `refer \
local_authority`) on or before day 10, for every pupil; and that no ladder of the school's over \
unauthorised codes first tells the local authority later than day 10. `extends national` brings \
in the national `continuous-absence` ladder, which does this. A ladder of the school's that tells \
the local authority by day 10 but counts only some of `G`, `N` and `O` is reported where it is \
written. A document declared `document excerpt` or `document code_of_conduct` need not have the \
ladder (it is not the whole policy), but a ladder it writes is checked.",
        why: "Schools must make a return to the local authority for every pupil absent, the absence \
not treated as authorised, for a continuous period of not less than ten school days \
(national-rules.md §4: confirmed in the 2006 regulations, reg 12(1)(b); carried into REG24 reg \
13, whose text was not read for attend; CME repeats it).",
        example: r#"escalation "unexplained absence" days marked {G, N, O} {
  day 15: notify local_authority
}"#,
        fix: "Notify the local authority at `day 10` at the latest, in a ladder over `{G, N, O}`, \
or write `extends national` and keep the national `continuous-absence` ladder.",
    },
    check,
};

fn check(ctx: &Context) -> Vec<Finding> {
    if ctx.baseline {
        return Vec::new();
    }
    let unauthorised = unauthorised_codes(ctx);
    let mut out = Vec::new();
    let mut covered = false;
    // Ladders of the school's that tell the local authority in time over only some codes:
    // reported only when no other ladder does the return.
    let mut partial = Vec::new();
    for e in &ctx.policy.escalations {
        let codes: Vec<&str> = e.codes.0.iter().map(String::as_str).collect();
        let only_unauthorised = codes.iter().all(|c| unauthorised.contains(c));
        let whole = ["G", "N", "O"].iter().all(|c| codes.contains(c));
        let first_notice = e
            .steps
            .iter()
            .filter(|s| {
                s.guard.is_none() && s.actions.iter().any(|a| tells_local_authority(&a.kind))
            })
            .map(|s| s.day)
            .min();
        if only_unauthorised && whole && first_notice.is_some_and(|d| d <= 10) {
            covered = true;
        }
        // A ladder that tells the local authority in time but counts only some of the
        // unauthorised codes: a run of the others is never reported.
        if e.origin == Origin::School
            && only_unauthorised
            && !whole
            && let Some(day) = first_notice.filter(|d| *d <= 10)
        {
            let left_out: Vec<&str> = ["G", "N", "O"]
                .into_iter()
                .filter(|c| !codes.contains(c))
                .collect();
            partial.push(
                Finding::new(&first_line(&e.loc), format!(
                    "`{}` tells the local authority on day {day} only of a run of days marked {}: a run of {} is never reported",
                    e.name, e.codes, code_list(&left_out)
                ))
                .label(format!("no {}", code_list(&left_out)))
                .help("count every unauthorised absence: `days marked {G, N, O}`"),
            );
        }
        if e.origin == Origin::School && only_unauthorised {
            let late = e
                .steps
                .iter()
                .filter(|s| s.actions.iter().any(|a| tells_local_authority(&a.kind)))
                .min_by_key(|s| s.day);
            if let Some(step) = late.filter(|s| s.day > 10) {
                out.push(
                    Finding::new(&first_line(&step.loc), format!(
                        "`{}` first tells the local authority on day {}, later than 10 school days of unauthorised absence",
                        e.name, step.day
                    ))
                    .label(format!("day {}", step.day))
                    .help("tell the local authority at `day 10` at the latest"),
                );
            }
        }
    }
    // A document that is not the whole policy need not have the ladder; one it wrote that
    // misses codes is told so above, where it is written.
    if !covered {
        out.extend(partial);
    }
    if !covered && whole_policy(ctx) {
        out.push(
            Finding::new(&ctx.header(), "no rule tells the local authority after 10 consecutive school days of unauthorised absence")
                .label("this policy")
                .help(
                    "add `escalation \"continuous absence\" days marked {G, N, O} { day 10: notify local_authority }`, \
                     or write `extends national`",
                ),
        );
    }
    out
}
