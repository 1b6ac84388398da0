//! Business hours in a local time zone, turned into UTC spans, and the UTC budgets that freeze them.
//!
//! Karpenter schedules are always UTC (`Budget.IsActive` parses `"TZ=UTC " + schedule`), so a local
//! 09:00-18:00 moves in UTC twice a year where daylight saving applies, and may start on the previous
//! UTC day (Australia/Sydney) or end on the next (America/Los_Angeles).

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone as _};
use chrono_tz::Tz;

use crate::budget::Timeline;
use crate::duration::format_budget_duration;
use crate::nodepool::{Reason, Reasons};
use crate::settings::BusinessHours;
use crate::spans::{MINUTES_PER_DAY, Minute, Span, SpanSet};

/// The business windows that overlap `horizon`, as UTC spans in order (not clipped, so that a window
/// already under way keeps its true start).
pub fn utc_windows(hours: &BusinessHours, horizon: Span) -> Vec<Span> {
    let tz = hours.timezone.0;
    let (Some(first), Some(last)) = (local_date(tz, horizon.start), local_date(tz, horizon.end))
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut date = first.pred_opt().unwrap_or(first);
    while date <= last {
        let weekday = date.weekday();
        if hours.days.iter().any(|d| d.0 == weekday) {
            let end_date = if hours.end > hours.start {
                Some(date)
            } else {
                date.succ_opt()
            };
            if let (Some(start), Some(end)) = (
                at(date, hours.start.0).and_then(|t| resolve(tz, t, Pick::Earliest)),
                end_date
                    .and_then(|d| at(d, hours.end.0))
                    .and_then(|t| resolve(tz, t, Pick::Latest)),
            ) && end > horizon.start
                && start < horizon.end
            {
                out.push(Span::new(start, end));
            }
        }
        let Some(next) = date.succ_opt() else { break };
        date = next;
    }
    out
}

/// The union of [`utc_windows`], clipped to the horizon.
pub fn utc_span_set(hours: &BusinessHours, horizon: Span) -> SpanSet {
    let mut set = SpanSet::new();
    for w in utc_windows(hours, horizon) {
        set.push(w.start, w.end);
    }
    set.clip(horizon.start, horizon.end)
}

fn local_date(tz: Tz, minute: Minute) -> Option<NaiveDate> {
    tz.timestamp_opt(minute.checked_mul(60)?, 0)
        .single()
        .map(|t| t.date_naive())
}

/// `date` at `minutes` after local midnight (1440 = the next midnight).
fn at(date: NaiveDate, minutes: u32) -> Option<NaiveDateTime> {
    date.and_hms_opt(0, 0, 0)?
        .checked_add_signed(Duration::minutes(i64::from(minutes)))
}

#[derive(Clone, Copy)]
enum Pick {
    Earliest,
    Latest,
}

