//! The playground's one entry point: the same engine and the same admission decision as the policy, for a
//! NodePool pasted as YAML, with the week laid out as a heatmap.

use disruption_guard_engine::admission::{self, Decision};
use disruption_guard_engine::calendar::spans::{MINUTES_PER_DAY, Span};
use disruption_guard_engine::calendar::year::horizon;
use disruption_guard_engine::calendar::zone::Zone;
use disruption_guard_engine::guards::nodepool::expiry;
use disruption_guard_engine::guards::nodepool::freeze::{freeze_budgets, utc_windows};
use disruption_guard_engine::karpenter::heatmap::{self, Cell};
use disruption_guard_engine::karpenter::nodepool::{NodePool, Reason};
use disruption_guard_engine::kube::objects::{Cluster, manifest_objects};
use disruption_guard_engine::settings::{ClockTime, Day, Settings};
use serde::Deserialize;
use serde_json::{Value, json};
use wasm_bindgen::prelude::wasm_bindgen;

/// The repository's examples the page starts with, so that the page, its tests and the CLI's examples are one
/// copy: `nodepool-fixed`, `nodepool-incident` (examples/manifests/), `settings-seoul` or
/// `settings-berlin-maintenance` (examples/).
#[wasm_bindgen]
pub fn example(name: &str) -> String {
    match name {
        "nodepool-fixed" => include_str!("../../examples/manifests/nodepool-fixed.yaml"),
        "nodepool-incident" => include_str!("../../examples/manifests/nodepool-incident.yaml"),
        "settings-seoul" => include_str!("../../examples/settings-seoul.yaml"),
        "settings-berlin-maintenance" => {
            include_str!("../../examples/settings-berlin-maintenance.yaml")
        }
        _ => "",
    }
    .to_string()
}

/// Evaluates `nodepool_yaml` under `settings_yaml` at `now_ms` (JavaScript `Date.now()`), the week laid out
/// in `zone` (the settings' `businessHours.timezone` when they have one) at a pool size of `pool_size`.
/// Returns JSON: `{error}` or `{verdict, findings, changes, grid (the week as admitted), submitted (as
/// written, when the policy changes it), zone, zoneFromSettings, business, maxNodes, freeze}`.
#[wasm_bindgen]
pub fn evaluate(
    nodepool_yaml: &str,
    settings_yaml: &str,
    zone: &str,
    pool_size: u32,
    now_ms: f64,
) -> String {
    match run(
        nodepool_yaml,
        settings_yaml,
        zone,
        u64::from(pool_size),
        (now_ms / 60_000.0).floor() as i64,
    ) {
        Ok(v) => v.to_string(),
        Err(e) => json!({"error": e}).to_string(),
    }
}

