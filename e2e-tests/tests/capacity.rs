//! The capacity calculator at NodePool admission, through policy.wasm: the pool's nodes, pods, PDBs and
//! workloads come from the host's cluster-wide lookups.

use e2e_tests::{Policy, admission_request, read_yaml, seoul};
use serde_json::{Value, json};

/// The outage's cluster: 30 nodes, api-gateway with its 3 replicas on 3 of them.
fn outage_cluster(pdb: Option<Value>) -> Value {
    let nodes: Vec<Value> = (1..=30)
        .map(|i| json!({"metadata": {"name": format!("gp-{i:02}"), "labels": {"karpenter.sh/nodepool": "general-purpose"}}}))
        .chain([json!({"metadata": {"name": "other", "labels": {"karpenter.sh/nodepool": "batch"}}})])
        .collect();
    let pods: Vec<Value> = (1..=3)
        .map(|i| json!({"metadata": {"name": format!("api-gateway-{i}"), "namespace": "shop", "labels": {"app": "api-gateway"}},
            "spec": {"nodeName": format!("gp-{i:02}")}}))
        .collect();
    json!({
        "Node": nodes,
        "Pod": pods,
        "Deployment": [{"metadata": {"name": "api-gateway", "namespace": "shop"}, "spec": {"replicas": 3,
            "selector": {"matchLabels": {"app": "api-gateway"}}, "template": {"metadata": {"labels": {"app": "api-gateway"}}}}}],
        "PodDisruptionBudget": pdb.into_iter().collect::<Vec<_>>(),
    })
}

fn pool(budgets: Value) -> Value {
    let mut p = read_yaml("examples/requests/nodepool-fixed.json")["object"].clone();
    p["spec"]["disruption"] = json!({"consolidationPolicy": "WhenEmptyOrUnderutilized", "consolidateAfter": "5m", "budgets": budgets});
    p
}

fn message(cluster: &Value, settings: &Value, object: &Value) -> Option<String> {
    let v = Policy::with_cluster(cluster).validate(settings, &admission_request(object, "CREATE"));
    (!v.accepted).then(|| v.message.unwrap_or_default())
}

const PDB: &str = r#"{"metadata": {"name": "api-gateway", "namespace": "shop"},
    "spec": {"minAvailable": 2, "selector": {"matchLabels": {"app": "api-gateway"}}}}"#;

#[test]
fn the_outage_is_reproduced_and_rejected() {
    let m = message(
        &outage_cluster(None),
        &json!({}),
        &pool(json!([{"nodes": "10%"}])),
    )
    .expect("rejected");
    assert!(
        m.contains("[nodepool-capacity] spec.disruption.budgets = Deployment shop/api-gateway: budget 10% of 30 nodes = 3 concurrent drains (Underutilized, Drifted, at all times); api-gateway: 3 replicas on 3 nodes, floor 2 (availabilityFloor 50%), worst case 0 left."),
        "{m}"
    );
    assert!(
        m.contains("set every budget's nodes to \"1\" or lower"),
        "{m}"
    );
}

#[test]
fn one_drain_at_a_time_is_safe() {
    assert_eq!(
        message(
            &outage_cluster(None),
            &json!({}),
            &pool(json!([{"nodes": "1"}]))
        ),
        None
    );
}

#[test]
fn a_pdb_protects_unless_termination_grace_period_bypasses_it() {
    let pdb: Value = serde_json::from_str(PDB).unwrap();
    assert_eq!(
        message(
            &outage_cluster(Some(pdb.clone())),
            &json!({}),
            &pool(json!([{"nodes": "10%"}]))
        ),
        None
    );
    let mut with_tgp = pool(json!([{"nodes": "10%"}]));
    with_tgp["spec"]["template"]["spec"]["terminationGracePeriod"] = json!("1h");
    let m = message(&outage_cluster(Some(pdb)), &json!({}), &with_tgp).expect("rejected");
    assert!(
        m.contains("floor 2 (PDB api-gateway)")
            && m.contains("terminationGracePeriod 1h deletes the pods"),
        "{m}"
    );
    assert!(
        m.contains("remove spec.template.spec.terminationGracePeriod"),
        "{m}"
    );
}

/// The outage's cluster with gp-01 annotated `karpenter.sh/do-not-disrupt: "true"` and a log agent on gp-02
/// annotated `value` (no part of api-gateway: any pod holds its node).
fn held_cluster(value: &str, started: &str) -> Value {
    let mut c = outage_cluster(None);
    c["Node"][0]["metadata"]["annotations"] = json!({"karpenter.sh/do-not-disrupt": "true"});
    c["Pod"].as_array_mut().into_iter().for_each(|pods| pods.push(json!({
        "metadata": {"name": "log-agent-x", "namespace": "logging", "annotations": {"karpenter.sh/do-not-disrupt": value}},
        "spec": {"nodeName": "gp-02"}, "status": {"phase": "Running", "startTime": started}})));
    c
}

