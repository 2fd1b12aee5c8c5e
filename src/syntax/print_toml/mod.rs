//! AST to TOML (`attend fmt --to toml`): one fixed layout, every comment kept as a TOML comment
//! before the table or key it belongs to, and condition-language strings written by the DSL's
//! fragment printers so both surfaces spell them alike. `toml::parse_file` reads it back.

use chrono::Datelike;
use chrono::NaiveDate;
use toml_edit::{ArrayOfTables, Date, Datetime, DocumentMut, Item as TomlItem, Table, Value};

use super::ast::*;
use super::print_dsl::{
    actions, codes, day_line, each_codes, expr, looked_at, money, operand, range, repeat, time,
};

mod cannot_hold;

pub use cannot_hold::cannot_hold;

/// Prints a policy or calendar file as TOML. Tables come in the AST's order (TOML lets arrays
/// of tables interleave), so a DSL file and its TOML read in the same order; the one-line
/// statements (`urn`, `target`, ...) all sit in `[policy]`, and blocks TOML keeps as one table
/// (`roles`, `penalty_notices`, `limits`) merge at the first block's place.
pub fn print_file(file: &File) -> String {
    let mut w = Writer {
        first: true,
        pending: Vec::new(),
        after: Vec::new(),
        position: 0,
    };
    let mut doc = DocumentMut::new();
    let trailing = match file {
        File::Policy(policy) => {
            w.policy(&mut doc, policy);
            &policy.node.trailing
        }
        File::Calendars(cals) => {
            let mut tables = ArrayOfTables::new();
            for cal in &cals.calendars {
                tables.push(w.calendar(&cal.node, &cal.comments));
            }
            insert_tables(&mut doc, "calendar", tables);
            &cals.trailing
        }
    };
    let after = lines(&std::mem::take(&mut w.after));
    let mut rest = std::mem::take(&mut w.pending);
    rest.extend(trailing.iter().cloned());
    if !rest.is_empty() {
        let blank = if w.first { "" } else { "\n" };
        doc.set_trailing(format!("{after}{blank}{}", lines(&rest)));
    } else if !after.is_empty() {
        doc.set_trailing(after);
    }
    doc.to_string()
}

struct Writer {
    /// No table placed yet: the first header gets no blank line before it.
    first: bool,
    /// Comments whose statement has no place of its own (an empty `stages {}`), written
    /// before the next header.
    pending: Vec<String>,
    /// Comments at the end of a block (after its last band), written straight after its last
    /// table with no blank line, so they read back into the block.
    after: Vec<String>,
    /// The next table's place in the document; toml_edit prints tables in this order.
    position: isize,
}

/// The keys of one table, in order, each with the comments to write above it. A key written
/// twice (two `urn` lines, say) keeps its first value; the comments of both are kept.
#[derive(Default)]
struct Keys {
    list: Vec<(String, Value, Vec<String>)>,
}

impl Keys {
    /// Adds a key; `false` if it was already there (only the comments were added).
    fn add(&mut self, key: &str, value: Value, comments: &[String]) -> bool {
        match self.list.iter_mut().find(|(k, _, _)| k == key) {
            Some((_, _, existing)) => {
                existing.extend(comments.iter().cloned());
                false
            }
            None => {
                self.list.push((key.to_string(), value, comments.to_vec()));
                true
            }
        }
    }

    fn set(&mut self, key: &str, value: Value) {
        if let Some((_, slot, _)) = self.list.iter_mut().find(|(k, _, _)| k == key) {
            *slot = value;
        }
    }

    fn write(self, table: &mut Table) {
        for (key, value, comments) in self.list {
            table.insert(&key, TomlItem::Value(value));
            if !comments.is_empty()
                && let Some(mut k) = table.key_mut(&key)
            {
                k.leaf_decor_mut().set_prefix(lines(&comments));
            }
        }
    }
}

