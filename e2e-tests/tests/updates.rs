//! The writes a cluster makes besides a user's CREATE, through policy.wasm: controllers' UPDATEs (Karpenter's
//! annotations, the garbage collector's finalizers, a label change), objects the API server has defaulted,
//! and the `scale` subresource. Each of these broke the cluster before the UPDATE rule (docs/behaviour.md: "On UPDATE").

use e2e_tests::{Policy, admission_request, read_yaml, scale_request, seoul, update_request};
use serde_json::{Value, json};

fn cluster() -> Value {
    read_yaml("examples/cluster.yaml")
}

fn incident_pool() -> Value {
    read_yaml("examples/requests/nodepool-incident.json")["object"].clone()
}

fn message(v: &e2e_tests::Verdict) -> String {
    v.message.clone().unwrap_or_default()
}

#[test]
fn karpenters_annotation_patch_of_a_pool_that_predates_the_policy_is_admitted() {
    let old = incident_pool();
    let mut new = old.clone();
    new["metadata"]["annotations"] = json!({"karpenter.sh/nodepool-hash": "6821555240594823858"});
    let policy = Policy::with_cluster(&cluster());
    let v = policy.validate(&seoul(), &update_request(&old, &new));
    assert!(v.accepted, "{}", message(&v));
    assert!(
        v.mutated_object.is_none(),
        "nothing injected on a metadata write"
    );
    // The findings the stored pool already had are named, not enforced.
    for rule in [
        "[nodepool-consolidation-policy] spec.disruption.consolidationPolicy",
        "[nodepool-consolidate-after]",
        "[nodepool-budget-max]",
    ] {
        assert!(v.warns(rule), "{rule} in {:?}", v.warnings);
    }
    assert!(
        policy.calls().is_empty(),
        "a metadata write reads nothing from the cluster: {:?}",
        policy.calls()
    );
}

#[test]
fn an_update_that_makes_a_pool_worse_is_still_rejected() {
    // The stored pool breaks the consolidation rules; the update also raises the budget to 100%.
    let mut old = incident_pool();
    old["spec"]["disruption"]["budgets"] = json!([{"nodes": "10%"}]);
    let new = incident_pool();
    let v = Policy::with_cluster(&cluster()).validate(&seoul(), &update_request(&old, &new));
    assert!(!v.accepted);
    let m = message(&v);
    assert!(
        m.contains("[nodepool-budget-max] spec.disruption.budgets[0].nodes = \"100%\""),
        "{m}"
    );
    // What the update left as it was is not the update's doing.
    assert!(!m.contains("[nodepool-consolidation-policy]"), "{m}");
}

#[test]
fn an_update_that_fixes_one_field_of_a_bad_pool_is_admitted() {
    // consolidateAfter 30s → 5m: the update improves the pool; what it does not touch stays a warning.
    let old = incident_pool();
    let mut new = old.clone();
    new["spec"]["disruption"]["consolidateAfter"] = json!("5m");
    let v = Policy::with_cluster(&cluster()).validate(&seoul(), &update_request(&old, &new));
    assert!(v.accepted, "{}", message(&v));
    assert!(v.warns("[nodepool-budget-max]"), "{:?}", v.warnings);
    // spec.disruption changed, so the freeze is injected as on CREATE.
    let mutated = v.mutated_object.expect("the freeze budgets");
    assert!(
        mutated["spec"]["disruption"]["budgets"]
            .as_array()
            .is_some_and(|b| b.iter().any(|b| b["schedule"] == "0 0 * * 1-5"))
    );
}

#[test]
fn the_garbage_collectors_finalizer_removal_completes_a_foreground_deletion() {
    // checkout has no PDB (examples/cluster.yaml); its deletion must not wait for one.
    let mut old = read_yaml("examples/requests/deployment-checkout-no-pdb.json")["object"].clone();
    old["metadata"]["deletionTimestamp"] = json!("2026-12-04T10:00:00Z");
    old["metadata"]["finalizers"] = json!(["foregroundDeletion"]);
    let mut new = old.clone();
    new["metadata"]["finalizers"] = json!([]);
    for settings in [json!({}), json!({"onLookupFailure": "reject"})] {
        let refusing = Policy::new(); // even when the cluster cannot be read
        let v = refusing.validate(&settings, &update_request(&old, &new));
        assert!(v.accepted, "{}", message(&v));
        assert!(v.mutated_object.is_none() && v.warnings.is_empty());
        assert!(refusing.calls().is_empty());
    }
}

