//! The capacity calculator: can the node drains a NodePool's budgets allow at once take a
//! workload below its availability floor?
//!
//! Over a week from the evaluation instant, the budget timeline gives, for every stretch of time, how many of
//! the pool's nodes may be disrupted concurrently by a reason that evicts pods: drift always, consolidation
//! (`Underutilized`) unless the pool is `WhenEmpty` or `consolidateAfter: Never`; emptiness never evicts
//! anything. A workload with pods on the pool loses, in the worst case, the pods on its k most-loaded pool
//! nodes when k nodes drain together. A PDB makes the Eviction API pace those drains (graceful reasons wait),
//! unless the pool's `terminationGracePeriod` lets a drain delete pods regardless once it runs out. A node
//! that `karpenter.sh/do-not-disrupt` holds (its own annotation, or one of its pods') is no voluntary drain's
//! candidate while the hold lasts, except for drift when the pool sets `terminationGracePeriod`, which
//! ignores the pods' holds.
//!
//! This file is the pool's side (NodePool admission, `disruption-guard check`); [`workload`] asks the same
//! question at Deployment/StatefulSet admission, with [`placement`] for pods not yet scheduled.

use std::collections::HashMap;

use crate::finding::{Finding, Rule};
use crate::karpenter::budget::Timeline;
use crate::karpenter::do_not_disrupt::{DO_NOT_DISRUPT, Hold, node_held, pod_hold};

use crate::calendar::spans::{MINUTES_PER_WEEK, Minute, Span, SpanSet};
use crate::karpenter::nodepool::{NodePool, Reason, Reasons};
use crate::kube::objects::{Cluster, Pdb, Workload};
use crate::kube::selector::LabelIndex;
use crate::settings::Settings;

pub mod placement;
pub mod workload;

/// Concurrent drains allowed during `span`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Drains {
    pub span: Span,
    /// Nodes that may be disrupted at once by a reason that evicts pods (0: none may).
    pub nodes: u64,
    /// The reasons that reach `nodes`.
    pub reasons: Reasons,
    /// The budget that sets it (`None`: no budget applies, unbounded).
    pub budget: Option<usize>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Protection {
    /// No PDB covers the pods: a drain evicts them all at once.
    None,
    /// A PDB covers them; graceful drains wait for it.
    Pdb(String),
    /// A PDB covers them, but the pool's terminationGracePeriod deletes pods regardless once it runs out.
    PdbBypassed {
        pdb: String,
        termination_grace_period: String,
    },
}

#[derive(Clone, Debug)]
pub struct WorkloadRisk {
    pub namespace: String,
    pub kind: String,
    pub name: String,
    pub replicas: u64,
    /// Pods on the pool's nodes, per node, most-loaded first.
    pub pods_per_node: Vec<u64>,
    /// How many of those nodes `karpenter.sh/do-not-disrupt` holds at the evaluation instant.
    pub held_nodes: u64,
    pub floor: u64,
    pub floor_source: String,
    pub protection: Protection,
    /// The fewest concurrent drains that take the workload below its floor (when unprotected).
    pub breaking_drains: Option<u64>,
    /// When the allowed drains reach `breaking_drains`.
    pub breaks: SpanSet,
    /// The most pods the allowed drains can take at once over the week, whatever protects them.
    pub worst: Option<WorstCase>,
}

/// The most pods of a workload that drains allowed at once can take, and those drains.
#[derive(Clone, Debug)]
pub struct WorstCase {
    pub drains: Drains,
    pub lost: u64,
}

impl WorkloadRisk {
    pub fn worst_lost(&self) -> u64 {
        self.worst.as_ref().map_or(0, |w| w.lost)
    }

    /// Replicas left in the worst case.
    pub fn worst_left(&self) -> u64 {
        self.replicas.saturating_sub(self.worst_lost())
    }
}

#[derive(Clone, Debug)]
pub struct PoolReport {
    pub pool: String,
    pub nodes: u64,
    pub horizon: Span,
    pub drains: Vec<Drains>,
    pub workloads: Vec<WorkloadRisk>,
    /// The largest concurrency that breaks no workload's floor (`None`: nothing breaks at any).
    pub safe_nodes: Option<u64>,
}

impl PoolReport {
    pub fn max_drains(&self) -> u64 {
        self.drains.iter().map(|d| d.nodes).max().unwrap_or(0)
    }
}

/// Which reasons evict pods in this pool.
pub fn evicting_reasons(pool: &NodePool) -> Reasons {
    let mut reasons = Reasons::of(&[Reason::Drifted]);
    let consolidates = pool.consolidate_after() != "Never";
    if consolidates && pool.consolidation_policy() != "WhenEmpty" {
        reasons.insert(Reason::Underutilized);
    }
    reasons
}

