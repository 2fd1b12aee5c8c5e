//! The simulation's figures as a reader sees them: the text tables `attend simulate` prints
//! and the CSV it writes, one column per policy.

use super::{Group, Simulation};
use crate::table::SchoolDays;

fn share(n: u64, of: u64) -> String {
    if of == 0 {
        "-".to_string()
    } else {
        format!("{:.1}%", n as f64 * 100.0 / of as f64)
    }
}

fn per(n: u64, of: u64) -> String {
    if of == 0 {
        "-".to_string()
    } else {
        format!("{:.2}", n as f64 / of as f64)
    }
}

/// A plain-text table: first column left-aligned, the rest right-aligned.
fn table_text(head: &[String], rows: &[Vec<String>]) -> String {
    let cols = head.len();
    let mut width = vec![0usize; cols];
    for r in std::iter::once(head).chain(rows.iter().map(Vec::as_slice)) {
        for (i, c) in r.iter().enumerate().take(cols) {
            width[i] = width[i].max(c.chars().count());
        }
    }
    let line = |r: &[String]| {
        let mut s = String::from("  ");
        for (i, c) in r.iter().enumerate().take(cols) {
            let pad = width[i].saturating_sub(c.chars().count());
            if i == 0 {
                s.push_str(c);
                s.push_str(&" ".repeat(pad));
            } else {
                s.push_str("  ");
                s.push_str(&" ".repeat(pad));
                s.push_str(c);
            }
        }
        s.push('\n');
        s
    };
    let mut out = line(head);
    for r in rows {
        out.push_str(&line(r));
    }
    out
}

impl Simulation {
    /// Every action kind any policy took, in name order.
    pub fn kinds(&self) -> Vec<String> {
        let mut kinds: Vec<String> = self
            .policies
            .iter()
            .flat_map(|p| p.actions.keys().cloned())
            .collect();
        kinds.sort();
        kinds.dedup();
        kinds
    }

    fn head(&self, first: &str) -> Vec<String> {
        std::iter::once(first.to_string())
            .chain(self.policies.iter().map(|p| short(&p.name)))
            .collect()
    }

    /// The side-by-side comparison `attend simulate` prints.
    pub fn text(&self, days: &SchoolDays) -> String {
        let mut out = format!(
            "{} pupils, {} to {} ({} school weeks)\n",
            self.pupils[0],
            self.span.0,
            self.span.1,
            self.weeks.len()
        );
        let all = self.pupils[0];
        out.push_str("\nActions by kind (total)\n");
        let mut rows: Vec<Vec<String>> = self
            .kinds()
            .iter()
            .map(|k| {
                std::iter::once(k.clone())
                    .chain(
                        self.policies
                            .iter()
                            .map(|p| p.actions.get(k).map_or(0, |c| c[0]).to_string()),
                    )
                    .collect()
            })
            .collect();
        rows.push(
            std::iter::once("total".to_string())
                .chain(
                    self.policies
                        .iter()
                        .map(|p| p.actions.values().map(|c| c[0]).sum::<u64>().to_string()),
                )
                .collect(),
        );
        rows.push(
            std::iter::once("per pupil".to_string())
                .chain(
                    self.policies
                        .iter()
                        .map(|p| per(p.actions.values().map(|c| c[0]).sum::<u64>(), all)),
                )
                .collect(),
        );
        out.push_str(&table_text(&self.head("action"), &rows));
        out.push_str("\nActions per school week\n");
        let rows: Vec<Vec<String>> = self
            .weeks
            .iter()
            .enumerate()
            .map(|(w, date)| {
                std::iter::once(format!("w/c {date}"))
                    .chain(
                        self.policies
                            .iter()
                            .map(|p| p.weekly.get(w).copied().unwrap_or(0).to_string()),
                    )
                    .collect()
            })
            .collect();
        out.push_str(&table_text(&self.head("week"), &rows));
        out.push_str("\nPupils per stage at the end of each half-term\n");
        for p in &self.policies {
            let mut head = vec![format!("{} — stage", short(&p.name))];
            head.extend(p.half_terms.iter().map(|s| days.date(s.day).to_string()));
            let rows: Vec<Vec<String>> = p
                .stages
                .iter()
                .enumerate()
                .map(|(i, stage)| {
                    std::iter::once(stage.clone())
                        .chain(
                            p.half_terms
                                .iter()
                                .map(|s| s.stages.get(i).map_or(0, |c| c[0]).to_string()),
                        )
                        .collect()
                })
                .collect();
            out.push_str(&table_text(&head, &rows));
            if p.half_terms.first().is_some_and(|s| !s.bands.is_empty()) {
                let mut head = vec![format!("{} — band", short(&p.name))];
                head.extend(p.half_terms.iter().map(|s| days.date(s.day).to_string()));
                let names: Vec<&String> = p
                    .half_terms
                    .first()
                    .map(|s| s.bands.iter().map(|(n, _)| n).collect())
                    .unwrap_or_default();
                let rows: Vec<Vec<String>> = names
                    .iter()
                    .enumerate()
                    .map(|(i, name)| {
                        std::iter::once((*name).clone())
                            .chain(
                                p.half_terms
                                    .iter()
                                    .map(|s| s.bands.get(i).map_or(0, |(_, c)| c[0]).to_string()),
                            )
                            .collect()
                    })
                    .collect();
                out.push_str(&table_text(&head, &rows));
            }
        }
        out.push_str("\nFamilies reaching formalise and enforce, and staff time\n");
        let rows = vec![
            std::iter::once("reaching formalise".to_string())
                .chain(
                    self.policies
                        .iter()
                        .map(|p| format!("{} ({})", p.formalise[0], share(p.formalise[0], all))),
                )
                .collect(),
            std::iter::once("reaching enforce".to_string())
                .chain(
                    self.policies
                        .iter()
                        .map(|p| format!("{} ({})", p.enforce[0], share(p.enforce[0], all))),
                )
                .collect(),
            std::iter::once("staff hours".to_string())
                .chain(
                    self.policies
                        .iter()
                        .map(|p| format!("{:.1}", p.minutes[0] as f64 / 60.0)),
                )
                .collect(),
            std::iter::once("staff hours per week".to_string())
                .chain(self.policies.iter().map(|p| {
                    format!(
                        "{:.1}",
                        p.minutes[0] as f64 / 60.0 / self.weeks.len().max(1) as f64
                    )
                }))
                .collect(),
        ];
        out.push_str(&table_text(&self.head("measure"), &rows));
        out.push_str("\nBy group: pupils, reaching formalise / enforce, actions and staff minutes per pupil\n");
        let mut head = vec!["group".to_string(), "pupils".to_string()];
        for p in &self.policies {
            head.push(format!("{}: formalise", short(&p.name)));
            head.push("enforce".to_string());
            head.push("actions/pupil".to_string());
            head.push("min/pupil".to_string());
        }
        let rows: Vec<Vec<String>> = Group::ALL
            .iter()
            .enumerate()
            .map(|(g, group)| {
                let n = self.pupils[g];
                let mut row = vec![group.label().to_string(), n.to_string()];
                for p in &self.policies {
                    row.push(share(p.formalise[g], n));
                    row.push(share(p.enforce[g], n));
                    row.push(per(p.actions.values().map(|c| c[g]).sum(), n));
                    row.push(per(p.minutes[g], n));
                }
                row
            })
            .collect();
        out.push_str(&table_text(&head, &rows));
        out
    }

