//! Evaluation of one pupil, school day by school day (DESIGN.md §4). Counts are prefix sums
//! over the pupil's days, so every window is a subtraction; runs of consecutive days are
//! carried forward; each day's step is `step.rs`. Integer arithmetic throughout. A pupil is
//! walked from the first day a rule could act on it, and one no rule can act on is not
//! walked at all (`quiet.rs`).

use chrono::NaiveDate;

use super::plan::{Plan, Rule};
use crate::register::Pupil;
use crate::table::SchoolDays;

mod conditions;
mod quiet;
mod school_age;
mod step;

use conditions::holds;
pub use conditions::ratio_in;
pub use school_age::compulsory_school_age;
use step::State;

/// What the whole run shares: the plan, the calendar, the span of the data and where each
/// window starts on each school day.
pub struct Shared<'a> {
    pub plan: &'a Plan,
    pub days: &'a SchoolDays,
    /// First and last school day with data.
    pub span: (usize, usize),
    /// Per window of the plan, per school day of the span (from its first day): the first
    /// day of the window, clamped to the span's first day.
    starts: Vec<Vec<u32>>,
    /// Per school day of the span (from its first day): its date, and its half-term and term
    /// numbers in its academic year, looked up once for every pupil.
    calendar: Vec<(NaiveDate, [u32; 2])>,
    /// Per group of four counters, per code-table row: the counters' weights of a session
    /// with that mark, one per 32-bit lane, so a day adds all four counters in one addition.
    packed: Vec<[u128; 256]>,
    /// The metrics the rules read every day, each ready to read from the prefix sums.
    daily: Vec<Daily>,
    /// Whether penalty notices from before the run were given (a ledger was read).
    pub history: bool,
    /// School days, ascending, at whose end each pupil's [`Standing`] is wanted.
    pub looks: Vec<usize>,
    /// The rules whose holding makes a pupil's walk act (src/engine/eval/quiet.rs), when a
    /// pupil none of them can hold for may skip the walk; `None`: every pupil is walked.
    acting: Option<Vec<&'a Rule>>,
    /// Pupils whose walk was skipped, and days skipped before the walk of the others, for
    /// the test that skipping changes nothing.
    #[cfg(test)]
    skipped: std::sync::atomic::AtomicUsize,
    #[cfg(test)]
    days_skipped: std::sync::atomic::AtomicUsize,
}

