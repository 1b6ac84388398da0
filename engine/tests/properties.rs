//! Property tests: the interval engine against minute-by-minute oracles, and freeze injection against the
//! freeze check, on random inputs.

// Test code: a panic is a failed test, with the reason in its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use disruption_guard_engine::calendar::civil::civil_from_days;
use disruption_guard_engine::calendar::spans::MINUTES_PER_DAY;
use disruption_guard_engine::calendar::spans::Span;
use disruption_guard_engine::finding::Rule;
use disruption_guard_engine::guards::nodepool::mutation::mutate;
use disruption_guard_engine::guards::nodepool::rules::{Detail, check, check_with};
use disruption_guard_engine::guards::nodepool::years::Years;
use disruption_guard_engine::karpenter::budget::Timeline;
use disruption_guard_engine::karpenter::cron::Schedule;
use disruption_guard_engine::karpenter::nodepool::{Budget, Reason};
use disruption_guard_engine::settings::Settings;
use disruption_guard_engine::testkit::INCIDENT;
use proptest::prelude::*;
use serde_json::json;

/// 2026-11-24T00:00Z, the outage's day.
const DAY0: i64 = INCIDENT / MINUTES_PER_DAY * MINUTES_PER_DAY;

/// One field of a robfig expression, valid by construction, for values `min..=max`.
fn field(min: u32, max: u32) -> impl Strategy<Value = String> {
    let one = prop_oneof![
        Just("*".to_string()),
        Just("?".to_string()),
        (min..=max).prop_map(|a| a.to_string()),
        (min..=max, min..=max).prop_map(|(a, b)| format!("{}-{}", a.min(b), a.max(b))),
        (1u32..=7).prop_map(|n| format!("*/{n}")),
        (min..=max, 1u32..=7).prop_map(|(a, n)| format!("{a}/{n}")),
        (min..=max, min..=max, 1u32..=5).prop_map(|(a, b, n)| format!(
            "{}-{}/{n}",
            a.min(b),
            a.max(b)
        )),
    ];
    prop::collection::vec(one, 1..=3).prop_map(|parts| parts.join(","))
}

fn schedule() -> impl Strategy<Value = String> {
    (
        field(0, 59),
        field(0, 23),
        field(1, 31),
        field(1, 12),
        field(0, 6),
    )
        .prop_map(|(m, h, dom, mon, dow)| format!("{m} {h} {dom} {mon} {dow}"))
}

/// The values a field expression allows, and whether robfig marks it with its star bit: written from robfig's
/// `getRange` rules (a `*`/`?` with step 1 is a star; `a/n` runs to the field's maximum).
fn oracle_field(expr: &str, min: u32, max: u32) -> (Vec<bool>, bool) {
    let mut allowed = vec![false; 64];
    let mut star = false;
    for part in expr.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (r, s.parse::<u32>().unwrap()),
            None => (part, 1),
        };
        let (lo, hi) = if range == "*" || range == "?" {
            if step == 1 {
                star = true;
            }
            (min, max)
        } else if let Some((a, b)) = range.split_once('-') {
            (a.parse().unwrap(), b.parse().unwrap())
        } else {
            let a: u32 = range.parse().unwrap();
            (a, if part.contains('/') { max } else { a })
        };
        for v in (lo..=hi).step_by(step as usize) {
            allowed[v as usize] = true;
        }
    }
    (allowed, star)
}

