//! Business hours in a local time zone, turned into UTC spans, and the UTC budgets that freeze them.
//!
//! Karpenter schedules are always UTC (`Budget.IsActive` parses `"TZ=UTC " + schedule`), so a local
//! 09:00-18:00 moves in UTC twice a year where daylight saving applies, and may start on the previous
//! UTC day (Australia/Sydney) or end on the next (America/Los_Angeles).

use chrono::{DateTime, Offset as _, TimeZone as _};

use crate::calendar::civil::weekday;
use crate::calendar::spans::{MINUTES_PER_DAY, MINUTES_PER_WEEK, Minute, Span, SpanSet};
use crate::calendar::weekly::LocalWindow;
use crate::calendar::zone::Zone;
use crate::karpenter::budget::Timeline;
use crate::karpenter::duration::format_budget_duration;
use crate::karpenter::nodepool::{Reason, Reasons};

/// The freeze windows that overlap `horizon`, as UTC spans in order (not clipped, so that a window
/// already under way keeps its true start).
pub fn utc_windows(zone: Zone, windows: &[LocalWindow], horizon: Span) -> Vec<Span> {
    expand(&utc_window_runs(zone, windows, horizon))
}

/// Business windows that recur weekly: `first`, then one every week after it, `count` in all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WindowRun {
    pub first: Span,
    pub count: Minute,
}

impl WindowRun {
    /// The `k`-th window of the run (from 0).
    pub fn window(&self, k: Minute) -> Span {
        let shift = k * MINUTES_PER_WEEK;
        Span::new(self.first.start + shift, self.first.end + shift)
    }
}

/// The windows of `runs`, in order.
pub fn expand(runs: &[WindowRun]) -> Vec<Span> {
    let mut out = Vec::with_capacity(runs.iter().map(|r| r.count.max(0) as usize).sum());
    in_time_order(runs, |i, k| out.push(runs[i].window(k)));
    out
}

/// Calls `visit(i, k)` for the `k`-th window of `runs[i]`, all the windows in the order they start.
fn in_time_order(runs: &[WindowRun], mut visit: impl FnMut(usize, Minute)) {
    let Some(origin) = runs.iter().map(|r| r.first.start).min() else {
        return;
    };
    // A run's `k`-th window starts in week `first week + k` at the run's minute of the week: the runs in
    // order of that minute, week after week, give every window in order.
    let weeks: Vec<(Minute, Minute)> = runs
        .iter()
        .map(|r| {
            let since = r.first.start - origin;
            (
                since.div_euclid(MINUTES_PER_WEEK),
                since.rem_euclid(MINUTES_PER_WEEK),
            )
        })
        .collect();
    let mut order: Vec<usize> = (0..runs.len()).collect();
    order.sort_unstable_by_key(|&i| weeks[i].1);
    let last = (0..runs.len())
        .map(|i| weeks[i].0 + runs[i].count - 1)
        .max();
    for week in 0..=last.unwrap_or(-1) {
        for &i in &order {
            let k = week - weeks[i].0;
            if (0..runs[i].count).contains(&k) {
                visit(i, k);
            }
        }
    }
}

/// [`utc_windows`] as weekly runs. Between two clock changes a local time has one UTC reading, so each
/// weekday's windows there are exactly a week apart: a year of them is a few runs per offset period, and
/// only the days near a change (or the horizon's edges) are resolved one by one.
pub fn utc_window_runs(zone: Zone, windows: &[LocalWindow], horizon: Span) -> Vec<WindowRun> {
    let Some(longest) = windows.iter().map(|w| w.length).max() else {
        return Vec::new();
    };
    // Windows start up to a day before their local date and end up to `longest` and a day after it.
    let reach = longest + 3 * MINUTES_PER_DAY;
    let periods = offset_periods(zone, horizon.start - reach, horizon.end + reach);
    let mut runs = Vec::new();
    for window in windows {
        push_runs(&periods, window, horizon, &mut runs);
    }
    // Keep the windows that overlap the horizon: at most the first and last of a run fall outside.
    runs.retain_mut(|run| {
        while run.count > 0 && run.first.end <= horizon.start {
            run.first = run.window(1);
            run.count -= 1;
        }
        while run.count > 0 && run.window(run.count - 1).start >= horizon.end {
            run.count -= 1;
        }
        run.count > 0
    });
    runs
}

