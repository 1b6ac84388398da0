//! The admission decision for each guarded kind: mutate when the settings allow it, and accept only what
//! then passes every rule. Shared by the policy, the CLI and the browser page.

use serde_json::Value;

use crate::capacity;
use crate::finding::{Finding, Rule};
use crate::k8s::{Cluster, Namespace, Workload};
use crate::nodepool::ListedNodePool;
use crate::nodepool_rules::Detail;
use crate::settings::{LookupFailure, Settings};
use crate::spans::Minute;
use crate::{
    nodepool_mutation, nodepool_rules, pdb_mutation, pdb_rules, workload_mutation, workload_rules,
};

#[derive(Debug)]
pub enum Decision {
    /// Accepted as is, with warnings to show the user.
    Accept(Vec<String>),
    /// The mutated object, one line per change, and warnings.
    Mutate(Value, Vec<String>, Vec<String>),
    /// Findings about the object.
    Reject(Vec<Finding>),
}

/// The result of context-aware lookups: `Err` says what failed.
pub type Lookup<'a, T> = Result<&'a T, String>;

/// Added to the fix of findings that mutation would repair by itself.
pub const REPAIRED_NOTE: &str =
    "(disruption-guard adds this itself once the other problems are fixed)";

/// `cluster`: the pool's nodes and what runs on them, for the capacity calculator (`None`: disabled).
pub fn nodepool(
    object: &Value,
    old: Option<&Value>,
    settings: &Settings,
    now: Minute,
    cluster: Option<Lookup<Cluster>>,
) -> Decision {
    let mut years = nodepool_rules::Years::default();
    let all_findings = |pool: &Value, years: &mut nodepool_rules::Years, detail: Detail| {
        let mut findings = nodepool_rules::check_with(pool, old, settings, now, years, detail);
        if let Some(Ok(cluster)) = &cluster {
            findings.extend(capacity::check(pool, cluster, settings, now));
        }
        findings
    };
    let mut mutated = object.clone();
    let changes = nodepool_mutation::mutate_with(&mut mutated, settings, now, &mut years);
    // Unchanged, the object is judged once, in full. Changed, the mutated pool's rules are enough to
    // accept it, or to tell which of the problems of the object as written mutation repairs.
    let detail = if changes.is_empty() {
        Detail::Full
    } else {
        Detail::RulesOnly
    };
    let mut after = all_findings(&mutated, &mut years, detail);
    let mut warnings = Vec::new();
    if let Some(lookup) = &cluster
        && after.is_empty()
    {
        lookup_failure(lookup, "NodePool", settings, &mut after, &mut warnings);
    }
    if after.is_empty() || changes.is_empty() {
        return finish(mutated, changes, after, warnings);
    }
    // Explain the user's own object: windows and values as written, not as we would have patched them.
    let mut before = all_findings(object, &mut years, Detail::Full);
    for f in &mut before {
        if !after.iter().any(|a| a.rule == f.rule) {
            f.fix = format!("{} {REPAIRED_NOTE}", f.fix);
        }
    }
    if before.is_empty() {
        // Only the mutated object breaks a rule (e.g. a lookup failed): word its findings.
        before = all_findings(&mutated, &mut years, Detail::Full);
        if before.is_empty() {
            before = after; // The lookup failure alone, worded in full.
        }
    }
    Decision::Reject(before)
}

pub fn pdb(object: &Value, settings: &Settings, lookup: Lookup<Namespace>) -> Decision {
    let mut mutated = object.clone();
    let changes = pdb_mutation::mutate(&mut mutated, settings);
    let mut findings = pdb_rules::check(&mutated, lookup.as_ref().ok().copied());
    let mut warnings = Vec::new();
    lookup_failure(
        &lookup,
        "PodDisruptionBudget",
        settings,
        &mut findings,
        &mut warnings,
    );
    finish(mutated, changes, findings, warnings)
}

