//! The DSL's band sets and bands (`bands ... { band ... }`, `ladder ...`): pest pairs to AST,
//! with every boundary wording a school writes read into one range.

use super::*;

impl Builder<'_> {
    pub(super) fn bands(&mut self, children: Vec<Pr<'_>>) -> BandsAst {
        let fallback = self.src.loc(Span::default());
        let mut label = None;
        let mut metric = None;
        let mut window = None;
        let mut min_possible = None;
        let mut min_possible_written = None;
        let mut bands = Vec::new();
        let mut ladder = None;
        let mut order = None;
        for p in children {
            match p.as_rule() {
                Rule::string => label = Some(self.string(&p)),
                Rule::ident => metric = Some(self.ident(&p)),
                Rule::window => window = Some(self.window(p)),
                Rule::bands_word => {
                    if p.into_inner().next().is_some() {
                        ladder.get_or_insert(LadderAst { order: None });
                    }
                }
                Rule::ladder_order => order = Some(self.order(p)),
                Rule::evidence => {
                    let (n, written) = self.threshold_count(&p);
                    min_possible = Some(n);
                    min_possible_written = written;
                }
                _ => bands.push(self.node(&p, |b, p| b.band(p))),
            }
        }
        BandsAst {
            label,
            metric: metric.unwrap_or_else(|| Sp::new(String::new(), fallback.clone())),
            window: window.unwrap_or_else(|| Sp::new(WindowAst::YearToDate, fallback)),
            min_possible,
            min_possible_written,
            bands,
            trailing: Vec::new(),
            ladder: self.ladder_head(ladder, order),
        }
    }

    pub(super) fn band(&mut self, pair: Pr<'_>) -> BandAst {
        let mut id = None;
        let mut label = None;
        let mut range = None;
        let mut reading = None;
        let mut days = None;
        let mut or_when = None;
        let mut defines = None;
        let mut stage = None;
        let mut on_enter = Vec::new();
        let mut enter_when = None;
        let mut repeat = None;
        let mut enter_also = Vec::new();
        let mut weekly = Vec::new();
        let mut weekly_every = None;
        let mut held = None;
        let mut at_once = None;
        for p in pair.clone().into_inner() {
            match p.as_rule() {
                Rule::ident => id = Some(self.ident(&p)),
                Rule::string => label = Some(self.string(&p)),
                Rule::range => range = Some(self.range(p)),
                Rule::reading => reading = p.into_inner().next().map(|r| self.range(r)),
                Rule::band_days => days = p.into_inner().next().map(|d| self.band_days(d)),
                Rule::band_or => {
                    or_when = p
                        .into_inner()
                        .find(|e| e.as_rule() == Rule::expr)
                        .map(|e| self.condition(e))
                }
                Rule::band_defines => defines = p.into_inner().next().map(|n| self.ident(&n)),
                Rule::stage_ref => stage = p.into_inner().next().map(|s| self.ident(&s)),
                Rule::band_held => held = Some(self.held(p)),
                Rule::band_at_once => {
                    at_once = p
                        .into_inner()
                        .find(|e| e.as_rule() == Rule::expr)
                        .map(|e| self.condition(e))
                }
                Rule::enter_also => enter_also.push(self.enter_clause(p)),
                Rule::band_weekly => {
                    for a in p.into_inner() {
                        if a.as_rule() == Rule::integer {
                            weekly_every = Some(self.u32(&a));
                        } else {
                            weekly = self.actions(a);
                        }
                    }
                }
                _ => {
                    for part in p.into_inner() {
                        match part.as_rule() {
                            Rule::band_repeat => repeat = Some(self.repeat(part)),
                            Rule::when_clause => {
                                enter_when = part.into_inner().next().map(|e| self.condition(e))
                            }
                            _ => on_enter = self.actions(part),
                        }
                    }
                }
            }
        }
        BandAst {
            id: id.unwrap_or_else(|| self.ident(&pair)),
            label,
            range: range.unwrap_or_else(|| self.sp(&pair, empty_range())),
            reading,
            days,
            or_when,
            defines,
            stage,
            enter_when,
            on_enter,
            repeat,
            enter_also,
            weekly,
            weekly_every,
            at_once,
            held,
        }
    }

    /// `7 days`, `8 - 20 days` after `absence`: whole counts, or a half in days.
    pub(super) fn band_days(&mut self, pair: Pr<'_>) -> Sp<BandDays> {
        let loc = self.loc(&pair);
        let mut counts: Vec<(u32, bool)> = Vec::new();
        let mut sep = None;
        let mut unit = CountUnit::Days;
        for part in pair.clone().into_inner() {
            match part.as_rule() {
                Rule::integer => counts.push((self.u32(&part).node, false)),
                Rule::fraction => {
                    let digits = part.as_str().trim_start_matches('.');
                    let value = counts.last().map_or(0, |c| c.0);
                    if digits.trim_end_matches('0') == "5" {
                        if let Some(last) = counts.last_mut() {
                            last.1 = true;
                        }
                    } else if !digits.bytes().all(|b| b == b'0') {
                        self.error(
                            &part,
                            SyntaxError::NotWholeOrHalf {
                                text: format!("{value}{}", part.as_str()),
                            },
                        );
                    }
                }
                Rule::band_days_sep => sep = Some(part.as_str().to_string()),
                _ => {
                    unit = match part.as_str() {
                        "sessions" => CountUnit::Sessions,
                        "session" => CountUnit::Session,
                        "school_days" => CountUnit::SchoolDays,
                        "half_days" => CountUnit::HalfDays,
                        "half_day" => CountUnit::HalfDay,
                        "day" => CountUnit::Day,
                        _ => CountUnit::Days,
                    }
                }
            }
        }
        if !unit.is_days() && counts.iter().any(|c| c.1) {
            self.error(
                &pair,
                SyntaxError::NotWholeOrHalf {
                    text: format!("a half in {}", unit.keyword()),
                },
            );
        }
        let count = |(value, half): (u32, bool)| ThresholdCount { value, half, unit };
        let first = count(counts.first().copied().unwrap_or((0, false)));
        let second = counts
            .get(1)
            .map(|c| (sep.clone().unwrap_or_else(|| "-".into()), count(*c)));
        Sp::new(BandDays { first, second }, loc)
    }

    /// A further `on enter [when CONDITION]: ACTIONS` clause.
    pub(super) fn enter_clause(&mut self, pair: Pr<'_>) -> Sp<EnterClause> {
        let loc = self.loc(&pair);
        let mut when = None;
        let mut actions = Vec::new();
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::when_clause => when = part.into_inner().next().map(|e| self.condition(e)),
                _ => actions = self.actions(part),
            }
        }
        Sp::new(EnterClause { when, actions }, loc)
    }

    pub(super) fn range(&mut self, pair: Pr<'_>) -> Sp<RangeAst> {
        let loc = self.loc(&pair);
        let written = RangeAst::written_text(pair.as_str());
        let Some(shape) = pair.into_inner().next() else {
            return Sp::new(empty_range(), loc);
        };
        let form = match shape.as_rule() {
            Rule::range_between => {
                let mut ends = Vec::new();
                let mut op = RangeOp::Dash;
                for part in shape.into_inner() {
                    if part.as_rule() == Rule::range_op {
                        op = match part.as_str() {
                            ".." => RangeOp::HalfOpen,
                            "..=" => RangeOp::Closed,
                            "<.." => RangeOp::Open,
                            "<..=" => RangeOp::OpenClosed,
                            t if t.eq_ignore_ascii_case("to") => RangeOp::To,
                            _ => RangeOp::Dash,
                        };
                    } else {
                        ends.push(self.endpoint(part));
                    }
                }
                let first = ends.first().copied().unwrap_or(ZERO_END);
                let second = ends.get(1).copied().unwrap_or(ZERO_END);
                RangeForm::Between { first, op, second }
            }
            Rule::range_both => {
                let sides: Vec<OneSided> = shape
                    .into_inner()
                    .filter(|p| p.as_rule() == Rule::range_one)
                    .map(|p| self.one_sided(p))
                    .collect();
                let first = sides
                    .first()
                    .copied()
                    .unwrap_or(OneSided::AtLeast(Percent::ZERO));
                let second = sides.get(1).copied().unwrap_or(first);
                RangeForm::Both(first, second)
            }
            _ => RangeForm::One(self.one_sided(shape)),
        };
        Sp::new(RangeAst { written, form }, loc)
    }

    /// `below 90%`, `90% or less`, `at least 96%`, ... (a `range_one`).
    pub(super) fn one_sided(&mut self, pair: Pr<'_>) -> OneSided {
        let Some(shape) = pair.into_inner().next() else {
            return OneSided::AtLeast(Percent::ZERO);
        };
        let rule = shape.as_rule();
        let value = shape
            .into_inner()
            .find(|p| p.as_rule() == Rule::percent)
            .map_or(Percent::ZERO, |p| self.percent(&p));
        match rule {
            Rule::range_below => OneSided::Below(value),
            Rule::range_at_most => OneSided::AtMost(value),
            Rule::range_above => OneSided::Above(value),
            _ => OneSided::AtLeast(value),
        }
    }

    pub(super) fn endpoint(&mut self, pair: Pr<'_>) -> Endpoint {
        let mut end = ZERO_END;
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::endpoint_word => {
                    let below = part
                        .into_inner()
                        .next()
                        .is_some_and(|w| w.as_rule() == Rule::below_word);
                    end.word = Some(if below {
                        EndWord::Below
                    } else {
                        EndWord::Above
                    });
                }
                Rule::percent => {
                    end.value = self.percent(&part);
                    end.percent_sign = true;
                }
                _ => {
                    end.value = self.percent(&part);
                    end.percent_sign = false;
                }
            }
        }
        end
    }
}
