//! AST to canonical DSL text: what `attend fmt` prints. Statements keep the author's order and
//! their comments; layout, spacing and parentheses are canonical, so printing is idempotent.
//! The fragment printers (`expr`, `range`, `actions`, ...) also write the TOML surface's strings.

use std::fmt::Write;

use super::ast::*;
use super::dsl::quote;

const INDENT: &str = "  ";

pub fn print_file(file: &File) -> String {
    let mut p = Printer::default();
    match file {
        File::Policy(policy) => p.policy(policy),
        File::Calendars(cals) => {
            for (i, cal) in cals.calendars.iter().enumerate() {
                if i > 0 {
                    p.out.push('\n');
                }
                p.comments(&cal.comments, 0);
                p.calendar(&cal.node, 0);
            }
            p.comments(&cals.trailing, 0);
        }
    }
    p.out
}

#[derive(Default)]
struct Printer {
    out: String,
}

impl Printer {
    fn line(&mut self, depth: usize, text: &str) {
        for _ in 0..depth {
            self.out.push_str(INDENT);
        }
        self.out.push_str(text);
        self.out.push('\n');
    }

    fn comments(&mut self, comments: &[String], depth: usize) {
        for c in comments {
            if c.is_empty() {
                self.line(depth, "#");
            } else {
                self.line(depth, &format!("# {c}"));
            }
        }
    }

    fn policy(&mut self, policy: &Node<PolicyAst>) {
        self.comments(&policy.comments, 0);
        self.line(0, &format!("policy {} {{", quote(&policy.node.name.node)));
        let mut previous_was_block = false;
        let mut printed = 0;
        // An empty `stages {}` says nothing, and TOML (an array of `[[stage]]` tables) cannot
        // write it, so neither surface prints it; its comments go with the next statement.
        let mut carried: Vec<String> = Vec::new();
        for item in &policy.node.items {
            if matches!(&item.node, Item::Stages(entries) if entries.is_empty()) {
                carried.extend(item.comments.iter().cloned());
                continue;
            }
            carried.extend(item.comments.iter().cloned());
            let comments = std::mem::take(&mut carried);
            let block = is_block(&item.node);
            if printed > 0 && (block || previous_was_block || !comments.is_empty()) {
                self.out.push('\n');
            }
            printed += 1;
            previous_was_block = block;
            self.comments(&comments, 1);
            self.item(&item.node, 1);
        }
        carried.extend(policy.node.trailing.iter().cloned());
        self.comments(&carried, 1);
        self.line(0, "}");
    }

