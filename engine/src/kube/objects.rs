//! The Kubernetes objects the PDB and workload guards read: PodDisruptionBudgets (`policy/v1`),
//! Deployments and StatefulSets (`apps/v1`), HorizontalPodAutoscalers (`autoscaling/v2`) and Pods, as far
//! as disruption is concerned, plus a namespace snapshot of them from context-aware lookups.
//! Own lean serde types: the lookups ask only for these fields (field masks), and unknown ones are ignored.

use serde::Deserialize;
use serde_json::Value;

use crate::kube::int_or_percent::IntOrPercent;
use crate::kube::selector::{LabelSelector, Labels};

/// The value under `keys` (object fields, outermost first). `Value::pointer` finds the same, but unescapes
/// every token of its path into a new string first.
pub fn at<'a>(value: &'a Value, keys: &[&str]) -> Option<&'a Value> {
    keys.iter().try_fold(value, |v, k| v.get(k))
}

/// [`at`], for changing the value.
pub fn at_mut<'a>(value: &'a mut Value, keys: &[&str]) -> Option<&'a mut Value> {
    keys.iter().try_fold(value, |v, k| v.get_mut(k))
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Meta {
    #[serde(deserialize_with = "null_as_default")]
    pub name: String,
    pub namespace: Option<String>,
    #[serde(deserialize_with = "null_as_default")]
    pub labels: Labels,
    #[serde(deserialize_with = "null_as_default")]
    pub annotations: Labels,
    /// RFC 3339, as the API server writes it (read for Nodes only).
    #[serde(rename = "creationTimestamp")]
    pub creation_timestamp: Option<String>,
    /// Set once the object is being deleted (read for Pods only).
    #[serde(rename = "deletionTimestamp")]
    pub deletion_timestamp: Option<String>,
}

/// `null` read as the default: Go encodes a nil map or slice as `null`, and it means "none".
pub fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// `policy/v1` PodDisruptionBudget.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct Pdb {
    pub metadata: Meta,
    pub spec: PdbSpec,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PdbSpec {
    pub min_available: Option<Value>,
    pub max_unavailable: Option<Value>,
    pub selector: Option<LabelSelector>,
    pub unhealthy_pod_eviction_policy: Option<String>,
}

/// How many pods a PDB keeps, as Kubernetes' disruption controller computes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Budget {
    MinAvailable(IntOrPercent),
    MaxUnavailable(IntOrPercent),
    /// Neither field: the disruption controller keeps 0 pods (everything may go).
    Unset,
}

/// An IntOrString PDB field: a non-negative integer or `"N%"` with N from 0 to 100 (the API server's
/// `ValidatePositiveIntOrPercent` and `IsValidPercent`).
pub fn parse_pdb_value(v: &Value) -> Result<IntOrPercent, String> {
    match v {
        Value::Number(n) => n
            .as_u64()
            .map(IntOrPercent::Count)
            .ok_or_else(|| format!("{n} is not a non-negative integer")),
        Value::String(s) => match s.strip_suffix('%') {
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => p
                .parse::<u64>()
                .ok()
                .filter(|p| *p <= 100)
                .map(IntOrPercent::Percent)
                .ok_or_else(|| format!("{s:?} must be between 0% and 100%")),
            _ => Err(format!(
                "{s:?} is neither an integer nor a percentage such as \"50%\""
            )),
        },
        other => Err(format!("{other} is neither an integer nor a percentage")),
    }
}

impl Pdb {
    pub fn name(&self) -> &str {
        &self.metadata.name
    }

    /// `Err` names the field when both are set or a value is malformed.
    pub fn budget(&self) -> Result<Budget, String> {
        match (&self.spec.min_available, &self.spec.max_unavailable) {
            (Some(_), Some(_)) => Err("minAvailable and maxUnavailable cannot be both set".into()),
            (Some(v), None) => parse_pdb_value(v)
                .map(Budget::MinAvailable)
                .map_err(|e| format!("minAvailable: {e}")),
            (None, Some(v)) => parse_pdb_value(v)
                .map(Budget::MaxUnavailable)
                .map_err(|e| format!("maxUnavailable: {e}")),
            (None, None) => Ok(Budget::Unset),
        }
    }

