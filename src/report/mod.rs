//! `report.html`: a self-contained page (inline style, hand-written SVG, no scripts, no
//! external resources) of a simulation's figures. Pure: data in, HTML out.

// Each element is written as one line ending in `\n`, inside the format string where it is built.
#![allow(clippy::write_with_newline)]

use std::fmt::Write;

mod diff;
pub use diff::html as diff_html;

use crate::simulate::{Group, Simulation};

mod coverage;
use crate::table::DecisionTable;
use crate::table::SchoolDays;

/// What a report shows.
pub struct Report<'a> {
    pub title: &'a str,
    /// The cohort in words (`synthetic secondary cohort of 2000 pupils (seed 1)`).
    pub cohort: &'a str,
    pub sim: &'a Simulation,
    pub tables: &'a [DecisionTable],
    pub days: &'a SchoolDays,
    /// Shown above everything else: a policy run with `--allow-errors`, in words.
    pub warnings: &'a [String],
}

const POLICY: [&str; 6] = [
    "#2b6cb0", "#c05621", "#2f855a", "#6b46c1", "#b83280", "#2c7a7b",
];
const STAGE: [&str; 8] = [
    "#e2e8f0", "#bee3f8", "#90cdf4", "#f6e05e", "#ed8936", "#c53030", "#742a2a", "#1a202c",
];
const W: f64 = 760.0;
const H: f64 = 260.0;
const L: f64 = 48.0;
const R: f64 = 16.0;
const T: f64 = 16.0;
const B: f64 = 36.0;

pub use crate::html::escape as esc;

fn colour(i: usize) -> &'static str {
    POLICY[i % POLICY.len()]
}

const STYLE: &str = "
:root{--ink:#1a202c;--muted:#5a6478;--rule:#e2e8f0;--bg:#fff;--panel:#f8fafc}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:15px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif}
main{max-width:860px;margin:0 auto;padding:32px 20px 64px}
h1{font-size:26px;margin:0 0 4px;letter-spacing:-.01em}
h2{font-size:18px;margin:40px 0 4px;padding-top:16px;border-top:1px solid var(--rule)}
h3{font-size:15px;margin:20px 0 4px}
p.meta{color:var(--muted);margin:0}
p.how{color:var(--muted);font-size:13px;margin:0 0 12px}
svg{display:block;width:100%;height:auto;max-width:100%}
svg text{font-family:inherit;font-size:11px;fill:var(--muted)}
svg .lbl{fill:var(--ink);font-size:11px}
.legend{display:flex;flex-wrap:wrap;gap:6px 18px;font-size:13px;margin:6px 0}
.legend span::before{content:'';display:inline-block;width:11px;height:11px;margin-right:6px;border-radius:2px;background:var(--c);vertical-align:-1px}
table{border-collapse:collapse;width:100%;font-size:13px;font-variant-numeric:tabular-nums}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid var(--rule)}
th{font-weight:600;background:var(--panel)}
td.n,th.n{text-align:right}
p.warn{background:#fff5f5;border-left:4px solid #c53030;padding:8px 12px;margin:12px 0}
.chip{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px}
";

/// The whole page.
pub fn html(r: &Report<'_>) -> String {
    let sim = r.sim;
    let names: Vec<&str> = sim.policies.iter().map(|p| p.label.as_str()).collect();
    let mut o = String::new();
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n<h1>{}</h1>\n\
         <p class=\"meta\">{} · {}</p>\n<p class=\"meta\">{} to {} · {} school weeks · {} pupils</p>\n",
        esc(r.title),
        esc(r.title),
        esc(&names.join(" vs ")),
        esc(r.cohort),
        sim.span.0,
        sim.span.1,
        sim.weeks.len(),
        sim.pupils[0]
    );
    for warning in r.warnings {
        let _ = writeln!(o, "<p class=\"warn\" role=\"alert\">{}</p>", esc(warning));
    }
    o.push_str(&legend(&names));
    o.push_str(&summary_table(sim));
    o.push_str(&histogram(sim));
    o.push_str(&weekly(sim));
    o.push_str(&caseload(sim, r.days));
    o.push_str(&equity(sim));
    o.push_str(&due(sim));
    o.push_str(&coverage::section(sim));
    o.push_str("</main>\n</body>\n</html>\n");
    o
}

