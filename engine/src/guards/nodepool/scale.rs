//! A static pool's replica decrease (`spec.replicas`, through the NodePool or its `scale` subresource).
//!
//! Karpenter's `static.deprovisioning` controller deletes the surplus NodeClaims all at once (in
//! parallel, with no disruption-budget check): "User-driven actions (scaling replicas) will not respect
//! disruption budgets … classified as an automated forceful disruption method, a la expiration"
//! (kubernetes-sigs/karpenter designs/static-capacity.md; `pkg/controllers/static/deprovisioning`).
//! Only PDBs slow each drain. It is the user's explicit request, so it is never rejected; a decrease
//! larger than `nodePools.maxBudgetNodes` is warned about, with the steps that keep within it.

use crate::settings::Settings;

/// The warning for a decrease from `from` to `to` replicas of the pool `name`, when it drains more nodes
/// at once than `nodePools.maxBudgetNodes` allows at the pool's size before it.
pub fn decrease_warning(name: &str, from: i64, to: i64, settings: &Settings) -> Option<String> {
    let (from, to) = (u64::try_from(from).ok()?, u64::try_from(to).ok()?);
    let drained = from.checked_sub(to).filter(|d| *d > 0)?;
    let max = settings.node_pools.max_budget_nodes;
    let allowed = max.resolve(from).max(1);
    if drained <= allowed {
        return None;
    }
    let next = from - allowed;
    Some(format!(
        "disruption-guard: static NodePool {name}: spec.replicas {from} → {to} drains {drained} nodes at once, \
         more than nodePools.maxBudgetNodes ({max} of {from} = {allowed}): Karpenter deletes a static pool's \
         surplus NodeClaims together, without disruption budgets (only PDBs slow each drain). To stay within \
         it, scale down in steps of {allowed} (kubectl scale nodepool {name} --replicas {next}), letting each \
         step's nodes go first"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kube::int_or_percent::IntOrPercent;

    #[test]
    fn only_decreases_beyond_max_budget_nodes_are_warned() {
        let settings = Settings::default(); // maxBudgetNodes 10%
        let warning = decrease_warning("static", 30, 20, &settings).expect("10 > 3");
        assert!(
            warning.starts_with(
                "disruption-guard: static NodePool static: spec.replicas 30 → 20 drains 10 nodes at once, more \
                 than nodePools.maxBudgetNodes (10% of 30 = 3)"
            ),
            "{warning}"
        );
        assert!(warning.ends_with("scale down in steps of 3 (kubectl scale nodepool static --replicas 27), letting each step's nodes go first"));
        assert_eq!(
            decrease_warning("static", 30, 27, &settings),
            None,
            "3 is within 10% of 30"
        );
        assert_eq!(
            decrease_warning("static", 30, 40, &settings),
            None,
            "an increase drains nothing"
        );
        assert_eq!(
            decrease_warning("static", 3, 2, &settings),
            None,
            "10% of 3 rounds up to 1"
        );
        assert!(decrease_warning("static", 3, 0, &settings).is_some());
        let mut two = Settings::default();
        two.node_pools.max_budget_nodes = IntOrPercent::Count(2);
        assert_eq!(decrease_warning("static", 10, 8, &two), None);
        assert!(decrease_warning("static", 10, 7, &two).is_some());
        assert_eq!(
            decrease_warning("static", -1, 0, &settings),
            None,
            "not a count"
        );
    }
}
