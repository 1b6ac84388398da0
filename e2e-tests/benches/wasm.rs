//! Criterion over the cases of `e2e_tests::cases`: each case natively (the policy crate's `evaluate`, the
//! code policy.wasm is built from, with the same fixture host) and as policy.wasm in wasmtime: "warm" calls
//! `validate` on one instance (what `kwctl bench` measures); "fresh instance" first rehydrates the
//! precompiled module, as PolicyServer does for every request. Build policy.wasm first (`make bench` does).
//! `benches/table.rs` prints the same cases with their p99 side by side.

use std::hint::black_box;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, criterion_group, criterion_main};
use e2e_tests::cases::{self, Case};
use e2e_tests::{Policy, fixture_host};

/// The case natively, then as policy.wasm on one warm instance.
fn native_and_wasm(group: &mut BenchmarkGroup<WallTime>, case: &Case) {
    let mut host = fixture_host(case.cluster.clone());
    group.bench_function(format!("native: {}", case.name), |b| {
        b.iter(|| {
            disruption_guard::evaluate(
                black_box(&case.payload),
                &mut host,
                disruption_guard::now_minute(),
            )
        })
    });
    let policy = Policy::serving(case.cluster.clone());
    assert!(
        policy.call("validate", &case.payload).is_ok(),
        "{}",
        case.name
    );
    group.bench_function(format!("wasm warm: {}", case.name), |b| {
        b.iter(|| policy.call("validate", black_box(&case.payload)))
    });
}

fn admission(c: &mut Criterion) {
    let mut group = c.benchmark_group("admission");
    let all = cases::admission();
    for case in &all {
        native_and_wasm(&mut group, case);
    }
    let seoul = &all[2];
    group.bench_function(format!("wasm fresh instance: {}", seoul.name), |b| {
        b.iter(|| {
            Policy::serving(seoul.cluster.clone()).call("validate", black_box(&seoul.payload))
        })
    });
    group.finish();
}

fn capacity(c: &mut Criterion) {
    let mut group = c.benchmark_group("capacity");
    group.sample_size(20);
    for pods in [1_000, 10_000, 25_000] {
        native_and_wasm(&mut group, &cases::capacity(1_000, pods));
    }
    group.finish();
}

/// The inputs that once cost seconds (issue 14).
fn hostile(c: &mut Criterion) {
    let mut group = c.benchmark_group("hostile");
    group.sample_size(10);
    for case in &cases::hostile() {
        native_and_wasm(&mut group, case);
    }
    group.finish();
}

criterion_group!(benches, admission, capacity, hostile);
criterion_main!(benches);
