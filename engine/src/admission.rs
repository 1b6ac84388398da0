//! The admission decision for each guarded kind: mutate when the settings allow it, and accept only what
//! then passes every rule. Shared by the policy, the CLI and the browser page.

use serde_json::Value;

use crate::calendar::spans::Minute;
use crate::capacity;
use crate::finding::{self, Finding, Rule};
use crate::guards::nodepool::rules::Detail;
use crate::guards::nodepool::years::Years;
use crate::guards::nodepool::{
    expiry, mutation as nodepool_mutation, rules as nodepool_rules, scale as nodepool_scale,
};
use crate::guards::pdb::{mutation as pdb_mutation, rules as pdb_rules};
use crate::guards::workload::{mutation as workload_mutation, rules as workload_rules};
use crate::karpenter::nodepool::ListedNodePool;
use crate::kube::objects::{Cluster, Namespace, Scaled, Workload};
use crate::settings::{ExpiryForecast, LookupFailure, Settings};
use crate::update;

#[derive(Debug)]
pub enum Decision {
    /// Accepted as is, with warnings to show the user.
    Accept { warnings: Vec<String> },
    /// Accepted as `object`, the mutated object, with one line per change.
    Mutate {
        object: Value,
        changes: Vec<String>,
        warnings: Vec<String>,
    },
    /// Rejected for these findings.
    Reject { findings: Vec<Finding> },
}

impl Decision {
    /// `accepted`, `mutated` or `rejected`.
    pub fn verdict(&self) -> &'static str {
        match self {
            Decision::Accept { .. } => "accepted",
            Decision::Mutate { .. } => "mutated",
            Decision::Reject { .. } => "rejected",
        }
    }

    pub fn is_reject(&self) -> bool {
        matches!(self, Decision::Reject { .. })
    }

    /// Adds a warning to an admitted object (a rejection shows its findings alone).
    pub fn warn(&mut self, warning: String) {
        if let Decision::Accept { warnings } | Decision::Mutate { warnings, .. } = self {
            warnings.push(warning);
        }
    }

    /// The decision as the CLI and the browser page show it: `verdict`, `findings`, `changes`, `warnings`,
    /// and the `mutated` object when there is one.
    pub fn to_json(&self) -> Value {
        let none: &[String] = &[];
        let (findings, changes, warnings): (&[Finding], &[String], &[String]) = match self {
            Decision::Accept { warnings } => (&[], none, warnings),
            Decision::Mutate {
                changes, warnings, ..
            } => (&[], changes, warnings),
            Decision::Reject { findings } => (findings, none, none),
        };
        let mut json = serde_json::json!({
            "verdict": self.verdict(),
            "findings": findings,
            "changes": changes,
            "warnings": warnings,
        });
        if let Decision::Mutate { object, .. } = self {
            json["mutated"] = object.clone();
        }
        json
    }
}

/// The result of context-aware lookups: `Err` says what failed.
pub type Lookup<'a, T> = Result<&'a T, String>;

/// Added to the fix of findings that mutation would repair by itself.
pub const REPAIRED_NOTE: &str =
    "(disruption-guard adds this itself once the other problems are fixed)";

/// Writes decided before any lookup (docs/behaviour.md: "On UPDATE"): an object being deleted is admitted as it is, and
/// so is an UPDATE that leaves `spec` as it was (controllers' annotation, label and finalizer writes), with
/// the findings it already had named in warnings. `judge`: the guard's decision without lookups. `None`: the
/// guard must judge the write in full.
pub fn settled(
    object: &Value,
    old: Option<&Value>,
    kind: &str,
    judge: impl FnOnce() -> Decision,
) -> Option<Decision> {
    if update::is_deleting(object) {
        return Some(Decision::Accept {
            warnings: Vec::new(),
        });
    }
    if !update::unchanged(object, old?, &["spec"]) {
        return None;
    }
    Some(Decision::Accept {
        warnings: match judge() {
            Decision::Reject { findings } => update::warnings(&findings, kind),
            Decision::Accept { warnings } | Decision::Mutate { warnings, .. } => warnings,
        },
    })
}

