//! Names and the outline: where each letter, role, stage, meeting, procedure and definition is
//! declared (from the AST), where the policy uses it (every word of the text that is that name,
//! outside comments and quoted text), and the document's symbols.

use lsp_types::{DocumentSymbol, Location, Position, SymbolKind};

use super::document::Document;
use crate::source::{Loc, Span};
use crate::syntax::Surface;
use crate::syntax::ast::{CalendarItem, File, Item};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameKind {
    Letter,
    Role,
    Stage,
    Meeting,
    Procedure,
    Definition,
}

impl NameKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NameKind::Letter => "letter",
            NameKind::Role => "role",
            NameKind::Stage => "stage",
            NameKind::Meeting => "meeting",
            NameKind::Procedure => "procedure",
            NameKind::Definition => "definition",
        }
    }
}

/// A name the policy declares.
pub struct Name {
    pub kind: NameKind,
    pub name: String,
    /// What the policy says it is (a letter's title, a role's holder).
    pub detail: Option<String>,
    pub loc: Loc,
}

/// Every name the policy file declares, in file order.
pub fn names(file: &File) -> Vec<Name> {
    let File::Policy(ast) = file else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for item in &ast.node.items {
        let entries = |kind,
                       entries: &Vec<crate::syntax::ast::Node<crate::syntax::ast::Entry>>,
                       out: &mut Vec<Name>| {
            out.extend(entries.iter().map(|e| Name {
                kind,
                name: e.node.id.node.clone(),
                detail: Some(e.node.text.node.clone()),
                loc: e.node.id.loc.clone(),
            }));
        };
        match &item.node {
            Item::Letters(e) => entries(NameKind::Letter, e, &mut out),
            Item::Roles(e) => entries(NameKind::Role, e, &mut out),
            Item::Meetings(e) => entries(NameKind::Meeting, e, &mut out),
            Item::Procedures(e) => entries(NameKind::Procedure, e, &mut out),
            Item::Stages(stages) => out.extend(stages.iter().map(|s| Name {
                kind: NameKind::Stage,
                name: s.node.id.node.clone(),
                detail: s.node.text.as_ref().map(|t| t.node.clone()),
                loc: s.node.id.loc.clone(),
            })),
            Item::Define(define) => out.push(Name {
                kind: NameKind::Definition,
                name: define.name.node.clone(),
                detail: define.wording.as_ref().map(|w| w.node.clone()),
                loc: define.name.loc.clone(),
            }),
            Item::Bands(bands) => out.extend(bands.bands.iter().filter_map(|b| {
                let defines = b.node.defines.as_ref()?;
                Some(Name {
                    kind: NameKind::Definition,
                    name: defines.node.clone(),
                    detail: Some(format!("band `{}`", b.node.id.node)),
                    loc: defines.loc.clone(),
                })
            })),
            _ => {}
        }
    }
    out
}

/// Where the name under the cursor is declared.
pub fn definition(doc: &Document, position: Position) -> Option<Vec<Location>> {
    let file = doc.parse()?;
    let (word, _) = doc.word_at(doc.offset(position))?;
    let found: Vec<Location> = names(&file)
        .iter()
        .filter(|n| n.name == word)
        .filter_map(|n| Some(Location::new(doc.uri.clone(), doc.range_of(&n.loc)?)))
        .collect();
    (!found.is_empty()).then_some(found)
}

/// Every use of the declared name under the cursor (with its declarations, if asked).
pub fn references(
    doc: &Document,
    position: Position,
    include_declaration: bool,
) -> Option<Vec<Location>> {
    let file = doc.parse()?;
    let (word, _) = doc.word_at(doc.offset(position))?;
    let declared = names(&file);
    let declarations: Vec<Span> = declared
        .iter()
        .filter(|n| n.name == word)
        .map(|n| n.loc.span)
        .collect();
    if declarations.is_empty() {
        return None;
    }
    let toml = Surface::of_path(doc.src.name()) == Surface::Toml;
    let found = words(doc.text(), toml)
        .filter(|&(w, span)| {
            w == word && (include_declaration || !declarations.iter().any(|d| overlaps(*d, span)))
        })
        .map(|(_, span)| Location::new(doc.uri.clone(), doc.range(span)))
        .collect();
    Some(found)
}

fn overlaps(a: Span, b: Span) -> bool {
    a.start < b.end && b.start < a.end
}

