//! The year ahead of a request's budget lists, computed once per request.

use crate::calendar::spans::{MINUTES_PER_WEEK, Minute, Span};
use crate::calendar::year::horizon;
use crate::guards::nodepool::freeze::{self, FreezeGap, WindowRun};
use crate::karpenter::budget::{self, Timeline, TimelineError};
use crate::karpenter::nodepool::{Budget, Reason};
use crate::settings::Freeze;

/// The year ahead of each budget list evaluated in one request (one instant, one settings), computed
/// once: mutation and validation usually look at the same list, and its timeline and business-hours gap
/// are most of the work. Never kept across requests.
#[derive(Default)]
pub struct Years {
    entries: Vec<Year>,
    /// The freeze windows of the horizon, from the request's settings, as weekly runs …
    runs: Option<Vec<WindowRun>>,
    /// … and one by one, for budgets that do not repeat weekly.
    windows: Option<Vec<Span>>,
}

struct Year {
    budgets: Vec<Budget>,
    /// The first two weeks, when the budgets repeat weekly: all there is to judge and describe.
    fortnight: Option<Timeline>,
    /// The whole horizon, built only when the budgets do not repeat weekly.
    timeline: Option<Result<Timeline, TimelineError>>,
    gap: Option<Option<FreezeGap>>,
}

impl Years {
    fn index(&mut self, budgets: &[Budget], now: Minute) -> usize {
        if let Some(i) = self.entries.iter().position(|y| y.budgets == budgets) {
            return i;
        }
        let fortnight = budget::repeat_weekly(budgets)
            .then(|| Timeline::build(budgets, Span::new(now, now + 2 * MINUTES_PER_WEEK)).ok())
            .flatten();
        self.entries.push(Year {
            budgets: budgets.to_vec(),
            fortnight,
            timeline: None,
            gap: None,
        });
        self.entries.len() - 1
    }

    /// The budgets' first two weeks, if they repeat weekly.
    pub fn fortnight(&mut self, budgets: &[Budget], now: Minute) -> Option<&Timeline> {
        let i = self.index(budgets, now);
        self.entries[i].fortnight.as_ref()
    }

    pub fn timeline(
        &mut self,
        budgets: &[Budget],
        now: Minute,
    ) -> &Result<Timeline, TimelineError> {
        let i = self.index(budgets, now);
        let year = &mut self.entries[i];
        year.timeline
            .get_or_insert_with(|| Timeline::build(&year.budgets, horizon(now)))
    }

    /// The minutes to freeze that `budgets` leave unfrozen for some of `reasons` (`None` also when the
    /// budgets have no timeline).
    pub fn freeze_gap(
        &mut self,
        budgets: &[Budget],
        now: Minute,
        freeze: &Freeze,
        reasons: &[Reason],
    ) -> Option<&FreezeGap> {
        let i = self.index(budgets, now);
        let Years {
            entries,
            runs,
            windows,
        } = self;
        let runs = runs.get_or_insert_with(|| {
            freeze::utc_window_runs(freeze.zone, &freeze.windows, horizon(now))
        });
        let year = &mut entries[i];
        if year.gap.is_none() {
            let gap = match &year.fortnight {
                Some(fortnight) => {
                    freeze::weekly_freeze_gap(runs, reasons, fortnight, horizon(now))
                }
                None => year
                    .timeline
                    .get_or_insert_with(|| Timeline::build(&year.budgets, horizon(now)))
                    .as_ref()
                    .ok()
                    .and_then(|timeline| {
                        let windows = windows.get_or_insert_with(|| freeze::expand(runs));
                        freeze::freeze_gap(windows, reasons, timeline)
                    }),
            };
            year.gap = Some(gap);
        }
        year.gap.as_ref().and_then(Option::as_ref)
    }
}