/// The calculator for `pool` (named `name`) over the week from `now`. `None` when its budgets cannot be
/// evaluated (CRD-invalid or unparsable: the NodePool rules report those).
pub fn analyze(
    pool: &NodePool,
    name: &str,
    cluster: &Cluster,
    settings: &Settings,
    now: Minute,
) -> Option<PoolReport> {
    // The pool's nodes, and what holds each back from voluntary drains.
    let mut holds: HashMap<&str, NodeHold> = cluster
        .pool_nodes(name)
        .map(|node| {
            let hold = NodeHold {
                node: node_held(node),
                pods: None,
            };
            (node.metadata.name.as_str(), hold)
        })
        .collect();
    let n = holds.len() as u64;
    let horizon = Span::new(now, now + MINUTES_PER_WEEK);
    let timeline = Timeline::build(&pool.budgets(), horizon).ok()?;
    let evicting = evicting_reasons(pool);
    let drains = drains(&timeline, evicting, n);

    // Pods on this pool's nodes, by namespace.
    let mut pods_by_ns: HashMap<&str, Vec<(&crate::kube::selector::Labels, &str)>> = HashMap::new();
    for pod in &cluster.pods {
        let Some((node, hold)) = pod
            .spec
            .node_name
            .as_deref()
            .and_then(|node| holds.get_mut(node).map(|hold| (node, hold)))
        else {
            continue;
        };
        // Any active pod on the node holds it, a DaemonSet's or a bare pod's too.
        hold.pods = hold.pods.max(pod_hold(pod, now));
        let ns = pod.metadata.namespace.as_deref().unwrap_or_default();
        pods_by_ns
            .entry(ns)
            .or_default()
            .push((&pod.metadata.labels, node));
    }
    let tgp = pool.spec.template.spec.termination_grace_period.clone();
    let classes = drain_classes(
        &timeline,
        evicting,
        n,
        &drains,
        tgp.is_some() && holds.values().any(|h| h.pods.is_some()),
    );
    // Each namespace's pool pods indexed by label, and its PDBs: every workload is matched against the
    // pods and PDBs it can select, never against all of them.
    let mut indexed: HashMap<&str, NamespacePods> = pods_by_ns
        .into_iter()
        .map(|(ns, pods)| {
            let index = LabelIndex::new(pods.iter().map(|(labels, _)| *labels).collect());
            (
                ns,
                NamespacePods {
                    pods,
                    index,
                    pdbs: Vec::new(),
                },
            )
        })
        .collect();
    for pdb in &cluster.pdbs {
        let ns = pdb.metadata.namespace.as_deref().unwrap_or_default();
        if let Some(n) = indexed.get_mut(ns) {
            n.pdbs.push(pdb);
        }
    }
    let pool_side = PoolSide {
        holds: &holds,
        tgp: tgp.as_deref(),
        classes: &classes,
        horizon,
    };
    let mut workloads = Vec::new();
    for w in &cluster.workloads {
        let ns = w.metadata.namespace.as_deref().unwrap_or_default();
        let Some(pods) = indexed.get(ns) else {
            continue;
        };
        if let Some(risk) = workload_risk(w, pods, settings, &pool_side) {
            workloads.push(risk);
        }
    }
    let safe_nodes = workloads
        .iter()
        .filter_map(|w| w.breaking_drains)
        .min()
        .map(|k| k - 1);
    Some(PoolReport {
        pool: name.to_string(),
        nodes: n,
        horizon,
        drains,
        workloads,
        safe_nodes,
    })
}

/// What holds a pool node back from voluntary drains (`karpenter.sh/do-not-disrupt`).
#[derive(Clone, Copy, Debug, Default)]
struct NodeHold {
    /// The node's own annotation.
    node: bool,
    /// The longest of its pods' annotations.
    pods: Option<Hold>,
}

impl NodeHold {
    /// From which minute drains that honour (`pod_holds_apply`) or ignore the pods' holds may take the node
    /// (`None`: never). A hold counts as lapsed from the start of the hour in which it lapses: the
    /// calculator may see a drain up to 59 minutes early, never late, and a workload's outlook changes at
    /// most once an hour.
    fn free_from(self, pod_holds_apply: bool) -> Option<Minute> {
        let hold = match (self.node, pod_holds_apply) {
            (true, _) => Some(Hold::Always),
            (false, true) => self.pods,
            (false, false) => None,
        };
        match hold {
            None => Some(Minute::MIN),
            Some(Hold::Always) => None,
            Some(Hold::Until(m)) => Some(m.div_euclid(60) * 60),
        }
    }
}

/// The drains of some of the evicting reasons, and whether the pods' holds stop them.
struct DrainClass {
    drains: Vec<Drains>,
    pod_holds_apply: bool,
}

/// One class for all evicting reasons; two when the pool sets terminationGracePeriod and some pod holds a
/// node: drift then picks nodes whatever their pods' holds (`NewCandidate`, eventual disruption class),
/// consolidation does not.
fn drain_classes(
    timeline: &Timeline,
    evicting: Reasons,
    pool_size: u64,
    all: &[Drains],
    drift_ignores_pod_holds: bool,
) -> Vec<DrainClass> {
    if !drift_ignores_pod_holds {
        return vec![DrainClass {
            drains: all.to_vec(),
            pod_holds_apply: true,
        }];
    }
    let mut others = Reasons::default();
    for reason in evicting.iter().filter(|r| *r != Reason::Drifted) {
        others.insert(reason);
    }
    let mut classes = vec![DrainClass {
        drains: drains(timeline, Reasons::of(&[Reason::Drifted]), pool_size),
        pod_holds_apply: false,
    }];
    if !others.is_empty() {
        classes.push(DrainClass {
            drains: drains(timeline, others, pool_size),
            pod_holds_apply: true,
        });
    }
    classes
}

/// What every workload of the pool is judged against.
struct PoolSide<'a> {
    holds: &'a HashMap<&'a str, NodeHold>,
    tgp: Option<&'a str>,
    classes: &'a [DrainClass],
    horizon: Span,
}

