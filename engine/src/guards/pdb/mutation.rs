//! PodDisruptionBudget defaults, on the original JSON: a budget when neither field is set, and an
//! `unhealthyPodEvictionPolicy` when unset. Never overwrites what the user wrote.

use serde_json::{Value, json};

use crate::kube::int_or_percent::IntOrPercent;
use crate::settings::Settings;

pub fn mutate(object: &mut Value, settings: &Settings) -> Vec<String> {
    let mut changes = Vec::new();
    let Some(spec) = object.get_mut("spec").and_then(Value::as_object_mut) else {
        return changes;
    };
    let unset = |v: Option<&Value>| v.is_none_or(Value::is_null);
    if let Some(default) = settings.pdbs.default_min_available
        && unset(spec.get("minAvailable"))
        && unset(spec.get("maxUnavailable"))
    {
        let value = match default {
            IntOrPercent::Count(c) => json!(c),
            p @ IntOrPercent::Percent(_) => json!(p.to_string()),
        };
        changes.push(format!("set spec.minAvailable: {value}"));
        spec.insert("minAvailable".into(), value);
    }
    if let Some(policy) = settings.pdbs.unhealthy_pod_eviction_policy
        && unset(spec.get("unhealthyPodEvictionPolicy"))
    {
        let value = serde_json::to_value(policy).unwrap_or_default();
        changes.push(format!("set spec.unhealthyPodEvictionPolicy: {value}"));
        spec.insert("unhealthyPodEvictionPolicy".into(), value);
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_only_what_is_missing() {
        let mut pdb = json!({"spec": {"selector": {"matchLabels": {"app": "api"}}}});
        let changes = mutate(&mut pdb, &Settings::default());
        assert_eq!(changes.len(), 2);
        assert_eq!(pdb["spec"]["minAvailable"], "50%");
        assert_eq!(pdb["spec"]["unhealthyPodEvictionPolicy"], "AlwaysAllow");

        let mut written =
            json!({"spec": {"maxUnavailable": 1, "unhealthyPodEvictionPolicy": "IfHealthyBudget"}});
        let before = written.clone();
        assert!(mutate(&mut written, &Settings::default()).is_empty());
        assert_eq!(written, before);

        let mut s = Settings::default();
        s.pdbs.unhealthy_pod_eviction_policy = None;
        s.pdbs.default_min_available = Some(IntOrPercent::Count(1));
        let mut pdb = json!({"spec": {}});
        mutate(&mut pdb, &s);
        assert_eq!(pdb, json!({"spec": {"minAvailable": 1}}));
        assert!(mutate(&mut json!("not an object"), &s).is_empty());
    }

    #[test]
    fn null_turns_each_default_off() {
        let s = Settings::from_json(
            br#"{"pdbs": {"defaultMinAvailable": null, "unhealthyPodEvictionPolicy": null}}"#,
        )
        .unwrap();
        let mut pdb = json!({"spec": {"selector": {"matchLabels": {"app": "api"}}}});
        let before = pdb.clone();
        assert!(mutate(&mut pdb, &s).is_empty());
        assert_eq!(pdb, before);
    }
}
