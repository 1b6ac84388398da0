//! Kubernetes label selectors (`metav1.LabelSelector`): `matchLabels` AND every `matchExpressions`
//! requirement, with the operators In, NotIn, Exists and DoesNotExist (apimachinery `labels.Selector`).

use std::collections::BTreeMap;

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
}
