//! A synthetic cohort: pupils with dates of birth, year groups and attributes, and a register
//! of marks over a list of school days, deterministic for a seed and calibrated to the national
//! figures (national-rules.md §11). This module builds everything in memory; `attend generate`
//! writes it out.
//!
//! The model: each pupil has a latent propensity to be absent (a normal draw pushed up by SEN,
//! an EHC plan, free school meals, a social worker or being looked after). Pupils are ranked by
//! it, and a pupil's rank (a quantile of the cohort) is mapped through one smooth, increasing
//! curve of absence rates (see `Shape`) through the published points of the distribution (10%
//! at the persistently absent share, 50% at the severely absent share, 15% at FFT's share over
//! 15%; the 5% point lands near FFT's share under 5% when the mean is solved to be the overall
//! rate): its density is continuous, so no threshold has a pile of pupils at it. The absent
//! sessions are the rate times the possible sessions, rounded at random. Each pupil's absent
//! sessions are then split into authorised and unauthorised (the unauthorised share rising with
//! the rate) and laid out as episodes: illness runs (`I`, 1–5 days), medical appointments
//! (`M`), other leave, term-time holidays (`G`, 5–10 days), unexplained runs (`N`, `O`; long
//! ones for the severely absent) and late arrivals after the register closed (`U`). Some
//! present sessions are late before the register closed (`L`). Floating point is used only for
//! sampling here; every figure the engine compares is an integer count.

use chrono::{Datelike, NaiveDate};
use rand_core::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;

/// Primary (reception to year 6) or secondary (years 7 to 11).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Primary,
    Secondary,
}

/// The figures a generated cohort is calibrated to, in percent. All from national-rules.md §11
/// (DfE, 2023/24, and FFT Education Datalab's share over 15%).
#[derive(Clone, Copy, Debug)]
pub struct Targets {
    /// Overall absence, % of possible sessions.
    pub overall: f64,
    /// Authorised absence, % of possible sessions.
    pub authorised: f64,
    /// Unauthorised absence, % of possible sessions.
    pub unauthorised: f64,
    /// Persistent absentees (10% or more missed), % of pupils.
    pub persistent: f64,
    /// Severely absent (50% or more missed), % of pupils.
    pub severe: f64,
    /// Pupils missing more than 15%, % of pupils (FFT Education Datalab, autumn and spring
    /// 2023/24: the one published share between the persistent and severe thresholds).
    pub over_15: f64,
}

impl Phase {
    /// national-rules.md §11. The secondary persistent and severe figures are marked "to
    /// confirm" there (~26 and ~4).
    pub fn targets(self) -> Targets {
        match self {
            Phase::Primary => Targets {
                overall: 5.5,
                authorised: 3.9,
                unauthorised: 1.6,
                persistent: 14.6,
                severe: 0.85,
                over_15: 8.0,
            },
            Phase::Secondary => Targets {
                overall: 8.9,
                authorised: 5.4,
                unauthorised: 3.5,
                persistent: 26.0,
                severe: 4.0,
                over_15: 15.0,
            },
        }
    }

    /// The year groups of the phase, reception as 0.
    fn years(self) -> std::ops::RangeInclusive<u32> {
        match self {
            Phase::Primary => 0..=6,
            Phase::Secondary => 7..=11,
        }
    }
}

/// What to generate.
#[derive(Clone, Copy, Debug)]
pub struct Config {
    pub cohort: usize,
    pub phase: Phase,
    pub seed: u64,
}

/// Special educational needs, as the pupils file writes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sen {
    None,
    Support,
    EhcPlan,
}

/// One generated pupil.
#[derive(Clone, Debug)]
pub struct GenPupil {
    pub id: String,
    pub dob: NaiveDate,
    /// Reception is 0.
    pub year_group: u32,
    pub admission: NaiveDate,
    pub leaving: Option<NaiveDate>,
    pub sen: Sen,
    pub fsm: bool,
    pub social_worker: bool,
    pub looked_after: bool,
    /// School days on roll: `from..to`.
    pub on_roll: (usize, usize),
    /// Two marks per school day of the whole list (AM, PM); sessions off roll hold `""`.
    pub marks: Vec<&'static str>,
}