impl<'a> Shared<'a> {
    pub fn new(plan: &'a Plan, days: &'a SchoolDays, span: (usize, usize)) -> Shared<'a> {
        let starts: Vec<Vec<u32>> = plan
            .windows
            .iter()
            .map(|w| {
                (span.0..=span.1)
                    .map(|d| {
                        u32::try_from(days.window_start(*w, d).max(span.0)).unwrap_or(u32::MAX)
                    })
                    .collect()
            })
            .collect();
        let calendar = (span.0..=span.1)
            .map(|d| (days.date(d), super::schedule::in_year(days, d)))
            .collect();
        let packed = plan
            .counters
            .chunks(LANES)
            .map(|group| {
                let mut packed = [0u128; 256];
                for (mark, p) in packed.iter_mut().enumerate() {
                    for (lane, counter) in group.iter().enumerate() {
                        *p |= u128::from(counter.weight[mark]) << (32 * lane);
                    }
                }
                packed
            })
            .collect();
        let daily = plan
            .daily
            .iter()
            .filter_map(|&m| {
                let &(counter, _) = plan.metrics.get(m)?;
                let window = starts.get(*plan.metric_window.get(m)?);
                let from = (span.0..=span.1)
                    .map(|d| {
                        let start = window
                            .and_then(|s| s.get(d - span.0))
                            .map_or(span.0, |s| *s as usize);
                        if start > d {
                            EMPTY
                        } else {
                            u32::try_from(start - span.0).unwrap_or(EMPTY)
                        }
                    })
                    .collect();
                Some(Daily {
                    metric: m,
                    group: counter / LANES,
                    shift: 32 * (counter % LANES) as u32,
                    from,
                })
            })
            .collect();
        Shared {
            plan,
            days,
            span,
            starts,
            calendar,
            packed,
            daily,
            history: false,
            looks: Vec::new(),
            acting: quiet::summary_reads_no_walk(plan).then(|| quiet::acting_rules(plan)),
            #[cfg(test)]
            skipped: std::sync::atomic::AtomicUsize::new(0),
            #[cfg(test)]
            days_skipped: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// Walks every pupil's days, even those no rule can act on: for checking that skipping
    /// them changes nothing.
    #[cfg(test)]
    pub fn walking_every_pupil(mut self) -> Self {
        self.acting = None;
        self
    }

    /// Marks the run as one that read penalty notices from before it.
    pub fn with_history(mut self, history: &super::notices::NoticeHistory) -> Self {
        self.history = !history.is_empty();
        self
    }

    /// The first day of window `w` on school day `day` of the span, clamped to the span.
    pub fn start(&self, w: usize, day: usize) -> usize {
        self.starts
            .get(w)
            .and_then(|s| s.get(day.wrapping_sub(self.span.0)))
            .map_or(self.span.0, |d| *d as usize)
    }
}

/// Counters per packed prefix sum: four 32-bit lanes of a `u128`. A lane never carries into
/// the next: it counts at most two sessions a school day.
const LANES: usize = 4;

/// A metric read every day: its counter's place in the packed prefix sums and, per school day
/// of the span, the first day of its window as an offset into the span.
struct Daily {
    metric: usize,
    group: usize,
    shift: u32,
    from: Vec<u32>,
}

/// [`Daily::from`] of a day whose window holds no day of the span.
const EMPTY: u32 = u32::MAX;

/// Buffers reused from one pupil to the next, so a block of pupils allocates them once.
#[derive(Default)]
pub struct Scratch {
    /// `prefix[i * groups + g]`: counter group `g` summed over the span's first `i` days.
    prefix: Vec<u128>,
    /// The walk's state and day-by-day figures, given back after each pupil.
    walk: Walk,
}

/// What a walk carries, kept from one pupil to the next for its room.
#[derive(Default)]
struct Walk {
    state: State,
    values: Vec<u32>,
    runs: Vec<u32>,
    notices: Vec<u32>,
    run_start: Vec<usize>,
    extended: Vec<bool>,
}

/// `list` holding `len` default values (its room kept).
fn reset<T: Clone + Default>(list: &mut Vec<T>, len: usize) {
    list.clear();
    list.resize(len, T::default());
}

/// The prefix sums of one pupil, packed four counters to a `u128`.
struct Prefix<'s> {
    sums: &'s [u128],
    groups: usize,
}

impl Prefix<'_> {
    /// Counter `c` summed over span days `from..to` (offsets from the span's first day).
    #[inline]
    fn between(&self, c: usize, from: usize, to: usize) -> u32 {
        let (g, lane) = (c / LANES, c % LANES);
        let at = |i: usize| self.sums.get(i * self.groups + g).copied().unwrap_or(0);
        // Lane by lane the later sum is the larger, so no lane borrows from the next.
        let window = at(to).wrapping_sub(at(from));
        (window >> (32 * lane)) as u32
    }
}

/// An action a rule required: which row fired, on which school day, for which pupil.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fired {
    pub day: usize,
    pub pupil: usize,
    /// Index into the decision table's rows.
    pub row: usize,
    /// Stage rank of the pupil that day.
    pub stage: usize,
    pub evidence: String,
}

/// A pupil's figures at the last school day with data.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PupilSummary {
    pub possible: u32,
    pub present: u32,
    pub authorised: u32,
    pub unauthorised: u32,
    /// Per band set, the row of the band held; held inline for up to two band sets, so a
    /// million summaries need no allocation each.
    pub bands: smallvec::SmallVec<[Option<u32>; 2]>,
    pub stage: usize,
    /// Bit `r`: the pupil's stage was rank `r` on some school day on roll, stated by a band,
    /// trigger or plan (a pupil in no band with a stage is at no stage, not the first one);
    /// ranks past 63 count as 63.
    pub reached: u64,
    /// Per band set, bit `i`: band `i` of the set held on some school day on roll (bands past
    /// the 64th count as the 64th).
    pub held: smallvec::SmallVec<[u64; 2]>,
    pub persistent: bool,
    pub severe: bool,
}

