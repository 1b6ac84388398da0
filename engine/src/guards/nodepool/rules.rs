//! The NodePool rules (the README's rules table). One function per rule; each returns findings with the rule id, the
//! field, the value, the danger and the exact fix.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::Value;

use crate::calendar::spans::{Minute, SpanSet};
use crate::calendar::wording::{describe_local, describe_when};
use crate::calendar::zone::Zone;
use crate::finding::{Finding, Rule};
use crate::guards::nodepool::freeze::FreezeGap;
use crate::guards::nodepool::years::Years;
use crate::karpenter::budget::{MAX_WINDOWS, Timeline, TimelineError};
use crate::karpenter::crd;
use crate::karpenter::cron::Schedule;
use crate::karpenter::duration::Seconds;
use crate::karpenter::nodepool::{ConsolidationPolicy, NodePool, Reason, Reasons};
use crate::kube::int_or_percent::IntOrPercent;
use crate::settings::{Freeze, FreezeSource, Settings};

/// The pool sizes `maxBudgetNodes` is compared at when the pool's own size is not known.
const SIZES_WHEN_UNKNOWN: std::ops::RangeInclusive<u64> = 1..=100;

/// Every finding for `object` (a NodePool as JSON); `old` is the stored object on UPDATE.
pub fn check(
    object: &Value,
    old: Option<&Value>,
    settings: &Settings,
    now: Minute,
) -> Vec<Finding> {
    check_with(
        object,
        old,
        settings,
        now,
        &mut Years::default(),
        Detail::Full,
    )
}

/// What a check reports of the budget rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detail {
    /// Every finding with its problem and fix, for a rejection.
    Full,
    /// Only which budget rules are broken (their findings carry the rule and field, no text): enough to
    /// tell which problems mutation repairs, without wording the ones it does not.
    RulesOnly,
}

/// [`check`], reusing the years already computed in this request.
pub fn check_with(
    object: &Value,
    old: Option<&Value>,
    settings: &Settings,
    now: Minute,
    years: &mut Years,
    detail: Detail,
) -> Vec<Finding> {
    let mut findings = crd::validate(object, old);
    let pool = match NodePool::deserialize(object) {
        Ok(pool) => pool,
        Err(e) => {
            if findings.iter().all(|f| f.rule.only_warns()) {
                findings.push(
                    Finding::new(Rule::CrdSchema, "(object)", "(unreadable)")
                        .problem(format!("the NodePool cannot be read: {e}"))
                        .fix("fix the field named in the error"),
                );
            }
            return findings;
        }
    };
    // Karpenter never consolidates a static pool (`spec.replicas`): its scheduler and emptiness and
    // consolidation methods skip `nodepoolutils.IsStatic` pools, and the static-capacity design says the
    // consolidation fields are ignored there (kubernetes-sigs/karpenter designs/static-capacity.md). Drift
    // still follows the budgets.
    if pool.spec.replicas.is_none() {
        consolidation_policy(&pool, settings, &mut findings);
        consolidate_after(&pool, settings, &mut findings);
    }
    budgets(&pool, settings, now, years, detail, &mut findings);
    findings
}

fn consolidation_policy(pool: &NodePool, settings: &Settings, out: &mut Vec<Finding>) {
    let allowed = &settings.node_pools.allowed_consolidation_policies;
    let policy = pool.consolidation_policy();
    let Some(known) = ConsolidationPolicy::named(policy) else {
        return; // The CRD check names an unknown policy.
    };
    if allowed.contains(&known) {
        return;
    }
    let written = pool
        .spec
        .disruption
        .as_ref()
        .and_then(|d| d.consolidation_policy.as_ref())
        .is_some();
    let danger = match known {
        ConsolidationPolicy::WhenEmptyOrUnderutilized => {
            "Karpenter also drains busy nodes it can repack, evicting their pods"
        }
        ConsolidationPolicy::Balanced => {
            "Karpenter also drains busy nodes when the saving is judged worth it"
        }
        ConsolidationPolicy::WhenEmpty => {
            "this consolidation policy is not allowed in this cluster"
        }
    };
    let names: Vec<&str> = allowed.iter().map(|p| p.name()).collect();
    out.push(
        Finding::new(
            Rule::ConsolidationPolicyNotAllowed,
            "spec.disruption.consolidationPolicy",
            if written {
                format!("{policy:?}")
            } else {
                format!("(absent: the CRD defaults it to {policy:?})")
            },
        )
        .problem(format!("{danger}; allowed here: {}.", names.join(", ")))
        .fix(format!(
            "set spec.disruption.consolidationPolicy: {}",
            names.first().unwrap_or(&"WhenEmpty")
        )),
    );
}