/// A table several DSL blocks write into (`[roles]`, `[penalty_notices]`, `[limits]`): placed
/// at the first block, its header comments gathered from all of them.
struct Merged {
    table: Table,
    lead: String,
    comments: Vec<String>,
    keys: Keys,
    fines: ArrayOfTables,
    second_fines: ArrayOfTables,
}

impl Merged {
    fn finish(mut self) -> Table {
        let prefix = format!("{}{}", self.lead, lines(&self.comments));
        self.table.decor_mut().set_prefix(prefix);
        self.keys.write(&mut self.table);
        insert_sub_tables(&mut self.table, "fine", self.fines);
        insert_sub_tables(&mut self.table, "second_fine", self.second_fines);
        self.table
    }
}

/// Where each kind of statement collects while the policy is walked in order.
#[derive(Default)]
struct Sections {
    cite: ArrayOfTables,
    roles: Option<Merged>,
    procedures: Option<Merged>,
    letters: Option<Merged>,
    meetings: Option<Merged>,
    calendar: ArrayOfTables,
    stage: ArrayOfTables,
    define: ArrayOfTables,
    bands: ArrayOfTables,
    escalation: ArrayOfTables,
    trigger: ArrayOfTables,
    plan: ArrayOfTables,
    schedule: ArrayOfTables,
    penalty_notices: Option<Merged>,
    limits: Option<Merged>,
}

impl Writer {
    /// Gives a table the next place in the output; returns the start of its prefix (a blank
    /// line and any pending comments). Tables must be placed in the order they are printed.
    fn place(&mut self, table: &mut Table) -> String {
        table.set_position(Some(self.position));
        self.position += 1;
        let blank = if self.first { "" } else { "\n" };
        self.first = false;
        format!(
            "{}{blank}{}",
            lines(&std::mem::take(&mut self.after)),
            lines(&std::mem::take(&mut self.pending))
        )
    }

    /// Places a table (`[x]` or `[[x]]`) with its comments before the header.
    fn header(&mut self, table: &mut Table, comments: &[String]) {
        let lead = self.place(table);
        table
            .decor_mut()
            .set_prefix(format!("{lead}{}", lines(comments)));
    }

