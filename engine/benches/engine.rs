//! `make bench`: the engine natively. NodePool validation including the full-year business-hours check,
//! mutation, and cron window expansion over the same year.

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use disruption_guard_engine::cron::Schedule;
use disruption_guard_engine::nodepool_mutation::mutate;
use disruption_guard_engine::nodepool_rules::{check, horizon};
use disruption_guard_engine::settings::Settings;
use serde_json::{Value, json};

/// 2026-11-24T06:43Z, 15:43 KST.
const NOW: i64 = 20_781 * 1440 + 6 * 60 + 43;

fn pool(budgets: Value, policy: &str, after: &str) -> Value {
    json!({
        "apiVersion": "karpenter.sh/v1", "kind": "NodePool", "metadata": {"name": "general-purpose"},
        "spec": {
            "template": {"spec": {
                "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "default"},
                "requirements": [{"key": "karpenter.sh/capacity-type", "operator": "In", "values": ["on-demand"]}]
            }},
            "disruption": {"consolidationPolicy": policy, "consolidateAfter": after, "budgets": budgets}
        }
    })
}

fn settings(zone: &str) -> Settings {
    serde_json::from_value(json!({"businessHours": {"timezone": zone}, "nodePools": {"allowedConsolidationPolicies": ["WhenEmpty"]}}))
        .expect("settings")
}

fn nodepool(c: &mut Criterion) {
    let seoul = settings("Asia/Seoul");
    let incident = pool(
        json!([{"nodes": "100%"}]),
        "WhenEmptyOrUnderutilized",
        "30s",
    );
    let fixed = pool(
        json!([{"nodes": "10%"}, {"nodes": "0", "schedule": "0 0 * * mon-fri", "duration": "9h"}]),
        "WhenEmpty",
        "5m",
    );
    let berlin_fixed = pool(
        json!([{"nodes": "10%"}, {"nodes": "0", "schedule": "0 7 * * 1-5", "duration": "9h"}, {"nodes": "0", "schedule": "0 8 * * 1-5", "duration": "9h"}]),
        "WhenEmpty",
        "5m",
    );
    let fifty: Value = (0..50)
        .map(|i| json!({"nodes": format!("{}", i % 5), "schedule": format!("{} {} * * *", i % 60, i % 24), "duration": "30m"}))
        .collect();
    let fifty_budgets = pool(fifty, "WhenEmpty", "5m");

    c.bench_function("validate incident pool (Seoul)", |b| {
        b.iter(|| check(black_box(&incident), None, &seoul, NOW))
    });
    c.bench_function("validate fixed pool (Seoul)", |b| {
        b.iter(|| check(black_box(&fixed), None, &seoul, NOW))
    });
    let berlin = settings("Europe/Berlin");
    c.bench_function("validate fixed pool (Berlin)", |b| {
        b.iter(|| check(black_box(&berlin_fixed), None, &berlin, NOW))
    });
    c.bench_function("validate pool with 50 budgets (Seoul)", |b| {
        b.iter(|| check(black_box(&fifty_budgets), None, &seoul, NOW))
    });
    let needs_freeze = pool(json!([{"nodes": "10%"}]), "WhenEmpty", "5m");
    c.bench_function("mutate + validate pool missing its freeze (Berlin)", |b| {
        b.iter(|| {
            let mut p = needs_freeze.clone();
            mutate(&mut p, &berlin, NOW);
            check(&p, None, &berlin, NOW)
        })
    });
}

fn cron(c: &mut Criterion) {
    let year = horizon(NOW);
    let weekdays = Schedule::parse("0 0 * * 1-5").expect("schedule");
    let every_quarter = Schedule::parse("*/15 * * * *").expect("schedule");
    c.bench_function("cron parse \"0 0 * * mon-fri\"", |b| {
        b.iter(|| Schedule::parse(black_box("0 0 * * mon-fri")))
    });
    c.bench_function("cron windows for a year: 0 0 * * 1-5 + 9h", |b| {
        b.iter(|| weekdays.activity(year.start, year.end, black_box(540)))
    });
    c.bench_function("cron windows for a year: */15 * * * * + 5m", |b| {
        b.iter(|| every_quarter.activity(year.start, year.end, black_box(5)))
    });
}

criterion_group!(benches, nodepool, cron);
criterion_main!(benches);