/// The runs of one local window whose local dates reach into `horizon`.
fn push_runs(
    periods: &[(Minute, Minute)],
    window: &LocalWindow,
    horizon: Span,
    runs: &mut Vec<WindowRun>,
) {
    let local_day = |utc: Minute| (utc + offset_at(periods, utc)).div_euclid(MINUTES_PER_DAY);
    let (start, length) = (window.start, window.length);
    // Two days inside a period, no other period's offset (all within 26 hours of each other) can also
    // read a local time: the period's reading is the only one, as `to_utc` would find.
    const MARGIN: Minute = 2 * MINUTES_PER_DAY;
    // The period the last local time looked up fell in. Starts come in order, but a window's end can lie
    // days past the next start: step back first, then forward (each loop only one way, so a time in a
    // skipped hour cannot bounce between two periods).
    let mut period = 0;
    let mut advance = |local: Minute| {
        while period > 0 && local - periods[period].1 < periods[period].0 {
            period -= 1;
        }
        while period + 1 < periods.len() && local - periods[period].1 >= periods[period + 1].0 {
            period += 1;
        }
        let (from, offset) = periods[period];
        let until = periods.get(period + 1).map_or(Minute::MAX, |p| p.0);
        (from, offset, until)
    };
    // A window that starts `length` (and a day for the offset) before the horizon can still reach it.
    let first_day = local_day(horizon.start) - 1 - length.div_euclid(MINUTES_PER_DAY);
    let last_day = local_day(horizon.end);
    let mut day = first_day;
    while day <= last_day {
        let local_start = day * MINUTES_PER_DAY + start;
        let (from, offset, until) = advance(local_start);
        let inside = local_start - offset - MARGIN >= from
            && (local_start + length - offset).saturating_add(MARGIN) < until;
        if inside {
            // The days whose windows all lie as far inside this period, then one run per listed weekday.
            let last_inside = if until == Minute::MAX {
                last_day
            } else {
                (until - MARGIN - 1 + offset - start - length).div_euclid(MINUTES_PER_DAY)
            }
            .min(last_day);
            for first in day..(day + 7).min(last_inside + 1) {
                if window.days & (1 << weekday(first)) != 0 {
                    let utc = first * MINUTES_PER_DAY + start - offset;
                    runs.push(WindowRun {
                        first: Span::new(utc, utc + length),
                        count: (last_inside - first) / 7 + 1,
                    });
                }
            }
            day = last_inside + 1;
            continue;
        }
        if window.days & (1 << weekday(day)) != 0 {
            let mut resolve = |local: Minute, pick: Pick| {
                let (from, offset, until) = advance(local);
                let reading = local - offset;
                if reading - MARGIN >= from && reading.saturating_add(MARGIN) < until {
                    reading
                } else {
                    to_utc(periods, local, pick)
                }
            };
            let window = Span::new(
                resolve(local_start, Pick::Earliest),
                resolve(local_start + length, Pick::Latest),
            );
            runs.push(WindowRun {
                first: window,
                count: 1,
            });
        }
        day += 1;
    }
}

/// The zone's UTC offset (minutes east) at a UTC minute.
fn zone_offset(tz: Zone, utc: Minute) -> Minute {
    DateTime::from_timestamp(utc.saturating_mul(60), 0).map_or(0, |t| {
        Minute::from(
            tz.offset_from_utc_datetime(&t.naive_utc())
                .fix()
                .local_minus_utc(),
        )
        .div_euclid(60)
    })
}

/// The zone's offsets over `[from, to)` as (UTC minute it takes effect, offset): one lookup a week, and a
/// bisection to the minute where it changed, so a year costs about 80 lookups instead of two per day.
/// No zone changes its offset twice within a week (checked for every zone by a test).
fn offset_periods(tz: Zone, from: Minute, to: Minute) -> Vec<(Minute, Minute)> {
    let mut periods = vec![(from, zone_offset(tz, from))];
    let mut at = from;
    while at < to {
        let next = (at + MINUTES_PER_WEEK).min(to);
        let offset = zone_offset(tz, next);
        if let Some(&(_, current)) = periods.last()
            && offset != current
        {
            // The change lies in (at, next]: find its first minute.
            let (mut before, mut after) = (at, next);
            while after - before > 1 {
                let mid = before + (after - before) / 2;
                if zone_offset(tz, mid) == current {
                    before = mid;
                } else {
                    after = mid;
                }
            }
            periods.push((after, offset));
        }
        at = next;
    }
    periods
}

fn offset_at(periods: &[(Minute, Minute)], utc: Minute) -> Minute {
    let i = periods.partition_point(|p| p.0 <= utc);
    periods[i.saturating_sub(1)].1
}

#[derive(Clone, Copy)]
enum Pick {
    Earliest,
    Latest,
}

