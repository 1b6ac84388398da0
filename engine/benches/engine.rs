//! `make bench`: the engine natively. NodePool validation including the full-year business-hours check,
//! mutation, and cron window expansion over the same year.

// Test code: a panic is a failed test, with the reason in its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use disruption_guard_engine::calendar::year::horizon;
use disruption_guard_engine::capacity::analyze;
use disruption_guard_engine::guards::nodepool::mutation::mutate;
use disruption_guard_engine::guards::nodepool::rules::check;
use disruption_guard_engine::karpenter::cron::Schedule;
use disruption_guard_engine::karpenter::nodepool::NodePool;
use disruption_guard_engine::kube::objects::{
    Cluster, NODEPOOL_LABEL, Node, Pdb, Pod, list_workloads,
};
use disruption_guard_engine::testkit::{
    INCIDENT as NOW, business_hours_in as settings, disruption,
};
use serde::Deserialize;
use serde_json::{Value, json};

fn pool(budgets: Value, policy: &str, after: &str) -> Value {
    disruption_guard_engine::testkit::nodepool(
        "general-purpose",
        disruption(policy, after, budgets),
    )
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

/// A pool of `nodes` nodes running `pods` pods: workloads of 10 replicas in namespaces of 20 workloads, spread
/// round-robin; one workload in three has a PDB.
fn big_cluster(nodes: usize, pods: usize) -> Cluster {
    let node_list = (0..nodes)
        .map(|i| Node::deserialize(&json!({"metadata": {"name": format!("n{i}"), "labels": {NODEPOOL_LABEL: "general-purpose"}}})).unwrap())
        .collect();
    let workloads_count = pods / 10;
    let mut workloads = Vec::new();
    let mut pdbs = Vec::new();
    let mut pod_list = Vec::new();
    for w in 0..workloads_count {
        let (ns, name) = (format!("ns{}", w / 20), format!("app{w}"));
        workloads.extend(list_workloads(
            &json!({"items": [{"metadata": {"name": name, "namespace": ns}, "spec": {"replicas": 10,
                "selector": {"matchLabels": {"app": name}}, "template": {"metadata": {"labels": {"app": name}}}}}]}),
            "Deployment",
        ));
        if w % 3 == 0 {
            pdbs.push(
                Pdb::deserialize(&json!({"metadata": {"name": name, "namespace": ns},
                "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app": name}}}}))
                .unwrap(),
            );
        }
        for r in 0..10 {
            pod_list.push(Pod::deserialize(&json!({"metadata": {"name": format!("{name}-{r}"), "namespace": ns, "labels": {"app": name}},
                "spec": {"nodeName": format!("n{}", (w * 7 + r * 13) % nodes)}})).unwrap());
        }
    }
    Cluster {
        nodes: node_list,
        pods: pod_list,
        workloads,
        pdbs,
        ..Cluster::default()
    }
}

fn capacity(c: &mut Criterion) {
    let settings = settings("Asia/Seoul");
    let pool = NodePool::deserialize(&pool(
        json!([{"nodes": "10%"}, {"nodes": "0", "schedule": "0 0 * * mon-fri", "duration": "9h"}]),
        "WhenEmptyOrUnderutilized",
        "5m",
    ))
    .unwrap();
    for (nodes, pods) in [(1_000, 1_000), (1_000, 10_000), (1_000, 50_000)] {
        let cluster = big_cluster(nodes, pods);
        c.bench_function(
            &format!("capacity analyze: {nodes} nodes, {pods} pods"),
            |b| {
                b.iter(|| {
                    analyze(
                        &pool,
                        "general-purpose",
                        black_box(&cluster),
                        &settings,
                        NOW,
                    )
                })
            },
        );
    }
}

criterion_group!(benches, nodepool, cron, capacity);
criterion_main!(benches);