    /// Whether the PDB applies to pods with `labels` (same namespace assumed). A PDB without a selector
    /// selects nothing; `{}` selects everything.
    pub fn selects(&self, labels: &Labels) -> bool {
        self.spec
            .selector
            .as_ref()
            .is_some_and(|s| s.validate().is_ok() && s.matches(labels))
    }
}

impl Budget {
    /// Pods that must stay healthy out of `replicas` (the disruption controller's `desiredHealthy`;
    /// percentages round **up** for both fields, as `intstr.GetScaledValueFromIntOrPercent(…, true)`).
    pub fn desired_healthy(self, replicas: u64) -> u64 {
        match self {
            Budget::MinAvailable(v) => v.resolve(replicas),
            Budget::MaxUnavailable(v) => replicas.saturating_sub(v.resolve(replicas)),
            Budget::Unset => 0,
        }
    }

    /// Voluntary disruptions allowed while all `replicas` are healthy.
    pub fn allowed_disruptions(self, replicas: u64) -> u64 {
        replicas.saturating_sub(self.desired_healthy(replicas))
    }

    /// Never lets a pod be evicted: every drain of a node running one of them stalls.
    pub fn blocks(self, replicas: u64) -> bool {
        replicas > 0 && self.allowed_disruptions(replicas) == 0
    }

    /// Keeps at least one pod up; a budget that lets every pod go at once protects nothing.
    pub fn protects(self, replicas: u64) -> bool {
        self.desired_healthy(replicas) > 0
    }

    pub fn describe(self) -> String {
        match self {
            Budget::MinAvailable(v) => format!("minAvailable: {}", show_value(v)),
            Budget::MaxUnavailable(v) => format!("maxUnavailable: {}", show_value(v)),
            Budget::Unset => "neither minAvailable nor maxUnavailable".into(),
        }
    }
}

/// `2` or `"50%"`, as written in YAML.
pub fn show_value(v: IntOrPercent) -> String {
    match v {
        IntOrPercent::Count(c) => c.to_string(),
        IntOrPercent::Percent(_) => format!("\"{v}\""),
    }
}