/// Local wall time (minutes since the local epoch) to UTC. In a repeated hour (autumn) a window takes the
/// wider reading; in a skipped hour (spring) the wall time first reached after the gap, which is the
/// instant of the change.
fn to_utc(periods: &[(Minute, Minute)], local: Minute, pick: Pick) -> Minute {
    let mut readings = periods
        .iter()
        .enumerate()
        .filter_map(|(i, &(from, offset))| {
            let utc = local - offset;
            let until = periods.get(i + 1).map_or(Minute::MAX, |p| p.0);
            (utc >= from && utc < until).then_some(utc)
        });
    let first = readings.next();
    let reading = match pick {
        Pick::Earliest => first,
        Pick::Latest => readings.next_back().or(first),
    };
    reading.unwrap_or_else(|| {
        // In a gap: the change that both offsets put `local` on the wrong side of.
        periods
            .windows(2)
            .find(|p| local - p[0].1 >= p[1].0 && local - p[1].1 < p[1].0)
            .map_or(local - periods[0].1, |p| p[1].0)
    })
}

/// A budget to paste under `spec.disruption.budgets`: `nodes: "0"` while `schedule` + `duration` run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FreezeBudget {
    pub schedule: String,
    pub duration: String,
    /// `None` = every reason (the field is left out).
    pub reasons: Option<Reasons>,
}

impl FreezeBudget {
    pub fn to_json(&self) -> serde_json::Value {
        let mut budget = serde_json::json!({
            "nodes": "0",
            "schedule": self.schedule,
            "duration": self.duration,
        });
        if let Some(reasons) = self.reasons {
            budget["reasons"] = reasons.iter().map(|r| r.name()).collect();
        }
        budget
    }

    /// A YAML list item, indented by `indent` spaces.
    pub fn to_yaml(&self, indent: usize) -> String {
        let pad = " ".repeat(indent);
        let mut out = format!(
            "{pad}- nodes: \"0\"\n{pad}  schedule: \"{}\"\n{pad}  duration: {}",
            self.schedule, self.duration
        );
        if let Some(reasons) = self.reasons {
            out.push_str(&format!("\n{pad}  reasons: [{}]", reasons.names()));
        }
        out
    }
}

/// The fewest UTC budgets that cover every window: one per UTC start time and length (in practice one
/// per UTC offset of the zone and local window), firing on the UTC weekdays the windows start on. A
/// window that straddles a clock change is an hour longer or shorter than its neighbours; its budget is
/// left out when the others already freeze all of it (the two offsets' budgets usually do).
pub fn freeze_budgets(windows: &[Span], reasons: Option<Reasons>) -> Vec<FreezeBudget> {
    // (minute of the UTC day, length, weekday bits with Sunday = bit 0)
    let mut groups: Vec<(Minute, Minute, u8)> = Vec::new();
    for w in windows {
        let start_of_day = w.start.rem_euclid(MINUTES_PER_DAY);
        let weekday = weekday(w.start.div_euclid(MINUTES_PER_DAY)) as u8;
        match groups
            .iter_mut()
            .find(|g| g.0 == start_of_day && g.1 == w.len())
        {
            Some(g) => g.2 |= 1 << weekday,
            None => groups.push((start_of_day, w.len(), 1 << weekday)),
        }
    }
    // The budgets that freeze least go first, so that the wider ones are the ones kept.
    groups
        .sort_unstable_by_key(|&(start, len, days)| (len * Minute::from(days.count_ones()), start));
    let weeks: Vec<SpanSet> = groups.iter().map(|&g| week_of(g)).collect();
    let mut kept = vec![true; groups.len()];
    for i in 0..groups.len() {
        let mut others = SpanSet::new();
        for j in (0..groups.len()).filter(|&j| j != i && kept[j]) {
            others = others.union(&weeks[j]);
        }
        kept[i] = !weeks[i].subtract(&others).is_empty();
    }
    let mut budgets: Vec<(Minute, Minute, u8)> = groups
        .into_iter()
        .zip(kept)
        .filter_map(|(g, kept)| kept.then_some(g))
        .collect();
    budgets.sort_unstable();
    budgets
        .into_iter()
        .map(|(start, len, days)| FreezeBudget {
            schedule: format!("{} {} * * {}", start % 60, start / 60, weekday_list(days)),
            duration: format_budget_duration(len),
            reasons,
        })
        .collect()
}

/// What a weekly budget (UTC start of day, length, weekday bits) freezes, as minutes of one reference
/// week (the second since the epoch's first Sunday): its own fires there and the previous week's that
/// run into it.
fn week_of((start, len, days): (Minute, Minute, u8)) -> SpanSet {
    // 1970-01-04 was a Sunday.
    const SUNDAY: Minute = 3 * MINUTES_PER_DAY;
    let week = Span::new(SUNDAY + MINUTES_PER_WEEK, SUNDAY + 2 * MINUTES_PER_WEEK);
    let mut fires: Vec<Span> = (0..14)
        .filter(|d| days & (1 << (d % 7)) != 0)
        .map(|d| {
            let at = SUNDAY + d * MINUTES_PER_DAY + start;
            Span::new(at.max(week.start), (at + len).min(week.end))
        })
        .collect();
    fires.sort_unstable_by_key(|s| s.start);
    let mut set = SpanSet::with_capacity(fires.len());
    for f in fires {
        set.push(f.start, f.end);
    }
    set
}