/// One line of a pupil's timeline (`--explain`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceEvent {
    pub day: usize,
    pub rule: String,
    pub what: String,
}

/// The day-by-day state of one pupil, and the values of the current day.
struct Day<'p> {
    /// `values[m]`: metric m on the current day.
    values: Vec<u32>,
    /// `runs[r]`: current length of run r.
    runs: Vec<u32>,
    /// `notices[n]`: penalty notices in the period of `Plan::notices[n]`, before today.
    notices: Vec<u32>,
    stage: usize,
    date: NaiveDate,
    pupil: &'p Pupil,
    compulsory: Option<bool>,
    /// The day's half-term and term numbers in its academic year (schedules).
    in_year: [u32; 2],
}

impl Day<'_> {
    /// Makes school day `day` of the span the current day: its date, its periods in the
    /// academic year and whether the pupil (compulsory school age `csa`) is of that age.
    fn enter(&mut self, shared: &Shared<'_>, day: usize, csa: Option<(NaiveDate, NaiveDate)>) {
        if let Some(&(date, in_year)) = shared.calendar.get(day - shared.span.0) {
            self.date = date;
            self.in_year = in_year;
        }
        self.compulsory = csa.map(|(from, to)| from <= self.date && self.date <= to);
    }
}

/// Evaluates one pupil over the span, whose marks (from the span's first day) are `marks`;
/// `trace` collects the timeline when asked for.
pub fn evaluate(
    shared: &Shared<'_>,
    index: usize,
    pupil: &Pupil,
    marks: &[u8],
    trace: Option<&mut Vec<TraceEvent>>,
) -> (Vec<Fired>, PupilSummary) {
    evaluate_with(shared, index, pupil, &[], marks, trace, &mut |_, _| {})
}

/// A pupil's standing at the end of a school day: what a run that stopped there would give
/// as its summary's possible sessions, stage and bands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Standing {
    pub possible: u32,
    pub stage: usize,
    pub bands: smallvec::SmallVec<[Option<u32>; 2]>,
}

/// [`evaluate`], with the penalty notices the pupil had before the span (`prior`); `look`
/// is told the pupil's [`Standing`] at the end of each of [`Shared::looks`] (by its place
/// there), so figures over the year need no run of their own per day.
pub fn evaluate_with(
    shared: &Shared<'_>,
    index: usize,
    pupil: &Pupil,
    prior: &[NaiveDate],
    marks: &[u8],
    trace: Option<&mut Vec<TraceEvent>>,
    look: &mut dyn FnMut(usize, &Standing),
) -> (Vec<Fired>, PupilSummary) {
    let mut scratch = Scratch::default();
    evaluate_in(
        shared,
        &mut scratch,
        index,
        pupil,
        prior,
        marks,
        trace,
        look,
    )
}

