//! Lowering band sets: the named ranges of one metric a pupil falls into, each range an
//! exact interval.

use super::*;

impl Lowerer {
    pub(super) fn band_set(
        &mut self,
        bands: &ast::BandsAst,
        loc: &Loc,
        existing: &[BandSet],
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
            let range = self.interval(&b.range.node, &b.range.loc);
            let stage = b.stage.as_ref().and_then(|s| self.stage_ref(s));
            let on_enter = self.actions(&b.on_enter);
            let repeat = self.repeat(b.repeat.as_ref());
            out.push(Band {
                id: b.id.node.clone(),
                label: b.label.as_ref().map(|l| l.node.clone()),
                range,
                written: b.range.node,
                stage,
                on_enter,
                repeat,
                loc: band.loc.clone(),
                range_loc: b.range.loc.clone(),
            });
        }
        Some(BandSet {
            label: bands.label.as_ref().map(|l| l.node.clone()),
            metric: metric?,
            window,
            min_possible: bands.min_possible.as_ref().map_or(0, |n| n.node),
            bands: out,
            loc: loc.clone(),
            origin: Origin::School,
        })
    }

    fn interval(&mut self, range: &RangeAst, loc: &Loc) -> Interval {
        use Bound::{Excluded, Included};
        let zero = Included(Percent::ZERO);
        let hundred = Included(Percent::HUNDRED);
        let interval = match *range {
            RangeAst::Between { first, op, second } => {
                let a = self.percent(first, loc);
                let b = self.percent(second, loc);
                match op {
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
                }
            }
            RangeAst::Below { value, .. } => Interval {
                lo: zero,
                hi: Excluded(self.percent(value, loc)),
            },
            RangeAst::AtMost { value, .. } => Interval {
                lo: zero,
                hi: Included(self.percent(value, loc)),
            },
            RangeAst::Above { value, .. } => Interval {
                lo: Excluded(self.percent(value, loc)),
                hi: hundred,
            },
            RangeAst::AtLeast { value, .. } => Interval {
                lo: Included(self.percent(value, loc)),
                hi: hundred,
            },
        };
        if interval.is_empty() {
            self.error(
                loc,
                ModelError::EmptyRange {
                    written: crate::syntax::print_dsl::range(range),
                },
            );
        }
        interval
    }
}