    fn merged<'m>(&mut self, slot: &'m mut Option<Merged>, comments: &[String]) -> &'m mut Merged {
        let merged = slot.get_or_insert_with(|| {
            let mut table = Table::new();
            let lead = self.place(&mut table);
            Merged {
                table,
                lead,
                comments: Vec::new(),
                keys: Keys::default(),
                fines: ArrayOfTables::new(),
                second_fines: ArrayOfTables::new(),
            }
        });
        merged.comments.extend(comments.iter().cloned());
        merged
    }

    fn policy(&mut self, doc: &mut DocumentMut, policy: &Node<PolicyAst>) {
        let mut head = Table::new();
        self.header(&mut head, &policy.comments);
        let mut meta = Keys::default();
        meta.add("name", text(&policy.node.name.node), &[]);
        let mut out = Sections::default();
        for item in &policy.node.items {
            let comments = &item.comments;
            match &item.node {
                Item::Extends(s) => _ = meta.add("extends", text(&s.node), comments),
                Item::Urn(n) => {
                    let value = i64::try_from(n.node)
                        .map_or_else(|_| text(&n.node.to_string()), Value::from);
                    meta.add("urn", value, comments);
                }
                Item::Phase(s) => _ = meta.add("phase", text(&s.node), comments),
                Item::Document(s) => _ = meta.add("document", text(&s.node), comments),
                Item::SchoolType(s) => _ = meta.add("type", text(&s.node), comments),
                Item::Target(p) => _ = meta.add("target", text(&p.node.to_string()), comments),
                Item::Ratified(d) => _ = meta.add("ratified", date(d.node), comments),
                Item::Review(d) => _ = meta.add("review", date(d.node), comments),
                Item::Cites { kind, title } => {
                    let mut t = Table::new();
                    self.header(&mut t, comments);
                    t.insert("kind", TomlItem::Value(text(&kind.node)));
                    t.insert("title", TomlItem::Value(text(&title.node)));
                    out.cite.push(t);
                }
                Item::Roles(entries) => self.entries(&mut out.roles, comments, entries),
                Item::Procedures(entries) => self.entries(&mut out.procedures, comments, entries),
                Item::Letters(entries) => self.entries(&mut out.letters, comments, entries),
                Item::Meetings(entries) => self.entries(&mut out.meetings, comments, entries),
                Item::Calendar(cal) => out.calendar.push(self.calendar(cal, comments)),
                Item::Stages(entries) => {
                    // TOML has no table for the block itself: its comments go before the first
                    // `[[stage]]` header, and that stage's own comments under the header, so
                    // the TOML reader can tell them apart. An empty block leaves its comments
                    // for the next table.
                    for (i, entry) in entries.iter().enumerate() {
                        let mut t = Table::new();
                        let e = &entry.node;
                        t.insert("id", TomlItem::Value(text(&e.id.node)));
                        if let Some(framework) = &e.framework {
                            t.insert("is", TomlItem::Value(text(&framework.node)));
                        }
                        if let Some(words) = &e.text {
                            t.insert("text", TomlItem::Value(text(&words.node)));
                        }
                        if i == 0 {
                            self.header(&mut t, comments);
                            if !entry.comments.is_empty()
                                && let Some(mut key) = t.key_mut("id")
                            {
                                key.leaf_decor_mut().set_prefix(lines(&entry.comments));
                            }
                        } else {
                            self.header(&mut t, &entry.comments);
                        }
                        out.stage.push(t);
                    }
                    if entries.is_empty() {
                        self.pending.extend(comments.iter().cloned());
                    }
                }
                Item::Define(d) => {
                    let mut t = Table::new();
                    self.header(&mut t, comments);
                    t.insert("name", TomlItem::Value(text(&d.name.node)));
                    if let Some(w) = &d.wording {
                        t.insert("wording", TomlItem::Value(text(&w.node)));
                    }
                    t.insert("when", TomlItem::Value(text(&expr(&d.when.node))));
                    out.define.push(t);
                }
                Item::Bands(b) => out.bands.push(self.bands(b, comments)),
                Item::Escalation(e) => out.escalation.push(self.escalation(e, comments)),
                Item::Trigger(tr) => {
                    let mut t = Table::new();
                    self.header(&mut t, comments);
                    t.insert("name", TomlItem::Value(text(&tr.name.node)));
                    if let Some(n) = &tr.min_possible {
                        match tr.min_possible_written {
                            Some(w) => t.insert(
                                "min_possible_count",
                                TomlItem::Value(text(&w.to_string())),
                            ),
                            None => t.insert("min_possible", TomlItem::Value(int(n.node))),
                        };
                    }
                    if let Some(each) = &tr.each {
                        t.insert("on_each", TomlItem::Value(text(&each_codes(&each.node))));
                    }
                    if let Some(when) = &tr.when {
                        t.insert("when", TomlItem::Value(text(&expr(&when.node))));
                    }
                    t.insert("then", TomlItem::Value(text(&actions(&tr.actions))));
                    if let Some(stage) = &tr.stage {
                        t.insert("stage", TomlItem::Value(text(&stage.node)));
                    }
                    if let Some(r) = &tr.repeat {
                        t.insert("repeat", TomlItem::Value(text(&repeat(&r.node))));
                    }
                    if let Some(l) = &tr.looked_at {
                        t.insert("looked_at", TomlItem::Value(text(&looked_at(&l.node))));
                    }
                    out.trigger.push(t);
                }
                Item::Plan(p) => out.plan.push(self.plan(p, comments)),
                Item::Schedule(sc) => out.schedule.push(self.schedule(sc, comments)),
                Item::PenaltyNotices(entries) => {
                    self.penalty_notices(&mut out.penalty_notices, comments, entries)
                }
                Item::Limits(entries) => {
                    let merged = self.merged(&mut out.limits, comments);
                    for limit in entries {
                        let l = &limit.node;
                        let value = match &l.unit {
                            Some(unit) => text(&format!("{} {}", l.value.node, unit.node)),
                            None => int(l.value.node),
                        };
                        merged.keys.add(&l.name.node, value, &limit.comments);
                    }
                }
            }
        }
        meta.write(&mut head);
        doc.insert("policy", TomlItem::Table(head));
        // Insertion order is the schema's; the positions given above decide the printed order.
        insert_tables(doc, "cite", out.cite);
        for (key, merged) in [
            ("roles", out.roles),
            ("procedures", out.procedures),
            ("letters", out.letters),
            ("meetings", out.meetings),
        ] {
            if let Some(merged) = merged {
                doc.insert(key, TomlItem::Table(merged.finish()));
            }
        }
        insert_tables(doc, "calendar", out.calendar);
        insert_tables(doc, "stage", out.stage);
        insert_tables(doc, "define", out.define);
        insert_tables(doc, "bands", out.bands);
        insert_tables(doc, "escalation", out.escalation);
        insert_tables(doc, "trigger", out.trigger);
        insert_tables(doc, "plan", out.plan);
        insert_tables(doc, "schedule", out.schedule);
        if let Some(merged) = out.penalty_notices {
            doc.insert("penalty_notices", TomlItem::Table(merged.finish()));
        }
        if let Some(merged) = out.limits {
            doc.insert("limits", TomlItem::Table(merged.finish()));
        }
    }

    fn entries(&mut self, slot: &mut Option<Merged>, comments: &[String], entries: &[Node<Entry>]) {
        let merged = self.merged(slot, comments);
        for entry in entries {
            merged.keys.add(
                &entry.node.id.node,
                text(&entry.node.text.node),
                &entry.comments,
            );
        }
    }

    fn calendar(&mut self, cal: &CalendarAst, comments: &[String]) -> Table {
        let mut t = Table::new();
        self.header(&mut t, comments);
        if let Some(label) = &cal.label {
            t.insert("label", TomlItem::Value(text(&label.node)));
        }
        let mut sessions = ArrayOfTables::new();
        let mut terms = ArrayOfTables::new();
        let mut closures = ArrayOfTables::new();
        let mut days = ArrayOfTables::new();
        for item in &cal.items {
            let mut s = Table::new();
            self.header(&mut s, &item.comments);
            match &item.node {
                CalendarItem::Session { name, times, group } => {
                    let mut keys = Keys::default();
                    keys.add("name", text(&name.node), &[]);
                    for t in times {
                        keys.add(t.node.kind.keyword(), text(&time(t.node.minutes)), &[]);
                    }
                    if let Some(g) = group {
                        keys.add("for", text(&g.node.to_string()), &[]);
                    }
                    keys.write(&mut s);
                    sessions.push(s);
                }
                CalendarItem::Day(line) => {
                    s.insert("line", TomlItem::Value(text(&day_line(line))));
                    days.push(s);
                }
                CalendarItem::Term { name, dates } => {
                    s.insert("name", TomlItem::Value(text(&name.node)));
                    date_range(&mut s, &dates.node);
                    terms.push(s);
                }
                CalendarItem::Closure {
                    kind,
                    dates,
                    reason,
                } => {
                    s.insert("kind", TomlItem::Value(text(kind.keyword())));
                    date_range(&mut s, &dates.node);
                    if let Some(r) = reason {
                        s.insert("reason", TomlItem::Value(text(&r.node)));
                    }
                    closures.push(s);
                }
            }
        }
        insert_sub_tables(&mut t, "session", sessions);
        insert_sub_tables(&mut t, "term", terms);
        insert_sub_tables(&mut t, "closure", closures);
        insert_sub_tables(&mut t, "day", days);
        // Comments after the last line go straight after the calendar's last table, so they
        // read back into it.
        self.after.extend(cal.trailing.iter().cloned());
        t
    }

    fn bands(&mut self, b: &BandsAst, comments: &[String]) -> Table {
        let mut t = Table::new();
        self.header(&mut t, comments);
        if let Some(label) = &b.label {
            t.insert("label", TomlItem::Value(text(&label.node)));
        }
        t.insert("metric", TomlItem::Value(text(&b.metric.node)));
        t.insert("over", TomlItem::Value(text(&b.window.node.to_string())));
        if let Some(n) = &b.min_possible {
            match b.min_possible_written {
                Some(w) => t.insert("min_possible_count", TomlItem::Value(text(&w.to_string()))),
                None => t.insert("min_possible", TomlItem::Value(int(n.node))),
            };
        }
        if let Some(ladder) = &b.ladder {
            t.insert("ladder", TomlItem::Value(true.into()));
            if let Some(order) = &ladder.order {
                let order = super::print_dsl::order_text(&order.node);
                t.insert("order", TomlItem::Value(text(&order)));
            }
        }
        let mut bands = ArrayOfTables::new();
        for band in &b.bands {
            let mut s = Table::new();
            self.header(&mut s, &band.comments);
            let d = &band.node;
            s.insert("id", TomlItem::Value(text(&d.id.node)));
            if let Some(label) = &d.label {
                s.insert("label", TomlItem::Value(text(&label.node)));
            }
            s.insert("range", TomlItem::Value(text(&range(&d.range.node))));
            if let Some(r) = &d.reading {
                s.insert("read_as", TomlItem::Value(text(&range(&r.node))));
            }
            if let Some(days) = &d.days {
                s.insert("absence", TomlItem::Value(text(&days.node.to_string())));
            }
            if let Some(e) = &d.or_when {
                s.insert("or_when", TomlItem::Value(text(&expr(&e.node))));
            }
            if let Some(n) = &d.defines {
                s.insert("defines", TomlItem::Value(text(&n.node)));
            }
            if let Some(stage) = &d.stage {
                s.insert("stage", TomlItem::Value(text(&stage.node)));
            }
            if let Some(e) = &d.at_once {
                s.insert("at_once_when", TomlItem::Value(text(&expr(&e.node))));
            }
            if let Some(held) = &d.held {
                let held = super::print_dsl::held_body(&held.node);
                s.insert("held", TomlItem::Value(text(&held)));
            }
            if let Some(when) = &d.enter_when {
                s.insert("on_enter_when", TomlItem::Value(text(&expr(&when.node))));
            }
            if !d.weekly.is_empty() {
                s.insert(
                    "every_school_week",
                    TomlItem::Value(text(&actions(&d.weekly))),
                );
                if let Some(n) = d.weekly_every.as_ref().filter(|n| n.node != 1) {
                    s.insert("weekly_every", TomlItem::Value(int(n.node)));
                }
            }
            if !d.on_enter.is_empty() {
                s.insert("on_enter", TomlItem::Value(text(&actions(&d.on_enter))));
            }
            if let Some(r) = &d.repeat {
                s.insert("repeat", TomlItem::Value(text(&repeat(&r.node))));
            }
            if !d.enter_also.is_empty() {
                let mut also = toml_edit::Array::new();
                for clause in &d.enter_also {
                    let mut c = toml_edit::InlineTable::new();
                    if let Some(when) = &clause.node.when {
                        c.insert("when", text(&expr(&when.node)));
                    }
                    c.insert("then", text(&actions(&clause.node.actions)));
                    also.push(c);
                }
                s.insert("on_enter_also", TomlItem::Value(Value::Array(also)));
            }
            bands.push(s);
        }
        insert_sub_tables(&mut t, "band", bands);
        self.after.extend(b.trailing.iter().cloned());
        t
    }

    /// `[[schedule]]` with a `[[schedule.row]]` per period; comments after the last row stay
    /// in the block, as a `bands` block's do.
    fn schedule(&mut self, sc: &ScheduleAst, comments: &[String]) -> Table {
        let mut t = Table::new();
        self.header(&mut t, comments);
        t.insert("name", TomlItem::Value(text(&sc.name.node)));
        if let Some(w) = &sc.wording {
            t.insert("wording", TomlItem::Value(text(&w.node)));
        }
        t.insert("per", TomlItem::Value(text(sc.per.node.keyword())));
        let mut rows = ArrayOfTables::new();
        for row in &sc.rows {
            let mut s = Table::new();
            self.header(&mut s, &row.comments);
            s.insert("period", TomlItem::Value(int(row.node.period.node)));
            s.insert(
                "value",
                TomlItem::Value(text(&operand(&row.node.value.node))),
            );
            if let Some(l) = &row.node.label {
                s.insert("label", TomlItem::Value(text(&l.node)));
            }
            rows.push(s);
        }
        insert_sub_tables(&mut t, "row", rows);
        self.after.extend(sc.trailing.iter().cloned());
        t
    }

    fn escalation(&mut self, e: &EscalationAst, comments: &[String]) -> Table {
        let mut t = Table::new();
        self.header(&mut t, comments);
        t.insert("name", TomlItem::Value(text(&e.name.node)));
        t.insert("days_marked", TomlItem::Value(text(&codes(&e.codes.node))));
        let mut steps = ArrayOfTables::new();
        for step in &e.steps {
            let mut s = Table::new();
            self.header(&mut s, &step.comments);
            s.insert("day", TomlItem::Value(int(step.node.day.node)));
            if let Some(when) = &step.node.when {
                s.insert("when", TomlItem::Value(text(&expr(&when.node))));
            }
            s.insert("then", TomlItem::Value(text(&actions(&step.node.actions))));
            steps.push(s);
        }
        insert_sub_tables(&mut t, "step", steps);
        t
    }

    fn plan(&mut self, p: &PlanAst, comments: &[String]) -> Table {
        let mut t = Table::new();
        self.header(&mut t, comments);
        let mut keys = Keys::default();
        keys.add("name", text(&p.name.node), &[]);
        keys.add("at", text(&p.stage.node), &[]);
        // Several `on miss:` lines would be one list of actions in TOML, at the first one's
        // place: `fmt --to toml` refuses them (cannot_hold.rs), and this keeps every action.
        let mut lists: Vec<(String, Vec<Sp<ActionAst>>)> = Vec::new();
        for item in &p.items {
            let c = &item.comments;
            match &item.node {
                PlanItem::Review {
                    school_weeks,
                    until,
                } => {
                    keys.add("review_after", int(school_weeks.node), c);
                    if let Some(u) = until {
                        keys.add("review_until", int(u.node), &[]);
                    }
                }
                PlanItem::Target(e) => _ = keys.add("target", text(&expr(&e.node)), c),
                PlanItem::Judged { criterion, by } => {
                    keys.add("judged", text(&criterion.node), c);
                    keys.add("judged_by", text(&by.node), &[]);
                }
                PlanItem::EscalateTo(s) => _ = keys.add("escalate_to", text(&s.node), c),
                PlanItem::Every {
                    school_weeks,
                    actions: a,
                } => {
                    keys.add("every_school_week", text(&actions(a)), c);
                    if let Some(n) = school_weeks {
                        keys.add("weekly_every", int(n.node), &[]);
                    }
                }
                PlanItem::On { event, actions } => {
                    let key = format!("on_{}", event.keyword());
                    keys.add(&key, text(""), c);
                    match lists.iter_mut().find(|(k, _)| *k == key) {
                        Some((_, list)) => list.extend(actions.iter().cloned()),
                        None => lists.push((key, actions.clone())),
                    }
                }
            }
        }
        for (key, list) in &lists {
            keys.set(key, text(&actions(list)));
        }
        keys.write(&mut t);
        t
    }

    fn penalty_notices(
        &mut self,
        slot: &mut Option<Merged>,
        comments: &[String],
        entries: &[Node<PenaltyItem>],
    ) {
        self.merged(slot, comments);
        for entry in entries {
            match &entry.node {
                PenaltyItem::Threshold {
                    sessions,
                    window,
                    written,
                    codes: counted,
                } => {
                    // A count in days is `threshold_count = "2.5 days"` in place of
                    // `threshold_sessions`.
                    let (key, value) = match written {
                        Some(w) => ("threshold_count", text(&w.to_string())),
                        None => ("threshold_sessions", int(sessions.node)),
                    };
                    if let Some(merged) = slot.as_mut()
                        && merged.keys.add(key, value, &entry.comments)
                    {
                        merged
                            .keys
                            .add("threshold_window", text(&window.node.to_string()), &[]);
                        if let Some(c) = counted {
                            merged
                                .keys
                                .add("threshold_codes", text(&codes(&c.node)), &[]);
                        }
                    }
                }
                PenaltyItem::Limit { notices, years } => {
                    if let Some(merged) = slot.as_mut()
                        && merged
                            .keys
                            .add("limit_notices", int(notices.node), &entry.comments)
                    {
                        merged.keys.add("limit_years", int(years.node), &[]);
                    }
                }
                PenaltyItem::Fine {
                    second,
                    pence,
                    within_days,
                } => {
                    let mut s = Table::new();
                    s.insert("amount", TomlItem::Value(text(&money(pence.node))));
                    s.insert("within_days", TomlItem::Value(int(within_days.node)));
                    if let Some(merged) = slot.as_mut() {
                        // Every fine is printed right after `[penalty_notices]` (the place of
                        // the first block), even one from a later block: TOML reads them all as
                        // part of that table, so printing them anywhere else would move them on
                        // the next format.
                        s.set_position(merged.table.position());
                        s.decor_mut()
                            .set_prefix(format!("\n{}", lines(&entry.comments)));
                        if *second {
                            merged.second_fines.push(s)
                        } else {
                            merged.fines.push(s)
                        }
                    }
                }
            }
        }
    }
}

