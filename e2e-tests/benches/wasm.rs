//! policy.wasm evaluation time in wasmtime, the cases of engine/benches/engine.rs: "warm" calls `validate`
//! on one instance (what `kwctl bench` measures); "fresh instance" rehydrates the precompiled module
//! first, as PolicyServer does for every request. Build policy.wasm first (`make bench` does).

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use e2e_tests::{Policy, admission_request, read_yaml};
use serde_json::{Value, json};

fn payload(settings: &Value, request: &Value) -> Vec<u8> {
    json!({"settings": settings, "request": request})
        .to_string()
        .into_bytes()
}

fn wasm(c: &mut Criterion) {
    let seoul = read_yaml("examples/settings-seoul.yaml");
    let berlin = json!({"businessHours": {"timezone": "Europe/Berlin"}, "nodePools": {"allowedConsolidationPolicies": ["WhenEmpty"]}});
    let incident = read_yaml("examples/requests/nodepool-incident.json");
    let fixed = read_yaml("examples/requests/nodepool-fixed.json");
    let mut berlin_fixed = fixed["object"].clone();
    berlin_fixed["spec"]["disruption"]["budgets"] = json!([{"nodes": "10%"},
        {"nodes": "0", "schedule": "0 7 * * 1-5", "duration": "9h"}, {"nodes": "0", "schedule": "0 8 * * 1-5", "duration": "9h"}]);
    let mut fifty = fixed["object"].clone();
    fifty["spec"]["disruption"]["budgets"] = (0..50)
        .map(|i| json!({"nodes": format!("{}", i % 5), "schedule": format!("{} {} * * *", i % 60, i % 24), "duration": "30m"}))
        .collect();
    let mut needs_freeze = fixed["object"].clone();
    needs_freeze["spec"]["disruption"]["budgets"] = json!([{"nodes": "10%"}]);

    let cases = [
        ("validate incident pool (Seoul)", payload(&seoul, &incident)),
        ("validate fixed pool (Seoul)", payload(&seoul, &fixed)),
        (
            "validate fixed pool (Berlin)",
            payload(&berlin, &admission_request(&berlin_fixed, "CREATE")),
        ),
        (
            "validate pool with 50 budgets (Seoul)",
            payload(&seoul, &admission_request(&fifty, "CREATE")),
        ),
        (
            "mutate + validate pool missing its freeze (Berlin)",
            payload(&berlin, &admission_request(&needs_freeze, "CREATE")),
        ),
    ];
    let policy = Policy::new();
    for (name, bytes) in &cases {
        assert!(policy.call("validate", bytes).is_ok(), "{name}");
        c.bench_function(&format!("wasm warm: {name}"), |b| {
            b.iter(|| policy.call("validate", black_box(bytes)))
        });
    }
    let (name, bytes) = &cases[1];
    c.bench_function(&format!("wasm fresh instance: {name}"), |b| {
        b.iter(|| Policy::new().call("validate", black_box(bytes)))
    });
    c.bench_function("wasm warm: validate_settings (Seoul)", |b| {
        let s = seoul.to_string().into_bytes();
        b.iter(|| policy.call("validate_settings", black_box(&s)))
    });
}

criterion_group!(benches, wasm);
criterion_main!(benches);
