//! The report's coverage section: per policy, how often each band, trigger, escalation step
//! and plan fired on the cohort, the rules that never fired ("dead in practice") first.

use std::fmt::Write;

use super::esc;
use crate::simulate::Simulation;

/// The section, one table per policy.
pub(super) fn section(sim: &Simulation) -> String {
    let mut o = String::from(
        "<h2>Coverage</h2>\n<p class=\"how\">How often each rule fired on this cohort: <em>fired</em> counts the times its actions were due (a band: its entries), <em>pupils</em> those it fired for (a band: the pupils in it on some school day). A rule that never fired is <strong>dead in practice</strong> here: a boundary no pupil reaches, a step no absence runs to, or a condition that cannot hold.</p>\n",
    );
    for (pi, p) in sim.policies.iter().enumerate() {
        let dead: Vec<_> = p.coverage.dead().collect();
        let _ = writeln!(
            o,
            "<h3><span class=\"chip\" style=\"background:{}\"></span>{} — {} of {} rules never fired</h3>",
            super::colour(pi),
            esc(&p.label),
            dead.len(),
            p.coverage.entries.len()
        );
        o.push_str(
            "<table>\n<tr><th>Part</th><th>Rule</th><th>Policy line</th><th class=\"n\">Fired</th><th class=\"n\">Pupils</th><th></th></tr>\n",
        );
        // Dead rules first: they are what a reader is looking for.
        let mut entries: Vec<_> = p.coverage.entries.iter().collect();
        entries.sort_by_key(|e| !e.dead());
        for e in entries {
            let _ = writeln!(
                o,
                "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
                e.part.word(),
                esc(&e.name()),
                esc(&e.line),
                e.fired,
                e.pupils,
                if e.dead() {
                    "<strong>dead in practice</strong>"
                } else {
                    ""
                }
            );
        }
        o.push_str("</table>\n");
    }
    o
}
