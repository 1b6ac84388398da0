//! PodDisruptionBudget admission through policy.wasm, with cluster lookups answered from
//! examples/cluster.yaml (namespace shop).

use e2e_tests::{Policy, admission_request, read_yaml};
use serde_json::{Value, json};

fn cluster() -> Value {
    read_yaml("examples/cluster.yaml")
}

fn pdb(name: &str, spec: Value) -> Value {
    json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": name, "namespace": "shop"}, "spec": spec})
}

fn selecting(app: &str, mut spec: Value) -> Value {
    spec["selector"] = json!({"matchLabels": {"app": app}});
    spec
}

fn evaluate(cluster: &Value, object: &Value) -> e2e_tests::Verdict {
    Policy::with_cluster(cluster).validate(&json!({}), &admission_request(object, "CREATE"))
}

fn message(v: &e2e_tests::Verdict) -> String {
    v.message.clone().unwrap_or_default()
}

#[test]
fn pdbs_that_never_allow_a_disruption_are_rejected() {
    for spec in [
        json!({"maxUnavailable": 0}),
        json!({"maxUnavailable": "0%"}),
        json!({"minAvailable": "100%"}),
    ] {
        let v = evaluate(
            &cluster(),
            &pdb("api-gateway", selecting("api-gateway", spec.clone())),
        );
        assert!(!v.accepted, "{spec}");
        assert!(
            message(&v).contains("[pdb-never-disrupts]"),
            "{spec}: {}",
            message(&v)
        );
    }
}

#[test]
fn min_available_equal_to_the_replicas_is_rejected_when_the_pdb_comes_second() {
    // order-service has 2 replicas in the cluster.
    let v = evaluate(
        &cluster(),
        &pdb(
            "order-strict",
            selecting("order-service", json!({"minAvailable": 2})),
        ),
    );
    assert!(!v.accepted);
    let m = message(&v);
    assert!(
        m.contains("[pdb-blocks-workload]")
            && m.contains("Deployment order-service with 2 replica(s)"),
        "{m}"
    );
    // It also overlaps the existing order-service PDB.
    assert!(
        m.contains("[pdb-overlap]") && m.contains("PDB order-service"),
        "{m}"
    );
}

#[test]
fn fifty_percent_over_three_replicas_is_accepted_with_defaults_filled() {
    let request = read_yaml("examples/requests/pdb-api-gateway-half.json");
    let v = Policy::with_cluster(&cluster()).validate(&json!({}), &request);
    assert!(v.accepted, "{:?}", v.message);
    let mutated = v
        .mutated_object
        .expect("unhealthyPodEvictionPolicy is defaulted");
    assert_eq!(mutated["spec"]["unhealthyPodEvictionPolicy"], "AlwaysAllow");
    assert_eq!(
        mutated["spec"]["minAvailable"], "50%",
        "the user's value is kept"
    );
}

#[test]
fn hpa_min_replicas_counts_as_the_replica_count() {
    // search runs 4 replicas, but its HPA may scale it to 2.
    let v = Policy::with_cluster(&cluster()).validate(
        &json!({}),
        &read_yaml("examples/requests/pdb-search-min-2.json"),
    );
    assert!(!v.accepted);
    assert!(
        message(&v).contains("2 replica(s) (HPA search minReplicas)"),
        "{}",
        message(&v)
    );
}

#[test]
fn empty_selectors_are_rejected() {
    let v = evaluate(
        &cluster(),
        &pdb("everything", json!({"minAvailable": 1, "selector": {}})),
    );
    assert!(
        message(&v).contains("[pdb-selector] spec.selector = {}"),
        "{}",
        message(&v)
    );
    let v = evaluate(&cluster(), &pdb("nothing", json!({"minAvailable": 1})));
    assert!(message(&v).contains("selects no pods"), "{}", message(&v));
}