/// A generated cohort over a list of school days.
#[derive(Clone, Debug)]
pub struct Cohort {
    pub days: Vec<NaiveDate>,
    pub pupils: Vec<GenPupil>,
}

/// A small wrapper for the draws the model needs.
struct Draw(Pcg64Mcg);

impl Draw {
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.0.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        let span = (hi - lo + 1) as u64;
        lo + (self.0.next_u64() % span) as usize
    }

    /// Standard normal (Box–Muller).
    fn normal(&mut self) -> f64 {
        let u = 1.0 - self.unit();
        let v = self.unit();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

/// Builds a cohort over `days` (the school days of one academic year, in order).
pub fn generate(config: &Config, days: &[NaiveDate]) -> Cohort {
    let mut draw = Draw(Pcg64Mcg::seed_from_u64(config.seed));
    let n_days = days.len();
    let start_year = days.first().map_or(2024, |d| {
        if d.month() >= 8 {
            d.year()
        } else {
            d.year() - 1
        }
    });
    let years: Vec<u32> = config.phase.years().collect();
    let mut pupils = Vec::with_capacity(config.cohort);
    let mut latent = Vec::with_capacity(config.cohort);
    for i in 0..config.cohort {
        let year_group = years[i * years.len() / config.cohort.max(1)];
        // Born between 1 September and 31 August of the cohort's school year.
        let born_from = NaiveDate::from_ymd_opt(start_year - 5 - year_group as i32, 9, 1)
            .unwrap_or(NaiveDate::MIN);
        let dob = born_from + chrono::Days::new(draw.range(0, 364) as u64);
        // Approximate national proportions, not from national-rules.md: SEN support ~13%,
        // EHC plan ~4.8%, free school meals ~25%, a social worker ~3% (more often with FSM:
        // 6% with, 2% without), looked after ~0.7% (who always have a social worker).
        let s = draw.unit();
        let sen = if s < 0.048 {
            Sen::EhcPlan
        } else if s < 0.048 + 0.13 {
            Sen::Support
        } else {
            Sen::None
        };
        let fsm = draw.chance(0.25);
        let looked_after = draw.chance(0.007);
        let social_worker = looked_after || draw.chance(if fsm { 0.06 } else { 0.02 });
        // Joiners and leavers (about 3% each) have a date inside the year.
        let (mut from, mut to) = (0, n_days);
        if n_days > 40 {
            if draw.chance(0.03) {
                from = draw.range(10, n_days - 20);
            } else if draw.chance(0.03) {
                to = draw.range(20, n_days - 10);
            }
        }
        let admission = if from == 0 {
            NaiveDate::from_ymd_opt(start_year, 9, 1).unwrap_or(NaiveDate::MIN)
        } else {
            days[from]
        };
        let leaving = (to < n_days).then(|| days[to - 1]);
        let score = draw.normal()
            + match sen {
                Sen::None => 0.0,
                Sen::Support => 0.6,
                Sen::EhcPlan => 0.8,
            }
            + if fsm { 0.5 } else { 0.0 }
            + if social_worker { 0.6 } else { 0.0 }
            + if looked_after { 0.3 } else { 0.0 };
        latent.push(score);
        pupils.push(GenPupil {
            id: format!("P{:05}", i + 1),
            dob,
            year_group,
            admission,
            leaving,
            sen,
            fsm,
            social_worker,
            looked_after,
            on_roll: (from, to),
            marks: Vec::new(),
        });
    }
    // Rank by propensity: the rank's quantile picks the pupil's absence rate.
    let mut order: Vec<usize> = (0..pupils.len()).collect();
    order.sort_by(|a, b| latent[*a].total_cmp(&latent[*b]).then(a.cmp(b)));
    let mut quantile = vec![0.0; pupils.len()];
    for (rank, i) in order.iter().enumerate() {
        quantile[*i] = (rank as f64 + 0.5) / pupils.len() as f64;
    }
    let shape = Shape::new(config.phase.targets());
    for (pupil, q) in pupils.iter_mut().zip(quantile) {
        pupil.marks = marks(&mut draw, &shape, q, pupil.on_roll, n_days);
    }
    Cohort {
        days: days.to_vec(),
        pupils,
    }
}

/// The distribution of absence rates and the authorised/unauthorised split for a phase.
///
/// A pupil at quantile `q` of the cohort has the absence rate `logistic(L(z))`, where `z` is
/// the standard normal quantile of `q` and `L` is a monotone cubic Hermite curve (PCHIP,
/// Fritsch–Carlson slopes: a continuous first derivative and no overshoot) through six
/// knots, four of them published points of the distribution:
///
/// - 10% at `1 − persistent share` and 50% at `1 − severe share` (DfE);
/// - 15% at `1 − FFT's share over 15%` (FFT Education Datalab, national-rules.md §11);
/// - 5% at the share of pupils under 5%, solved for so that the mean rate is the phase's
///   overall absence (it lands within 3 points of FFT's 61% and 51%: about 64% and 53%);
/// - 25% where the share of pupils over a rate, interpolated as a power of the rate between
///   the published 15% and 50% points, puts it (no figure is published there; without the
///   knot the curve is concave on 15–50% and overstates the mean);
/// - 2%, placed so the slope eases from `LOW_SLOPE` below it to the body's above 5%.
///
/// Beyond the end knots `L` is a straight line with the end slope, so the density of absence
/// rates is continuous everywhere: no pile of pupils at a threshold. The end slopes are
/// fixed, not published: `LOW_SLOPE` below 2% (so about 11% of primary and 7% of secondary
/// pupils miss no session) and `TAIL_SLOPE` above 50% (the severely absent average about
/// 56%). With FFT's 5% point held exactly, the mean could be met only with about 15% of
/// secondary pupils at no absence, and not at all in primary: the DfE's full-year mean and
/// FFT's autumn-and-spring shares do not quite agree, so the 5% point gives way.
struct Shape {
    /// The knots `(z, L)`, increasing in both.
    knots: Vec<(f64, f64)>,
    /// The slope of `L` at each knot (the end ones also beyond it).
    slopes: Vec<f64>,
    /// The unauthorised share of a pupil's absence at rate 0; it rises in proportion to the
    /// rate to `UNAUTH_SEVERE` at 50% and stays there, and is solved for so that the
    /// unauthorised rate is the phase's.
    unauth_low: f64,
    /// The chance that a pupil not severely absent, with ten or more unauthorised sessions,
    /// took a term-time holiday (tuned so `G` is near its national share: 0.5 of 7.1 points).
    holiday: f64,
}

/// Unauthorised share of a severely absent pupil's absence.
const UNAUTH_SEVERE: f64 = 0.6;
/// The quantiles the calibration averages over (midpoints of this many equal slices).
const GRID: usize = 2000;
/// The slope of `L` (logit of the rate per unit of `z`) below the 2% knot.
const LOW_SLOPE: f64 = 2.6;
/// The slope of `L` above the 50% knot.
const TAIL_SLOPE: f64 = 0.75;

fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

impl Shape {
    fn new(t: Targets) -> Shape {
        let persistent = t.persistent / 100.0;
        let mean = t.overall / 100.0;
        let grid: Vec<f64> = (0..GRID)
            .map(|i| normal_quantile((i as f64 + 0.5) / GRID as f64))
            .collect();
        let with = |below_5: f64| Shape::through(below_5, &t);
        let mean_of =
            |shape: &Shape| grid.iter().map(|z| shape.rate_at(*z)).sum::<f64>() / GRID as f64;
        // The mean falls as more pupils are put below 5%, until the 5–10% slice gets so thin
        // that its slope blows up the tail: take the first crossing on a coarse scan, then
        // bisect inside it.
        let top = 1.0 - persistent - 0.002;
        let steps = 100;
        let mut lo = 0.01;
        let mut hi = top;
        let mut prev = lo;
        for k in 1..=steps {
            let q = 0.01 + (top - 0.01) * k as f64 / steps as f64;
            if mean_of(&with(q)) <= mean {
                lo = prev;
                hi = q;
                break;
            }
            prev = q;
        }
        for _ in 0..50 {
            let mid = (lo + hi) / 2.0;
            if mean_of(&with(mid)) > mean {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        let mut shape = with((lo + hi) / 2.0);
        // Unauthorised absence: E[rate × (u₀ + (0.6 − u₀) × min(rate/0.5, 1))] is linear in u₀.
        let (mut plain, mut rising) = (0.0, 0.0);
        for z in &grid {
            let r = shape.rate_at(*z);
            let s = (r / 0.5).min(1.0);
            plain += r * (1.0 - s);
            rising += r * s;
        }
        let (plain, rising) = (plain / GRID as f64, rising / GRID as f64);
        shape.unauth_low =
            ((t.unauthorised / 100.0 - UNAUTH_SEVERE * rising) / plain.max(1e-9)).clamp(0.02, 0.9);
        shape
    }

    /// The curve with `below_5` of the pupils under 5% absence.
    fn through(below_5: f64, t: &Targets) -> Shape {
        let (persistent, over_15, severe) =
            (t.persistent / 100.0, t.over_15 / 100.0, t.severe / 100.0);
        // The share over 25%: S(r) = S(15%) × (r / 15%)^−a, with a from S(50%).
        let a = (over_15 / severe).ln() / (0.50f64 / 0.15).ln();
        let over_25 = over_15 * (0.25f64 / 0.15).powf(-a);
        let (z5, z10) = (normal_quantile(below_5), normal_quantile(1.0 - persistent));
        // The 2% knot: where the 2–5% secant is midway between `LOW_SLOPE` and the 5–10%
        // secant, so the slope eases from the low end's to the body's (with `LOW_SLOPE` at
        // the 5% knot itself, the 5–10% segment would bulge: a hump of pupils at 91–93%
        // attendance and a dip at 94–95%).
        let body = (logit(0.10) - logit(0.05)) / (z10 - z5);
        let z2 = z5 - (logit(0.05) - logit(0.02)) / ((LOW_SLOPE + body) / 2.0);
        let knots = vec![
            (z2, logit(0.02)),
            (z5, logit(0.05)),
            (z10, logit(0.10)),
            (normal_quantile(1.0 - over_15), logit(0.15)),
            (normal_quantile(1.0 - over_25), logit(0.25)),
            (normal_quantile(1.0 - severe), 0.0),
        ];
        let slopes = pchip_slopes(&knots, LOW_SLOPE, TAIL_SLOPE);
        Shape {
            knots,
            slopes,
            unauth_low: 0.0,
            holiday: 0.8,
        }
    }

    /// The absence rate at normal quantile `z`.
    fn rate_at(&self, z: f64) -> f64 {
        let (first, last) = (self.knots[0], self.knots[self.knots.len() - 1]);
        let l = if z <= first.0 {
            first.1 + self.slopes[0] * (z - first.0)
        } else if z >= last.0 {
            last.1 + self.slopes[self.slopes.len() - 1] * (z - last.0)
        } else {
            let i = self.knots.iter().rposition(|k| k.0 <= z).unwrap_or(0);
            let i = i.min(self.knots.len() - 2);
            hermite(
                z,
                self.knots[i],
                self.knots[i + 1],
                self.slopes[i],
                self.slopes[i + 1],
            )
        };
        1.0 / (1.0 + (-l).exp())
    }

    /// The absence rate at quantile `q` of the cohort.
    fn rate(&self, q: f64) -> f64 {
        self.rate_at(normal_quantile(q))
    }

    /// The unauthorised share of absence at `rate`.
    fn unauthorised(&self, rate: f64) -> f64 {
        self.unauth_low + (UNAUTH_SEVERE - self.unauth_low) * (rate / 0.5).min(1.0)
    }
}

/// The slopes of a monotone piecewise cubic Hermite curve through increasing `knots`
/// (Fritsch–Carlson: inside, the weighted harmonic mean of the neighbouring secants; at the
/// ends `first` and `last`, capped at three times the end secant so no segment overshoots).
fn pchip_slopes(knots: &[(f64, f64)], first: f64, last: f64) -> Vec<f64> {
    let n = knots.len();
    let h: Vec<f64> = knots.windows(2).map(|w| w[1].0 - w[0].0).collect();
    let d: Vec<f64> = knots
        .windows(2)
        .map(|w| (w[1].1 - w[0].1) / (w[1].0 - w[0].0))
        .collect();
    let mut s = vec![0.0; n];
    s[0] = first.min(3.0 * d[0]);
    s[n - 1] = last.min(3.0 * d[n - 2]);
    for k in 1..n - 1 {
        let (w1, w2) = (2.0 * h[k] + h[k - 1], h[k] + 2.0 * h[k - 1]);
        s[k] = (w1 + w2) / (w1 / d[k - 1] + w2 / d[k]);
    }
    s
}

/// The cubic Hermite curve from `a` to `b` with slopes `da` and `db` there, at `z`.
fn hermite(z: f64, a: (f64, f64), b: (f64, f64), da: f64, db: f64) -> f64 {
    let h = b.0 - a.0;
    let t = (z - a.0) / h;
    let (t2, t3) = (t * t, t * t * t);
    (2.0 * t3 - 3.0 * t2 + 1.0) * a.1
        + (t3 - 2.0 * t2 + t) * h * da
        + (-2.0 * t3 + 3.0 * t2) * b.1
        + (t3 - t2) * h * db
}

/// The standard normal quantile (Acklam's rational approximation, relative error below
/// 1.2e-9: far finer than one pupil in a cohort).
fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969683028665376e1,
        2.209460984245205e2,
        -2.759285104469687e2,
        1.38357751867269e2,
        -3.066479806614716e1,
        2.506628277459239,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e1,
        1.615858368580409e2,
        -1.556989798598866e2,
        6.680131188771972e1,
        -1.328068155288572e1,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-3,
        -3.223964580411365e-1,
        -2.400758277161838,
        -2.549732539343734,
        4.374664141464968,
        2.938163982698783,
    ];
    const D: [f64; 4] = [
        7.784695709041462e-3,
        3.224671290700398e-1,
        2.445134137142996,
        3.754408661907416,
    ];
    let p = p.clamp(1e-12, 1.0 - 1e-12);
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < 0.02425 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.02425 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

/// A register of free sessions to lay episodes into.
struct Layout<'a> {
    marks: &'a mut [&'static str],
    /// The sessions on roll: `lo..hi`.
    lo: usize,
    hi: usize,
}

