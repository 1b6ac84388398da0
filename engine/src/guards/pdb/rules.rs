//! PodDisruptionBudget rules: PDBs that can never allow a disruption, selectors that select
//! nothing or everything, and (with the namespace's workloads) PDBs that block drains at the replicas they
//! select or that overlap another PDB on the same pods.

use serde::Deserialize;
use serde_json::Value;

use crate::finding::{Finding, Rule};
use crate::kube::int_or_percent::IntOrPercent;
use crate::kube::objects::{Budget, Namespace, Pdb, Workload};
use crate::kube::selector::{LabelIndex, Labels};
use std::collections::HashSet;

pub fn check(object: &Value, ns: Option<&Namespace>) -> Vec<Finding> {
    let pdb = match Pdb::deserialize(object) {
        Ok(p) => p,
        Err(e) => {
            return vec![
                Finding::new(Rule::PdbInvalid, "(object)", "(unreadable)")
                    .problem(format!("the PodDisruptionBudget cannot be read: {e}"))
                    .fix("fix the field named in the error"),
            ];
        }
    };
    let mut out = Vec::new();
    let budget = match pdb.budget() {
        Ok(b) => Some(b),
        Err(e) => {
            out.push(
                Finding::new(Rule::PdbInvalid, "spec", "(minAvailable/maxUnavailable)")
                    .problem(format!("{e} (the API server refuses this)"))
                    .fix("set exactly one of minAvailable or maxUnavailable, as an integer or a percentage such as \"50%\""),
            );
            None
        }
    };
    if let Some(b) = budget {
        never_disrupts(b, &mut out);
    }
    let selector_ok = selector(&pdb, &mut out);
    if let (Some(ns), Some(b), true) = (ns, budget, selector_ok) {
        if !out.iter().any(|f| f.rule == Rule::PdbNeverDisrupts) {
            blocks_workloads(&pdb, b, ns, &mut out);
        }
        overlaps(&pdb, ns, &mut out);
    }
    out
}

const DRAIN_STALLS: &str = "Karpenter can never drain a node running these pods: consolidation skips the node, and a \
                            drift or expiry drain waits forever (or force-deletes every pod at once when \
                            terminationGracePeriod runs out)";

fn never_disrupts(budget: Budget, out: &mut Vec<Finding>) {
    let (path, value) = match budget {
        Budget::MaxUnavailable(v) if v.is_zero() => ("spec.maxUnavailable", v),
        Budget::MinAvailable(IntOrPercent::Percent(100)) => {
            ("spec.minAvailable", IntOrPercent::Percent(100))
        }
        _ => return,
    };
    out.push(
        Finding::new(
            Rule::PdbNeverDisrupts,
            path,
            crate::kube::objects::show_value(value),
        )
        .problem(format!(
            "this PDB allows no voluntary disruption at any replica count: {DRAIN_STALLS}."
        ))
        .fix("allow at least one pod to go: maxUnavailable: 1, or minAvailable: \"50%\""),
    );
}

/// Reports absent, empty and malformed selectors; `true` when the selector can be evaluated.
fn selector(pdb: &Pdb, out: &mut Vec<Finding>) -> bool {
    let fix = "select the workload's pods, e.g. selector: {matchLabels: {app: api-gateway}} (the labels of its pod template)";
    match &pdb.spec.selector {
        None => {
            out.push(
                Finding::new(Rule::PdbSelector, "spec.selector", "(absent)")
                    .problem("a PDB without a selector selects no pods: it protects nothing.")
                    .fix(fix),
            );
            false
        }
        Some(s) if s.is_empty() => {
            out.push(
                Finding::new(Rule::PdbSelector, "spec.selector", "{}")
                    .problem(
                        "an empty selector selects every pod in the namespace, so it overlaps every other PDB there \
                         (a pod under two PDBs cannot be evicted) and budgets unrelated workloads together.",
                    )
                    .fix(fix),
            );
            false
        }
        Some(s) => match s.validate() {
            Ok(()) => true,
            Err(e) => {
                out.push(
                    Finding::new(Rule::PdbSelector, "spec.selector", e.clone())
                        .problem(format!(
                            "the selector is invalid: {e} (the API server refuses this)."
                        ))
                        .fix("use In/NotIn with values, or Exists/DoesNotExist without"),
                );
                false
            }
        },
    }
}