/// The words of a policy's text outside comments (and, in the DSL, outside quoted text, where
/// a name is prose): letters, digits and `_`, with their spans.
pub fn words(text: &str, toml: bool) -> impl Iterator<Item = (&str, Span)> {
    let mut spans = Vec::new();
    let mut in_string = false;
    let mut in_comment = false;
    let mut start: Option<usize> = None;
    for (i, c) in text.char_indices() {
        let is_word = c.is_alphanumeric() || c == '_';
        if let (Some(s), false) = (start, is_word) {
            spans.push(Span::new(s, i));
            start = None;
        }
        if in_comment {
            in_comment = c != '\n';
            continue;
        }
        match c {
            '"' if !toml => in_string = !in_string,
            '\n' => in_string = false,
            '#' if !in_string => {
                in_comment = true;
                continue;
            }
            _ => {}
        }
        if is_word && start.is_none() && !in_string {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        spans.push(Span::new(s, text.len()));
    }
    spans
        .into_iter()
        .filter_map(move |span| Some((text.get(span.start..span.end)?, span)))
}

/// The outline: bands (each band inside), escalations, triggers, plans, the declared names,
/// and calendars with their terms.
pub fn symbols(doc: &Document) -> Option<Vec<DocumentSymbol>> {
    let file = doc.parse()?;
    let symbol = |name: String, detail: Option<String>, kind, loc: &Loc, at: &Loc, children| {
        let range = doc.range_of(loc)?;
        let selection = doc
            .range_of(at)
            .filter(|s| s.start >= range.start && s.end <= range.end);
        #[allow(deprecated)] // the field is, but the struct has no other constructor
        Some(DocumentSymbol {
            name: if name.is_empty() {
                "(unnamed)".into()
            } else {
                name
            },
            detail,
            kind,
            tags: None,
            deprecated: None,
            range,
            selection_range: selection.unwrap_or(range),
            children,
        })
    };
    let mut out = Vec::new();
    match &file {
        File::Policy(ast) => {
            for item in &ast.node.items {
                let loc = &item.loc;
                let entries = |title: &str,
                               kind,
                               entries: &Vec<
                    crate::syntax::ast::Node<crate::syntax::ast::Entry>,
                >| {
                    let children = entries
                        .iter()
                        .filter_map(|e| {
                            symbol(
                                e.node.id.node.clone(),
                                Some(e.node.text.node.clone()),
                                kind,
                                &e.loc,
                                &e.node.id.loc,
                                None,
                            )
                        })
                        .collect();
                    symbol(
                        title.into(),
                        None,
                        SymbolKind::NAMESPACE,
                        loc,
                        loc,
                        Some(children),
                    )
                };
                let found = match &item.node {
                    Item::Bands(bands) => {
                        let children = bands
                            .bands
                            .iter()
                            .filter_map(|b| {
                                let detail = Some(b.node.range.node.written.clone());
                                symbol(
                                    b.node.id.node.clone(),
                                    detail,
                                    SymbolKind::ENUM_MEMBER,
                                    &b.loc,
                                    &b.node.id.loc,
                                    None,
                                )
                            })
                            .collect();
                        let name = bands.label.as_ref().map_or_else(
                            || format!("bands {}", bands.metric.node),
                            |l| format!("bands \"{}\"", l.node),
                        );
                        symbol(
                            name,
                            Some(bands.metric.node.clone()),
                            SymbolKind::ENUM,
                            loc,
                            loc,
                            Some(children),
                        )
                    }
                    Item::Escalation(e) => symbol(
                        e.name.node.clone(),
                        Some("escalation".into()),
                        SymbolKind::EVENT,
                        loc,
                        &e.name.loc,
                        None,
                    ),
                    Item::Trigger(t) => symbol(
                        t.name.node.clone(),
                        Some("trigger".into()),
                        SymbolKind::EVENT,
                        loc,
                        &t.name.loc,
                        None,
                    ),
                    Item::Plan(p) => symbol(
                        p.name.node.clone(),
                        Some(format!("plan at {}", p.stage.node)),
                        SymbolKind::OBJECT,
                        loc,
                        &p.name.loc,
                        None,
                    ),
                    Item::Define(d) => symbol(
                        d.name.node.clone(),
                        Some("definition".into()),
                        SymbolKind::CONSTANT,
                        loc,
                        &d.name.loc,
                        None,
                    ),
                    Item::Letters(e) => entries("letters", SymbolKind::FILE, e),
                    Item::Roles(e) => entries("roles", SymbolKind::FIELD, e),
                    Item::Meetings(e) => entries("meetings", SymbolKind::EVENT, e),
                    Item::Procedures(e) => entries("procedures", SymbolKind::FUNCTION, e),
                    Item::Stages(stages) => {
                        let children = stages
                            .iter()
                            .filter_map(|s| {
                                symbol(
                                    s.node.id.node.clone(),
                                    s.node.text.as_ref().map(|t| t.node.clone()),
                                    SymbolKind::ENUM_MEMBER,
                                    &s.loc,
                                    &s.node.id.loc,
                                    None,
                                )
                            })
                            .collect();
                        symbol(
                            "stages".into(),
                            None,
                            SymbolKind::NAMESPACE,
                            loc,
                            loc,
                            Some(children),
                        )
                    }
                    Item::Calendar(cal) => calendar(doc, cal, loc),
                    _ => None,
                };
                out.extend(found);
            }
        }
        File::Calendars(cals) => {
            out.extend(
                cals.calendars
                    .iter()
                    .filter_map(|c| calendar(doc, &c.node, &c.loc)),
            );
        }
    }
    Some(out)
}

fn calendar(
    doc: &Document,
    cal: &crate::syntax::ast::CalendarAst,
    loc: &Loc,
) -> Option<DocumentSymbol> {
    let range = doc.range_of(loc)?;
    let children = cal
        .items
        .iter()
        .filter_map(|item| match &item.node {
            CalendarItem::Term { name, .. } => {
                let range = doc.range_of(&item.loc)?;
                #[allow(deprecated)] // the field is, but the struct has no other constructor
                Some(DocumentSymbol {
                    name: format!("term {}", name.node),
                    detail: None,
                    kind: SymbolKind::EVENT,
                    tags: None,
                    deprecated: None,
                    range,
                    selection_range: range,
                    children: None,
                })
            }
            _ => None,
        })
        .collect();
    #[allow(deprecated)] // the field is, but the struct has no other constructor
    Some(DocumentSymbol {
        name: cal
            .label
            .as_ref()
            .map_or_else(|| "calendar".into(), |l| format!("calendar \"{}\"", l.node)),
        detail: None,
        kind: SymbolKind::MODULE,
        tags: None,
        deprecated: None,
        range,
        selection_range: range,
        children: Some(children),
    })
}