/// Weekday bits as robfig ranges and lists, Sunday = 0, never wrapping (`sat-sun` is a parse error):
/// `1-5`, `0-4`, `0,6`.
fn weekday_list(bits: u8) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut d = 0;
    while d < 7 {
        if bits & (1 << d) == 0 {
            d += 1;
            continue;
        }
        let start = d;
        while d + 1 < 7 && bits & (1 << (d + 1)) != 0 {
            d += 1;
        }
        parts.push(match d - start {
            0 => format!("{start}"),
            1 => format!("{start},{d}"),
            _ => format!("{start}-{d}"),
        });
        d += 1;
    }
    parts.join(",")
}

/// Business minutes that some reason to freeze can still be disrupted in, with the budgets that close them.
#[derive(Clone, Debug)]
pub struct FreezeGap {
    /// The reasons not frozen for every business minute.
    pub reasons: Reasons,
    /// Business minutes (UTC, within the horizon) where at least one of them is not frozen.
    pub unfrozen: SpanSet,
    /// How many business windows those minutes belong to.
    pub windows: usize,
    /// The UTC budgets that freeze those windows for every reason to freeze.
    pub budgets: Vec<FreezeBudget>,
}

/// Compares the business hours with the time each reason in `freeze` is frozen (0 allowed at any pool
/// size) on `timeline`; `None` when every business minute is frozen for every one of them.
pub fn freeze_gap(windows: &[Span], freeze: &[Reason], timeline: &Timeline) -> Option<FreezeGap> {
    let horizon = timeline.horizon;
    let mut business = SpanSet::with_capacity(windows.len());
    for w in windows {
        business.push(w.start, w.end);
    }
    let business = business.clip(horizon.start, horizon.end);
    let mut reasons = Reasons::default();
    let mut unfrozen = SpanSet::new();
    // Reasons frozen by the same budgets share one gap.
    let mut gaps: Vec<(u64, SpanSet)> = Vec::new();
    for &reason in freeze {
        let zero_budgets = timeline.zero_budgets(reason);
        let gap = match gaps.iter().find(|g| g.0 == zero_budgets) {
            Some((_, gap)) => gap,
            None => {
                let gap = business.subtract(&timeline.frozen_by(zero_budgets));
                if !gap.is_empty() {
                    unfrozen = unfrozen.union(&gap);
                }
                gaps.push((zero_budgets, gap));
                &gaps[gaps.len() - 1].1
            }
        };
        if !gap.is_empty() {
            reasons.insert(reason);
        }
    }
    if reasons.is_empty() {
        return None;
    }
    let windows: Vec<Span> = windows
        .iter()
        .filter(|w| unfrozen.overlaps(**w))
        .copied()
        .collect();
    Some(gap(reasons, unfrozen, windows.len(), &windows, freeze))
}

/// [`freeze_gap`] over `horizon` for budgets that [repeat weekly](crate::karpenter::budget::repeat_weekly), from their
/// timeline over the horizon's first two weeks (`fortnight`) and the business windows as weekly runs
/// ([`utc_window_runs`]): a window (at most about a day long) is judged by its copy there, one week apart,
/// and the windows of a run share one judgement. A fortnight shorter than two weeks leaves late copies
/// unfrozen: the gap errs towards reporting.
pub fn weekly_freeze_gap(
    runs: &[WindowRun],
    freeze: &[Reason],
    fortnight: &Timeline,
    horizon: Span,
) -> Option<FreezeGap> {
    // Reasons frozen by the same zero-node budgets share one frozen set.
    let mut masks: Vec<u64> = freeze.iter().map(|&r| fortnight.zero_budgets(r)).collect();
    masks.sort_unstable();
    masks.dedup();
    let frozen: Vec<SpanSet> = masks.iter().map(|&m| fortnight.frozen_by(m)).collect();
    let mut judge = WeeklyJudge {
        frozen: &frozen,
        fortnight_start: fortnight.horizon.start,
        horizon,
        shapes: Vec::new(),
        blocks: Vec::new(),
        block_shapes: Vec::new(),
        gapped_sets: 0,
        windows: 0,
    };
    for run in runs {
        judge.run(run);
    }
    if judge.gapped_sets == 0 {
        return None;
    }
    let mut reasons = Reasons::default();
    for &reason in freeze {
        let k = masks.partition_point(|&m| m < fortnight.zero_budgets(reason));
        if judge.gapped_sets & (1 << k) != 0 {
            reasons.insert(reason);
        }
    }
    let shapes: Vec<Span> = judge
        .shapes
        .iter()
        .filter(|s| s.gapped_sets != 0)
        .map(|s| s.window)
        .collect();
    Some(gap(
        reasons,
        judge.unfrozen(),
        judge.windows,
        &shapes,
        freeze,
    ))
}

