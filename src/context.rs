//! Context-aware lookups: the namespace's PDBs, workloads, HPAs and Pods, listed through the Kubewarden
//! host (`kubernetes/list_resources_by_namespace`). The request JSON is the SDK's
//! `ListResourcesByNamespaceRequest` (snake_case keys, `field_masks` so the host sends only the fields the
//! rules read); the answers are decoded into the engine's lean types, not k8s-openapi.

use disruption_guard_engine::k8s::{
    Cluster, NODEPOOL_LABEL, Namespace, list_items, list_workloads,
};
use kubewarden_policy_sdk::wapc_guest as guest;
use serde_json::{Value, json};

/// Every lookup the PDB and workload guards need, declared in metadata.yml `contextAwareResources`.
pub fn namespace(namespace: &str) -> Result<Namespace, String> {
    const META: [&str; 2] = ["metadata.name", "metadata.labels"];
    const WORKLOAD: [&str; 5] = [
        "metadata.name",
        "spec.replicas",
        "spec.selector",
        "spec.template.metadata.labels",
        "spec.template.metadata.annotations",
    ];
    let pdb_masks = [
        "metadata.name",
        "spec.minAvailable",
        "spec.maxUnavailable",
        "spec.selector",
    ];
    let hpa_masks = ["metadata.name", "spec.scaleTargetRef", "spec.minReplicas"];
    let pdbs = list(namespace, "policy/v1", "PodDisruptionBudget", &pdb_masks)?;
    let deployments = list(namespace, "apps/v1", "Deployment", &WORKLOAD)?;
    let statefulsets = list(namespace, "apps/v1", "StatefulSet", &WORKLOAD)?;
    let hpas = list(
        namespace,
        "autoscaling/v2",
        "HorizontalPodAutoscaler",
        &hpa_masks,
    )?;
    let pods = list(namespace, "v1", "Pod", &META)?;
    let mut workloads = list_workloads(&deployments, "Deployment");
    workloads.extend(list_workloads(&statefulsets, "StatefulSet"));
    Ok(Namespace {
        pdbs: list_items(&pdbs),
        workloads,
        hpas: list_items(&hpas),
        pods: list_items(&pods),
    })
}

/// Beyond this the calculator would not answer within PolicyServer's timeout (BENCHMARKS.md).
const MAX_PODS: usize = 100_000;

/// The capacity calculator's input for the NodePool `pool`: its nodes (by the `karpenter.sh/nodepool`
/// label) and, when it has any, the cluster's pods, PDBs and workloads. `list_resources_all` is the waPC
/// operation behind the SDK's `list_all_resources` (`ListAllResourcesRequest`).
pub fn pool(pool: &str) -> Result<Cluster, String> {
    let valid_name = !pool.is_empty()
        && pool
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    if !valid_name {
        return Ok(Cluster::default()); // Not a name the API server admits; the CRD rules say so.
    }
    let selector = format!("{NODEPOOL_LABEL}={pool}");
    let nodes = list_items(&list_all(
        "v1",
        "Node",
        Some(&selector),
        &["metadata.labels", "metadata.name"],
    )?);
    if nodes.is_empty() {
        return Ok(Cluster::default()); // A new pool: nothing runs on it yet.
    }
    let pod_masks = [
        "metadata.labels",
        "metadata.name",
        "metadata.namespace",
        "spec.nodeName",
    ];
    let pods = list_all("v1", "Pod", None, &pod_masks)?;
    let pod_count = pods
        .get("items")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    if pod_count > MAX_PODS {
        return Err(format!(
            "the cluster runs {pod_count} pods, more than the {MAX_PODS} the capacity calculator analyses within an \
             admission request; run `disruption-guard check` on a snapshot offline instead"
        ));
    }
    let pdb_masks = [
        "metadata.name",
        "metadata.namespace",
        "spec.maxUnavailable",
        "spec.minAvailable",
        "spec.selector",
    ];
    let pdbs = list_all("policy/v1", "PodDisruptionBudget", None, &pdb_masks)?;
    let workload_masks = [
        "metadata.name",
        "metadata.namespace",
        "spec.replicas",
        "spec.selector",
        "spec.template.metadata.labels",
    ];
    let mut workloads = list_workloads(
        &list_all("apps/v1", "Deployment", None, &workload_masks)?,
        "Deployment",
    );
    workloads.extend(list_workloads(
        &list_all("apps/v1", "StatefulSet", None, &workload_masks)?,
        "StatefulSet",
    ));
    Ok(Cluster {
        nodes,
        pods: list_items(&pods),
        workloads,
        pdbs: list_items(&pdbs),
        hpas: Vec::new(),
    })
}

/// Every NodePool, with what the workload-side calculator reads (`status.nodes` is the pool's size).
pub fn node_pools() -> Result<Vec<Value>, String> {
    let masks = [
        "metadata.name",
        "spec.disruption",
        "spec.template.spec.terminationGracePeriod",
        "status.nodes",
    ];
    let list = list_all("karpenter.sh/v1", "NodePool", None, &masks)?;
    Ok(list
        .get("items")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default())
}

fn list(
    namespace: &str,
    api_version: &str,
    kind: &str,
    field_masks: &[&str],
) -> Result<Value, String> {
    list_request(
        "list_resources_by_namespace",
        Some(namespace),
        api_version,
        kind,
        None,
        field_masks,
    )
    .map_err(|e| format!("listing {kind} ({api_version}) in namespace {namespace:?} failed: {e}"))
}

fn list_all(
    api_version: &str,
    kind: &str,
    label_selector: Option<&str>,
    field_masks: &[&str],
) -> Result<Value, String> {
    list_request(
        "list_resources_all",
        None,
        api_version,
        kind,
        label_selector,
        field_masks,
    )
    .map_err(|e| format!("listing {kind} ({api_version}) cluster-wide failed: {e}"))
}

/// The SDK's `ListResourcesByNamespaceRequest` / `ListAllResourcesRequest` JSON (the latter has no
/// `namespace` key); masks sorted like the SDK's `BTreeSet`.
fn list_request(
    operation: &str,
    namespace: Option<&str>,
    api_version: &str,
    kind: &str,
    label_selector: Option<&str>,
    field_masks: &[&str],
) -> Result<Value, String> {
    let mut masks = field_masks.to_vec();
    masks.sort_unstable();
    let mut request = json!({
        "api_version": api_version,
        "kind": kind,
        "label_selector": label_selector,
        "field_selector": null,
        "field_masks": masks,
    });
    if let Some(ns) = namespace {
        request["namespace"] = json!(ns);
    }
    call(operation, &request)
}

fn call(operation: &str, request: &Value) -> Result<Value, String> {
    let answer = guest::host_call(
        "kubewarden",
        "kubernetes",
        operation,
        request.to_string().as_bytes(),
    )
    .map_err(|e| e.to_string())?;
    serde_json::from_slice(&answer).map_err(|e| format!("the answer is not JSON: {e}"))
}
