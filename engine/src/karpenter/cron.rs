//! Budget schedules, parsed exactly as Karpenter parses them: robfig/cron v3.0.1 `cron.ParseStandard`
//! on `"TZ=UTC " + schedule` (`pkg/apis/v1/nodepool.go`, `Budget.IsActive`), so always in UTC.
//!
//! The dialect (robfig `parser.go`): exactly five fields (minute hour day-of-month month day-of-week) or one
//! of the `@` descriptors; day-of-week 0-6 with Sunday = 0 (7 is an error); three-letter names in any case;
//! `*` and `?`; `a-b` (no wrap-around: `19-7` and `sat-sun` are errors); `/n` steps, where `a/n` means
//! `a-max/n`; comma lists. When both day fields are restricted a day matches if **either** does.

use std::fmt;

use crate::calendar::civil::{civil_from_days, weekday};
use crate::calendar::spans::{MINUTES_PER_DAY, Minute, SpanSet};

/// robfig's `starBit`: the field was `*` or `?` (with a step of 1), which switches the day-matching rule.
const STAR: u64 = 1 << 63;

#[derive(Clone, Copy)]
struct Bounds {
    min: u32,
    max: u32,
    names: &'static [&'static str],
}

const MINUTES: Bounds = Bounds {
    min: 0,
    max: 59,
    names: &[],
};
const HOURS: Bounds = Bounds {
    min: 0,
    max: 23,
    names: &[],
};
const DOM: Bounds = Bounds {
    min: 1,
    max: 31,
    names: &[],
};
const MONTHS: Bounds = Bounds {
    min: 1,
    max: 12,
    names: &[
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ],
};
const DOW: Bounds = Bounds {
    min: 0,
    max: 6,
    names: &["sun", "mon", "tue", "wed", "thu", "fri", "sat"],
};

/// Why robfig/cron refuses a schedule; the text follows robfig's own error strings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CronError(pub String);

impl fmt::Display for CronError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn err<T>(msg: String) -> Result<T, CronError> {
    Err(CronError(msg))
}

/// A parsed schedule: one bit set per field value, plus `STAR`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Schedule {
    minute: u64,
    hour: u64,
    dom: u64,
    month: u64,
    dow: u64,
}

impl Schedule {
    /// `cron.ParseStandard("TZ=UTC " + spec)`: robfig strips the `TZ=UTC` prefix and trims what follows.
    pub fn parse(spec: &str) -> Result<Schedule, CronError> {
        let spec = spec.trim();
        if let Some(name) = spec.strip_prefix('@') {
            return Self::descriptor(name, spec);
        }
        let fields: Vec<&str> = spec.split_whitespace().collect();
        if fields.len() != 5 {
            return err(format!(
                "expected exactly 5 fields, found {}: [{}]",
                fields.len(),
                fields.join(" ")
            ));
        }
        Ok(Schedule {
            minute: field(fields[0], MINUTES)?,
            hour: field(fields[1], HOURS)?,
            dom: field(fields[2], DOM)?,
            month: field(fields[3], MONTHS)?,
            dow: field(fields[4], DOW)?,
        })
    }

    /// robfig `parseDescriptor`. `@every` is robfig's too, but the CRD pattern never lets it through.
    fn descriptor(name: &str, spec: &str) -> Result<Schedule, CronError> {
        let all = |b: Bounds| bits(b.min, b.max, 1) | STAR;
        let first = |b: Bounds| 1u64 << b.min;
        let (hour, dom, month, dow) = match name {
            "yearly" | "annually" => (first(HOURS), first(DOM), first(MONTHS), all(DOW)),
            "monthly" => (first(HOURS), first(DOM), all(MONTHS), all(DOW)),
            "weekly" => (first(HOURS), all(DOM), all(MONTHS), first(DOW)),
            "daily" | "midnight" => (first(HOURS), all(DOM), all(MONTHS), all(DOW)),
            "hourly" => (all(HOURS), all(DOM), all(MONTHS), all(DOW)),
            _ => return err(format!("unrecognized descriptor: {spec}")),
        };
        Ok(Schedule {
            minute: first(MINUTES),
            hour,
            dom,
            month,
            dow,
        })
    }

