//! The diff view of `report.html` (`attend diff --report FILE.html`): each band set drawn as
//! two strips of attendance, was and now, with the regions that moved marked and a pupil in
//! whole sessions for each; the other changes; and, replayed, the actions by kind (a chart)
//! and by stage and group (tables). Self-contained like the rest of the report.

use std::fmt::Write;

use super::{POLICY, STYLE, W, esc, svg_open};
use crate::diff::{BandSetDiff, Diff, Replay};

/// How many pupils' differing actions the page lists.
const SHOWN_PUPILS: usize = 50;

/// The whole page.
pub fn html(d: &Diff) -> String {
    let mut o = String::new();
    let title = format!("Policy change: {}", d.new.policy);
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}{DIFF_STYLE}</style>\n</head>\n<body>\n<main>\n<h1>{}</h1>\n\
         <p class=\"meta\">was <code>{}</code> ({}) · now <code>{}</code> ({})</p>\n",
        esc(&title),
        esc(&title),
        esc(&d.old.file),
        esc(&d.old.policy),
        esc(&d.new.file),
        esc(&d.new.policy),
    );
    if d.is_empty() {
        o.push_str("<p>No change: the two policies say the same.</p>\n");
    }
    for set in d.bands.iter().filter(|s| !s.is_empty()) {
        band_set(&mut o, set);
    }
    if !d.changes.is_empty() {
        let _ = write!(
            o,
            "<h2>Changes ({})</h2>\n<ul class=\"changes\">\n",
            d.changes.len()
        );
        for c in &d.changes {
            let _ = write!(
                o,
                "<li><span class=\"k {}\">{}</span> {}",
                kind_class(c),
                kind_word(c),
                esc(&crate::diff::subject_of(c))
            );
            if !c.details.is_empty() {
                o.push_str("<ul>");
                for detail in &c.details {
                    let _ = write!(o, "<li>{}</li>", esc(&crate::diff::detail_of(detail)));
                }
                o.push_str("</ul>");
            }
            o.push_str("</li>\n");
        }
        o.push_str("</ul>\n");
    }
    if let Some(r) = &d.replay {
        replay(&mut o, r);
    }
    o.push_str("</main>\n</body>\n</html>\n");
    o
}

const DIFF_STYLE: &str = "
ul.changes{padding-left:0;list-style:none;font-size:14px}
ul.changes>li{margin:6px 0}
ul.changes ul{margin:2px 0 0 22px;padding-left:12px;color:var(--muted);font-size:13px}
.k{display:inline-block;min-width:64px;font-size:12px;font-weight:600;border-radius:3px;padding:0 6px;text-align:center}
.k.add{background:#c6f6d5}.k.del{background:#fed7d7}.k.chg{background:#feebc8}.k.ren{background:#e9d8fd}
code{font-size:13px}
td.add{color:#2f855a}td.del{color:#c53030}
";

fn kind_class(c: &crate::diff::Change) -> &'static str {
    use crate::diff::ChangeKind;
    match c.change {
        ChangeKind::Added => "add",
        ChangeKind::Removed => "del",
        ChangeKind::Changed => "chg",
        ChangeKind::Renamed { .. } => "ren",
    }
}

fn kind_word(c: &crate::diff::Change) -> &'static str {
    use crate::diff::ChangeKind;
    match c.change {
        ChangeKind::Added => "added",
        ChangeKind::Removed => "removed",
        ChangeKind::Changed => "changed",
        ChangeKind::Renamed { .. } => "renamed",
    }
}

