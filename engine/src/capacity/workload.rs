//! The calculator at Deployment/StatefulSet admission: the workload's side of the question.

use super::placement::Placement;
use super::{availability_floor, drains, evicting_reasons};
use crate::calendar::spans::{MINUTES_PER_WEEK, Minute, Span, SpanSet};
use crate::finding::{Finding, Rule};
use crate::karpenter::budget::Timeline;
use crate::karpenter::do_not_disrupt::{DO_NOT_DISRUPT, PodValue, pod_value};
use crate::karpenter::nodepool::ListedNodePool;
use crate::karpenter::nodepool::{Reason, Reasons};
use crate::kube::objects::Workload;
use crate::settings::Settings;

/// The calculator at workload admission: for each NodePool the workload can land on (`pools` as returned by
/// the NodePool list; its size is `status.nodes`), can the drains its budgets allow take the workload below
/// its floor, given how its pods may be placed? `w` is `object` as [read](Workload::read). Pods annotated
/// `karpenter.sh/do-not-disrupt: "true"` keep their nodes from consolidation and from drift without
/// terminationGracePeriod; a duration protects only each pod's start and is not counted.
pub fn workload_findings(
    object: &serde_json::Value,
    w: &Workload,
    pools: &[ListedNodePool],
    ns: &crate::kube::objects::Namespace,
    settings: &Settings,
    now: Minute,
) -> Vec<Finding> {
    let replicas = w.replicas(&ns.hpas).count;
    if replicas < u64::from(settings.workloads.min_replicas) {
        return Vec::new();
    }
    let placement = Placement::of(object, w.pod_labels());
    let held = w
        .spec
        .template
        .metadata
        .annotations
        .get(DO_NOT_DISRUPT)
        .is_some_and(|v| pod_value(v) == PodValue::Always);
    let pdb = ns
        .pdbs
        .iter()
        .filter(|p| p.selects(w.pod_labels()))
        .find(|p| p.budget().is_ok_and(|b| b.protects(replicas)));
    let mut out = Vec::new();
    for listed in pools {
        let (pool, size) = (&listed.pool, listed.nodes);
        let name = pool.name().to_string();
        if placement.pools.as_ref().is_some_and(|p| !p.contains(&name)) {
            continue;
        }
        let tgp = pool.spec.template.spec.termination_grace_period.clone();
        if pdb.is_some() && tgp.is_none() {
            continue; // Graceful drains wait for the PDB.
        }
        // Pods that always hold their nodes: only drift with terminationGracePeriod takes those nodes.
        let reasons = match (held, &tgp) {
            (false, _) => evicting_reasons(pool),
            (true, Some(_)) => Reasons::of(&[Reason::Drifted]),
            (true, None) => continue,
        };
        let Ok(timeline) = Timeline::build(&pool.budgets(), Span::new(now, now + MINUTES_PER_WEEK))
        else {
            continue;
        };
        let drains = drains(&timeline, reasons, size);
        let per_node = placement.per_node(replicas, size).max(1);
        let (floor, mut source) = availability_floor(pdb, replicas, settings);
        if pdb.is_some() {
            source.push_str(", bypassed by terminationGracePeriod");
        }
        let lost = |k: u64| (k.saturating_mul(per_node)).min(replicas);
        let Some(k_break) = fewest_drains_below_floor(replicas, floor, per_node, size) else {
            continue;
        };
        let mut breaks = SpanSet::new();
        for d in drains.iter().filter(|d| d.nodes >= k_break) {
            breaks.push(d.span.start, d.span.end);
        }
        let Some(worst) = drains
            .iter()
            .filter(|d| d.nodes >= k_break)
            .max_by_key(|d| d.nodes)
        else {
            continue;
        };
        let when = crate::calendar::wording::describe_when(
            &breaks,
            Span::new(now, now + MINUTES_PER_WEEK),
            settings.local_zone(),
        );
        out.push(
            Finding::new(Rule::WorkloadCapacity, "spec.template.spec.affinity", format!("NodePool {name}"))
                .problem(format!(
                    "NodePool {name} ({size} nodes) allows {} concurrent drain{} ({}, {when}); {} of {replicas} replicas may share a node ({}), so those drains can take {}, leaving {} below the floor {floor} ({source}).",
                    worst.nodes,
                    if worst.nodes == 1 { "" } else { "s" },
                    worst.reasons.names(),
                    per_node,
                    placement.describe(replicas, size),
                    lost(worst.nodes),
                    replicas - lost(worst.nodes),
                ))
                .fix(format!(
                    "add a PodDisruptionBudget (minAvailable: {floor}), or keep the pods apart with required pod anti-affinity on kubernetes.io/hostname"
                )),
        );
    }
    out
}

/// The fewest of `size` nodes whose drains, taking `per_node` pods each, leave fewer than `floor` of
/// `replicas` pods: `None` when even all of them cannot. In closed form, so that a pool's `status.nodes`,
/// which the host reports, never sets the length of a loop.
pub(super) fn fewest_drains_below_floor(
    replicas: u64,
    floor: u64,
    per_node: u64,
    size: u64,
) -> Option<u64> {
    // replicas − min(k·per_node, replicas) < floor ⟺ k·per_node > replicas − floor, for floor ≥ 1.
    let k = match (floor, per_node) {
        (0, _) => return None,
        (_, 0) if floor <= replicas => return None,
        (_, 0) => 1,
        _ => replicas.saturating_sub(floor) / per_node + 1,
    };
    (k <= size).then_some(k)
}