fn consolidate_after(pool: &NodePool, settings: &Settings, out: &mut Vec<Finding>) {
    let min = settings.node_pools.min_consolidate_after.0;
    let value = pool.consolidate_after();
    let Some(after) = Seconds::parse(value) else {
        return;
    }; // "Never" or CRD-invalid.
    if after >= min {
        return;
    }
    let shown = match &pool.spec.disruption {
        None => format!("(absent: the CRD defaults it to {value:?})"),
        Some(d) if d.consolidate_after.is_none() => {
            format!(
                "(absent: Karpenter after {} defaults it to {value:?})",
                crd::KARPENTER_VERSION
            )
        }
        Some(_) => format!("{value:?}"),
    };
    out.push(
        Finding::new(
            Rule::ConsolidateAfterTooShort,
            "spec.disruption.consolidateAfter",
            shown,
        )
        .problem(format!(
            "Karpenter may start draining a node {after} after its last pod change, below the minimum {min}: \
             nodes are consolidated during short dips and pods are evicted again and again."
        ))
        .fix(format!("set spec.disruption.consolidateAfter: {min} (or longer, or Never)")),
    );
}

/// Longer schedules are refused before parsing: no real cron expression comes near it.
pub const MAX_SCHEDULE_LEN: usize = 1024;

fn budgets(
    pool: &NodePool,
    settings: &Settings,
    now: Minute,
    years: &mut Years,
    detail: Detail,
    out: &mut Vec<Finding>,
) {
    let budgets = pool.budgets();
    if let Some((i, b)) = budgets.iter().enumerate().find(|(_, b)| {
        b.schedule
            .as_ref()
            .is_some_and(|s| s.len() > MAX_SCHEDULE_LEN)
    }) {
        out.push(
            Finding::new(
                Rule::InputTooLarge,
                format!("spec.disruption.budgets[{i}].schedule"),
                format!("{} characters", b.schedule.as_ref().map_or(0, String::len)),
            )
            .problem(format!(
                "a schedule longer than {MAX_SCHEDULE_LEN} characters is not evaluated."
            ))
            .fix("write the five cron fields (minute hour day-of-month month day-of-week) only"),
        );
        return;
    }
    for (i, b) in budgets.iter().enumerate() {
        if b.schedule.is_some() && b.nodes.is_none() {
            out.push(
                Finding::new(Rule::FreezeWithoutNodes, format!("spec.disruption.budgets[{i}].nodes"), "(absent)")
                    .problem(format!(
                        "this scheduled budget has no nodes, which the CRD defaults to \"10%\": during {:?} it \
                         allows 10% of the nodes instead of freezing them.",
                        b.schedule.as_deref().unwrap_or_default()
                    ))
                    .fix(format!("add nodes: \"0\" to spec.disruption.budgets[{i}]")),
            );
        }
    }
    let freeze = settings
        .freeze()
        .filter(|_| settings.node_pools.require_freeze);
    let gap = freeze.and_then(|freeze| {
        years
            .freeze_gap(&budgets, now, &freeze, &settings.node_pools.freeze_reasons)
            .cloned()
            .map(|gap| (freeze, gap))
    });
    // Budgets that repeat weekly (UTC crons with day of month and month `*`) are judged and described on two
    // weeks: the rest of the year repeats them. Their schedules all parse and fire, so the checks below have nothing
    // to add.
    if let Some(fortnight) = years.fortnight(&budgets, now) {
        budget_max(pool, settings, fortnight, detail, out);
        if let Some((freeze, gap)) = &gap {
            freeze_kept(freeze, gap, detail, out);
        }
        drift_blocked(fortnight, out);
        return;
    }
    let timeline = match years.timeline(&budgets, now) {
        Ok(t) => t,
        Err(TimelineError::Invalid) => return, // The CRD findings say why.
        Err(TimelineError::Unparsable(list)) => {
            for (i, schedule, error) in list {
                // A schedule the CRD refuses (`@every 5m`) has its finding: this one would say it admits it.
                let path = format!("spec.disruption.budgets[{i}].schedule");
                if !out
                    .iter()
                    .any(|f| f.rule == Rule::CrdSchema && f.path == path)
                {
                    out.push(unparsable(*i, schedule, &error.0));
                }
            }
            return;
        }
        Err(TimelineError::TooLarge(windows)) => {
            out.push(
                Finding::new(Rule::InputTooLarge, "spec.disruption.budgets", format!("up to {windows} windows a year"))
                    .problem(format!(
                        "the schedules open more than the {MAX_WINDOWS} activity windows a year that disruption-guard \
                         judges in one admission, so the budget and business-hours rules cannot be checked. Karpenter \
                         accepts such lists, but no reviewer can tell what they allow either."
                    ))
                    .fix("use fewer, longer windows: one budget per time range with a duration (schedule \"0 9 * * 1-5\", \
                          duration 9h) instead of many one-minute windows"),
            );
            return;
        }
    };
    for (i, b) in budgets.iter().enumerate() {
        if let Some(s) = b.schedule.as_deref()
            && Schedule::parse(s).is_ok_and(|p| !p.fires_at_all())
        {
            out.push(
                Finding::new(Rule::ScheduleNeverFires, format!("spec.disruption.budgets[{i}].schedule"), format!("{s:?}"))
                    .problem(
                        "this schedule matches no date, so robfig/cron finds no next run and Karpenter treats the \
                         budget as active all the time, not during a window.",
                    )
                    .fix("use a day and month that exist (schedules are UTC), or remove the schedule and duration to make it permanent on purpose"),
            );
        }
    }
    budget_max(pool, settings, timeline, detail, out);
    if let Some((freeze, gap)) = gap {
        freeze_kept(&freeze, &gap, detail, out);
    }
    drift_blocked(timeline, out);
}

