//! Lowering band sets: the named ranges of one metric a pupil falls into, each range an
//! exact interval.

use super::*;

impl Lowerer {
    pub(super) fn band_set(
        &mut self,
        bands: &ast::BandsAst,
        loc: &Loc,
        existing: &[BandSet],
        definitions: &mut Vec<Definition>,
    ) -> Option<BandSet> {
        let metric = RatioMetric::from_keyword(&bands.metric.node);
        if metric.is_none() {
            self.unknown(
                &bands.metric.loc,
                "band metric",
                &bands.metric.node,
                RatioMetric::keywords().map(String::from).collect(),
            );
        }
        let window = self.window(&bands.window.node, &bands.window.loc);
        let mut seen: HashSet<String> = existing
            .iter()
            .flat_map(|s| s.bands.iter().map(|b| b.id.clone()))
            .collect();
        let mut out = Vec::new();
        for band in &bands.bands {
            let b = &band.node;
            if !seen.insert(b.id.node.clone()) {
                self.error(
                    &b.id.loc,
                    ModelError::Duplicate {
                        what: "a band",
                        name: b.id.node.clone(),
                    },
                );
            }
            let (range, ambiguity) = self.band_range(b);
            let stage = b.stage.as_ref().and_then(|s| self.stage_ref(s));
            let (enter_guard, enter_judged) = b
                .enter_when
                .as_ref()
                .and_then(|e| self.judged_condition(e))
                .unwrap_or_default();
            let also = b.or_when.as_ref().and_then(|e| self.condition(e));
            let stated_days = b.days.as_ref().map(|d| {
                let counts =
                    std::iter::once(&d.node.first).chain(d.node.second.iter().map(|s| &s.1));
                StatedDays {
                    sessions: d.node.sessions(),
                    whole_days: counts.clone().all(|c| c.unit.is_days() && !c.half),
                    written: d.node.to_string(),
                    loc: d.loc.clone(),
                }
            });
            let on_enter = self.actions(&b.on_enter);
            let enter_also = b
                .enter_also
                .iter()
                .map(|c| EnterClause {
                    guard: c.node.when.as_ref().and_then(|e| self.condition(e)),
                    actions: self.actions(&c.node.actions),
                    loc: c.loc.clone(),
                })
                .collect();
            let weekly = self.actions(&b.weekly);
            let weekly_every = self.weekly_every(b);
            let repeat = self.repeat(b.repeat.as_ref());
            out.push(Band {
                id: b.id.node.clone(),
                label: b.label.as_ref().map(|l| l.node.clone()),
                range,
                written: b.range.node.written.clone(),
                ambiguity,
                stage,
                stated_days,
                also,
                enter_guard,
                enter_judged,
                on_enter,
                enter_also,
                weekly,
                weekly_every,
                repeat,
                loc: band.loc.clone(),
                range_loc: b.range.loc.clone(),
            });
        }
        let ladder = self.ladder(bands);
        let set = BandSet {
            ladder,
            label: bands.label.as_ref().map(|l| l.node.clone()),
            metric: metric?,
            window,
            min_possible: bands.min_possible.as_ref().map_or(0, |n| n.node),
            bands: out,
            loc: loc.clone(),
            origin: Origin::School,
        };
        for (band, ast) in set.bands.iter().zip(&bands.bands) {
            if let Some(name) = &ast.node.defines {
                definitions.push(band_definition(&set, band, &name.node));
            }
        }
        Some(set)
    }

    /// A band's range: the written one, or where its words leave an end open, the reading
    /// stated with `read as` (which must be one of the two readings of those words).
    fn band_range(&mut self, b: &ast::BandAst) -> (Interval, Option<Ambiguity>) {
        let written = &b.range.node.written;
        let (interval, open) = self.interval(&b.range.node, &b.range.loc);
        let Some(open) = open else {
            if let Some(r) = &b.reading {
                self.error(
                    &r.loc,
                    ModelError::ReadingNotNeeded {
                        written: written.clone(),
                    },
                );
            }
            return (interval, None);
        };
        let readings = [open.with_end, open.without_end];
        let texts = readings.map(|r| r.exact_text());
        let Some(reading) = &b.reading else {
            self.error(
                &b.range.loc,
                ModelError::AmbiguousEndpoint {
                    written: written.clone(),
                    at: open.at.to_string(),
                    readings: texts,
                },
            );
            return (open.with_end, None);
        };
        let (chosen, _) = self.interval(&reading.node, &reading.loc);
        let Some(i) = readings.iter().position(|r| *r == chosen) else {
            self.error(
                &reading.loc,
                ModelError::ReadingDisagrees {
                    written: written.clone(),
                    reading: reading.node.written.clone(),
                    readings: texts,
                },
            );
            return (open.with_end, None);
        };
        let ambiguity = Ambiguity {
            at: open.at,
            chosen,
            other: readings[1 - i],
            loc: reading.loc.clone(),
        };
        (chosen, Some(ambiguity))
    }