    /// Whether only the weekday and time of day decide when it fires (every month, day-of-month `*`): its
    /// fires, and so its budget's activity, repeat every week.
    pub fn repeats_weekly(&self) -> bool {
        const EVERY_MONTH: u64 = 0b1_1111_1111_1110; // bits 1-12
        self.month & EVERY_MONTH == EVERY_MONTH && self.dom & STAR != 0
    }

    /// robfig `dayMatches`: if either day field is starred both must match, otherwise either may.
    fn day_matches(&self, day: i64) -> bool {
        let weekday = weekday(day);
        if self.repeats_weekly() {
            // Every day of every month matches day-of-month: the weekday decides, no calendar arithmetic.
            return self.dow & (1 << weekday) != 0;
        }
        let (_, month, dom) = civil_from_days(day);
        if self.month & (1 << month) == 0 {
            return false;
        }
        let dom_match = self.dom & (1 << dom) != 0;
        let dow_match = self.dow & (1 << weekday) != 0;
        if self.dom & STAR != 0 || self.dow & STAR != 0 {
            dom_match && dow_match
        } else {
            dom_match || dow_match
        }
    }

    /// Does the schedule fire at minute `t` (UTC)?
    pub fn fires_at(&self, t: Minute) -> bool {
        let day = t.div_euclid(MINUTES_PER_DAY);
        let in_day = t.rem_euclid(MINUTES_PER_DAY);
        self.day_matches(day)
            && self.hour & (1 << (in_day / 60)) != 0
            && self.minute & (1 << (in_day % 60)) != 0
    }

    /// Whether any calendar date and time matches. robfig's `Next` returns the zero time for a schedule
    /// that does not fire within five years, and Karpenter's `IsActive` then reports the budget **active**:
    /// a never-firing schedule (`0 0 30 2 *`) makes its budget permanent.
    pub fn fires_at_all(&self) -> bool {
        let value_bits = |v: u64| v & !STAR;
        if value_bits(self.minute) == 0 || value_bits(self.hour) == 0 || value_bits(self.month) == 0
        {
            return false;
        }
        const LONGEST: [u32; 13] = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
        let some_valid_date = (1..=12u32)
            .filter(|m| self.month & (1 << m) != 0)
            .any(|m| (1..=LONGEST[m as usize]).any(|d| self.dom & (1 << d) != 0));
        let any_weekday = value_bits(self.dow) != 0;
        if self.dom & STAR != 0 || self.dow & STAR != 0 {
            // A starred field matches every day, and every month holds every weekday.
            some_valid_date && any_weekday
        } else {
            some_valid_date || any_weekday
        }
    }

    /// When a budget with this schedule and `duration_minutes` is active within `[from, to)`.
    ///
    /// Karpenter (`Budget.IsActive`): active at `t` iff some fire `h` has `t - duration < h <= t`, so each
    /// fire opens `[h, h + duration)`. Never-firing schedules are always active; a zero duration never is.
    /// At most how many windows [`Self::activity`] opens over the same arguments: one per run of minutes,
    /// per hour, per matching day it looks at. Known without making a window, so that a caller can refuse a
    /// budget list that would take too long to expand.
    pub fn windows_at_most(&self, from: Minute, to: Minute, duration_minutes: Minute) -> u64 {
        if duration_minutes <= 0 || to <= from || !self.fires_at_all() {
            return 1;
        }
        let lookback = duration_minutes.min(10 * 366 * MINUTES_PER_DAY);
        let days =
            (from - lookback).div_euclid(MINUTES_PER_DAY)..=(to - 1).div_euclid(MINUTES_PER_DAY);
        let matching = days.filter(|&day| self.day_matches(day)).count() as u64;
        let per_day = set_bits(self.hour).count() * runs(self.minute).len();
        matching.saturating_mul(per_day as u64)
    }

