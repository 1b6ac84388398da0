//! What `disruption-guard fix` writes, decided: the PDB of every replicated Deployment and StatefulSet that
//! no PDB covers (the rejection's own renderer, judged by the PDB guard), and per NodePool the JSON patch
//! operations that add what the mutation would inject. An admission policy changes the object it is given
//! and cannot create another one; this is the step it cannot take. Nothing here replaces a value anyone
//! wrote: a PDB that is there but wrong is reported for a person to change. The CLI places the files.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Deserialize;
use serde_json::{Value, json};

use crate::admission::{self, Decision};
use crate::calendar::spans::Minute;
use crate::guards::nodepool::mutation;
use crate::guards::workload::rules::render_pdb;
use crate::kube::objects::{Cluster, Namespace, Pdb, Workload};
use crate::kube::selector::LabelIndex;
use crate::settings::Settings;

/// What `fix` does about one object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Write its file.
    Write,
    /// Its file is there already, with the same content (the writer knows).
    Unchanged,
    /// Nothing to do.
    None,
    /// Something for a person to do; the reason says what.
    ByHand,
}

/// What is written for a row.
#[derive(Clone, Debug, PartialEq)]
pub enum Written {
    Pdb(Value),
    /// JSON patch `add` operations for the NodePool `pool`, and the mutation's lines saying what they add.
    Patch {
        pool: String,
        ops: Vec<Value>,
        changes: Vec<String>,
    },
}

/// One target object's plan.
#[derive(Clone, Debug)]
pub struct Row {
    /// Its position among the targets.
    pub target: usize,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    /// The replicas its PDB is judged at (HPA `minReplicas` when an HPA scales it), for workloads.
    pub replicas: Option<u64>,
    pub action: Action,
    pub reason: String,
    pub written: Option<Written>,
}

/// The plan for the Deployments, StatefulSets and NodePools among `targets`, in the cluster that `targets`
/// and `context` make together (an object of `targets` replaces `context`'s of the same kind, namespace
/// and name). NodePool rows come last.
pub fn plan(targets: &[Value], context: &[Value], settings: &Settings, now: Minute) -> Vec<Row> {
    let mut seen = HashSet::new();
    let all: Vec<Value> = targets
        .iter()
        .chain(context)
        .filter(|o| {
            seen.insert((
                kind(o).to_string(),
                namespace(o).to_string(),
                name(o).to_string(),
            ))
        })
        .cloned()
        .collect();
    let cluster = Cluster::from_objects(&all);
    let mut rows = workloads(targets, &cluster, settings);
    for (i, object) in targets
        .iter()
        .enumerate()
        .filter(|(_, o)| kind(o) == "NodePool")
    {
        rows.push(node_pool(i, object, settings, now));
    }
    rows
}

fn kind(o: &Value) -> &str {
    o["kind"].as_str().unwrap_or_default()
}