    fn item(&mut self, item: &Item, d: usize) {
        match item {
            Item::Extends(name) => self.line(d, &format!("extends {}", name.node)),
            Item::Urn(urn) => self.line(d, &format!("urn {}", urn.node)),
            Item::Phase(phase) => self.line(d, &format!("phase {}", phase.node)),
            Item::Document(kind) => self.line(d, &format!("document {}", kind.node)),
            Item::SchoolType(t) => self.line(d, &format!("type {}", t.node)),
            Item::Target(p) => self.line(d, &format!("target {}", p.node)),
            Item::Ratified(date) => self.line(d, &format!("ratified {}", date.node)),
            Item::Review(date) => self.line(d, &format!("review {}", date.node)),
            Item::Cites { kind, title } => {
                self.line(d, &format!("cites {} {}", kind.node, quote(&title.node)))
            }
            Item::Roles(entries) => self.entries("roles", entries, d),
            Item::Procedures(entries) => self.entries("procedures", entries, d),
            Item::Letters(entries) => self.entries("letters", entries, d),
            Item::Meetings(entries) => self.entries("meetings", entries, d),
            Item::Calendar(cal) => self.calendar(cal, d),
            Item::Stages(entries) => {
                self.line(d, "stages {");
                for e in entries {
                    self.comments(&e.comments, d + 1);
                    let mut text = e.node.id.node.clone();
                    if let Some(fw) = &e.node.framework {
                        let _ = write!(text, " is {}", fw.node);
                    }
                    if let Some(t) = &e.node.text {
                        let _ = write!(text, " {}", quote(&t.node));
                    }
                    self.line(d + 1, &text);
                }
                self.line(d, "}");
            }
            Item::Define(def) => {
                let mut text = format!("define {}", def.name.node);
                if let Some(w) = &def.wording {
                    let _ = write!(text, " {}", quote(&w.node));
                }
                let _ = write!(text, " when {}", expr(&def.when.node));
                self.line(d, &text);
            }
            Item::Bands(bands) => {
                let mut head = String::from(if bands.ladder.is_some() {
                    "ladder"
                } else {
                    "bands"
                });
                if let Some(l) = &bands.label {
                    let _ = write!(head, " {}", quote(&l.node));
                }
                let _ = write!(head, " {} over {}", bands.metric.node, bands.window.node);
                if let Some(n) = &bands.min_possible {
                    let _ = write!(
                        head,
                        " from {}",
                        evidence(n.node, bands.min_possible_written)
                    );
                }
                if let Some(order) = bands.ladder.as_ref().and_then(|l| l.order.as_ref()) {
                    let _ = write!(head, " {}", order_text(&order.node));
                }
                head.push_str(" {");
                self.line(d, &head);
                for band in &bands.bands {
                    self.comments(&band.comments, d + 1);
                    let (head, held) = band_head_held(&band.node, d + 1);
                    if band.node.on_enter.is_empty() {
                        self.line(d + 1, &head);
                        if let Some(held) = &held {
                            self.line(d + 2, held);
                        }
                    } else {
                        let limit = band
                            .node
                            .repeat
                            .as_ref()
                            .map(|r| format!(" {}", repeat(&r.node)))
                            .unwrap_or_default();
                        let on_enter = on_enter_head(&band.node);
                        let one_line =
                            format!("{head} {on_enter}{}{limit}", actions(&band.node.on_enter));
                        if held.is_none() && fits(&one_line, d + 1, band.node.on_enter.len()) {
                            self.line(d + 1, &one_line);
                        } else {
                            self.line(d + 1, &head);
                            if let Some(held) = &held {
                                self.line(d + 2, held);
                            }
                            self.actions_block(d + 2, &on_enter, &band.node.on_enter);
                            if let Some(r) = &band.node.repeat {
                                self.line(d + 2, &repeat(&r.node));
                            }
                        }
                    }
                    for clause in &band.node.enter_also {
                        let head = enter_clause_head(&clause.node.when);
                        self.actions_block(d + 2, &head, &clause.node.actions);
                    }
                    if !band.node.weekly.is_empty() {
                        let every = match band.node.weekly_every.as_ref().map(|n| n.node) {
                            Some(n) if n != 1 => format!("every {n} school_weeks: "),
                            _ => "every school_week: ".to_string(),
                        };
                        self.actions_block(d + 2, &every, &band.node.weekly);
                    }
                }
                self.comments(&bands.trailing, d + 1);
                self.line(d, "}");
            }
            Item::Schedule(schedule) => {
                let mut head = format!("schedule {}", schedule.name.node);
                if let Some(w) = &schedule.wording {
                    let _ = write!(head, " {}", quote(&w.node));
                }
                let _ = write!(head, " per {} {{", schedule.per.node.keyword());
                self.line(d, &head);
                for row in &schedule.rows {
                    self.comments(&row.comments, d + 1);
                    self.line(d + 1, &schedule_row(&row.node));
                }
                self.comments(&schedule.trailing, d + 1);
                self.line(d, "}");
            }
            Item::Escalation(esc) => {
                self.line(
                    d,
                    &format!(
                        "escalation {} days marked {} {{",
                        quote(&esc.name.node),
                        codes(&esc.codes.node)
                    ),
                );
                for step in &esc.steps {
                    self.comments(&step.comments, d + 1);
                    let mut text = format!("day {}", step.node.day.node);
                    if let Some(when) = &step.node.when {
                        let _ = write!(text, " when {}", expr(&when.node));
                    }
                    let one_line = format!("{text}: {}", actions(&step.node.actions));
                    if fits(&one_line, d + 1, step.node.actions.len()) {
                        self.line(d + 1, &one_line);
                    } else {
                        self.actions_block(d + 1, &format!("{text}: "), &step.node.actions);
                    }
                }
                self.line(d, "}");
            }
            Item::Trigger(t) => {
                let mut head = format!("trigger {}", quote(&t.name.node));
                if let Some(n) = &t.min_possible {
                    let _ = write!(head, " from {}", evidence(n.node, t.min_possible_written));
                }
                self.line(d, &head);
                if let Some(l) = &t.looked_at {
                    self.line(d + 1, &looked_at(&l.node));
                }
                if let Some(each) = &t.each {
                    self.line(d + 1, &format!("on each {}", each_codes(&each.node)));
                }
                if let Some(when) = &t.when {
                    self.line(d + 1, &format!("when {}", expr(&when.node)));
                }
                self.actions_block(d + 1, "then ", &t.actions);
                if let Some(stage) = &t.stage {
                    self.line(d + 1, &format!("stage {}", stage.node));
                }
                if let Some(r) = &t.repeat {
                    self.line(d + 1, &repeat(&r.node));
                }
            }
            Item::Plan(plan) => {
                self.line(
                    d,
                    &format!("plan {} at {} {{", quote(&plan.name.node), plan.stage.node),
                );
                for item in &plan.items {
                    self.comments(&item.comments, d + 1);
                    let text = match &item.node {
                        PlanItem::Review {
                            school_weeks,
                            until,
                        } => match until {
                            Some(u) => format!(
                                "review after {} to {} school_weeks",
                                school_weeks.node, u.node
                            ),
                            None => format!("review after {} school_weeks", school_weeks.node),
                        },
                        PlanItem::Target(e) => format!("target {}", expr(&e.node)),
                        PlanItem::Judged { criterion, by } => {
                            let j = JudgedAst {
                                criterion: criterion.clone(),
                                by: by.clone(),
                            };
                            format!("target {}", judged_text(&j))
                        }
                        PlanItem::EscalateTo(s) => format!("escalate to {}", s.node),
                        PlanItem::On { event, actions: a } => {
                            self.actions_block(d + 1, &format!("on {}: ", event.keyword()), a);
                            continue;
                        }
                        PlanItem::Every {
                            school_weeks,
                            actions: a,
                        } => {
                            let every = match school_weeks.as_ref().map(|n| n.node) {
                                Some(n) => format!("every {n} school_weeks: "),
                                None => "every school_week: ".to_string(),
                            };
                            self.actions_block(d + 1, &every, a);
                            continue;
                        }
                    };
                    self.line(d + 1, &text);
                }
                self.line(d, "}");
            }
            Item::PenaltyNotices(items) => {
                self.line(d, "penalty_notices {");
                for item in items {
                    self.comments(&item.comments, d + 1);
                    self.line(d + 1, &penalty_item(&item.node));
                }
                self.line(d, "}");
            }
            Item::Limits(items) => {
                self.line(d, "limits {");
                for item in items {
                    self.comments(&item.comments, d + 1);
                    let mut text = format!("{} {}", item.node.name.node, item.node.value.node);
                    if let Some(unit) = &item.node.unit {
                        let _ = write!(text, " {}", unit.node);
                    }
                    self.line(d + 1, &text);
                }
                self.line(d, "}");
            }
        }
    }