/// [`evaluate_with`], its buffers in `scratch` (one per thread, reused pupil after pupil).
#[expect(
    clippy::too_many_arguments,
    reason = "evaluate_with's arguments and the buffers"
)]
pub fn evaluate_in(
    shared: &Shared<'_>,
    scratch: &mut Scratch,
    index: usize,
    pupil: &Pupil,
    prior: &[NaiveDate],
    marks: &[u8],
    trace: Option<&mut Vec<TraceEvent>>,
    look: &mut dyn FnMut(usize, &Standing),
) -> (Vec<Fired>, PupilSummary) {
    let plan = shared.plan;
    let days = shared.days;
    let (first, last) = shared.span;
    let len = last + 1 - first;
    // Prefix sums over span days first..first+i, every counter in one pass over the marks.
    let groups = shared.packed.len();
    let sums = &mut scratch.prefix;
    // Every row but the first is written below: the buffer is only cleared to its size.
    sums.resize((len + 1) * groups, 0);
    sums[..groups].fill(0);
    // A group at a time, its running sum kept in a register: read back from the row just
    // written, each day would wait on the store before it.
    for (g, packed) in shared.packed.iter().enumerate() {
        let mut running = 0u128;
        for (i, row) in sums[groups..]
            .chunks_exact_mut(groups)
            .take(len)
            .enumerate()
        {
            let am = usize::from(marks.get(i * 2).copied().unwrap_or(u8::MAX));
            let pm = usize::from(marks.get(i * 2 + 1).copied().unwrap_or(u8::MAX));
            running += packed[am] + packed[pm];
            if let Some(sum) = row.get_mut(g) {
                *sum = running;
            }
        }
    }
    let prefix = Prefix { sums, groups };
    let roll = roll(days, pupil, shared.span);
    let csa = compulsory_school_age(pupil.dob);
    // A pupil no rule can act on has no run, band, stage or firing to walk: only the last
    // day on roll, where the summary is read, and the looks before it. Another is walked
    // from the first day a rule could act on (`walk_from`); before it only its runs and
    // its last day on roll move. The timeline of `--explain` tells of runs and figures day
    // by day, so a traced pupil is always walked whole.
    let walk_from = match (&trace, &shared.acting) {
        (None, Some(acting)) => {
            let on_roll = (roll.0 < roll.1).then(|| (days.date(roll.0), days.date(roll.1 - 1)));
            let span = quiet::Span {
                prefix: &prefix,
                len,
                marks,
                pupil,
                on_roll,
                compulsory: csa,
            };
            quiet::first_acting_day(shared, acting, &span)
        }
        _ => Some(first),
    };
    let quiet = walk_from.is_none();
    let walk_from = walk_from.unwrap_or(first);
    #[cfg(test)]
    {
        use std::sync::atomic::Ordering::Relaxed;
        if quiet {
            shared.skipped.fetch_add(1, Relaxed);
        } else {
            shared.days_skipped.fetch_add(walk_from - first, Relaxed);
        }
    }
    let Walk {
        mut state,
        mut values,
        mut runs,
        mut notices,
        mut run_start,
        mut extended,
    } = std::mem::take(&mut scratch.walk);
    state.reset(plan);
    reset(&mut values, plan.metrics.len());
    reset(&mut runs, plan.runs.len());
    reset(&mut notices, plan.notices.len());
    reset(&mut run_start, plan.runs.len());
    reset(&mut extended, plan.runs.len());
    let mut fired = Vec::new();
    let mut trace = trace;
    let mut day_state = Day {
        values,
        runs,
        notices,
        stage: 0,
        date: days.date(first),
        pupil,
        compulsory: None,
        in_year: [0; 2],
    };
    let mut summary_day = None;
    let mut reached = 0u64;
    let mut held: smallvec::SmallVec<[u64; 2]> = smallvec::smallvec![0; plan.band_sets.len()];
    let mut next_look = 0;
    // What a run stopped at the end of the day before `day` would give: its summary's
    // possible sessions are read on its last day on roll.
    let standing = |state: &State, stage: usize, summary_day: Option<usize>| Standing {
        possible: summary_day.map_or(0, |d| metric_at(shared, &prefix, plan.summary[0], d)),
        stage,
        bands: state
            .bands
            .iter()
            .map(|b| b.map(|rule| u32::try_from(plan.band_sets_row(rule)).unwrap_or(u32::MAX)))
            .collect(),
    };
    if quiet {
        // Nothing changes from day to day but the last day on roll so far: each look, and
        // the summary, is given it without walking the days.
        let on_roll_to = |day: usize| {
            let to = day.min(roll.1.checked_sub(1)?);
            (roll.0.max(first) <= to).then_some(to)
        };
        for (k, &at) in shared.looks.iter().enumerate() {
            if (first..=last).contains(&at) {
                look(k, &standing(&state, day_state.stage, on_roll_to(at)));
            }
        }
        next_look = shared.looks.len();
        summary_day = on_roll_to(last);
    }
    for day in (first..=last).filter(|_| !quiet) {
        while let Some(&at) = shared.looks.get(next_look)
            && at < day
        {
            if at >= first {
                look(next_look, &standing(&state, day_state.stage, summary_day));
            }
            next_look += 1;
        }
        // Runs advance on every school day, on roll or not: a day with no possible session
        // neither extends nor breaks them.
        for (r, spec) in plan.runs.iter().enumerate() {
            let am = marks.get((day - first) * 2).copied().unwrap_or(u8::MAX);
            let pm = marks.get((day - first) * 2 + 1).copied().unwrap_or(u8::MAX);
            extended[r] = false;
            let Some(extends) = spec.extends(am, pm) else {
                continue;
            };
            if extends {
                if day_state.runs[r] == 0 {
                    run_start[r] = day;
                }
                day_state.runs[r] += 1;
                extended[r] = true;
            } else {
                if let Some(t) = trace.as_deref_mut()
                    && day_state.runs[r] > 0
                {
                    let codes = &spec.codes;
                    t.push(TraceEvent {
                        day,
                        rule: format!("consecutive days {codes}"),
                        what: format!("run of {} school days ends", day_state.runs[r]),
                    });
                }
                day_state.runs[r] = 0;
            }
        }
        if !(roll.0..roll.1).contains(&day) {
            continue;
        }
        if day < walk_from {
            summary_day = Some(day);
            continue;
        }
        fill_daily(shared, &prefix, day - first, &mut day_state.values);
        day_state.enter(shared, day, csa);
        if !plan.notices.is_empty() {
            // Notices the run asked for on earlier days, and those from before it.
            let asked = fired
                .iter()
                .filter(|f: &&Fired| f.day < day && plan.notice_rows.get(f.row) == Some(&true))
                .map(|f| days.date(f.day));
            let dates: Vec<NaiveDate> = asked.chain(prior.iter().copied()).collect();
            for (n, years) in plan.notices.iter().enumerate() {
                day_state.notices[n] =
                    super::notices::count(dates.iter().copied(), day_state.date, *years);
            }
        }
        summary_day = Some(day);
        state.step(
            shared,
            index,
            day,
            &mut day_state,
            &run_start,
            &extended,
            &mut fired,
            trace.as_deref_mut(),
        );
        let mut staged = false;
        for (s, band) in state.bands.iter().enumerate() {
            if let Some((_, i)) = band {
                if let Some(h) = held.get_mut(s) {
                    *h |= 1 << (*i).min(63);
                }
                staged |= plan
                    .band_stage
                    .get(s)
                    .and_then(|b| b.get(*i))
                    .is_some_and(Option::is_some);
            }
        }
        if staged || day_state.stage > 0 {
            reached |= 1 << day_state.stage.min(63);
        }
    }
    while let Some(&at) = shared.looks.get(next_look)
        && at <= last
    {
        if at >= first {
            look(next_look, &standing(&state, day_state.stage, summary_day));
        }
        next_look += 1;
    }
    // Summary metrics are only read at the last day evaluated.
    if let Some(day) = summary_day {
        // What the walk would have left of the last day on roll (a quiet pupil, or one
        // whose last day on roll came before `walk_from`, was not walked to it).
        day_state.enter(shared, day, csa);
        for (m, v) in day_state.values.iter_mut().enumerate() {
            *v = metric_at(shared, &prefix, m, day);
        }
    }
    let values = &day_state.values;
    let [possible, present, authorised, unauthorised] =
        plan.summary.map(|m| values.get(m).copied().unwrap_or(0));
    // The measures are read at the last day with data, in the academic year that holds it.
    let holds_any = |rules: &[Rule]| rules.iter().any(|r| holds(plan, r, &day_state));
    let summary = PupilSummary {
        possible,
        present,
        authorised,
        unauthorised,
        bands: state
            .bands
            .iter()
            .map(|b| b.map(|rule| u32::try_from(plan.band_sets_row(rule)).unwrap_or(u32::MAX)))
            .collect(),
        stage: day_state.stage,
        reached,
        held,
        persistent: summary_day.is_some() && holds_any(&plan.persistent),
        severe: summary_day.is_some() && holds_any(&plan.severe),
    };
    scratch.walk = Walk {
        state,
        values: day_state.values,
        runs: day_state.runs,
        notices: day_state.notices,
        run_start,
        extended,
    };
    (fired, summary)
}

