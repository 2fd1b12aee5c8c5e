//! AT005: a penalty-notice count leaves out an unauthorised code, such as `U` (arrived after
//! the register closed) or `G` (holiday not granted).

use super::common::*;
use crate::model::normal::{self, Atom};
use crate::model::{ActionKind, CountMetric, FrameworkStage, Matter, Origin, Window};

pub static RULE: Rule = Rule {
    code: "AT005",
    name: "penalty-threshold-omits-unauthorised-code",
    severity: Severity::Error,
    source: "PNF: national framework for penalty notices (national-rules.md §3, §5, §9)",
    in_force: InForce::ALWAYS,
    docs: Docs {
        what: "The `penalty_notices` threshold where it names the codes it counts (`counting \
{G, O}`, as some local authorities' codes of conduct do), and triggers of the school's that lead to a penalty notice (they consider a penalty \
notice, send a penalty warning, or belong to the `enforce` stage) and count register codes over \
a rolling window: the codes must include every unauthorised code (`G`, `N`, `O`, `U`).",
        why: "Any mix of unauthorised codes counts towards the penalty-notice threshold: `G` \
(holiday not granted), `N` and `O` (unexplained), `U` (arrived after the register closed) \
(national-rules.md §3). Arrival after the register closes is unauthorised absence (§5), and a \
term-time holiday taken without leave is `G` (§9). A count that leaves one out lets those \
absences escape the threshold.",
        example: r#"trigger "penalty" when count({N, O}, rolling 10 school_weeks) >= 10
  then consider penalty_notice"#,
        fix: "Count `{G, N, O, U}`, or use `unauthorised(rolling 10 school_weeks)`, which counts \
every unauthorised code.",
    },
    check,
};

fn check(ctx: &Context) -> Vec<Finding> {
    let unauthorised = unauthorised_codes(ctx);
    let mut out = Vec::new();
    // A local authority's threshold that names the codes it counts (`counting {G, O}`).
    if let Some(t) = &ctx.policy.penalty_notices.threshold
        && t.origin == Origin::School
        && let Some(codes) = &t.codes
    {
        let missing: Vec<&str> = unauthorised
            .iter()
            .copied()
            .filter(|c| !codes.contains(c))
            .collect();
        if !missing.is_empty() {
            let meanings: Vec<String> = missing
                .iter()
                .map(|c| format!("`{c}` ({})", code_meaning(c)))
                .collect();
            out.push(
                Finding::new(
                    &first_line(&t.loc),
                    format!(
                        "the penalty-notice threshold counts only {}, leaving {} out",
                        code_list(&codes.0.iter().map(String::as_str).collect::<Vec<_>>()),
                        code_list(&missing)
                    ),
                )
                .label(format!("does not count {}", meanings.join(", ")))
                .help("count every unauthorised code: `counting {G, N, O, U}`, or leave `counting` out"),
            );
        }
    }
    for t in ctx
        .policy
        .triggers
        .iter()
        .filter(|t| t.origin == Origin::School)
    {
        let leads_to_penalty = t.actions.iter().any(|a| {
            matches!(
                a.kind,
                ActionKind::Consider(Matter::PenaltyNotice) | ActionKind::PenaltyWarning
            )
        }) || t
            .stage
            .as_ref()
            .is_some_and(|s| s.framework == FrameworkStage::Enforce);
        if !leads_to_penalty {
            continue;
        }
        let Some(rows) = normal::rows(ctx.policy, &t.condition) else {
            continue;
        };
        let missing: Option<Vec<&str>> = rows
            .iter()
            .filter(|(_, ok)| *ok)
            .flat_map(|(row, _)| row.iter())
            .find_map(|a| match a {
                Atom::Count {
                    metric:
                        CountMetric::Codes {
                            codes,
                            window: Window::RollingWeeks(_),
                        },
                    ..
                } => {
                    let missing: Vec<&str> = unauthorised
                        .iter()
                        .copied()
                        .filter(|c| !codes.contains(c))
                        .collect();
                    (!missing.is_empty()).then_some(missing)
                }
                _ => None,
            });
        if let Some(missing) = missing {
            let meanings: Vec<String> = missing
                .iter()
                .map(|c| format!("`{c}` ({})", code_meaning(c)))
                .collect();
            out.push(
                Finding::new(
                    &first_line(&t.loc),
                    format!(
                        "the trigger `{}` leaves {} out of its count of unauthorised absence",
                        t.name,
                        code_list(&missing)
                    ),
                )
                .label(format!("does not count {}", meanings.join(", ")))
                .help("count `{G, N, O, U}`, or use `unauthorised(rolling 10 school_weeks)`"),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::testing::findings_of;

    #[test]
    fn a_threshold_counting_some_codes_is_reported() {
        // `counting {G, O}` leaves out N and U.
        let found = findings_of(
            "AT005",
            r#"policy "LA" { document code_of_conduct
                penalty_notices { threshold 5 days in rolling 10 school_weeks counting {G, O} } }"#,
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("leaving `N` and `U` out"), "{found:?}");
    }

    #[test]
    fn a_threshold_counting_every_unauthorised_code_is_not() {
        let found = findings_of(
            "AT005",
            r#"policy "LA" { document code_of_conduct
                penalty_notices { threshold 10 sessions in rolling 10 school_weeks counting {G, N, O, U} } }"#,
        );
        assert!(found.is_empty(), "{found:?}");
    }
}
