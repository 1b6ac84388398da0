//! The benchmark cases of issue 7, shared by `benches/wasm.rs` (criterion, native and wasm) and
//! `benches/table.rs` (medians and p99 side by side): Kubewarden `validate` payloads and the cluster the
//! host answers lookups from.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::{Cluster, admission_request, read_yaml, seoul};

pub struct Case {
    pub name: String,
    /// The waPC `validate` payload: `{"settings": …, "request": …}`.
    pub payload: Vec<u8>,
    /// What the host answers lookups from (empty: no objects of any kind).
    pub cluster: Arc<Cluster>,
}

fn case(name: &str, settings: &Value, request: &Value, cluster: &Arc<Cluster>) -> Case {
    Case {
        name: name.to_string(),
        payload: json!({"settings": settings, "request": request})
            .to_string()
            .into_bytes(),
        cluster: cluster.clone(),
    }
}

/// Validation alone: the NodePool cases leave the capacity calculator out (it has cases of its own).
fn settings_for(zone: &str) -> Value {
    let mut s = seoul();
    s["businessHours"]["timezone"] = json!(zone);
    s["capacity"] = json!({"enabled": false});
    s
}

/// The Berlin team's maintenance-window settings with other `windows`, validation alone.
fn maintenance_windows(windows: Value) -> Value {
    let mut s = read_yaml("examples/settings-berlin-maintenance.yaml");
    s["maintenanceWindows"]["windows"] = windows;
    s["capacity"] = json!({"enabled": false});
    s
}

/// The most windows settings allow, every day, each a little longer than Berlin's clock change and each
/// of another length: 98 frozen stretches a week, of 14 shapes per offset.
fn fourteen_windows() -> Value {
    let mut start = 0;
    (0..14)
        .map(|i| {
            let end = start + 61 + i;
            let window = json!({"days": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
                "start": format!("{:02}:{:02}", start / 60, start % 60),
                "end": format!("{:02}:{:02}", end / 60, end % 60)});
            start = end + 15 + 3 * i;
            window
        })
        .collect()
}

/// A fixed NodePool whose freeze budgets cover `zone`'s business hours (one per UTC offset).
fn pool_frozen_for(freezes: &[&str]) -> Value {
    let mut pool = read_yaml("examples/requests/nodepool-fixed.json")["object"].clone();
    let mut budgets = vec![json!({"nodes": "10%"})];
    budgets.extend(
        freezes
            .iter()
            .map(|s| json!({"nodes": "0", "schedule": s, "duration": "9h"})),
    );
    pool["spec"]["disruption"]["budgets"] = Value::Array(budgets);
    pool
}

/// Every case but the large clusters.
pub fn admission() -> Vec<Case> {
    let none = Arc::new(json!({}));
    let example = Arc::new(read_yaml("examples/cluster.yaml"));
    let seoul = settings_for("Asia/Seoul");
    let create = |object: &Value| admission_request(object, "CREATE");
    let mut fifty = pool_frozen_for(&[]);
    fifty["spec"]["disruption"]["budgets"] = (0..50)
        .map(|i| json!({"nodes": format!("{}", i % 5), "schedule": format!("{} {} * * *", i % 60, i % 24), "duration": "30m"}))
        .collect();
    let checkout = read_yaml("examples/requests/deployment-checkout-no-pdb.json");
    let mut delete = checkout.clone();
    delete["operation"] = json!("DELETE");
    delete["oldObject"] = delete["object"].take();
    vec![
        case(
            "reference: Deployment DELETE (decode and answer)",
            &json!({}),
            &delete,
            &none,
        ),
        case(
            "NodePool: the incident pool (reject)",
            &seoul,
            &read_yaml("examples/requests/nodepool-incident.json"),
            &none,
        ),
        case(
            "NodePool: business hours Asia/Seoul (accept)",
            &seoul,
            &create(&pool_frozen_for(&["0 0 * * 1-5"])),
            &none,
        ),
        case(
            "NodePool: business hours Europe/Berlin (accept)",
            &settings_for("Europe/Berlin"),
            &create(&pool_frozen_for(&["0 7 * * 1-5", "0 8 * * 1-5"])),
            &none,
        ),
        case(
            "NodePool: business hours Australia/Sydney (accept)",
            &settings_for("Australia/Sydney"),
            &create(&pool_frozen_for(&["0 22 * * 0-4", "0 23 * * 0-4"])),
            &none,
        ),
        case(
            "NodePool: 50 budgets (reject)",
            &seoul,
            &create(&fifty),
            &none,
        ),
        case(
            "NodePool: freeze injected, Europe/Berlin (mutate)",
            &settings_for("Europe/Berlin"),
            &create(&pool_frozen_for(&[])),
            &none,
        ),
        case(
            "NodePool: maintenance window Europe/Berlin (mutate)",
            &maintenance_windows(json!([{"days": ["Sat"], "start": "02:00", "end": "06:00"}])),
            &create(&pool_frozen_for(&[])),
            &none,
        ),
        case(
            "NodePool: 14 daily maintenance windows Europe/Berlin (mutate)",
            &maintenance_windows(fourteen_windows()),
            &create(&pool_frozen_for(&[])),
            &none,
        ),
        case(
            "NodePool: expiry forecast over 5000 nodes (1 lookup, accept)",
            &settings_for("Asia/Seoul"),
            &create(&pool_frozen_for(&["0 0 * * 1-5"])),
            &Arc::new(json!({"Node": (0..5000).map(|i| json!({"metadata": {
                "name": format!("n{i}"),
                "creationTimestamp": format!("2026-10-{:02}T{:02}:{:02}:00Z", 1 + i % 28, i % 24, i % 60),
                "labels": {"karpenter.sh/nodepool": "general-purpose"}}})).collect::<Vec<_>>()})),
        ),
        case(
            "PDB: minAvailable 50% (5 lookups, accept)",
            &json!({}),
            &read_yaml("examples/requests/pdb-api-gateway-half.json"),
            &example,
        ),
        case(
            "Deployment: 3 replicas, no PDB (3 lookups, reject)",
            &json!({}),
            &checkout,
            &example,
        ),
        case(
            "Deployment: 1 replica (3 lookups, accept)",
            &json!({}),
            &read_yaml("examples/requests/deployment-worker-single.json"),
            &example,
        ),
    ]
}

