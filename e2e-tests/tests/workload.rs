//! Deployment and StatefulSet admission through policy.wasm, with cluster lookups answered from
//! examples/cluster.yaml (namespace shop).

// Test code: a panic is a failed test, with the reason in its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use e2e_tests::{Policy, admission_request, read_yaml};
use serde_json::{Value, json};

fn cluster() -> Value {
    read_yaml("examples/cluster.yaml")
}

fn message(v: &e2e_tests::Verdict) -> String {
    v.message.clone().unwrap_or_default()
}

/// The example cluster with a PDB (`minAvailable: 50%`) that protects `shop/checkout`.
fn cluster_where_checkout_has_a_pdb() -> Value {
    let mut c = cluster();
    c["PodDisruptionBudget"].as_array_mut().unwrap().push(
        json!({"metadata": {"name": "checkout", "namespace": "shop"},
        "spec": {"minAvailable": "50%", "selector": {"matchLabels": {"app": "checkout"}}}}),
    );
    c
}
#[test]
fn a_replicated_deployment_without_pdb_is_rejected_with_an_apply_ready_pdb() {
    let request = read_yaml("examples/requests/deployment-checkout-no-pdb.json");
    let v = Policy::with_cluster(&cluster()).validate(&json!({}), &request);
    assert!(!v.accepted);
    let m = message(&v);
    assert!(m.contains("[workload-missing-pdb]"), "{m}");
    // The rendered PDB, between the heredoc markers, is a valid PDB that the same guard accepts.
    let yaml = m
        .split("<<'EOF'\n")
        .nth(1)
        .and_then(|rest| rest.split("\nEOF").next())
        .expect("a heredoc in the message");
    let rendered: Value = serde_yaml::from_str(yaml).expect("the rendered PDB is YAML");
    assert_eq!(rendered["apiVersion"], "policy/v1");
    assert_eq!(rendered["kind"], "PodDisruptionBudget");
    assert_eq!(
        rendered["metadata"],
        json!({"name": "checkout", "namespace": "shop"})
    );
    assert_eq!(
        rendered["spec"]["selector"],
        json!({"matchLabels": {"app": "checkout"}})
    );
    assert_eq!(rendered["spec"]["minAvailable"], "50%");
    assert_eq!(
        rendered,
        read_yaml("policies/examples/checkout-pdb.yaml"),
        "the shipped example is what the policy renders"
    );
    let v = Policy::with_cluster(&cluster())
        .validate(&json!({}), &admission_request(&rendered, "CREATE"));
    assert!(
        v.accepted && v.mutated_object.is_none(),
        "the rendered PDB passes as is: {:?}",
        v.message
    );

    // With that PDB in the cluster, the Deployment is accepted (and spread).
    let mut with_pdb = cluster();
    with_pdb["PodDisruptionBudget"]
        .as_array_mut()
        .unwrap()
        .push(rendered);
    let v = Policy::with_cluster(&with_pdb).validate(&json!({}), &request);
    assert!(v.accepted, "{:?}", v.message);
    assert!(v.mutated_object.is_some());
}

#[test]
fn scaling_down_under_an_existing_pdb_is_rejected() {
    // order-service: PDB minAvailable 1, scaled from 2 to 1.
    let v = Policy::with_cluster(&cluster()).validate(
        &json!({}),
        &read_yaml("examples/requests/deployment-order-service-scale-to-1.json"),
    );
    assert!(!v.accepted);
    let m = message(&v);
    assert!(
        m.contains("[workload-pdb-blocks] spec.replicas = 1")
            && m.contains("PDB order-service (minAvailable: 1)"),
        "{m}"
    );
}

#[test]
fn two_replicas_under_min_available_two_is_rejected_when_the_deployment_comes_second() {
    let mut c = cluster();
    c["PodDisruptionBudget"] = json!([{"metadata": {"name": "web", "namespace": "shop"},
        "spec": {"minAvailable": 2, "selector": {"matchLabels": {"app": "web"}}}}]);
    let web = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop"},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}}, "template": {"metadata": {"labels": {"app": "web"}}, "spec": {}}}});
    let v = Policy::with_cluster(&c).validate(&json!({}), &admission_request(&web, "CREATE"));
    assert!(!v.accepted);
    assert!(
        message(&v).contains("[workload-pdb-blocks]"),
        "{}",
        message(&v)
    );
}

#[test]
fn a_single_replica_deployment_is_left_alone() {
    let request = read_yaml("examples/requests/deployment-worker-single.json");
    let v = Policy::with_cluster(&cluster()).validate(&json!({}), &request);
    assert!(v.accepted, "{:?}", v.message);
    assert!(
        v.mutated_object.is_none(),
        "no PDB demanded, no spreading injected"
    );
}

