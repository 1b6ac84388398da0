//! Disruption budget arithmetic, mirroring Karpenter's `pkg/apis/v1/nodepool.go`
//! (`GetAllowedDisruptionsByReason`, `Budget.GetAllowedDisruptions`, `Budget.IsActive`) over a whole
//! horizon at once: each budget becomes a [`SpanSet`] of activity, and the horizon is cut into
//! [`Segment`]s during which the same budgets are active.

use crate::calendar::spans::{Minute, Span, SpanSet};
use crate::karpenter::cron::{CronError, Schedule};
use crate::karpenter::duration::budget_duration_minutes;
use crate::karpenter::nodepool::{Budget, Reason, Reasons};
use crate::kube::int_or_percent::IntOrPercent;

/// One budget over the horizon.
#[derive(Clone, Debug)]
pub struct BudgetActivity {
    /// Position in `spec.disruption.budgets`.
    pub index: usize,
    pub nodes: IntOrPercent,
    pub reasons: Reasons,
    pub active: SpanSet,
}

/// A stretch of time with one set of active budgets (bit i = `activities[i]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    pub span: Span,
    pub active: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TimelineError {
    /// The budget list breaks the CRD (bad `nodes`/`duration`, schedule without duration, > 50 items):
    /// the API server refuses it, so there is no timeline to speak of.
    Invalid,
    /// Schedules robfig/cron cannot parse: Karpenter then allows 0 disruptions for every reason, forever
    /// (`MustGetAllowedDisruptions` returns 0 on any budget error).
    Unparsable(Vec<(usize, String, CronError)>),
    /// The schedules would open more than [`MAX_WINDOWS`] windows over the horizon (this many, at most):
    /// more than an admission can judge in time.
    TooLarge(u64),
}

/// The most activity windows a timeline is built from. Budget lists of people (a freeze a day, a few
/// maintenance windows) open hundreds a year; 50 budgets of one-minute windows all day open millions.
pub const MAX_WINDOWS: u64 = 50_000;

/// The most budgets the CRD admits; also keeps the active set in one `u64`.
pub const MAX_BUDGETS: usize = 50;

#[derive(Clone, Debug)]
pub struct Timeline {
    pub horizon: Span,
    pub activities: Vec<BudgetActivity>,
    pub segments: Vec<Segment>,
}

impl Timeline {
    pub fn build(budgets: &[Budget], horizon: Span) -> Result<Timeline, TimelineError> {
        if budgets.len() > MAX_BUDGETS {
            return Err(TimelineError::Invalid);
        }
        // Parsed and counted first: windows are made only for a list that is valid and small enough.
        let mut parsed = Vec::with_capacity(budgets.len());
        let mut unparsable = Vec::new();
        let mut windows = 0u64;
        for (index, budget) in budgets.iter().enumerate() {
            let nodes = budget.nodes().ok_or(TimelineError::Invalid)?;
            let schedule = match (&budget.schedule, &budget.duration) {
                (None, None) => None,
                (Some(schedule), Some(duration)) => {
                    let minutes =
                        budget_duration_minutes(duration).ok_or(TimelineError::Invalid)?;
                    match Schedule::parse(schedule) {
                        Ok(s) => {
                            windows = windows.saturating_add(s.windows_at_most(
                                horizon.start,
                                horizon.end,
                                minutes,
                            ));
                            Some((s, minutes))
                        }
                        Err(e) => {
                            unparsable.push((index, schedule.clone(), e));
                            None
                        }
                    }
                }
                _ => return Err(TimelineError::Invalid),
            };
            parsed.push((index, nodes, budget.reasons(), schedule));
        }
        if !unparsable.is_empty() {
            return Err(TimelineError::Unparsable(unparsable));
        }
        if windows > MAX_WINDOWS {
            return Err(TimelineError::TooLarge(windows));
        }
        let activities: Vec<BudgetActivity> = parsed
            .into_iter()
            .map(|(index, nodes, reasons, schedule)| BudgetActivity {
                index,
                nodes,
                reasons,
                // Every schedule parsed (an unparsable list returned above): None is a permanent budget.
                active: match schedule {
                    Some((s, minutes)) => s.activity(horizon.start, horizon.end, minutes),
                    None => SpanSet::from_span(horizon),
                },
            })
            .collect();
        let segments = segments(&activities, horizon);
        Ok(Timeline {
            horizon,
            activities,
            segments,
        })
    }