fn unparsable(i: usize, schedule: &str, error: &str) -> Finding {
    let hint = if error.contains("beyond end of range") {
        "ranges cannot wrap around: write sat,sun (or 0,6) instead of sat-sun, and for an overnight window \
         start at the first hour and set the duration (schedule \"0 19 * * *\", duration 12h)"
    } else if error.contains("above maximum (6)") {
        "day-of-week runs 0-6 with Sunday = 0; 7 is not accepted: use 0-6 or sun-sat"
    } else if error.contains("expected exactly 5 fields") {
        "write exactly five fields (minute hour day-of-month month day-of-week) with no seconds, year or \
         CRON_TZ=/TZ= prefix: schedules are always UTC"
    } else {
        "write five cron fields in UTC using numbers, ranges a-b, lists a,b, steps */n and three-letter names (no L, W or #)"
    };
    Finding::new(Rule::ScheduleUnparsable, format!("spec.disruption.budgets[{i}].schedule"), format!("{schedule:?}"))
        .problem(format!(
            "Karpenter's cron parser (robfig/cron ParseStandard) refuses it: {error}. The CRD admits it, but \
             Karpenter then allows 0 disruptions for every reason of this NodePool, forever, and only logs an error."
        ))
        .fix(hint)
}

/// What exceeds `maxBudgetNodes` because of one budget (or of no budget: unbounded).
#[derive(Clone)]
struct Excess {
    budget: Option<usize>,
    reasons: Reasons,
    when: SpanSet,
    sizes: (u64, u64),
    /// (pool size, allowed, limit) at the largest size that exceeds.
    example: (u64, u64, u64),
}

impl Excess {
    fn merge(&mut self, other: &Excess, sizes: &Sizes) {
        for r in other.reasons.iter() {
            self.reasons.insert(r);
        }
        self.sizes = (
            self.sizes.0.min(other.sizes.0),
            self.sizes.1.max(other.sizes.1),
        );
        if sizes.better_example(other.example.0, self.example.0) {
            self.example = other.example;
        }
    }
}

/// The pool sizes the budgets are judged at, and the size the pool has now (`status.nodes`).
struct Sizes {
    all: Vec<u64>,
    now: Option<u64>,
}

impl Sizes {
    fn of(pool: &NodePool) -> Sizes {
        let now = pool.size_now();
        let all = match pool.known_size() {
            Some(n) => vec![n],
            None => SIZES_WHEN_UNKNOWN
                .chain(now.filter(|n| !SIZES_WHEN_UNKNOWN.contains(n)))
                .collect(),
        };
        Sizes { all, now }
    }

    /// Whether a finding is better told at size `a` than at `b`: the pool's own size, else the larger.
    fn better_example(&self, a: u64, b: u64) -> bool {
        (Some(a) == self.now, a) >= (Some(b) == self.now, b)
    }
}

fn budget_max(
    pool: &NodePool,
    settings: &Settings,
    timeline: &Timeline,
    detail: Detail,
    out: &mut Vec<Finding>,
) {
    let max = settings.node_pools.max_budget_nodes;
    let sizes = Sizes::of(pool);
    // The excesses of each distinct set of active budgets, computed once.
    let mut active_sets: Vec<u64> = timeline.segments.iter().map(|s| s.active).collect();
    active_sets.sort_unstable();
    active_sets.dedup();
    let mut memo = HashMap::new();
    if detail == Detail::RulesOnly {
        let first_only = true;
        if active_sets.iter().any(|&active| {
            !excesses_while_active(timeline, active, &sizes, max, first_only, &mut memo).is_empty()
        }) {
            out.push(Finding::new(
                Rule::BudgetAboveMax,
                "spec.disruption.budgets",
                "",
            ));
        }
        return;
    }
    let by_active_set: Vec<Vec<Excess>> = active_sets
        .iter()
        .map(|&active| excesses_while_active(timeline, active, &sizes, max, false, &mut memo))
        .collect();
    let mut excesses: Vec<Excess> = Vec::new();
    for seg in &timeline.segments {
        let Ok(i) = active_sets.binary_search(&seg.active) else {
            continue;
        };
        for e in &by_active_set[i] {
            match excesses.iter_mut().find(|x| x.budget == e.budget) {
                Some(x) => {
                    x.merge(e, &sizes);
                    x.when.push(seg.span.start, seg.span.end);
                }
                None => {
                    let mut x = e.clone();
                    x.when.push(seg.span.start, seg.span.end);
                    excesses.push(x);
                }
            }
        }
    }
    for e in excesses {
        out.push(excess_finding(
            &e,
            max,
            pool.known_size().is_some(),
            sizes.now,
            timeline,
            settings.local_zone(),
        ));
    }
}