    /// `prefix` then the actions, one per line aligned under the first when there are several.
    fn actions_block(&mut self, d: usize, prefix: &str, list: &[Sp<ActionAst>]) {
        let one_line = format!("{prefix}{}", actions(list));
        if fits(&one_line, d, list.len()) {
            self.line(d, &one_line);
            return;
        }
        let pad = " ".repeat(prefix.chars().count());
        for (i, a) in list.iter().enumerate() {
            let sep = if i + 1 < list.len() { "," } else { "" };
            let lead = if i == 0 { prefix } else { pad.as_str() };
            self.line(d, &format!("{lead}{}{sep}", action(&a.node)));
        }
    }

    fn entries(&mut self, keyword: &str, entries: &[Node<Entry>], d: usize) {
        self.line(d, &format!("{keyword} {{"));
        for e in entries {
            self.comments(&e.comments, d + 1);
            self.line(
                d + 1,
                &format!("{} {}", e.node.id.node, quote(&e.node.text.node)),
            );
        }
        self.line(d, "}");
    }

    fn calendar(&mut self, cal: &CalendarAst, d: usize) {
        match &cal.label {
            Some(label) => self.line(d, &format!("calendar {} {{", quote(&label.node))),
            None => self.line(d, "calendar {"),
        }
        for item in &cal.items {
            self.comments(&item.comments, d + 1);
            self.line(d + 1, &calendar_item(&item.node));
        }
        self.comments(&cal.trailing, d + 1);
        self.line(d, "}");
    }
}

