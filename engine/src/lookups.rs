//! Context-aware lookups: which lists the guards ask the Kubewarden host for, in the SDK's request JSON
//! (`ListResourcesByNamespaceRequest` / `ListAllResourcesRequest`: snake_case keys, `field_masks` so the
//! host sends only the fields the rules read), and the answers decoded straight into the engine's lean
//! types. The host itself is a closure: waPC `host_call` in the policy, fixtures in tests and benchmarks.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::karpenter::nodepool::ListedNodePool;
use crate::kube::objects::{
    Cluster, NODEPOOL_LABEL, Namespace, Node, Pdb, Scaled, Workload, with_kind,
};

/// Answers one host call: (waPC operation, request JSON) → the answer's bytes, or why it failed.
pub type Host<'a> = dyn FnMut(&str, &[u8]) -> Result<Vec<u8>, String> + 'a;

const WORKLOAD_MASKS: [&str; 5] = [
    "metadata.name",
    "spec.replicas",
    "spec.selector",
    "spec.template.metadata.labels",
    "spec.template.metadata.annotations",
];
const PDB_MASKS: [&str; 4] = [
    "metadata.name",
    "spec.minAvailable",
    "spec.maxUnavailable",
    "spec.selector",
];
const HPA_MASKS: [&str; 3] = ["metadata.name", "spec.scaleTargetRef", "spec.minReplicas"];

/// What the PDB guard reads in its namespace (all declared in metadata.yml `contextAwareResources`): the
/// PDBs, the workloads and their HPAs (replicas). Pods serve only to find pods that this PDB shares with
/// another one, so they are listed only when the namespace has another PDB than `pdb` (by name).
pub fn pdb_namespace(host: &mut Host, namespace: &str, pdb: &str) -> Result<Namespace, String> {
    let mut list = |api_version: &str, kind: &str, masks: &[&str]| {
        list_request(host, Some(namespace), api_version, kind, None, masks)
    };
    let pdbs: Vec<Pdb> = items(
        &list("policy/v1", "PodDisruptionBudget", &PDB_MASKS)?,
        "PodDisruptionBudget",
    )?;
    let workloads = workloads(&mut list, &WORKLOAD_MASKS)?;
    let hpas = if workloads.is_empty() {
        Vec::new()
    } else {
        items(
            &list("autoscaling/v2", "HorizontalPodAutoscaler", &HPA_MASKS)?,
            "HorizontalPodAutoscaler",
        )?
    };
    let pods = if pdbs.iter().any(|p| p.name() != pdb) {
        items(
            &list("v1", "Pod", &["metadata.name", "metadata.labels"])?,
            "Pod",
        )?
    } else {
        Vec::new()
    };
    Ok(Namespace {
        pdbs,
        workloads,
        hpas,
        pods,
    })
}

/// What the workload guard reads in its namespace: the PDBs that may cover the workload and the HPAs that
/// may set its replicas (the workload itself is in the request).
pub fn workload_namespace(host: &mut Host, namespace: &str) -> Result<Namespace, String> {
    let mut list = |api_version: &str, kind: &str, masks: &[&str]| {
        list_request(host, Some(namespace), api_version, kind, None, masks)
    };
    let pdbs = items(
        &list("policy/v1", "PodDisruptionBudget", &PDB_MASKS)?,
        "PodDisruptionBudget",
    )?;
    let hpas = items(
        &list("autoscaling/v2", "HorizontalPodAutoscaler", &HPA_MASKS)?,
        "HorizontalPodAutoscaler",
    )?;
    Ok(Namespace {
        pdbs,
        hpas,
        ..Namespace::default()
    })
}

