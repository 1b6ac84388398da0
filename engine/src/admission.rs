//! The admission decision for a NodePool: mutate when the settings allow it, and accept only what then
//! passes every rule. Shared by the policy, the CLI and the browser page.

use serde_json::Value;

use crate::finding::Finding;
use crate::settings::Settings;
use crate::spans::Minute;
use crate::{nodepool_mutation, nodepool_rules};

#[derive(Debug)]
pub enum Decision {
    Accept,
    /// The mutated object, and one line per change.
    Mutate(Value, Vec<String>),
    /// Findings about the object as the user wrote it.
    Reject(Vec<Finding>),
}

/// Added to the fix of findings that mutation would repair by itself.
pub const REPAIRED_NOTE: &str =
    "(disruption-guard adds this itself once the other problems are fixed)";

pub fn nodepool(object: &Value, old: Option<&Value>, settings: &Settings, now: Minute) -> Decision {
    let mut mutated = object.clone();
    let changes = nodepool_mutation::mutate(&mut mutated, settings, now);
    let after = nodepool_rules::check(&mutated, old, settings, now);
    if after.is_empty() {
        return if changes.is_empty() {
            Decision::Accept
        } else {
            Decision::Mutate(mutated, changes)
        };
    }
    if changes.is_empty() {
        return Decision::Reject(after);
    }
    // Explain the user's own object: windows and values as written, not as we would have patched them.
    let mut before = nodepool_rules::check(object, old, settings, now);
    for f in &mut before {
        if !after.iter().any(|a| a.rule == f.rule) {
            f.fix = format!("{} {REPAIRED_NOTE}", f.fix);
        }
    }
    Decision::Reject(before)
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
        let Decision::Reject(findings) = nodepool(&incident, None, &seoul(), NOW) else {
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
        assert!(matches!(
            nodepool(&fixed, None, &seoul(), NOW),
            Decision::Accept
        ));
        let no_freeze = pool(
            json!({"consolidationPolicy": "WhenEmpty", "consolidateAfter": "5m", "budgets": [{"nodes": "10%"}]}),
        );
        let Decision::Mutate(m, changes) = nodepool(&no_freeze, None, &seoul(), NOW) else {
            panic!("must mutate")
        };
        assert_eq!(changes.len(), 1);
        assert_eq!(
            m["spec"]["disruption"]["budgets"][1]["schedule"],
            "0 0 * * 1-5"
        );
    }
}