fn legend(names: &[&str]) -> String {
    let mut o = String::from("<div class=\"legend\">");
    for (i, n) in names.iter().enumerate() {
        let _ = write!(o, "<span style=\"--c:{}\">{}</span>", colour(i), esc(n));
    }
    o.push_str("</div>\n");
    o
}

fn svg_open(o: &mut String, label: &str, height: f64) {
    let _ = write!(
        o,
        "<svg width=\"{W}\" height=\"{height}\" viewBox=\"0 0 {W} {height}\" role=\"img\" aria-label=\"{}\">\n",
        esc(label)
    );
}

/// Nice round step for an axis of `max`.
fn step(max: f64) -> f64 {
    let raw = (max / 5.0).max(1.0);
    let mag = 10f64.powf(raw.log10().floor());
    let n = raw / mag;
    mag * if n <= 1.0 {
        1.0
    } else if n <= 2.0 {
        2.0
    } else if n <= 5.0 {
        5.0
    } else {
        10.0
    }
}

/// Horizontal grid lines and y labels; returns the axis maximum.
fn y_axis(o: &mut String, max: f64, suffix: &str) -> f64 {
    let s = step(max);
    let top = (max / s).ceil().max(1.0) * s;
    let mut v = 0.0;
    while v <= top + 1e-9 {
        let y = H - B - (v / top) * (H - T - B);
        let _ = write!(
            o,
            "<line x1=\"{L}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#e2e8f0\"/>\
             <text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}{suffix}</text>\n",
            W - R,
            L - 6.0,
            y + 4.0,
            v
        );
        v += s;
    }
    top
}

fn summary_table(sim: &Simulation) -> String {
    let mut o = format!(
        "<h2>At a glance</h2>\n<p class=\"how\">Totals over the whole period. A pupil reaches a stage when it is their stage on some school day; &mdash; means no rule of the policy puts a pupil at that stage. Staff time counts each action once, on the day it is due, at these minutes per action: {} (<code>--minutes KIND=MIN</code> changes one).</p>\n<table>\n<tr><th>Measure</th>",
        esc(&sim.minutes.describe())
    );
    for p in &sim.policies {
        let _ = write!(o, "<th class=\"n\">{}</th>", esc(&p.label));
    }
    o.push_str("</tr>\n");
    let mut row = |label: &str, f: &dyn Fn(&crate::simulate::PolicyFigures) -> String| {
        let _ = write!(o, "<tr><td>{}</td>", esc(label));
        for p in &sim.policies {
            let _ = write!(o, "<td class=\"n\">{}</td>", esc(&f(p)));
        }
        o.push_str("</tr>\n");
    };
    if sim.policies.iter().any(|p| !p.file.is_empty()) {
        row("File", &|p| p.file.clone());
    }
    if sim.policies.iter().any(|p| !p.check.is_empty()) {
        row("attend check", &|p| p.check.clone());
    }
    row("Actions", &|p| {
        p.actions.values().map(|c| c[0]).sum::<u64>().to_string()
    });
    for kind in sim.kinds() {
        row(&format!("· {kind}"), &|p| {
            p.actions.get(&kind).map_or(0, |c| c[0]).to_string()
        });
    }
    for stage in sim.stage_names() {
        row(&format!("Pupils reaching {stage}"), &|p| {
            sim.reaching_text(p, &stage, 0)
        });
    }
    row("Staff hours", &|p| {
        format!("{:.1}", p.minutes[0] as f64 / 60.0)
    });
    for kind in sim.kinds() {
        let each = sim.minutes.of(&kind);
        row(&format!("· {kind} ({each} min each)"), &|p| {
            format!(
                "{:.1}",
                p.minutes_by_kind.get(&kind).copied().unwrap_or(0) as f64 / 60.0
            )
        });
    }
    o.push_str("</table>\n");
    o
}