/// What a `scale` of the `kind` workload `name` is judged against: the workload as stored (its pod labels)
/// and the PDBs of its namespace. Listed, not fetched by name, so that the host answers from the same
/// caches as the other lookups; the workload missing from the list is a failed lookup.
pub fn scaled(host: &mut Host, namespace: &str, kind: &str, name: &str) -> Result<Scaled, String> {
    let mut list = |api_version: &str, kind: &str, masks: &[&str]| {
        list_request(host, Some(namespace), api_version, kind, None, masks)
    };
    let workloads: Vec<Workload> =
        with_kind(items(&list("apps/v1", kind, &WORKLOAD_MASKS)?, kind)?, kind);
    let workload = workloads
        .into_iter()
        .find(|w| w.name() == name)
        .ok_or_else(|| {
            format!("{kind} {name:?} is not in the list of {kind}s of namespace {namespace:?}")
        })?;
    let pdbs = items(
        &list("policy/v1", "PodDisruptionBudget", &PDB_MASKS)?,
        "PodDisruptionBudget",
    )?;
    Ok(Scaled { workload, pdbs })
}

/// The capacity calculator at NodePool admission reads every pod of the cluster, and PolicyServer builds
/// that list on its first request (about 1 s per 10,000 pods through a loopback API server, BENCHMARKS.md)
/// within its 2 s timeout. So it runs only in clusters whose NodePools hold at most this many nodes in all
/// (150 nodes of 110 pods, the kubelet's default maximum, are 16,500 pods); in bigger ones it is skipped
/// with a warning before anything large is listed.
pub const MAX_CLUSTER_NODES: u64 = 150;
/// What a skipped calculator's warning tells to do instead.
const OFFLINE: &str = "check the pool offline: `kubectl get nodepools,nodes,pods,pdb,deploy,sts,hpa -A -o json > \
                       cluster.json` then `disruption-guard check nodepool.yaml --cluster cluster.json`";
/// A backstop for pods that a NodePool's count does not show (nodes outside Karpenter, denser nodes).
pub const MAX_PODS: usize = 25_000;

/// The capacity calculator's input for the NodePool `pool`: its nodes (by the `karpenter.sh/nodepool`
/// label, with their creation time for the expiry forecast and annotations for do-not-disrupt) and, `with_workloads`, when it has any and the
/// cluster is small enough (the NodePools' `status.nodes`, a list the
/// workload guard keeps warm with the same masks), the cluster's pods, PDBs and workloads.
/// `list_resources_all` is the waPC operation behind the SDK's `list_all_resources`.
pub fn pool(host: &mut Host, pool: &str, with_workloads: bool) -> Result<Cluster, String> {
    let valid_name = !pool.is_empty()
        && pool
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    if !valid_name {
        return Ok(Cluster::default()); // Not a name the API server admits; the CRD rules say so.
    }
    let selector = format!("{NODEPOOL_LABEL}={pool}");
    let nodes = items(
        &list_request(
            host,
            None,
            "v1",
            "Node",
            Some(&selector),
            &[
                "metadata.annotations",
                "metadata.creationTimestamp",
                "metadata.labels",
                "metadata.name",
            ],
        )?,
        "Node",
    )?;
    if nodes.is_empty() {
        return Ok(Cluster::default()); // A new pool: nothing runs on it yet.
    }
    if !with_workloads {
        return Ok(Cluster {
            nodes,
            ..Cluster::default()
        });
    }
    let karpenter_nodes = node_pools(host)?
        .iter()
        .fold(0u64, |sum, p| sum.saturating_add(p.nodes));
    if karpenter_nodes > MAX_CLUSTER_NODES {
        return Ok(skipped(
            nodes,
            format!(
                "the cluster's NodePools hold {karpenter_nodes} nodes, more than the {MAX_CLUSTER_NODES} whose pods \
             the capacity calculator reads within an admission request; {OFFLINE}"
            ),
        ));
    }
    let mut list_all = |api_version: &str, kind: &str, masks: &[&str]| {
        list_request(host, None, api_version, kind, None, masks)
    };
    // Annotations, phase, start and deletion for karpenter.sh/do-not-disrupt (crate::karpenter::do_not_disrupt).
    let pod_masks = [
        "metadata.annotations",
        "metadata.deletionTimestamp",
        "metadata.labels",
        "metadata.name",
        "metadata.namespace",
        "spec.nodeName",
        "status.phase",
        "status.startTime",
    ];
    let pod_answer = list_all("v1", "Pod", &pod_masks)?;
    let pods = raw_items(&pod_answer)?;
    if pods.len() > MAX_PODS {
        return Ok(skipped(
            nodes,
            format!(
                "the cluster runs {} pods, more than the {MAX_PODS} the capacity calculator analyses within an \
             admission request; {OFFLINE}",
                pods.len()
            ),
        ));
    }
    let pods = typed(&pods, "Pod")?;
    let pdb_masks = [
        "metadata.name",
        "metadata.namespace",
        "spec.maxUnavailable",
        "spec.minAvailable",
        "spec.selector",
    ];
    let pdbs = items(
        &list_all("policy/v1", "PodDisruptionBudget", &pdb_masks)?,
        "PodDisruptionBudget",
    )?;
    let workload_masks = [
        "metadata.name",
        "metadata.namespace",
        "spec.replicas",
        "spec.selector",
        "spec.template.metadata.labels",
    ];
    let workloads = workloads(&mut list_all, &workload_masks)?;
    Ok(Cluster {
        nodes,
        pods,
        workloads,
        pdbs,
        ..Cluster::default()
    })
}

