//! `make demo`: evaluates every bundled example admission request through policy.wasm (in wasmtime, as
//! PolicyServer would) with the Seoul team's settings (and those of examples/requests/maintenance-windows/
//! with a Berlin team's maintenance window), answering cluster lookups from examples/cluster.yaml, and
//! prints each verdict, message and JSONPatch.

// A demo over the bundled examples: a panic names the broken example.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use e2e_tests::{Policy, read_yaml, repo_root};
use serde_json::Value;

/// The example requests of a directory (not its subdirectories), in name order.
fn requests_in(dir: &str) -> Vec<std::path::PathBuf> {
    let mut requests: Vec<_> = std::fs::read_dir(repo_root().join(dir))
        .expect(dir)
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    requests.sort();
    requests
}

fn main() {
    let cluster = read_yaml("examples/cluster.yaml");
    // The Seoul team's settings for the outage's examples; a Berlin team's maintenance window for theirs.
    let groups = [
        ("examples/settings-seoul.yaml", "examples/requests"),
        (
            "examples/settings-berlin-maintenance.yaml",
            "examples/requests/maintenance-windows",
        ),
    ];
    for (i, (settings_file, dir)) in groups.into_iter().enumerate() {
        if i > 0 {
            println!();
        }
        evaluate_group(&read_yaml(settings_file), settings_file, dir, &cluster);
    }
    expiry_forecast(&cluster);
    fix_the_outage(&cluster);
}

/// `disruption-guard fix` on the cluster as it was at the outage: the same services, no PDB at all. Each
/// replicated service gets the PDB the policy accepts; the pools get nothing, their freeze being there.
fn fix_the_outage(cluster: &Value) {
    use disruption_guard_engine::fix::{self, Action, Written};
    use disruption_guard_engine::kube::objects::manifest_objects;
    use disruption_guard_engine::settings::Settings;
    use disruption_guard_engine::testkit::INCIDENT;
    let mut objects = Vec::new();
    manifest_objects(cluster.clone(), &mut objects);
    objects.retain(|o| o["kind"] != "PodDisruptionBudget");
    let settings =
        Settings::decode(&read_yaml("examples/settings-seoul.yaml")).expect("valid settings");
    println!(
        "\n=== disruption-guard fix on examples/cluster.yaml without its PDBs (the cluster at the outage), as \
         `disruption-guard fix --cluster SNAPSHOT --output -` writes it"
    );
    for row in fix::plan(&objects, &[], &settings, INCIDENT) {
        let shown = match (row.namespace.as_str(), row.replicas) {
            ("", _) => format!("{} {}", row.kind, row.name),
            (ns, Some(n)) => format!("{} {ns}/{} ({n} replicas)", row.kind, row.name),
            (ns, None) => format!("{} {ns}/{}", row.kind, row.name),
        };
        match (&row.action, &row.written) {
            (Action::Write, Some(Written::Pdb(_))) => {
                println!("fix: {shown}: written: {}", row.reason)
            }
            _ => println!("fix: {shown}: nothing: {}", row.reason),
        }
    }
}

/// The expiry forecast depends on the instant: at the outage's, as `disruption-guard check --now` runs the
/// engine, the example cluster's nodes that will expire inside Seoul business hours.
fn expiry_forecast(cluster: &Value) {
    use disruption_guard_engine::admission::{self, Decision};
    use disruption_guard_engine::kube::objects::{Cluster, manifest_objects};
    use disruption_guard_engine::settings::Settings;
    use disruption_guard_engine::testkit::{INCIDENT, INCIDENT_RFC3339};
    let mut objects = Vec::new();
    manifest_objects(cluster.clone(), &mut objects);
    let cluster = Cluster::from_objects(&objects);
    let settings =
        Settings::decode(&read_yaml("examples/settings-seoul.yaml")).expect("valid settings");
    let pool = read_yaml("examples/requests/nodepool-fixed.json")["object"].clone();
    println!(
        "\n=== expiry forecast of examples/requests/nodepool-fixed.json at the outage's instant ({INCIDENT_RFC3339}), as \
         `disruption-guard check --cluster examples/cluster.yaml --now {INCIDENT_RFC3339}` gives it"
    );
    let decision = admission::nodepool(&pool, None, &settings, INCIDENT, Some(Ok(&cluster)));
    if let Decision::Accept { warnings } | Decision::Mutate { warnings, .. } = decision {
        for w in warnings {
            println!("warning: {w}");
        }
    }
}

fn evaluate_group(settings: &Value, settings_file: &str, dir: &str, cluster: &Value) {
    let (valid, message) = Policy::new().validate_settings(settings);
    println!(
        "settings {settings_file}: {}",
        if valid {
            "valid".into()
        } else {
            format!("INVALID: {message:?}")
        }
    );
    for path in requests_in(dir) {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let request: Value = serde_json::from_slice(&std::fs::read(&path).expect("read request"))
            .expect("request is JSON");
        let verdict = Policy::with_cluster(cluster).validate(settings, &request);
        let label = match (&verdict.accepted, &verdict.mutated_object) {
            (false, _) => "REJECTED",
            (true, Some(_)) => "ACCEPTED with mutation",
            (true, None) => "ACCEPTED",
        };
        println!("\n=== {}/{name}: {label}", Path::new(dir).display());
        if let Some(message) = &verdict.message {
            println!("{message}");
        }
        for w in &verdict.warnings {
            println!("warning: {w}");
        }
        if let Some(mutated) = &verdict.mutated_object {
            let patch = json_patch::diff(&request["object"], mutated);
            println!(
                "patch: {}",
                serde_json::to_string_pretty(&patch).unwrap_or_default()
            );
        }
    }
}
