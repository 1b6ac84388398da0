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
    // The PDB and workload guards read their namespace: answered from examples/cluster.yaml.
    let cluster = read_yaml("examples/cluster.yaml");
    let context_cases = [
        (
            "validate PDB (minAvailable 50%, namespace of 5 workloads)",
            payload(
                &json!({}),
                &read_yaml("examples/requests/pdb-api-gateway-half.json"),
            ),
        ),
        (
            "validate Deployment (3 replicas, no PDB)",
            payload(
                &json!({}),
                &read_yaml("examples/requests/deployment-checkout-no-pdb.json"),
            ),
        ),
        (
            "validate Deployment (1 replica)",
            payload(
                &json!({}),
                &read_yaml("examples/requests/deployment-worker-single.json"),
            ),
        ),
    ];
    let with_cluster = Policy::with_cluster(&cluster);
    for (name, bytes) in &context_cases {
        assert!(with_cluster.call("validate", bytes).is_ok(), "{name}");
        c.bench_function(&format!("wasm warm: {name}"), |b| {
            b.iter(|| with_cluster.call("validate", black_box(bytes)))
        });
    }
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

/// The engine bench's cluster as lookup answers: `nodes` pool nodes, `pods` pods in workloads of 10.
fn big_cluster(nodes: usize, pods: usize) -> Value {
    let node_list: Vec<Value> = (0..nodes)
        .map(|i| json!({"metadata": {"name": format!("n{i}"), "labels": {"karpenter.sh/nodepool": "general-purpose"}}}))
        .collect();
    let (mut workloads, mut pdbs, mut pod_list) = (Vec::new(), Vec::new(), Vec::new());
    for w in 0..pods / 10 {
        let (ns, name) = (format!("ns{}", w / 20), format!("app{w}"));
        workloads.push(json!({"metadata": {"name": name, "namespace": ns}, "spec": {"replicas": 10,
            "selector": {"matchLabels": {"app": name}}, "template": {"metadata": {"labels": {"app": name}}}}}));
        if w % 3 == 0 {
            pdbs.push(json!({"metadata": {"name": name, "namespace": ns}, "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app": name}}}}));
        }
        for r in 0..10 {
            pod_list.push(json!({"metadata": {"name": format!("{name}-{r}"), "namespace": ns, "labels": {"app": name}},
                "spec": {"nodeName": format!("n{}", (w * 7 + r * 13) % nodes)}}));
        }
    }
    json!({"Node": node_list, "Pod": pod_list, "Deployment": workloads, "PodDisruptionBudget": pdbs})
}

/// NodePool admission with the capacity calculator: every lookup answered by the host, decoded in wasm.
fn wasm_capacity(c: &mut Criterion) {
    let seoul = read_yaml("examples/settings-seoul.yaml");
    let fixed = read_yaml("examples/requests/nodepool-fixed.json");
    let bytes = payload(&seoul, &fixed);
    let mut group = c.benchmark_group("wasm capacity");
    group.sample_size(20);
    for (nodes, pods) in [(1_000, 1_000), (1_000, 10_000), (1_000, 50_000)] {
        let policy = Policy::with_cluster(&big_cluster(nodes, pods));
        assert!(policy.call("validate", &bytes).is_ok());
        group.bench_function(
            format!("NodePool admission: {nodes} nodes, {pods} pods"),
            |b| b.iter(|| policy.call("validate", black_box(&bytes))),
        );
    }
    group.finish();
}

criterion_group!(benches, wasm, wasm_capacity);
criterion_main!(benches);