/// The pool's nodes alone (the expiry forecast needs no more), the calculator skipped for `why`.
fn skipped(nodes: Vec<Node>, why: String) -> Cluster {
    Cluster {
        nodes,
        skipped: Some(why),
        ..Cluster::default()
    }
}

/// Every NodePool, with what the workload-side calculator reads (`status.nodes` is the pool's size).
pub fn node_pools(host: &mut Host) -> Result<Vec<ListedNodePool>, String> {
    let masks = [
        "metadata.name",
        "spec.disruption",
        "spec.template.spec.terminationGracePeriod",
        "status.nodes",
    ];
    let answer = list_request(host, None, "karpenter.sh/v1", "NodePool", None, &masks)?;
    items(&answer, "NodePool")
}

/// What to do about a failed lookup, by the error this module wrote.
pub fn fix_for(error: &str) -> &'static str {
    if error.starts_with("listing ") {
        "grant the PolicyServer's service account get/list/watch on poddisruptionbudgets (policy), deployments and \
         statefulsets (apps), horizontalpodautoscalers (autoscaling), pods and nodes, and nodepools (karpenter.sh), \
         and list them in the policy's contextAwareResources; or set onLookupFailure: accept to skip these checks"
    } else if error.contains("that cannot be read") {
        "fix the object named (a field of a shape the policy does not read), or set onLookupFailure: accept to \
         skip these checks"
    } else {
        "retry once PolicyServer's caches hold the object, or set onLookupFailure: accept to skip these checks"
    }
}

/// The SDK's `ListResourcesByNamespaceRequest` / `ListAllResourcesRequest` JSON. Fields in alphabetical
/// order and `field_masks` sorted, as the SDK's `BTreeSet` sends them; the all-namespaces form has no
/// `namespace` key.
#[derive(Serialize)]
struct ListRequest<'a> {
    api_version: &'a str,
    field_masks: Vec<&'a str>,
    field_selector: Option<&'a str>,
    kind: &'a str,
    label_selector: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    namespace: Option<&'a str>,
}