/// NodePool admission with the capacity calculator over `nodes` pool nodes and `pods` pods: workloads of
/// 10 replicas spread over the nodes, 20 workloads a namespace, a PDB on every third workload.
pub fn capacity(nodes: usize, pods: usize) -> Case {
    capacity_in_namespaces(nodes, pods, 20)
}

/// [`capacity`] with `per_namespace` workloads in each namespace (all of them in one: the shape that made
/// the calculator match every workload against every pod).
pub fn capacity_in_namespaces(nodes: usize, pods: usize, per_namespace: usize) -> Case {
    let name = match per_namespace {
        20 => format!("capacity: {nodes} nodes, {pods} pods"),
        n => format!("capacity: {nodes} nodes, {pods} pods, {n} workloads a namespace"),
    };
    capacity_case(&name, capacity_cluster(nodes, pods, per_namespace))
}

/// [`capacity`] where a pod on every node holds it with `karpenter.sh/do-not-disrupt` until an hour of the
/// week of its own, and a workload has a replica on every node: the most phases the calculator walks.
pub fn capacity_held(nodes: usize, pods: usize) -> Case {
    let mut cluster = capacity_cluster(nodes, pods, 20);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let (y, m, d) =
        disruption_guard_engine::calendar::civil::civil_from_days(now.div_euclid(86_400));
    let secs = now.rem_euclid(86_400);
    let started = format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:00Z",
        secs / 3600,
        secs / 60 % 60
    );
    let mut pods = Vec::new();
    for i in 0..nodes {
        pods.push(json!({"metadata": {"name": format!("holder-{i}"), "namespace": "logging",
            "annotations": {"karpenter.sh/do-not-disrupt": format!("{}h", 1 + i % 167)}},
            "spec": {"nodeName": format!("n{i}")}, "status": {"phase": "Running", "startTime": started}}));
        pods.push(json!({"metadata": {"name": format!("wide-{i}"), "namespace": "wide", "labels": {"app": "wide"}},
            "spec": {"nodeName": format!("n{i}")}}));
    }
    cluster["Pod"]
        .as_array_mut()
        .into_iter()
        .for_each(|l| l.extend(pods.clone()));
    cluster["Deployment"].as_array_mut().into_iter().for_each(|l| {
        l.push(json!({"metadata": {"name": "wide", "namespace": "wide"}, "spec": {"replicas": nodes,
            "selector": {"matchLabels": {"app": "wide"}}, "template": {"metadata": {"labels": {"app": "wide"}}}}}))
    });
    let name = format!(
        "capacity: {nodes} nodes, {} pods, every node held until its own hour",
        cluster["Pod"].as_array().map_or(0, Vec::len)
    );
    capacity_case(&name, cluster)
}