/// For one set of active budgets: per culprit (binding budget, or none = unbounded), the reasons and pool
/// sizes at which more nodes may be disrupted at once than `max` allows (`first_only`: the first found).
/// `memo` keeps the sizes per set of applying budgets: many active sets share them.
fn excesses_while_active(
    timeline: &Timeline,
    active: u64,
    sizes: &Sizes,
    max: IntOrPercent,
    first_only: bool,
    memo: &mut HashMap<u64, Vec<SizeExcess>>,
) -> Vec<Excess> {
    // Reasons to which the same budgets apply share their excesses.
    let mut groups: Vec<(u64, Reasons)> = Vec::new();
    for reason in Reason::ALL {
        let applying = timeline.applying(active, reason);
        match groups.iter_mut().find(|g| g.0 == applying) {
            Some(g) => g.1.insert(reason),
            None => groups.push((applying, Reasons::of(&[reason]))),
        }
    }
    let mut found: Vec<Excess> = Vec::new();
    for (applying, reasons) in groups {
        let by_size = memo
            .entry(applying)
            .or_insert_with(|| size_excesses(timeline, applying, sizes, max));
        for hit in by_size.iter() {
            let hit = Excess {
                budget: hit.budget,
                reasons,
                when: SpanSet::new(),
                sizes: hit.sizes,
                example: hit.example,
            };
            match found.iter_mut().find(|e| e.budget == hit.budget) {
                Some(e) => e.merge(&hit, sizes),
                None => found.push(hit),
            }
            if first_only {
                return found;
            }
        }
    }
    found
}

/// Where the budgets `applying` (activity bits) allow more than `max`: per culprit, the sizes.
#[derive(Clone)]
struct SizeExcess {
    budget: Option<usize>,
    sizes: (u64, u64),
    /// (pool size, allowed, limit) at the largest size that exceeds.
    example: (u64, u64, u64),
}

fn size_excesses(
    timeline: &Timeline,
    applying: u64,
    sizes: &Sizes,
    max: IntOrPercent,
) -> Vec<SizeExcess> {
    // A budget that never allows more than `max` bounds the group at every size.
    let bounded = timeline
        .activities
        .iter()
        .enumerate()
        .any(|(i, b)| applying & (1 << i) != 0 && b.nodes.never_above(max));
    let mut found: Vec<SizeExcess> = Vec::new();
    if bounded {
        return found;
    }
    let binding_at = timeline.binding(applying);
    for &n in &sizes.all {
        let binding = binding_at.at(n);
        let allowed = binding.map_or(n, |(_, v)| v.min(n));
        let limit = max.resolve(n).min(n);
        if allowed <= limit {
            continue;
        }
        let budget = binding.map(|(i, _)| i);
        match found.iter_mut().find(|e| e.budget == budget) {
            Some(e) => {
                e.sizes = (e.sizes.0.min(n), e.sizes.1.max(n));
                if sizes.better_example(n, e.example.0) {
                    e.example = (n, allowed, limit);
                }
            }
            None => found.push(SizeExcess {
                budget,
                sizes: (n, n),
                example: (n, allowed, limit),
            }),
        }
    }
    found
}

