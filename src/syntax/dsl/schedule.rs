//! The DSL's schedules (`schedule NAME per half_term { 1: 3.5 days ... }`) and the days a
//! trigger is looked at (`at end of term`, `every 2 school_weeks`): pest pairs to AST, kept
//! apart from the rest of the surface so each construct reads in one place.

use super::*;

impl Builder<'_> {
    pub(super) fn schedule(&mut self, children: Vec<Pr<'_>>) -> ScheduleAst {
        let fallback = self.src.loc(Span::default());
        let mut name = None;
        let mut wording = None;
        let mut per = None;
        let mut rows = Vec::new();
        for p in children {
            match p.as_rule() {
                Rule::ident => name = Some(self.ident(&p)),
                Rule::string => wording = Some(self.string(&p)),
                Rule::period => per = Some(self.sp(&p, period(p.as_str()))),
                _ => rows.push(self.node(&p, |b, p| b.schedule_row(p))),
            }
        }
        ScheduleAst {
            name: name.unwrap_or_else(|| Sp::new(String::new(), fallback.clone())),
            wording,
            per: per.unwrap_or_else(|| Sp::new(Period::HalfTerm, fallback)),
            rows,
            trailing: Vec::new(),
        }
    }

    fn schedule_row(&mut self, pair: Pr<'_>) -> ScheduleRowAst {
        let mut period = None;
        let mut value = None;
        let mut label = None;
        for p in pair.clone().into_inner() {
            match p.as_rule() {
                Rule::integer => period = Some(self.u32(&p)),
                Rule::schedule_value => value = Some(self.schedule_value(p)),
                _ => label = Some(self.string(&p)),
            }
        }
        ScheduleRowAst {
            period: period.unwrap_or_else(|| self.sp(&pair, 0)),
            value: value.unwrap_or_else(|| self.sp(&pair, Operand::Path(String::new()))),
            label,
        }
    }

    /// A row's value: the percentage or count inside `schedule_value`.
    pub(super) fn schedule_value(&mut self, pair: Pr<'_>) -> Sp<Operand> {
        let loc = self.loc(&pair);
        match pair.into_inner().next() {
            Some(inner) => self.operand(inner),
            None => Sp::new(Operand::Path(String::new()), loc),
        }
    }

    pub(super) fn looked_at(&mut self, pair: Pr<'_>) -> Sp<LookedAt> {
        let loc = self.loc(&pair);
        let node = match pair.into_inner().next() {
            Some(p) if p.as_rule() == Rule::looked_end => {
                let per = p.into_inner().next().map(|w| period(w.as_str()));
                LookedAt::EndOf(per.unwrap_or(Period::Term))
            }
            Some(p) => {
                // `every school_week` is every one; `every N school_weeks` every Nth.
                let n = p.into_inner().next().map_or(1, |n| self.u32(&n).node);
                LookedAt::Every { school_weeks: n }
            }
            None => LookedAt::Every { school_weeks: 1 },
        };
        Sp::new(node, loc)
    }
}

fn period(word: &str) -> Period {
    match word {
        "half_term" => Period::HalfTerm,
        "year" => Period::Year,
        _ => Period::Term,
    }
}