fn histogram(sim: &Simulation) -> String {
    // Bin 0: below 50%; bins 1..=50: 50–51%, ..., 99–100% (100% goes in the last).
    let mut bins = [0u64; 51];
    for a in sim.attendance.iter().flatten() {
        let pct = *a / 10_000;
        let b = if pct < 50 {
            0
        } else {
            (pct - 49).min(50) as usize
        };
        bins[b] += 1;
    }
    let max = bins.iter().copied().max().unwrap_or(0) as f64;
    let mut o = String::from(
        "<h2>Attendance distribution</h2>\n<p class=\"how\">Pupils by attendance over the period, in 1% bins (the first bar is everyone below 50%). Vertical lines are each policy's band boundaries, in the policy's colour.</p>\n",
    );
    let height = H + 14.0 * sim.policies.len() as f64;
    svg_open(&mut o, "Attendance distribution", height);
    let top = y_axis(&mut o, max.max(1.0), "");
    let bw = (W - L - R) / 51.0;
    let x_of = |pct: f64| L + bw * (1.0 + (pct - 50.0));
    for (i, n) in bins.iter().enumerate() {
        let h = (*n as f64 / top) * (H - T - B);
        let _ = write!(
            o,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\" fill=\"{}\"><title>{}: {n} pupils</title></rect>\n",
            L + bw * i as f64 + 0.5,
            H - B - h,
            (bw - 1.0).max(0.5),
            if i == 0 { "#a0aec0" } else { "#90a4c0" },
            if i == 0 {
                "below 50%".to_string()
            } else {
                format!("{}–{}%", 49 + i, 50 + i)
            }
        );
    }
    // 50% is left to the `<50` bar's own label, which sits where its tick would.
    for pct in (60..=100).step_by(10) {
        let _ = write!(
            o,
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{pct}%</text>\n",
            x_of(pct as f64),
            H - B + 16.0
        );
    }
    let _ = write!(
        o,
        "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">&lt;50</text>\n",
        L + bw / 2.0,
        H - B + 16.0
    );
    for (pi, p) in sim.policies.iter().enumerate() {
        let mut drawn: Vec<u32> = Vec::new();
        for band in &p.bands {
            let Some((lo, _)) = band.range else {
                continue;
            };
            if lo == 0 || lo < 500_000 || drawn.contains(&lo) {
                continue;
            }
            drawn.push(lo);
            let x = x_of(f64::from(lo) / 10_000.0);
            let label_y = H - B + 30.0 + 14.0 * pi as f64;
            let _ = write!(
                o,
                "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{T}\" y2=\"{:.1}\" stroke=\"{}\" stroke-width=\"1.5\" stroke-dasharray=\"4 3\"/>\
                 <text class=\"lbl\" x=\"{x:.1}\" y=\"{label_y:.1}\" text-anchor=\"middle\" style=\"fill:{}\">{}<title>{}</title></text>\n",
                H - B,
                colour(pi),
                colour(pi),
                // Boundaries can be a few pixels apart: the line carries only its percentage,
                // the band's name is its tooltip.
                esc(&format!("{}%", f64::from(lo) / 10_000.0)),
                esc(&format!("{} from {}%", band.name, f64::from(lo) / 10_000.0))
            );
        }
    }
    o.push_str("</svg>\n");
    o
}