fn excess_finding(
    e: &Excess,
    max: IntOrPercent,
    size_known: bool,
    size_now: Option<u64>,
    timeline: &Timeline,
    local: Option<Zone>,
) -> Finding {
    let when = describe_when(&e.when, timeline.horizon, local);
    let (n, allowed, limit) = e.example;
    let sizes = if size_known {
        format!("this {n}-node pool")
    } else if size_now == Some(n) && e.sizes.0 == e.sizes.1 {
        format!("this pool's {n} nodes")
    } else if size_now == Some(n) {
        format!(
            "pools of {}-{} nodes (this one has {n} now)",
            e.sizes.0, e.sizes.1
        )
    } else if e.sizes.0 == e.sizes.1 {
        format!("a {n}-node pool")
    } else {
        format!("pools of {}-{} nodes (e.g. {n})", e.sizes.0, e.sizes.1)
    };
    let limit_text = format!("maxBudgetNodes \"{max}\" allows {limit} of {n}");
    match e.budget {
        Some(i) => {
            let b = &timeline.activities[i];
            Finding::new(Rule::BudgetAboveMax, format!("spec.disruption.budgets[{i}].nodes"), format!("\"{}\"", b.nodes))
                .problem(format!(
                    "lets Karpenter disrupt {allowed} of {n} nodes at once for {} {when} in {sizes}, where {limit_text}: \
                     every pod on those nodes is evicted together.",
                    e.reasons.names()
                ))
                .fix(format!("set spec.disruption.budgets[{i}].nodes: \"{max}\" (or lower)"))
        }
        None => Finding::new(
            Rule::BudgetAboveMax,
            "spec.disruption.budgets",
            format!("{} budget(s), none limiting {} {when}", timeline.activities.len(), e.reasons.names()),
        )
        .problem(format!(
            "with no active budget for a reason Karpenter allows unlimited concurrent disruptions (budgets only \
             restrict while active), so {allowed} of {n} nodes can be drained at once in {sizes}, where {limit_text}."
        ))
        .fix(format!("add an always-on budget (no schedule) to spec.disruption.budgets: - nodes: \"{max}\"")),
    }
}

fn freeze_kept(freeze: &Freeze, gap: &FreezeGap, detail: Detail, out: &mut Vec<Finding>) {
    let rule = match freeze.source {
        FreezeSource::BusinessHours(_) => Rule::BusinessHoursNotFrozen,
        FreezeSource::MaintenanceWindows(_) => Rule::OutsideMaintenanceWindows,
    };
    if detail == Detail::RulesOnly {
        out.push(Finding::new(rule, "spec.disruption.budgets", ""));
        return;
    }
    let examples: Vec<String> = gap
        .unfrozen
        .spans()
        .iter()
        .take(3)
        .map(|s| describe_local(freeze.zone, *s))
        .collect();
    let yaml: Vec<String> = gap.budgets.iter().map(|b| b.to_yaml(2)).collect();
    let (value, shifted) = match freeze.source {
        FreezeSource::BusinessHours(_) => (
            format!(
                "{} unfrozen business window(s) in the next year",
                gap.windows
            ),
            "a local freeze must be shifted to UTC, once per UTC offset the zone uses",
        ),
        FreezeSource::MaintenanceWindows(_) => (
            format!(
                "{} unfrozen stretch(es) outside the maintenance windows in the next year",
                gap.windows
            ),
            "the freeze outside local windows must be shifted to UTC, once per UTC offset the zone uses \
             (where clocks change, each window then opens for its length less the change, all year)",
        ),
    };
    out.push(
        Finding::new(rule, "spec.disruption.budgets", value)
            .problem(format!(
                "{} {} not frozen for {}: e.g. {}. Budget schedules are always UTC, so {shifted}.",
                freeze.describe(),
                if matches!(freeze.source, FreezeSource::BusinessHours(_)) {
                    "are"
                } else {
                    "is"
                },
                gap.reasons.names(),
                examples.join("; "),
            ))
            .fix(format!(
                "add to spec.disruption.budgets:\n{}",
                yaml.join("\n")
            )),
    );
}