impl Plan {
    /// The table row of a band held, given as (set, index in set).
    fn band_sets_row(&self, (set, i): (usize, usize)) -> usize {
        self.band_sets
            .get(set)
            .and_then(|s| s.get(i))
            .map_or(0, |r| r.row)
    }
}

/// Metric `m` on `day`, from the prefix sums.
fn metric_at(shared: &Shared<'_>, prefix: &Prefix<'_>, m: usize, day: usize) -> u32 {
    let plan = shared.plan;
    let first = shared.span.0;
    let Some(&(counter, _)) = plan.metrics.get(m) else {
        return 0;
    };
    let start = shared.start(plan.metric_window[m], day);
    if start > day {
        0
    } else {
        prefix.between(counter, start - first, day + 1 - first)
    }
}

/// Sets each metric the rules read every day on span day `i` (an offset into the span), from
/// the prefix sums.
fn fill_daily(shared: &Shared<'_>, prefix: &Prefix<'_>, i: usize, values: &mut [u32]) {
    let at = |day: usize, g: usize| prefix.sums.get(day * prefix.groups + g).copied();
    for daily in &shared.daily {
        let from = daily.from.get(i).copied().unwrap_or(EMPTY);
        let value = if from == EMPTY {
            0
        } else {
            let (to, from) = (at(i + 1, daily.group), at(from as usize, daily.group));
            // Lane by lane the later sum is the larger, so no lane borrows from the next.
            let window = to.unwrap_or(0).wrapping_sub(from.unwrap_or(0));
            (window >> daily.shift) as u32
        };
        if let Some(v) = values.get_mut(daily.metric) {
            *v = value;
        }
    }
}

