//! Structure-aware: the fuzzer's bytes are the admitted object (seeded with NodePools, PDBs and
//! Deployments, mutated with the JSON dictionary), wrapped in a well-formed admission request, so the
//! rules, mutation and calculator all see it.
#![no_main]
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

fuzz_target!(|data: &[u8]| {
    let Ok(object) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let kind = object["kind"].as_str().unwrap_or("NodePool").to_string();
    let group = match kind.as_str() {
        "PodDisruptionBudget" => "policy",
        "Deployment" | "StatefulSet" => "apps",
        _ => "karpenter.sh",
    };
    let gvk = json!({"group": group, "version": "v1", "kind": kind});
    let settings =
        json!({"businessHours": {"timezone": "Europe/Berlin"}, "onLookupFailure": "accept"});
    let request = json!({"settings": settings, "request": {
        "uid": "fuzz", "kind": gvk, "resource": {"group": group, "version": "v1", "resource": "x"},
        "requestKind": gvk, "requestResource": {"group": group, "version": "v1", "resource": "x"},
        "name": "fuzz", "namespace": "default", "operation": "CREATE", "userInfo": {}, "object": object,
        "dryRun": false, "options": {}}});
    let _ = disruption_guard::validate(request.to_string().as_bytes());
});