    /// The interval a range holds, and, where its words leave an end open (`Below 96%- 94%`),
    /// the two readings of that end.
    fn interval(&mut self, range: &RangeAst, loc: &Loc) -> (Interval, Option<OpenEnd>) {
        use Bound::{Excluded, Included};
        let mut open = None;
        let interval = match range.form {
            ast::RangeForm::Between { first, op, second } => {
                if !first.percent_sign && !second.percent_sign {
                    self.error(
                        loc,
                        ModelError::RangeWithoutPercent {
                            written: range.written.clone(),
                        },
                    );
                }
                let a = self.percent(first.value, loc);
                let b = self.percent(second.value, loc);
                match (first.word, second.word) {
                    (None, None) => match op {
                        ast::RangeOp::Dash | ast::RangeOp::To => Interval {
                            lo: Included(a.min(b)),
                            hi: Included(a.max(b)),
                        },
                        ast::RangeOp::HalfOpen => Interval {
                            lo: Included(a),
                            hi: Excluded(b),
                        },
                        ast::RangeOp::Closed => Interval {
                            lo: Included(a),
                            hi: Included(b),
                        },
                        ast::RangeOp::Open => Interval {
                            lo: Excluded(a),
                            hi: Excluded(b),
                        },
                        ast::RangeOp::OpenClosed => Interval {
                            lo: Excluded(a),
                            hi: Included(b),
                        },
                    },
                    (Some(w), None) | (None, Some(w)) => {
                        let (worded, plain) = if first.word.is_some() { (a, b) } else { (b, a) };
                        let (with_end, without_end) = match w {
                            ast::EndWord::Below => (
                                Interval {
                                    lo: Included(plain),
                                    hi: Excluded(worded),
                                },
                                Interval {
                                    lo: Excluded(plain),
                                    hi: Excluded(worded),
                                },
                            ),
                            ast::EndWord::Above => (
                                Interval {
                                    lo: Excluded(worded),
                                    hi: Included(plain),
                                },
                                Interval {
                                    lo: Excluded(worded),
                                    hi: Excluded(plain),
                                },
                            ),
                        };
                        if !with_end.is_empty() {
                            open = Some(OpenEnd {
                                at: plain,
                                with_end,
                                without_end,
                            });
                        }
                        with_end
                    }
                    (Some(x), Some(y)) if x != y => {
                        let (lo, hi) = if x == ast::EndWord::Above {
                            (a, b)
                        } else {
                            (b, a)
                        };
                        Interval {
                            lo: Excluded(lo),
                            hi: Excluded(hi),
                        }
                    }
                    (Some(x), Some(_)) => {
                        self.one_side_twice(range, x == ast::EndWord::Above, loc);
                        Interval {
                            lo: Included(a.min(b)),
                            hi: Included(a.max(b)),
                        }
                    }
                }
            }
            ast::RangeForm::One(side) => self.one_sided(side, loc),
            ast::RangeForm::Both(x, y) => {
                let lower = |s: ast::OneSided| {
                    matches!(s, ast::OneSided::Above(_) | ast::OneSided::AtLeast(_))
                };
                if lower(x) == lower(y) {
                    self.one_side_twice(range, lower(x), loc);
                }
                let (x, y) = (self.one_sided(x, loc), self.one_sided(y, loc));
                x.intersect(&y)
            }
        };
        if interval.is_empty() {
            self.error(
                loc,
                ModelError::EmptyRange {
                    written: range.written.clone(),
                },
            );
        }
        (interval, open)
    }

    fn one_side_twice(&mut self, range: &RangeAst, lower: bool, loc: &Loc) {
        self.error(
            loc,
            ModelError::BoundsOnOneSide {
                written: range.written.clone(),
                side: if lower { "lower" } else { "upper" },
            },
        );
    }

    fn one_sided(&mut self, side: ast::OneSided, loc: &Loc) -> Interval {
        use Bound::{Excluded, Included};
        let zero = Included(Percent::ZERO);
        let hundred = Included(Percent::HUNDRED);
        match side {
            ast::OneSided::Below(v) => Interval {
                lo: zero,
                hi: Excluded(self.percent(v, loc)),
            },
            ast::OneSided::AtMost(v) => Interval {
                lo: zero,
                hi: Included(self.percent(v, loc)),
            },
            ast::OneSided::Above(v) => Interval {
                lo: Excluded(self.percent(v, loc)),
                hi: hundred,
            },
            ast::OneSided::AtLeast(v) => Interval {
                lo: Included(self.percent(v, loc)),
                hi: hundred,
            },
        }
    }
}

/// The end a range's words leave open, and the interval with and without it.
struct OpenEnd {
    at: Percent,
    with_end: Interval,
    without_end: Interval,
}

/// The definition a band declares itself to be (`defines persistent_absence`): the band's
/// metric in its range over its window, with its evidence guard.
fn band_definition(set: &BandSet, band: &Band, name: &str) -> Definition {
    let ratio = |op, value| Condition::Ratio {
        metric: set.metric,
        window: set.window,
        op,
        value,
    };
    let mut parts = Vec::new();
    if set.min_possible > 0 {
        parts.push(Condition::Count {
            metric: CountMetric::Sessions {
                class: SessionClass::Possible,
                window: set.window,
            },
            op: CmpOp::Ge,
            value: set.min_possible,
        });
    }
    let (lo, hi) = band.range.inner_ends();
    if let Some((p, included)) = lo {
        parts.push(ratio(if included { CmpOp::Ge } else { CmpOp::Gt }, p));
    }
    if let Some((p, included)) = hi {
        parts.push(ratio(if included { CmpOp::Le } else { CmpOp::Lt }, p));
    }
    let in_range = match parts.len() {
        // A band of every percentage holds for every pupil with the evidence: `>= 0%`.
        0 => ratio(CmpOp::Ge, Percent::ZERO),
        1 => parts.remove(0),
        _ => Condition::All(parts),
    };
    let condition = match &band.also {
        Some(also) => {
            let also = if set.min_possible > 0 {
                Condition::All(vec![
                    Condition::Count {
                        metric: CountMetric::Sessions {
                            class: SessionClass::Possible,
                            window: set.window,
                        },
                        op: CmpOp::Ge,
                        value: set.min_possible,
                    },
                    also.clone(),
                ])
            } else {
                also.clone()
            };
            Condition::Any(vec![in_range, also])
        }
        None => in_range,
    };
    Definition {
        name: name.to_string(),
        wording: band.label.clone(),
        condition,
        loc: band.loc.clone(),
        origin: Origin::School,
    }
}
