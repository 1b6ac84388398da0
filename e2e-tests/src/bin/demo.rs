//! `make demo`: evaluates every bundled example admission request through policy.wasm (in wasmtime, as
//! PolicyServer would) with the Seoul team's settings, answering cluster lookups from examples/cluster.yaml,
//! and prints each verdict, message and JSONPatch.

// A demo over the bundled examples: a panic names the broken example.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use e2e_tests::{Policy, read_yaml, repo_root, seoul};

fn main() {
    let settings = seoul();
    let cluster = read_yaml("examples/cluster.yaml");
    let (valid, message) = Policy::new().validate_settings(&settings);
    println!(
        "settings examples/settings-seoul.yaml: {}",
        if valid {
            "valid".into()
        } else {
            format!("INVALID: {message:?}")
        }
    );
    let mut requests: Vec<_> = std::fs::read_dir(repo_root().join("examples/requests"))
        .expect("examples/requests")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    requests.sort();
    for path in requests {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let request: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).expect("read request"))
                .expect("request is JSON");
        let verdict = Policy::with_cluster(&cluster).validate(&settings, &request);
        let label = match (&verdict.accepted, &verdict.mutated_object) {
            (false, _) => "REJECTED",
            (true, Some(_)) => "ACCEPTED with mutation",
            (true, None) => "ACCEPTED",
        };
        println!("\n=== examples/requests/{name}: {label}");
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