fn capacity_cluster(nodes: usize, pods: usize, per_namespace: usize) -> Value {
    let node_list: Vec<Value> = (0..nodes)
        .map(|i| json!({"metadata": {"name": format!("n{i}"), "labels": {"karpenter.sh/nodepool": "general-purpose"}}}))
        .collect();
    let (mut workloads, mut pdbs, mut pod_list) = (Vec::new(), Vec::new(), Vec::new());
    for w in 0..pods / 10 {
        let (ns, name) = (format!("ns{}", w / per_namespace.max(1)), format!("app{w}"));
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

fn capacity_case(name: &str, cluster: Value) -> Case {
    let mut settings = settings_for("Asia/Seoul");
    settings["capacity"] = json!({"enabled": true});
    case(
        name,
        &settings,
        &read_yaml("examples/requests/nodepool-fixed.json"),
        &Arc::new(cluster),
    )
}

/// The inputs that once cost seconds (issue 14), each through the admission it reaches.
pub fn hostile() -> Vec<Case> {
    let none = Arc::new(json!({}));
    // A PDB in a namespace of `pdbs` PDBs over 10 pods each (PDB overlap check).
    let (pdbs, pods) = (2_000, 20_000);
    let mut cluster = json!({"PodDisruptionBudget": [], "Pod": [], "Deployment": []});
    for w in 0..pdbs {
        let name = format!("app{w}");
        cluster["PodDisruptionBudget"]
            .as_array_mut()
            .into_iter()
            .for_each(|l| {
                l.push(json!({"metadata": {"name": name, "namespace": "crowded"},
                "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app": name}}}}))
            });
        for r in 0..pods / pdbs {
            cluster["Pod"].as_array_mut().into_iter().for_each(|l| {
                l.push(
                    json!({"metadata": {"name": format!("{name}-{r}"), "namespace": "crowded",
                    "labels": {"app": name, "tier": "web"}}}),
                )
            });
        }
    }
    // The admitted PDB selects 10 pods of its own, so every other PDB is checked and none overlaps.
    for r in 0..10 {
        cluster["Pod"].as_array_mut().into_iter().for_each(|l| {
            l.push(
                json!({"metadata": {"name": format!("fresh-{r}"), "namespace": "crowded",
                "labels": {"app": "fresh", "tier": "web"}}}),
            )
        });
    }
    let pdb = json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
        "metadata": {"name": "fresh", "namespace": "crowded"},
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app": "fresh"}}}});
    // A Deployment on a pool whose status.nodes is 1e9, with 2e9 replicas kept one per node.
    let mut pools = read_yaml("examples/cluster.yaml");
    pools["NodePool"][1]["status"]["nodes"] = json!(1_000_000_000u64);
    let mut apart = read_yaml("examples/requests/deployment-checkout-no-pdb.json");
    apart["object"]["spec"]["replicas"] = json!(2_000_000_000u64);
    apart["object"]["spec"]["template"]["spec"]["nodeSelector"] =
        json!({"karpenter.sh/nodepool": "batch"});
    apart["object"]["spec"]["template"]["spec"]["affinity"] = json!({"podAntiAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": [{"topologyKey": "kubernetes.io/hostname",
        "labelSelector": {"matchLabels": {"app": "checkout"}}}]}});
    // A NodePool with 100,000 unknown fields (1.1 MB).
    let mut unknown = read_yaml("examples/requests/nodepool-fixed.json")["object"].clone();
    for i in 0..100_000 {
        unknown["spec"]["disruption"][format!("unknownField{i}")] = json!(i);
    }
    // 50 budgets of one-minute windows on every day of the month: millions of windows a year.
    let mut dense = read_yaml("examples/requests/nodepool-fixed.json")["object"].clone();
    dense["spec"]["disruption"]["budgets"] = (0..50)
        .map(|i| json!({"nodes": format!("{}", i % 7), "schedule": format!("*/{} * 1-31 * *", 2 + i % 13), "duration": "1m"}))
        .collect();
    // 50 twice-daily budgets of overlapping lengths over the year, under the window bound (36,600 windows).
    let mut daily = dense.clone();
    daily["spec"]["disruption"]["budgets"] = (0..50)
        .map(|i| json!({"nodes": if i % 2 == 0 { format!("{}%", 20 + i) } else { format!("{}", 11 + i) }, "schedule": format!("{} {}/12 1-31 * *", (i * 7) % 60, (i * 5) % 12),
            "duration": format!("{}h{}m", 1 + (i * 11) % 29, (i * 13) % 60)}))
        .collect();
    let seoul = settings_for("Asia/Seoul");
    vec![
        case(
            "NodePool: 50 budgets of 1-minute windows, day-of-month 1-31 (reject)",
            &seoul,
            &admission_request(&dense, "CREATE"),
            &none,
        ),
        case(
            "NodePool: 50 twice-daily budgets over a year, under the window bound (reject)",
            &seoul,
            &admission_request(&daily, "CREATE"),
            &none,
        ),
        capacity_in_namespaces(1_000, 25_000, 2_500),
        case(
            "PDB: overlap check over 2000 PDBs and 20000 pods (accept)",
            &json!({}),
            &admission_request(&pdb, "CREATE"),
            &Arc::new(cluster),
        ),
        case(
            "Deployment: a pool of 1e9 nodes, 2e9 replicas (accept)",
            &json!({"workloads": {"requirePdb": false}}),
            &apart,
            &Arc::new(pools),
        ),
        case(
            "NodePool: 100000 unknown fields (warn)",
            &json!({}),
            &admission_request(&unknown, "CREATE"),
            &none,
        ),
    ]
}