fn is_block(item: &Item) -> bool {
    matches!(
        item,
        Item::Roles(_)
            | Item::Procedures(_)
            | Item::Letters(_)
            | Item::Meetings(_)
            | Item::Calendar(_)
            | Item::Stages(_)
            | Item::Bands(_)
            | Item::Escalation(_)
            | Item::Trigger(_)
            | Item::Plan(_)
            | Item::PenaltyNotices(_)
            | Item::Limits(_)
            | Item::Schedule(_)
    )
}

pub fn calendar_item(item: &CalendarItem) -> String {
    match item {
        CalendarItem::Session { name, times, group } => {
            let mut text = format!("session {}", name.node);
            for t in times {
                let _ = write!(text, " {} {}", t.node.kind.keyword(), time(t.node.minutes));
            }
            if let Some(g) = group {
                let _ = write!(text, " for {}", g.node);
            }
            text
        }
        CalendarItem::Day(line) => day_line(line),
        CalendarItem::Term { name, dates } => {
            format!("term {} {}", name.node, date_range(&dates.node))
        }
        CalendarItem::Closure {
            kind,
            dates,
            reason,
        } => {
            let mut text = format!("{} {}", kind.keyword(), date_range(&dates.node));
            if let Some(r) = reason {
                let _ = write!(text, " {}", quote(&r.node));
            }
            text
        }
    }
}

pub fn date_range(range: &DateRange) -> String {
    match &range.end {
        Some(end) => format!("{} .. {}", range.start.node, end.node),
        None => range.start.node.to_string(),
    }
}

/// An evidence guard's count after `from`: `20 possible sessions`, `10 possible days`.
pub fn evidence(sessions: u32, written: Option<ThresholdCount>) -> String {
    match written {
        Some(w) => {
            let half = if w.half { ".5" } else { "" };
            format!("{}{half} possible {}", w.value, w.unit.keyword())
        }
        None => format!("{sessions} possible sessions"),
    }
}

/// A school-day line as the DSL writes it (also `[[calendar.day]]`'s `line` in TOML).
pub fn day_line(line: &DayLine) -> String {
    let clock = |t: &chrono::NaiveTime| t.format("%H:%M").to_string();
    let mut text = match &line.what {
        DayWhat::At {
            kind,
            session: Some(s),
            time,
        } => format!("{} {} {}", kind.keyword(), s.node, clock(&time.node)),
        DayWhat::At { kind, time, .. } => format!("{} {}", kind.keyword(), clock(&time.node)),
        DayWhat::Lunch { starts, ends } => {
            format!("lunch {} to {}", clock(&starts.node), clock(&ends.node))
        }
        DayWhat::Week { minutes } => match minutes.node % 60 {
            0 => format!("school_week {} hours", minutes.node / 60),
            m => format!("school_week {} hours {m} minutes", minutes.node / 60),
        },
    };
    if let Some(g) = &line.group {
        let _ = write!(text, " for {}", g.node);
    }
    text
}