/// The school days a pupil is on roll within the span, as `from..to`.
pub fn roll(days: &SchoolDays, pupil: &Pupil, span: (usize, usize)) -> (usize, usize) {
    let from = pupil
        .admission
        .map_or(0, |d| days.index_on_or_after(d))
        .max(span.0);
    let to = pupil
        .leaving
        .and_then(|d| d.succ_opt())
        .map_or(days.len(), |d| days.index_on_or_after(d))
        .min(span.1 + 1);
    (from, to.max(from))
}

#[cfg(test)]
mod tests {
    use super::Prefix;

    /// Four 32-bit lanes to a `u128`, lane 0 lowest.
    fn pack(lanes: [u32; 4]) -> u128 {
        lanes
            .iter()
            .enumerate()
            .fold(0, |p, (i, l)| p | u128::from(*l) << (32 * i))
    }

    #[test]
    fn packed_prefix_sums_read_each_counter_alone() {
        // Five counters in two groups over three days. Counter 0 sessions per day: 2, 0, 1
        // (prefix 0, 2, 2, 3); counter 1: 0, 2, 2 (prefix 0, 0, 2, 4); counter 4 (group 1,
        // lane 0): 1, 1, 0 (prefix 0, 1, 2, 2); counters 2 and 3 never count.
        let rows = [
            ([0, 0, 0, 0], 0),
            ([2, 0, 0, 0], 1),
            ([2, 2, 0, 0], 2),
            ([3, 4, 0, 0], 2),
        ];
        let sums: Vec<u128> = rows
            .iter()
            .flat_map(|(g0, c4)| [pack(*g0), pack([*c4, 0, 0, 0])])
            .collect();
        let prefix = Prefix {
            sums: &sums,
            groups: 2,
        };
        // Days 1..3 (the second and third): counter 0 is 3 - 2 = 1, counter 1 is 4 - 0 = 4;
        // lane 0 of the difference is 1 although lane 1 rose by more: no lane borrows.
        assert_eq!(prefix.between(0, 1, 3), 1);
        assert_eq!(prefix.between(1, 1, 3), 4);
        // Day 1 alone: counter 0 is 2 - 2 = 0, counter 1 is 2 - 0 = 2.
        assert_eq!(prefix.between(0, 1, 2), 0);
        assert_eq!(prefix.between(1, 1, 2), 2);
        assert_eq!(prefix.between(2, 0, 3), 0);
        assert_eq!(prefix.between(4, 0, 3), 2);
        assert_eq!(prefix.between(4, 2, 3), 0);
    }
}