/// Does `spec` fire at minute `t`: straight from robfig's `SpecSchedule.Next` and `dayMatches`.
fn oracle_fires(spec: &str, t: i64) -> bool {
    let f: Vec<&str> = spec.split(' ').collect();
    let (minute, _) = oracle_field(f[0], 0, 59);
    let (hour, _) = oracle_field(f[1], 0, 23);
    let (dom, dom_star) = oracle_field(f[2], 1, 31);
    let (month, _) = oracle_field(f[3], 1, 12);
    let (dow, dow_star) = oracle_field(f[4], 0, 6);
    let day = t.div_euclid(1440);
    let (_, m, d) = civil_from_days(day);
    let weekday = (day + 4).rem_euclid(7) as usize;
    let day_ok = if dom_star || dow_star {
        dom[d as usize] && dow[weekday]
    } else {
        dom[d as usize] || dow[weekday]
    };
    let in_day = t.rem_euclid(1440);
    month[m as usize] && day_ok && hour[(in_day / 60) as usize] && minute[(in_day % 60) as usize]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn cron_windows_match_minute_by_minute_evaluation(spec in schedule(), duration in 1i64..900, start in 0i64..(60 * 1440)) {
        let s = Schedule::parse(&spec).unwrap();
        let (from, to) = (DAY0 + start, DAY0 + start + 2 * 1440);
        let active = s.activity(from, to, duration);
        if !s.fires_at_all() {
            prop_assert_eq!(active.total(), to - from, "never firing: always active");
            return Ok(());
        }
        // Active at t iff some fire h has t - d < h <= t.
        let fires: Vec<bool> = (from - duration..to).map(|t| oracle_fires(&spec, t)).collect();
        for t in (from..to).step_by(11) {
            let lo = (t - duration + 1 - (from - duration)) as usize;
            let hi = (t - (from - duration)) as usize;
            let expected = fires[lo..=hi].iter().any(|f| *f);
            prop_assert_eq!(active.contains(t), expected, "{} +{}m at minute {}", spec, duration, t - from);
        }
    }

    #[test]
    fn the_budget_timeline_matches_minute_by_minute_evaluation(
        budgets in prop::collection::vec(
            (prop::sample::select(vec!["0", "1", "3", "10%", "50%", "100%"]),
             prop::option::of((prop::sample::select(vec!["0 9 * * 1-5", "*/20 * * * *", "0 22 * * 0,6", "30 1 * * *"]), 10i64..600)),
             prop::option::of(prop::sample::subsequence(vec!["Underutilized", "Empty", "Drifted"], 0..=3))),
            0..4),
        nodes in 1u64..60,
    ) {
        let budgets: Vec<Budget> = budgets
            .into_iter()
            .map(|(n, sched, reasons)| Budget {
                nodes: Some(n.to_string()),
                schedule: sched.map(|(s, _)| s.to_string()),
                duration: sched.map(|(_, d)| format!("{d}m")),
                reasons: reasons.map(|r| r.into_iter().map(String::from).collect()),
            })
            .collect();
        let horizon = Span::new(DAY0, DAY0 + 2 * 1440);
        let t = Timeline::build(&budgets, horizon).unwrap();
        for minute in (horizon.start..horizon.end).step_by(17) {
            let seg = t.segments.iter().find(|s| s.span.start <= minute && minute < s.span.end).unwrap();
            for reason in Reason::ALL {
                let expected = budgets
                    .iter()
                    .filter(|b| b.reasons().contains(reason))
                    .filter(|b| match (&b.schedule, &b.duration) {
                        (Some(s), Some(d)) => {
                            let d: i64 = d.trim_end_matches('m').parse().unwrap();
                            (minute - d + 1..=minute).any(|h| oracle_fires(s, h))
                        }
                        _ => true,
                    })
                    .map(|b| b.nodes().unwrap().resolve(nodes))
                    .min();
                prop_assert_eq!(t.allowed(seg.active, reason, nodes), expected);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn injected_freezes_always_pass_the_freeze_check(
        zone in prop::sample::select(vec![
            "Asia/Seoul", "Europe/Berlin", "America/Los_Angeles", "Australia/Sydney", "Asia/Kolkata",
            "Australia/Adelaide", "Asia/Kathmandu", "America/Sao_Paulo", "Pacific/Auckland", "UTC", "America/St_Johns",
        ]),
        days in prop::sample::subsequence(vec!["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"], 1..=7),
        start in 0u32..96,
        length in 1u32..95,
        reasons in prop::sample::subsequence(vec!["Underutilized", "Empty", "Drifted"], 1..=3),
        day_offset in 0i64..365,
    ) {
        let end = (start + length) % 96;
        let hhmm = |q: u32| format!("{:02}:{:02}", q / 4, q % 4 * 15);
        let settings: Settings = serde_json::from_value(json!({
            "businessHours": {"timezone": zone, "days": days, "start": hhmm(start), "end": hhmm(end)},
            "nodePools": {"freezeReasons": reasons},
        })).unwrap();
        let now = DAY0 + day_offset * 1440 + 6 * 60;
        let mut pool = json!({
            "apiVersion": "karpenter.sh/v1", "kind": "NodePool", "metadata": {"name": "p"},
            "spec": {"template": {"spec": {"nodeClassRef": {"group": "g", "kind": "K", "name": "n"}, "requirements": []}},
                     "disruption": {"consolidationPolicy": "WhenEmpty", "consolidateAfter": "5m", "budgets": [{"nodes": "10%"}]}}
        });
        mutate(&mut pool, &settings, now);
        // The freeze check passes. (Other rules may still speak: with a near-24-hour freeze every day, the
        // per-offset budgets together can freeze Drifted permanently, which nodepool-drift-blocked reports.)
        let unfrozen: Vec<_> = check(&pool, None, &settings, now)
            .into_iter()
            .filter(|f| f.rule == Rule::BusinessHoursNotFrozen)
            .collect();
        prop_assert!(unfrozen.is_empty(), "{} {:?} {}-{}: {:?}", zone, days, hhmm(start), hhmm(end), unfrozen);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Budgets that repeat weekly are judged on two weeks; an inert budget that does not repeat weekly
    /// (a monthly schedule that applies to no reason) forces the whole year. Both must agree on every rule and
    /// field it names, and on what mutation injects. Either way, a check for the broken rules alone names
    /// the same rules as the full check.
    #[test]
    fn weekly_budgets_judged_on_two_weeks_agree_with_the_whole_year(
        budgets in prop::collection::vec(
            (prop::sample::select(vec!["0", "1", "3", "10%", "50%", "100%"]),
             prop::option::of((field(0, 59), field(0, 23), field(0, 6), prop_oneof![1i64..600, 600i64..3000, Just(200 * 60)])),
             prop::option::of(prop::sample::subsequence(vec!["Underutilized", "Empty", "Drifted"], 0..=3))),
            0..5),
        zone in prop::sample::select(vec!["Asia/Seoul", "Europe/Berlin", "Australia/Sydney", "America/Los_Angeles", "UTC"]),
        days in prop::sample::subsequence(vec!["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"], 1..=7),
        start in 0u32..96,
        length in 1u32..95,
        reasons in prop::sample::subsequence(vec!["Underutilized", "Empty", "Drifted"], 1..=3),
        size in prop::option::of(1u64..40),
        day_offset in 0i64..365,
    ) {
        let budgets: Vec<serde_json::Value> = budgets
            .into_iter()
            .map(|(nodes, schedule, reasons)| {
                let mut b = json!({"nodes": nodes});
                if let Some((m, h, dow, minutes)) = schedule {
                    b["schedule"] = json!(format!("{m} {h} * * {dow}"));
                    b["duration"] = json!(format!("{minutes}m"));
                }
                if let Some(r) = reasons {
                    b["reasons"] = json!(r);
                }
                b
            })
            .collect();
        let hhmm = |q: u32| format!("{:02}:{:02}", q / 4, q % 4 * 15);
        let settings: Settings = serde_json::from_value(json!({
            "businessHours": {"timezone": zone, "days": days, "start": hhmm(start), "end": hhmm((start + length) % 96)},
            "nodePools": {"freezeReasons": reasons, "allowedConsolidationPolicies": ["WhenEmpty"]},
        })).unwrap();
        let now = DAY0 + day_offset * 1440 + 6 * 60;
        let pool = |budgets: &[serde_json::Value]| {
            let mut p = json!({
                "apiVersion": "karpenter.sh/v1", "kind": "NodePool", "metadata": {"name": "p"},
                "spec": {"template": {"spec": {"nodeClassRef": {"group": "g", "kind": "K", "name": "n"}, "requirements": []}},
                         "disruption": {"consolidationPolicy": "WhenEmpty", "consolidateAfter": "5m", "budgets": budgets}}
            });
            if let Some(n) = size {
                p["status"] = json!({"nodes": n});
            }
            p
        };
        let mut with_inert = budgets.clone();
        with_inert.push(json!({"nodes": "1", "schedule": "0 0 1 * *", "duration": "1h", "reasons": []}));
        let rules = |p: &serde_json::Value| -> Vec<(&'static str, String)> {
            check(p, None, &settings, now).into_iter().map(|f| (f.rule.id(), f.path)).collect()
        };
        // Over the year, dense schedules can exceed what an admission judges (input-too-large); the two
        // paths are compared where both judge.
        let year = rules(&pool(&with_inert));
        prop_assume!(!year.iter().any(|(id, _)| *id == "input-too-large"));
        prop_assert_eq!(rules(&pool(&budgets)), year);
        let broken = |p: &serde_json::Value, detail: Detail| -> Vec<&'static str> {
            let mut ids: Vec<_> = check_with(p, None, &settings, now, &mut Years::default(), detail)
                .into_iter()
                .map(|f| f.rule.id())
                .collect();
            ids.sort_unstable();
            ids.dedup();
            ids
        };
        for p in [pool(&budgets), pool(&with_inert)] {
            prop_assert_eq!(broken(&p, Detail::RulesOnly), broken(&p, Detail::Full));
        }
        // The business-hours gap is worded the same from two weeks as from the year.
        let gap_text = |p: &serde_json::Value| -> Vec<String> {
            check(p, None, &settings, now)
                .into_iter()
                .filter(|f| f.rule == Rule::BusinessHoursNotFrozen)
                .map(|f| format!("{} {} {}", f.value, f.problem, f.fix))
                .collect()
        };
        prop_assert_eq!(gap_text(&pool(&budgets)), gap_text(&pool(&with_inert)));

        let (mut fast, mut slow) = (pool(&budgets), pool(&with_inert));
        let (fast_changes, slow_changes) = (mutate(&mut fast, &settings, now), mutate(&mut slow, &settings, now));
        prop_assert_eq!(fast_changes, slow_changes);
        let mut slow_budgets = slow["spec"]["disruption"]["budgets"].as_array().cloned().unwrap_or_default();
        slow_budgets.retain(|b| b["reasons"] != json!([]) || b["schedule"] != json!("0 0 1 * *"));
        prop_assert_eq!(fast["spec"]["disruption"]["budgets"].as_array().cloned().unwrap_or_default(), slow_budgets);
    }
}
