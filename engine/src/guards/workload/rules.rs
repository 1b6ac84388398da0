//! Deployment and StatefulSet rules: a replicated workload needs a PDB that protects it without
//! blocking drains, and its pods must not sit under two PDBs. Karpenter annotations on the pod template are
//! reported as warnings.

use serde_json::{Value, json};

use crate::finding::{Finding, Rule};
use crate::karpenter::do_not_disrupt::{DO_NOT_DISRUPT, PodValue, pod_value};
use crate::kube::int_or_percent::IntOrPercent;
use crate::kube::objects::{Namespace, Pdb, Replicas, Workload};
use crate::settings::Settings;
use crate::yaml::to_yaml;

/// Errors (reject) and warnings (accept, but tell).
#[derive(Debug, Default)]
pub struct Verdict {
    pub errors: Vec<Finding>,
    pub warnings: Vec<Finding>,
}

/// `workload`: the object as [read](Workload::read), or why it could not be.
pub fn check(
    workload: Result<&Workload, &serde_json::Error>,
    kind: &str,
    namespace: &str,
    settings: &Settings,
    ns: Option<&Namespace>,
) -> Verdict {
    let mut v = Verdict::default();
    let workload = match workload {
        Ok(w) => w,
        Err(e) => {
            v.errors.push(
                Finding::new(Rule::WorkloadInvalid, "(object)", "(unreadable)")
                    .problem(format!("the {kind} cannot be read: {e}"))
                    .fix("fix the field named in the error"),
            );
            return v;
        }
    };
    annotations(workload, settings, &mut v.warnings);
    spreading(workload, &mut v.warnings);
    let Some(ns) = ns else { return v };
    let replicas = workload.replicas(&ns.hpas);
    let covering: Vec<&Pdb> = ns
        .pdbs
        .iter()
        .filter(|p| p.selects(workload.pod_labels()))
        .collect();
    if covering.len() > 1 {
        let names: Vec<&str> = covering.iter().map(|p| p.name()).collect();
        v.errors.push(
            Finding::new(Rule::WorkloadPdbOverlap, "spec.template.metadata.labels", format!("PDBs {}", names.join(", ")))
                .problem(format!(
                    "{} PDBs select these pods. The Eviction API refuses to evict a pod covered by more than one PDB, \
                     so Karpenter can never drain their nodes.",
                    covering.len()
                ))
                .fix(format!("keep one PDB for {} {}: delete or narrow the others", workload.kind, workload.name())),
        );
    }
    v.errors.extend(blocking(&replicas, &covering));
    let replicated = replicas.count >= u64::from(settings.workloads.min_replicas);
    let protected = covering
        .iter()
        .any(|p| p.budget().is_ok_and(|b| b.protects(replicas.count)));
    if settings.workloads.require_pdb && replicated && !protected && covering.len() <= 1 {
        v.errors.push(missing_pdb(
            workload,
            namespace,
            replicas.count,
            covering.first(),
            settings,
        ));
    }
    v
}

/// `workload-pdb-blocks` at the `scale` subresource: the PDBs among `pdbs` that cover the workload and keep
/// every one of `replicas` replicas.
pub fn pdb_blocks(workload: &Workload, replicas: u64, pdbs: &[Pdb]) -> Vec<Finding> {
    let covering: Vec<&Pdb> = pdbs
        .iter()
        .filter(|p| p.selects(workload.pod_labels()))
        .collect();
    let replicas = Replicas {
        count: replicas,
        source: "spec.replicas".into(),
    };
    blocking(&replicas, &covering)
}

/// `workload-pdb-blocks`: each of the `covering` PDBs that keeps every replica available.
fn blocking(replicas: &Replicas, covering: &[&Pdb]) -> Vec<Finding> {
    let mut findings = Vec::new();
    for pdb in covering {
        let Ok(budget) = pdb.budget() else { continue };
        if budget.blocks(replicas.count) {
            findings.push(
                Finding::new(Rule::WorkloadPdbBlocks, replica_path(&replicas.source), replicas.count.to_string())
                    .problem(format!(
                        "PDB {} ({}) keeps all {} replica(s) ({}) available, so no pod may ever be evicted and every \
                         drain of their nodes stalls.",
                        pdb.name(),
                        budget.describe(),
                        replicas.count,
                        replicas.source
                    ))
                    .fix(match replicas.count {
                        0 | 1 => format!(
                            "run at least 2 replicas, or change PDB {} to maxUnavailable: 1 (a single replica cannot be \
                             protected without blocking drains)",
                            pdb.name()
                        ),
                        n => format!("set PDB {} to minAvailable: {} or lower, or add replicas", pdb.name(), n - 1),
                    }),
            );
        }
    }
    findings
}