    /// Allowed concurrent disruptions for `reason` in a pool of `nodes` nodes while the budgets in
    /// `active` are active: the minimum over the active budgets that apply to the reason, or `None`
    /// (unbounded, Karpenter's `math.MaxInt32`) when none applies.
    pub fn allowed(&self, active: u64, reason: Reason, nodes: u64) -> Option<u64> {
        self.binding_budget(active, reason, nodes).map(|(_, v)| v)
    }

    /// The budget that sets [`Self::allowed`] (first on ties) and its value.
    pub fn binding_budget(&self, active: u64, reason: Reason, nodes: u64) -> Option<(usize, u64)> {
        self.binding_among(self.applying(active, reason), nodes)
    }

    /// The budgets in `active` that apply to `reason`, as activity bits.
    pub fn applying(&self, active: u64, reason: Reason) -> u64 {
        self.activities
            .iter()
            .enumerate()
            .filter(|(i, b)| active & (1 << i) != 0 && b.reasons.contains(reason))
            .fold(0u64, |m, (i, _)| m | (1 << i))
    }

    /// The binding budget among `budgets` (activity bits) and its value in a pool of `nodes` nodes.
    pub fn binding_among(&self, budgets: u64, nodes: u64) -> Option<(usize, u64)> {
        self.activities
            .iter()
            .enumerate()
            .filter(|(i, _)| budgets & (1 << i) != 0)
            .map(|(_, b)| (b.index, b.nodes.resolve(nodes)))
            .min_by_key(|(_, v)| *v)
    }

    /// [`Self::binding_among`] prepared for many pool sizes (see [`Binding`]).
    pub fn binding(&self, budgets: u64) -> Binding {
        let mut binding = Binding::default();
        let chosen = self
            .activities
            .iter()
            .enumerate()
            .filter(|(i, _)| budgets & (1 << i) != 0);
        for (position, b) in chosen {
            match b.nodes {
                IntOrPercent::Count(c) => {
                    if binding.count.is_none_or(|(_, _, v)| c < v) {
                        binding.count = Some((position, b.index, c));
                    }
                }
                IntOrPercent::Percent(p) => binding.percents.push((p, position, b.index)),
            }
        }
        binding.percents.sort_unstable();
        binding
    }

    /// When `reason` is frozen (0 allowed) whatever the pool size: some active budget that applies to it
    /// is `"0"` or `"0%"`.
    pub fn frozen(&self, reason: Reason) -> SpanSet {
        self.frozen_by(self.zero_budgets(reason))
    }

    /// The zero-node budgets that apply to `reason`, as a set of activity bits.
    pub fn zero_budgets(&self, reason: Reason) -> u64 {
        self.activities
            .iter()
            .enumerate()
            .filter(|(_, b)| b.nodes.is_zero() && b.reasons.contains(reason))
            .fold(0u64, |m, (i, _)| m | (1 << i))
    }

    /// When any of the budgets in `zero_budgets` is active.
    pub fn frozen_by(&self, zero_budgets: u64) -> SpanSet {
        let mut frozen = SpanSet::with_capacity(self.segments.len() / 2 + 1);
        for seg in self
            .segments
            .iter()
            .filter(|s| s.active & zero_budgets != 0)
        {
            frozen.push(seg.span.start, seg.span.end);
        }
        frozen
    }
}

/// Whether the budgets' activity repeats every week: every schedule parses and [repeats
/// weekly](Schedule::repeats_weekly). Then any two weeks show every set of active budgets the year has.
pub fn repeat_weekly(budgets: &[Budget]) -> bool {
    budgets.iter().all(|b| {
        b.schedule
            .as_deref()
            .is_none_or(|s| Schedule::parse(s).is_ok_and(|p| p.repeats_weekly()))
    })
}

