//! Spreading for replicated Deployments and StatefulSets, on the original JSON: pod anti-affinity on
//! `kubernetes.io/hostname` and a topology spread constraint, both selecting the workload's **own pods**
//! (its `spec.selector`, which always matches the pod template's labels), never the object's labels.
//! Only where the user has none; workloads below `workloads.minReplicas` are left alone.

use serde_json::{Map, Value, json};

use crate::kube::objects::{at, at_mut};
use crate::settings::{AntiAffinity, Settings, TopologySpread};

pub fn mutate(object: &mut Value, settings: &Settings) -> Vec<String> {
    let w = &settings.workloads;
    let mut changes = Vec::new();
    let replicas = at(object, &["spec", "replicas"])
        .map_or(Some(1), Value::as_i64)
        .unwrap_or(0);
    if replicas < i64::from(w.min_replicas) {
        return changes;
    }
    let Some(selector) = pod_selector(object) else {
        return changes;
    };
    let Some(pod_spec) =
        at_mut(object, &["spec", "template", "spec"]).and_then(Value::as_object_mut)
    else {
        return changes;
    };

    if w.anti_affinity != AntiAffinity::Off {
        let affinity = pod_spec.entry("affinity").or_insert_with(|| json!({}));
        if let Some(affinity) = affinity.as_object_mut()
            && affinity.get("podAntiAffinity").is_none_or(Value::is_null)
        {
            let term = json!({"labelSelector": selector, "topologyKey": "kubernetes.io/hostname"});
            let anti = match w.anti_affinity {
                AntiAffinity::Required => {
                    json!({"requiredDuringSchedulingIgnoredDuringExecution": [term]})
                }
                _ => {
                    json!({"preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 100, "podAffinityTerm": term}]})
                }
            };
            affinity.insert("podAntiAffinity".into(), anti);
            changes.push(format!(
                "added {} pod anti-affinity on kubernetes.io/hostname",
                if w.anti_affinity == AntiAffinity::Required {
                    "required"
                } else {
                    "preferred"
                }
            ));
        }
    }

    let topology_key = match w.topology_spread {
        TopologySpread::Off => None,
        TopologySpread::Zone => Some("topology.kubernetes.io/zone"),
        TopologySpread::Hostname => Some("kubernetes.io/hostname"),
    };
    let has_constraints = pod_spec
        .get("topologySpreadConstraints")
        .and_then(Value::as_array)
        .is_some_and(|c| !c.is_empty());
    if let Some(key) = topology_key
        && !has_constraints
    {
        pod_spec.insert(
            "topologySpreadConstraints".into(),
            json!([{"maxSkew": 1, "topologyKey": key, "whenUnsatisfiable": "ScheduleAnyway", "labelSelector": selector}]),
        );
        changes.push(format!(
            "added a topology spread constraint on {key} (maxSkew 1, ScheduleAnyway)"
        ));
    }
    changes
}

/// The selector of the workload's pods: `spec.selector` when it says something, else the template labels.
fn pod_selector(object: &Value) -> Option<Value> {
    let non_empty = |v: &Value| v.as_object().is_some_and(|m| !m.is_empty());
    if let Some(sel) = at(object, &["spec", "selector"]).and_then(Value::as_object) {
        let useful: Map<String, Value> = sel
            .iter()
            .filter(|(k, v)| {
                matches!(k.as_str(), "matchLabels" | "matchExpressions")
                    && (non_empty(v) || v.as_array().is_some_and(|a| !a.is_empty()))
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if !useful.is_empty() {
            return Some(Value::Object(useful));
        }
    }
    at(object, &["spec", "template", "metadata", "labels"])
        .filter(|l| non_empty(l))
        .map(|labels| json!({"matchLabels": labels}))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kube::selector::LabelSelector;

    fn deployment(replicas: i64) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "api", "labels": {"team": "payments"}},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "api"}},
                     "template": {"metadata": {"labels": {"app": "api", "version": "v2"}},
                                  "spec": {"containers": [{"name": "api", "image": "api:2"}]}}}})
    }

    #[test]
    fn spreading_selects_the_pod_template_labels_not_the_object_labels() {
        let mut d = deployment(3);
        let changes = mutate(&mut d, &Settings::default());
        assert_eq!(changes.len(), 2);
        let pod_spec = &d["spec"]["template"]["spec"];
        let term = &pod_spec["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]
            [0];
        assert_eq!(term["weight"], 100);
        assert_eq!(
            term["podAffinityTerm"]["topologyKey"],
            "kubernetes.io/hostname"
        );
        let tsc = &pod_spec["topologySpreadConstraints"][0];
        assert_eq!(tsc["topologyKey"], "topology.kubernetes.io/zone");
        assert_eq!(tsc["whenUnsatisfiable"], "ScheduleAnyway");
        let template_labels =
            serde_json::from_value(d["spec"]["template"]["metadata"]["labels"].clone()).unwrap();
        let object_labels = serde_json::from_value(d["metadata"]["labels"].clone()).unwrap();
        for selector in [
            &term["podAffinityTerm"]["labelSelector"],
            &tsc["labelSelector"],
        ] {
            let s: LabelSelector = serde_json::from_value(selector.clone()).unwrap();
            assert!(
                s.matches(&template_labels),
                "selects the workload's own pods"
            );
            assert!(!s.matches(&object_labels));
        }
        assert_eq!(
            pod_spec["containers"][0]["name"], "api",
            "the rest is untouched"
        );
    }

    #[test]
    fn respects_the_user_and_small_workloads() {
        let mut single = deployment(1);
        assert!(mutate(&mut single, &Settings::default()).is_empty());
        assert_eq!(single, deployment(1));

        let mut own = deployment(3);
        own["spec"]["template"]["spec"]["affinity"] = json!({"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": []},
            "nodeAffinity": {"x": 1}});
        own["spec"]["template"]["spec"]["topologySpreadConstraints"] = json!([{"maxSkew": 2}]);
        let before = own.clone();
        assert!(mutate(&mut own, &Settings::default()).is_empty());
        assert_eq!(own, before);

        let mut node_affinity_only = deployment(3);
        node_affinity_only["spec"]["template"]["spec"]["affinity"] =
            json!({"nodeAffinity": {"x": 1}});
        let mut s = Settings::default();
        s.workloads.anti_affinity = AntiAffinity::Required;
        s.workloads.topology_spread = TopologySpread::Off;
        assert_eq!(mutate(&mut node_affinity_only, &s).len(), 1);
        let affinity = &node_affinity_only["spec"]["template"]["spec"]["affinity"];
        assert_eq!(affinity["nodeAffinity"], json!({"x": 1}));
        assert!(affinity["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][0]["labelSelector"].is_object());
        assert!(
            node_affinity_only["spec"]["template"]["spec"]
                .get("topologySpreadConstraints")
                .is_none()
        );
    }

    #[test]
    fn no_selector_no_labels_no_change() {
        let mut bare = json!({"spec": {"replicas": 3, "template": {"spec": {}}}});
        assert!(mutate(&mut bare, &Settings::default()).is_empty());
    }
}
