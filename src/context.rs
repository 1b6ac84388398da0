//! Context-aware lookups: the namespace's PDBs, workloads, HPAs and Pods, listed through the Kubewarden
//! host (`kubernetes/list_resources_by_namespace`). The request JSON is the SDK's
//! `ListResourcesByNamespaceRequest` (snake_case keys, `field_masks` so the host sends only the fields the
//! rules read); the answers are decoded into the engine's lean types, not k8s-openapi.

use disruption_guard_engine::k8s::{Namespace, list_items, list_workloads};
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

fn list(
    namespace: &str,
    api_version: &str,
    kind: &str,
    field_masks: &[&str],
) -> Result<Value, String> {
    let mut masks = field_masks.to_vec();
    masks.sort_unstable();
    let request = json!({
        "api_version": api_version,
        "kind": kind,
        "namespace": namespace,
        "label_selector": null,
        "field_selector": null,
        "field_masks": masks,
    });
    let answer = guest::host_call(
        "kubewarden",
        "kubernetes",
        "list_resources_by_namespace",
        request.to_string().as_bytes(),
    )
    .map_err(|e| {
        format!("listing {kind} ({api_version}) in namespace {namespace:?} failed: {e}")
    })?;
    serde_json::from_slice(&answer)
        .map_err(|e| format!("the {kind} list from the host is not JSON: {e}"))
}