fn drift_blocked(timeline: &Timeline, out: &mut Vec<Finding>) {
    if timeline.frozen(Reason::Drifted).total() < timeline.horizon.len() {
        return;
    }
    let culprits: Vec<usize> = timeline
        .activities
        .iter()
        .filter(|a| {
            a.nodes.is_zero()
                && a.reasons.contains(Reason::Drifted)
                && a.active.total() >= timeline.horizon.len()
        })
        .map(|a| a.index)
        .collect();
    let (path, value, fix) = match culprits.first() {
        Some(&i) => (
            format!("spec.disruption.budgets[{i}]"),
            format!(
                "nodes \"{}\" for Drifted, all the time",
                timeline.activities[i].nodes
            ),
            format!(
                "limit spec.disruption.budgets[{i}] to consolidation with reasons: [Empty, Underutilized], or give it a \
                 schedule and duration so drift can proceed outside that window"
            ),
        ),
        None => (
            "spec.disruption.budgets".to_string(),
            "zero-node budgets that together cover all the time".to_string(),
            "leave a window each week where no nodes: \"0\" budget applies to Drifted".to_string(),
        ),
    };
    out.push(
        Finding::new(Rule::DriftBlockedForever, path, value).problem(
            "Drifted is frozen permanently: nodes whose AMI, NodeClass or NodePool changed are never replaced, \
             so security and image rollouts never reach them.",
        )
        .fix(fix),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::spans::{MINUTES_PER_DAY, MINUTES_PER_WEEK, Span};
    use serde_json::json;

    /// 2026-11-24T06:43Z = 15:43 KST on a Tuesday: when the outage began.
    use crate::testkit::{INCIDENT as NOW, seoul};

    #[test]
    fn windows_are_described_in_utc_with_how_many_more() {
        let week = Span::new(NOW, NOW + MINUTES_PER_WEEK);
        let day = |d: Minute, from: Minute, to: Minute| {
            let midnight = (NOW / MINUTES_PER_DAY + d) * MINUTES_PER_DAY;
            (midnight + from, midnight + to)
        };
        let mut spans = SpanSet::new();
        for (start, end) in [
            (NOW, day(0, 9 * 60, 18 * 60).1),
            day(1, 9 * 60, 18 * 60),
            day(2, 22 * 60, MINUTES_PER_DAY + 6 * 60),
            day(4, 9 * 60, 18 * 60),
            day(5, 9 * 60, 10 * 60),
        ] {
            spans.push(start, end);
        }
        assert_eq!(
            describe_when(&spans, week, None),
            "during Tue 2026-11-24 06:43-18:00 UTC, Wed 2026-11-25 09:00-18:00 UTC, \
             Thu 2026-11-26 22:00 → Fri 2026-11-27 06:00 UTC and 2 more windows in the next 7 days \
             (38h a week on average)"
        );
        assert_eq!(
            describe_when(&SpanSet::from_span(week), week, None),
            "at all times"
        );
        let mut until_midnight = SpanSet::new();
        let (start, end) = day(1, 9 * 60, MINUTES_PER_DAY);
        until_midnight.push(start, end);
        assert!(
            describe_when(&until_midnight, week, None)
                .starts_with("during Wed 2026-11-25 09:00-24:00 UTC"),
            "{}",
            describe_when(&until_midnight, week, None)
        );
    }

    fn pool(disruption: Value) -> Value {
        crate::testkit::nodepool("default", disruption)
    }

    fn rules(findings: &[Finding]) -> Vec<&'static str> {
        findings.iter().map(|f| f.rule.id()).collect()
    }

    #[test]
    fn windows_are_told_in_utc_with_the_business_hours_local_time_beside() {
        let p = pool(
            json!({"consolidationPolicy": "WhenEmpty", "consolidateAfter": "5m", "budgets": [
            {"nodes": "10%", "schedule": "0 0 * * *", "duration": "15h"},
            {"nodes": "50%", "schedule": "0 15 * * *", "duration": "9h"},
            {"nodes": "0", "schedule": "0 0 * * mon-fri", "duration": "9h"}]}),
        );
        let f = check(&p, None, &seoul(), NOW);
        let max = f
            .iter()
            .find(|f| f.rule == Rule::BudgetAboveMax)
            .expect("budget-max");
        assert!(
            max.problem.contains(
                "during Tue 2026-11-24 15:00-24:00 UTC (Wed 2026-11-25 00:00-09:00 KST), Wed"
            ),
            "{max}"
        );
        let utc: Settings = serde_json::from_value(json!({"businessHours": {"timezone": "UTC"},
            "nodePools": {"allowedConsolidationPolicies": ["WhenEmpty"]}}))
        .unwrap();
        let f = check(&p, None, &utc, NOW);
        let max = f
            .iter()
            .find(|f| f.rule == Rule::BudgetAboveMax)
            .expect("budget-max");
        assert!(
            max.problem
                .contains("during Tue 2026-11-24 15:00-24:00 UTC, Wed"),
            "no local time beside UTC itself: {max}"
        );
    }

    #[test]
    fn time_outside_the_maintenance_windows_must_be_frozen() {
        let settings = crate::testkit::maintenance_windows_in("Europe/Berlin");
        let p = pool(
            json!({"consolidationPolicy": "WhenEmpty", "consolidateAfter": "5m", "budgets": [{"nodes": "1"},
            {"nodes": "0", "schedule": "0 5 * * 6", "duration": "164h"}]}),
        );
        let f = check(&p, None, &settings, NOW);
        assert_eq!(f.len(), 1, "{f:?}");
        let f = &f[0];
        assert_eq!(f.rule, Rule::OutsideMaintenanceWindows);
        // The winter budget alone leaves Saturday 06:00-07:00 CEST unfrozen all summer (04:00-05:00 UTC).
        assert!(
            f.problem.starts_with(
                "the time outside the maintenance windows (Sat 02:00-06:00 Europe/Berlin) is not frozen for \
                 Underutilized, Empty, Drifted: e.g. Sat 2027-04-03 06:00-07:00 CEST"
            ),
            "{f}"
        );
        assert!(
            f.fix
                .contains("schedule: \"0 4 * * 6\"\n    duration: 165h"),
            "{f}"
        );
        // Business hours keep their own rule.
        let p = pool(
            json!({"consolidationPolicy": "WhenEmpty", "consolidateAfter": "5m", "budgets": [{"nodes": "1"}]}),
        );
        let rules: Vec<Rule> = check(&p, None, &seoul(), NOW)
            .iter()
            .map(|f| f.rule)
            .collect();
        assert_eq!(rules, [Rule::BusinessHoursNotFrozen]);
    }

    #[test]
    fn budget_max_is_told_at_the_size_the_pool_has_now() {
        let mut p = pool(
            json!({"consolidationPolicy": "WhenEmpty", "consolidateAfter": "5m",
            "budgets": [{"nodes": "100%"}, {"nodes": "0", "schedule": "0 0 * * mon-fri", "duration": "9h"}]}),
        );
        let max = |p: &Value| {
            let f = check(p, None, &seoul(), NOW);
            f.into_iter()
                .find(|f| f.rule == Rule::BudgetAboveMax)
                .expect("budget-max")
        };
        assert!(
            max(&p).problem.contains("100 of 100 nodes at once"),
            "{}",
            max(&p)
        );
        p["status"] = json!({"nodes": 30});
        let f = max(&p);
        assert!(f.problem.contains("30 of 30 nodes at once"), "{f}");
        assert!(
            f.problem
                .contains("pools of 2-100 nodes (this one has 30 now)"),
            "{f}"
        );
        assert!(f.problem.contains("allows 3 of 30"), "{f}");
        // A status of another shape is no size, and no reason to refuse the pool.
        p["status"] = json!({"nodes": "many"});
        assert!(max(&p).problem.contains("100 of 100 nodes at once"));
        p["status"] = json!("odd");
        assert!(max(&p).problem.contains("100 of 100 nodes at once"));
    }

    #[test]
    fn a_schedule_the_crd_refuses_gets_one_finding_that_says_so() {
        let p = pool(
            json!({"consolidationPolicy": "WhenEmpty", "consolidateAfter": "5m", "budgets": [
            {"nodes": "10%"}, {"nodes": "0", "schedule": "@every 5m", "duration": "1h"}]}),
        );
        let f = check(&p, None, &seoul(), NOW);
        let on_schedule: Vec<&Finding> = f
            .iter()
            .filter(|f| f.path == "spec.disruption.budgets[1].schedule")
            .collect();
        assert_eq!(on_schedule.len(), 1, "{f:?}");
        assert_eq!(on_schedule[0].rule, Rule::CrdSchema);
        // One the CRD admits but robfig refuses is still named, and said to be admitted.
        let p = pool(
            json!({"consolidationPolicy": "WhenEmpty", "consolidateAfter": "5m", "budgets": [
            {"nodes": "10%"}, {"nodes": "0", "schedule": "0 9 * * sat-sun", "duration": "1h"}]}),
        );
        let f = check(&p, None, &seoul(), NOW);
        let unparsable = f
            .iter()
            .find(|f| f.rule == Rule::ScheduleUnparsable)
            .expect("named");
        assert!(
            unparsable.problem.contains("The CRD admits it"),
            "{unparsable}"
        );
    }

    #[test]
    fn the_incident_pool_is_rejected_on_all_three_fields() {
        let p = pool(
            json!({"consolidationPolicy": "WhenEmptyOrUnderutilized", "consolidateAfter": "30s", "budgets": [{"nodes": "100%"}]}),
        );
        let f = check(&p, None, &seoul(), NOW);
        assert_eq!(
            rules(&f),
            [
                "nodepool-consolidation-policy",
                "nodepool-consolidate-after",
                "nodepool-budget-max",
                "nodepool-business-hours-freeze"
            ]
        );
        assert_eq!(f[0].path, "spec.disruption.consolidationPolicy");
        assert_eq!(f[1].value, "\"30s\"");
        assert!(
            f[2].problem.contains("100 of 100 nodes at once"),
            "{}",
            f[2]
        );
        assert!(f[2].problem.contains("at all times"));
        assert!(
            f[3].fix.contains("schedule: \"0 0 * * 1-5\"") && f[3].fix.contains("duration: 9h"),
            "{}",
            f[3]
        );
        assert!(
            f[3].problem.contains("Tue 2026-11-24 15:43-18:00 KST"),
            "{}",
            f[3]
        );
    }

    #[test]
    fn the_fixed_pool_passes() {
        let p = pool(json!({
            "consolidationPolicy": "WhenEmpty", "consolidateAfter": "5m",
            "budgets": [{"nodes": "10%"}, {"nodes": "0", "schedule": "0 0 * * mon-fri", "duration": "9h"}]
        }));
        assert_eq!(check(&p, None, &seoul(), NOW), []);
    }

    #[test]
    fn a_utc_freeze_meant_as_local_time_is_caught() {
        // The fixture's "fix": 09:00-18:00 UTC is 18:00-03:00 in Seoul.
        let p = pool(json!({
            "consolidationPolicy": "WhenEmpty", "consolidateAfter": "5m",
            "budgets": [{"nodes": "10%"}, {"nodes": "0", "schedule": "0 9 * * mon-fri", "duration": "9h"}]
        }));
        assert_eq!(
            rules(&check(&p, None, &seoul(), NOW)),
            ["nodepool-business-hours-freeze"]
        );
    }

    #[test]
    fn a_lone_freeze_leaves_unbounded_hours() {
        let p = pool(json!({
            "consolidationPolicy": "WhenEmpty", "consolidateAfter": "5m",
            "budgets": [{"nodes": "0", "schedule": "0 0 * * 1-5", "duration": "9h"}]
        }));
        let f = check(&p, None, &seoul(), NOW);
        assert_eq!(rules(&f), ["nodepool-budget-max"]);
        assert_eq!(f[0].path, "spec.disruption.budgets");
        assert!(f[0].problem.contains("unlimited"), "{}", f[0]);
        assert!(f[0].fix.contains("nodes: \"10%\""));
    }

    #[test]
    fn max_budget_nodes_uses_the_static_pool_size() {
        let mut p = pool(
            json!({"consolidationPolicy": "WhenEmpty", "consolidateAfter": "5m", "budgets": [{"nodes": "3"}]}),
        );
        p["spec"]["replicas"] = json!(30);
        assert_eq!(
            check(&p, None, &Settings::default(), NOW),
            [],
            "3 of 30 = 10%"
        );
        p["spec"]["replicas"] = json!(20);
        let f = check(&p, None, &Settings::default(), NOW);
        assert_eq!(rules(&f), ["nodepool-budget-max"]);
        assert!(
            f[0].problem.contains("3 of 20 nodes") && f[0].problem.contains("this 20-node pool"),
            "{}",
            f[0]
        );
        p["spec"].as_object_mut().unwrap().remove("replicas");
        let f = check(&p, None, &Settings::default(), NOW);
        assert!(f[0].problem.contains("pools of 2-20 nodes"), "{}", f[0]);
    }

    #[test]
    fn schedules_karpenter_cannot_parse_are_named_with_the_fix() {
        let p = pool(json!({"consolidateAfter": "5m", "budgets": [
            {"nodes": "10%"},
            {"nodes": "0", "schedule": "0 0 * * sat-sun", "duration": "24h", "reasons": ["Drifted"]},
            {"nodes": "0", "schedule": "30 10 * * 1-7", "duration": "1h"}
        ]}));
        let f = check(&p, None, &Settings::default(), NOW);
        assert_eq!(
            rules(&f),
            [
                "nodepool-schedule-unparsable",
                "nodepool-schedule-unparsable"
            ]
        );
        assert!(f[0].fix.contains("sat,sun"));
        assert!(f[1].fix.contains("Sunday = 0"));
        assert!(f[0].problem.contains("every reason"));
    }

    #[test]
    fn freeze_without_nodes_never_firing_and_permanent_drift_block() {
        let p = pool(json!({"consolidateAfter": "5m", "budgets": [
            {"nodes": "10%"},
            {"schedule": "0 0 * * 1-5", "duration": "9h"},
            {"nodes": "0", "schedule": "0 0 30 2 *", "duration": "1h", "reasons": ["Drifted"]}
        ]}));
        let f = check(&p, None, &Settings::default(), NOW);
        assert_eq!(
            rules(&f),
            [
                "nodepool-freeze-without-nodes",
                "nodepool-schedule-never-fires",
                "nodepool-drift-blocked"
            ]
        );
        assert_eq!(f[2].path, "spec.disruption.budgets[2]");
    }

    #[test]
    fn defaults_of_an_omitted_block_are_judged_too() {
        let mut p = pool(json!(null));
        p["spec"].as_object_mut().unwrap().remove("disruption");
        let f = check(&p, None, &seoul(), NOW);
        assert_eq!(
            rules(&f),
            [
                "nodepool-consolidation-policy",
                "nodepool-consolidate-after",
                "nodepool-business-hours-freeze"
            ]
        );
        assert!(f[0].value.contains("absent"));
    }

    #[test]
    fn oversized_schedules_are_refused_without_parsing() {
        let long = format!("0 0 {} * *", vec!["1"; 600].join(","));
        let p = pool(
            json!({"consolidateAfter": "5m", "budgets": [{"nodes": "0", "schedule": long, "duration": "1h"}]}),
        );
        assert_eq!(
            rules(&check(&p, None, &Settings::default(), NOW)),
            ["input-too-large"]
        );
    }

    #[test]
    fn crd_invalid_budgets_skip_the_timeline_rules() {
        let p = pool(json!({"consolidateAfter": "5m", "budgets": [{"nodes": 10}]}));
        assert_eq!(
            rules(&check(&p, None, &Settings::default(), NOW)),
            ["nodepool-crd-schema"]
        );
        let unreadable = json!({"metadata": {"name": 5}, "spec": {}});
        let f = check(&unreadable, None, &Settings::default(), NOW);
        assert!(!f.is_empty() && f.iter().all(|x| x.rule == Rule::CrdSchema));
    }
}
