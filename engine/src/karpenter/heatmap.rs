//! A NodePool's week as days × hours in a local time zone: for each hour and reason, the most nodes that
//! may be disrupted at once at some minute of that hour (the CLI's `timeline` and the browser heatmap).

use chrono::{Duration, NaiveDate, TimeZone};

use crate::calendar::spans::{Minute, Span};
use crate::calendar::zone::Zone;
use crate::karpenter::budget::{MAX_WINDOWS, Timeline, TimelineError};
use crate::karpenter::nodepool::{NodePool, Reason};

/// `Allowed(n)` concurrent disruptions (0 = frozen), or `Unbounded` when no budget applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cell {
    Allowed(u64),
    Unbounded,
    /// A local hour that does not exist (skipped by a daylight-saving change).
    Skipped,
}

#[derive(Clone, Debug)]
pub struct Day {
    pub date: NaiveDate,
    /// `hours[h][reason as usize]`, for local hours 0-23.
    pub hours: Vec<[Cell; 3]>,
}

#[derive(Clone, Debug)]
pub struct WeekGrid {
    pub zone: Zone,
    pub pool_size: u64,
    pub days: Vec<Day>,
}

impl WeekGrid {
    /// The (day, hour) cell a UTC minute falls in, on the grid's wall clock; `None` outside the week.
    pub fn cell_of(&self, minute: Minute) -> Option<(usize, usize)> {
        use chrono::Timelike;
        let local = self
            .zone
            .timestamp_opt(minute.checked_mul(60)?, 0)
            .single()?;
        let first = self.days.first()?.date;
        let day = usize::try_from((local.date_naive() - first).num_days()).ok()?;
        (day < self.days.len()).then(|| (day, local.hour() as usize))
    }
}

/// The seven local days starting with the one that contains `now`, at a pool size of `pool_size` nodes.
pub fn week(pool: &NodePool, pool_size: u64, zone: Zone, now: Minute) -> Result<WeekGrid, String> {
    let first = zone
        .timestamp_opt(now * 60, 0)
        .single()
        .map(|t| t.date_naive())
        .ok_or("the evaluation instant is out of range")?;
    // Local midnight of the first day, minus a day of margin, to a day after the last one.
    let horizon = Span::new(now - 2 * 1440, now + 9 * 1440);
    let timeline = match Timeline::build(&pool.budgets(), horizon) {
        Ok(t) => t,
        Err(TimelineError::Invalid) => {
            return Err("the budgets break the NodePool CRD (run `check` for details)".into());
        }
        Err(TimelineError::Unparsable(list)) => {
            let (i, schedule, e) = &list[0];
            return Err(format!(
                "budgets[{i}].schedule {schedule:?} cannot be parsed ({e}): Karpenter allows 0 disruptions for every reason, all week"
            ));
        }
        Err(TimelineError::TooLarge(windows)) => {
            return Err(format!(
                "the schedules open up to {windows} windows in these days, more than the {MAX_WINDOWS} the week is drawn from"
            ));
        }
    };
    let mut days = Vec::with_capacity(7);
    for d in 0..7 {
        let date = first + Duration::days(d);
        let hours = (0..24)
            .map(|h| {
                let (Some(start), Some(end)) =
                    (local_minute(zone, date, h), local_minute(zone, date, h + 1))
                else {
                    return [Cell::Skipped; 3];
                };
                Reason::ALL.map(|r| hour_cell(&timeline, r, pool_size, Span::new(start, end)))
            })
            .collect();
        days.push(Day { date, hours });
    }
    Ok(WeekGrid {
        zone,
        pool_size,
        days,
    })
}

/// UTC minute of local `date` at `hour` (24 = next midnight); `None` when that wall time does not exist.
fn local_minute(zone: Zone, date: NaiveDate, hour: u32) -> Option<Minute> {
    let naive = date
        .and_hms_opt(0, 0, 0)?
        .checked_add_signed(Duration::hours(i64::from(hour)))?;
    zone.from_local_datetime(&naive)
        .earliest()
        .map(|t| t.timestamp().div_euclid(60))
}

fn hour_cell(timeline: &Timeline, reason: Reason, pool_size: u64, hour: Span) -> Cell {
    if hour.is_empty() {
        return Cell::Skipped;
    }
    timeline
        .segments
        .iter()
        .filter(|s| s.span.start < hour.end && hour.start < s.span.end)
        .map(|s| match timeline.allowed(s.active, reason, pool_size) {
            Some(n) => Cell::Allowed(n),
            None => Cell::Unbounded,
        })
        .max_by_key(|c| match c {
            Cell::Allowed(n) => *n,
            _ => u64::MAX,
        })
        .unwrap_or(Cell::Unbounded)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    use crate::testkit::{INCIDENT as NOW, disruption, nodepool};

    fn pool(budgets: serde_json::Value) -> NodePool {
        NodePool::deserialize(&nodepool(
            "p",
            disruption("WhenEmptyOrUnderutilized", "5m", budgets),
        ))
        .unwrap()
    }

    #[test]
    fn the_seoul_freeze_shows_as_frozen_business_hours() {
        let p = pool(
            json!([{"nodes": "10%"}, {"nodes": "0", "schedule": "0 0 * * 1-5", "duration": "9h"}]),
        );
        let grid = week(&p, 30, Zone::named("Asia/Seoul").unwrap(), NOW).unwrap();
        assert_eq!(grid.days[0].date.to_string(), "2026-11-24");
        let tuesday = &grid.days[0].hours;
        assert_eq!(tuesday[8][0], Cell::Allowed(3), "08:00 KST: 10% of 30");
        assert_eq!(tuesday[9][0], Cell::Allowed(0), "09:00 KST frozen");
        assert_eq!(tuesday[17][2], Cell::Allowed(0));
        assert_eq!(tuesday[18][1], Cell::Allowed(3));
        let saturday = &grid.days[4].hours;
        assert_eq!(saturday[10][0], Cell::Allowed(3), "weekends are not frozen");
    }

    #[test]
    fn a_lone_freeze_leaves_unbounded_hours_and_bad_schedules_are_explained() {
        let p = pool(json!([{"nodes": "0", "schedule": "0 0 * * 1-5", "duration": "9h"}]));
        let grid = week(&p, 30, Zone::named("Asia/Seoul").unwrap(), NOW).unwrap();
        assert_eq!(grid.days[0].hours[20][0], Cell::Unbounded);
        let bad = pool(json!([{"nodes": "0", "schedule": "0 0 * * sat-sun", "duration": "9h"}]));
        assert!(
            week(&bad, 30, Zone::named("Asia/Seoul").unwrap(), NOW)
                .unwrap_err()
                .contains("cannot be parsed")
        );
    }

    #[test]
    fn a_skipped_hour_is_marked() {
        // Berlin springs forward on 2027-03-28: 02:00-03:00 does not exist.
        let now = (NaiveDate::from_ymd_opt(2027, 3, 27)
            .unwrap()
            .and_hms_opt(12, 0, 0)
            .unwrap()
            .and_utc()
            .timestamp())
            / 60;
        let grid = week(
            &pool(json!([{"nodes": "1"}])),
            10,
            Zone::named("Europe/Berlin").unwrap(),
            now,
        )
        .unwrap();
        assert_eq!(grid.days[1].hours[2], [Cell::Skipped; 3]);
        assert_eq!(grid.days[1].hours[3][0], Cell::Allowed(1));
    }
}