/// `old`: the stored object, on UPDATE. `cluster`: the pool's nodes and what runs on them, for the capacity
/// calculator (with `capacity.enabled`) and the expiry forecast (`None`: not looked up).
pub fn nodepool(
    object: &Value,
    old: Option<&Value>,
    settings: &Settings,
    now: Minute,
    cluster: Option<Lookup<Cluster>>,
) -> Decision {
    let mut years = Years::default();
    let nodes = match &cluster {
        Some(Ok(cluster)) => cluster.nodes.as_slice(),
        _ => &[],
    };
    let all_findings = |pool: &Value, years: &mut Years, detail: Detail| {
        let mut findings = nodepool_rules::check_with(pool, old, settings, now, years, detail);
        if let Some(Ok(cluster)) = &cluster
            && settings.capacity.enabled
            && cluster.skipped.is_none()
        {
            findings.extend(capacity::check(pool, cluster, settings, now));
        }
        if settings.node_pools.expiry_forecast == ExpiryForecast::Reject {
            findings.extend(expiry::check(pool, nodes, settings, now));
        }
        findings
    };
    let mut mutated = object.clone();
    // An UPDATE gets the injections only when it changes the disruption block itself.
    let changes = if old.is_none_or(|old| !update::unchanged(object, old, &["spec", "disruption"]))
    {
        nodepool_mutation::mutate_with(&mut mutated, settings, now, &mut years)
    } else {
        Vec::new()
    };
    // Unchanged, the object is judged once, in full. Changed, the mutated pool's rules are enough to
    // accept it, or to tell which of the problems of the object as written mutation repairs.
    // On UPDATE, findings are compared with the stored pool's, so they are worded in full.
    let detail = if changes.is_empty() || old.is_some() {
        Detail::Full
    } else {
        Detail::RulesOnly
    };
    let (warned, mut after): (Vec<Finding>, Vec<Finding>) =
        all_findings(&mutated, &mut years, detail)
            .into_iter()
            .partition(|f| f.rule.only_warns());
    let mut warnings = finding::warnings(&warned);
    // A static pool's replica decrease is drained at once, without budgets.
    if let Some(old) = old {
        let replicas = |pool: &Value| pool["spec"]["replicas"].as_i64();
        let name = object["metadata"]["name"].as_str().unwrap_or_default();
        if let (Some(from), Some(to)) = (replicas(old), replicas(object)) {
            warnings.extend(nodepool_scale::decrease_warning(name, from, to, settings));
        }
    }
    if settings.node_pools.expiry_forecast == ExpiryForecast::Warn {
        let forecast = expiry::check(&mutated, nodes, settings, now);
        warnings.extend(finding::warnings(forecast.as_slice()));
    }
    if let Some(Ok(Cluster {
        skipped: Some(why), ..
    })) = &cluster
    {
        warnings.push(format!("disruption-guard: capacity check skipped: {why}"));
    }
    // On UPDATE, what the stored pool already had on fields left as they were does not reject.
    let mut old_findings = None;
    if let Some(old) = old
        && !after.is_empty()
    {
        let had = old_findings.insert(all_findings(old, &mut years, Detail::Full));
        let kept;
        (after, kept) = update::ratchet(after, had, object, old);
        warnings.extend(update::warnings(&kept, "NodePool"));
    }
    if let Some(Err(error)) = &cluster
        && after.is_empty()
    {
        lookup_failed(error, "NodePool", settings, &mut after, &mut warnings);
    }
    if after.is_empty() || changes.is_empty() {
        return finish(mutated, changes, after, warnings);
    }
    // Explain the user's own object: windows and values as written, not as we would have patched them.
    let mut before = all_findings(object, &mut years, Detail::Full);
    before.retain(|f| !f.rule.only_warns()); // warned about above
    if let (Some(old), Some(had)) = (old, &old_findings) {
        before = update::ratchet(before, had, object, old).0;
    }
    for f in &mut before {
        if !after.iter().any(|a| a.rule == f.rule) {
            f.fix = format!("{} {REPAIRED_NOTE}", f.fix);
        }
    }
    // A failed lookup is the "other problem" that keeps mutation from repairing the rest: it leads. (The
    // object as written passes no lookup rule of its own, so `before` never holds it.)
    let failed = after.iter().filter(|f| f.rule == Rule::LookupFailed);
    before.splice(0..0, failed.cloned());
    if before.is_empty() {
        // Only the mutated object breaks a rule (e.g. a lookup failed): word its findings.
        before = match detail {
            Detail::Full => after,
            Detail::RulesOnly => {
                let full = all_findings(&mutated, &mut years, Detail::Full);
                if full.is_empty() { after } else { full } // The lookup failure alone, worded in full.
            }
        };
    }
    Decision::Reject { findings: before }
}