/// Sends one list request and returns the answer's bytes.
fn list_request(
    host: &mut Host,
    namespace: Option<&str>,
    api_version: &str,
    kind: &str,
    label_selector: Option<&str>,
    field_masks: &[&str],
) -> Result<Vec<u8>, String> {
    let mut field_masks = field_masks.to_vec();
    field_masks.sort_unstable();
    let request = ListRequest {
        api_version,
        field_masks,
        field_selector: None,
        kind,
        label_selector,
        namespace,
    };
    let operation = match namespace {
        Some(_) => "list_resources_by_namespace",
        None => "list_resources_all",
    };
    let json = serde_json::to_vec(&request).map_err(|e| e.to_string())?;
    host(operation, &json).map_err(|e| {
        let scope = namespace.map_or("cluster-wide".to_string(), |ns| {
            format!("in namespace {ns:?}")
        });
        format!("listing {kind} ({api_version}) {scope} failed: {e}")
    })
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

/// Every item in the lean type. One that does not fit fails the lookup, naming it: skipping it would hide
/// what it holds (a PDB's overlap, a workload's replicas), and the guards fail closed.
fn typed<T: for<'de> Deserialize<'de>>(raw: &[&RawValue], kind: &str) -> Result<Vec<T>, String> {
    raw.iter()
        .map(|r| {
            serde_json::from_str(r.get()).map_err(|e| {
                let item: serde_json::Value = serde_json::from_str(r.get()).unwrap_or_default();
                let field = |key: &str| {
                    item["metadata"][key]
                        .as_str()
                        .unwrap_or_default()
                        .to_string()
                };
                let name = match field("namespace") {
                    ns if ns.is_empty() => field("name"),
                    ns => format!("{ns}/{}", field("name")),
                };
                format!("the host listed a {kind} ({name}) that cannot be read: {e}")
            })
        })
        .collect()
}

#[derive(Deserialize)]
struct List<T> {
    items: Option<Vec<T>>, // `null` or missing: empty, as in `RawList`
}

/// One pass when every item fits (the common case); item by item otherwise, to name the misfit.
fn items<T: for<'de> Deserialize<'de>>(answer: &[u8], kind: &str) -> Result<Vec<T>, String> {
    match serde_json::from_slice::<List<T>>(answer) {
        Ok(list) => Ok(list.items.unwrap_or_default()),
        Err(_) => raw_items(answer).and_then(|raw| typed(&raw, kind)),
    }
}

/// The Deployments, then the StatefulSets, that `list` (api version, kind, field masks) returns.
fn workloads(
    list: &mut impl FnMut(&str, &str, &[&str]) -> Result<Vec<u8>, String>,
    masks: &[&str],
) -> Result<Vec<Workload>, String> {
    let mut workloads = Vec::new();
    for kind in ["Deployment", "StatefulSet"] {
        workloads.extend(with_kind(
            items(&list("apps/v1", kind, masks)?, kind)?,
            kind,
        ));
    }
    Ok(workloads)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

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
    fn an_item_of_an_unexpected_shape_fails_the_lookup_by_name_and_null_means_none() {
        let mut host = answering(
            json!({"PodDisruptionBudget": [{"metadata": {"name": "guard"}}], "Pod": [
                {"metadata": {"name": "a", "labels": {"app": "x"}}},
                {"metadata": {"name": "b", "namespace": "shop", "labels": ["not", "a", "map"]}},
                {"metadata": {"name": "c"}}
            ]}),
        );
        let e = pdb_namespace(&mut host, "shop", "other").unwrap_err();
        assert!(
            e.starts_with("the host listed a Pod (shop/b) that cannot be read: "),
            "{e}"
        );
        let mut host = answering(
            json!({"PodDisruptionBudget": [{"metadata": {"name": "guard", "labels": null}}], "Pod": [
                {"metadata": {"name": "a", "labels": null, "annotations": null}},
                {"metadata": {"name": "c"}}
            ]}),
        );
        let ns = pdb_namespace(&mut host, "shop", "other").unwrap();
        let names: Vec<&str> = ns.pods.iter().map(|p| p.metadata.name.as_str()).collect();
        assert_eq!(names, ["a", "c"]);
    }

    /// The kinds listed, in order, when `lookup` runs against a namespace holding `lists`.
    fn kinds_listed(
        lists: Value,
        lookup: impl Fn(&mut Host) -> Result<Namespace, String>,
    ) -> Vec<String> {
        let mut asked = Vec::new();
        let mut answer = answering(lists);
        let mut host = |op: &str, request: &[u8]| {
            let parsed: Value = serde_json::from_slice(request).map_err(|e| e.to_string())?;
            asked.push(parsed["kind"].as_str().unwrap_or_default().to_string());
            answer(op, request)
        };
        lookup(&mut host).unwrap();
        asked
    }

    #[test]
    fn each_guard_lists_only_what_its_rules_read() {
        let pdb = |name: &str| json!({"metadata": {"name": name}});
        let deployment = json!({"metadata": {"name": "web"}, "spec": {"replicas": 2}});
        let for_pdb =
            |lists: Value| kinds_listed(lists, |host| pdb_namespace(host, "shop", "guard"));
        assert_eq!(
            for_pdb(json!({"PodDisruptionBudget": [pdb("guard")]})),
            ["PodDisruptionBudget", "Deployment", "StatefulSet"],
            "no workload: no HPA; no other PDB: no pods"
        );
        assert_eq!(
            for_pdb(
                json!({"PodDisruptionBudget": [pdb("guard"), pdb("older")], "Deployment": [deployment]})
            ),
            [
                "PodDisruptionBudget",
                "Deployment",
                "StatefulSet",
                "HorizontalPodAutoscaler",
                "Pod"
            ]
        );
        assert_eq!(
            kinds_listed(json!({}), |host| workload_namespace(host, "shop")),
            ["PodDisruptionBudget", "HorizontalPodAutoscaler"]
        );
    }

    #[test]
    fn node_pools_come_with_their_size() {
        let mut host = answering(json!({"NodePool": [
            {"metadata": {"name": "a"}, "status": {"nodes": 7}},
            {"metadata": {"name": "new"}},
            {"metadata": {"name": "odd"}, "status": {"nodes": "many"}},
            {"metadata": {"name": "broken"}, "spec": {"disruption": "never"}}
        ]}));
        let e = node_pools(&mut host).unwrap_err();
        assert!(e.contains("a NodePool (broken) that cannot be read"), "{e}");
        let mut host = answering(json!({"NodePool": [
            {"metadata": {"name": "a"}, "status": {"nodes": 7}},
            {"metadata": {"name": "new"}},
            {"metadata": {"name": "odd"}, "status": {"nodes": "many"}}
        ]}));
        let pools = node_pools(&mut host).unwrap();
        let sizes: Vec<(&str, u64)> = pools.iter().map(|p| (p.pool.name(), p.nodes)).collect();
        assert_eq!(sizes, [("a", 7), ("new", 0), ("odd", 0)]);
    }

    #[test]
    fn an_empty_list_may_be_null_or_missing() {
        for answer in [
            r#"{"items": null}"#,
            "{}",
            r#"{"kind": "PodList", "items": []}"#,
        ] {
            assert!(
                items::<crate::kube::objects::Pod>(answer.as_bytes(), "Pod")
                    .unwrap()
                    .is_empty(),
                "{answer}"
            );
        }
    }

    #[test]
    fn a_failed_call_names_the_list_and_an_unreadable_answer_is_an_error() {
        let mut refusing = |_: &str, _: &[u8]| Err("forbidden".to_string());
        let e = workload_namespace(&mut refusing, "shop").unwrap_err();
        assert_eq!(
            e,
            "listing PodDisruptionBudget (policy/v1) in namespace \"shop\" failed: forbidden"
        );
        let mut garbage = |_: &str, _: &[u8]| Ok(b"<html>".to_vec());
        assert!(node_pools(&mut garbage).unwrap_err().contains("not a list"));
    }

    /// A host answering `lists` (items by kind), recording each request as "kind label-selector".
    fn recording<'a>(
        lists: &'a Value,
        asked: &'a mut Vec<String>,
    ) -> impl FnMut(&str, &[u8]) -> Result<Vec<u8>, String> + 'a {
        move |_op, request| {
            let request: Value = serde_json::from_slice(request).map_err(|e| e.to_string())?;
            let kind = request["kind"].as_str().unwrap_or_default();
            let selector = request["label_selector"].as_str().unwrap_or("-");
            asked.push(format!("{kind} {selector}"));
            Ok(json!({"items": lists[kind]}).to_string().into_bytes())
        }
    }

    fn cluster(pool_sizes: &[u64], pods: usize) -> Value {
        let pools: Vec<Value> = pool_sizes
            .iter()
            .enumerate()
            .map(|(i, n)| json!({"metadata": {"name": format!("pool{i}")}, "status": {"nodes": n}}))
            .collect();
        json!({
            "Node": [{"metadata": {"name": "n", "labels": {NODEPOOL_LABEL: "pool0"}}}],
            "NodePool": pools,
            "Pod": vec![json!({"metadata": {"name": "p", "namespace": "shop"}}); pods],
            "PodDisruptionBudget": [{"metadata": {"name": "web", "namespace": "shop"}}],
        })
    }

    #[test]
    fn a_pool_of_a_small_cluster_is_read_with_the_cluster_around_it() {
        let lists = cluster(&[100, 50], 3);
        let mut asked = Vec::new();
        let read = pool(&mut recording(&lists, &mut asked), "pool0", true).unwrap();
        assert_eq!(
            asked,
            [
                "Node karpenter.sh/nodepool=pool0",
                "NodePool -",
                "Pod -",
                "PodDisruptionBudget -",
                "Deployment -",
                "StatefulSet -"
            ]
        );
        assert!(read.skipped.is_none());
        assert_eq!(
            (read.nodes.len(), read.pods.len(), read.pdbs.len()),
            (1, 3, 1)
        );
    }

    #[test]
    fn without_the_calculator_only_the_pools_nodes_are_listed() {
        let lists = cluster(&[100, 50], 3);
        let mut asked = Vec::new();
        let read = pool(&mut recording(&lists, &mut asked), "pool0", false).unwrap();
        assert_eq!(asked, ["Node karpenter.sh/nodepool=pool0"]);
        assert_eq!((read.nodes.len(), read.pods.len()), (1, 0));
        assert!(read.skipped.is_none());
    }

    #[test]
    fn a_big_cluster_is_skipped_before_its_pods_are_listed() {
        for sizes in [&[100, 51][..], &[u64::MAX, u64::MAX]] {
            let lists = cluster(sizes, 3);
            let mut asked = Vec::new();
            let read = pool(&mut recording(&lists, &mut asked), "pool0", true).unwrap();
            assert_eq!(asked, ["Node karpenter.sh/nodepool=pool0", "NodePool -"]);
            // The nodes stay, for the expiry forecast; the calculator is skipped.
            assert!(read.nodes.len() == 1 && read.pods.is_empty());
            let why = read.skipped.unwrap();
            let total = sizes.iter().fold(0u64, |a, b| a.saturating_add(*b));
            assert!(
                why.contains(&format!("NodePools hold {total} nodes, more than the 150")),
                "{why}"
            );
        }
    }

    #[test]
    fn more_pods_than_the_nodes_promise_are_skipped_before_decoding() {
        let lists = cluster(&[1], MAX_PODS + 1);
        let mut asked = Vec::new();
        let read = pool(&mut recording(&lists, &mut asked), "pool0", true).unwrap();
        assert_eq!(asked.len(), 3, "{asked:?}");
        assert!(read.nodes.len() == 1 && read.pods.is_empty());
        let why = read.skipped.unwrap();
        assert!(why.contains("runs 25001 pods"), "{why}");
    }
}
