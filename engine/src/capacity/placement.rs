//! How a workload's pods may share nodes, read from its pod template: the placement model of the
//! calculator at workload admission.

use crate::kube::objects::{NODEPOOL_LABEL, at};
use serde::Deserialize;

/// How a workload's pods are kept apart, read from its pod template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placement {
    /// NodePools it may land on (`None`: any).
    pub pools: Option<Vec<String>>,
    pub required_hostname_anti_affinity: bool,
    /// `maxSkew` of a DoNotSchedule spread on `kubernetes.io/hostname` that selects its own pods.
    pub hostname_spread: Option<u64>,
}

impl Placement {
    pub fn of(object: &serde_json::Value, own_labels: &crate::kube::selector::Labels) -> Placement {
        use serde_json::Value;
        let pod = at(object, &["spec", "template", "spec"]).unwrap_or(&Value::Null);
        let selects_own = |v: &Value| {
            crate::kube::selector::LabelSelector::deserialize(v)
                .is_ok_and(|s| !s.is_empty() && s.matches(own_labels))
        };
        let hostname = |v: &Value| v["topologyKey"] == "kubernetes.io/hostname";
        let mut pools = pod["nodeSelector"][NODEPOOL_LABEL]
            .as_str()
            .map(|p| vec![p.to_string()]);
        if pools.is_none()
            && let Some(terms) = at(
                pod,
                &[
                    "affinity",
                    "nodeAffinity",
                    "requiredDuringSchedulingIgnoredDuringExecution",
                    "nodeSelectorTerms",
                ],
            )
            .and_then(Value::as_array)
        {
            // Terms are OR-ed: the pods are confined to named pools only if every term names them.
            let per_term: Vec<Option<Vec<String>>> = terms
                .iter()
                .map(|t| {
                    t["matchExpressions"]
                        .as_array()?
                        .iter()
                        .find(|e| e["key"] == NODEPOOL_LABEL && e["operator"] == "In")
                        .map(|e| {
                            e["values"]
                                .as_array()
                                .into_iter()
                                .flatten()
                                .filter_map(|v| v.as_str().map(String::from))
                                .collect()
                        })
                })
                .collect();
            if !per_term.is_empty() && per_term.iter().all(Option::is_some) {
                pools = Some(per_term.into_iter().flatten().flatten().collect());
            }
        }
        let required_hostname_anti_affinity = at(
            pod,
            &[
                "affinity",
                "podAntiAffinity",
                "requiredDuringSchedulingIgnoredDuringExecution",
            ],
        )
        .and_then(Value::as_array)
        .is_some_and(|terms| {
            terms
                .iter()
                .any(|t| hostname(t) && selects_own(&t["labelSelector"]))
        });
        let hostname_spread = pod["topologySpreadConstraints"].as_array().and_then(|cs| {
            cs.iter()
                .filter(|c| {
                    hostname(c)
                        && c["whenUnsatisfiable"] == "DoNotSchedule"
                        && selects_own(&c["labelSelector"])
                })
                .filter_map(|c| c["maxSkew"].as_u64())
                .min()
        });
        Placement {
            pools,
            required_hostname_anti_affinity,
            hostname_spread,
        }
    }

    pub(super) fn per_node(&self, replicas: u64, pool_size: u64) -> u64 {
        placement_per_node(
            replicas,
            self.required_hostname_anti_affinity,
            self.hostname_spread.map(|s| (s, pool_size)),
        )
    }

    pub(super) fn describe(&self, replicas: u64, pool_size: u64) -> String {
        let per_node = self.per_node(replicas, pool_size);
        if self.required_hostname_anti_affinity {
            "required anti-affinity keeps 1 per node".into()
        } else if let Some(skew) = self.hostname_spread {
            format!(
                "a DoNotSchedule hostname spread (maxSkew {skew}) over {pool_size} nodes allows {per_node} per node"
            )
        } else {
            "nothing keeps them apart, so all may share one node".into()
        }
    }
}

/// Where at most `per_node` pods of a not yet scheduled workload of `replicas` may share a node
/// required hostname anti-affinity → 1; a DoNotSchedule hostname spread with `max_skew` over
/// `nodes` nodes → ⌊(R + (n−1)·s) / n⌋; otherwise all of them.
pub fn placement_per_node(
    replicas: u64,
    required_hostname_anti_affinity: bool,
    hostname_spread: Option<(u64, u64)>,
) -> u64 {
    if required_hostname_anti_affinity {
        return replicas.min(1);
    }
    match hostname_spread {
        Some((max_skew, nodes)) if nodes > 0 => {
            // In u128: `nodes` is a pool's status.nodes and `max_skew` the user's, so the product may not fit.
            let spread = (u128::from(replicas) + u128::from(nodes - 1) * u128::from(max_skew))
                / u128::from(nodes);
            u64::try_from(spread).unwrap_or(u64::MAX).min(replicas)
        }
        _ => replicas,
    }
}
