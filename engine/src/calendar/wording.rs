//! Minutes and spans written for people: UTC and local day, date and time, as messages show them.

use std::fmt::Write as _;

use chrono::{Datelike, TimeZone as _, Timelike};

use crate::calendar::civil::{civil_from_days, weekday};
use crate::calendar::spans::{MINUTES_PER_DAY, Minute, Span, SpanSet};
use crate::calendar::zone::Zone;

/// `Mon 2026-11-23 09:00-18:00 KST` (or `… → Tue 2026-11-24 06:00 PST` across midnight).
pub fn describe_local(tz: Zone, span: Span) -> String {
    let (Some(start), Some(end)) = (
        tz.timestamp_opt(span.start * 60, 0).single(),
        tz.timestamp_opt(span.end * 60, 0).single(),
    ) else {
        return format!("minutes {}-{}", span.start, span.end);
    };
    let zone = end.offset(); // Displays as `%Z` does: the abbreviation.
    let last_minute = end.checked_sub_signed(chrono::TimeDelta::minutes(1));
    if last_minute.is_some_and(|last| last.date_naive() == start.date_naive()) {
        // Until midnight reads "24:00", not a backwards "00:00".
        let end_time = match (end.hour(), end.minute()) {
            (0, 0) => "24:00".to_string(),
            _ => time_of_day(&end),
        };
        format!("{}-{end_time} {zone}", day_and_time(&start))
    } else {
        format!("{} → {} {zone}", day_and_time(&start), day_and_time(&end))
    }
}

/// `Fri 2026-12-25 10:12 KST`: an instant on the zone's wall clock.
pub fn describe_local_instant(tz: Zone, minute: Minute) -> String {
    match tz.timestamp_opt(minute.saturating_mul(60), 0).single() {
        Some(t) => format!("{} {}", day_and_time(&t), t.offset()),
        None => format!("minute {minute}"),
    }
}

/// `Mon 2026-11-23 09:00`, as `%a %Y-%m-%d %H:%M` prints it, without parsing a pattern or padding
/// through `fmt` each time (messages show many of these).
pub fn day_and_time<T: Datelike + Timelike>(t: &T) -> String {
    let mut out = String::with_capacity(20);
    out.push_str(match t.weekday() {
        chrono::Weekday::Mon => "Mon",
        chrono::Weekday::Tue => "Tue",
        chrono::Weekday::Wed => "Wed",
        chrono::Weekday::Thu => "Thu",
        chrono::Weekday::Fri => "Fri",
        chrono::Weekday::Sat => "Sat",
        chrono::Weekday::Sun => "Sun",
    });
    out.push(' ');
    match u32::try_from(t.year()) {
        Ok(year @ 1000..=9999) => {
            push_two_digits(&mut out, year / 100);
            push_two_digits(&mut out, year % 100);
        }
        _ => {
            let _ = write!(out, "{:04}", t.year());
        }
    }
    out.push('-');
    push_two_digits(&mut out, t.month());
    out.push('-');
    push_two_digits(&mut out, t.day());
    out.push(' ');
    out.push_str(&time_of_day(t));
    out
}

/// `09:00`, as `%H:%M`.
pub fn time_of_day<T: Timelike>(t: &T) -> String {
    let mut out = String::with_capacity(5);
    push_two_digits(&mut out, t.hour());
    out.push(':');
    push_two_digits(&mut out, t.minute());
    out
}

/// [`day_and_time`] of a UTC minute, written straight from the civil date: messages describe many.
pub fn push_utc_day_and_time(out: &mut String, minute: Minute) {
    let days = minute.div_euclid(MINUTES_PER_DAY);
    const DAY_NAMES: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    out.push_str(DAY_NAMES[weekday(days) as usize]);
    out.push(' ');
    let (year, month, day) = civil_from_days(days);
    match u32::try_from(year) {
        Ok(year @ 1000..=9999) => {
            push_two_digits(out, year / 100);
            push_two_digits(out, year % 100);
        }
        _ => {
            let _ = write!(out, "{year:04}");
        }
    }
    out.push('-');
    push_two_digits(out, month);
    out.push('-');
    push_two_digits(out, day);
    out.push(' ');
    push_utc_time_of_day(out, minute);
}

/// [`time_of_day`] of a UTC minute.
pub fn push_utc_time_of_day(out: &mut String, minute: Minute) {
    let of_day = minute.rem_euclid(MINUTES_PER_DAY) as u32;
    push_two_digits(out, of_day / 60);
    out.push(':');
    push_two_digits(out, of_day % 60);
}

/// `n` (below 100) as two digits.
fn push_two_digits(out: &mut String, n: u32) {
    out.push(char::from(b'0' + (n / 10 % 10) as u8));
    out.push(char::from(b'0' + (n % 10) as u8));
}

/// "at all times", or the first few UTC windows within `horizon` (each with its `local` time beside it)
/// and how many hours a week they cover.
pub fn describe_when(spans: &SpanSet, horizon: Span, local: Option<Zone>) -> String {
    if spans.total() >= horizon.len() {
        return "at all times".into();
    }
    let mut text = String::with_capacity(160);
    text.push_str("during ");
    for (i, span) in spans.spans().iter().take(3).enumerate() {
        if i > 0 {
            text.push_str(", ");
        }
        push_utc_span(&mut text, *span);
        if let Some(zone) = local {
            let _ = write!(text, " ({})", describe_local(zone, *span));
        }
    }
    let more = spans.spans().len().saturating_sub(3);
    let days = horizon.len() / MINUTES_PER_DAY;
    if more > 0 {
        let _ = write!(text, " and {more} more windows in the next {days} days");
    }
    let hours_a_week = spans.total() * 7 / days / 60;
    let _ = write!(text, " ({hours_a_week}h a week on average)");
    text
}

/// `Wed 2026-12-02 16:29-18:00 UTC`, or `Fri 2026-12-04 09:00 → Mon 2026-12-07 00:00 UTC` across midnight.
fn push_utc_span(out: &mut String, span: Span) {
    push_utc_day_and_time(out, span.start);
    if span.start.div_euclid(MINUTES_PER_DAY) == (span.end - 1).div_euclid(MINUTES_PER_DAY) {
        out.push('-');
        if span.end.rem_euclid(MINUTES_PER_DAY) == 0 {
            out.push_str("24:00"); // Until midnight: "09:00-00:00" reads backwards.
        } else {
            push_utc_time_of_day(out, span.end);
        }
    } else {
        out.push_str(" → ");
        push_utc_day_and_time(out, span.end);
    }
    out.push_str(" UTC");
}
