//! The simulation's figures as a reader sees them: the text tables `attend simulate` prints
//! and the CSV it writes, one column per policy.

use super::{Group, NO_STAGE, NO_STAGE_NO_BAND, Simulation};
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
            .chain(self.policies.iter().map(|p| short(&p.label)))
            .collect()
    }

    /// Every stage some rule of some policy puts pupils at, in the order the policies give
    /// them.
    pub fn stage_names(&self) -> Vec<String> {
        // Every policy lists the framework's six stages in order (under its own names), so
        // the union of the whole lists keeps that order; then only the staged ones stay.
        let mut names: Vec<String> = Vec::new();
        for p in &self.policies {
            for s in &p.stages {
                if !names.contains(s) {
                    names.push(s.clone());
                }
            }
        }
        names.retain(|name| self.policies.iter().any(|p| p.reaching(name).is_some()));
        names
    }

    /// A policy's pupils reaching a stage, `27 (2.7%)`, or `—` when it has no such stage.
    pub fn reaching_text(&self, p: &super::PolicyFigures, stage: &str, group: usize) -> String {
        match p.reaching(stage) {
            Some(c) => format!("{} ({})", c[group], share(c[group], self.pupils[group])),
            None => "—".to_string(),
        }
    }

    /// The side-by-side comparison `attend simulate` prints.
    pub fn text(&self, days: &SchoolDays) -> String {
        let minutes = &self.minutes;
        let mut out = format!(
            "{} pupils, {} to {} ({} school weeks)\n",
            self.pupils[0],
            self.span.0,
            self.span.1,
            self.weeks.len()
        );
        let all = self.pupils[0];
        out.push_str("\nPolicies\n");
        let rows = vec![
            std::iter::once("file".to_string())
                .chain(self.policies.iter().map(|p| p.file.clone()))
                .collect(),
            std::iter::once("attend check".to_string())
                .chain(self.policies.iter().map(|p| p.check.clone()))
                .collect(),
        ];
        out.push_str(&table_text(&self.head("policy"), &rows));
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
            let mut head = vec![format!("{} — stage", short(&p.label))];
            head.extend(p.half_terms.iter().map(|s| days.date(s.day).to_string()));
            let mut rows: Vec<Vec<String>> = p
                .stages
                .iter()
                .enumerate()
                .map(|(i, stage)| {
                    // A stage no rule puts a pupil at is not the policy's: `—`, not 0.
                    let staged = p.staged.get(i).copied().unwrap_or(false);
                    std::iter::once(stage.clone())
                        .chain(p.half_terms.iter().map(|s| {
                            if staged {
                                s.stages.get(i).map_or(0, |c| c[0]).to_string()
                            } else {
                                "—".to_string()
                            }
                        }))
                        .collect()
                })
                .collect();
            rows.push(
                std::iter::once(NO_STAGE.to_string())
                    .chain(p.half_terms.iter().map(|s| s.no_stage[0].to_string()))
                    .collect(),
            );
            rows.push(
                std::iter::once(NO_STAGE_NO_BAND.to_string())
                    .chain(p.half_terms.iter().map(|s| s.no_band[0].to_string()))
                    .collect(),
            );
            out.push_str(&table_text(&head, &rows));
            if p.half_terms.first().is_some_and(|s| !s.bands.is_empty()) {
                let mut head = vec![format!("{} — band", short(&p.label))];
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
        out.push_str(
            "\nPupils reaching each stage (at that stage on some school day; — no rule of the policy puts a pupil at that stage)\n",
        );
        let rows: Vec<Vec<String>> = self
            .stage_names()
            .iter()
            .map(|stage| {
                std::iter::once(format!("reaching {stage}"))
                    .chain(
                        self.policies
                            .iter()
                            .map(|p| self.reaching_text(p, stage, 0)),
                    )
                    .collect()
            })
            .collect();
        out.push_str(&table_text(&self.head("measure"), &rows));
        out.push_str(&format!(
            "\nStaff time: each action counted once, on the day it is due, at these minutes \
             (change with --minutes KIND=MIN):\n  {}\n",
            minutes.describe()
        ));
        let mut rows: Vec<Vec<String>> = self
            .kinds()
            .iter()
            .map(|k| {
                std::iter::once(format!("hours: {k} ({} min each)", minutes.of(k)))
                    .chain(
                        self.policies
                            .iter()
                            .map(|p| hours(p.minutes_by_kind.get(k).copied().unwrap_or(0))),
                    )
                    .collect()
            })
            .collect();
        rows.push(
            std::iter::once("staff hours".to_string())
                .chain(self.policies.iter().map(|p| hours(p.minutes[0])))
                .collect(),
        );
        rows.push(
            std::iter::once("staff hours per school week".to_string())
                .chain(self.policies.iter().map(|p| {
                    format!(
                        "{:.1}",
                        p.minutes[0] as f64 / 60.0 / self.weeks.len().max(1) as f64
                    )
                }))
                .collect(),
        );
        out.push_str(&table_text(&self.head("measure"), &rows));
        let top = self.stage_names();
        let (hi, lo) = (top.last().cloned(), top.iter().rev().nth(1).cloned());
        let last_two: Vec<String> = lo.into_iter().chain(hi).collect();
        out.push_str(&format!(
            "\nBy group: pupils, reaching {}, actions and staff minutes per pupil\n",
            last_two.join(" / ")
        ));
        let mut head = vec!["group".to_string(), "pupils".to_string()];
        for p in &self.policies {
            for (i, stage) in last_two.iter().enumerate() {
                head.push(if i == 0 {
                    format!("{}: {stage}", short(&p.label))
                } else {
                    stage.clone()
                });
            }
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
                    for stage in &last_two {
                        row.push(match p.reaching(stage) {
                            Some(c) => share(c[g], n),
                            None => "—".to_string(),
                        });
                    }
                    row.push(per(p.actions.values().map(|c| c[g]).sum(), n));
                    row.push(per(p.minutes[g], n));
                }
                row
            })
            .collect();
        out.push_str(&table_text(&head, &rows));
        out
    }

    /// `comparison.csv`: `policy,file,measure,group,value,percent_of_group`, one figure a
    /// line. `value` is always a number (pupils, actions, or minutes for `staff_minutes`);
    /// `percent_of_group` is the value as a percentage of the group's pupils, where that
    /// means something, to one decimal place.
    pub fn csv(&self, days: &SchoolDays) -> Vec<u8> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let _ = w.write_record([
            "policy",
            "file",
            "measure",
            "group",
            "value",
            "percent_of_group",
        ]);
        for p in &self.policies {
            let mut put = |measure: &str, group: &str, value: String, of: Option<u64>| {
                let pct = of.map_or(String::new(), |n| percent(value.parse().unwrap_or(0), n));
                let _ = w.write_record([
                    p.label.as_str(),
                    p.file.as_str(),
                    measure,
                    group,
                    value.as_str(),
                    pct.as_str(),
                ]);
            };
            for (g, group) in Group::ALL.iter().enumerate() {
                let gid = group.id();
                let n = self.pupils[g];
                put("pupils", gid, n.to_string(), None);
                let total: u64 = p.actions.values().map(|c| c[g]).sum();
                put("actions", gid, total.to_string(), None);
                for (kind, c) in &p.actions {
                    put(&format!("actions:{kind}"), gid, c[g].to_string(), None);
                }
                for ((stage, c), _) in p
                    .stages
                    .iter()
                    .zip(&p.reached)
                    .zip(&p.staged)
                    .filter(|(_, staged)| **staged)
                {
                    put(&format!("reaching:{stage}"), gid, c[g].to_string(), Some(n));
                }
                put("staff_minutes", gid, p.minutes[g].to_string(), None);
                for s in &p.half_terms {
                    let date = days.date(s.day);
                    for (i, stage) in p.stages.iter().enumerate() {
                        let v = s.stages.get(i).map_or(0, |c| c[g]);
                        put(
                            &format!("stage:{stage}@{date}"),
                            gid,
                            v.to_string(),
                            Some(n),
                        );
                    }
                    for (what, v) in [("in_band", s.no_stage[g]), ("no_band", s.no_band[g])] {
                        put(
                            &format!("no_stage_{what}@{date}"),
                            gid,
                            v.to_string(),
                            Some(n),
                        );
                    }
                    for (band, c) in &s.bands {
                        put(
                            &format!("band:{band}@{date}"),
                            gid,
                            c[g].to_string(),
                            Some(n),
                        );
                    }
                }
            }
            for (kind, m) in &p.minutes_by_kind {
                put(&format!("staff_minutes:{kind}"), "all", m.to_string(), None);
            }
            for (w, date) in self.weeks.iter().enumerate() {
                let v = p.weekly.get(w).copied().unwrap_or(0);
                put(&format!("actions_week:{date}"), "all", v.to_string(), None);
            }
        }
        w.into_inner().unwrap_or_default()
    }
}

/// `n` as a percentage of `of`, to one decimal place, as a bare number (`57.1`); empty
/// when `of` is 0. Integer arithmetic, rounded half up.
fn percent(n: u64, of: u64) -> String {
    if of == 0 {
        return String::new();
    }
    let tenths = (n * 1000 + of / 2) / of;
    format!("{}.{}", tenths / 10, tenths % 10)
}

/// Minutes as hours to one decimal place.
fn hours(minutes: u64) -> String {
    format!("{:.1}", minutes as f64 / 60.0)
}

/// A policy's name short enough for a column heading of the printed comparison (the CSV and
/// the report keep the whole name).
fn short(name: &str) -> String {
    const WIDTH: usize = 28;
    if name.chars().count() <= WIDTH {
        return name.to_string();
    }
    // A label that tells twins apart by file (`Name (file.policy)`) keeps the file whole.
    let (head, tail) = match name.rfind(" (") {
        Some(at) if name.ends_with(')') => name.split_at(at),
        _ => (name, ""),
    };
    let room = WIDTH.saturating_sub(tail.chars().count()).max(12);
    if head.chars().count() <= room {
        return name.to_string();
    }
    let cut: String = head.chars().take(room - 1).collect();
    format!("{}…{tail}", cut.trim_end())
}