fn weekly(sim: &Simulation) -> String {
    let mut o = String::from(
        "<h2>Actions per week</h2>\n<p class=\"how\">Actions the policy requires each school week (letters, contacts, meetings and the rest together), one line per policy.</p>\n",
    );
    let names: Vec<&str> = sim.policies.iter().map(|p| p.label.as_str()).collect();
    o.push_str(&legend(&names));
    svg_open(&mut o, "Actions per week", H);
    let max = sim
        .policies
        .iter()
        .flat_map(|p| p.weekly.iter().copied())
        .max()
        .unwrap_or(0) as f64;
    let top = y_axis(&mut o, max.max(1.0), "");
    let n = sim.weeks.len().max(2) - 1;
    let x_of = |w: usize| L + (W - L - R) * w as f64 / n as f64;
    x_dates(&mut o, &sim.weeks, &x_of);
    for (pi, p) in sim.policies.iter().enumerate() {
        let points: Vec<String> = p
            .weekly
            .iter()
            .enumerate()
            .map(|(w, v)| {
                format!(
                    "{:.1},{:.1}",
                    x_of(w),
                    H - B - (*v as f64 / top) * (H - T - B)
                )
            })
            .collect();
        let _ = write!(
            o,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\" stroke-linejoin=\"round\"/>\n",
            points.join(" "),
            colour(pi)
        );
    }
    o.push_str("</svg>\n");
    o
}

/// Date labels along the x axis, about six of them.
fn x_dates(o: &mut String, dates: &[chrono::NaiveDate], x_of: &dyn Fn(usize) -> f64) {
    let every = dates.len().div_ceil(6).max(1);
    for (i, d) in dates.iter().enumerate().step_by(every) {
        let _ = write!(
            o,
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
            x_of(i),
            H - B + 16.0,
            d.format("%-d %b")
        );
    }
}

fn caseload(sim: &Simulation, days: &SchoolDays) -> String {
    let mut o = String::from(
        "<h2>Caseload by stage</h2>\n<p class=\"how\">Pupils at each stage at the end of the school week (stacked); the lightest band is the first stage, and pupils at no stage (in no band, or in a band without a stage) are left out. Taller dark segments mean more families in formal support or enforcement.</p>\n",
    );
    for p in &sim.policies {
        let _ = write!(o, "<h3>{}</h3>\n<div class=\"legend\">", esc(&p.label));
        for (i, s) in p.stages.iter().enumerate() {
            let _ = write!(o, "<span style=\"--c:{}\">{}</span>", STAGE[i % 8], esc(s));
        }
        o.push_str("</div>\n");
        svg_open(&mut o, &format!("Caseload by stage: {}", p.label), H);
        let max = p
            .weeks
            .iter()
            .map(|s| s.stages.iter().map(|c| c[0]).sum::<u64>())
            .max()
            .unwrap_or(0) as f64;
        let top = y_axis(&mut o, max.max(1.0), "");
        let n = p.weeks.len().max(1);
        let bw = (W - L - R) / n as f64;
        for (w, s) in p.weeks.iter().enumerate() {
            let mut y = H - B;
            for (i, c) in s.stages.iter().enumerate() {
                let h = (c[0] as f64 / top) * (H - T - B);
                if h > 0.0 {
                    let _ = write!(
                        o,
                        "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\" fill=\"{}\"><title>{} {}: {}</title></rect>\n",
                        L + bw * w as f64 + 0.5,
                        y - h,
                        (bw - 1.0).max(0.5),
                        STAGE[i % 8],
                        days.date(s.day),
                        esc(p.stages.get(i).map_or("", String::as_str)),
                        c[0]
                    );
                }
                y -= h;
            }
        }
        let dates: Vec<_> = p.weeks.iter().map(|s| days.date(s.day)).collect();
        x_dates(&mut o, &dates, &|i| L + bw * (i as f64 + 0.5));
        o.push_str("</svg>\n");
    }
    o
}