#[test]
fn nodes_that_do_not_disrupt_holds_are_not_drained() {
    let outage = pool(json!([{"nodes": "10%"}]));
    // gp-01 and gp-02 held: drains reach one api-gateway pod of three.
    assert_eq!(
        message(
            &held_cluster("true", "2026-11-24T05:43:00Z"),
            &json!({}),
            &outage
        ),
        None
    );
    // A duration that lapsed long ago holds nothing: gp-02 and gp-03 may drain together.
    let m = message(
        &held_cluster("1h", "2020-01-01T00:00:00Z"),
        &json!({}),
        &outage,
    )
    .expect("rejected");
    assert!(
        m.contains("api-gateway: 3 replicas on 3 nodes (1 held by karpenter.sh/do-not-disrupt now), floor 2 (availabilityFloor 50%), worst case 1 left."),
        "{m}"
    );
}

#[test]
fn the_example_batch_pool_names_the_unprotected_workload() {
    let v = Policy::with_cluster(&read_yaml("examples/cluster.yaml")).validate(
        &seoul(),
        &read_yaml("examples/requests/nodepool-batch.json"),
    );
    assert!(!v.accepted);
    let m = v.message.unwrap_or_default();
    assert!(m.contains("report-generator: 3 replicas on 2 nodes, floor 2 (availabilityFloor 50%), worst case 1 left"), "{m}");
    assert!(m.contains("no budget above 0 keeps its floor"), "{m}");
}

#[test]
fn lookups_are_scoped_and_skipped_when_there_is_nothing_to_check() {
    // A new pool: only its nodes are asked for, by label.
    let policy = Policy::with_cluster(&outage_cluster(None));
    let mut new_pool = pool(json!([{"nodes": "10%"}]));
    new_pool["metadata"]["name"] = json!("brand-new");
    assert!(
        policy
            .validate(&json!({}), &admission_request(&new_pool, "CREATE"))
            .accepted
    );
    let calls = policy.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].0, "kubewarden/kubernetes/list_resources_all");
    assert_eq!(
        calls[0].1["label_selector"],
        "karpenter.sh/nodepool=brand-new"
    );
    // Disabled: no lookups at all, the settings rules still apply.
    let policy = Policy::new();
    let v = policy.validate(
        &json!({"capacity": {"enabled": false}}),
        &admission_request(&pool(json!([{"nodes": "10%"}])), "CREATE"),
    );
    assert!(v.accepted, "{:?}", v.message);
    assert!(policy.calls().is_empty());
}

#[test]
fn refused_lookups_fail_closed_for_node_pools() {
    let v = Policy::new().validate(
        &json!({}),
        &admission_request(&pool(json!([{"nodes": "10%"}])), "CREATE"),
    );
    assert!(!v.accepted);
    assert!(
        v.message
            .unwrap_or_default()
            .contains("[context-lookup-failed]")
    );
    let v = Policy::new().validate(
        &json!({"onLookupFailure": "accept"}),
        &admission_request(&pool(json!([{"nodes": "10%"}])), "CREATE"),
    );
    assert!(v.accepted);
    assert!(v.warns("checks skipped"), "{:?}", v.warnings);
}

fn render(pod_spec: Value) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "render", "namespace": "analytics"},
        "spec": {"replicas": 4, "selector": {"matchLabels": {"app": "render"}},
                 "template": {"metadata": {"labels": {"app": "render"}}, "spec": pod_spec}}})
}

#[test]
fn a_workload_whose_pods_may_share_a_node_of_its_pool_is_rejected() {
    let cluster = read_yaml("examples/cluster.yaml");
    let settings =
        json!({"workloads": {"requirePdb": false, "antiAffinity": "off", "topologySpread": "off"}});
    let packed = render(json!({"nodeSelector": {"karpenter.sh/nodepool": "batch"}}));
    let m = message(&cluster, &settings, &packed).expect("rejected");
    assert!(
        m.contains("[workload-capacity] spec.template.spec.affinity = NodePool batch: NodePool batch (10 nodes) allows 1 concurrent drain"),
        "{m}"
    );
    assert!(
        m.contains("4 of 4 replicas may share a node (nothing keeps them apart"),
        "{m}"
    );
    let apart = render(
        json!({"nodeSelector": {"karpenter.sh/nodepool": "batch"}, "affinity": {"podAntiAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": [{"topologyKey": "kubernetes.io/hostname", "labelSelector": {"matchLabels": {"app": "render"}}}]}}}),
    );
    assert_eq!(
        message(&cluster, &settings, &apart),
        None,
        "one replica per node: a drain loses one"
    );
    let policy = Policy::with_cluster(&cluster);
    policy.validate(&settings, &admission_request(&packed, "CREATE"));
    let pool_lookup = policy
        .calls()
        .into_iter()
        .find(|(_, r)| r["kind"] == "NodePool")
        .expect("NodePools are listed");
    assert_eq!(pool_lookup.0, "kubewarden/kubernetes/list_resources_all");
    assert!(
        pool_lookup.1["field_masks"]
            .as_array()
            .unwrap()
            .contains(&json!("status.nodes"))
    );
}

