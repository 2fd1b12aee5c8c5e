//! `[[schedule]]` tables and their `[[schedule.row]]`s: the TOML form of a schedule, read to
//! the same AST as the DSL's `schedule NAME per PERIOD { N: VALUE }`.

use super::*;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScheduleToml {
    name: Str,
    wording: Option<Str>,
    per: Str,
    #[serde(rename = "row")]
    _row: Option<IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RowToml {
    period: Spanned<u32>,
    value: Str,
    label: Option<Str>,
}

impl Cx<'_> {
    pub(super) fn schedule(&mut self, raw: &Raw<'_>, t: &DeTable<'_>) -> Option<Item> {
        let head: Option<ScheduleToml> = self.de(raw, "[[schedule]]");
        let mut rows = Vec::new();
        let mut ok = true;
        if let Some(sub) = get(t, "row") {
            for raw in self.elements(sub, "[[schedule.row]]") {
                match self.schedule_row(raw) {
                    Some(row) => {
                        rows.push(Node::new(row, self.loc(raw.span().start..extent(raw, 0))))
                    }
                    None => ok = false,
                }
            }
        }
        let head = head?;
        let name = self.name(&head.name);
        let wording = head.wording.as_ref().map(|w| self.string(w));
        let per = match head.per.get_ref().as_str() {
            "half_term" => Some(Period::HalfTerm),
            "term" => Some(Period::Term),
            "year" => Some(Period::Year),
            other => {
                let message =
                    format!("`{other}` is not a period: write `half_term`, `term` or `year`");
                self.error(head.per.span(), SyntaxError::Toml { message });
                None
            }
        };
        let per = Sp::new(per?, self.loc(head.per.span()));
        ok.then_some(Item::Schedule(ScheduleAst {
            name: name?,
            wording,
            per,
            rows,
            trailing: Vec::new(),
        }))
    }

    fn schedule_row(&mut self, raw: &Raw<'_>) -> Option<ScheduleRowAst> {
        let r: RowToml = self.de(raw, "[[schedule.row]]")?;
        let value = match self.fragment(Fragment::ScheduleValue, &r.value)? {
            Parsed::Operand(o) => o,
            _ => return None,
        };
        Some(ScheduleRowAst {
            period: Sp::new(*r.period.get_ref(), self.loc(r.period.span())),
            value,
            label: r.label.as_ref().map(|l| self.string(l)),
        })
    }
}