impl Layout<'_> {
    /// Lays `n` sessions of `code`, as whole days from a random start where it can, else
    /// wherever there is room. Returns how many it laid.
    fn run(&mut self, draw: &mut Draw, code: &'static str, n: usize) -> usize {
        if n == 0 || self.hi <= self.lo {
            return 0;
        }
        for _ in 0..12 {
            let start = draw.range(self.lo, self.hi - 1) & !1;
            let start = start.max(self.lo);
            if start + n <= self.hi && self.marks[start..start + n].iter().all(|m| *m == "/") {
                self.marks[start..start + n].fill(code);
                return n;
            }
        }
        self.scatter(draw, code, n)
    }

    /// Lays `n` single sessions of `code` at free places from a random start.
    fn scatter(&mut self, draw: &mut Draw, code: &'static str, n: usize) -> usize {
        let len = self.hi - self.lo;
        if len == 0 {
            return 0;
        }
        let mut laid = 0;
        let mut at = draw.range(0, len - 1);
        for _ in 0..len {
            if laid == n {
                break;
            }
            let s = self.lo + at;
            if self.marks[s] == "/" {
                self.marks[s] = code;
                laid += 1;
                // Skip ahead a little so single sessions spread out.
                at = (at + draw.range(1, 7)) % len;
            } else {
                at = (at + 1) % len;
            }
        }
        laid
    }
}