/// An `apps/v1` Deployment or StatefulSet.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct Workload {
    pub kind: String,
    pub metadata: Meta,
    pub spec: WorkloadSpec,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct WorkloadSpec {
    pub replicas: Option<i64>,
    pub selector: Option<LabelSelector>,
    pub template: PodTemplate,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct PodTemplate {
    pub metadata: Meta,
    pub spec: PodSpec,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PodSpec {
    #[serde(deserialize_with = "null_as_default")]
    pub topology_spread_constraints: Vec<TopologySpreadConstraint>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TopologySpreadConstraint {
    pub topology_key: String,
    pub label_selector: Option<LabelSelector>,
}

impl Workload {
    /// The Deployment or StatefulSet (`kind`) that `object` holds: read once per admission, for every rule.
    pub fn read(object: &Value, kind: &str) -> Result<Workload, serde_json::Error> {
        let mut w = Workload::deserialize(object)?;
        w.kind = kind.to_string();
        Ok(w)
    }

    pub fn name(&self) -> &str {
        &self.metadata.name
    }

    pub fn pod_labels(&self) -> &Labels {
        &self.spec.template.metadata.labels
    }

    /// `spec.replicas`, defaulting to 1 as the API server does.
    pub fn spec_replicas(&self) -> u64 {
        self.spec
            .replicas
            .map_or(1, |r| u64::try_from(r).unwrap_or(0))
    }

    /// Replicas at minimum scale: an HPA's `minReplicas` (default 1) when one targets this workload.
    pub fn replicas(&self, hpas: &[Hpa]) -> Replicas {
        match hpas.iter().find(|h| h.targets(self)) {
            Some(h) => Replicas {
                count: h
                    .spec
                    .min_replicas
                    .map_or(1, |r| u64::try_from(r).unwrap_or(0)),
                source: format!("HPA {} minReplicas", h.metadata.name),
            },
            None => Replicas {
                count: self.spec_replicas(),
                source: "spec.replicas".into(),
            },
        }
    }
}

/// A replica count and where it comes from, for messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Replicas {
    pub count: u64,
    pub source: String,
}

/// `autoscaling/v2` HorizontalPodAutoscaler.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct Hpa {
    pub metadata: Meta,
    pub spec: HpaSpec,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HpaSpec {
    pub scale_target_ref: TargetRef,
    pub min_replicas: Option<i64>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TargetRef {
    pub api_version: String,
    pub kind: String,
    pub name: String,
}

impl Hpa {
    fn targets(&self, w: &Workload) -> bool {
        let t = &self.spec.scale_target_ref;
        t.kind == w.kind
            && t.name == w.metadata.name
            && (t.api_version.is_empty() || t.api_version == "apps/v1")
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct Pod {
    pub metadata: Meta,
    pub spec: PodPlacement,
    pub status: PodStatus,
}

/// What Karpenter reads of a pod's status for `karpenter.sh/do-not-disrupt`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PodStatus {
    pub phase: Option<String>,
    /// RFC 3339.
    pub start_time: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PodPlacement {
    pub node_name: Option<String>,
}

/// A cluster node; the NodePool it belongs to is its `karpenter.sh/nodepool` label.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct Node {
    pub metadata: Meta,
}

/// The label Karpenter puts on every node of a NodePool.
pub const NODEPOOL_LABEL: &str = "karpenter.sh/nodepool";

/// What cluster-wide lookups returned (the capacity calculator's input). Namespaced objects carry
/// `metadata.namespace`.
#[derive(Clone, Debug, Default)]
pub struct Cluster {
    pub nodes: Vec<Node>,
    pub pods: Vec<Pod>,
    pub workloads: Vec<Workload>,
    pub pdbs: Vec<Pdb>,
    pub hpas: Vec<Hpa>,
    /// Why the lookups stopped short and the calculator has nothing to analyse (a cluster too big to read
    /// within an admission): the admission says so in a warning, never rejects for it.
    pub skipped: Option<String>,
}

/// What context-aware lookups returned for one namespace; the lists a guard does not read stay empty.
#[derive(Clone, Debug, Default)]
pub struct Namespace {
    pub pdbs: Vec<Pdb>,
    pub workloads: Vec<Workload>,
    pub hpas: Vec<Hpa>,
    pub pods: Vec<Pod>,
}

/// What a `scale` of a workload is judged against: the stored workload and its namespace's PDBs.
#[derive(Clone, Debug, Default)]
pub struct Scaled {
    pub workload: Workload,
    pub pdbs: Vec<Pdb>,
}

impl Cluster {
    /// NodePool `pool`'s nodes (by their `karpenter.sh/nodepool` label).
    pub fn pool_nodes<'a>(&'a self, pool: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.nodes.iter().filter(move |n| {
            n.metadata
                .labels
                .get(NODEPOOL_LABEL)
                .is_some_and(|p| p == pool)
        })
    }

    /// A cluster from manifests: Nodes, Pods, Deployments, StatefulSets, PDBs and HPAs among `objects`
    /// (each with its `kind`); anything else is ignored.
    pub fn from_objects(objects: &[Value]) -> Cluster {
        let of_kind = |kind: &str| serde_json::json!({"items": objects.iter().filter(|o| o["kind"] == kind).cloned().collect::<Vec<_>>()});
        let mut workloads = list_workloads(&of_kind("Deployment"), "Deployment");
        workloads.extend(list_workloads(&of_kind("StatefulSet"), "StatefulSet"));
        Cluster {
            nodes: list_items(&of_kind("Node")),
            pods: list_items(&of_kind("Pod")),
            workloads,
            pdbs: list_items(&of_kind("PodDisruptionBudget")),
            hpas: list_items(&of_kind("HorizontalPodAutoscaler")),
            skipped: None,
        }
    }
}

/// Objects from one manifest document: itself, the items of a `kind: …List`, or the objects of a kind-keyed
/// map (`{Deployment: [...], Pod: [...]}`, as in examples/cluster.yaml) with their `kind` set.
pub fn manifest_objects(document: Value, out: &mut Vec<Value>) {
    match document {
        Value::Null => {}
        Value::Object(ref map)
            if map
                .get("kind")
                .and_then(Value::as_str)
                .is_some_and(|k| k.ends_with("List")) =>
        {
            for item in map
                .get("items")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                manifest_objects(item.clone(), out);
            }
        }
        Value::Object(map) if !map.contains_key("kind") => {
            for (kind, items) in map {
                for mut item in items.as_array().cloned().unwrap_or_default() {
                    if let Some(fields) = item.as_object_mut() {
                        fields.insert("kind".into(), Value::String(kind.clone()));
                        out.push(item);
                    }
                }
            }
        }
        other => out.push(other),
    }
}

/// The items of a Kubernetes `List` response; items that do not decode are skipped.
pub fn list_items<T: for<'de> Deserialize<'de>>(list: &Value) -> Vec<T> {
    list.get("items")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|i| T::deserialize(i).ok())
                .collect()
        })
        .unwrap_or_default()
}