fn insert_tables(doc: &mut DocumentMut, key: &str, tables: ArrayOfTables) {
    if !tables.is_empty() {
        doc.insert(key, TomlItem::ArrayOfTables(tables));
    }
}

fn insert_sub_tables(table: &mut Table, key: &str, tables: ArrayOfTables) {
    if !tables.is_empty() {
        table.insert(key, TomlItem::ArrayOfTables(tables));
    }
}

fn date_range(table: &mut Table, dates: &DateRange) {
    table.insert("from", TomlItem::Value(date(dates.start.node)));
    if let Some(end) = &dates.end {
        table.insert("to", TomlItem::Value(date(end.node)));
    }
}

fn text(s: &str) -> Value {
    Value::from(s)
}

fn int(n: u32) -> Value {
    Value::from(i64::from(n))
}

/// A TOML local date; a year TOML cannot write (before 0 or after 9999) becomes a string.
fn date(d: NaiveDate) -> Value {
    match (
        u16::try_from(d.year()),
        u8::try_from(d.month()),
        u8::try_from(d.day()),
    ) {
        (Ok(year), Ok(month), Ok(day)) if year <= 9999 => Value::from(Datetime {
            date: Some(Date { year, month, day }),
            time: None,
            offset: None,
        }),
        _ => text(&d.to_string()),
    }
}

/// Comment lines (`# text`); a comment can hold no line break or control character in TOML, so
/// control characters are written as `\u{7}` escapes, which the TOML reader turns back.
fn lines(comments: &[String]) -> String {
    let mut out = String::new();
    for comment in comments {
        let parts: Vec<&str> = if comment.is_empty() {
            vec![""]
        } else {
            comment.lines().collect()
        };
        for part in parts {
            let clean = super::comments::escape_for_toml(part);
            if clean.is_empty() {
                out.push_str("#\n");
            } else {
                out.push_str("# ");
                out.push_str(&clean);
                out.push('\n');
            }
        }
    }
    out
}