#[test]
fn injected_spreading_selects_the_pod_template_labels() {
    let c = cluster_where_checkout_has_a_pdb();
    let request = read_yaml("examples/requests/deployment-checkout-no-pdb.json");
    let v = Policy::with_cluster(&c).validate(&json!({}), &request);
    let mutated = v.mutated_object.expect("spreading injected");
    let pod_spec = &mutated["spec"]["template"]["spec"];
    let term = &pod_spec["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]
        [0]["podAffinityTerm"];
    assert_eq!(term["topologyKey"], "kubernetes.io/hostname");
    assert_eq!(
        term["labelSelector"],
        json!({"matchLabels": {"app": "checkout"}})
    );
    assert_eq!(
        mutated["spec"]["template"]["metadata"]["labels"]["app"], "checkout",
        "the selector matches the template"
    );
    assert_ne!(
        term["labelSelector"]["matchLabels"], mutated["metadata"]["labels"],
        "not the object's labels"
    );
    let tsc = &pod_spec["topologySpreadConstraints"][0];
    assert_eq!(tsc["topologyKey"], "topology.kubernetes.io/zone");
    assert_eq!(tsc["labelSelector"], term["labelSelector"]);
    assert_eq!(
        v.warnings.len(),
        2,
        "each change is reported: {:?}",
        v.warnings
    );
    // Required anti-affinity and hostname spread per settings.
    let settings = json!({"workloads": {"antiAffinity": "required", "topologySpread": "hostname"}});
    let v = Policy::with_cluster(&c).validate(&settings, &request);
    let pod_spec = &v.mutated_object.unwrap()["spec"]["template"]["spec"];
    assert!(
        pod_spec["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
            .is_array()
    );
    assert_eq!(
        pod_spec["topologySpreadConstraints"][0]["topologyKey"],
        "kubernetes.io/hostname"
    );
}

#[test]
fn karpenter_annotations_are_reported_as_warnings() {
    let c = cluster_where_checkout_has_a_pdb();
    let mut request = read_yaml("examples/requests/deployment-checkout-no-pdb.json");
    request["object"]["spec"]["template"]["metadata"]["annotations"] =
        json!({"karpenter.sh/do-not-disrupt": "true", "karpenter.sh/do-not-evict": "true"});
    let v = Policy::with_cluster(&c).validate(&json!({}), &request);
    assert!(v.accepted, "{:?}", v.message);
    assert!(v.warns("[workload-do-not-disrupt]"), "{:?}", v.warnings);
    assert!(
        v.warnings
            .iter()
            .any(|w| w.contains("[workload-do-not-evict]") && w.contains("does nothing")),
        "{:?}",
        v.warnings
    );
}

/// Karpenter v1.12+ reads do-not-disrupt as "true" or a positive Go duration, and ignores anything else.
#[test]
fn a_do_not_disrupt_duration_passes_and_a_value_karpenter_ignores_is_named() {
    let c = cluster_where_checkout_has_a_pdb();
    let verdict = |value: &str| {
        let mut request = read_yaml("examples/requests/deployment-checkout-no-pdb.json");
        request["object"]["spec"]["template"]["metadata"]["annotations"] =
            json!({"karpenter.sh/do-not-disrupt": value});
        Policy::with_cluster(&c).validate(&json!({}), &request)
    };
    let duration = verdict("30m");
    assert!(duration.accepted, "{:?}", duration.message);
    assert!(
        !duration.warns("[workload-do-not-disrupt]"),
        "{:?}",
        duration.warnings
    );
    let ignored = verdict("yes");
    assert!(ignored.accepted, "{:?}", ignored.message);
    assert!(
        ignored
            .warnings
            .iter()
            .any(|w| w.contains("[workload-do-not-disrupt]") && w.contains("Karpenter ignores it")),
        "{:?}",
        ignored.warnings
    );
}

#[test]
fn statefulsets_are_guarded_too() {
    let mut c = cluster();
    c["PodDisruptionBudget"] = json!([]);
    let postgres = json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "postgres", "namespace": "shop"},
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "postgres"}}, "template": {"metadata": {"labels": {"app": "postgres"}}, "spec": {}}}});
    let v = Policy::with_cluster(&c).validate(&json!({}), &admission_request(&postgres, "CREATE"));
    assert!(
        message(&v).contains(
            "no PodDisruptionBudget in namespace shop covers the pods of StatefulSet postgres"
        ),
        "{}",
        message(&v)
    );
}

#[test]
fn pods_under_two_pdbs_are_rejected() {
    let mut c = cluster();
    c["PodDisruptionBudget"].as_array_mut().unwrap().push(json!({"metadata": {"name": "order-service-extra", "namespace": "shop"},
        "spec": {"maxUnavailable": 1, "selector": {"matchExpressions": [{"key": "app", "operator": "In", "values": ["order-service"]}]}}}));
    let mut update = read_yaml("examples/requests/deployment-order-service-scale-to-1.json");
    update["object"]["spec"]["replicas"] = json!(3);
    let create = admission_request(&update["object"], "CREATE");
    let v = Policy::with_cluster(&c).validate(&json!({}), &create);
    assert!(!v.accepted);
    assert!(
        message(&v).contains("[workload-pdb-overlap]")
            && message(&v).contains("order-service, order-service-extra"),
        "{}",
        message(&v)
    );
    // The stored Deployment had the same pod labels, so an UPDATE of its replicas did not bring the
    // overlap: it is named, not enforced.
    let v = Policy::with_cluster(&c).validate(&json!({}), &update);
    assert!(v.accepted, "{}", message(&v));
    assert!(v.warns("[workload-pdb-overlap]"), "{:?}", v.warnings);
}

#[test]
fn a_spread_constraint_that_selects_other_pods_is_warned_about() {
    let c = cluster_where_checkout_has_a_pdb();
    let mut request = read_yaml("examples/requests/deployment-checkout-no-pdb.json");
    request["object"]["spec"]["template"]["spec"]["topologySpreadConstraints"] = json!([{"maxSkew": 1,
        "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule", "labelSelector": {"matchLabels": {"distributed": "required"}}}]);
    let v = Policy::with_cluster(&c).validate(&json!({}), &request);
    assert!(v.accepted, "{:?}", v.message);
    assert!(
        v.warns("[workload-spread-selects-nothing]"),
        "{:?}",
        v.warnings
    );
    let mutated = v.mutated_object.expect("anti-affinity is still added");
    assert_eq!(
        mutated["spec"]["template"]["spec"]["topologySpreadConstraints"],
        request["object"]["spec"]["template"]["spec"]["topologySpreadConstraints"],
        "the user's constraint is kept"
    );
}