/// `old`: the stored PDB, on UPDATE. `lookup`: its namespace (`None`: not looked up, the context-aware
/// rules are skipped).
pub fn pdb(
    object: &Value,
    old: Option<&Value>,
    settings: &Settings,
    lookup: Option<Lookup<Namespace>>,
) -> Decision {
    let mut mutated = object.clone();
    // Defaults are for new PDBs: an UPDATE is never given fields it did not write.
    let changes = match old {
        None => pdb_mutation::mutate(&mut mutated, settings),
        Some(_) => Vec::new(),
    };
    let ns = lookup.as_ref().and_then(|l| l.as_ref().ok().copied());
    let mut findings = pdb_rules::check(&mutated, ns);
    let mut warnings = Vec::new();
    if let Some(old) = old
        && !findings.is_empty()
    {
        let kept;
        (findings, kept) = update::ratchet(findings, &pdb_rules::check(old, ns), object, old);
        warnings.extend(update::warnings(&kept, "PodDisruptionBudget"));
    }
    if let Some(Err(error)) = &lookup {
        let kind = "PodDisruptionBudget";
        lookup_failed(error, kind, settings, &mut findings, &mut warnings);
    }
    finish(mutated, changes, findings, warnings)
}

/// A Deployment or StatefulSet (`kind`) in `namespace`; `old`: the stored one, on UPDATE. `lookup`: the
/// namespace's PDBs and HPAs (`None`: not looked up, the context-aware rules are skipped). `pools`: the
/// NodePools (as listed, with their size) for the capacity calculator (`None`: disabled).
#[allow(clippy::too_many_arguments)]
pub fn workload(
    object: &Value,
    old: Option<&Value>,
    kind: &str,
    namespace: &str,
    settings: &Settings,
    now: Minute,
    lookup: Option<Lookup<Namespace>>,
    pools: Option<Lookup<Vec<ListedNodePool>>>,
) -> Decision {
    let mut mutated = object.clone();
    // Spreading changes the pod template, which rolls every pod: only when the update changes it anyway.
    let changes = if old.is_none_or(|old| !update::unchanged(object, old, &["spec", "template"])) {
        workload_mutation::mutate(&mut mutated, settings)
    } else {
        Vec::new()
    };
    let ns = lookup.as_ref().and_then(|l| l.as_ref().ok().copied());
    let (mut findings, mut warnings) =
        workload_findings(&mutated, kind, namespace, settings, now, ns, &pools);
    if let Some(old) = old
        && !findings.is_empty()
    {
        let (had, _) = workload_findings(old, kind, namespace, settings, now, ns, &pools);
        let kept;
        (findings, kept) = update::ratchet(findings, &had, object, old);
        warnings.extend(update::warnings(&kept, kind));
    }
    if let Some(Err(error)) = &pools {
        lookup_failed(error, kind, settings, &mut findings, &mut warnings);
    }
    if let Some(Err(error)) = &lookup {
        lookup_failed(error, kind, settings, &mut findings, &mut warnings);
    }
    finish(mutated, changes, findings, warnings)
}

/// The workload rules and, with the namespace and the pools, the capacity calculator: (errors, warnings).
fn workload_findings(
    object: &Value,
    kind: &str,
    namespace: &str,
    settings: &Settings,
    now: Minute,
    ns: Option<&Namespace>,
    pools: &Option<Lookup<Vec<ListedNodePool>>>,
) -> (Vec<Finding>, Vec<String>) {
    let workload = Workload::read(object, kind);
    let verdict = workload_rules::check(workload.as_ref(), kind, namespace, settings, ns);
    let mut findings = verdict.errors;
    let warnings = verdict.warnings.iter().map(ToString::to_string).collect();
    if let (Some(Ok(pools)), Some(ns), Ok(w)) = (pools, ns, &workload) {
        findings.extend(capacity::workload::workload_findings(
            object, w, pools, ns, settings, now,
        ));
    }
    (findings, warnings)
}

