//! What local authorities' codes of conduct write that schools do not: a penalty-notice
//! threshold in days or half days (`threshold 5 days in rolling 10 school_weeks`), and the codes
//! it counts (`counting {G, O}`).

use super::{Builder, Pr};
use crate::syntax::ast::*;
use crate::syntax::error::SyntaxError;
use crate::syntax::grammar::Rule;

impl Builder<'_> {
    pub(super) fn penalty_threshold(&mut self, pair: &Pr<'_>, children: &[Pr<'_>]) -> PenaltyItem {
        let (sessions, written) = match children.first() {
            Some(count) => self.threshold_count(count),
            None => (self.sp(pair, 0), None),
        };
        let window = match children.get(1) {
            Some(w) => self.window(w.clone()),
            None => self.sp(pair, WindowAst::YearToDate),
        };
        let codes = children
            .iter()
            .find(|p| p.as_rule() == Rule::threshold_codes)
            .and_then(|p| p.clone().into_inner().next())
            .map(|set| self.code_set(set));
        PenaltyItem::Threshold {
            sessions,
            window,
            written,
            codes,
        }
    }

    /// `10 sessions` (written `None`), `5 days` (10 sessions), `2.5 days` (5), `7 half_days`
    /// (7). A half is allowed in days only.
    pub(super) fn threshold_count(&mut self, pair: &Pr<'_>) -> (Sp<u32>, Option<ThresholdCount>) {
        let mut value = 0u32;
        let mut half = false;
        let mut unit = CountUnit::Sessions;
        for part in pair.clone().into_inner() {
            match part.as_rule() {
                Rule::integer => value = self.u32(&part).node,
                Rule::fraction => {
                    let digits = part.as_str().trim_start_matches('.');
                    if digits.trim_end_matches('0') == "5" {
                        half = true;
                    } else if !digits.bytes().all(|b| b == b'0') {
                        self.error(
                            pair,
                            SyntaxError::NotWholeOrHalf {
                                text: format!("{value}{}", part.as_str()),
                            },
                        );
                    }
                }
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
        if half && !unit.is_days() {
            self.error(
                pair,
                SyntaxError::NotWholeOrHalf {
                    text: format!("{value}.5 {}", unit.keyword()),
                },
            );
        }
        let sessions = if unit.is_days() {
            value.saturating_mul(2).saturating_add(u32::from(half))
        } else {
            value
        };
        let written = (unit != CountUnit::Sessions).then_some(ThresholdCount { value, half, unit });
        (self.sp(pair, sessions), written)
    }
}