fn blocks_workloads(pdb: &Pdb, budget: Budget, ns: &Namespace, out: &mut Vec<Finding>) {
    for w in ns.workloads.iter().filter(|w| pdb.selects(w.pod_labels())) {
        let replicas = w.replicas(&ns.hpas);
        if !budget.blocks(replicas.count) {
            continue;
        }
        out.push(
            Finding::new(Rule::PdbBlocksWorkload, "spec", budget.describe())
                .problem(format!(
                    "it selects {} {} with {} replica(s) ({}), and keeps {} of them available: no pod may ever be \
                     evicted. {DRAIN_STALLS}.",
                    w.kind,
                    w.name(),
                    replicas.count,
                    replicas.source,
                    budget.desired_healthy(replicas.count),
                ))
                .fix(match replicas.count {
                    0 | 1 => format!(
                        "a single replica cannot be protected by a PDB without blocking drains: run at least 2 replicas of {} {}, or delete this PDB",
                        w.kind,
                        w.name()
                    ),
                    n => format!("keep at most {} available: minAvailable: {} (or maxUnavailable: 1)", n - 1, n - 1),
                }),
        );
    }
}

fn overlaps(pdb: &Pdb, ns: &Namespace, out: &mut Vec<Finding>) {
    // What this PDB selects (workload templates first, then pods), once, as distinct label sets: pods of one
    // ReplicaSet share theirs. Each other PDB is then tried on those sets only, not on the whole namespace.
    let mut selected: Vec<(&Labels, Selected)> = Vec::new();
    let mut seen: HashSet<&Labels> = HashSet::new();
    let workloads = ns
        .workloads
        .iter()
        .map(|w| (w.pod_labels(), Selected::Workload(w)));
    let pods = ns
        .pods
        .iter()
        .map(|p| (&p.metadata.labels, Selected::Pod(&p.metadata.name)));
    for (labels, what) in workloads.chain(pods) {
        if pdb.selects(labels) && seen.insert(labels) {
            selected.push((labels, what));
        }
    }
    if selected.is_empty() {
        return;
    }
    let index = LabelIndex::new(selected.iter().map(|(labels, _)| *labels).collect());
    for other in ns.pdbs.iter().filter(|o| o.name() != pdb.name()) {
        let Some(selector) = other
            .spec
            .selector
            .as_ref()
            .filter(|s| s.validate().is_ok())
        else {
            continue; // selects nothing (Pdb::selects)
        };
        let shared = index.first(selector).map(|i| selected[i].1.describe());
        if let Some(shared) = shared {
            out.push(
                Finding::new(Rule::PdbOverlap, "spec.selector", format!("overlaps PDB {}", other.name()))
                    .problem(format!(
                        "this PDB and PDB {} both select the pods of {shared}. The Eviction API refuses to evict a pod \
                         covered by more than one PDB, so Karpenter can never drain their nodes.",
                        other.name()
                    ))
                    .fix(format!("make the selectors disjoint, or merge this PDB into {}", other.name())),
            );
        }
    }
}