pub fn time(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// One line is kept for a single action that fits in 100 columns.
fn fits(line: &str, depth: usize, actions: usize) -> bool {
    actions <= 1 && depth * INDENT.len() + line.chars().count() <= 100
}

fn band_head(band: &BandAst) -> String {
    let mut text = format!("band {}", band.id.node);
    if let Some(l) = &band.label {
        let _ = write!(text, " {}", quote(&l.node));
    }
    let _ = write!(text, " {}", range(&band.range.node));
    if let Some(r) = &band.reading {
        let _ = write!(text, " read as {}", range(&r.node));
    }
    if let Some(days) = &band.days {
        let _ = write!(text, " absence {}", days.node);
    }
    if let Some(e) = &band.or_when {
        let _ = write!(text, " or {}", expr(&e.node));
    }
    if let Some(d) = &band.defines {
        let _ = write!(text, " defines {}", d.node);
    }
    if let Some(s) = &band.stage {
        let _ = write!(text, " stage {}", s.node);
    }
    if let Some(e) = &band.at_once {
        let _ = write!(text, " at once when {}", expr(&e.node));
    }
    text
}

/// A band's head, with its `held ...` on the same line where the two fit in 100 columns, else
/// the `held ...` line to print under it.
fn band_head_held(band: &BandAst, depth: usize) -> (String, Option<String>) {
    let head = band_head(band);
    let Some(h) = &band.held else {
        return (head, None);
    };
    let held = held_text(&h.node);
    let joined = format!("{head} {held}");
    if depth * INDENT.len() + joined.chars().count() <= 100 {
        (joined, None)
    } else {
        (head, Some(held))
    }
}

pub fn band_line(band: &BandAst) -> String {
    let mut text = band_head(band);
    if let Some(h) = &band.held {
        let _ = write!(text, " {}", held_text(&h.node));
    }
    if !band.on_enter.is_empty() {
        let _ = write!(text, " {}{}", on_enter_head(band), actions(&band.on_enter));
    }
    for clause in &band.enter_also {
        let head = enter_clause_head(&clause.node.when);
        let _ = write!(text, " {head}{}", actions(&clause.node.actions));
    }
    if !band.weekly.is_empty() {
        let _ = write!(text, " every school_week: {}", actions(&band.weekly));
    }
    text
}

/// The codes of `on each`: one code bare (`L`), several as a set (`{L, U}`).
pub fn each_codes(list: &[Sp<String>]) -> String {
    match list {
        [one] => one.node.clone(),
        _ => codes(list),
    }
}

/// `on enter: `, or with its guard `on enter when CONDITION: `.
fn on_enter_head(band: &BandAst) -> String {
    enter_clause_head(&band.enter_when)
}

fn enter_clause_head(when: &Option<Sp<Expr>>) -> String {
    match when {
        Some(when) => format!("on enter when {}: ", expr(&when.node)),
        None => "on enter: ".into(),
    }
}

/// A range is printed as the school wrote it.
pub fn range(range: &RangeAst) -> String {
    range.written.clone()
}

pub fn penalty_item(item: &PenaltyItem) -> String {
    match item {
        PenaltyItem::Threshold {
            sessions,
            window,
            written,
            codes: counted,
        } => {
            let count = written.map_or(format!("{} sessions", sessions.node), |w| w.to_string());
            let mut text = format!("threshold {count} in {}", window.node);
            if let Some(c) = counted {
                let _ = write!(text, " counting {}", codes(&c.node));
            }
            text
        }
        PenaltyItem::Limit { notices, years } => {
            format!("limit {} in {} years", notices.node, years.node)
        }
        PenaltyItem::Fine {
            second,
            pence,
            within_days,
        } => format!(
            "{} {} within {} days",
            if *second { "second_fine" } else { "fine" },
            money(pence.node),
            within_days.node
        ),
    }
}

pub fn money(pence: u64) -> String {
    if pence.is_multiple_of(100) {
        format!("£{}", pence / 100)
    } else {
        format!("£{}.{:02}", pence / 100, pence % 100)
    }
}

/// `at end of half_term`, `every 2 school_weeks` (`every school_week` for one).
pub fn looked_at(l: &LookedAt) -> String {
    match l {
        LookedAt::EndOf(period) => format!("at end of {}", period.keyword()),
        LookedAt::Every { school_weeks: 1 } => "every school_week".into(),
        LookedAt::Every { school_weeks } => format!("every {school_weeks} school_weeks"),
    }
}

/// `1: 3.5 days "Close of first half-term"`.
pub fn schedule_row(row: &ScheduleRowAst) -> String {
    let mut text = format!("{}: {}", row.period.node, operand(&row.value.node));
    if let Some(l) = &row.label {
        let _ = write!(text, " {}", quote(&l.node));
    }
    text
}

pub fn repeat(r: &RepeatAst) -> String {
    match r {
        RepeatAst::OncePer(period) => format!("once per {}", period.keyword()),
        RepeatAst::Every { school_weeks } => format!("repeat every {school_weeks} school_weeks"),
        RepeatAst::NotWithin { school_weeks } => {
            format!("not again within {school_weeks} school_weeks")
        }
    }
}

pub fn actions(actions: &[Sp<ActionAst>]) -> String {
    actions
        .iter()
        .map(|a| action(&a.node))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn action(a: &ActionAst) -> String {
    let mut text = a.verb.node.clone();
    if let Some(t) = &a.target {
        let _ = write!(text, " {}", t.node);
    }
    if let Some(n) = &a.note {
        let _ = write!(text, " {}", quote(&n.node));
    }
    if let Some(b) = &a.by {
        let _ = write!(text, " by {}", b.node);
    }
    text
}

pub fn codes(codes: &[Sp<String>]) -> String {
    let inner: Vec<&str> = codes.iter().map(|c| c.node.as_str()).collect();
    format!("{{{}}}", inner.join(", "))
}

/// Binding strength, for printing the fewest parentheses that keep the meaning.
fn precedence(e: &Expr) -> u8 {
    match e {
        Expr::Or(_) => 1,
        Expr::And(_) => 2,
        Expr::Not(_) => 3,
        Expr::Compare { .. } | Expr::Flag(_) | Expr::Judged(_) => 4,
    }
}

pub fn expr(e: &Expr) -> String {
    let mut out = String::new();
    write_expr(&mut out, e);
    out
}

fn write_expr(out: &mut String, e: &Expr) {
    match e {
        Expr::Or(parts) | Expr::And(parts) => {
            let word = if matches!(e, Expr::Or(_)) {
                " or "
            } else {
                " and "
            };
            for (i, part) in parts.iter().enumerate() {
                if i > 0 {
                    out.push_str(word);
                }
                // Same-kind children are parenthesised too: `a or (b or c)` keeps its tree.
                write_child(out, &part.node, precedence(e) + 1);
            }
        }
        Expr::Not(inner) => {
            out.push_str("not ");
            write_child(out, &inner.node, precedence(e));
        }
        Expr::Compare { lhs, op, rhs } => {
            write_operand(out, &lhs.node);
            let _ = write!(out, " {} ", op.token());
            write_operand(out, &rhs.node);
        }
        Expr::Flag(name) => out.push_str(name),
        Expr::Judged(j) => out.push_str(&judged_text(j)),
    }
}

fn write_child(out: &mut String, e: &Expr, min: u8) {
    if precedence(e) < min {
        out.push('(');
        write_expr(out, e);
        out.push(')');
    } else {
        write_expr(out, e);
    }
}

pub fn operand(o: &Operand) -> String {
    let mut out = String::new();
    write_operand(&mut out, o);
    out
}

fn write_operand(out: &mut String, o: &Operand) {
    match o {
        Operand::Percent(p) => {
            let _ = write!(out, "{p}");
        }
        Operand::Count { value, half, unit } => {
            let _ = write!(out, "{value}{}", if *half { ".5" } else { "" });
            if let Some(u) = unit {
                let _ = write!(out, " {}", u.keyword());
            }
        }
        Operand::Share { percent, of } => {
            let _ = write!(out, "{percent} of ");
            write_operand(out, &of.node);
        }
        Operand::Call { name, args } => {
            out.push_str(&name.node);
            out.push('(');
            for (i, a) in args.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                match &a.node {
                    Argument::Window(w) => {
                        let _ = write!(out, "{w}");
                    }
                    Argument::Codes(c) => out.push_str(&codes(c)),
                    Argument::Code(c) => out.push_str(c),
                    Argument::Years(n) => {
                        let _ = write!(out, "{n} years");
                    }
                }
            }
            out.push(')');
        }
        Operand::Path(p) => out.push_str(p),
    }
}

/// A ladder's `in order [after N school_weeks]`.
pub fn order_text(order: &OrderAst) -> String {
    let mut out = match order.after_weeks {
        Some(n) => format!("in order after {n} school_weeks"),
        None => "in order".into(),
    };
    if let Some(j) = &order.judged {
        let _ = write!(out, " when {}", judged_text(j));
    }
    out
}

/// `judged "criterion" by ROLE`.
pub fn judged_text(j: &JudgedAst) -> String {
    format!("judged {} by {}", quote(&j.criterion.node), j.by.node)
}

/// A ladder stage's memory: `held until end of year`, `held for 6 school_weeks`, `held until
/// CONDITION for 4 school_weeks`.
pub fn held_text(held: &HeldAst) -> String {
    format!("held {}", held_body(held))
}

/// What follows `held` (a TOML `held` string).
pub fn held_body(held: &HeldAst) -> String {
    match held {
        HeldAst::UntilEnd(p) => format!("until end of {}", p.keyword()),
        HeldAst::For(span) => format!("for {} {}", span.count, span.unit()),
        HeldAst::Until { when, span } => {
            let mut text = format!("until {}", expr(&when.node));
            if let Some(span) = span {
                let _ = write!(text, " for {} {}", span.count, span.unit());
            }
            text
        }
    }
}
