//! The Karpenter `NodePool` (`karpenter.sh/v1`) as far as disruption is concerned.
//!
//! Own serde types (it is a CRD, not in k8s-openapi). Values stay strings so that a CRD-invalid object
//! still decodes; [`crate::karpenter::crd`] reports what the API server would refuse. Unknown fields are ignored
//! here: mutation edits the original `serde_json::Value`, never a re-serialized copy.

use serde::{Deserialize, Serialize};

use crate::kube::int_or_percent::IntOrPercent;

/// The disruption reasons a budget can name (`Budget.Reasons` enum).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, serde::Serialize,
)]
pub enum Reason {
    Underutilized,
    Empty,
    Drifted,
}

impl Reason {
    pub const ALL: [Reason; 3] = [Reason::Underutilized, Reason::Empty, Reason::Drifted];

    pub fn name(self) -> &'static str {
        match self {
            Reason::Underutilized => "Underutilized",
            Reason::Empty => "Empty",
            Reason::Drifted => "Drifted",
        }
    }

    pub fn parse(s: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| r.name() == s)
    }

    fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// A set of reasons, as a bit mask.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Reasons(u8);

impl Reasons {
    pub const ALL: Reasons = Reasons(0b111);

    pub fn of(reasons: &[Reason]) -> Reasons {
        Reasons(reasons.iter().fold(0, |acc, r| acc | r.bit()))
    }

    pub fn contains(self, r: Reason) -> bool {
        self.0 & r.bit() != 0
    }