/// A `scale` subresource UPDATE of a `kind` workload from `from` to `to` replicas (`kubectl scale`, an HPA),
/// judged against the stored workload and its namespace's PDBs (`lookup`). Only the replica count changes, so
/// the only rule it can break is a covering PDB that keeps every replica: rejected when the new count brings
/// that, a warning when the old count had it already.
pub fn scale(
    kind: &str,
    from: u64,
    to: u64,
    settings: &Settings,
    lookup: Lookup<Scaled>,
) -> Decision {
    let mut warnings = Vec::new();
    let scaled = match lookup {
        Ok(scaled) => scaled,
        Err(e) => {
            let mut findings = Vec::new();
            lookup_failed(&e, kind, settings, &mut findings, &mut warnings);
            return finish(Value::Null, Vec::new(), findings, warnings);
        }
    };
    let blocking = workload_rules::pdb_blocks(&scaled.workload, to, &scaled.pdbs);
    if blocking.is_empty() {
        Decision::Accept { warnings }
    } else if workload_rules::pdb_blocks(&scaled.workload, from, &scaled.pdbs).is_empty() {
        Decision::Reject { findings: blocking }
    } else {
        Decision::Accept {
            warnings: update::warnings(&blocking, kind),
        }
    }
}

/// A lookup that failed with `error`: a finding that rejects (`onLookupFailure: reject`) or a warning
/// (`accept`).
fn lookup_failed(
    error: &str,
    kind: &str,
    settings: &Settings,
    findings: &mut Vec<Finding>,
    warnings: &mut Vec<String>,
) {
    let finding = Finding::new(Rule::LookupFailed, "(cluster)", error)
        .problem(format!(
            "disruption-guard could not read the cluster (PodDisruptionBudgets, Deployments, StatefulSets, \
             HorizontalPodAutoscalers, Pods, Nodes), so it cannot tell whether this {kind} leaves pods unprotected \
             or lets drains take them down."
        ))
        .fix(crate::lookups::fix_for(error));
    match settings.on_lookup_failure {
        LookupFailure::Reject => findings.push(finding),
        LookupFailure::Accept => warnings.push(format!(
            "{finding} (checks skipped: onLookupFailure is accept)"
        )),
    }
}