/// Workloads from a Deployment or StatefulSet `List`.
pub fn list_workloads(list: &Value, kind: &str) -> Vec<Workload> {
    with_kind(list_items(list), kind)
}

/// List items carry no `kind`: it is the kind of the list that was asked for.
pub fn with_kind(mut workloads: Vec<Workload>, kind: &str) -> Vec<Workload> {
    for w in &mut workloads {
        w.kind = kind.to_string();
    }
    workloads
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn budget(min: Option<Value>, max: Option<Value>) -> Budget {
        Pdb {
            spec: PdbSpec {
                min_available: min,
                max_unavailable: max,
                ..PdbSpec::default()
            },
            ..Pdb::default()
        }
        .budget()
        .unwrap()
    }

    #[test]
    fn kind_keyed_files_skip_items_that_are_not_objects() {
        let mut out = Vec::new();
        manifest_objects(
            json!({"Pod": ["x", 3, {"metadata": {"name": "p"}}], "Node": "y"}),
            &mut out,
        );
        assert_eq!(out, [json!({"kind": "Pod", "metadata": {"name": "p"}})]);
    }

    #[test]
    fn kubernetes_rounding_for_both_fields() {
        // minAvailable 50% of 3 keeps 2 and allows 1.
        let half = budget(Some(json!("50%")), None);
        assert_eq!(
            (half.desired_healthy(3), half.allowed_disruptions(3)),
            (2, 1)
        );
        assert!(!half.blocks(3));
        assert!(half.blocks(1), "50% of 1 rounds up to 1");
        // maxUnavailable 10% of 3 rounds up to 1.
        let ten = budget(None, Some(json!("10%")));
        assert_eq!(ten.allowed_disruptions(3), 1);
        assert!(budget(None, Some(json!(0))).blocks(5));
        assert!(budget(None, Some(json!("0%"))).blocks(5));
        assert!(budget(Some(json!("100%")), None).blocks(5));
        assert!(budget(Some(json!(2)), None).blocks(2), "equality blocks");
        assert!(!budget(Some(json!(2)), None).blocks(3));
        assert!(budget(Some(json!("90%")), None).blocks(3), "ceil(2.7) = 3");
        assert!(!budget(Some(json!(0)), None).protects(3));
        assert!(!budget(None, Some(json!(3))).protects(3));
        assert!(!Budget::Unset.blocks(3) && !Budget::Unset.protects(3));
    }

    #[test]
    fn malformed_values_are_named() {
        let both = Pdb {
            spec: PdbSpec {
                min_available: Some(json!(1)),
                max_unavailable: Some(json!(1)),
                ..PdbSpec::default()
            },
            ..Pdb::default()
        };
        assert!(both.budget().unwrap_err().contains("cannot be both set"));
        assert!(
            parse_pdb_value(&json!("2")).is_err(),
            "a bare number string is not valid"
        );
        assert!(
            parse_pdb_value(&json!("150%"))
                .unwrap_err()
                .contains("between 0% and 100%")
        );
        assert!(parse_pdb_value(&json!(-1)).is_err());
        assert_eq!(parse_pdb_value(&json!("0%")), Ok(IntOrPercent::Percent(0)));
    }

    #[test]
    fn hpa_min_replicas_is_the_replica_count_at_minimum_scale() {
        let w: Workload = serde_json::from_value(
            json!({"kind": "Deployment", "metadata": {"name": "api"}, "spec": {"replicas": 5}}),
        )
        .unwrap();
        let hpa: Hpa = serde_json::from_value(json!({"metadata": {"name": "api-hpa"},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "api"}, "minReplicas": 2}})).unwrap();
        let other: Hpa = serde_json::from_value(json!({"metadata": {"name": "x"},
            "spec": {"scaleTargetRef": {"kind": "StatefulSet", "name": "api"}}}))
        .unwrap();
        assert_eq!(w.replicas(&[]).count, 5);
        assert_eq!(w.replicas(std::slice::from_ref(&other)).count, 5);
        let r = w.replicas(&[other, hpa]);
        assert_eq!((r.count, r.source.as_str()), (2, "HPA api-hpa minReplicas"));
    }
}