/// One pupil's marks.
fn marks(
    draw: &mut Draw,
    shape: &Shape,
    q: f64,
    (from, to): (usize, usize),
    n_days: usize,
) -> Vec<&'static str> {
    let mut marks = vec![""; n_days * 2];
    let (lo, hi) = (from * 2, to * 2);
    marks[lo..hi].fill("/");
    let possible = hi - lo;
    let rate = shape.rate(q);
    // Absent sessions: the rate rounded at random (no clamping at a threshold, which would
    // pile pupils there). The kind of absence follows the exact count: 0 under 10%, 1 for
    // persistent, 2 for severe.
    let exact = rate * possible as f64;
    let absent = (exact.floor() as usize + usize::from(draw.chance(exact.fract()))).min(possible);
    let piece = if absent * 2 >= possible && possible > 0 {
        2
    } else if absent * 10 >= possible && absent > 0 {
        1
    } else {
        0
    };
    let exact_u = absent as f64 * shape.unauthorised(rate);
    let unauthorised =
        (exact_u.floor() as usize + usize::from(draw.chance(exact_u.fract()))).min(absent);
    let authorised = absent - unauthorised;
    let mut layout = Layout {
        marks: &mut marks,
        lo,
        hi,
    };
    // Unauthorised: a term-time holiday, unexplained runs (long ones for the severely
    // absent), and arrivals after the register closed.
    let mut left = unauthorised;
    if piece < 2 && left >= 10 && draw.chance(shape.holiday) {
        let days = draw.range(5, 10);
        left -= layout.run(draw, "G", (days * 2).min(left));
    }
    if left > 0 && draw.chance(0.3) {
        let late = draw.range(1, 4).min(left);
        left -= layout.scatter(draw, "U", late);
    }
    let mut guard = 0;
    while left > 0 && guard < 1000 {
        guard += 1;
        let code = if draw.chance(0.5) { "N" } else { "O" };
        let days = if piece == 2 {
            draw.range(5, 30)
        } else if draw.chance(0.05) {
            draw.range(5, 15)
        } else {
            draw.range(1, 3)
        };
        let n = if left == 1 { 1 } else { (days * 2).min(left) };
        left -= layout.run(draw, code, n);
    }
    // Authorised: illness (about three quarters of it nationally: 3.5 of 4.7 points),
    // medical appointments, and other leave. The episodes differ in length (an illness run
    // averages about 6 sessions, an appointment 1, other leave 2), so they are drawn in
    // proportion to share ÷ length: about 74% of the sessions illness, 13% appointments, 13%
    // other leave.
    let mut left = authorised;
    let mut guard = 0;
    while left > 0 && guard < 1000 {
        guard += 1;
        let k = draw.unit();
        let laid = if k < 0.39 {
            let days = if piece == 2 {
                draw.range(3, 20)
            } else {
                draw.range(1, 5)
            };
            layout.run(draw, "I", (days * 2).min(left))
        } else if k < 0.80 {
            layout.scatter(draw, "M", 1)
        } else {
            let code = ["C", "R", "E", "C1", "J1"][draw.range(0, 4)];
            layout.run(draw, code, 2.min(left))
        };
        left -= laid;
    }
    // Lateness before the register closed: a present mark.
    let late_share = 0.005 + rate * 0.1;
    for m in &mut marks[lo..hi] {
        if *m == "/" && draw.chance(late_share) {
            *m = "L";
        }
    }
    marks
}