    /// `comparison.csv`: `policy,measure,group,value`, one figure a line.
    pub fn csv(&self, days: &SchoolDays) -> Vec<u8> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let _ = w.write_record(["policy", "measure", "group", "value"]);
        let mut put = |policy: &str, measure: &str, group: &str, value: String| {
            let _ = w.write_record([policy, measure, group, value.as_str()]);
        };
        for p in &self.policies {
            for (g, group) in Group::ALL.iter().enumerate() {
                let gid = group.id();
                let n = self.pupils[g];
                put(&p.name, "pupils", gid, n.to_string());
                let total: u64 = p.actions.values().map(|c| c[g]).sum();
                put(&p.name, "actions", gid, total.to_string());
                for (kind, c) in &p.actions {
                    put(&p.name, &format!("actions:{kind}"), gid, c[g].to_string());
                }
                put(&p.name, "actions_per_pupil", gid, per(total, n));
                put(
                    &p.name,
                    "reaching_formalise",
                    gid,
                    p.formalise[g].to_string(),
                );
                put(&p.name, "reaching_enforce", gid, p.enforce[g].to_string());
                put(
                    &p.name,
                    "share_reaching_formalise",
                    gid,
                    share(p.formalise[g], n),
                );
                put(
                    &p.name,
                    "share_reaching_enforce",
                    gid,
                    share(p.enforce[g], n),
                );
                put(&p.name, "staff_minutes", gid, p.minutes[g].to_string());
                for s in &p.half_terms {
                    let date = days.date(s.day);
                    for (i, stage) in p.stages.iter().enumerate() {
                        let v = s.stages.get(i).map_or(0, |c| c[g]);
                        put(
                            &p.name,
                            &format!("stage:{stage}@{date}"),
                            gid,
                            v.to_string(),
                        );
                    }
                    for (band, c) in &s.bands {
                        put(
                            &p.name,
                            &format!("band:{band}@{date}"),
                            gid,
                            c[g].to_string(),
                        );
                    }
                }
            }
            for (w, date) in self.weeks.iter().enumerate() {
                let v = p.weekly.get(w).copied().unwrap_or(0);
                put(
                    &p.name,
                    &format!("actions_week:{date}"),
                    "all",
                    v.to_string(),
                );
            }
        }
        w.into_inner().unwrap_or_default()
    }
}

/// A policy's name short enough for a column heading of the printed comparison (the CSV and
/// the report keep the whole name).
fn short(name: &str) -> String {
    const WIDTH: usize = 28;
    if name.chars().count() <= WIDTH {
        return name.to_string();
    }
    let cut: String = name.chars().take(WIDTH - 1).collect();
    format!("{}…", cut.trim_end())
}