/// Per stretch of time: the most nodes any pod-evicting reason may disrupt at once, capped at the pool size.
pub(super) fn drains(timeline: &Timeline, evicting: Reasons, pool_size: u64) -> Vec<Drains> {
    let mut out: Vec<Drains> = Vec::new();
    for seg in &timeline.segments {
        let mut best = Drains {
            span: seg.span,
            nodes: 0,
            reasons: Reasons::default(),
            budget: None,
        };
        for reason in evicting.iter() {
            let binding = timeline.binding_budget(seg.active, reason, pool_size);
            let nodes = binding.map_or(pool_size, |(_, v)| v.min(pool_size));
            if nodes > best.nodes || best.reasons.is_empty() {
                best = Drains {
                    span: seg.span,
                    nodes,
                    reasons: Reasons::of(&[reason]),
                    budget: binding.map(|b| b.0),
                };
            } else if nodes == best.nodes {
                best.reasons.insert(reason);
            }
        }
        match out.last_mut() {
            Some(last)
                if last.nodes == best.nodes
                    && last.reasons == best.reasons
                    && last.budget == best.budget =>
            {
                last.span.end = best.span.end;
            }
            _ => out.push(best),
        }
    }
    out
}

/// A namespace's pods on the pool's nodes (labels, node), indexed by label, and the namespace's PDBs.
struct NamespacePods<'a> {
    pods: Vec<(&'a crate::kube::selector::Labels, &'a str)>,
    index: LabelIndex<'a>,
    pdbs: Vec<&'a Pdb>,
}

fn workload_risk(
    w: &Workload,
    namespace: &NamespacePods,
    settings: &Settings,
    pool: &PoolSide,
) -> Option<WorkloadRisk> {
    let selector = w.spec.selector.as_ref().filter(|s| !s.is_empty())?;
    let mut per_node: HashMap<&str, u64> = HashMap::new();
    for i in namespace.index.select(selector) {
        *per_node.entry(namespace.pods[i].1).or_default() += 1;
    }
    if per_node.is_empty() {
        return None;
    }
    let replicas = w.spec_replicas();
    if replicas < u64::from(settings.workloads.min_replicas) {
        return None; // Not guarded: a single replica cannot be protected.
    }
    let mut loads: Vec<(u64, NodeHold)> = per_node
        .into_iter()
        .map(|(node, pods)| (pods, pool.holds.get(node).copied().unwrap_or_default()))
        .collect();
    loads.sort_unstable_by_key(|load| std::cmp::Reverse(load.0));

    let ns = w.metadata.namespace.as_deref();
    let pdb: Option<&Pdb> = namespace
        .pdbs
        .iter()
        .copied()
        .filter(|p| p.selects(w.pod_labels()))
        .find(|p| p.budget().is_ok_and(|b| b.protects(replicas)));
    let (floor, floor_source) = availability_floor(pdb, replicas, settings);
    let protection = match (pdb, pool.tgp) {
        (Some(p), Some(t)) => Protection::PdbBypassed {
            pdb: p.name().to_string(),
            termination_grace_period: t.to_string(),
        },
        (Some(p), None) => Protection::Pdb(p.name().to_string()),
        (None, _) => Protection::None,
    };
    let start = pool.horizon.start;
    let mut risk = WorkloadRisk {
        namespace: ns.unwrap_or_default().to_string(),
        kind: w.kind.clone(),
        name: w.name().to_string(),
        replicas,
        pods_per_node: loads.iter().map(|l| l.0).collect(),
        held_nodes: loads
            .iter()
            .filter(|l| l.1.free_from(true).is_none_or(|m| m > start))
            .count() as u64,
        floor,
        floor_source,
        protection,
        breaking_drains: None,
        breaks: SpanSet::new(),
        worst: None,
    };
    // Graceful drains wait for a PDB: the worst case is only reported.
    let judged = !matches!(risk.protection, Protection::Pdb(_));
    for class in pool.classes {
        outlook(&mut risk, &loads, class, pool.horizon, judged);
    }
    Some(risk)
}

/// Adds one drain class to `risk`: phase by phase (a phase starts at each hour in which a hold on one of
/// the workload's nodes lapses, so at most one per hour of the week), the most-loaded nodes the drains may
/// take, the fewest of them that break the floor, when the allowed drains reach that many (`judged`), and
/// the worst case.
fn outlook(
    risk: &mut WorkloadRisk,
    loads: &[(u64, NodeHold)],
    class: &DrainClass,
    horizon: Span,
    judged: bool,
) {
    let free_from: Vec<Option<Minute>> = loads
        .iter()
        .map(|l| l.1.free_from(class.pod_holds_apply))
        .collect();
    let mut phases: Vec<Minute> = free_from
        .iter()
        .flatten()
        .copied()
        .filter(|&m| horizon.start < m && m < horizon.end)
        .collect();
    phases.push(horizon.start);
    phases.sort_unstable();
    phases.dedup();
    let mut breaks = SpanSet::new();
    for (i, &start) in phases.iter().enumerate() {
        let end = phases.get(i + 1).copied().unwrap_or(horizon.end);
        // lost[k]: the pods on the k most-loaded nodes that drains may take in this phase.
        let mut lost = vec![0u64];
        for (pods, _) in loads
            .iter()
            .zip(&free_from)
            .filter(|(_, free)| free.is_some_and(|m| m <= start))
            .map(|(load, _)| load)
        {
            lost.push(lost.last().copied().unwrap_or(0).saturating_add(*pods));
        }
        let breaking = (1..lost.len())
            .find(|&k| risk.replicas.saturating_sub(lost[k]) < risk.floor)
            .map(|k| k as u64);
        if judged && let Some(k) = breaking {
            risk.breaking_drains = Some(risk.breaking_drains.map_or(k, |b| b.min(k)));
        }
        let first = class.drains.partition_point(|d| d.span.end <= start);
        for d in class.drains[first..]
            .iter()
            .take_while(|d| d.span.start < end)
        {
            let taken = usize::try_from(d.nodes).map_or(lost.len() - 1, |k| k.min(lost.len() - 1));
            let lost = lost[taken];
            if risk
                .worst
                .as_ref()
                .is_none_or(|w| (lost, d.nodes) > (w.lost, w.drains.nodes))
            {
                risk.worst = Some(WorstCase {
                    drains: d.clone(),
                    lost,
                });
            }
            if judged && breaking.is_some_and(|k| d.nodes >= k) {
                breaks.push(d.span.start.max(start), d.span.end.min(end));
            }
        }
    }
    risk.breaks = risk.breaks.union(&breaks);
}