#[test]
fn a_label_change_on_an_older_deployment_does_not_roll_its_pods() {
    let old = read_yaml("examples/requests/deployment-checkout-no-pdb.json")["object"].clone();
    let mut new = old.clone();
    new["metadata"]["labels"]["team"] = json!("payments");
    let policy = Policy::with_cluster(&cluster());
    let v = policy.validate(&json!({}), &update_request(&old, &new));
    assert!(v.accepted, "{}", message(&v));
    assert!(
        v.mutated_object.is_none(),
        "spec.template untouched: no anti-affinity, no rollout"
    );
    assert!(policy.calls().is_empty());

    // A change to the pod template is a rollout anyway: spreading is added, and the PDB the
    // workload lacked (the update leaves spec.replicas as it was) is a warning, not a rejection.
    let mut rollout = old.clone();
    rollout["spec"]["template"]["spec"]["containers"][0]["image"] = json!("checkout:2.0");
    let v = Policy::with_cluster(&cluster()).validate(&json!({}), &update_request(&old, &rollout));
    assert!(v.accepted, "{}", message(&v));
    let mutated = v
        .mutated_object
        .clone()
        .expect("spreading on a template change");
    assert!(mutated["spec"]["template"]["spec"]["affinity"]["podAntiAffinity"].is_object());
    assert!(v.warns("[workload-missing-pdb]"), "{:?}", v.warnings);

    // Raising the replicas of the unprotected workload touches the field the finding is about.
    let mut scaled = old.clone();
    scaled["spec"]["replicas"] = json!(5);
    let v = Policy::with_cluster(&cluster()).validate(&json!({}), &update_request(&old, &scaled));
    assert!(!v.accepted);
    assert!(
        message(&v).contains("[workload-missing-pdb] spec.replicas = 5"),
        "{}",
        message(&v)
    );
}

/// A NodePool without a disruption block, as the API server hands it to webhooks after applying the
/// v1.14.1 CRD's defaults (recorded from kube-apiserver: `e2e-tests/fixtures/cluster/`).
fn defaulted_pool() -> Value {
    let mut pool = incident_pool();
    pool["spec"]["disruption"] = json!({
        "budgets": [{"nodes": "10%"}],
        "consolidateAfter": "0s",
        "consolidationPolicy": "WhenEmptyOrUnderutilized"
    });
    pool
}

#[test]
fn the_crds_defaulted_consolidate_after_is_treated_as_omitted() {
    let settings = json!({"businessHours": {"timezone": "Asia/Seoul"}});
    let v = Policy::with_cluster(&cluster())
        .validate(&settings, &admission_request(&defaulted_pool(), "CREATE"));
    assert!(v.accepted, "{}", message(&v));
    let disruption = &v.mutated_object.expect("mutated")["spec"]["disruption"];
    assert_eq!(disruption["consolidateAfter"], "5m");
    assert!(
        disruption["budgets"]
            .as_array()
            .is_some_and(|b| b.iter().any(|b| b["schedule"] == "0 0 * * 1-5")),
        "{disruption}"
    );
}

#[test]
fn scaling_below_a_pdbs_floor_is_denied_and_above_it_allowed() {
    // order-service: 2 replicas under minAvailable 1 (examples/cluster.yaml).
    let settings = json!({});
    let policy = Policy::with_cluster(&cluster());
    let v = policy.validate(
        &settings,
        &scale_request("Deployment", "shop", "order-service", 2, 1),
    );
    assert!(!v.accepted);
    let m = message(&v);
    assert!(m.contains("[workload-pdb-blocks] spec.replicas = 1"), "{m}");
    assert!(m.contains("order-service"), "{m}");
    let v = policy.validate(
        &settings,
        &scale_request("Deployment", "shop", "order-service", 2, 3),
    );
    assert!(v.accepted && v.mutated_object.is_none(), "{}", message(&v));
    // api-gateway: minAvailable 50% of 3 → 2 scaled to 2 still leaves one pod to evict.
    let v = policy.validate(
        &settings,
        &scale_request("Deployment", "shop", "api-gateway", 3, 2),
    );
    assert!(v.accepted, "{}", message(&v));
}

#[test]
fn status_subresources_are_never_matched() {
    let metadata = read_yaml("metadata.yml");
    for rule in metadata["rules"].as_array().unwrap() {
        for resource in rule["resources"].as_array().unwrap() {
            let resource = resource.as_str().unwrap();
            assert!(!resource.ends_with("/status"), "{resource}");
        }
    }
}