    pub fn activity(&self, from: Minute, to: Minute, duration_minutes: Minute) -> SpanSet {
        if duration_minutes <= 0 || to <= from {
            return SpanSet::new();
        }
        if !self.fires_at_all() {
            return SpanSet::from_span(crate::calendar::spans::Span::new(from, to));
        }
        // Fires older than the window length cannot reach `from`. Any schedule that fires at all fires at
        // least once in 8 years (Feb 29 across 2100), so a 10-year look-back is exact for longer durations.
        let lookback = duration_minutes.min(10 * 366 * MINUTES_PER_DAY);
        let hours: Vec<Minute> = set_bits(self.hour).map(|h| h * 60).collect();
        let minute_runs = runs(self.minute);
        let (Some(&last_hour), Some(&(_, last_minute))) = (hours.last(), minute_runs.last()) else {
            return SpanSet::new();
        };
        let last_fire_in_day = last_hour + last_minute;

        let days =
            (from - lookback).div_euclid(MINUTES_PER_DAY)..=(to - 1).div_euclid(MINUTES_PER_DAY);
        // Room for a window a day, the common case (a day's fires often merge into one window).
        let mut active = SpanSet::with_capacity(days.clone().count().min(4096));
        for day in days {
            if !self.day_matches(day) {
                continue;
            }
            let midnight = day * MINUTES_PER_DAY;
            // Every fire of this day falls inside the open window: it only pushes the end further.
            if active
                .last_end()
                .is_some_and(|end| midnight + last_fire_in_day <= end)
            {
                active.extend_last(midnight + last_fire_in_day + duration_minutes);
                continue;
            }
            for &hour in &hours {
                for &(first, last) in &minute_runs {
                    active.push(
                        midnight + hour + first,
                        midnight + hour + last + duration_minutes,
                    );
                }
            }
        }
        active.clip(from, to)
    }
}

/// robfig `getField`: comma-separated ranges; empty items are dropped (`strings.FieldsFunc`).
fn field(text: &str, bounds: Bounds) -> Result<u64, CronError> {
    text.split(',')
        .filter(|r| !r.is_empty())
        .try_fold(0, |acc, r| Ok(acc | range(r, bounds)?))
}

/// robfig `getRange`: `*`, `?`, `a`, `a-b`, each with an optional `/step`.
fn range(expr: &str, b: Bounds) -> Result<u64, CronError> {
    // robfig splits on `/`, then the range on `-`, and checks the counts where this does.
    let mut range_and_step = expr.split('/');
    let range = range_and_step.next().unwrap_or_default();
    let (step_text, slashes) = (range_and_step.next(), range_and_step.count());
    let mut low_and_high = range.split('-');
    let low = low_and_high.next().unwrap_or_default();
    let (high, hyphens) = (low_and_high.next(), low_and_high.count());
    let single = high.is_none();
    let (start, mut end, mut extra);
    if low == "*" || low == "?" {
        // robfig ignores anything after `*-`: `*-5` is `*`.
        (start, end, extra) = (b.min, b.max, STAR);
    } else {
        start = int_or_name(low, &b)?;
        end = match (high, hyphens) {
            (None, _) => start,
            (Some(high), 0) => int_or_name(high, &b)?,
            _ => return err(format!("too many hyphens: {expr}")),
        };
        extra = 0;
    }
    let step = match (step_text, slashes) {
        (None, _) => 1,
        (Some(step_text), 0) => {
            let step = positive_int(step_text)?;
            if single {
                end = b.max; // "N/step" means "N-max/step".
            }
            if step > 1 {
                extra = 0;
            }
            step
        }
        _ => return err(format!("too many slashes: {expr}")),
    };
    if start < b.min {
        return err(format!(
            "beginning of range ({start}) below minimum ({}): {expr}",
            b.min
        ));
    }
    if end > b.max {
        return err(format!(
            "end of range ({end}) above maximum ({}): {expr}",
            b.max
        ));
    }
    if start > end {
        return err(format!(
            "beginning of range ({start}) beyond end of range ({end}): {expr}"
        ));
    }
    if step == 0 {
        return err(format!("step of range should be a positive number: {expr}"));
    }
    Ok(bits(start, end, step) | extra)
}

