//! Kubernetes label selectors (`metav1.LabelSelector`): `matchLabels` AND every `matchExpressions`
//! requirement, with the operators In, NotIn, Exists and DoesNotExist (apimachinery `labels.Selector`).

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

pub type Labels = BTreeMap<String, String>;

#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct LabelSelector {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub match_labels: Option<Labels>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub match_expressions: Option<Vec<Requirement>>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default)]
pub struct Requirement {
    pub key: String,
    pub operator: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<String>>,
}

impl LabelSelector {
    /// No labels and no expressions: in `policy/v1` this selects **every** pod of the namespace.
    pub fn is_empty(&self) -> bool {
        self.match_labels.as_ref().is_none_or(BTreeMap::is_empty)
            && self.match_expressions.as_ref().is_none_or(Vec::is_empty)
    }

    /// The API server's checks (`ValidateLabelSelector`), as a sentence naming the bad requirement.
    pub fn validate(&self) -> Result<(), String> {
        for (i, r) in self.match_expressions.iter().flatten().enumerate() {
            let values = r.values.as_deref().unwrap_or_default();
            match r.operator.as_str() {
                "In" | "NotIn" if values.is_empty() => {
                    return Err(format!(
                        "matchExpressions[{i}] ({} {}) needs at least one value",
                        r.key, r.operator
                    ));
                }
                "Exists" | "DoesNotExist" if !values.is_empty() => {
                    return Err(format!(
                        "matchExpressions[{i}] ({} {}) must not list values",
                        r.key, r.operator
                    ));
                }
                "In" | "NotIn" | "Exists" | "DoesNotExist" => {}
                other => {
                    return Err(format!(
                        "matchExpressions[{i}] has operator {other:?}; use In, NotIn, Exists or DoesNotExist"
                    ));
                }
            }
            if r.key.is_empty() {
                return Err(format!("matchExpressions[{i}] has an empty key"));
            }
        }
        Ok(())
    }

    /// Whether a pod with `labels` is selected. An invalid requirement selects nothing.
    pub fn matches(&self, labels: &Labels) -> bool {
        let labels_ok = self
            .match_labels
            .iter()
            .flatten()
            .all(|(k, v)| labels.get(k) == Some(v));
        labels_ok
            && self
                .match_expressions
                .iter()
                .flatten()
                .all(|r| r.matches(labels))
    }
}

impl Requirement {
    fn matches(&self, labels: &Labels) -> bool {
        let values = self.values.as_deref().unwrap_or_default();
        let value = labels.get(&self.key);
        match self.operator.as_str() {
            "In" => value.is_some_and(|v| values.contains(v)),
            "NotIn" => value.is_none_or(|v| !values.contains(v)),
            "Exists" => value.is_some(),
            "DoesNotExist" => value.is_none(),
            _ => false,
        }
    }
}

/// Label sets indexed by their labels, so that a selector is tried only on the sets that carry a label it
/// requires, not on all of them: matching every workload of a namespace against its pods stays linear
/// instead of workloads × pods.
pub struct LabelIndex<'a> {
    labels: Vec<&'a Labels>,
    by_pair: HashMap<(&'a str, &'a str), Vec<usize>>,
    by_key: HashMap<&'a str, Vec<usize>>,
}

impl<'a> LabelIndex<'a> {
    pub fn new(labels: Vec<&'a Labels>) -> LabelIndex<'a> {
        let mut by_pair: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
        let mut by_key: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, set) in labels.iter().enumerate() {
            for (k, v) in set.iter() {
                by_pair.entry((k, v)).or_default().push(i);
                by_key.entry(k).or_default().push(i);
            }
        }
        LabelIndex {
            labels,
            by_pair,
            by_key,
        }
    }

    /// The positions of the label sets `selector` selects, in order.
    pub fn select(&self, selector: &LabelSelector) -> Vec<usize> {
        self.matching(selector).collect()
    }

    /// The first label set `selector` selects.
    pub fn first(&self, selector: &LabelSelector) -> Option<usize> {
        self.matching(selector).next()
    }

    fn matching<'s>(&'s self, selector: &'s LabelSelector) -> impl Iterator<Item = usize> + 's {
        // Only NotIn / DoesNotExist requirements, or none: every set is a candidate.
        let candidates = self
            .candidates(selector)
            .unwrap_or_else(|| (0..self.labels.len()).collect());
        candidates
            .into_iter()
            .filter(move |&i| selector.matches(self.labels[i]))
    }