/// A window's shape: its copy in the fortnight (as the horizon clips it), judged once for every window a
/// whole number of weeks away.
struct Shape {
    copy: Span,
    /// A window of this shape, as the business hours give it.
    window: Span,
    /// Bit k: frozen set k leaves part of the window unfrozen.
    gapped_sets: u64,
    /// The unfrozen part of `copy`.
    gap: SpanSet,
}

/// [`weekly_freeze_gap`]'s state: the shapes judged so far, and the windows found with a gap.
struct WeeklyJudge<'a> {
    frozen: &'a [SpanSet],
    fortnight_start: Minute,
    horizon: Span,
    shapes: Vec<Shape>,
    /// Gapped windows a week apart (as the horizon clips them) …
    blocks: Vec<WindowRun>,
    /// … and the shape each block shares.
    block_shapes: Vec<usize>,
    /// Bit k: frozen set k leaves a gap in some window.
    gapped_sets: u64,
    /// How many windows have a gap.
    windows: usize,
}

impl WeeklyJudge<'_> {
    /// Judges a run of windows a week apart. Only its first and last windows can stick out of the horizon:
    /// they are judged alone, the rest as one block.
    fn run(&mut self, run: &WindowRun) {
        let horizon = self.horizon;
        let clipped = |w: Span| w.start < horizon.start || w.end > horizon.end;
        let (mut first, mut last) = (0, run.count - 1);
        if clipped(run.first) {
            self.block(run.first, 1);
            first = 1;
        }
        if last >= first && clipped(run.window(last)) {
            self.block(run.window(last), 1);
            last -= 1;
        }
        if last >= first {
            self.block(run.window(first), last - first + 1);
        }
    }

    /// Judges `times` windows a week apart, the first `w`, which the horizon clips alike.
    fn block(&mut self, w: Span, times: Minute) {
        let (start, end) = (w.start.max(self.horizon.start), w.end.min(self.horizon.end));
        if end <= start {
            return;
        }
        let copy_start =
            self.fortnight_start + (start - self.fortnight_start).rem_euclid(MINUTES_PER_WEEK);
        let i = self.shape(Span::new(copy_start, copy_start + end - start), w);
        let gapped_sets = self.shapes[i].gapped_sets;
        if gapped_sets == 0 {
            return;
        }
        self.gapped_sets |= gapped_sets;
        self.windows += times as usize;
        self.blocks.push(WindowRun {
            first: Span::new(start, end),
            count: times,
        });
        self.block_shapes.push(i);
    }

    /// The index of the shape whose fortnight copy is `copy`, judged against every frozen set when new.
    fn shape(&mut self, copy: Span, window: Span) -> usize {
        if let Some(i) = self.shapes.iter().position(|s| s.copy == copy) {
            return i;
        }
        let whole = SpanSet::from_span(copy);
        let (mut gapped_sets, mut gap) = (0, SpanSet::new());
        for (k, set) in self.frozen.iter().enumerate() {
            let part = whole.subtract(set);
            if !part.is_empty() {
                gapped_sets |= 1 << k;
                gap = gap.union(&part);
            }
        }
        self.shapes.push(Shape {
            copy,
            window,
            gapped_sets,
            gap,
        });
        self.shapes.len() - 1
    }

    /// The gaps of every gapped window, in time order.
    fn unfrozen(&self) -> SpanSet {
        let mut parts: Vec<Span> = Vec::with_capacity(self.windows);
        in_time_order(&self.blocks, |i, k| {
            let shape = &self.shapes[self.block_shapes[i]];
            let shift = self.blocks[i].window(k).start - shape.copy.start;
            let spans = shape.gap.spans().iter();
            parts.extend(spans.map(|s| Span::new(s.start + shift, s.end + shift)));
        });
        // Only windows that overlap across a clock change can put their gaps out of order.
        if !parts.is_sorted_by_key(|s| s.start) {
            parts.sort_by_key(|s| s.start);
        }
        let mut unfrozen = SpanSet::with_capacity(parts.len());
        for s in parts {
            unfrozen.push(s.start, s.end);
        }
        unfrozen
    }
}