/// One `nodepool-capacity` finding per workload whose floor the allowed drains can break, with the
/// explanation a human needs and the budget (or PDB) that fixes it.
pub fn findings(
    report: &PoolReport,
    timeline_budgets: &[crate::karpenter::nodepool::Budget],
    local: Option<crate::calendar::zone::Zone>,
) -> Vec<Finding> {
    let mut out = Vec::new();
    for w in report.workloads.iter().filter(|w| !w.breaks.is_empty()) {
        let Some(worst) = w.worst.as_ref().map(|w| &w.drains) else {
            continue;
        };
        let k = worst.nodes;
        let budget = match worst.budget {
            Some(i) => format!(
                "budget {} of {} nodes",
                timeline_budgets
                    .get(i)
                    .and_then(|b| b.nodes.clone())
                    .unwrap_or_else(|| crate::karpenter::nodepool::DEFAULT_BUDGET_NODES.into()),
                report.nodes
            ),
            None => format!("no budget (unbounded) of {} nodes", report.nodes),
        };
        let when = crate::calendar::wording::describe_when(&w.breaks, report.horizon, local);
        let held = match w.held_nodes {
            0 => String::new(),
            n => format!(" ({n} held by {DO_NOT_DISRUPT} now)"),
        };
        let bypass = match &w.protection {
            Protection::PdbBypassed {
                pdb,
                termination_grace_period,
            } => format!(
                " PDB {pdb} does not hold: terminationGracePeriod {termination_grace_period} deletes the pods once it runs out."
            ),
            _ => String::new(),
        };
        let fix = match (report.safe_nodes, &w.protection) {
            (_, Protection::PdbBypassed { .. }) => format!(
                "remove spec.template.spec.terminationGracePeriod so PDB drains wait, or set every budget's nodes to \"{}\" or lower",
                report.safe_nodes.unwrap_or(0)
            ),
            (Some(safe), _) if safe > 0 => format!(
                "protect {}/{} with a PodDisruptionBudget (minAvailable: {}), or set every budget's nodes to \"{safe}\" or lower",
                w.namespace, w.name, w.floor
            ),
            _ => format!(
                "protect {}/{} with a PodDisruptionBudget (minAvailable: {}): no budget above 0 keeps its floor",
                w.namespace, w.name, w.floor
            ),
        };
        out.push(
            Finding::new(Rule::NodePoolCapacity, "spec.disruption.budgets", format!("{} {}/{}", w.kind, w.namespace, w.name))
                .problem(format!(
                    "{budget} = {k} concurrent drain{} ({}, {when}); {}: {} replicas on {} nodes{held}, floor {} ({}), worst case {} left.{bypass}",
                    if k == 1 { "" } else { "s" },
                    worst.reasons.names(),
                    w.name,
                    w.replicas,
                    w.pods_per_node.len(),
                    w.floor,
                    w.floor_source,
                    w.worst_left(),
                ))
                .fix(fix),
        );
    }
    out
}