    /// The fewest sets that can match: those carrying one required label pair, one value of an `In`, or one
    /// key that must exist; `None` when the selector requires no label.
    fn candidates(&self, selector: &LabelSelector) -> Option<Vec<usize>> {
        let none = Vec::new();
        let mut best: Option<Vec<usize>> = None;
        let mut offer = |c: Vec<usize>| {
            if best.as_ref().is_none_or(|b| c.len() < b.len()) {
                best = Some(c);
            }
        };
        for (k, v) in selector.match_labels.iter().flatten() {
            offer(
                self.by_pair
                    .get(&(k.as_str(), v.as_str()))
                    .unwrap_or(&none)
                    .clone(),
            );
        }
        for r in selector.match_expressions.iter().flatten() {
            match r.operator.as_str() {
                "In" => {
                    let mut union: Vec<usize> = r
                        .values
                        .iter()
                        .flatten()
                        .flat_map(|v| {
                            self.by_pair
                                .get(&(r.key.as_str(), v.as_str()))
                                .unwrap_or(&none)
                        })
                        .copied()
                        .collect();
                    union.sort_unstable();
                    union.dedup();
                    offer(union);
                }
                "Exists" => offer(self.by_key.get(r.key.as_str()).unwrap_or(&none).clone()),
                _ => {}
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn selector(v: serde_json::Value) -> LabelSelector {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn match_labels_and_every_operator() {
        let pod = labels(&[("app", "api"), ("tier", "web")]);
        for (sel, expected) in [
            (json!({"matchLabels": {"app": "api"}}), true),
            (json!({"matchLabels": {"app": "api", "tier": "db"}}), false),
            (
                json!({"matchExpressions": [{"key": "app", "operator": "In", "values": ["api", "gw"]}]}),
                true,
            ),
            (
                json!({"matchExpressions": [{"key": "app", "operator": "In", "values": ["gw"]}]}),
                false,
            ),
            (
                json!({"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["gw"]}]}),
                true,
            ),
            (
                json!({"matchExpressions": [{"key": "zone", "operator": "NotIn", "values": ["a"]}]}),
                true,
            ),
            (
                json!({"matchExpressions": [{"key": "tier", "operator": "Exists"}]}),
                true,
            ),
            (
                json!({"matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]}),
                false,
            ),
            (
                json!({"matchLabels": {"app": "api"}, "matchExpressions": [{"key": "canary", "operator": "DoesNotExist"}]}),
                true,
            ),
            (json!({}), true),
            (
                json!({"matchExpressions": [{"key": "app", "operator": "Like", "values": ["api"]}]}),
                false,
            ),
        ] {
            assert_eq!(selector(sel.clone()).matches(&pod), expected, "{sel}");
        }
    }

    #[test]
    fn validation_and_emptiness() {
        assert!(selector(json!({})).is_empty());
        assert!(selector(json!({"matchLabels": {}, "matchExpressions": []})).is_empty());
        assert!(!selector(json!({"matchLabels": {"a": "b"}})).is_empty());
        let bad = selector(json!({"matchExpressions": [{"key": "a", "operator": "In"}]}));
        assert!(
            bad.validate()
                .unwrap_err()
                .contains("needs at least one value")
        );
        let bad = selector(
            json!({"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]}),
        );
        assert!(bad.validate().unwrap_err().contains("must not list values"));
        let bad = selector(
            json!({"matchExpressions": [{"key": "a", "operator": "Gt", "values": ["1"]}]}),
        );
        assert!(bad.validate().unwrap_err().contains("operator \"Gt\""));
    }

    #[test]
    fn the_index_selects_what_matching_each_set_selects() {
        let sets = [
            labels(&[("app", "api"), ("tier", "web")]),
            labels(&[("app", "api"), ("tier", "db")]),
            labels(&[("app", "gw")]),
            labels(&[]),
            labels(&[("tier", "web")]),
        ];
        let index = LabelIndex::new(sets.iter().collect());
        for sel in [
            json!({"matchLabels": {"app": "api"}}),
            json!({"matchLabels": {"app": "api", "tier": "web"}}),
            json!({"matchLabels": {"app": "none"}}),
            json!({"matchExpressions": [{"key": "app", "operator": "In", "values": ["api", "gw"]}]}),
            json!({"matchExpressions": [{"key": "tier", "operator": "Exists"}]}),
            json!({"matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]}),
            json!({"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["api"]}]}),
            json!({"matchLabels": {"tier": "web"}, "matchExpressions": [{"key": "app", "operator": "In", "values": ["api"]}]}),
            json!({}),
        ] {
            let s = selector(sel.clone());
            let scanned: Vec<usize> = (0..sets.len()).filter(|&i| s.matches(&sets[i])).collect();
            assert_eq!(index.select(&s), scanned, "{sel}");
            assert_eq!(index.first(&s), scanned.first().copied(), "{sel}");
        }
    }
}