#[test]
fn match_expressions_are_understood() {
    let spec = json!({"maxUnavailable": 1, "selector": {"matchExpressions": [{"key": "app", "operator": "In", "values": ["debug"]}]}});
    assert!(
        evaluate(&cluster(), &pdb("debug", spec)).accepted,
        "selects only the bare debug pod"
    );
    let overlapping = json!({"maxUnavailable": 1, "selector": {"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["debug"]}]}});
    let v = evaluate(&cluster(), &pdb("not-debug", overlapping));
    assert!(
        message(&v).contains("[pdb-overlap]"),
        "NotIn selects order-service too: {}",
        message(&v)
    );
}

#[test]
fn a_pdb_with_neither_field_gets_the_default_min_available() {
    let v = evaluate(
        &cluster(),
        &pdb("api-gateway", selecting("api-gateway", json!({}))),
    );
    assert!(v.accepted, "{:?}", v.message);
    assert_eq!(v.mutated_object.unwrap()["spec"]["minAvailable"], "50%");
}

#[test]
fn lookups_ask_the_namespace_with_field_masks() {
    let policy = Policy::with_cluster(&cluster());
    policy.validate(
        &json!({}),
        &read_yaml("examples/requests/pdb-api-gateway-half.json"),
    );
    let calls = policy.calls();
    let kinds: Vec<&str> = calls
        .iter()
        .map(|(_, r)| r["kind"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        kinds,
        [
            "PodDisruptionBudget",
            "Deployment",
            "StatefulSet",
            "HorizontalPodAutoscaler",
            "Pod"
        ]
    );
    for (op, request) in &calls {
        assert_eq!(op, "kubewarden/kubernetes/list_resources_by_namespace");
        assert_eq!(request["namespace"], "shop");
        assert!(
            request["field_masks"]
                .as_array()
                .is_some_and(|m| m.contains(&json!("metadata.name"))),
            "{request}"
        );
    }
}

#[test]
fn refused_lookups_reject_by_default_and_can_be_skipped() {
    let request = read_yaml("examples/requests/pdb-api-gateway-half.json");
    let v = Policy::new().validate(&json!({}), &request);
    assert!(!v.accepted);
    assert!(
        message(&v).contains("[context-lookup-failed]") && message(&v).contains("get/list/watch"),
        "{}",
        message(&v)
    );
    let v = Policy::new().validate(&json!({"onLookupFailure": "accept"}), &request);
    assert!(v.accepted);
    assert!(v.warns("checks skipped"), "{:?}", v.warnings);
}

#[test]
fn malformed_pdbs_are_rejected_with_the_field_named() {
    for (spec, expected) in [
        (
            json!({"minAvailable": 1, "maxUnavailable": 1}),
            "minAvailable and maxUnavailable cannot be both set",
        ),
        (
            json!({"minAvailable": "2"}),
            "minAvailable: \"2\" is neither an integer nor a percentage",
        ),
        (
            json!({"maxUnavailable": "150%"}),
            "must be between 0% and 100%",
        ),
    ] {
        let v = evaluate(
            &cluster(),
            &pdb("api-gateway", selecting("api-gateway", spec.clone())),
        );
        assert!(!v.accepted, "{spec}");
        assert!(
            message(&v).contains("[pdb-invalid]") && message(&v).contains(expected),
            "{spec}: {}",
            message(&v)
        );
    }
}

#[test]
fn listed_items_are_never_dropped_silently() {
    let second = pdb(
        "gateway-too",
        selecting("api-gateway", json!({"maxUnavailable": 1})),
    );
    // Go writes a nil map as null: the existing PDB still counts, and the overlap with it is seen.
    let mut c = cluster();
    c["PodDisruptionBudget"][0]["metadata"]["labels"] = Value::Null; // api-gateway
    let m = message(&evaluate(&c, &second));
    assert!(
        m.contains("[pdb-overlap] spec.selector = overlaps PDB api-gateway"),
        "{m}"
    );
    // An item the policy cannot read fails the lookup, naming it, instead of vanishing with its overlap.
    c["PodDisruptionBudget"][0]["spec"]["selector"] = json!("app=api-gateway");
    let m = message(&evaluate(&c, &second));
    assert!(m.contains("[context-lookup-failed]"), "{m}");
    assert!(
        m.contains("a PodDisruptionBudget (api-gateway) that cannot be read"),
        "{m}"
    );
}