/// What a PDB's selector reaches: a workload's pod template, or a pod.
enum Selected<'a> {
    Workload(&'a Workload),
    Pod(&'a str),
}

impl Selected<'_> {
    fn describe(&self) -> String {
        match self {
            Selected::Workload(w) => format!("{} {}", w.kind, w.name()),
            Selected::Pod(name) => format!("Pod {name}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kube::objects::{Hpa, Pod, Workload, list_workloads};
    use serde_json::json;

    fn pdb(spec: Value) -> Value {
        json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "api", "namespace": "prod"}, "spec": spec})
    }

    fn deployment(name: &str, replicas: i64, app: &str) -> Workload {
        list_workloads(
            &json!({"items": [{"metadata": {"name": name}, "spec": {"replicas": replicas,
                "selector": {"matchLabels": {"app": app}}, "template": {"metadata": {"labels": {"app": app}}}}}]}),
            "Deployment",
        )
        .remove(0)
    }

    fn ns(workloads: Vec<Workload>, pdbs: Vec<Value>, hpas: Vec<Value>) -> Namespace {
        Namespace {
            workloads,
            pdbs: pdbs.iter().map(|p| Pdb::deserialize(p).unwrap()).collect(),
            hpas: hpas.iter().map(|h| Hpa::deserialize(h).unwrap()).collect(),
            pods: vec![
                Pod::deserialize(&json!({"metadata": {"name": "bare", "labels": {"app": "bare"}}}))
                    .unwrap(),
            ],
        }
    }

    fn rules(f: &[Finding]) -> Vec<&'static str> {
        f.iter().map(|x| x.rule.id()).collect()
    }

    const APP_API: &str = r#"{"matchLabels": {"app": "api"}}"#;

    fn sel() -> Value {
        serde_json::from_str(APP_API).unwrap()
    }

    #[test]
    fn pdbs_that_never_allow_a_disruption() {
        for spec in [
            json!({"maxUnavailable": 0}),
            json!({"maxUnavailable": "0%"}),
            json!({"minAvailable": "100%"}),
        ] {
            let mut s = spec.clone();
            s["selector"] = sel();
            assert_eq!(
                rules(&check(&pdb(s), None)),
                ["pdb-never-disrupts"],
                "{spec}"
            );
        }
        let mut fine = json!({"maxUnavailable": 1});
        fine["selector"] = sel();
        assert!(check(&pdb(fine), None).is_empty());
    }

    #[test]
    fn selectors_and_malformed_values() {
        assert_eq!(
            rules(&check(&pdb(json!({"minAvailable": 1})), None)),
            ["pdb-selector"]
        );
        assert_eq!(
            rules(&check(
                &pdb(json!({"minAvailable": 1, "selector": {}})),
                None
            )),
            ["pdb-selector"]
        );
        let bad_op = json!({"minAvailable": 1, "selector": {"matchExpressions": [{"key": "app", "operator": "In"}]}});
        assert_eq!(rules(&check(&pdb(bad_op), None)), ["pdb-selector"]);
        let both = json!({"minAvailable": 1, "maxUnavailable": 1, "selector": sel()});
        assert_eq!(rules(&check(&pdb(both), None)), ["pdb-invalid"]);
        assert_eq!(rules(&check(&json!("x"), None)), ["pdb-invalid"]);
    }

    #[test]
    fn min_available_against_the_selected_replicas() {
        let two = pdb(json!({"minAvailable": 2, "selector": sel()}));
        let f = check(
            &two,
            Some(&ns(vec![deployment("api", 2, "api")], vec![], vec![])),
        );
        assert_eq!(rules(&f), ["pdb-blocks-workload"]);
        assert!(
            f[0].problem
                .contains("Deployment api with 2 replica(s) (spec.replicas)"),
            "{}",
            f[0]
        );
        assert!(f[0].fix.contains("minAvailable: 1"));
        assert!(
            check(
                &two,
                Some(&ns(vec![deployment("api", 3, "api")], vec![], vec![]))
            )
            .is_empty()
        );
        let half = pdb(json!({"minAvailable": "50%", "selector": sel()}));
        assert!(
            check(
                &half,
                Some(&ns(vec![deployment("api", 3, "api")], vec![], vec![]))
            )
            .is_empty()
        );
        // An HPA at minimum scale counts: 5 replicas now, 2 at minReplicas.
        let hpa = json!({"metadata": {"name": "api"}, "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "api"}, "minReplicas": 2}});
        let f = check(
            &two,
            Some(&ns(vec![deployment("api", 5, "api")], vec![], vec![hpa])),
        );
        assert_eq!(rules(&f), ["pdb-blocks-workload"]);
        assert!(f[0].problem.contains("HPA api minReplicas"));
        // Unselected workloads do not count.
        assert!(
            check(
                &two,
                Some(&ns(vec![deployment("web", 1, "web")], vec![], vec![]))
            )
            .is_empty()
        );
    }

    #[test]
    fn overlapping_pdbs_on_the_same_pods() {
        let this = pdb(
            json!({"maxUnavailable": 1, "selector": {"matchExpressions": [{"key": "app", "operator": "Exists"}]}}),
        );
        let other = json!({"metadata": {"name": "api-old"}, "spec": {"minAvailable": 1, "selector": sel()}});
        let same_name =
            json!({"metadata": {"name": "api"}, "spec": {"minAvailable": 1, "selector": sel()}});
        let f = check(
            &this,
            Some(&ns(
                vec![deployment("api", 3, "api")],
                vec![other.clone(), same_name],
                vec![],
            )),
        );
        assert_eq!(
            rules(&f),
            ["pdb-overlap"],
            "the stored copy of this PDB is not an overlap"
        );
        assert!(f[0].problem.contains("PDB api-old") && f[0].problem.contains("Deployment api"));
        // Overlap through a bare pod.
        let bare = json!({"metadata": {"name": "bare-pdb"}, "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "bare"}}}});
        let f = check(&this, Some(&ns(vec![], vec![bare], vec![])));
        assert!(f[0].problem.contains("Pod bare"), "{f:?}");
        let disjoint = json!({"metadata": {"name": "web"}, "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "web"}}}});
        assert!(
            check(
                &pdb(json!({"maxUnavailable": 1, "selector": sel()})),
                Some(&ns(
                    vec![deployment("api", 3, "api")],
                    vec![disjoint],
                    vec![]
                ))
            )
            .is_empty()
        );
    }
}
