//! AT014: a rule that counts the penalty notices already issued (`notices_issued(N years)`)
//! still allows a third notice for the same child within three years.

use super::common::*;
use crate::model::normal::{self, Atom};
use crate::model::{ActionKind, CountMetric, Matter, Origin};

pub static RULE: Rule = Rule {
    code: "AT014",
    name: "third-penalty-notice-within-three-years",
    severity: Severity::Error,
    source: "PNF: national framework for penalty notices (national-rules.md §3)",
    in_force: InForce::from(REG24_IN_FORCE),
    docs: Docs {
        what: "Triggers of the school's or local authority's that consider a penalty notice and \
count the notices already issued (`notices_issued(N years)`): every way the condition can hold \
must keep the notices in the last three years under 2 (a count over 3 years or more, at most \
1). A trigger that does not count notices is not checked here (AT006 checks the `limit`).",
        why: "At most two penalty notices may be issued to the same parent for the same child \
within a rolling three years; at a third offence other action (prosecution) is considered \
instead (national-rules.md §3). A code of conduct that counts notices over a shorter period \
(\"no more than two in any twelve months\") or allows more lets a third notice through.",
        example: r#"trigger "notice" when unauthorised(rolling 10 school_weeks) >= 10 and notices_issued(1 years) < 2
  then consider penalty_notice"#,
        fix: "Count over three years and stop at two: `notices_issued(3 years) < 2`, and write \
the third as `notices_issued(3 years) >= 2 ... then consider prosecution`.",
    },
    check,
};

/// Whether a row of the condition keeps the notices of the last three years under 2: a count
/// over 3 years or more of at most 1 (a period of 3 years or more holds the last three).
fn keeps_under_two(row: &[Atom]) -> bool {
    row.iter().any(|a| {
        matches!(a, Atom::Count {
            metric: CountMetric::NoticesIssued { years },
            range,
        } if *years >= 3 && range.hi.is_some_and(|hi| hi <= 1))
    })
}

fn counts_notices(row: &[Atom]) -> Option<u32> {
    row.iter().find_map(|a| match a {
        Atom::Count {
            metric: CountMetric::NoticesIssued { years },
            ..
        } => Some(*years),
        _ => None,
    })
}

fn check(ctx: &Context) -> Vec<Finding> {
    let mut out = Vec::new();
    for t in ctx
        .policy
        .triggers
        .iter()
        .filter(|t| t.origin == Origin::School)
    {
        let notice = t
            .actions
            .iter()
            .any(|a| a.kind == ActionKind::Consider(Matter::PenaltyNotice));
        if !notice {
            continue;
        }
        let Some(rows) = normal::rows(ctx.policy, &t.condition) else {
            continue;
        };
        let open =
            rows.iter()
                .filter(|(_, ok)| *ok)
                .find_map(|(row, _)| match counts_notices(row) {
                    Some(years) if !keeps_under_two(row) => Some(years),
                    _ => None,
                });
        if let Some(years) = open {
            out.push(
                Finding::new(
                    &first_line(&t.loc),
                    format!(
                        "the trigger `{}` can consider a third penalty notice within three years",
                        t.name
                    ),
                )
                .label(format!(
                    "counts notices over {years} year{}, not at most 1 in 3 years",
                    if years == 1 { "" } else { "s" }
                ))
                .help("write `notices_issued(3 years) < 2`, and a third as `consider prosecution`"),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::testing::findings_of;

    #[test]
    fn two_in_twelve_months_lets_a_third_through_in_three_years() {
        // notices_issued(1 years) < 2: notices in Sep 2024, Oct 2024 and Nov 2025 are each
        // fewer than 2 in the 12 months before: three within three years.
        let found = findings_of(
            "AT014",
            r#"policy "LA" { document code_of_conduct
                trigger "notice" when unauthorised(rolling 10 school_weeks) >= 10 and notices_issued(1 years) < 2
                  then consider penalty_notice }"#,
        );
        assert_eq!(found.len(), 1, "{found:?}");
    }

    #[test]
    fn at_most_one_in_three_years_is_national() {
        // notices_issued(3 years) < 2 is notices ≤ 1 in 3 years: a second, never a third.
        let found = findings_of(
            "AT014",
            r#"policy "LA" { document code_of_conduct
                trigger "notice" when unauthorised(rolling 10 school_weeks) >= 10 and notices_issued(3 years) < 2
                  then consider penalty_notice
                trigger "third" when unauthorised(rolling 10 school_weeks) >= 10 and notices_issued(3 years) >= 2
                  then consider prosecution }"#,
        );
        assert!(found.is_empty(), "{found:?}");
    }
}