/// A Deployment or StatefulSet (`kind`) in `namespace`. `pools`: the NodePools (as listed, with their
/// size) for the capacity calculator (`None`: disabled).
pub fn workload(
    object: &Value,
    kind: &str,
    namespace: &str,
    settings: &Settings,
    now: Minute,
    lookup: Lookup<Namespace>,
    pools: Option<Lookup<Vec<ListedNodePool>>>,
) -> Decision {
    let mut mutated = object.clone();
    let changes = workload_mutation::mutate(&mut mutated, settings);
    let workload = Workload::read(&mutated, kind);
    let verdict = workload_rules::check(
        workload.as_ref(),
        kind,
        namespace,
        settings,
        lookup.as_ref().ok().copied(),
    );
    let mut findings = verdict.errors;
    let mut warnings: Vec<String> = verdict.warnings.iter().map(ToString::to_string).collect();
    match (&pools, &lookup, &workload) {
        (Some(Ok(pools)), Ok(ns), Ok(w)) => findings.extend(capacity::workload_findings(
            &mutated, w, pools, ns, settings, now,
        )),
        (Some(Err(e)), _, _) => lookup_failure::<()>(
            &Err(e.clone()),
            kind,
            settings,
            &mut findings,
            &mut warnings,
        ),
        _ => {}
    }
    lookup_failure(&lookup, kind, settings, &mut findings, &mut warnings);
    finish(mutated, changes, findings, warnings)
}

fn lookup_failure<T>(
    lookup: &Lookup<T>,
    kind: &str,
    settings: &Settings,
    findings: &mut Vec<Finding>,
    warnings: &mut Vec<String>,
) {
    let Err(error) = lookup else { return };
    let finding = Finding::new(Rule::LookupFailed, "(cluster)", error.clone())
        .problem(format!(
            "disruption-guard could not read the cluster (PodDisruptionBudgets, Deployments, StatefulSets, \
             HorizontalPodAutoscalers, Pods, Nodes), so it cannot tell whether this {kind} leaves pods unprotected \
             or lets drains take them down."
        ))
        .fix(
            "grant the PolicyServer's service account get/list/watch on poddisruptionbudgets (policy), deployments and \
             statefulsets (apps), horizontalpodautoscalers (autoscaling), pods and nodes, and list them in the \
             policy's contextAwareResources; or set onLookupFailure: accept to skip these checks",
        );
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
        Decision::Reject(findings)
    } else if changes.is_empty() {
        Decision::Accept(warnings)
    } else {
        Decision::Mutate(mutated, changes, warnings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Rule;
    use crate::spans::MINUTES_PER_DAY;
    use serde_json::json;

    const NOW: Minute = 20_781 * MINUTES_PER_DAY + 6 * 60 + 43;

    fn pool(disruption: Value) -> Value {
        json!({
            "apiVersion": "karpenter.sh/v1", "kind": "NodePool", "metadata": {"name": "p"},
            "spec": {"template": {"spec": {
                "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "default"},
                "requirements": []
            }}, "disruption": disruption}
        })
    }

    fn seoul() -> Settings {
        serde_json::from_value(json!({"businessHours": {"timezone": "Asia/Seoul"}, "nodePools": {"allowedConsolidationPolicies": ["WhenEmpty"]}}))
            .unwrap()
    }

    #[test]
    fn rejections_describe_the_object_as_written() {
        let incident = pool(
            json!({"consolidationPolicy": "WhenEmptyOrUnderutilized", "consolidateAfter": "30s", "budgets": [{"nodes": "100%"}]}),
        );
        let Decision::Reject(findings) = nodepool(&incident, None, &seoul(), NOW, None) else {
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
    fn accept_and_mutate() {
        let fixed = pool(
            json!({"consolidationPolicy": "WhenEmpty", "consolidateAfter": "5m",
            "budgets": [{"nodes": "10%"}, {"nodes": "0", "schedule": "0 0 * * mon-fri", "duration": "9h"}]}),
        );
        assert!(
            matches!(nodepool(&fixed, None, &seoul(), NOW, None), Decision::Accept(w) if w.is_empty())
        );
        let no_freeze = pool(
            json!({"consolidationPolicy": "WhenEmpty", "consolidateAfter": "5m", "budgets": [{"nodes": "10%"}]}),
        );
        let Decision::Mutate(m, changes, _) = nodepool(&no_freeze, None, &seoul(), NOW, None)
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