fn equity(sim: &Simulation) -> String {
    // The two highest stages any policy names (formalise and enforce in the national
    // framework's words); a policy without one draws no bar for it.
    let stages = sim.stage_names();
    let top: Vec<String> = stages.iter().rev().take(2).rev().cloned().collect();
    let (solid, pale) = match top.as_slice() {
        [a, b] => (a.clone(), b.clone()),
        [a] => (a.clone(), a.clone()),
        _ => (String::new(), String::new()),
    };
    let reaching = if solid == pale {
        esc(&solid).to_string()
    } else {
        format!("{} (solid) and {} (pale)", esc(&solid), esc(&pale))
    };
    let mut o = format!(
        "<h2>Who the policy falls on</h2>\n<p class=\"how\">Share of each group reaching {reaching} over the period, per policy. A stricter policy that falls mainly on pupils with SEND or a social worker shows as taller bars in those groups than in &ldquo;None of these&rdquo;.</p>\n"
    );
    let names: Vec<&str> = sim.policies.iter().map(|p| p.label.as_str()).collect();
    o.push_str(&legend(&names));
    let height = H + 14.0;
    svg_open(
        &mut o,
        "Share reaching formalise and enforce by group",
        height,
    );
    let share = |n: u64, g: usize| {
        if sim.pupils[g] == 0 {
            0.0
        } else {
            n as f64 * 100.0 / sim.pupils[g] as f64
        }
    };
    let max = sim
        .policies
        .iter()
        .flat_map(|p| (0..6).map(move |g| (p, g)))
        .map(|(p, g)| {
            let at = |s: &str| p.reaching(s).map_or(0, |c| c[g]);
            share(at(&solid).max(at(&pale)), g)
        })
        .fold(0.0, f64::max);
    let top = y_axis(&mut o, max.max(1.0), "%");
    let groups = Group::ALL.len() as f64;
    let gw = (W - L - R) / groups;
    let np = sim.policies.len().max(1) as f64;
    let bw = (gw - 16.0) / (np * 2.0);
    for (g, group) in Group::ALL.iter().enumerate() {
        let x0 = L + gw * g as f64 + 8.0;
        for (pi, p) in sim.policies.iter().enumerate() {
            let at = |s: &str| p.reaching(s).map_or(0, |c| c[g]);
            for (k, (value, opacity)) in [(at(&solid), 1.0), (at(&pale), 0.45)].iter().enumerate() {
                let v = share(*value, g);
                let h = (v / top) * (H - T - B);
                let _ = write!(
                    o,
                    "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\" fill=\"{}\" fill-opacity=\"{opacity}\"><title>{} · {} · {}: {v:.1}%</title></rect>\n",
                    x0 + bw * (pi * 2 + k) as f64,
                    H - B - h,
                    (bw - 1.0).max(0.5),
                    colour(pi),
                    esc(group.label()),
                    esc(&p.label),
                    esc(if k == 0 { &solid } else { &pale })
                );
            }
        }
        let _ = write!(
            o,
            "<text class=\"lbl\" x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>\
             <text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{} pupils</text>\n",
            x0 + (gw - 16.0) / 2.0,
            H - B + 16.0,
            // The axis has room for the group's short name only (`SEN`, not its definition).
            esc(group.label().split(" (").next().unwrap_or(group.label())),
            x0 + (gw - 16.0) / 2.0,
            H - B + 30.0,
            sim.pupils[g]
        );
    }
    o.push_str("</svg>\n");
    o
}

fn due(sim: &Simulation) -> String {
    const LIMIT: usize = 100;
    let mut o = String::from(
        "<h2>Pupils needing action this week</h2>\n<p class=\"how\">Actions due in the last school week with data, by pseudonymous pupil id, with who is responsible.</p>\n",
    );
    for (pi, p) in sim.policies.iter().enumerate() {
        let _ = write!(
            o,
            "<h3><span class=\"chip\" style=\"background:{}\"></span>{} — {} actions</h3>\n",
            colour(pi),
            esc(&p.label),
            p.due.len()
        );
        if p.due.is_empty() {
            o.push_str("<p class=\"how\">None.</p>\n");
            continue;
        }
        o.push_str(
            "<table>\n<tr><th>Pupil</th><th>Date</th><th>Action</th><th>Responsible</th></tr>\n",
        );
        for d in p.due.iter().take(LIMIT) {
            let _ = write!(
                o,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                esc(&d.pupil),
                d.date,
                esc(&d.action),
                esc(&d.responsible)
            );
        }
        o.push_str("</table>\n");
        if p.due.len() > LIMIT {
            let _ = write!(
                o,
                "<p class=\"how\">… and {} more (see actions.csv).</p>\n",
                p.due.len() - LIMIT
            );
        }
    }
    o
}