/// robfig `parseIntOrName`: names are lower-cased before lookup; a field's names count from its minimum
/// (`jan` = 1, `sun` = 0).
fn int_or_name(expr: &str, bounds: &Bounds) -> Result<u32, CronError> {
    match bounds
        .names
        .iter()
        .position(|n| n.eq_ignore_ascii_case(expr))
    {
        Some(i) => Ok(bounds.min + i as u32),
        None => positive_int(expr),
    }
}

/// robfig `mustParseInt`: Go's `strconv.Atoi` (optional sign, decimal digits), negatives refused.
fn positive_int(expr: &str) -> Result<u32, CronError> {
    let digits = expr.strip_prefix(['+', '-']).unwrap_or(expr);
    let parsed = (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| expr.parse::<i64>().ok())
        .flatten();
    match parsed {
        None => err(format!(
            "failed to parse int from {expr}: strconv.Atoi: parsing {expr:?}: invalid syntax"
        )),
        Some(n) if n < 0 => err(format!("negative number ({n}) not allowed: {expr}")),
        // Anything above a field's maximum is refused by the range checks; clamp to stay in u32.
        Some(n) => Ok(n.min(1_000) as u32),
    }
}

fn bits(min: u32, max: u32, step: u32) -> u64 {
    (min..=max)
        .step_by(step as usize)
        .fold(0, |acc, v| acc | (1 << v))
}

fn set_bits(value: u64) -> impl Iterator<Item = i64> {
    (0..63).filter(move |i| value & (1 << i) != 0)
}