fn finish(
    mutated: Value,
    changes: Vec<String>,
    findings: Vec<Finding>,
    warnings: Vec<String>,
) -> Decision {
    if !findings.is_empty() {
        Decision::Reject { findings }
    } else if changes.is_empty() {
        Decision::Accept { warnings }
    } else {
        Decision::Mutate {
            object: mutated,
            changes,
            warnings,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Rule;
    use serde_json::json;

    use crate::testkit::{INCIDENT as NOW, seoul};

    fn pool(disruption: Value) -> Value {
        crate::testkit::nodepool("p", disruption)
    }

    #[test]
    fn rejections_describe_the_object_as_written() {
        let incident = pool(
            json!({"consolidationPolicy": "WhenEmptyOrUnderutilized", "consolidateAfter": "30s", "budgets": [{"nodes": "100%"}]}),
        );
        let Decision::Reject { findings } = nodepool(&incident, None, &seoul(), NOW, None) else {
            panic!("must reject")
        };
        let max = findings
            .iter()
            .find(|f| f.rule == Rule::BudgetAboveMax)
            .unwrap();
        assert!(max.problem.contains("at all times"), "{max}");
        let freeze = findings
            .iter()
            .find(|f| f.rule == Rule::BusinessHoursNotFrozen)
            .unwrap();
        assert!(freeze.fix.ends_with(REPAIRED_NOTE));
        assert!(!max.fix.contains(REPAIRED_NOTE));
    }

    #[test]
    fn a_failed_lookup_is_named_first_when_mutation_would_repair_the_rest() {
        let no_freeze = pool(
            json!({"consolidationPolicy": "WhenEmpty", "consolidateAfter": "5m", "budgets": [{"nodes": "10%"}]}),
        );
        let refused = Err("listing Node (v1) cluster-wide failed: forbidden".to_string());
        let Decision::Reject { findings } =
            nodepool(&no_freeze, None, &seoul(), NOW, Some(refused))
        else {
            panic!("must reject")
        };
        let rules: Vec<Rule> = findings.iter().map(|f| f.rule).collect();
        assert_eq!(rules, [Rule::LookupFailed, Rule::BusinessHoursNotFrozen]);
        assert!(findings[0].value.contains("forbidden"), "{}", findings[0]);
        assert!(findings[1].fix.ends_with(REPAIRED_NOTE));
    }

    /// With `expiryForecast: reject`, a pool whose nodes will expire in business hours is rejected on
    /// CREATE, and an UPDATE that leaves `expireAfter` as it was (Karpenter's annotations) only warns.
    #[test]
    fn the_expiry_forecast_rejects_by_setting_and_ratchets_on_update() {
        use crate::kube::objects::manifest_objects;
        let fixed = pool(
            json!({"consolidationPolicy": "WhenEmpty", "consolidateAfter": "5m",
            "budgets": [{"nodes": "10%"}, {"nodes": "0", "schedule": "0 0 * * mon-fri", "duration": "9h"}]}),
        );
        // Created 2026-10-26 01:00Z: with 720h, it expires Wed 2026-11-25 10:00 KST.
        let mut objects = Vec::new();
        manifest_objects(
            json!({"kind": "Node", "metadata": {"name": "n1", "creationTimestamp": "2026-10-26T01:00:00Z",
                "labels": {"karpenter.sh/nodepool": fixed["metadata"]["name"]}}}),
            &mut objects,
        );
        let cluster = Cluster::from_objects(&objects);
        let mut settings = seoul();
        let Decision::Accept { warnings } =
            nodepool(&fixed, None, &settings, NOW, Some(Ok(&cluster)))
        else {
            panic!("a warning by default")
        };
        assert!(
            warnings[0].contains("[nodepool-expiry-forecast]"),
            "{warnings:?}"
        );
        settings.node_pools.expiry_forecast = ExpiryForecast::Reject;
        let Decision::Reject { findings } =
            nodepool(&fixed, None, &settings, NOW, Some(Ok(&cluster)))
        else {
            panic!("rejected by setting")
        };
        assert_eq!(findings[0].rule, Rule::ExpiryForecast);
        assert!(
            findings[0]
                .problem
                .contains("n1 at Wed 2026-11-25 10:00 KST"),
            "{}",
            findings[0]
        );
        let mut annotated = fixed.clone();
        annotated["metadata"]["annotations"] = json!({"karpenter.sh/nodepool-hash": "1"});
        let Decision::Accept { warnings } =
            nodepool(&annotated, Some(&fixed), &settings, NOW, Some(Ok(&cluster)))
        else {
            panic!("an update that leaves expireAfter alone is admitted")
        };
        assert!(
            warnings
                .iter()
                .any(|w| w.contains("[nodepool-expiry-forecast]")),
            "{warnings:?}"
        );
    }

    #[test]
    fn accept_and_mutate() {
        let fixed = pool(
            json!({"consolidationPolicy": "WhenEmpty", "consolidateAfter": "5m",
            "budgets": [{"nodes": "10%"}, {"nodes": "0", "schedule": "0 0 * * mon-fri", "duration": "9h"}]}),
        );
        assert!(
            matches!(nodepool(&fixed, None, &seoul(), NOW, None), Decision::Accept { warnings: w } if w.is_empty())
        );
        let no_freeze = pool(
            json!({"consolidationPolicy": "WhenEmpty", "consolidateAfter": "5m", "budgets": [{"nodes": "10%"}]}),
        );
        let Decision::Mutate {
            object: m, changes, ..
        } = nodepool(&no_freeze, None, &seoul(), NOW, None)
        else {
            panic!("must mutate")
        };
        assert_eq!(changes.len(), 1);
        assert_eq!(
            m["spec"]["disruption"]["budgets"][1]["schedule"],
            "0 0 * * 1-5"
        );
    }
}
