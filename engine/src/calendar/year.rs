//! The year ahead that time-dependent rules judge.

use crate::calendar::spans::{MINUTES_PER_DAY, Minute, Span};

/// Time-dependent rules look this far ahead of the evaluation instant: a full year, so that both
/// daylight-saving offsets, month- and year-based schedules are all seen.
pub const HORIZON_DAYS: i64 = 366;

pub fn horizon(now: Minute) -> Span {
    Span::new(now, now + HORIZON_DAYS * MINUTES_PER_DAY)
}