/// The report as data for programs (the CLI's `--output json`, the browser page): per reason, the allowed
/// concurrent drains for each interval of the week and whether it evicts pods; per workload, replicas,
/// placement, nodes held by do-not-disrupt, floor, protection, margin and the intervals (UTC, and local when business hours or maintenance windows are set)
/// where the floor breaks; and the forceful methods, which no budget limits.
pub fn report_json(report: &PoolReport, pool: &NodePool, settings: &Settings) -> serde_json::Value {
    use serde_json::json;
    let iso = |m: Minute| {
        chrono::DateTime::from_timestamp(m * 60, 0)
            .map(|t| t.to_rfc3339())
            .unwrap_or_default()
    };
    let zone = settings.freeze_zone();
    let local = |m: Minute| {
        zone.and_then(|z| chrono::TimeZone::timestamp_opt(&z, m * 60, 0).single())
            .map(|t| t.to_rfc3339())
    };
    let interval = |s: Span| json!({"start": iso(s.start), "end": iso(s.end), "startLocal": local(s.start), "endLocal": local(s.end)});
    let evicting = evicting_reasons(pool);
    let timeline = Timeline::build(&pool.budgets(), report.horizon).ok();
    let reasons: Vec<serde_json::Value> = Reason::ALL
        .iter()
        .map(|&reason| {
            let windows: Vec<serde_json::Value> = timeline
                .iter()
                .flat_map(|t| &t.segments)
                .map(|seg| {
                    let allowed = timeline.as_ref().and_then(|t| t.allowed(seg.active, reason, report.nodes));
                    json!({"start": iso(seg.span.start), "end": iso(seg.span.end), "allowed": allowed.map(|a| a.min(report.nodes)), "unbounded": allowed.is_none()})
                })
                .collect();
            json!({"reason": reason.name(), "evictsPods": evicting.contains(reason), "windows": windows})
        })
        .collect();
    let workloads: Vec<serde_json::Value> = report
        .workloads
        .iter()
        .map(|w| {
            let k = report.max_drains();
            let protection = match &w.protection {
                Protection::None => json!({"status": "unprotected"}),
                Protection::Pdb(p) => json!({"status": "pdb", "pdb": p}),
                Protection::PdbBypassed { pdb, termination_grace_period } => {
                    json!({"status": "pdb-bypassed", "pdb": pdb, "terminationGracePeriod": termination_grace_period})
                }
            };
            json!({
                "namespace": w.namespace, "kind": w.kind, "name": w.name, "replicas": w.replicas,
                "podsPerPoolNode": w.pods_per_node, "floor": w.floor, "floorSource": w.floor_source,
                "protection": protection, "maxConcurrentDrains": k, "heldNodes": w.held_nodes,
                "worstCaseLost": w.worst_lost(), "margin": w.worst_left() as i64 - w.floor as i64,
                "breakingDrains": w.breaking_drains,
                "breaks": w.breaks.spans().iter().map(|s| interval(*s)).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "pool": report.pool,
        "nodes": report.nodes,
        "horizon": interval(report.horizon),
        "reasons": reasons,
        "workloads": workloads,
        "safeNodes": report.safe_nodes,
        "forceful": {
            "expireAfter": pool.spec.template.spec.expire_after.clone().unwrap_or_else(|| "720h".into()),
            "terminationGracePeriod": pool.spec.template.spec.termination_grace_period,
            "note": "expiration, interruption and node repair ignore disruption budgets; their drains honour PDBs until terminationGracePeriod runs out",
        },
    })
}

/// The calculator's findings for a NodePool given as JSON (none when it cannot be read).
pub fn check(
    object: &serde_json::Value,
    cluster: &Cluster,
    settings: &Settings,
    now: Minute,
) -> Vec<Finding> {
    use serde::Deserialize;
    let Ok(pool) = NodePool::deserialize(object) else {
        return Vec::new();
    };
    let name = pool.metadata.name.clone().unwrap_or_default();
    match analyze(&pool, &name, cluster, settings, now) {
        Some(report) => findings(&report, &pool.budgets(), settings.local_zone()),
        None => Vec::new(),
    }
}

/// How many of `replicas` pods must stay available, and why: the protecting PDB's floor, or the settings'
/// `availabilityFloor` when no PDB protects the workload.
pub(super) fn availability_floor(
    pdb: Option<&Pdb>,
    replicas: u64,
    settings: &Settings,
) -> (u64, String) {
    match pdb {
        Some(p) => (
            p.budget().map(|b| b.desired_healthy(replicas)).unwrap_or(0),
            format!("PDB {}", p.name()),
        ),
        None => {
            let floor = settings.workloads.availability_floor;
            (
                floor.resolve(replicas),
                format!("availabilityFloor {floor}"),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::karpenter::nodepool::ListedNodePool;
    use crate::kube::objects::NODEPOOL_LABEL;
    use crate::kube::objects::{Node, Pod};
    use placement::{Placement, placement_per_node};
    use serde::Deserialize;
    use serde_json::{Value, json};
    use workload::{fewest_drains_below_floor, workload_findings};

    /// Tue 2026-11-24 06:43 UTC = 15:43 KST, the outage.
    use crate::testkit::{INCIDENT as NOW, disruption, nodepool};

    fn pool(budgets: Value, tgp: Option<&str>) -> NodePool {
        let mut p = nodepool(
            "general-purpose",
            disruption("WhenEmptyOrUnderutilized", "5m", budgets),
        );
        if let Some(t) = tgp {
            p["spec"]["template"]["spec"]["terminationGracePeriod"] = json!(t);
        }
        NodePool::deserialize(&p).unwrap()
    }

    /// The outage: 30 nodes, api-gateway with its 3 replicas on 3 of them, no PDB.
    fn outage_cluster(pdb: Option<Value>) -> Cluster {
        let nodes = (1..=30)
            .map(|i| Node::deserialize(&json!({"metadata": {"name": format!("gp-{i:02}"), "labels": {NODEPOOL_LABEL: "general-purpose"}}})).unwrap())
            .collect();
        let mut pods: Vec<Pod> = (1..=3)
            .map(|i| {
                Pod::deserialize(&json!({"metadata": {"name": format!("api-gateway-{i}"), "namespace": "shop", "labels": {"app": "api-gateway"}},
                    "spec": {"nodeName": format!("gp-{i:02}")}}))
                .unwrap()
            })
            .collect();
        pods.push(Pod::deserialize(&json!({"metadata": {"name": "elsewhere", "namespace": "shop", "labels": {"app": "api-gateway"}},
            "spec": {"nodeName": "other-pool-node"}})).unwrap());
        let workloads = crate::kube::objects::list_workloads(
            &json!({"items": [{"metadata": {"name": "api-gateway", "namespace": "shop"}, "spec": {"replicas": 3,
                "selector": {"matchLabels": {"app": "api-gateway"}}, "template": {"metadata": {"labels": {"app": "api-gateway"}}}}}]}),
            "Deployment",
        );
        Cluster {
            nodes,
            pods,
            workloads,
            pdbs: pdb.iter().map(|p| Pdb::deserialize(p).unwrap()).collect(),
            hpas: vec![],
            skipped: None,
        }
    }

    fn analyze_outage(p: &NodePool) -> PoolReport {
        analyze(
            p,
            "general-purpose",
            &outage_cluster(None),
            &Settings::default(),
            NOW,
        )
        .unwrap()
    }

    fn report(budgets: Value, tgp: Option<&str>, pdb: Option<Value>) -> PoolReport {
        analyze(
            &pool(budgets, tgp),
            "general-purpose",
            &outage_cluster(pdb),
            &Settings::default(),
            NOW,
        )
        .unwrap()
    }

    #[test]
    fn the_fewest_breaking_drains_match_a_count_up_and_huge_pools_do_not_loop() {
        for replicas in 0..12u64 {
            for floor in 0..=replicas + 1 {
                for per_node in 0..5u64 {
                    for size in 0..8u64 {
                        let lost = |k: u64| (k * per_node).min(replicas);
                        let counted = (1..=size).find(|&k| replicas < floor + lost(k));
                        assert_eq!(
                            fewest_drains_below_floor(replicas, floor, per_node, size),
                            counted,
                            "replicas {replicas}, floor {floor}, per node {per_node}, size {size}"
                        );
                    }
                }
            }
        }
        assert_eq!(fewest_drains_below_floor(3, 2, 1, 1_000_000_000), Some(2));
        assert_eq!(
            placement_per_node(3, false, Some((u64::MAX, 1_000_000_000))),
            3
        );
    }

    #[test]
    fn the_outage_is_a_violation_at_ten_percent() {
        let r = report(json!([{"nodes": "10%"}]), None, None);
        assert_eq!(r.nodes, 30);
        assert_eq!(r.max_drains(), 3, "10% of 30");
        let api = &r.workloads[0];
        assert_eq!(
            (api.replicas, api.pods_per_node.clone(), api.floor),
            (3, vec![1, 1, 1], 2)
        );
        assert_eq!(api.breaking_drains, Some(2), "two drains leave 1 < floor 2");
        assert_eq!(api.worst_left(), 0, "worst case 0 left");
        assert_eq!(api.breaks.total(), MINUTES_PER_WEEK, "all week");
        assert_eq!(r.safe_nodes, Some(1));
    }

    #[test]
    fn one_node_at_a_time_is_safe() {
        let r = report(json!([{"nodes": "1"}]), None, None);
        assert!(r.workloads[0].breaks.is_empty());
        assert_eq!(r.workloads[0].breaking_drains, Some(2));
    }

    #[test]
    fn a_pdb_protects_graceful_drains_unless_termination_grace_period_bypasses_it() {
        let pdb = json!({"metadata": {"name": "api-gateway", "namespace": "shop"}, "spec": {"minAvailable": 2, "selector": {"matchLabels": {"app": "api-gateway"}}}});
        let safe = report(json!([{"nodes": "10%"}]), None, Some(pdb.clone()));
        assert_eq!(
            safe.workloads[0].protection,
            Protection::Pdb("api-gateway".into())
        );
        assert!(safe.workloads[0].breaks.is_empty());
        assert_eq!(safe.safe_nodes, None);
        let bypassed = report(json!([{"nodes": "10%"}]), Some("1h"), Some(pdb));
        assert!(matches!(
            bypassed.workloads[0].protection,
            Protection::PdbBypassed { .. }
        ));
        assert_eq!(bypassed.workloads[0].breaking_drains, Some(2));
        assert!(!bypassed.workloads[0].breaks.is_empty());
    }

    #[test]
    fn a_business_hours_freeze_limits_the_breaking_windows() {
        let r = report(
            json!([{"nodes": "10%"}, {"nodes": "0", "schedule": "0 0 * * 1-5", "duration": "9h"}]),
            None,
            None,
        );
        let api = &r.workloads[0];
        assert_eq!(
            api.breaks.total(),
            MINUTES_PER_WEEK - 5 * 9 * 60,
            "safe only while frozen"
        );
        assert!(r.drains.iter().any(|d| d.nodes == 0));
    }

    #[test]
    fn empty_consolidation_never_evicts_pods() {
        let mut p = pool(
            json!([{"nodes": "100%", "reasons": ["Empty"]}, {"nodes": "1", "reasons": ["Drifted", "Underutilized"]}]),
            None,
        );
        let r = analyze_outage(&p);
        assert_eq!(
            r.max_drains(),
            1,
            "Empty may take 30 nodes, but only empty ones"
        );
        p.spec.disruption.as_mut().unwrap().consolidation_policy = Some("WhenEmpty".into());
        assert_eq!(evicting_reasons(&p), Reasons::of(&[Reason::Drifted]));
    }

    #[test]
    fn the_finding_explains_the_outage() {
        let p = pool(json!([{"nodes": "10%"}]), None);
        let r = analyze_outage(&p);
        let f = findings(&r, &p.budgets(), None);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].value, "Deployment shop/api-gateway");
        assert!(
            f[0].problem.starts_with("budget 10% of 30 nodes = 3 concurrent drains (Underutilized, Drifted, at all times); api-gateway: 3 replicas on 3 nodes, floor 2 (availabilityFloor 50%), worst case 0 left"),
            "{}",
            f[0]
        );
        assert!(f[0].fix.contains("nodes to \"1\" or lower"), "{}", f[0].fix);
    }

    /// The outage's cluster with gp-01 held by its own annotation and a log agent on gp-02 (not part of
    /// api-gateway) annotated `pod_value`, started an hour before the incident.
    fn held_cluster(pod_value: &str, phase: &str) -> Cluster {
        let mut c = outage_cluster(None);
        c.nodes[0]
            .metadata
            .annotations
            .insert(DO_NOT_DISRUPT.into(), "true".into());
        c.pods.push(
            Pod::deserialize(
                &json!({"metadata": {"name": "log-agent-x", "namespace": "logging",
                "annotations": {DO_NOT_DISRUPT: pod_value}}, "spec": {"nodeName": "gp-02"},
                "status": {"phase": phase, "startTime": "2026-11-24T05:43:00Z"}}),
            )
            .unwrap(),
        );
        c
    }

    fn analyze_held(p: &NodePool, cluster: &Cluster) -> PoolReport {
        analyze(p, "general-purpose", cluster, &Settings::default(), NOW).unwrap()
    }

    #[test]
    fn nodes_held_by_do_not_disrupt_are_no_drain_candidates() {
        let p = pool(json!([{"nodes": "10%"}]), None);
        // gp-01 and gp-02 held all week: drains reach only gp-03, one api-gateway pod of three.
        let r = analyze_held(&p, &held_cluster("true", "Running"));
        let api = &r.workloads[0];
        assert_eq!(api.held_nodes, 2);
        assert_eq!((api.breaking_drains, api.worst_left()), (None, 2));
        assert!(api.breaks.is_empty());
        assert!(findings(&r, &p.budgets(), None).is_empty());
        // A finished or invalid pod annotation holds nothing: gp-02 drains again and two drains break the floor.
        for (value, phase) in [("true", "Succeeded"), ("1d", "Running"), ("30m", "Running")] {
            let r = analyze_held(&p, &held_cluster(value, phase));
            let api = &r.workloads[0];
            assert_eq!(api.held_nodes, 1, "{value} {phase}");
            assert_eq!(api.breaking_drains, Some(2), "{value} {phase}");
            assert_eq!(api.breaks.total(), MINUTES_PER_WEEK, "{value} {phase}");
            let f = findings(&r, &p.budgets(), None);
            assert!(
                f[0].problem.contains(
                    "3 replicas on 3 nodes (1 held by karpenter.sh/do-not-disrupt now), floor 2 (availabilityFloor 50%), worst case 1 left"
                ),
                "{}",
                f[0]
            );
        }
    }

    #[test]
    fn a_duration_holds_until_the_hour_in_which_it_lapses() {
        let p = pool(json!([{"nodes": "10%"}]), None);
        // Started 05:43 + 4h: held until 09:43 UTC, counted from 09:00 (137 minutes after 06:43).
        let r = analyze_held(&p, &held_cluster("4h", "Running"));
        let api = &r.workloads[0];
        assert_eq!(api.held_nodes, 2);
        assert_eq!(api.breaking_drains, Some(2));
        assert_eq!(
            api.breaks.spans(),
            [Span::new(NOW + 137, NOW + MINUTES_PER_WEEK)]
        );
        assert_eq!(api.worst_left(), 1, "gp-01 stays held");
    }

    #[test]
    fn drift_with_termination_grace_period_ignores_the_pods_holds_not_the_nodes() {
        let p = pool(
            json!([{"nodes": "10%", "reasons": ["Drifted"]}, {"nodes": "1", "reasons": ["Underutilized"]}]),
            Some("1h"),
        );
        let r = analyze_held(&p, &held_cluster("true", "Running"));
        let api = &r.workloads[0];
        // Drift may take gp-02 and gp-03 (the log agent's hold does not count), never gp-01.
        assert_eq!(api.breaking_drains, Some(2));
        assert_eq!(api.breaks.total(), MINUTES_PER_WEEK);
        let worst = api.worst.as_ref().unwrap();
        assert_eq!(
            (worst.drains.reasons, worst.lost),
            (Reasons::of(&[Reason::Drifted]), 2)
        );
        // Without terminationGracePeriod drift honours it too: only gp-03 is left to drain.
        let p = pool(
            json!([{"nodes": "10%", "reasons": ["Drifted"]}, {"nodes": "1", "reasons": ["Underutilized"]}]),
            None,
        );
        let r = analyze_held(&p, &held_cluster("true", "Running"));
        assert!(r.workloads[0].breaks.is_empty());
        assert_eq!(r.workloads[0].worst_lost(), 1);
    }

    fn batch_pool(nodes: u64, tgp: Option<&str>) -> ListedNodePool {
        let mut p = json!({"metadata": {"name": "batch"}, "spec": {"template": {"spec": {}},
            "disruption": {"consolidationPolicy": "WhenEmpty", "consolidateAfter": "5m", "budgets": [{"nodes": "10%"}]}},
            "status": {"nodes": nodes}});
        if let Some(t) = tgp {
            p["spec"]["template"]["spec"]["terminationGracePeriod"] = json!(t);
        }
        serde_json::from_value(p).unwrap()
    }

    fn deployment(pod_spec: Value) -> Value {
        json!({"metadata": {"name": "render", "namespace": "analytics"}, "spec": {"replicas": 4,
            "selector": {"matchLabels": {"app": "render"}},
            "template": {"metadata": {"labels": {"app": "render"}}, "spec": pod_spec}}})
    }

    fn deployment_findings(
        d: &Value,
        pools: &[ListedNodePool],
        ns: &crate::kube::objects::Namespace,
        s: &Settings,
    ) -> Vec<Finding> {
        let w = Workload::read(d, "Deployment").unwrap();
        workload_findings(d, &w, pools, ns, s, NOW)
    }

    #[test]
    fn unscheduled_workloads_use_the_placement_model() {
        let ns = crate::kube::objects::Namespace::default();
        let s = Settings::default();
        // All 4 replicas may share a node of batch; 10% of 10 = 1 drain takes them all.
        let packed = deployment(json!({"nodeSelector": {NODEPOOL_LABEL: "batch"}}));
        let f = deployment_findings(&packed, &[batch_pool(10, None)], &ns, &s);
        assert_eq!(f.len(), 1);
        assert!(
            f[0].problem
                .contains("4 of 4 replicas may share a node (nothing keeps them apart"),
            "{}",
            f[0]
        );
        assert!(
            f[0].problem.contains("leaving 0 below the floor 2"),
            "{}",
            f[0]
        );
        // Required hostname anti-affinity: one per node, one drain loses one.
        let apart = deployment(
            json!({"nodeSelector": {NODEPOOL_LABEL: "batch"}, "affinity": {"podAntiAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [{"topologyKey": "kubernetes.io/hostname", "labelSelector": {"matchLabels": {"app": "render"}}}]}}}),
        );
        assert!(deployment_findings(&apart, &[batch_pool(10, None)], &ns, &s).is_empty());
        // A pool it cannot land on does not count.
        let elsewhere = deployment(json!({"nodeSelector": {NODEPOOL_LABEL: "gpu"}}));
        assert!(deployment_findings(&elsewhere, &[batch_pool(10, None)], &ns, &s).is_empty());
        // A PDB protects, unless the pool's terminationGracePeriod bypasses it.
        let pdb = Pdb::deserialize(&json!({"metadata": {"name": "render"}, "spec": {"minAvailable": 2, "selector": {"matchLabels": {"app": "render"}}}})).unwrap();
        let with_pdb = crate::kube::objects::Namespace {
            pdbs: vec![pdb],
            ..Default::default()
        };
        assert!(deployment_findings(&packed, &[batch_pool(10, None)], &with_pdb, &s).is_empty());
        assert_eq!(
            deployment_findings(&packed, &[batch_pool(10, Some("1h"))], &with_pdb, &s).len(),
            1
        );
    }

    #[test]
    fn pods_that_always_hold_their_nodes_are_drained_only_by_drift_with_a_grace_period() {
        let ns = crate::kube::objects::Namespace::default();
        let s = Settings::default();
        let consolidating = |tgp| {
            let mut p = batch_pool(10, tgp);
            p.pool
                .spec
                .disruption
                .as_mut()
                .unwrap()
                .consolidation_policy = Some("WhenEmptyOrUnderutilized".into());
            p
        };
        let mut held = deployment(json!({"nodeSelector": {NODEPOOL_LABEL: "batch"}}));
        held["spec"]["template"]["metadata"]["annotations"] = json!({DO_NOT_DISRUPT: "true"});
        assert!(deployment_findings(&held, &[consolidating(None)], &ns, &s).is_empty());
        let f = deployment_findings(&held, &[consolidating(Some("1h"))], &ns, &s);
        assert_eq!(f.len(), 1);
        assert!(f[0].problem.contains("(Drifted, at all times)"), "{}", f[0]);
        // A duration protects only each pod's start: the pods count as drainable.
        held["spec"]["template"]["metadata"]["annotations"] = json!({DO_NOT_DISRUPT: "30m"});
        let f = deployment_findings(&held, &[consolidating(None)], &ns, &s);
        assert_eq!(f.len(), 1);
        assert!(
            f[0].problem
                .contains("(Underutilized, Drifted, at all times)"),
            "{}",
            f[0]
        );
    }

    #[test]
    fn placement_is_read_from_the_pod_template() {
        let labels: crate::kube::selector::Labels =
            [("app".to_string(), "render".to_string())].into();
        let spread = deployment(
            json!({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                {"matchExpressions": [{"key": NODEPOOL_LABEL, "operator": "In", "values": ["a", "b"]}]}]}}},
            "topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "kubernetes.io/hostname", "whenUnsatisfiable": "DoNotSchedule",
                "labelSelector": {"matchLabels": {"app": "render"}}}]}),
        );
        let p = Placement::of(&spread, &labels);
        assert_eq!(p.pools, Some(vec!["a".to_string(), "b".to_string()]));
        assert_eq!(p.hostname_spread, Some(1));
        assert!(!p.required_hostname_anti_affinity);
        let anywhere = deployment(
            json!({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchExpressions": [{"key": NODEPOOL_LABEL, "operator": "In", "values": ["a"]}]}, {"matchExpressions": []}]}}}}),
        );
        assert_eq!(
            Placement::of(&anywhere, &labels).pools,
            None,
            "one unrestricted term frees the pods"
        );
    }

    #[test]
    fn the_report_is_data_too() {
        let p = pool(
            json!([{"nodes": "10%"}, {"nodes": "0", "schedule": "0 0 * * 1-5", "duration": "9h"}]),
            None,
        );
        let r = analyze_outage(&p);
        let v = report_json(&r, &p, &Settings::default());
        assert_eq!(v["nodes"], 30);
        let empty = &v["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["reason"] == "Empty")
            .unwrap()
            .clone();
        assert_eq!(empty["evictsPods"], false);
        assert_eq!(
            empty["windows"][0]["allowed"], 0,
            "15:43 KST on a Tuesday: frozen"
        );
        let api = &v["workloads"][0];
        assert_eq!(
            (
                api["replicas"].clone(),
                api["floor"].clone(),
                api["worstCaseLost"].clone()
            ),
            (json!(3), json!(2), json!(3))
        );
        assert_eq!(api["margin"], -2);
        assert_eq!(api["protection"]["status"], "unprotected");
        assert!(api["breaks"].as_array().unwrap().len() >= 5);
        assert_eq!(v["forceful"]["expireAfter"], "720h");
    }

    #[test]
    fn placement_model() {
        assert_eq!(placement_per_node(5, true, None), 1);
        assert_eq!(
            placement_per_node(5, false, Some((1, 3))),
            2,
            "⌊(5 + 2) / 3⌋"
        );
        assert_eq!(placement_per_node(6, false, Some((1, 3))), 2);
        assert_eq!(placement_per_node(4, false, None), 4);
    }
}