    pub fn insert(&mut self, r: Reason) {
        self.0 |= r.bit();
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Reason> {
        Reason::ALL.into_iter().filter(move |r| self.contains(*r))
    }

    /// `Empty, Underutilized`.
    pub fn names(self) -> String {
        self.iter().map(Reason::name).collect::<Vec<_>>().join(", ")
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct NodePool {
    pub metadata: ObjectMeta,
    pub spec: NodePoolSpec,
    /// What Karpenter reports (absent on CREATE), kept as it is: the rules judge the spec, and a status of
    /// an odd shape must not make the pool unreadable.
    pub status: serde_json::Value,
}

/// A NodePool as the cluster lists it, for the capacity calculator at workload admission: the pool and
/// its size (`status.nodes`; 0 when absent or not a count, as for a pool that has not reported yet).
#[derive(Debug, Default)]
pub struct ListedNodePool {
    pub pool: NodePool,
    pub nodes: u64,
}

impl<'de> Deserialize<'de> for ListedNodePool {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Listed {
            #[serde(default)]
            metadata: ObjectMeta,
            #[serde(default)]
            spec: NodePoolSpec,
            #[serde(default)]
            status: serde_json::Value,
        }
        let listed = Listed::deserialize(d)?;
        Ok(ListedNodePool {
            nodes: listed.status["nodes"].as_u64().unwrap_or(0),
            pool: NodePool {
                metadata: listed.metadata,
                spec: listed.spec,
                status: listed.status,
            },
        })
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ObjectMeta {
    pub name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct NodePoolSpec {
    pub template: NodeClaimTemplate,
    pub disruption: Option<Disruption>,
    /// Static NodePools (v1.8+): the node count is fixed and known.
    pub replicas: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct NodeClaimTemplate {
    pub spec: NodeClaimSpec,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct NodeClaimSpec {
    pub expire_after: Option<String>,
    pub termination_grace_period: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Disruption {
    pub consolidation_policy: Option<String>,
    pub consolidate_after: Option<String>,
    pub budgets: Option<Vec<Budget>>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Budget {
    pub nodes: Option<String>,
    pub schedule: Option<String>,
    pub duration: Option<String>,
    pub reasons: Option<Vec<String>>,
}

/// `spec.disruption.consolidationPolicy`: the CRD's enum (v1.14.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub enum ConsolidationPolicy {
    WhenEmpty,
    WhenEmptyOrUnderutilized,
    Balanced,
}

impl ConsolidationPolicy {
    pub const ALL: [ConsolidationPolicy; 3] = [
        ConsolidationPolicy::WhenEmpty,
        ConsolidationPolicy::WhenEmptyOrUnderutilized,
        ConsolidationPolicy::Balanced,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ConsolidationPolicy::WhenEmpty => "WhenEmpty",
            ConsolidationPolicy::WhenEmptyOrUnderutilized => "WhenEmptyOrUnderutilized",
            ConsolidationPolicy::Balanced => "Balanced",
        }
    }

    /// The policy named `name`, if the CRD knows it.
    pub fn named(name: &str) -> Option<ConsolidationPolicy> {
        ConsolidationPolicy::ALL
            .into_iter()
            .find(|p| p.name() == name)
    }
}

/// CRD defaults (`karpenter.sh_nodepools.yaml`): the API server fills these in before admission, but
/// `kwctl run` and CI pipelines hand us the object as written.
pub const DEFAULT_CONSOLIDATION_POLICY: &str = "WhenEmptyOrUnderutilized";
pub const DEFAULT_CONSOLIDATE_AFTER: &str = "0s";
pub const DEFAULT_BUDGET_NODES: &str = "10%";

impl NodePool {
    pub fn name(&self) -> &str {
        self.metadata.name.as_deref().unwrap_or("<unnamed>")
    }

    pub fn consolidation_policy(&self) -> &str {
        self.spec
            .disruption
            .as_ref()
            .and_then(|d| d.consolidation_policy.as_deref())
            .unwrap_or(DEFAULT_CONSOLIDATION_POLICY)
    }

    /// `0s` when absent: the CRD's default for an omitted disruption block, and (after v1.14.1, which
    /// requires it in a written block) Karpenter's default for the omitted field.
    pub fn consolidate_after(&self) -> &str {
        self.spec
            .disruption
            .as_ref()
            .and_then(|d| d.consolidate_after.as_deref())
            .unwrap_or(DEFAULT_CONSOLIDATE_AFTER)
    }

    /// Absent `budgets` default to `[{nodes: "10%"}]`; an explicit `[]` stays empty (unbounded).
    pub fn budgets(&self) -> Vec<Budget> {
        match self
            .spec
            .disruption
            .as_ref()
            .and_then(|d| d.budgets.clone())
        {
            Some(budgets) => budgets,
            None => vec![Budget {
                nodes: Some(DEFAULT_BUDGET_NODES.into()),
                ..Budget::default()
            }],
        }
    }

    /// The node count when it is fixed (static pools).
    pub fn known_size(&self) -> Option<u64> {
        self.spec.replicas.and_then(|r| u64::try_from(r).ok())
    }

    /// The node count Karpenter reports now (`status.nodes`), when it has any.
    pub fn size_now(&self) -> Option<u64> {
        self.status["nodes"].as_u64().filter(|n| *n > 0)
    }
}

/// Parses the budget `nodes` form (`^((100|[0-9]{1,2})%|[0-9]+)$`); `None` otherwise.
fn parse_nodes(s: &str) -> Option<IntOrPercent> {
    if !crate::karpenter::patterns::is_budget_nodes(s) {
        return None;
    }
    match s.strip_suffix('%') {
        Some(p) => p.parse().ok().map(IntOrPercent::Percent),
        // `[0-9]+` has no upper bound in the CRD; a count beyond u64 is unlimited in practice.
        None => Some(IntOrPercent::Count(s.parse().unwrap_or(u64::MAX))),
    }
}

impl Budget {
    /// `nodes`, defaulting to 10% per item as the CRD does.
    pub fn nodes(&self) -> Option<IntOrPercent> {
        parse_nodes(self.nodes.as_deref().unwrap_or(DEFAULT_BUDGET_NODES))
    }

    /// Absent = every reason; `[]` = none (Go decodes it to a non-nil empty slice).
    pub fn reasons(&self) -> Reasons {
        match &self.reasons {
            None => Reasons::ALL,
            Some(list) => Reasons::of(
                &list
                    .iter()
                    .filter_map(|r| Reason::parse(r))
                    .collect::<Vec<_>>(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_only_the_crd_nodes_form() {
        assert_eq!(parse_nodes("10%"), Some(IntOrPercent::Percent(10)));
        assert_eq!(parse_nodes("05%"), Some(IntOrPercent::Percent(5)));
        assert_eq!(parse_nodes("0"), Some(IntOrPercent::Count(0)));
        assert_eq!(parse_nodes("101%"), None);
        assert_eq!(parse_nodes(" 1"), None);
        assert_eq!(
            parse_nodes("99999999999999999999999"),
            Some(IntOrPercent::Count(u64::MAX))
        );
    }

    use serde_json::json;

    fn with_spec(spec: serde_json::Value) -> NodePool {
        NodePool::deserialize(&json!({"metadata": {"name": "p"}, "spec": spec})).unwrap()
    }

    #[test]
    fn absent_fields_take_the_crd_defaults() {
        let p = with_spec(json!({"template": {}}));
        assert_eq!(p.consolidation_policy(), "WhenEmptyOrUnderutilized");
        assert_eq!(p.consolidate_after(), "0s");
        let budgets = p.budgets();
        assert_eq!(budgets.len(), 1);
        assert_eq!(budgets[0].nodes(), Some(IntOrPercent::Percent(10)));
        assert_eq!(budgets[0].reasons(), Reasons::ALL);
    }

    #[test]
    fn explicit_empty_lists_mean_nothing() {
        let p = with_spec(
            json!({"disruption": {"consolidateAfter": "5m", "budgets": [{"nodes": "0", "reasons": []}]}}),
        );
        assert_eq!(p.budgets()[0].reasons(), Reasons::default());
        let p = with_spec(json!({"disruption": {"consolidateAfter": "5m", "budgets": []}}));
        assert!(p.budgets().is_empty());
        let p = with_spec(json!({"disruption": {}}));
        assert_eq!(
            p.consolidate_after(),
            "0s",
            "required inside a disruption block up to v1.14.1, 0s after"
        );
    }

    #[test]
    fn a_budget_without_nodes_defaults_to_ten_percent() {
        let p = with_spec(
            json!({"disruption": {"consolidateAfter": "5m", "budgets": [{"schedule": "0 9 * * *", "duration": "1h"}]}}),
        );
        assert_eq!(p.budgets()[0].nodes(), Some(IntOrPercent::Percent(10)));
    }
}