/// Runs of consecutive set minutes, `(first, last)` inclusive.
fn runs(value: u64) -> Vec<(i64, i64)> {
    let mut out: Vec<(i64, i64)> = Vec::new();
    for v in set_bits(value) {
        match out.last_mut() {
            Some(run) if run.1 + 1 == v => run.1 = v,
            _ => out.push((v, v)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::spans::Span;

    /// 2026-11-23T00:00Z, a Monday.
    use crate::testkit::MONDAY;

    fn parse(s: &str) -> Schedule {
        Schedule::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn parse_err(s: &str) -> String {
        match Schedule::parse(s) {
            Ok(_) => panic!("{s} should not parse"),
            Err(e) => e.0,
        }
    }

    #[test]
    fn the_reference_monday_is_a_monday() {
        let day = MONDAY / MINUTES_PER_DAY;
        assert_eq!(civil_from_days(day), (2026, 11, 23));
        assert_eq!(weekday(day), 1);
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }

    #[test]
    fn refuses_what_robfig_refuses() {
        for (spec, message) in [
            (
                "0 19-7 * * *",
                "beginning of range (19) beyond end of range (7)",
            ),
            (
                "0 0 * * sat-sun",
                "beginning of range (6) beyond end of range (0)",
            ),
            ("30 10 * * 1-7", "end of range (7) above maximum (6)"),
            ("0 0 * * 7", "end of range (7) above maximum (6)"),
            ("0 24 * * *", "end of range (24) above maximum (23)"),
            ("60 0 * * *", "end of range (60) above maximum (59)"),
            ("0 0 0 * *", "beginning of range (0) below minimum (1)"),
            ("0 9 * * monday", "failed to parse int from monday"),
            ("0 9 L * *", "failed to parse int from L"),
            ("0 9 * * 5#3", "failed to parse int from 5#3"),
            ("0 9 1W * *", "failed to parse int from 1W"),
            ("30/0 * * * *", "step of range should be a positive number"),
            ("0 0 9 * * 1-5", "expected exactly 5 fields, found 6"),
            (
                "CRON_TZ=Europe/Berlin 0 9 * * 1-5",
                "expected exactly 5 fields, found 6",
            ),
            ("0 9 * *", "expected exactly 5 fields, found 4"),
            ("@dailyX", "unrecognized descriptor: @dailyX"),
            ("@every 1h", "unrecognized descriptor"),
            ("1-2-3 * * * *", "too many hyphens"),
            ("1/2/3 * * * *", "too many slashes"),
            ("1/-2 * * * *", "negative number (-2) not allowed"),
            ("-5 * * * *", "failed to parse int from "),
        ] {
            let got = parse_err(spec);
            assert!(
                got.contains(message),
                "{spec}: got {got:?}, want {message:?}"
            );
        }
    }

    #[test]
    fn accepts_robfig_quirks() {
        assert_eq!(parse("0 9 * * MON-FRI"), parse("0 9 * * 1-5"));
        assert_eq!(parse("0 9 * * Mon,Tue"), parse("0 9 * * 1,2"));
        assert_eq!(parse("0 0 * JAN-mar *"), parse("0 0 * 1-3 *"));
        assert_eq!(parse("? ? ? ? ?"), parse("* * * * *"));
        assert_eq!(
            parse("*-5 * * * *"),
            parse("* * * * *"),
            "robfig ignores what follows '*-'"
        );
        assert_eq!(
            parse("+5 * * * *"),
            parse("5 * * * *"),
            "strconv.Atoi takes a sign"
        );
        assert_eq!(parse("  0\t9  * * 1-5 "), parse("0 9 * * 1-5"));
        assert_eq!(parse("@daily "), parse("@midnight"));
        assert_eq!(parse("@annually"), parse("@yearly"));
        assert_eq!(
            parse("5/20 * * * *").minute,
            (1 << 5) | (1 << 25) | (1 << 45)
        );
        assert_eq!(parse("1,,2 * * * *"), parse("1,2 * * * *"));
    }

    #[test]
    fn descriptors_fire_when_robfig_says() {
        let jan1_2027 = 20_819 * MINUTES_PER_DAY;
        assert_eq!(civil_from_days(20_819), (2027, 1, 1));
        assert!(parse("@yearly").fires_at(jan1_2027));
        assert!(!parse("@yearly").fires_at(jan1_2027 + 1));
        assert!(parse("@monthly").fires_at(jan1_2027));
        assert!(
            parse("@weekly").fires_at(MONDAY - MINUTES_PER_DAY),
            "Sunday 00:00"
        );
        assert!(!parse("@weekly").fires_at(MONDAY));
        assert!(parse("@hourly").fires_at(MONDAY + 5 * 60));
        assert!(!parse("@hourly").fires_at(MONDAY + 5 * 60 + 1));
    }

    #[test]
    fn both_day_fields_restricted_means_either() {
        // The 1st of the month OR any Monday.
        let s = parse("0 9 1 * mon");
        assert!(s.fires_at(MONDAY + 9 * 60), "a Monday that is not the 1st");
        let dec1 = MONDAY + 8 * MINUTES_PER_DAY; // Tuesday 2026-12-01
        assert!(s.fires_at(dec1 + 9 * 60), "the 1st, a Tuesday");
        assert!(!s.fires_at(dec1 + MINUTES_PER_DAY + 9 * 60));
        // `*/2` is not a star: day-of-month 1,3,5,… OR Mondays.
        let stepped = parse("0 0 */2 * 1");
        assert!(
            stepped.fires_at(dec1 + MINUTES_PER_DAY * 2),
            "Dec 3 (odd day)"
        );
        assert!(
            stepped.fires_at(MONDAY + 7 * MINUTES_PER_DAY),
            "Monday Nov 30"
        );
        // With a star on day-of-month, both must match: only Mondays.
        let anded = parse("0 0 * * 1");
        assert!(!anded.fires_at(dec1));
    }

    #[test]
    fn never_firing_schedules_are_always_active() {
        let s = parse("0 0 30 2 *");
        assert!(!s.fires_at_all());
        let week = s.activity(MONDAY, MONDAY + 7 * MINUTES_PER_DAY, 60);
        assert_eq!(
            week.spans(),
            &[Span::new(MONDAY, MONDAY + 7 * MINUTES_PER_DAY)]
        );
        assert!(
            !parse(", * * * *").fires_at_all(),
            "an empty field never matches"
        );
        assert!(parse("0 0 29 2 *").fires_at_all(), "leap days do come");
        assert!(
            parse("0 0 31 2 1").fires_at_all(),
            "OR rule: Mondays in February"
        );
    }

    #[test]
    fn activity_windows_follow_fire_plus_duration() {
        // The incident team's (wrong) freeze: 09:00-18:00 UTC on weekdays.
        let s = parse("0 9 * * mon-fri");
        let act = s.activity(MONDAY, MONDAY + 7 * MINUTES_PER_DAY, 9 * 60);
        let expect: Vec<Span> = (0..5)
            .map(|d| {
                Span::new(
                    MONDAY + d * MINUTES_PER_DAY + 540,
                    MONDAY + d * MINUTES_PER_DAY + 1080,
                )
            })
            .collect();
        assert_eq!(act.spans(), expect.as_slice());
        // Overnight: Friday 19:00 + 12h runs into Saturday; the weekday field applies to the start.
        let night = parse("0 19 * * 5").activity(MONDAY, MONDAY + 7 * MINUTES_PER_DAY, 12 * 60);
        let fri = MONDAY + 4 * MINUTES_PER_DAY;
        assert_eq!(night.spans(), &[Span::new(fri + 19 * 60, fri + 31 * 60)]);
        // A window longer than the period chains into permanence.
        let chained = parse("@daily").activity(MONDAY, MONDAY + 7 * MINUTES_PER_DAY, 48 * 60);
        assert_eq!(chained.total(), 7 * MINUTES_PER_DAY);
        assert!(
            parse("@daily").activity(MONDAY, MONDAY + 100, 0).is_empty(),
            "0m is never active"
        );
    }

    #[test]
    fn a_window_opened_before_the_horizon_is_still_seen() {
        // Sunday 22:00 + 4h reaches into Monday.
        let s = parse("0 22 * * 0");
        let act = s.activity(MONDAY, MONDAY + MINUTES_PER_DAY, 4 * 60);
        assert_eq!(act.spans(), &[Span::new(MONDAY, MONDAY + 120)]);
    }

    /// Straight from the rule: active at t iff some fire h has t - d < h <= t.
    fn brute_active(s: &Schedule, t: Minute, d: Minute) -> bool {
        (t - d + 1..=t).any(|h| s.fires_at(h))
    }

    #[test]
    fn activity_matches_brute_force_minute_evaluation() {
        let from = MONDAY - 3 * MINUTES_PER_DAY;
        let to = from + 9 * MINUTES_PER_DAY;
        for (spec, d) in [
            ("*/15 * * * *", 5),
            ("*/15 * * * *", 15),
            ("0 9 * * 1-5", 540),
            ("0 0 * * sat,sun", 1440),
            ("30 23 * * 0", 90),
            ("5-10,40 */3 * * *", 7),
            ("0 9 1 * mon", 120),
            ("0 9 28-31 11,12 *", 600),
            ("* * * * *", 1),
            ("0 0 * * *", 3000),
        ] {
            let s = parse(spec);
            let act = s.activity(from, to, d);
            for t in (from..to).step_by(7) {
                assert_eq!(
                    act.contains(t),
                    brute_active(&s, t, d),
                    "{spec} +{d}m at minute {}",
                    t - from
                );
            }
        }
    }

    #[test]
    fn the_window_bound_holds_and_counts_only_matching_days() {
        let year = (20_781 * MINUTES_PER_DAY, (20_781 + 366) * MINUTES_PER_DAY);
        for (spec, minutes) in [
            ("0 9 * * 1-5", 540),
            ("*/2 * * * *", 1),
            ("0,1,2,10-20,59 */3 1-31/2 * *", 1),
            ("0 * 1 * *", 10),
            ("30 2 29 2 *", 60),
            ("@hourly", 30),
            ("0 0 * * 0", 100_000 * 60),
        ] {
            let s = Schedule::parse(spec).unwrap();
            let made = s.activity(year.0, year.1, minutes).spans().len() as u64;
            let bound = s.windows_at_most(year.0, year.1, minutes);
            assert!(made <= bound, "{spec}: {made} windows made, bound {bound}");
        }
        // A day-of-month schedule is counted on its own days, not on every day of the year.
        let monthly = Schedule::parse("0 * 1 * *").unwrap();
        assert!(monthly.windows_at_most(year.0, year.1, 10) <= 13 * 24);
        // One run of minutes a day for a weekday freeze: about five windows a week.
        let freeze = Schedule::parse("0 9 * * 1-5").unwrap();
        assert!(freeze.windows_at_most(0, 7 * MINUTES_PER_DAY, 540) <= 6);
    }
}