/// The binding budget among a set at any pool size without going through the set each time: the smallest
/// count binds whatever the size, and among percentages the smallest (rounding up keeps their order),
/// along with those that round to the same value. Ties go to the budget listed first, as in
/// [`Timeline::binding_among`].
#[derive(Clone, Debug, Default)]
pub struct Binding {
    /// (activity position, budget index, count) of the smallest count, first listed.
    count: Option<(usize, usize, u64)>,
    /// (percentage, activity position, budget index), ascending.
    percents: Vec<(u64, usize, usize)>,
}

impl Binding {
    /// The binding budget's index and value in a pool of `nodes` nodes; `None` when the set is empty.
    pub fn at(&self, nodes: u64) -> Option<(usize, u64)> {
        let resolve = |p: u64| IntOrPercent::Percent(p).resolve(nodes);
        let percent = self.percents.first().map(|&(smallest, ..)| {
            let value = resolve(smallest);
            let (_, position, index) = self
                .percents
                .iter()
                .take_while(|(p, ..)| resolve(*p) == value)
                .min_by_key(|(_, position, _)| *position)
                .copied()
                .unwrap_or_default();
            (position, index, value)
        });
        let first = match (self.count, percent) {
            (Some(c), Some(p)) => Some(if (c.2, c.0) <= (p.2, p.0) { c } else { p }),
            (c, p) => c.or(p),
        };
        first.map(|(_, i, v)| (i, v))
    }
}