fn name(o: &Value) -> &str {
    o.pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

fn namespace(o: &Value) -> &str {
    o.pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or("default")
}

/// What each namespace holds: its PDBs (found and written so far), HPAs, workloads and pods.
#[derive(Default)]
struct Ns {
    pdbs: Vec<Pdb>,
    /// The workload each written PDB protects, by PDB name.
    written_for: HashMap<String, String>,
    snapshot: Namespace,
}

fn workloads(targets: &[Value], cluster: &Cluster, settings: &Settings) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut namespaces: BTreeMap<String, Ns> = BTreeMap::new();
    let ns_of = |m: &Option<String>| m.clone().unwrap_or_else(|| "default".into());
    for pdb in &cluster.pdbs {
        namespaces
            .entry(ns_of(&pdb.metadata.namespace))
            .or_default()
            .pdbs
            .push(pdb.clone());
    }
    for w in &cluster.workloads {
        namespaces
            .entry(ns_of(&w.metadata.namespace))
            .or_default()
            .snapshot
            .workloads
            .push(w.clone());
    }
    for h in &cluster.hpas {
        namespaces
            .entry(ns_of(&h.metadata.namespace))
            .or_default()
            .snapshot
            .hpas
            .push(h.clone());
    }
    for p in &cluster.pods {
        namespaces
            .entry(ns_of(&p.metadata.namespace))
            .or_default()
            .snapshot
            .pods
            .push(p.clone());
    }
    // The workloads to fix, by namespace; in each, those whose selector selects the most workloads' pods
    // first, so that a broad PDB is written before the narrower ones it then covers.
    let mut todo: BTreeMap<String, Vec<(usize, Workload)>> = BTreeMap::new();
    for (i, object) in targets
        .iter()
        .enumerate()
        .filter(|(_, o)| matches!(kind(o), "Deployment" | "StatefulSet"))
    {
        match Workload::read(object, kind(object)) {
            Ok(w) => todo
                .entry(ns_of(&w.metadata.namespace))
                .or_default()
                .push((i, w)),
            Err(e) => rows.push(Row {
                target: i,
                kind: kind(object).to_string(),
                namespace: namespace(object).to_string(),
                name: name(object).to_string(),
                replicas: None,
                action: Action::ByHand,
                reason: format!("it cannot be read: {e}"),
                written: None,
            }),
        }
    }
    for (ns_name, mut list) in todo {
        let ns = namespaces.entry(ns_name).or_default();
        // Every workload of the namespace (context ones too), by its pods' labels.
        let all = ns.snapshot.workloads.clone();
        let index = LabelIndex::new(all.iter().map(|w| w.pod_labels()).collect());
        let selects = |w: &Workload| {
            w.spec
                .selector
                .as_ref()
                .filter(|s| !s.is_empty())
                .map_or(0, |s| index.select(s).len())
        };
        list.sort_by_cached_key(|(i, w)| (std::cmp::Reverse(selects(w)), *i));
        for (i, w) in list {
            rows.push(plan_workload(i, &w, ns, (&all, &index), settings));
        }
    }
    rows
}

/// What to do about workload `w` (the target at `target`): its row, with the PDB to write.
fn plan_workload(
    target: usize,
    w: &Workload,
    ns: &mut Ns,
    others: (&[Workload], &LabelIndex),
    settings: &Settings,
) -> Row {
    let replicas = w.replicas(&ns.snapshot.hpas);
    let (action, reason, pdb) = decide(w, replicas.count, ns, others, settings);
    Row {
        target,
        kind: w.kind.clone(),
        namespace: w.metadata.namespace.clone().unwrap_or_default(),
        name: w.name().to_string(),
        replicas: Some(replicas.count),
        action,
        reason: if replicas.source == "spec.replicas" {
            reason
        } else {
            format!("replicas from {}; {reason}", replicas.source)
        },
        written: pdb.map(Written::Pdb),
    }
}