fn replica_path(source: &str) -> &'static str {
    if source.starts_with("HPA") {
        "HorizontalPodAutoscaler spec.minReplicas"
    } else {
        "spec.replicas"
    }
}

fn missing_pdb(
    w: &Workload,
    namespace: &str,
    replicas: u64,
    weak: Option<&&Pdb>,
    settings: &Settings,
) -> Finding {
    if let Some(pdb) = weak {
        let budget = pdb.budget().map(|b| b.describe()).unwrap_or_default();
        return Finding::new(Rule::WorkloadMissingPdb, "spec.template.metadata.labels", format!("PDB {}", pdb.name()))
            .problem(format!(
                "PDB {} covers these {replicas} replicas but lets all of them go at once ({budget}): a drain can \
                 take the whole {} down.",
                pdb.name(),
                w.kind
            ))
            .fix(format!("set PDB {} to minAvailable: {}", pdb.name(), floor_value(settings, replicas)));
    }
    let pdb = render_pdb(w, Some(namespace), replicas, settings);
    Finding::new(Rule::WorkloadMissingPdb, "spec.replicas", replicas.to_string())
        .problem(format!(
            "no PodDisruptionBudget in namespace {namespace} covers the pods of {} {}: when Karpenter drains nodes, \
             all {replicas} replicas can be evicted at the same moment.",
            w.kind,
            w.name()
        ))
        .fix(format!("kubectl apply -f - <<'EOF'\n{}\nEOF", to_yaml(&pdb)))
}

/// The PDB that protects `w` at `replicas` without blocking its drains: its selector, `minAvailable` at the
/// settings' floor (never all the replicas), the settings' `unhealthyPodEvictionPolicy`, named after it.
/// The rejection's message carries it, and `disruption-guard fix` writes it.
pub fn render_pdb(
    w: &Workload,
    namespace: Option<&str>,
    replicas: u64,
    settings: &Settings,
) -> Value {
    let mut spec = json!({
        "minAvailable": floor_json(settings, replicas),
        "selector": w.spec.selector.clone()
            .filter(|s| !s.is_empty())
            .map(|s| serde_json::to_value(s).unwrap_or_default())
            .unwrap_or_else(|| json!({"matchLabels": w.pod_labels()})),
    });
    if let Some(policy) = settings.pdbs.unhealthy_pod_eviction_policy {
        spec["unhealthyPodEvictionPolicy"] = serde_json::to_value(policy).unwrap_or_default();
    }
    let mut metadata = json!({"name": w.name()});
    if let Some(ns) = namespace {
        metadata["namespace"] = json!(ns);
    }
    json!({
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": metadata,
        "spec": spec,
    })
}

/// The availability floor for a rendered PDB: the setting, unless at this replica count it would keep every
/// pod (then one less than the replicas: a generated PDB never blocks drains).
fn floor_json(settings: &Settings, replicas: u64) -> Value {
    let floor = settings.workloads.availability_floor;
    match floor {
        _ if floor.resolve(replicas) >= replicas => json!(replicas.saturating_sub(1)),
        IntOrPercent::Count(c) => json!(c),
        IntOrPercent::Percent(_) => json!(floor.to_string()),
    }
}

fn floor_value(settings: &Settings, replicas: u64) -> String {
    match floor_json(settings, replicas) {
        Value::String(s) => format!("\"{s}\""),
        other => other.to_string(),
    }
}

const DO_NOT_EVICT: &str = "karpenter.sh/do-not-evict";

fn annotations(w: &Workload, settings: &Settings, warnings: &mut Vec<Finding>) {
    let annotations = &w.spec.template.metadata.annotations;
    let path = |a: &str| format!("spec.template.metadata.annotations[{a}]");
    // Karpenter v1.12+ (`IsDoNotDisruptActive`): "true" always; a positive Go duration for that long after
    // the pod's start; anything else is ignored (earlier versions honour only "true").
    let do_not_disrupt = annotations.get(DO_NOT_DISRUPT);
    if let Some(value) = do_not_disrupt
        && pod_value(value) == PodValue::Ignored
    {
        warnings.push(
            Finding::new(Rule::WorkloadDoNotDisrupt, path(DO_NOT_DISRUPT), format!("{value:?}"))
                .problem(
                    "this value is neither \"true\" nor a positive duration: Karpenter ignores it (v1.12+, \
                     with an event on the pod; earlier versions honour only \"true\"), so it protects nothing.",
                )
                .fix("write \"true\" to keep the pods' nodes from voluntary disruption, a duration such as \"30m\" \
                      to protect only each pod's start, or remove it and rely on a PodDisruptionBudget"),
        );
    } else if let Some(value) = do_not_disrupt.filter(|v| *v == "true")
        && w.spec_replicas() >= u64::from(settings.workloads.min_replicas)
    {
        warnings.push(
            Finding::new(Rule::WorkloadDoNotDisrupt, path(DO_NOT_DISRUPT), format!("{value:?}"))
                .problem(format!(
                    "every node running one of these {} replicas is excluded from consolidation and drift, so those \
                     nodes are pinned for as long as the pods live.",
                    w.spec_replicas()
                ))
                .fix("rely on a PodDisruptionBudget instead, or use a duration (e.g. \"30m\", Karpenter v1.12+) to protect only the pod's start"),
        );
    }
    if let Some(value) = annotations.get(DO_NOT_EVICT) {
        warnings.push(
            Finding::new(
                Rule::WorkloadDoNotEvict,
                path(DO_NOT_EVICT),
                format!("{value:?}"),
            )
            .problem("karpenter.sh/do-not-evict was removed in Karpenter v1 and does nothing.")
            .fix("use karpenter.sh/do-not-disrupt, or better a PodDisruptionBudget"),
        );
    }
}