fn run(
    nodepool_yaml: &str,
    settings_yaml: &str,
    zone: &str,
    pool_size: u64,
    now: i64,
) -> Result<Value, String> {
    let settings_value: Value = if settings_yaml.trim().is_empty() {
        json!({})
    } else {
        serde_yaml::from_str(settings_yaml).map_err(|e| format!("settings: {e}"))?
    };
    let settings = Settings::from_json(settings_value.to_string().as_bytes())?;
    // The NodePool, optionally followed by the Nodes, Pods, workloads and PDBs of a cluster (more documents).
    let mut objects = Vec::new();
    for doc in serde_yaml::Deserializer::from_str(nodepool_yaml) {
        let value = Value::deserialize(doc).map_err(|e| format!("YAML: {e}"))?;
        manifest_objects(value, &mut objects);
    }
    let Some(object) = objects.iter().find(|o| o["kind"] == "NodePool").cloned() else {
        return Err("paste a NodePool (kind: NodePool, apiVersion: karpenter.sh/v1)".into());
    };
    let cluster = Cluster::from_objects(&objects);
    // One source of truth: the business hours' zone, when the settings have one, else the zone box.
    let zone: Zone = match settings.freeze_zone() {
        Some(z) => z,
        None => zone
            .parse()
            .map_err(|_| format!("unknown time zone {zone:?}: use an IANA name"))?,
    };

    let decision = admission::nodepool(
        &object,
        None,
        &settings,
        now,
        (!cluster.nodes.is_empty()).then_some(Ok(&cluster)),
    );
    // The week as admitted: the mutated pool when the policy changes it, with the pool as submitted beside.
    let week = |object: &Value| -> Result<Value, String> {
        let pool = NodePool::deserialize(object)
            .map_err(|e| format!("the NodePool cannot be read: {e}"))?;
        Ok(match heatmap::week(&pool, pool_size, zone, now) {
            Ok(g) => json!(g.days.iter().map(|d| json!({
                "date": d.date.format("%a %m-%d").to_string(),
                "hours": d.hours.iter().map(|h| h.iter().map(cell).collect::<Vec<_>>()).collect::<Vec<_>>(),
            })).collect::<Vec<_>>()),
            Err(e) => json!({"error": e}),
        })
    };
    let (grid, submitted) = match &decision {
        Decision::Mutate {
            object: admitted, ..
        } => (week(admitted)?, week(&object)?),
        _ => (week(&object)?, Value::Null),
    };
    // The business hours and maintenance windows on the grid's (their own) wall clock, to outline them.
    let window = |days: &[Day], start: &ClockTime, end: &ClockTime| json!({"days": days.iter().map(|d| d.to_string()).collect::<Vec<_>>(), "start": start.0, "end": end.0});
    let business = settings
        .business_hours
        .as_ref()
        .map(|b| window(&b.days, &b.start, &b.end));
    let maintenance: Vec<Value> = settings
        .maintenance_windows
        .iter()
        .flat_map(|m| &m.windows)
        .map(|w| window(&w.days, &w.start, &w.end))
        .collect();
    let freeze = settings
        .freeze()
        .map(|f| {
            freeze_budgets(&utc_windows(f.zone, &f.windows, horizon(now)), None)
                .iter()
                .map(|b| b.to_yaml(0))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    // When the pool's nodes (pasted with their creationTimestamp) reach expireAfter, by cell of the week.
    let expiring: Vec<Value> = NodePool::deserialize(&object)
        .ok()
        .and_then(|pool| {
            let grid = heatmap::week(&pool, pool_size, zone, now).ok()?;
            let own = expiry::own_nodes(&pool, &cluster.nodes);
            let week = Span::new(now - MINUTES_PER_DAY, now + 8 * MINUTES_PER_DAY);
            let cells = expiry::expiries(&pool, &own, week)
                .into_iter()
                .filter_map(|e| {
                    let (day, hour) = grid.cell_of(e.at)?;
                    Some(json!({"day": day, "hour": hour, "node": e.node}))
                })
                .collect();
            Some(cells)
        })
        .unwrap_or_default();
    let shown = decision.to_json();
    Ok(json!({
        "verdict": shown["verdict"],
        "findings": shown["findings"],
        "changes": shown["changes"],
        "warnings": shown["warnings"],
        "expiring": expiring,
        "grid": grid,
        "submitted": submitted,
        "zone": zone.name(),
        "zoneFromSettings": settings.freeze_zone().is_some(),
        "reasons": Reason::ALL.map(Reason::name),
        "business": business,
        "maintenance": maintenance,
        "maxNodes": settings.node_pools.max_budget_nodes.resolve(pool_size).min(pool_size),
        "poolSize": pool_size,
        "freeze": freeze,
    }))
}

/// A number, `"unbounded"`, or `null` for a skipped hour.
fn cell(c: &Cell) -> Value {
    match c {
        Cell::Allowed(n) => json!(n),
        Cell::Unbounded => json!("unbounded"),
        Cell::Skipped => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use disruption_guard_engine::testkit::INCIDENT_MS as NOW_MS;
    const SEOUL: &str = "businessHours: {timezone: Asia/Seoul}\nnodePools: {allowedConsolidationPolicies: [WhenEmpty]}";
    const INCIDENT: &str = include_str!("../../examples/manifests/nodepool-incident.yaml");

    #[test]
    fn the_examples_are_the_repositorys() {
        assert!(example("nodepool-fixed").contains("consolidationPolicy: WhenEmpty\n"));
        assert_eq!(example("nodepool-incident"), INCIDENT);
        assert!(example("settings-seoul").contains("timezone: Asia/Seoul"));
        assert_eq!(example("nope"), "");
    }

    #[test]
    fn the_incident_pool_is_rejected_and_every_hour_is_over_the_maximum() {
        let v: Value =
            serde_json::from_str(&evaluate(INCIDENT, SEOUL, "Asia/Seoul", 30, NOW_MS)).unwrap();
        assert_eq!(v["verdict"], "rejected");
        assert!(
            v["findings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["rule"] == "nodepool-budget-max")
        );
        assert_eq!(v["grid"][0]["hours"][15][0], 30, "100% of 30 at 15:00 KST");
        assert_eq!(v["maxNodes"], 3);
        assert_eq!(
            v["freeze"][0],
            "- nodes: \"0\"\n  schedule: \"0 0 * * 1-5\"\n  duration: 9h"
        );
    }

    #[test]
    fn pasted_workloads_feed_the_capacity_calculator() {
        let mut yaml = INCIDENT
            .replace("100%", "30%")
            .replace("WhenEmptyOrUnderutilized", "WhenEmpty")
            .replace("30s", "5m");
        for i in 1..=10 {
            yaml.push_str(&format!("---\nkind: Node\nmetadata: {{name: n{i}, labels: {{karpenter.sh/nodepool: general-purpose}}}}\n"));
        }
        for i in 1..=3 {
            yaml.push_str(&format!(
                "---\nkind: Pod\nmetadata: {{name: api-{i}, namespace: shop, labels: {{app: api}}}}\nspec: {{nodeName: n{i}}}\n"
            ));
        }
        yaml.push_str("---\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec: {replicas: 3, selector: {matchLabels: {app: api}}, template: {metadata: {labels: {app: api}}}}\n");
        let no_freeze = "nodePools: {allowedConsolidationPolicies: [WhenEmpty]}";
        let v: Value =
            serde_json::from_str(&evaluate(&yaml, no_freeze, "UTC", 10, NOW_MS)).unwrap();
        assert_eq!(v["verdict"], "rejected", "{v}");
        let texts: Vec<&str> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|f| f["message"].as_str())
            .collect();
        assert!(
            texts
                .iter()
                .any(|t| t.contains("[nodepool-capacity]")
                    && t.contains("api: 3 replicas on 3 nodes")),
            "{texts:?}"
        );
    }

    #[test]
    fn a_mutated_pool_is_drawn_as_admitted_and_the_zone_comes_from_the_settings() {
        let unfrozen = INCIDENT
            .replace("WhenEmptyOrUnderutilized", "WhenEmpty")
            .replace("30s", "5m")
            .replace("100%", "10%");
        let v: Value =
            serde_json::from_str(&evaluate(&unfrozen, SEOUL, "Europe/Berlin", 30, NOW_MS)).unwrap();
        assert_eq!(v["verdict"], "mutated", "{v}");
        assert_eq!(v["zone"], "Asia/Seoul");
        assert_eq!(v["zoneFromSettings"], true);
        // Tuesday 15:00 KST, Underutilized: frozen as admitted, 10% of 30 as submitted.
        assert_eq!(v["grid"][0]["hours"][15][1], 0);
        assert_eq!(v["submitted"][0]["hours"][15][1], 3);
        let v: Value =
            serde_json::from_str(&evaluate(INCIDENT, "", "Europe/Berlin", 30, NOW_MS)).unwrap();
        assert_eq!(
            (v["zone"].as_str(), v["submitted"].is_null()),
            (Some("Europe/Berlin"), true)
        );
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        for (pool, settings, zone) in [
            ("kind: Pod", "", "UTC"),
            ("{{{", "", "UTC"),
            (INCIDENT, "nope: 1", "UTC"),
            (INCIDENT, "", "Mars/Base"),
        ] {
            let v: Value =
                serde_json::from_str(&evaluate(pool, settings, zone, 10, NOW_MS)).unwrap();
            assert!(v["error"].is_string(), "{pool} / {settings} / {zone}");
        }
    }
}
