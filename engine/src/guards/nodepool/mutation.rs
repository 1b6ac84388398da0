//! NodePool mutation, on the original JSON so that fields we do not model survive untouched (Kubewarden
//! diffs the returned object against the request to build the JSONPatch). Never overwrites a value the
//! user set: it only adds `consolidateAfter`, an always-on budget and the freeze budgets of the business hours or maintenance windows.

use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::calendar::spans::Minute;
use crate::guards::nodepool::years::Years;
use crate::karpenter::budget::MAX_BUDGETS;
use crate::karpenter::crd;
use crate::karpenter::nodepool::{Budget, DEFAULT_BUDGET_NODES, DEFAULT_CONSOLIDATE_AFTER};
use crate::settings::Settings;

/// Mutates `object` in place and returns one line per change (empty: nothing changed).
/// CRD-invalid objects are left alone: validation explains what to fix first.
pub fn mutate(object: &mut Value, settings: &Settings, now: Minute) -> Vec<String> {
    mutate_with(object, settings, now, &mut Years::default())
}

/// [`mutate`], keeping the years it computes for the validation that follows.
pub fn mutate_with(
    object: &mut Value,
    settings: &Settings,
    now: Minute,
    years: &mut Years,
) -> Vec<String> {
    let np = &settings.node_pools;
    let mut changes = Vec::new();
    if crd::validate(object, None)
        .iter()
        .any(|f| !f.rule.only_warns())
    {
        return changes;
    }
    let Some(spec) = object.get_mut("spec").and_then(Value::as_object_mut) else {
        return changes;
    };
    let had_disruption = spec.get("disruption").is_some_and(Value::is_object);
    let mut disruption: Map<String, Value> = spec
        .get("disruption")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();

    // The API server defaults an omitted disruption block to `consolidateAfter: 0s` before any webhook
    // sees it, so `0s` is what "nothing written" looks like in a cluster, and is treated as omitted.
    let written = disruption.get("consolidateAfter");
    let defaulted = written.is_some_and(|v| v == DEFAULT_CONSOLIDATE_AFTER);
    // A static pool (`spec.replicas`) is never consolidated: its consolidateAfter means nothing.
    let is_static = spec.get("replicas").is_some_and(|r| !r.is_null());
    if np.inject_defaults
        && !is_static
        && (written.is_none() || defaulted && np.min_consolidate_after.0.0 > 0)
    {
        let value = np.min_consolidate_after.to_string();
        changes.push(if defaulted {
            format!(
                "set spec.disruption.consolidateAfter: {value} (it was {DEFAULT_CONSOLIDATE_AFTER}, the CRD's default \
                 when no disruption block is written)"
            )
        } else {
            format!("set spec.disruption.consolidateAfter: {value}")
        });
        disruption.insert("consolidateAfter".into(), json!(value));
    }

    // Absent budgets mean the CRD default; once we write the list, that default must be written too.
    let written_budgets = disruption.get("budgets").and_then(Value::as_array).cloned();
    let mut budgets = written_budgets
        .clone()
        .unwrap_or_else(|| vec![json!({"nodes": DEFAULT_BUDGET_NODES})]);

    if np.inject_defaults
        && budgets.iter().all(|b| b.get("schedule").is_some())
        && budgets.len() < MAX_BUDGETS
    {
        let nodes = np.max_budget_nodes.to_string();
        changes.push(format!("added an always-on budget: nodes \"{nodes}\""));
        budgets.push(json!({"nodes": nodes}));
    }

    if np.inject_freeze
        && let Some(freeze) = settings.freeze()
        && let Ok(typed) = Vec::<Budget>::deserialize(&Value::Array(budgets.clone()))
        && let Some(gap) = years.freeze_gap(&typed, now, &freeze, &np.freeze_reasons)
        && budgets.len() + gap.budgets.len() <= MAX_BUDGETS
    {
        for b in &gap.budgets {
            changes.push(format!(
                "added a {} freeze budget: nodes \"0\", schedule \"{}\", duration {} (UTC, for {})",
                freeze.label(),
                b.schedule,
                b.duration,
                freeze.brief()
            ));
            budgets.push(b.to_json());
        }
    }

    if changes.is_empty() {
        return changes;
    }
    if written_budgets.as_ref() != Some(&budgets) {
        disruption.insert("budgets".into(), Value::Array(budgets));
    }
    if !had_disruption && !disruption.contains_key("consolidateAfter") {
        // A written disruption block must carry consolidateAfter; the block's own default is 0s.
        disruption.insert("consolidateAfter".into(), json!(DEFAULT_CONSOLIDATE_AFTER));
    }
    spec.insert("disruption".into(), Value::Object(disruption));
    changes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guards::nodepool::rules::check;

    use crate::testkit::{INCIDENT as NOW, business_hours_in as settings};

    fn pool(disruption: Option<Value>) -> Value {
        let mut p = crate::testkit::nodepool("default", disruption.unwrap_or(Value::Null));
        // Fields the mutation must leave alone.
        p["metadata"]["managedFields"] = json!([{"manager": "kubectl"}]);
        p["spec"]["limits"] = json!({"cpu": "1000"});
        p
    }

    #[test]
    fn injects_the_seoul_freeze_and_then_passes_validation() {
        let mut p = pool(Some(
            json!({"consolidationPolicy": "WhenEmpty", "consolidateAfter": "10m", "budgets": [{"nodes": "5%"}]}),
        ));
        let changes = mutate(&mut p, &settings("Asia/Seoul"), NOW);
        assert_eq!(changes.len(), 1, "{changes:?}");
        assert_eq!(
            p["spec"]["disruption"]["budgets"],
            json!([{"nodes": "5%"}, {"nodes": "0", "schedule": "0 0 * * 1-5", "duration": "9h"}])
        );
        assert_eq!(
            p["spec"]["disruption"]["consolidateAfter"], "10m",
            "user value kept"
        );
        assert_eq!(
            p["metadata"]["managedFields"],
            json!([{"manager": "kubectl"}])
        );
        assert_eq!(p["spec"]["limits"], json!({"cpu": "1000"}));
        assert_eq!(check(&p, None, &settings("Asia/Seoul"), NOW), []);
    }

    #[test]
    fn an_omitted_block_gets_defaults_and_one_budget_per_berlin_offset() {
        let mut p = pool(None);
        let s = settings("Europe/Berlin");
        let changes = mutate(&mut p, &s, NOW);
        assert_eq!(changes.len(), 3, "{changes:?}");
        assert_eq!(p["spec"]["disruption"]["consolidateAfter"], "5m");
        assert_eq!(
            p["spec"]["disruption"]["budgets"],
            json!([
                {"nodes": "10%"},
                {"nodes": "0", "schedule": "0 7 * * 1-5", "duration": "9h"},
                {"nodes": "0", "schedule": "0 8 * * 1-5", "duration": "9h"}
            ])
        );
        // The policy default is still WhenEmptyOrUnderutilized, which these settings forbid: mutation does
        // not choose a policy for the user.
        let f = check(&p, None, &s, NOW);
        assert_eq!(
            f.iter().map(|f| f.rule.id()).collect::<Vec<_>>(),
            ["nodepool-consolidation-policy"]
        );
    }

    #[test]
    fn maintenance_windows_inject_the_rest_of_the_week_and_then_pass_validation() {
        let s = crate::testkit::maintenance_windows_in("Asia/Seoul");
        let mut p = pool(Some(
            json!({"consolidationPolicy": "WhenEmpty", "consolidateAfter": "10m", "budgets": [{"nodes": "5%"}]}),
        ));
        let changes = mutate(&mut p, &s, NOW);
        // Sat 06:00 KST = Fri 21:00 UTC, until the next Sat 02:00 KST: 164 hours.
        assert_eq!(
            p["spec"]["disruption"]["budgets"],
            json!([{"nodes": "5%"}, {"nodes": "0", "schedule": "0 21 * * 5", "duration": "164h"}])
        );
        assert_eq!(
            changes,
            [
                "added a maintenance-window freeze budget: nodes \"0\", schedule \"0 21 * * 5\", duration 164h \
              (UTC, for all but Sat 02:00-06:00 Asia/Seoul)"
            ]
        );
        assert_eq!(check(&p, None, &s, NOW), []);
        let before = p.clone();
        assert!(mutate(&mut p, &s, NOW).is_empty(), "idempotent");
        assert_eq!(p, before);
    }

    #[test]
    fn maintenance_windows_in_berlin_need_one_budget_across_both_offsets() {
        let s = crate::testkit::maintenance_windows_in("Europe/Berlin");
        let mut p = pool(Some(
            json!({"consolidationPolicy": "WhenEmpty", "consolidateAfter": "10m", "budgets": [{"nodes": "1"}]}),
        ));
        mutate(&mut p, &s, NOW);
        assert_eq!(
            p["spec"]["disruption"]["budgets"],
            json!([
                {"nodes": "1"},
                {"nodes": "0", "schedule": "0 4 * * 6", "duration": "165h"},
            ]),
            "from 06:00 CEST (04:00 UTC) to 02:00 CET (01:00 UTC): the week that straddles the autumn change \
             freezes all that either offset's weeks do, so it alone is enough"
        );
        // Open 01:00-04:00 UTC every Saturday: 02:00-05:00 CET in winter, 03:00-06:00 CEST in summer.
        // Drift can still proceed (inside the windows), so nothing else is rejected.
        assert_eq!(check(&p, None, &s, NOW), []);
    }

    #[test]
    fn a_lone_freeze_gets_an_always_on_budget() {
        let mut p = pool(Some(
            json!({"consolidationPolicy": "WhenEmpty", "consolidateAfter": "5m",
            "budgets": [{"nodes": "0", "schedule": "0 0 * * 1-5", "duration": "9h"}]}),
        ));
        let changes = mutate(&mut p, &settings("Asia/Seoul"), NOW);
        assert_eq!(changes, ["added an always-on budget: nodes \"10%\""]);
        assert_eq!(check(&p, None, &settings("Asia/Seoul"), NOW), []);
    }

    #[test]
    fn only_missing_offsets_are_added_and_complete_pools_are_untouched() {
        let mut p = pool(Some(
            json!({"consolidationPolicy": "WhenEmpty", "consolidateAfter": "5m",
            "budgets": [{"nodes": "10%"}, {"nodes": "0", "schedule": "0 7 * * 1-5", "duration": "9h"}]}),
        ));
        mutate(&mut p, &settings("Europe/Berlin"), NOW);
        let budgets = p["spec"]["disruption"]["budgets"]
            .as_array()
            .unwrap()
            .clone();
        assert_eq!(budgets.len(), 3);
        assert_eq!(
            budgets[2]["schedule"], "0 8 * * 1-5",
            "only the winter offset was missing"
        );
        let before = p.clone();
        assert!(mutate(&mut p, &settings("Europe/Berlin"), NOW).is_empty());
        assert_eq!(p, before);
    }

    #[test]
    fn freeze_reasons_subset_is_written_and_switches_are_honoured() {
        let mut s = settings("Asia/Seoul");
        s.node_pools.freeze_reasons = vec![
            crate::karpenter::nodepool::Reason::Underutilized,
            crate::karpenter::nodepool::Reason::Empty,
        ];
        let mut p = pool(Some(
            json!({"consolidationPolicy": "WhenEmpty", "consolidateAfter": "5m", "budgets": [{"nodes": "10%"}]}),
        ));
        mutate(&mut p, &s, NOW);
        assert_eq!(
            p["spec"]["disruption"]["budgets"][1]["reasons"],
            json!(["Underutilized", "Empty"])
        );
        assert_eq!(check(&p, None, &s, NOW), []);

        s.node_pools.inject_freeze = false;
        s.node_pools.inject_defaults = false;
        let mut untouched = pool(None);
        assert!(mutate(&mut untouched, &s, NOW).is_empty());
        assert_eq!(untouched, pool(None));
    }

    #[test]
    fn crd_invalid_or_unparsable_pools_are_not_mutated() {
        let mut p = pool(Some(
            json!({"consolidateAfter": "5m", "budgets": [{"nodes": "101%"}]}),
        ));
        assert!(mutate(&mut p, &settings("Asia/Seoul"), NOW).is_empty());
        let mut q = pool(Some(
            json!({"consolidateAfter": "5m", "budgets": [{"nodes": "10%"}, {"nodes": "0", "schedule": "0 0 * * 1-7", "duration": "1h"}]}),
        ));
        assert!(mutate(&mut q, &settings("Asia/Seoul"), NOW).is_empty());
    }
}