impl Cohort {
    /// The pupils CSV (`attend run --pupils`).
    pub fn pupils_csv(&self) -> Vec<u8> {
        let mut out = String::from(
            "pupil_id,date_of_birth,year_group,admission_date,leaving_date,sen,fsm,social_worker,looked_after\n",
        );
        for p in &self.pupils {
            let year = if p.year_group == 0 {
                "R".to_string()
            } else {
                p.year_group.to_string()
            };
            let leaving = p.leaving.map(|d| d.to_string()).unwrap_or_default();
            let sen = match p.sen {
                Sen::None => "N",
                Sen::Support => "K",
                Sen::EhcPlan => "E",
            };
            out.push_str(&format!(
                "{},{},{year},{},{leaving},{sen},{},{},{}\n",
                p.id, p.dob, p.admission, p.fsm, p.social_worker, p.looked_after
            ));
        }
        out.into_bytes()
    }

    /// The register as a long CSV (`pupil_id,date,session,mark`), pupil by pupil; sessions
    /// off roll have no row.
    pub fn register_csv(&self) -> Vec<u8> {
        let dates: Vec<String> = self.days.iter().map(ToString::to_string).collect();
        let mut out = Vec::with_capacity(self.pupils.len() * self.days.len() * 2 * 24 + 32);
        out.extend_from_slice(b"pupil_id,date,session,mark\n");
        for p in &self.pupils {
            for (s, mark) in p.marks.iter().enumerate() {
                if mark.is_empty() {
                    continue;
                }
                out.extend_from_slice(p.id.as_bytes());
                out.push(b',');
                out.extend_from_slice(dates[s / 2].as_bytes());
                out.extend_from_slice(if s % 2 == 0 { b",AM," } else { b",PM," });
                out.extend_from_slice(mark.as_bytes());
                out.push(b'\n');
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_quantile_matches_the_tables() {
        // Φ⁻¹(0.5) = 0, Φ⁻¹(0.975) = 1.959964, Φ⁻¹(0.01) = −2.326348, Φ⁻¹(0.999) = 3.090232.
        for (p, z) in [
            (0.5, 0.0),
            (0.975, 1.959_964),
            (0.01, -2.326_348),
            (0.999, 3.090_232),
        ] {
            assert!((normal_quantile(p) - z).abs() < 1e-6, "Φ⁻¹({p})");
        }
    }

    /// The share of the cohort under 5%: the quantile of the 5% knot (the second).
    fn normal_cdf_at_5(shape: &Shape) -> f64 {
        let z5 = shape.knots[1].0;
        // Φ is increasing; invert `normal_quantile` by bisection.
        let (mut lo, mut hi) = (0.0f64, 1.0f64);
        for _ in 0..60 {
            let mid = (lo + hi) / 2.0;
            if normal_quantile(mid) < z5 {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        (lo + hi) / 2.0
    }

    #[test]
    fn the_curve_passes_through_the_thresholds_at_the_target_shares() {
        for phase in [Phase::Primary, Phase::Secondary] {
            let t = phase.targets();
            let shape = Shape::new(t);
            // At the quantile 1 − persistent share the rate is 10%; at 1 − severe share, 50%.
            // At the quantile 1 − FFT's share over 15%, 15%.
            let at_pa = shape.rate(1.0 - t.persistent / 100.0);
            let at_15 = shape.rate(1.0 - t.over_15 / 100.0);
            let at_sa = shape.rate(1.0 - t.severe / 100.0);
            assert!((at_pa - 0.10).abs() < 1e-9, "{phase:?}: {at_pa}");
            assert!((at_15 - 0.15).abs() < 1e-9, "{phase:?}: {at_15}");
            assert!((at_sa - 0.50).abs() < 1e-9, "{phase:?}: {at_sa}");
            // The share under 5% (solved for the mean) within 3 points of FFT's 61% and 51%.
            let fft_under_5 = if phase == Phase::Primary { 0.61 } else { 0.51 };
            let under_5 = normal_cdf_at_5(&shape);
            assert!(
                (under_5 - fft_under_5).abs() <= 0.03,
                "{phase:?}: {under_5} under 5%"
            );
            // Increasing, and the mean over the cohort is the overall rate (to 0.01 points).
            let rates: Vec<f64> = (0..GRID)
                .map(|i| shape.rate((i as f64 + 0.5) / GRID as f64))
                .collect();
            assert!(
                rates.windows(2).all(|w| w[0] < w[1]),
                "{phase:?}: not increasing"
            );
            let mean = rates.iter().sum::<f64>() / GRID as f64;
            assert!(
                (mean * 100.0 - t.overall).abs() < 0.01,
                "{phase:?}: mean {mean}"
            );
        }
    }
}