/// The band set as two strips (was, now) over the attendance its bands cover, each band a
/// coloured block named where there is room, the moved regions shaded between the strips.
fn band_set(o: &mut String, set: &BandSetDiff) {
    let _ = write!(
        o,
        "<h2>Bands: {}</h2>\n<p class=\"how\">{}: the bands as they were and as they are now; \
         shaded, the attendance that falls in another band.</p>\n",
        esc(&set.name),
        esc(&set.measure)
    );
    // The axis starts at the lowest inner boundary, less a margin, in whole tens.
    let lowest = set
        .old_bands
        .iter()
        .chain(&set.new_bands)
        .flat_map(|b| [b.lo, b.hi])
        .filter(|p| *p > 0)
        .min()
        .unwrap_or(0);
    let start = (lowest.saturating_sub(50_000) / 100_000 * 100_000) as f64;
    let (left, right) = (70.0, W - 20.0);
    let x =
        |p: u32| left + (f64::from(p).max(start) - start) / (1_000_000.0 - start) * (right - left);
    let names: Vec<&str> = {
        let mut n: Vec<&str> = Vec::new();
        for b in set.new_bands.iter().chain(&set.old_bands) {
            if !n.contains(&b.name.as_str()) {
                n.push(&b.name);
            }
        }
        n
    };
    let colour =
        |name: &str| POLICY[names.iter().position(|n| *n == name).unwrap_or(0) % POLICY.len()];
    let height = 150.0;
    svg_open(o, &format!("Bands of {}, was and now", set.name), height);
    let strip = |o: &mut String, y: f64, label: &str, bands: &[crate::diff::BandRange]| {
        let _ = write!(
            o,
            "<text class=\"lbl\" x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{label}</text>\n",
            left - 8.0,
            y + 19.0
        );
        // Overlapping bands (a policy's table that says two things of one pupil) share the
        // strip in lanes, so both show.
        let mut lanes: Vec<Vec<(u32, u32)>> = Vec::new();
        let lane_of: Vec<usize> = bands
            .iter()
            .map(|b| {
                let free = lanes
                    .iter()
                    .position(|l| l.iter().all(|(lo, hi)| !(b.lo < *hi && *lo < b.hi)));
                let at = free.unwrap_or(lanes.len());
                if at == lanes.len() {
                    lanes.push(Vec::new());
                }
                lanes[at].push((b.lo, b.hi));
                at
            })
            .collect();
        let lane_h = 28.0 / lanes.len().max(1) as f64;
        for (b, lane) in bands.iter().zip(lane_of) {
            let (x0, x1) = (x(b.lo), x(b.hi));
            let w = (x1 - x0).max(1.0);
            let top = y + lane_h * lane as f64;
            let _ = write!(
                o,
                "<rect x=\"{x0:.1}\" y=\"{top:.1}\" width=\"{w:.1}\" height=\"{lane_h:.1}\" fill=\"{}\" fill-opacity=\"0.75\" stroke=\"#fff\"><title>{}: {}</title></rect>\n",
                colour(&b.name),
                esc(&b.name),
                esc(&b.range)
            );
            let chars = b.name.chars().count() as f64;
            if w > chars * 6.5 + 6.0 && lane_h >= 13.0 {
                let _ = write!(
                    o,
                    "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" style=\"fill:#fff\">{}</text>\n",
                    x0 + w / 2.0,
                    top + lane_h / 2.0 + 4.0,
                    esc(&b.name)
                );
            }
        }
    };
    for m in &set.moves {
        let (x0, x1) = (x(m.lo), x(m.hi));
        let _ = write!(
            o,
            "<rect x=\"{:.1}\" y=\"12\" width=\"{:.1}\" height=\"92\" fill=\"#c53030\" fill-opacity=\"0.18\" stroke=\"#c53030\" stroke-width=\"1\"><title>{}</title></rect>\n",
            x0 - 1.5,
            (x1 - x0).max(0.0) + 3.0,
            esc(&m.region)
        );
    }
    strip(o, 16.0, "was", &set.old_bands);
    strip(o, 72.0, "now", &set.new_bands);
    // The axis: every 5% from the start.
    let mut p = start as u32;
    while p <= 1_000_000 {
        // The first tick holds everything below it when the axis does not start at 0%.
        let below = if p > 0 && p == start as u32 {
            "≤"
        } else {
            ""
        };
        let _ = write!(
            o,
            "<line x1=\"{0:.1}\" x2=\"{0:.1}\" y1=\"108\" y2=\"114\" stroke=\"#a0aec0\"/>\n\
             <text x=\"{0:.1}\" y=\"128\" text-anchor=\"middle\">{below}{1}%</text>\n",
            x(p),
            p / 10_000
        );
        p += 50_000;
    }
    o.push_str("</svg>\n<div class=\"legend\">");
    for name in &names {
        let _ = write!(
            o,
            "<span style=\"--c:{}\">{}</span>",
            colour(name),
            esc(name)
        );
    }
    o.push_str("</div>\n");
    o.push_str(
        "<table>\n<tr><th>Attendance</th><th>Was</th><th>Now</th><th>Example pupil</th></tr>\n",
    );
    for m in &set.moves {
        let _ = write!(
            o,
            "<tr><td>{}<br><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            esc(&m.region),
            esc(&m.exact),
            esc(&crate::diff::bands_of(&m.old)),
            esc(&crate::diff::bands_of(&m.new)),
            esc(&crate::diff::example_cell(m, "; over a term, "))
        );
    }
    o.push_str("</table>\n");
    if let Some(g) = &set.guard {
        let _ = write!(o, "<p>{}", esc(&crate::diff::guard_of(g)));
        if let Some(e) = &g.example {
            let _ = write!(
                o,
                ": for example, {} was in {}, now in {}",
                esc(&e.text),
                esc(&crate::diff::bands_of(&g.example_old)),
                esc(&crate::diff::bands_of(&g.example_new))
            );
        }
        o.push_str(".</p>\n");
    }
}

