//! The expiry forecast: which of a pool's nodes reach `expireAfter` inside the time the settings freeze
//! (business hours, or outside the maintenance windows) within the next 30 days.
//!
//! Expiration is forceful: Karpenter's `nodeclaim/expiration` controller deletes the NodeClaim when it
//! is `expireAfter` old, and no disruption budget holds it back ("NodePool Disruption Budgets do not
//! prevent Karpenter from terminating expired nodes", karpenter.sh docs, Disruption; the change to
//! make them do so, kubernetes-sigs/karpenter#3106, was closed). Only PDBs slow the drain, until
//! `terminationGracePeriod`. So a freeze written as budgets does not stop it: the forecast says when it
//! will happen.

use crate::calendar::spans::{MINUTES_PER_DAY, Minute, Span, SpanSet};
use crate::calendar::wording::describe_local_instant;
use crate::finding::{Finding, Rule};
use crate::guards::nodepool::freeze;
use crate::karpenter::duration::Seconds;
use crate::karpenter::nodepool::NodePool;
use crate::kube::objects::{NODEPOOL_LABEL, Node};
use crate::settings::{ExpiryForecast, Freeze, Settings};

/// How far ahead the forecast looks.
pub const FORECAST_DAYS: Minute = 30;

/// The CRD default of `spec.template.spec.expireAfter`.
pub const DEFAULT_EXPIRE_AFTER: &str = "720h";

/// A node named in a message, at most this many (the count says how many there are).
const NODES_NAMED: usize = 5;

/// A node that expires inside the frozen time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expiry {
    pub node: String,
    pub at: Minute,
}

/// When the pool's nodes reach `expireAfter` within `horizon`, in time order; none when they never
/// expire (`Never`) or `expireAfter` does not parse (the CRD rule says so). Each node counts once: its
/// replacement's creation time is not known.
pub fn expiries(pool: &NodePool, nodes: &[&Node], horizon: Span) -> Vec<Expiry> {
    let Some(lifetime) = expire_after_minutes(pool) else {
        return Vec::new();
    };
    let mut out: Vec<Expiry> = nodes
        .iter()
        .filter_map(|node| {
            let at = created_minute(node)?.checked_add(lifetime)?;
            (horizon.start <= at && at < horizon.end).then(|| Expiry {
                node: node.metadata.name.clone(),
                at,
            })
        })
        .collect();
    out.sort_by(|a, b| (a.at, &a.node).cmp(&(b.at, &b.node)));
    out
}

/// The nodes of `pool` (by its label) among `nodes`: a snapshot holds every pool's, a lookup only its own.
pub fn own_nodes<'a>(pool: &NodePool, nodes: &'a [Node]) -> Vec<&'a Node> {
    nodes
        .iter()
        .filter(|n| n.metadata.labels.get(NODEPOOL_LABEL).map(String::as_str) == Some(pool.name()))
        .collect()
}

/// `expireAfter` in minutes; `None` for `Never` or a value that does not parse.
fn expire_after_minutes(pool: &NodePool) -> Option<Minute> {
    let text = pool
        .spec
        .template
        .spec
        .expire_after
        .as_deref()
        .unwrap_or(DEFAULT_EXPIRE_AFTER);
    Seconds::parse(text).map(|s| s.0.div_euclid(60))
}

fn created_minute(node: &Node) -> Option<Minute> {
    let text = node.metadata.creation_timestamp.as_deref()?;
    chrono::DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.timestamp().div_euclid(60))
}

/// The forecast for the pool `object` over the looked-up `nodes`, by the settings (none when they name
/// no frozen time or turn the forecast off).
pub fn check(
    object: &serde_json::Value,
    nodes: &[Node],
    settings: &Settings,
    now: Minute,
) -> Option<Finding> {
    use serde::Deserialize;
    if settings.node_pools.expiry_forecast == ExpiryForecast::Off || nodes.is_empty() {
        return None;
    }
    let freeze = settings.freeze()?;
    let pool = NodePool::deserialize(object).ok()?;
    finding(&pool, &own_nodes(&pool, nodes), &freeze, now)
}