/// A topology spread constraint only spreads the pods its selector matches: one that matches none of this
/// workload's pods does not spread them at all.
fn spreading(w: &Workload, warnings: &mut Vec<Finding>) {
    for (i, c) in w
        .spec
        .template
        .spec
        .topology_spread_constraints
        .iter()
        .enumerate()
    {
        let Some(selector) = &c.label_selector else {
            continue;
        };
        if selector.matches(w.pod_labels()) {
            continue;
        }
        warnings.push(
            Finding::new(
                Rule::WorkloadSpreadSelectsNothing,
                format!("spec.template.spec.topologySpreadConstraints[{i}].labelSelector"),
                serde_json::to_string(selector).unwrap_or_default(),
            )
            .problem(format!(
                "this constraint on {} matches none of this workload's pods (labels {}), so it does not spread them.",
                c.topology_key,
                serde_json::to_string(w.pod_labels()).unwrap_or_default()
            ))
            .fix("select the pod template's labels, e.g. the workload's spec.selector"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kube::objects::Hpa;
    use serde::Deserialize;
    use serde_json::json;

    fn deployment(replicas: Option<i64>, annotations: Value) -> Value {
        let mut d = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api-gateway", "namespace": "prod"},
            "spec": {"selector": {"matchLabels": {"app": "api-gateway"}},
                     "template": {"metadata": {"labels": {"app": "api-gateway", "version": "v2"}, "annotations": annotations}}}});
        if let Some(r) = replicas {
            d["spec"]["replicas"] = json!(r);
        }
        d
    }

    fn ns(pdbs: Vec<Value>, hpas: Vec<Value>) -> Namespace {
        Namespace {
            pdbs: pdbs.iter().map(|p| Pdb::deserialize(p).unwrap()).collect(),
            hpas: hpas.iter().map(|h| Hpa::deserialize(h).unwrap()).collect(),
            ..Namespace::default()
        }
    }

    fn pdb(name: &str, spec: Value) -> Value {
        let mut spec = spec;
        spec["selector"] = json!({"matchLabels": {"app": "api-gateway"}});
        json!({"metadata": {"name": name}, "spec": spec})
    }

    fn run(d: &Value, ns: Option<&Namespace>) -> Verdict {
        let w = Workload::read(d, "Deployment");
        check(w.as_ref(), "Deployment", "prod", &Settings::default(), ns)
    }

    fn ids(f: &[Finding]) -> Vec<&'static str> {
        f.iter().map(|x| x.rule.id()).collect()
    }

    #[test]
    fn a_replicated_workload_without_pdb_gets_an_apply_ready_one() {
        let v = run(&deployment(Some(3), json!({})), Some(&ns(vec![], vec![])));
        assert_eq!(ids(&v.errors), ["workload-missing-pdb"]);
        let fix = &v.errors[0].fix;
        assert!(fix.contains("kind: \"PodDisruptionBudget\""), "{fix}");
        assert!(fix.contains("namespace: \"prod\""));
        assert!(fix.contains("minAvailable: \"50%\""));
        assert!(
            fix.contains("matchLabels:\n      app: \"api-gateway\""),
            "the workload's selector: {fix}"
        );
        assert!(fix.contains("unhealthyPodEvictionPolicy: \"AlwaysAllow\""));
    }

    #[test]
    fn single_replicas_are_exempt_but_a_blocking_pdb_is_not() {
        assert!(
            run(&deployment(None, json!({})), Some(&ns(vec![], vec![])))
                .errors
                .is_empty()
        );
        let v = run(
            &deployment(Some(1), json!({})),
            Some(&ns(vec![pdb("api", json!({"minAvailable": 1}))], vec![])),
        );
        assert_eq!(ids(&v.errors), ["workload-pdb-blocks"]);
        assert!(v.errors[0].fix.contains("at least 2 replicas"));
    }

    #[test]
    fn scaling_down_under_a_pdb_is_checked_and_hpa_min_counts() {
        let guard = pdb("api", json!({"minAvailable": 2}));
        assert!(
            run(
                &deployment(Some(3), json!({})),
                Some(&ns(vec![guard.clone()], vec![]))
            )
            .errors
            .is_empty()
        );
        let v = run(
            &deployment(Some(2), json!({})),
            Some(&ns(vec![guard.clone()], vec![])),
        );
        assert_eq!(ids(&v.errors), ["workload-pdb-blocks"]);
        let hpa = json!({"metadata": {"name": "hpa"}, "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "api-gateway"}, "minReplicas": 2}});
        let v = run(
            &deployment(Some(6), json!({})),
            Some(&ns(vec![guard], vec![hpa])),
        );
        assert_eq!(ids(&v.errors), ["workload-pdb-blocks"]);
        assert_eq!(v.errors[0].path, "HorizontalPodAutoscaler spec.minReplicas");
    }

    #[test]
    fn pdbs_that_protect_nothing_or_overlap() {
        let weak = pdb("api", json!({"minAvailable": 0}));
        let v = run(
            &deployment(Some(3), json!({})),
            Some(&ns(vec![weak], vec![])),
        );
        assert_eq!(ids(&v.errors), ["workload-missing-pdb"]);
        assert!(
            v.errors[0]
                .fix
                .contains("set PDB api to minAvailable: \"50%\""),
            "{}",
            v.errors[0]
        );
        let v = run(
            &deployment(Some(3), json!({})),
            Some(&ns(
                vec![
                    pdb("a", json!({"maxUnavailable": 1})),
                    pdb("b", json!({"maxUnavailable": 1})),
                ],
                vec![],
            )),
        );
        assert_eq!(ids(&v.errors), ["workload-pdb-overlap"]);
    }

    #[test]
    fn karpenter_annotations_are_warnings() {
        let v = run(
            &deployment(
                Some(3),
                json!({"karpenter.sh/do-not-disrupt": "true", "karpenter.sh/do-not-evict": "true"}),
            ),
            None,
        );
        assert!(v.errors.is_empty());
        assert_eq!(
            ids(&v.warnings),
            ["workload-do-not-disrupt", "workload-do-not-evict"]
        );
        let single = run(
            &deployment(Some(1), json!({"karpenter.sh/do-not-disrupt": "true"})),
            None,
        );
        assert!(
            single.warnings.is_empty(),
            "a single replica is not pinned by policy choice"
        );
    }

    /// Karpenter v1.12+: a positive duration protects each pod's start only; any other value is ignored.
    #[test]
    fn do_not_disrupt_durations_and_values_karpenter_ignores() {
        let warned = |value: &str| {
            let d = deployment(Some(3), json!({"karpenter.sh/do-not-disrupt": value}));
            run(&d, None).warnings
        };
        for duration in ["30m", "4h", "1.5h", "90s"] {
            assert!(warned(duration).is_empty(), "{duration}");
        }
        assert!(
            warned("true")[0]
                .problem
                .contains("pinned for as long as the pods live")
        );
        for ignored in ["yes", "True", "0s", "-30m", "1d", ""] {
            let w = warned(ignored);
            assert_eq!(ids(&w), ["workload-do-not-disrupt"], "{ignored:?}");
            assert!(w[0].problem.contains("Karpenter ignores it"), "{ignored:?}");
        }
        // An ignored value protects nothing at any replica count.
        let single = deployment(Some(1), json!({"karpenter.sh/do-not-disrupt": "yes"}));
        assert_eq!(
            ids(&run(&single, None).warnings),
            ["workload-do-not-disrupt"]
        );
    }

    #[test]
    fn spread_constraints_that_miss_the_pods_are_warned_about() {
        let mut d = deployment(Some(3), json!({}));
        d["spec"]["template"]["spec"] = json!({"topologySpreadConstraints": [
            {"topologyKey": "topology.kubernetes.io/zone", "labelSelector": {"matchLabels": {"distributed": "required"}}},
            {"topologyKey": "kubernetes.io/hostname", "labelSelector": {"matchLabels": {"app": "api-gateway"}}}
        ]});
        let v = run(&d, None);
        assert_eq!(ids(&v.warnings), ["workload-spread-selects-nothing"]);
        assert!(v.warnings[0].path.ends_with("[0].labelSelector"));
    }

    #[test]
    fn the_rendered_floor_never_blocks() {
        let mut s = Settings::default();
        s.workloads.availability_floor = IntOrPercent::Count(5);
        assert_eq!(floor_json(&s, 3), json!(2));
        s.workloads.availability_floor = IntOrPercent::Percent(90);
        assert_eq!(floor_json(&s, 3), json!(2), "ceil(2.7) = 3 would block");
        assert_eq!(floor_json(&s, 20), json!("90%"));
    }
}