fn replay(o: &mut String, r: &Replay) {
    let _ = write!(
        o,
        "<h2>Replayed on {}</h2>\n<p class=\"how\">{} pupils, {} to {}: {} actions under the old \
         policy, {} under the new; {} pupils get different actions.</p>\n<p class=\"how\">{}</p>\n",
        esc(&r.cohort),
        r.pupils,
        r.first_day,
        r.last_day,
        r.old_actions,
        r.new_actions,
        r.pupils_changed,
        esc(crate::diff::MOVED_NOTE)
    );
    for (i, (title, rows)) in crate::diff::totals_of(r).into_iter().enumerate() {
        let _ = write!(o, "<h3>{}</h3>\n", esc(title));
        if i == 0 {
            kinds_chart(o, r);
        }
        o.push_str("<table>\n");
        for (i, row) in rows.iter().enumerate() {
            o.push_str("<tr>");
            for (c, cell) in row.iter().enumerate() {
                let (tag, class) = match (i, c) {
                    (0, 0) => ("th", ""),
                    (0, _) => ("th", " class=\"n\""),
                    (_, 0) => ("td", ""),
                    _ => ("td", " class=\"n\""),
                };
                let _ = write!(o, "<{tag}{class}>{}</{tag}>", esc(cell));
            }
            o.push_str("</tr>\n");
        }
        o.push_str("</table>\n");
    }
    if r.changes.is_empty() {
        return;
    }
    let mut pupils = 0;
    let mut last: Option<&str> = None;
    let _ = write!(
        o,
        "<h3>Actions that differ</h3>\n<p class=\"how\">The first {SHOWN_PUPILS} pupils; \
         <code>--format json</code> lists all.</p>\n<table>\n\
         <tr><th>Pupil</th><th>Date</th><th>Change</th><th>Action</th><th>Rule</th><th>Stage</th></tr>\n"
    );
    for c in &r.changes {
        if last != Some(c.pupil.as_str()) {
            pupils += 1;
            last = Some(c.pupil.as_str());
        }
        if pupils > SHOWN_PUPILS {
            break;
        }
        let class = if c.change == "added" { "add" } else { "del" };
        let _ = write!(
            o,
            "<tr><td>{}</td><td>{}</td><td class=\"{class}\">{}</td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>\n",
            esc(&c.pupil),
            c.date,
            c.change,
            esc(&c.action),
            esc(&c.rule),
            esc(&c.stage)
        );
    }
    o.push_str("</table>\n");
}

/// Actions by kind: a pair of bars (old, new) per kind.
fn kinds_chart(o: &mut String, r: &Replay) {
    if r.by_kind.is_empty() {
        return;
    }
    let row = 26.0;
    let height = 30.0 + row * r.by_kind.len() as f64;
    let max = r
        .by_kind
        .iter()
        .map(|k| k.old.max(k.new))
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let (left, right) = (150.0, W - 70.0);
    o.push_str(
        "<div class=\"legend\"><span style=\"--c:#a0aec0\">old policy</span>\
         <span style=\"--c:#2b6cb0\">new policy</span></div>\n",
    );
    svg_open(o, "Actions by kind, old and new policy", height);
    for (i, k) in r.by_kind.iter().enumerate() {
        let y = 10.0 + row * i as f64;
        let _ = write!(
            o,
            "<text class=\"lbl\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\n",
            left - 8.0,
            y + 14.0,
            esc(&k.name)
        );
        for (j, (value, fill)) in [(k.old, "#a0aec0"), (k.new, "#2b6cb0")].iter().enumerate() {
            let w = (*value as f64 / max * (right - left)).max(if *value > 0 { 1.0 } else { 0.0 });
            let yy = y + 2.0 + 10.0 * j as f64;
            let _ = write!(
                o,
                "<rect x=\"{left:.1}\" y=\"{yy:.1}\" width=\"{w:.1}\" height=\"9\" fill=\"{fill}\"/>\n\
                 <text x=\"{:.1}\" y=\"{:.1}\">{value}</text>\n",
                left + w + 4.0,
                yy + 8.0
            );
        }
    }
    o.push_str("</svg>\n");
}
