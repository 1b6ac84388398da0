//! Context-aware lookups: which lists the guards ask the Kubewarden host for, in the SDK's request JSON
//! (`ListResourcesByNamespaceRequest` / `ListAllResourcesRequest`: snake_case keys, `field_masks` so the
//! host sends only the fields the rules read), and the answers decoded straight into the engine's lean
//! types. The host itself is a closure: waPC `host_call` in the policy, fixtures in tests and benchmarks.

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};

use crate::k8s::{Cluster, NODEPOOL_LABEL, Namespace, Workload};

/// Answers one host call: (waPC operation, request JSON) → the answer's bytes, or why it failed.
pub type Host<'a> = dyn FnMut(&str, &[u8]) -> Result<Vec<u8>, String> + 'a;

/// Beyond this the calculator would not answer within PolicyServer's timeout (BENCHMARKS.md).
pub const MAX_PODS: usize = 100_000;

/// Every lookup the PDB and workload guards need, declared in metadata.yml `contextAwareResources`.
pub fn namespace(host: &mut Host, namespace: &str) -> Result<Namespace, String> {
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
    let mut list = |api_version: &str, kind: &str, masks: &[&str]| {
        list_request(host, Some(namespace), api_version, kind, None, masks)
    };
    let pdbs = items(&list("policy/v1", "PodDisruptionBudget", &pdb_masks)?)?;
    let mut workloads = workloads_of(&list("apps/v1", "Deployment", &WORKLOAD)?, "Deployment")?;
    workloads.extend(workloads_of(
        &list("apps/v1", "StatefulSet", &WORKLOAD)?,
        "StatefulSet",
    )?);
    let hpas = items(&list(
        "autoscaling/v2",
        "HorizontalPodAutoscaler",
        &hpa_masks,
    )?)?;
    let pods = items(&list("v1", "Pod", &["metadata.name", "metadata.labels"])?)?;
    Ok(Namespace {
        pdbs,
        workloads,
        hpas,
        pods,
    })
}

/// The capacity calculator's input for the NodePool `pool`: its nodes (by the `karpenter.sh/nodepool`
/// label) and, when it has any, the cluster's pods, PDBs and workloads. `list_resources_all` is the waPC
/// operation behind the SDK's `list_all_resources`.
pub fn pool(host: &mut Host, pool: &str) -> Result<Cluster, String> {
    let valid_name = !pool.is_empty()
        && pool
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    if !valid_name {
        return Ok(Cluster::default()); // Not a name the API server admits; the CRD rules say so.
    }
    let selector = format!("{NODEPOOL_LABEL}={pool}");
    let nodes = items(&list_request(
        host,
        None,
        "v1",
        "Node",
        Some(&selector),
        &["metadata.labels", "metadata.name"],
    )?)?;
    if nodes.is_empty() {
        return Ok(Cluster::default()); // A new pool: nothing runs on it yet.
    }
    let mut list_all = |api_version: &str, kind: &str, masks: &[&str]| {
        list_request(host, None, api_version, kind, None, masks)
    };
    let pod_masks = [
        "metadata.labels",
        "metadata.name",
        "metadata.namespace",
        "spec.nodeName",
    ];
    let pod_answer = list_all("v1", "Pod", &pod_masks)?;
    let pods = raw_items(&pod_answer)?;
    if pods.len() > MAX_PODS {
        return Err(format!(
            "the cluster runs {} pods, more than the {MAX_PODS} the capacity calculator analyses within an \
             admission request; run `disruption-guard check` on a snapshot offline instead",
            pods.len()
        ));
    }
    let pods = typed(&pods);
    let pdb_masks = [
        "metadata.name",
        "metadata.namespace",
        "spec.maxUnavailable",
        "spec.minAvailable",
        "spec.selector",
    ];
    let pdbs = items(&list_all("policy/v1", "PodDisruptionBudget", &pdb_masks)?)?;
    let workload_masks = [
        "metadata.name",
        "metadata.namespace",
        "spec.replicas",
        "spec.selector",
        "spec.template.metadata.labels",
    ];
    let mut workloads = workloads_of(
        &list_all("apps/v1", "Deployment", &workload_masks)?,
        "Deployment",
    )?;
    workloads.extend(workloads_of(
        &list_all("apps/v1", "StatefulSet", &workload_masks)?,
        "StatefulSet",
    )?);
    Ok(Cluster {
        nodes,
        pods,
        workloads,
        pdbs,
        hpas: Vec::new(),
    })
}