#[test]
fn a_pool_reporting_a_billion_nodes_is_judged_at_once() {
    // status.nodes is the host's number and replicas the user's: neither may set how long the calculator
    // works (1 s is a safety net, not a benchmark).
    let mut cluster = read_yaml("examples/cluster.yaml");
    cluster["NodePool"][1]["status"]["nodes"] = json!(1_000_000_000u64);
    let settings =
        json!({"workloads": {"requirePdb": false, "antiAffinity": "off", "topologySpread": "off"}});
    let mut apart = render(
        json!({"nodeSelector": {"karpenter.sh/nodepool": "batch"}, "affinity": {"podAntiAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": [{"topologyKey": "kubernetes.io/hostname", "labelSelector": {"matchLabels": {"app": "render"}}}]}}}),
    );
    apart["spec"]["replicas"] = json!(2_000_000_000u64);
    let mut spread = render(
        json!({"nodeSelector": {"karpenter.sh/nodepool": "batch"}, "topologySpreadConstraints": [
        {"maxSkew": 2147483647, "topologyKey": "kubernetes.io/hostname", "whenUnsatisfiable": "DoNotSchedule",
         "labelSelector": {"matchLabels": {"app": "render"}}}]}),
    );
    spread["spec"]["replicas"] = json!(4);
    let policy = Policy::with_cluster(&cluster); // compiled and instantiated before the clock starts
    let timed = |object: &Value| {
        let started = std::time::Instant::now();
        let v = policy.validate(&settings, &admission_request(object, "CREATE"));
        assert!(
            started.elapsed() < std::time::Duration::from_secs(1),
            "{:?}",
            started.elapsed()
        );
        v
    };
    // One replica per node: the 100,000,000 drains of 10% leave 1,900,000,000 of 2,000,000,000.
    let v = timed(&apart);
    assert!(v.accepted, "{:?}", v.message);
    // A spread whose maxSkew times the pool's size does not fit in 64 bits still allows all 4 on one node.
    let m = timed(&spread).message.unwrap_or_default();
    assert!(
        m.contains("NodePool batch (1000000000 nodes) allows 100000000 concurrent drains"),
        "{m}"
    );
    assert!(m.contains("4 of 4 replicas may share a node"), "{m}");
}

#[test]
fn a_cluster_too_big_to_read_skips_the_calculator_with_a_warning_never_a_rejection() {
    let node = |i: usize| json!({"metadata": {"name": format!("batch-{i:02}"), "labels": {"karpenter.sh/nodepool": "batch"}}});
    let pod = |i: usize| {
        json!({"metadata": {"name": format!("p{i}"), "namespace": "ns", "labels": {"app": "web"}},
               "spec": {"nodeName": format!("batch-{:02}", i % 10)}})
    };
    let cluster = |karpenter_nodes: u64, pods: usize| {
        let pools = json!([{"metadata": {"name": "batch"}, "status": {"nodes": 10}},
                           {"metadata": {"name": "general-purpose"}, "status": {"nodes": karpenter_nodes - 10}}]);
        let nodes: Vec<Value> = (0..10).map(node).collect();
        let pods: Vec<Value> = (0..pods).map(pod).collect();
        json!({"NodePool": pools, "Node": nodes, "Pod": pods})
    };
    let request = read_yaml("examples/requests/nodepool-batch.json");

    // NodePools holding 151 nodes: skipped before any pod is listed (150,000 of them here).
    let policy = Policy::with_cluster(&cluster(151, 150_000));
    let v = policy.validate(&json!({}), &request);
    assert!(v.accepted, "{:?}", v.message);
    assert!(
        v.warns(
            "capacity check skipped: the cluster's NodePools hold 151 nodes, more than the 150"
        ),
        "{:?}",
        v.warnings
    );
    let kinds: Vec<Value> = policy
        .calls()
        .into_iter()
        .map(|(_, r)| r["kind"].clone())
        .collect();
    assert_eq!(kinds, ["Node", "NodePool"]);

    // 150 nodes, but more pods than the calculator analyses: the backstop.
    let payload = json!({"settings": {}, "request": request})
        .to_string()
        .into_bytes();
    let policy = Policy::serving(std::sync::Arc::new(cluster(150, 25_001)));
    policy.warm_up(&payload); // the test host builds its answers once, untimed
    let v = e2e_tests::parse_verdict(&policy.call("validate", &payload).expect("an answer"));
    assert!(v.accepted, "{:?}", v.message);
    assert!(
        v.warns("capacity check skipped: the cluster runs 25001 pods"),
        "{:?}",
        v.warnings
    );
}