fn decide(
    w: &Workload,
    replicas: u64,
    ns: &mut Ns,
    (all, index): (&[Workload], &LabelIndex),
    settings: &Settings,
) -> (Action, String, Option<Value>) {
    let min = u64::from(settings.workloads.min_replicas);
    if !settings.workloads.require_pdb {
        return (Action::None, "workloads.requirePdb is false".into(), None);
    }
    if replicas < min {
        let why = format!("fewer than workloads.minReplicas ({min}): a PDB would block its drains");
        return (Action::None, why, None);
    }
    let covering: Vec<&Pdb> = ns
        .pdbs
        .iter()
        .filter(|p| p.selects(w.pod_labels()))
        .collect();
    match covering.as_slice() {
        [] => {}
        [pdb] => {
            let name = match ns.written_for.get(pdb.name()) {
                Some(owner) => format!("{} (written for {owner})", pdb.name()),
                None => pdb.name().to_string(),
            };
            let budget = pdb.budget();
            let (action, why) = if budget.as_ref().is_ok_and(|b| b.blocks(replicas)) {
                (
                    Action::ByHand,
                    format!(
                        "PDB {name} keeps every replica: lower it by hand (workload-pdb-blocks)"
                    ),
                )
            } else if budget.is_ok_and(|b| b.protects(replicas)) {
                (Action::None, format!("protected by PDB {name}"))
            } else {
                (
                    Action::ByHand,
                    format!("PDB {name} lets every replica go: raise its minAvailable by hand"),
                )
            };
            return (action, why, None);
        }
        many => {
            let names: Vec<&str> = many.iter().map(|p| p.name()).collect();
            let why = format!(
                "PDBs {} all select its pods: keep one (workload-pdb-overlap)",
                names.join(", ")
            );
            return (Action::ByHand, why, None);
        }
    }
    let rendered = render_pdb(w, w.metadata.namespace.as_deref(), replicas, settings);
    let Ok(new) = Pdb::deserialize(&rendered) else {
        return (Action::ByHand, "its PDB cannot be rendered".into(), None);
    };
    if ns.pdbs.iter().any(|p| p.name() == w.name()) {
        let why = format!(
            "a PDB named {} exists and does not select its pods: write one by hand",
            w.name()
        );
        return (Action::ByHand, why, None);
    }
    // Its selector must not reach pods that another PDB covers already: two PDBs over a pod stop every
    // eviction.
    if let Some(selector) = &new.spec.selector {
        for other in index.select(selector).into_iter().map(|i| &all[i]) {
            if other.name() == w.name() && other.kind == w.kind {
                continue;
            }
            if let Some(p) = ns.pdbs.iter().find(|p| p.selects(other.pod_labels())) {
                let why = format!(
                    "its selector also selects the pods of {} {}, which PDB {} covers: write a narrower PDB by hand",
                    other.kind,
                    other.name(),
                    p.name()
                );
                return (Action::ByHand, why, None);
            }
        }
    }
    // The PDB guard judges it as the cluster would, beside the namespace's PDBs.
    let mut snapshot = ns.snapshot.clone();
    snapshot.pdbs = ns.pdbs.clone();
    snapshot.pdbs.push(new.clone());
    let pdb = match admission::pdb(&rendered, None, settings, Some(Ok(&snapshot))) {
        Decision::Accept { .. } => rendered,
        Decision::Mutate { object, .. } => object,
        Decision::Reject { findings } => {
            let rules: Vec<&str> = findings.iter().map(|f| f.rule.id()).collect();
            return (
                Action::ByHand,
                format!("the policy would reject its PDB ({})", rules.join(", ")),
                None,
            );
        }
    };
    ns.written_for
        .insert(w.name().to_string(), format!("{} {}", w.kind, w.name()));
    ns.pdbs.push(new);
    let floor = pdb["spec"]["minAvailable"].to_string();
    (
        Action::Write,
        format!("PDB minAvailable {}", floor.trim_matches('"')),
        Some(pdb),
    )
}

/// The NodePool's row: the patch that adds what the mutation injects (a freeze, an always-on budget,
/// consolidateAfter), never replacing a value that is there.
fn node_pool(target: usize, object: &Value, settings: &Settings, now: Minute) -> Row {
    let mut mutated = object.clone();
    let changes = mutation::mutate(&mut mutated, settings, now);
    let (mut ops, mut replaced) = (Vec::new(), Vec::new());
    add_ops(object, &mutated, "", &mut ops, &mut replaced);
    let pool = name(object).to_string();
    let left = |r: &[String]| format!("{} is written there: change it by hand", r.join(", "));
    let (action, reason, written) = match (ops.is_empty(), replaced.is_empty()) {
        (true, true) => (Action::None, "nothing to add".to_string(), None),
        (true, false) => (Action::ByHand, left(&replaced), None),
        (false, _) => {
            let mut reason = changes.join("; ");
            if !replaced.is_empty() {
                reason = format!("{reason}; {}", left(&replaced));
            }
            (
                Action::Write,
                reason,
                Some(Written::Patch {
                    pool: pool.clone(),
                    ops,
                    changes,
                }),
            )
        }
    };
    Row {
        target,
        kind: "NodePool".into(),
        namespace: String::new(),
        name: pool,
        replicas: None,
        action,
        reason,
        written,
    }
}