/// Local wall time to UTC minutes. In a repeated hour (autumn) a window takes the wider reading; in a
/// skipped hour (spring) the wall time first reached after the gap.
fn resolve(tz: Tz, local: NaiveDateTime, pick: Pick) -> Option<Minute> {
    use chrono::LocalResult::{Ambiguous, None as Gap, Single};
    let mut t = local;
    for _ in 0..=MINUTES_PER_DAY {
        match (tz.from_local_datetime(&t), pick) {
            (Single(dt), _)
            | (Ambiguous(dt, _), Pick::Earliest)
            | (Ambiguous(_, dt), Pick::Latest) => {
                return Some(dt.timestamp().div_euclid(60));
            }
            (Gap, _) => t = t.checked_add_signed(Duration::minutes(1))?,
        }
    }
    None
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

/// The fewest UTC budgets that cover every window: one per distinct UTC start time (in practice one per
/// UTC offset of the zone), firing on the UTC weekdays the windows start on, lasting as long as the
/// longest of them (a window that straddles a clock change is an hour longer or shorter).
pub fn freeze_budgets(windows: &[Span], reasons: Option<Reasons>) -> Vec<FreezeBudget> {
    // (minute of the UTC day, weekday bits with Sunday = bit 0, longest duration)
    let mut groups: Vec<(Minute, u8, Minute)> = Vec::new();
    for w in windows {
        let start_of_day = w.start.rem_euclid(MINUTES_PER_DAY);
        let weekday = (w.start.div_euclid(MINUTES_PER_DAY) + 4).rem_euclid(7) as u8;
        match groups.iter_mut().find(|g| g.0 == start_of_day) {
            Some(g) => {
                g.1 |= 1 << weekday;
                g.2 = g.2.max(w.len());
            }
            None => groups.push((start_of_day, 1 << weekday, w.len())),
        }
    }
    groups.sort_unstable();
    groups
        .into_iter()
        .map(|(start, days, len)| FreezeBudget {
            schedule: format!("{} {} * * {}", start % 60, start / 60, weekday_list(days)),
            duration: format_budget_duration(len),
            reasons,
        })
        .collect()
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

/// `Mon 2026-11-23 09:00-18:00 KST` (or `… → Tue 2026-11-24 06:00 PST` across midnight).
pub fn describe_local(tz: Tz, span: Span) -> String {
    let fmt = |m: Minute, pattern: &str| {
        tz.timestamp_opt(m * 60, 0)
            .single()
            .map(|t| t.format(pattern).to_string())
            .unwrap_or_else(|| format!("minute {m}"))
    };
    let same_day = local_date(tz, span.start) == local_date(tz, span.end - 1);
    if same_day {
        format!(
            "{}-{}",
            fmt(span.start, "%a %Y-%m-%d %H:%M"),
            fmt(span.end, "%H:%M %Z")
        )
    } else {
        format!(
            "{} → {}",
            fmt(span.start, "%a %Y-%m-%d %H:%M"),
            fmt(span.end, "%a %Y-%m-%d %H:%M %Z")
        )
    }
}

/// Business minutes that some reason to freeze can still be disrupted in, with the budgets that close them.
#[derive(Clone, Debug)]
pub struct FreezeGap {
    /// The reasons not frozen for every business minute.
    pub reasons: Reasons,
    /// Business minutes (UTC, within the horizon) where at least one of them is not frozen.
    pub unfrozen: SpanSet,
    /// The business windows those minutes belong to.
    pub windows: Vec<Span>,
    /// The UTC budgets that freeze those windows for every reason to freeze.
    pub budgets: Vec<FreezeBudget>,
}

/// Compares the business hours with the time each reason in `freeze` is frozen (0 allowed at any pool
/// size) on `timeline`; `None` when every business minute is frozen for every one of them.
pub fn freeze_gap(
    hours: &BusinessHours,
    freeze: &[Reason],
    timeline: &Timeline,
) -> Option<FreezeGap> {
    let horizon = timeline.horizon;
    let windows = utc_windows(hours, horizon);
    let mut business = SpanSet::new();
    for w in &windows {
        business.push(w.start, w.end);
    }
    let business = business.clip(horizon.start, horizon.end);
    let mut reasons = Reasons::default();
    let mut unfrozen = SpanSet::new();
    for &reason in freeze {
        let gap = business.subtract(&timeline.frozen(reason));
        if !gap.is_empty() {
            reasons.insert(reason);
            unfrozen = unfrozen.union(&gap);
        }
    }
    if reasons.is_empty() {
        return None;
    }
    let windows: Vec<Span> = windows
        .into_iter()
        .filter(|w| unfrozen.overlaps(*w))
        .collect();
    let freeze_set = Reasons::of(freeze);
    let budget_reasons = (freeze_set != Reasons::ALL).then_some(freeze_set);
    let budgets = freeze_budgets(&windows, budget_reasons);
    Some(FreezeGap {
        reasons,
        unfrozen,
        windows,
        budgets,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cron::Schedule;
    use crate::settings::Settings;

    /// 2026-11-23T00:00Z, a Monday.
    const MONDAY: Minute = 20_780 * MINUTES_PER_DAY;
    const YEAR: Span = Span {
        start: MONDAY,
        end: MONDAY + 366 * MINUTES_PER_DAY,
    };

    fn hours(json: &str) -> BusinessHours {
        let s: Settings = serde_json::from_str(&format!(r#"{{"businessHours": {json}}}"#)).unwrap();
        s.business_hours.unwrap()
    }

    fn covered_by(budgets: &[FreezeBudget], windows: &[Span]) -> bool {
        let mut frozen = SpanSet::new();
        for b in budgets {
            let s = Schedule::parse(&b.schedule).unwrap();
            let d = crate::duration::budget_duration_minutes(&b.duration).unwrap();
            frozen = frozen.union(&s.activity(
                YEAR.start - 2 * MINUTES_PER_DAY,
                YEAR.end + 2 * MINUTES_PER_DAY,
                d,
            ));
        }
        let mut business = SpanSet::new();
        for w in windows {
            business.push(w.start, w.end);
        }
        business.subtract(&frozen).is_empty()
    }

    #[test]
    fn seoul_is_one_budget_at_midnight_utc() {
        let bh = hours(r#"{"timezone": "Asia/Seoul"}"#);
        let windows = utc_windows(&bh, YEAR);
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
        let windows = utc_windows(&bh, YEAR);
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
        let windows = utc_windows(&bh, YEAR);
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
        let budgets = freeze_budgets(&utc_windows(&bh, YEAR), None);
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
        let windows = utc_windows(&bh, YEAR);
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
        let windows = utc_windows(&bh, YEAR);
        let change = windows
            .iter()
            .find(|w| w.len() == 2 * 60)
            .expect("the shortened night");
        assert_eq!(change.start.rem_euclid(MINUTES_PER_DAY), 60);
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
            reasons: Some(Reasons::of(&[crate::nodepool::Reason::Empty])),
        };
        assert_eq!(
            b.to_yaml(2),
            "  - nodes: \"0\"\n    schedule: \"0 0 * * 1-5\"\n    duration: 9h\n    reasons: [Empty]"
        );
        assert_eq!(b.to_json()["reasons"], serde_json::json!(["Empty"]));
    }
}