/// `shapes`: the unfrozen windows, or one of each shape (UTC time of the week and length) among them.
fn gap(
    reasons: Reasons,
    unfrozen: SpanSet,
    windows: usize,
    shapes: &[Span],
    freeze: &[Reason],
) -> FreezeGap {
    let freeze_set = Reasons::of(freeze);
    let budget_reasons = (freeze_set != Reasons::ALL).then_some(freeze_set);
    let budgets = freeze_budgets(shapes, budget_reasons);
    FreezeGap {
        reasons,
        unfrozen,
        windows,
        budgets,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::wording::{describe_local, push_utc_day_and_time};
    use crate::karpenter::cron::Schedule;
    use crate::settings::{BusinessHours, Settings};
    use chrono::Datelike;

    /// 2026-11-23T00:00Z, a Monday.
    use crate::testkit::MONDAY;
    const YEAR: Span = Span {
        start: MONDAY,
        end: MONDAY + 366 * MINUTES_PER_DAY,
    };

    #[test]
    fn windows_are_described_as_strftime_would() {
        let strftime = |tz: Zone, m: Minute, pattern: &str| {
            tz.timestamp_opt(m * 60, 0)
                .unwrap()
                .format(pattern)
                .to_string()
        };
        for tz in [
            Zone::named("Asia/Seoul").unwrap(),
            Zone::named("Europe/Berlin").unwrap(),
            Zone::named("America/Los_Angeles").unwrap(),
        ] {
            // Across the year (both offsets, every weekday), same-day and overnight windows.
            for start in (0..700).map(|i| MONDAY + i * (13 * 60 + 7)) {
                for length in [45, 9 * 60, 16 * 60 + 5, 24 * 60] {
                    let span = Span::new(start, start + length);
                    let last_day = |m: Minute| strftime(tz, m, "%F");
                    let expected = if last_day(span.start) == last_day(span.end - 1) {
                        format!(
                            "{}-{}",
                            strftime(tz, span.start, "%a %Y-%m-%d %H:%M"),
                            // Until midnight is 24:00 of the same day.
                            strftime(tz, span.end, "%H:%M %Z").replacen("00:00", "24:00", 1)
                        )
                    } else {
                        format!(
                            "{} → {}",
                            strftime(tz, span.start, "%a %Y-%m-%d %H:%M"),
                            strftime(tz, span.end, "%a %Y-%m-%d %H:%M %Z")
                        )
                    };
                    assert_eq!(describe_local(tz, span), expected);
                }
            }
        }
    }

    #[test]
    fn utc_minutes_are_written_as_strftime_would() {
        // From 1900 to about 2480, every weekday and time of day, month ends and leap days included.
        for m in (0..40_000).map(|i| -36_816_480 + i * 7_654 + i % 1_440) {
            let expected = DateTime::from_timestamp(m * 60, 0)
                .unwrap()
                .format("%a %Y-%m-%d %H:%M")
                .to_string();
            let mut written = String::new();
            push_utc_day_and_time(&mut written, m);
            assert_eq!(written, expected, "minute {m}");
        }
    }

    fn hours(json: &str) -> BusinessHours {
        let s: Settings = serde_json::from_str(&format!(r#"{{"businessHours": {json}}}"#)).unwrap();
        s.business_hours.unwrap()
    }

    fn business_windows(bh: &BusinessHours, horizon: Span) -> Vec<Span> {
        utc_windows(bh.timezone.0, &bh.local_windows(), horizon)
    }

    fn covered_by(budgets: &[FreezeBudget], windows: &[Span]) -> bool {
        let mut business = SpanSet::new();
        for w in windows {
            business.push(w.start, w.end);
        }
        let business = business.clip(YEAR.start, YEAR.end);
        business.subtract(&frozen_by(budgets)).is_empty()
    }

    #[test]
    fn seoul_is_one_budget_at_midnight_utc() {
        let bh = hours(r#"{"timezone": "Asia/Seoul"}"#);
        let windows = business_windows(&bh, YEAR);
        assert_eq!(
            windows[0],
            Span::new(MONDAY, MONDAY + 540),
            "Mon 09:00 KST = 00:00 UTC"
        );
        let budgets = freeze_budgets(&windows, None);
        assert_eq!(budgets.len(), 1);
        assert_eq!(
            (budgets[0].schedule.as_str(), budgets[0].duration.as_str()),
            ("0 0 * * 1-5", "9h")
        );
        assert!(covered_by(&budgets, &windows));
    }

    #[test]
    fn berlin_needs_one_budget_per_offset() {
        let bh = hours(r#"{"timezone": "Europe/Berlin"}"#);
        let windows = business_windows(&bh, YEAR);
        let budgets = freeze_budgets(&windows, None);
        let schedules: Vec<&str> = budgets.iter().map(|b| b.schedule.as_str()).collect();
        assert_eq!(schedules, ["0 7 * * 1-5", "0 8 * * 1-5"], "CEST and CET");
        assert!(budgets.iter().all(|b| b.duration == "9h"));
        assert!(covered_by(&budgets, &windows));
        // The summer budget alone leaves winter mornings 08:00-09:00 local unfrozen, and vice versa.
        assert!(!covered_by(&budgets[..1], &windows));
        assert!(!covered_by(&budgets[1..], &windows));
    }

    #[test]
    fn los_angeles_business_hours_cross_utc_midnight() {
        let bh = hours(r#"{"timezone": "America/Los_Angeles"}"#);
        let windows = business_windows(&bh, YEAR);
        let budgets = freeze_budgets(&windows, None);
        let schedules: Vec<&str> = budgets.iter().map(|b| b.schedule.as_str()).collect();
        assert_eq!(
            schedules,
            ["0 16 * * 1-5", "0 17 * * 1-5"],
            "PDT and PST: 09:00 local, ending 01:00/02:00 UTC"
        );
        assert!(covered_by(&budgets, &windows));
    }

    #[test]
    fn sydney_starts_on_the_previous_utc_day() {
        let bh = hours(r#"{"timezone": "Australia/Sydney"}"#);
        let budgets = freeze_budgets(&business_windows(&bh, YEAR), None);
        let schedules: Vec<&str> = budgets.iter().map(|b| b.schedule.as_str()).collect();
        assert_eq!(
            schedules,
            ["0 22 * * 0-4", "0 23 * * 0-4"],
            "AEDT and AEST: Sunday-Thursday UTC"
        );
    }

    #[test]
    fn overnight_windows_and_clock_changes_are_covered() {
        // 22:00-06:00 on Saturdays and Sundays in Berlin: the autumn change falls inside a window.
        let bh = hours(
            r#"{"timezone": "Europe/Berlin", "days": ["Sat", "Sun"], "start": "22:00", "end": "06:00"}"#,
        );
        let windows = business_windows(&bh, YEAR);
        assert!(
            windows.iter().any(|w| w.len() == 9 * 60),
            "the night the clocks go back is 9h long"
        );
        assert!(
            windows.iter().any(|w| w.len() == 7 * 60),
            "the night they go forward is 7h long"
        );
        let budgets = freeze_budgets(&windows, None);
        assert!(covered_by(&budgets, &windows));
        assert!(budgets.iter().all(|b| Schedule::parse(&b.schedule).is_ok()));
    }

    #[test]
    fn a_start_inside_the_spring_gap_begins_when_the_clock_resumes() {
        // 02:30 does not exist in Berlin on 2027-03-28: the window starts at 03:00 CEST = 01:00 UTC.
        let bh = hours(
            r#"{"timezone": "Europe/Berlin", "days": ["Sun"], "start": "02:30", "end": "05:00"}"#,
        );
        let windows = business_windows(&bh, YEAR);
        let change = windows
            .iter()
            .find(|w| w.len() == 2 * 60)
            .expect("the shortened night");
        assert_eq!(change.start.rem_euclid(MINUTES_PER_DAY), 60);
    }

    /// The windows resolved day by day, each local time through the zone, as before the offset periods.
    fn windows_day_by_day(hours: &BusinessHours, horizon: Span) -> Vec<Span> {
        use chrono::{Duration, LocalResult, NaiveDate, NaiveDateTime};
        let tz = hours.timezone.0;
        let resolve = |local: NaiveDateTime, earliest: bool| {
            let mut t = local;
            loop {
                match tz.from_local_datetime(&t) {
                    LocalResult::Single(dt) => return dt.timestamp() / 60,
                    LocalResult::Ambiguous(a, b) => {
                        return if earliest { a } else { b }.timestamp() / 60;
                    }
                    LocalResult::None => t += Duration::minutes(1),
                }
            }
        };
        let at =
            |d: NaiveDate, m: u32| d.and_hms_opt(0, 0, 0).unwrap() + Duration::minutes(m.into());
        let local_date = |m: Minute| tz.timestamp_opt(m * 60, 0).unwrap().date_naive();
        let first = local_date(horizon.start);
        let last = local_date(horizon.end);
        let mut out = Vec::new();
        let mut date = first.pred_opt().unwrap();
        while date <= last {
            if hours.days.iter().any(|d| d.0 == date.weekday()) {
                let end_date = if hours.end > hours.start {
                    date
                } else {
                    date.succ_opt().unwrap()
                };
                let w = Span::new(
                    resolve(at(date, hours.start.0), true),
                    resolve(at(end_date, hours.end.0), false),
                );
                if w.end > horizon.start && w.start < horizon.end {
                    out.push(w);
                }
            }
            date = date.succ_opt().unwrap();
        }
        out
    }

    #[test]
    fn offset_periods_agree_with_the_day_by_day_resolution_in_every_zone() {
        let cases = [
            r#""days": ["Mon", "Tue", "Wed", "Thu", "Fri"], "start": "09:00", "end": "18:00""#,
            r#""days": ["Sat", "Sun"], "start": "22:00", "end": "06:00""#,
            r#""days": ["Sun"], "start": "02:30", "end": "03:30""#,
            r#""days": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"], "start": "00:00", "end": "23:00""#,
        ];
        for name in Zone::names() {
            for (i, case) in cases.iter().enumerate() {
                let bh = hours(&format!(r#"{{"timezone": "{}", {case}}}"#, name));
                // Two starts: one before the northern spring change, one inside the southern summer.
                let horizon = if i % 2 == 0 {
                    YEAR
                } else {
                    Span::new(
                        YEAR.start + 100 * MINUTES_PER_DAY,
                        YEAR.end + 100 * MINUTES_PER_DAY,
                    )
                };
                let (fast, slow) = (
                    business_windows(&bh, horizon),
                    windows_day_by_day(&bh, horizon),
                );
                let first_difference = fast.iter().zip(&slow).find(|(a, b)| a != b);
                assert!(
                    fast.len() == slow.len() && first_difference.is_none(),
                    "{} with {case}: {} windows against {}, first difference {first_difference:?}",
                    name,
                    fast.len(),
                    slow.len()
                );
            }
        }
    }

    /// The UTC budgets' frozen time over the year (and two days either side).
    fn frozen_by(budgets: &[FreezeBudget]) -> SpanSet {
        let mut frozen = SpanSet::new();
        for b in budgets {
            let s = Schedule::parse(&b.schedule).unwrap();
            let d = crate::karpenter::duration::budget_duration_minutes(&b.duration).unwrap();
            frozen = frozen.union(&s.activity(
                YEAR.start - 2 * MINUTES_PER_DAY,
                YEAR.end + 2 * MINUTES_PER_DAY,
                d,
            ));
        }
        frozen
    }

    #[test]
    fn maintenance_windows_freeze_the_rest_of_the_year_and_stay_open_in_every_zone() {
        use crate::calendar::weekly::{LocalWindow, outside};
        const WED: u8 = 1 << 3;
        const SAT: u8 = 1 << 6;
        let cases = [
            vec![LocalWindow::daily(SAT, 2 * 60, 6 * 60)],
            // Two windows of different lengths, one overnight into Sunday.
            vec![
                LocalWindow::daily(WED, 60, 4 * 60),
                LocalWindow::daily(SAT, 22 * 60, 4 * 60),
            ],
        ];
        for name in Zone::names() {
            let zone = Zone::named(name).unwrap();
            for open in &cases {
                let closed = utc_windows(zone, &outside(open), YEAR);
                let budgets = freeze_budgets(&closed, None);
                assert!(covered_by(&budgets, &closed), "{name}: {open:?}");
                let frozen = frozen_by(&budgets);
                // Every window stays open all year for its length less the zone's offset change.
                let spread = zone.offset_spread();
                let inner = Span::new(YEAR.start + MINUTES_PER_DAY, YEAR.end);
                for local in open {
                    for w in utc_windows(zone, &[*local], inner) {
                        let left = SpanSet::from_span(w).subtract(&frozen).total();
                        assert!(
                            left >= local.length - spread,
                            "{name}: {w:?} open for {left} min, spread {spread}: {budgets:?}",
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn weekday_lists_never_wrap() {
        assert_eq!(weekday_list(0b0111110), "1-5");
        assert_eq!(weekday_list(0b1000001), "0,6");
        assert_eq!(weekday_list(0b0011111), "0-4");
        assert_eq!(weekday_list(0b1010101), "0,2,4,6");
        assert_eq!(weekday_list(0b1111111), "0-6");
    }

    #[test]
    fn freeze_budgets_render_as_crd_valid_yaml_and_json() {
        let b = FreezeBudget {
            schedule: "0 0 * * 1-5".into(),
            duration: "9h".into(),
            reasons: Some(Reasons::of(&[crate::karpenter::nodepool::Reason::Empty])),
        };
        assert_eq!(
            b.to_yaml(2),
            "  - nodes: \"0\"\n    schedule: \"0 0 * * 1-5\"\n    duration: 9h\n    reasons: [Empty]"
        );
        assert_eq!(b.to_json()["reasons"], serde_json::json!(["Empty"]));
    }
}