/// Every NodePool, with what the workload-side calculator reads (`status.nodes` is the pool's size).
pub fn node_pools(host: &mut Host) -> Result<Vec<Value>, String> {
    let masks = [
        "metadata.name",
        "spec.disruption",
        "spec.template.spec.terminationGracePeriod",
        "status.nodes",
    ];
    let answer = list_request(host, None, "karpenter.sh/v1", "NodePool", None, &masks)?;
    items(&answer)
}

/// Sends the SDK's request JSON (the all-namespaces form has no `namespace` key; masks sorted like the
/// SDK's `BTreeSet`) and returns the answer's bytes.
fn list_request(
    host: &mut Host,
    namespace: Option<&str>,
    api_version: &str,
    kind: &str,
    label_selector: Option<&str>,
    field_masks: &[&str],
) -> Result<Vec<u8>, String> {
    let mut masks = field_masks.to_vec();
    masks.sort_unstable();
    let mut request = json!({
        "api_version": api_version,
        "kind": kind,
        "label_selector": label_selector,
        "field_selector": null,
        "field_masks": masks,
    });
    let (operation, scope) = match namespace {
        Some(ns) => {
            request["namespace"] = json!(ns);
            (
                "list_resources_by_namespace",
                format!("in namespace {ns:?}"),
            )
        }
        None => ("list_resources_all", "cluster-wide".to_string()),
    };
    host(operation, request.to_string().as_bytes())
        .map_err(|e| format!("listing {kind} ({api_version}) {scope} failed: {e}"))
}

#[derive(Deserialize)]
struct RawList<'a> {
    /// Go encodes an empty list's nil slice as `null`.
    #[serde(borrow, default)]
    items: Option<Vec<&'a RawValue>>,
}

/// The list's items, not yet decoded: a cheap pass that only checks the JSON.
fn raw_items(answer: &[u8]) -> Result<Vec<&RawValue>, String> {
    serde_json::from_slice::<RawList>(answer)
        .map(|l| l.items.unwrap_or_default())
        .map_err(|e| format!("the host's answer is not a list: {e}"))
}

/// Items that do not fit the lean type (a field of an unexpected shape) are skipped, one by one.
fn typed<T: for<'de> Deserialize<'de>>(raw: &[&RawValue]) -> Vec<T> {
    raw.iter()
        .filter_map(|r| serde_json::from_str(r.get()).ok())
        .collect()
}

fn items<T: for<'de> Deserialize<'de>>(answer: &[u8]) -> Result<Vec<T>, String> {
    raw_items(answer).map(|raw| typed(&raw))
}

fn workloads_of(answer: &[u8], kind: &str) -> Result<Vec<Workload>, String> {
    let mut items: Vec<Workload> = items(answer)?;
    for w in &mut items {
        w.kind = kind.to_string();
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answering(lists: Value) -> impl FnMut(&str, &[u8]) -> Result<Vec<u8>, String> {
        move |_op, request| {
            let request: Value = serde_json::from_slice(request).map_err(|e| e.to_string())?;
            let kind = request["kind"].as_str().unwrap_or_default();
            Ok(json!({"items": lists[kind].clone()})
                .to_string()
                .into_bytes())
        }
    }

    #[test]
    fn items_of_an_unexpected_shape_are_skipped_alone() {
        let mut host = answering(json!({"Pod": [
            {"metadata": {"name": "a", "labels": {"app": "x"}}},
            {"metadata": {"name": "b", "labels": ["not", "a", "map"]}},
            {"metadata": {"name": "c"}}
        ]}));
        let ns = namespace(&mut host, "shop").unwrap();
        let names: Vec<&str> = ns.pods.iter().map(|p| p.metadata.name.as_str()).collect();
        assert_eq!(names, ["a", "c"]);
    }

    #[test]
    fn a_failed_call_names_the_list_and_an_unreadable_answer_is_an_error() {
        let mut refusing = |_: &str, _: &[u8]| Err("forbidden".to_string());
        let e = namespace(&mut refusing, "shop").unwrap_err();
        assert_eq!(
            e,
            "listing PodDisruptionBudget (policy/v1) in namespace \"shop\" failed: forbidden"
        );
        let mut garbage = |_: &str, _: &[u8]| Ok(b"<html>".to_vec());
        assert!(node_pools(&mut garbage).unwrap_err().contains("not a list"));
    }

    #[test]
    fn too_many_pods_are_refused_before_decoding() {
        let node = json!({"metadata": {"name": "n", "labels": {NODEPOOL_LABEL: "p"}}});
        let pods = vec![json!({}); MAX_PODS + 1];
        let mut host = answering(json!({"Node": [node], "Pod": pods}));
        let e = pool(&mut host, "p").unwrap_err();
        assert!(e.contains("100001 pods"), "{e}");
    }
}
