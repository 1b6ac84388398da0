//! Fixtures shared by every test and benchmark (and the playground's tests): the outage's instant, the
//! Seoul team's settings, NodePool builders. The policy never calls them; they are here, not in a test
//! crate, so that the engine's own unit tests, its benches and the other crates use one copy.

use serde_json::{Value, json};

use crate::calendar::spans::{MINUTES_PER_DAY, Minute};
use crate::settings::Settings;

/// The outage: Tue 2026-11-24 06:43 UTC, 15:43 in Seoul.
pub const INCIDENT: Minute = 20_781 * MINUTES_PER_DAY + 6 * 60 + 43;
/// [`INCIDENT`] as the CLI's `--now` takes it.
pub const INCIDENT_RFC3339: &str = "2026-11-24T06:43:00Z";
/// [`INCIDENT`] in milliseconds since the epoch, as a browser's `Date.now()`.
pub const INCIDENT_MS: f64 = (INCIDENT * 60_000) as f64;
/// Mon 2026-11-23 00:00 UTC, the week's start for schedule tests.
pub const MONDAY: Minute = 20_780 * MINUTES_PER_DAY;

/// A valid `karpenter.sh/v1` NodePool named `name` with `disruption` as `spec.disruption` (none when
/// `Value::Null`).
pub fn nodepool(name: &str, disruption: Value) -> Value {
    let mut pool = json!({
        "apiVersion": "karpenter.sh/v1", "kind": "NodePool", "metadata": {"name": name},
        "spec": {
            "template": {"spec": {
                "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "default"},
                "requirements": [{"key": "karpenter.sh/capacity-type", "operator": "In", "values": ["on-demand"]}]
            }}
        }
    });
    if !disruption.is_null() {
        pool["spec"]["disruption"] = disruption;
    }
    pool
}

/// A `spec.disruption` block.
pub fn disruption(policy: &str, consolidate_after: &str, budgets: Value) -> Value {
    json!({"consolidationPolicy": policy, "consolidateAfter": consolidate_after, "budgets": budgets})
}

/// Settings from their JSON form; panics on invalid settings (tests only).
pub fn settings(json: Value) -> Settings {
    match Settings::decode(&json) {
        Ok(settings) => settings,
        Err(problems) => panic!("test settings {json}: {problems}"),
    }
}

/// The Seoul team's settings: business hours 09:00-18:00 Mon-Fri in `zone`, `WhenEmpty` only.
pub fn business_hours_in(zone: &str) -> Settings {
    settings(json!({
        "businessHours": {"timezone": zone},
        "nodePools": {"allowedConsolidationPolicies": ["WhenEmpty"]}
    }))
}

/// Disruption allowed only on Saturdays 02:00-06:00 in `zone`, `WhenEmpty` only, as in
/// examples/settings-berlin-maintenance.yaml (with Berlin).
pub fn maintenance_windows_in(zone: &str) -> Settings {
    settings(json!({
        "maintenanceWindows": {"timezone": zone, "windows": [{"days": ["Sat"], "start": "02:00", "end": "06:00"}]},
        "nodePools": {"allowedConsolidationPolicies": ["WhenEmpty"]}
    }))
}

/// [`business_hours_in`] Seoul, as in examples/settings-seoul.yaml.
pub fn seoul() -> Settings {
    business_hours_in("Asia/Seoul")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fixtures_are_what_they_say() {
        assert_eq!(INCIDENT / MINUTES_PER_DAY - MONDAY / MINUTES_PER_DAY, 1);
        assert_eq!(INCIDENT_MS, 1_795_502_580_000.0); // date -d 2026-11-24T06:43:00Z +%s%3N
        let s = seoul();
        assert_eq!(
            s.business_hours.map(|b| b.timezone.to_string()).as_deref(),
            Some("Asia/Seoul")
        );
        assert_eq!(nodepool("p", Value::Null)["spec"].get("disruption"), None);
        assert_eq!(
            nodepool("p", disruption("WhenEmpty", "5m", json!([])))["spec"]["disruption"]["consolidateAfter"],
            "5m"
        );
    }
}