/// JSON patch `add` operations that turn `before` into `after` where `after` only adds: new keys, items
/// appended to a list. Paths where a value would be replaced are collected in `replaced` instead.
fn add_ops(
    before: &Value,
    after: &Value,
    path: &str,
    ops: &mut Vec<Value>,
    replaced: &mut Vec<String>,
) {
    match (before, after) {
        (Value::Object(b), Value::Object(a)) => {
            for (key, value) in a {
                let at = format!("{path}/{}", key.replace('~', "~0").replace('/', "~1"));
                match b.get(key) {
                    None => ops.push(json!({"op": "add", "path": at, "value": value})),
                    Some(old) => add_ops(old, value, &at, ops, replaced),
                }
            }
        }
        (Value::Array(b), Value::Array(a)) if a.len() >= b.len() && a[..b.len()] == b[..] => {
            for value in &a[b.len()..] {
                ops.push(json!({"op": "add", "path": format!("{path}/-"), "value": value}));
            }
        }
        _ if before == after => {}
        _ => replaced.push(path.trim_start_matches('/').replace('/', ".")),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn deployment(name: &str, replicas: u64, labels: Value) -> Value {
        json!({"kind": "Deployment", "metadata": {"name": name, "namespace": "shop"},
            "spec": {"replicas": replicas, "selector": {"matchLabels": labels}, "template": {"metadata": {"labels": labels}}}})
    }

    #[test]
    fn patches_only_add() {
        let before = json!({"spec": {"disruption": {"consolidateAfter": "0s", "budgets": [{"nodes": "10%"}]}}});
        let after = json!({"spec": {"disruption": {"consolidateAfter": "5m", "consolidationPolicy": "WhenEmpty",
            "budgets": [{"nodes": "10%"}, {"nodes": "0", "schedule": "0 0 * * 1-5", "duration": "9h"}]}}});
        let (mut ops, mut replaced) = (Vec::new(), Vec::new());
        add_ops(&before, &after, "", &mut ops, &mut replaced);
        assert_eq!(
            ops,
            [
                json!({"op": "add", "path": "/spec/disruption/budgets/-", "value": {"nodes": "0", "schedule": "0 0 * * 1-5", "duration": "9h"}}),
                json!({"op": "add", "path": "/spec/disruption/consolidationPolicy", "value": "WhenEmpty"}),
            ]
        );
        assert_eq!(replaced, ["spec.disruption.consolidateAfter"]);
    }

    #[test]
    fn a_broad_selector_is_written_first_and_covers_the_narrow_ones() {
        // The canary comes first in the files; the stable Deployment's selector takes in its pods.
        let targets = [
            deployment("web-canary", 2, json!({"app": "web", "track": "canary"})),
            deployment("web", 4, json!({"app": "web"})),
            deployment("worker", 1, json!({"app": "worker"})),
        ];
        let rows = plan(&targets, &[], &Settings::default(), 0);
        let by_name = |n: &str| rows.iter().find(|r| r.name == n).unwrap();
        let web = by_name("web");
        assert_eq!(web.action, Action::Write);
        let Some(Written::Pdb(pdb)) = &web.written else {
            panic!("{web:?}")
        };
        assert_eq!(
            pdb["spec"]["selector"],
            json!({"matchLabels": {"app": "web"}})
        );
        let canary = by_name("web-canary");
        assert_eq!(
            (canary.action, canary.reason.as_str()),
            (
                Action::None,
                "protected by PDB web (written for Deployment web)"
            )
        );
        assert_eq!(by_name("worker").action, Action::None, "1 replica");
    }

    #[test]
    fn an_hpa_sets_the_replicas_and_a_wrong_pdb_is_left_to_people() {
        let hpa = json!({"kind": "HorizontalPodAutoscaler", "metadata": {"name": "api", "namespace": "shop"},
            "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "api"}, "minReplicas": 1}});
        let rows = plan(
            &[deployment("api", 5, json!({"app": "api"}))],
            &[hpa],
            &Settings::default(),
            0,
        );
        assert_eq!((rows[0].replicas, rows[0].action), (Some(1), Action::None));
        assert!(
            rows[0]
                .reason
                .starts_with("replicas from HPA api minReplicas; fewer than"),
            "{}",
            rows[0].reason
        );
        let blocking = json!({"kind": "PodDisruptionBudget", "metadata": {"name": "api", "namespace": "shop"},
            "spec": {"minAvailable": 5, "selector": {"matchLabels": {"app": "api"}}}});
        let rows = plan(
            &[deployment("api", 5, json!({"app": "api"}))],
            &[blocking],
            &Settings::default(),
            0,
        );
        assert_eq!(rows[0].action, Action::ByHand);
        assert!(rows[0].written.is_none());
    }
}
