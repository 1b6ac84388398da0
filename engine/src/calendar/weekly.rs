//! Windows that recur every week on a local wall clock (business hours, maintenance windows), and the
//! rest of the week around them.

use crate::calendar::spans::{MINUTES_PER_DAY, MINUTES_PER_WEEK, Minute};

/// A window that starts at `start` (minutes after local midnight) on each day in `days` (bit 0 =
/// Sunday … bit 6 = Saturday) and lasts `length` local minutes, which may run into later days.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LocalWindow {
    pub days: u8,
    pub start: Minute,
    pub length: Minute,
}

impl LocalWindow {
    /// `days` from `start` to `end` (both minutes after midnight, `end` up to 24:00); an `end` at or
    /// before `start` runs overnight into the next day.
    pub fn daily(days: u8, start: Minute, end: Minute) -> LocalWindow {
        let length = if end > start {
            end - start
        } else {
            end + MINUTES_PER_DAY - start
        };
        LocalWindow {
            days,
            start,
            length,
        }
    }

    /// The week's minutes (from Sunday 00:00) the window covers, in order, each cut at the week's end
    /// and continued from its start.
    fn week_spans(&self) -> impl Iterator<Item = (Minute, Minute)> + '_ {
        (0..7)
            .filter(|d| self.days & (1 << d) != 0)
            .flat_map(move |d| {
                let start = d * MINUTES_PER_DAY + self.start;
                let end = start + self.length.min(MINUTES_PER_WEEK);
                [
                    (start, end.min(MINUTES_PER_WEEK)),
                    (0, end - MINUTES_PER_WEEK),
                ]
            })
            .filter(|(s, e)| e > s)
    }
}

/// Whether a minute of the week (from Sunday 00:00) lies inside one of the windows.
pub fn covers(windows: &[LocalWindow], minute_of_week: Minute) -> bool {
    let m = minute_of_week.rem_euclid(MINUTES_PER_WEEK);
    windows
        .iter()
        .flat_map(|w| w.week_spans())
        .any(|(start, end)| (start..end).contains(&m))
}

/// The minutes of the week outside every window, as windows of one day each (a gap that runs across
/// Saturday midnight is one window from Saturday): what a freeze must cover to allow disruption only
/// inside `windows`. Empty when the windows cover the whole week.
pub fn outside(windows: &[LocalWindow]) -> Vec<LocalWindow> {
    let mut covered: Vec<(Minute, Minute)> = windows.iter().flat_map(|w| w.week_spans()).collect();
    covered.sort_unstable();
    let mut gaps: Vec<(Minute, Minute)> = Vec::new();
    let mut at = 0;
    for (start, end) in covered {
        if start > at {
            gaps.push((at, start));
        }
        at = at.max(end);
    }
    if at < MINUTES_PER_WEEK {
        gaps.push((at, MINUTES_PER_WEEK));
    }
    // A gap up to Saturday midnight and one from Sunday 00:00 are one gap across the week's end.
    if gaps.len() > 1 && gaps[0].0 == 0 && gaps.last().is_some_and(|g| g.1 == MINUTES_PER_WEEK) {
        let first = gaps.remove(0);
        if let Some(last) = gaps.last_mut() {
            last.1 = MINUTES_PER_WEEK + first.1;
        }
    }
    gaps.into_iter()
        .map(|(start, end)| LocalWindow {
            days: 1 << start.div_euclid(MINUTES_PER_DAY),
            start: start.rem_euclid(MINUTES_PER_DAY),
            length: end - start,
        })
        .collect()
}

/// The shortest stretch the windows keep open without a break, in local minutes (0 when there are no
/// windows, a week when they cover it).
pub fn shortest_open(windows: &[LocalWindow]) -> Minute {
    let gaps = outside(windows);
    // The open stretches run from the end of one gap to the start of the next.
    let mut bounds: Vec<(Minute, Minute)> = gaps
        .iter()
        .map(|g| {
            let start = g.days.trailing_zeros() as Minute * MINUTES_PER_DAY + g.start;
            (start, start + g.length)
        })
        .collect();
    bounds.sort_unstable();
    (0..bounds.len())
        .map(|i| {
            let next = bounds
                .get(i + 1)
                .map_or(bounds[0].0 + MINUTES_PER_WEEK, |n| n.0);
            next - bounds[i].1
        })
        .min()
        .unwrap_or(if windows.is_empty() {
            0
        } else {
            MINUTES_PER_WEEK
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUN: u8 = 1;
    const WED: u8 = 1 << 3;
    const SAT: u8 = 1 << 6;

    /// The week minute by minute: covered by one of `windows`?
    fn minutes(windows: &[LocalWindow]) -> Vec<bool> {
        let mut week = vec![false; MINUTES_PER_WEEK as usize];
        for w in windows {
            for d in (0..7).filter(|d| w.days & (1 << d) != 0) {
                for m in 0..w.length {
                    week[((d * MINUTES_PER_DAY + w.start + m) % MINUTES_PER_WEEK) as usize] = true;
                }
            }
        }
        week
    }

    #[test]
    fn outside_is_the_exact_rest_of_the_week() {
        let cases: Vec<Vec<LocalWindow>> = vec![
            vec![LocalWindow::daily(SAT, 2 * 60, 6 * 60)],
            vec![
                LocalWindow::daily(SAT, 2 * 60, 6 * 60),
                LocalWindow::daily(WED, 60, 3 * 60),
            ],
            // Overnight across the week's end, and overlapping windows.
            vec![
                LocalWindow::daily(SAT, 22 * 60, 4 * 60),
                LocalWindow::daily(SUN, 3 * 60, 5 * 60),
            ],
            vec![LocalWindow::daily(0b111_1111, 60, 3 * 60)],
            vec![LocalWindow::daily(SUN, 0, 24 * 60)],
        ];
        for windows in cases {
            let gaps = outside(&windows);
            let (open, closed) = (minutes(&windows), minutes(&gaps));
            assert!(
                open.iter().zip(&closed).all(|(o, c)| o != c),
                "{windows:?} → {gaps:?}"
            );
            assert!(gaps.iter().all(|g| g.days.count_ones() == 1));
            for m in (0..MINUTES_PER_WEEK).step_by(7) {
                assert_eq!(covers(&windows, m), open[m as usize], "{windows:?} at {m}");
            }
        }
    }

    #[test]
    fn a_gap_across_the_weeks_end_is_one_window_from_saturday() {
        let gaps = outside(&[LocalWindow::daily(WED, 60, 3 * 60)]);
        assert_eq!(
            gaps,
            [LocalWindow {
                days: WED,
                start: 3 * 60,
                length: MINUTES_PER_WEEK - 2 * 60
            }]
        );
    }

    #[test]
    fn the_whole_week_leaves_nothing_outside() {
        assert!(outside(&[LocalWindow::daily(0b111_1111, 0, 24 * 60)]).is_empty());
        assert!(outside(&[LocalWindow::daily(0b111_1111, 9 * 60, 9 * 60)]).is_empty());
        assert_eq!(shortest_open(&[]), 0);
    }

    #[test]
    fn open_stretches_merge_across_midnight() {
        // Sat 22:00-24:00 and Sun 00:00-02:00 are one four-hour stretch; Wed is one hour.
        let windows = [
            LocalWindow::daily(SAT, 22 * 60, 24 * 60),
            LocalWindow::daily(SUN, 0, 2 * 60),
            LocalWindow::daily(WED, 60, 2 * 60),
        ];
        assert_eq!(shortest_open(&windows), 60);
        assert_eq!(shortest_open(&windows[..2]), 4 * 60);
    }
}