/// Cuts the horizon where any budget starts or stops being active (an event sweep); adjacent pieces with
/// the same active set are merged.
fn segments(activities: &[BudgetActivity], horizon: Span) -> Vec<Segment> {
    // (time, budget bit, starts) for every activity span; spans are already within the horizon.
    let spans: usize = activities.iter().map(|a| a.active.spans().len()).sum();
    let mut events: Vec<(Minute, u64, bool)> = Vec::with_capacity(2 * spans);
    for (i, a) in activities.iter().enumerate() {
        for s in a.active.spans() {
            events.push((s.start, 1 << i, true));
            events.push((s.end, 1 << i, false));
        }
    }
    // One sorted run per budget: the stable sort merges runs in near-linear time.
    events.sort_by_key(|e| e.0);
    let mut out: Vec<Segment> = Vec::with_capacity(events.len() + 1);
    let mut push = |start: Minute, end: Minute, active: u64| match out.last_mut() {
        Some(last) if last.active == active && last.span.end == start => last.span.end = end,
        _ if start < end => out.push(Segment {
            span: Span::new(start, end),
            active,
        }),
        _ => {}
    };
    let (mut active, mut at) = (0u64, horizon.start);
    let mut i = 0;
    while i < events.len() {
        let time = events[i].0;
        push(at, time, active);
        at = at.max(time);
        while i < events.len() && events[i].0 == time {
            let (_, bit, starts) = events[i];
            active = if starts { active | bit } else { active & !bit };
            i += 1;
        }
    }
    push(at, horizon.end, active);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::spans::MINUTES_PER_DAY;

    use crate::testkit::MONDAY;
    const WEEK: Span = Span {
        start: MONDAY,
        end: MONDAY + 7 * MINUTES_PER_DAY,
    };

    fn budget(nodes: &str, schedule: Option<(&str, &str)>, reasons: Option<&[&str]>) -> Budget {
        Budget {
            nodes: Some(nodes.into()),
            schedule: schedule.map(|s| s.0.into()),
            duration: schedule.map(|s| s.1.into()),
            reasons: reasons.map(|r| r.iter().map(|s| s.to_string()).collect()),
        }
    }

    #[test]
    fn binding_agrees_with_binding_among_at_every_size() {
        let values = ["0", "1", "2", "7", "0%", "5%", "10%", "33%", "50%", "100%"];
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        for _ in 0..300 {
            let budgets: Vec<Budget> = (0..1 + next(8))
                .map(|_| budget(values[next(values.len() as u64) as usize], None, None))
                .collect();
            let t = Timeline::build(&budgets, WEEK).unwrap();
            let mask = next(1 << budgets.len());
            let binding = t.binding(mask);
            for n in 0..=150 {
                assert_eq!(
                    binding.at(n),
                    t.binding_among(mask, n),
                    "{budgets:?} {mask:b} at {n}"
                );
            }
        }
    }

    fn allowed_at(t: &Timeline, minute: Minute, reason: Reason, nodes: u64) -> Option<u64> {
        let seg = t
            .segments
            .iter()
            .find(|s| s.span.start <= minute && minute < s.span.end)
            .unwrap();
        t.allowed(seg.active, reason, nodes)
    }

    #[test]
    fn the_minimum_of_active_budgets_wins() {
        let t =
            Timeline::build(&[budget("20%", None, None), budget("5", None, None)], WEEK).unwrap();
        assert_eq!(allowed_at(&t, MONDAY, Reason::Empty, 19), Some(4));
        assert_eq!(allowed_at(&t, MONDAY, Reason::Empty, 30), Some(5));
    }

    #[test]
    fn a_lone_freeze_leaves_the_other_hours_unbounded() {
        let t = Timeline::build(&[budget("0", Some(("0 9 * * 1-5", "9h")), None)], WEEK).unwrap();
        assert_eq!(
            allowed_at(&t, MONDAY + 10 * 60, Reason::Underutilized, 30),
            Some(0)
        );
        assert_eq!(
            allowed_at(&t, MONDAY + 20 * 60, Reason::Underutilized, 30),
            None
        );
        assert_eq!(t.frozen(Reason::Drifted).total(), 5 * 9 * 60);
    }

    #[test]
    fn reasons_restrict_which_budgets_apply() {
        let budgets = [
            budget("10%", None, None),
            budget("0", Some(("0 9 * * 1-5", "9h")), Some(&["Drifted"])),
            budget("0", None, Some(&[])),
        ];
        let t = Timeline::build(&budgets, WEEK).unwrap();
        let ten_am = MONDAY + 10 * 60;
        assert_eq!(allowed_at(&t, ten_am, Reason::Drifted, 30), Some(0));
        assert_eq!(
            allowed_at(&t, ten_am, Reason::Empty, 30),
            Some(3),
            "reasons: [] applies to nothing"
        );
        assert!(t.frozen(Reason::Empty).is_empty());
        assert_eq!(
            t.binding_budget(t.segments[1].active, Reason::Drifted, 30),
            Some((1, 0))
        );
    }

    #[test]
    fn no_budgets_means_unbounded_and_bad_schedules_are_reported() {
        let t = Timeline::build(&[], WEEK).unwrap();
        assert_eq!(allowed_at(&t, MONDAY, Reason::Empty, 10), None);
        let err = Timeline::build(
            &[
                budget("10%", None, None),
                budget("0", Some(("0 0 * * sat-sun", "48h")), Some(&["Drifted"])),
            ],
            WEEK,
        )
        .unwrap_err();
        match err {
            TimelineError::Unparsable(list) => assert_eq!(list[0].0, 1),
            other => panic!("{other:?}"),
        }
        let invalid = Timeline::build(&[budget("101%", None, None)], WEEK).unwrap_err();
        assert_eq!(invalid, TimelineError::Invalid);
        let half = Budget {
            schedule: Some("@daily".into()),
            ..budget("0", None, None)
        };
        assert_eq!(
            Timeline::build(&[half], WEEK).unwrap_err(),
            TimelineError::Invalid
        );
    }

    #[test]
    fn segments_match_per_minute_evaluation() {
        let budgets = [
            budget("10%", None, None),
            budget("0", Some(("0 0 * * 1-5", "9h")), None),
            budget("2", Some(("*/30 * * * *", "10m")), Some(&["Empty"])),
            budget(
                "50%",
                Some(("0 22 * * 0,6", "3h")),
                Some(&["Drifted", "Underutilized"]),
            ),
        ];
        let t = Timeline::build(&budgets, WEEK).unwrap();
        for minute in (WEEK.start..WEEK.end).step_by(13) {
            for reason in Reason::ALL {
                let expected = t
                    .activities
                    .iter()
                    .filter(|a| a.active.contains(minute) && a.reasons.contains(reason))
                    .map(|a| a.nodes.resolve(40))
                    .min();
                assert_eq!(
                    allowed_at(&t, minute, reason, 40),
                    expected,
                    "{reason:?} at {minute}"
                );
            }
        }
    }
}