/// The forecast as a finding on `spec.template.spec.expireAfter` (so that an UPDATE that leaves it as it
/// was is only warned), when some node expires inside the frozen time.
pub fn finding(pool: &NodePool, nodes: &[&Node], freeze: &Freeze, now: Minute) -> Option<Finding> {
    if nodes.is_empty() {
        return None;
    }
    let horizon = Span::new(now, now + FORECAST_DAYS * MINUTES_PER_DAY);
    let mut frozen = SpanSet::new();
    for w in freeze::utc_windows(freeze.zone, &freeze.windows, horizon) {
        frozen.push(w.start, w.end);
    }
    let expiring: Vec<Expiry> = expiries(pool, nodes, horizon)
        .into_iter()
        .filter(|e| frozen.contains(e.at))
        .collect();
    if expiring.is_empty() {
        return None;
    }
    let value = pool
        .spec
        .template
        .spec
        .expire_after
        .clone()
        .unwrap_or_else(|| format!("{DEFAULT_EXPIRE_AFTER} (the default)"));
    let named: Vec<String> = expiring
        .iter()
        .take(NODES_NAMED)
        .map(|e| {
            format!(
                "{} at {}",
                e.node,
                describe_local_instant(freeze.zone, e.at)
            )
        })
        .collect();
    let more = expiring.len().saturating_sub(NODES_NAMED);
    Some(
        Finding::new(
            Rule::ExpiryForecast,
            "spec.template.spec.expireAfter",
            format!("\"{value}\""),
        )
        .problem(format!(
            "{} of the pool's {} nodes reach expireAfter inside {} in the next {FORECAST_DAYS} days: {}{}. \
             Expiration is forceful: no disruption budget holds it back, only PDBs slow the drain (until \
             terminationGracePeriod).",
            expiring.len(),
            nodes.len(),
            freeze.describe(),
            named.join("; "),
            if more > 0 {
                format!("; and {more} more")
            } else {
                String::new()
            },
        ))
        .fix(
            "replace these nodes inside an allowed window before they expire (kubectl delete nodeclaim, one \
             at a time), or set expireAfter to a whole number of weeks (e.g. 672h) so that nodes created in \
             a window also expire in one, or expireAfter: Never and let drift replace them within the budgets",
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{INCIDENT as NOW, seoul};
    use serde::Deserialize;
    use serde_json::json;

    fn node(name: &str, created: &str) -> Node {
        Node::deserialize(
            json!({"metadata": {"name": name, "creationTimestamp": created,
            "labels": {NODEPOOL_LABEL: "general-purpose"}}}),
        )
        .unwrap()
    }

    fn refs(nodes: &[Node]) -> Vec<&Node> {
        nodes.iter().collect()
    }

    fn pool(expire_after: Option<&str>) -> NodePool {
        let mut p = crate::testkit::nodepool("general-purpose", serde_json::Value::Null);
        if let Some(e) = expire_after {
            p["spec"]["template"]["spec"]["expireAfter"] = json!(e);
        }
        NodePool::deserialize(p).unwrap()
    }

    #[test]
    fn nodes_expiring_in_business_hours_are_named_in_local_time() {
        // NOW is Tue 2026-11-24 15:43 KST. 720h after 2026-11-18T01:12Z is Fri 2026-12-18 10:12 KST.
        let nodes = [
            node("in-hours", "2026-11-18T01:12:00Z"),
            node("at-night", "2026-11-18T14:00:00Z"), // 23:00 KST
            node("past", "2026-10-01T01:00:00Z"),     // expired before now
            node("no-time", ""),
        ];
        let settings = seoul();
        let freeze = settings.freeze().unwrap();
        let f = finding(&pool(None), &refs(&nodes), &freeze, NOW).expect("a forecast");
        assert_eq!(f.rule, Rule::ExpiryForecast);
        assert_eq!(f.path, "spec.template.spec.expireAfter");
        assert_eq!(f.value, "\"720h (the default)\"");
        assert!(
            f.problem.starts_with(
                "1 of the pool's 4 nodes reach expireAfter inside business hours (Mon,Tue,Wed,Thu,Fri \
                 09:00-18:00 Asia/Seoul) in the next 30 days: in-hours at Fri 2026-12-18 10:12 KST."
            ),
            "{f}"
        );
        // A week's lifetime keeps each node at its time of week: 23:00 stays outside, 10:12 inside.
        let weekly = finding(&pool(Some("168h")), &refs(&nodes), &freeze, NOW).unwrap();
        assert!(
            weekly
                .problem
                .contains("in-hours at Wed 2026-11-25 10:12 KST"),
            "{weekly}"
        );
        assert!(!weekly.problem.contains("at-night"), "{weekly}");
        assert_eq!(
            finding(&pool(Some("Never")), &refs(&nodes), &freeze, NOW),
            None
        );
        assert_eq!(finding(&pool(None), &refs(&nodes[1..]), &freeze, NOW), None);
    }

    #[test]
    fn a_maintenance_window_forecasts_the_time_outside_it() {
        let settings = crate::testkit::maintenance_windows_in("Asia/Seoul");
        let freeze = settings.freeze().unwrap();
        // Sat 2026-11-28 03:00 KST is inside the window; a day later is not.
        let nodes = [
            node("in-window", "2026-11-20T18:00:00Z"),
            node("outside", "2026-11-21T18:00:00Z"),
        ];
        let f = finding(&pool(Some("168h")), &refs(&nodes), &freeze, NOW).unwrap();
        assert!(f.problem.starts_with("1 of the pool's 2 nodes"), "{f}");
        assert!(
            f.problem.contains("outside at Sun 2026-11-29 03:00 KST"),
            "{f}"
        );
    }

    #[test]
    fn only_the_pools_own_nodes_count_and_the_setting_turns_it_off() {
        let mut other = node("other-pool", "2026-11-18T01:12:00Z");
        other
            .metadata
            .labels
            .insert(NODEPOOL_LABEL.into(), "batch".into());
        let nodes = [node("mine", "2026-11-18T01:30:00Z"), other];
        let object = crate::testkit::nodepool("general-purpose", serde_json::Value::Null);
        let mut settings = seoul();
        let f = check(&object, &nodes, &settings, NOW).expect("a forecast");
        assert!(f.problem.starts_with("1 of the pool's 1 nodes"), "{f}");
        assert!(
            f.problem.contains("mine at Fri 2026-12-18 10:30 KST"),
            "{f}"
        );
        settings.node_pools.expiry_forecast = ExpiryForecast::Off;
        assert_eq!(check(&object, &nodes, &settings, NOW), None);
        // No frozen time, nothing to forecast against.
        assert_eq!(check(&object, &nodes, &Settings::default(), NOW), None);
    }

    #[test]
    fn many_nodes_are_counted_not_all_named() {
        let nodes: Vec<Node> = (0..40)
            .map(|i| node(&format!("n{i:02}"), &format!("2026-11-18T01:{i:02}:00Z")))
            .collect();
        let settings = seoul();
        let f = finding(&pool(None), &refs(&nodes), &settings.freeze().unwrap(), NOW).unwrap();
        assert!(f.problem.starts_with("40 of the pool's 40 nodes"), "{f}");
        assert!(
            f.problem
                .contains("n04 at Fri 2026-12-18 10:04 KST; and 35 more."),
            "{f}"
        );
        assert!(!f.problem.contains("n05"), "{f}");
    }
}
