//! `karpenter.sh/do-not-disrupt`: how long a pod's or a node's annotation keeps the node out of voluntary
//! disruption (consolidation and drift; expiration, interruption and repair ignore it).
//!
//! Karpenter v1.12+ (`pkg/utils/pod/scheduling.go`, `IsDisruptable` / `IsDoNotDisruptActive`): on a pod,
//! `"true"` holds always; a positive Go duration holds while `now - status.startTime < duration` (no
//! start time: always); any other value is ignored; terminal and terminating pods never hold. On a node
//! (`pkg/controllers/state/statenode.go`, `ValidateNodeDisruptable`) only the exact value `"true"` holds.

use crate::calendar::spans::Minute;
use crate::karpenter::duration::go_duration_nanos;
use crate::kube::objects::{Node, Pod};

pub const DO_NOT_DISRUPT: &str = "karpenter.sh/do-not-disrupt";

/// What Karpenter makes of a pod's `karpenter.sh/do-not-disrupt` value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PodValue {
    Always,
    /// A positive Go duration, from the pod's start.
    For {
        nanos: i64,
    },
    /// Neither: Karpenter ignores it (with an event on the pod).
    Ignored,
}

pub fn pod_value(value: &str) -> PodValue {
    if value == "true" {
        return PodValue::Always;
    }
    match go_duration_nanos(value) {
        Some(nanos) if nanos > 0 => PodValue::For { nanos },
        _ => PodValue::Ignored,
    }
}

/// Until when a node is held back from voluntary disruption.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Hold {
    /// Held before this minute (the first minute at which the annotation no longer holds).
    Until(Minute),
    Always,
}

/// The hold that `pod`'s annotation puts on its node as of `now` (`None`: none, or lapsed by `now`).
pub fn pod_hold(pod: &Pod, now: Minute) -> Option<Hold> {
    let terminal = matches!(pod.status.phase.as_deref(), Some("Succeeded" | "Failed"));
    if terminal || pod.metadata.deletion_timestamp.is_some() {
        return None;
    }
    let hold = match pod_value(pod.metadata.annotations.get(DO_NOT_DISRUPT)?) {
        PodValue::Ignored => return None,
        PodValue::Always => Hold::Always,
        PodValue::For { nanos } => {
            let Some(started) = pod
                .status
                .start_time
                .as_deref()
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            else {
                return Some(Hold::Always); // Karpenter: no start time, fail safe.
            };
            // Held while age < duration: until start + duration, rounded up to the minute.
            let lapse_nanos = i128::from(started.timestamp()) * 1_000_000_000
                + i128::from(started.timestamp_subsec_nanos())
                + i128::from(nanos);
            let minute = lapse_nanos.div_euclid(60_000_000_000)
                + i128::from(lapse_nanos.rem_euclid(60_000_000_000) != 0);
            Hold::Until(Minute::try_from(minute).unwrap_or(Minute::MAX))
        }
    };
    (hold > Hold::Until(now)).then_some(hold)
}

/// Whether `node`'s own annotation holds it back (always, while it is there).
pub fn node_held(node: &Node) -> bool {
    node.metadata
        .annotations
        .get(DO_NOT_DISRUPT)
        .is_some_and(|v| v == "true")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde::Deserialize;
    use serde_json::{Value, json};

    /// 2026-11-24T06:43Z.
    const NOW: Minute = crate::testkit::INCIDENT;

    fn pod(annotation: Option<&str>, status: Value, deleting: bool) -> Pod {
        let mut p = json!({"metadata": {"name": "p"}, "status": status});
        if let Some(a) = annotation {
            p["metadata"]["annotations"] = json!({DO_NOT_DISRUPT: a});
        }
        if deleting {
            p["metadata"]["deletionTimestamp"] = json!("2026-11-24T06:40:00Z");
        }
        Pod::deserialize(&p).unwrap()
    }

    #[test]
    fn pod_values_as_karpenter_reads_them() {
        assert_eq!(pod_value("true"), PodValue::Always);
        assert_eq!(
            pod_value("1h30m"),
            PodValue::For {
                nanos: 5_400_000_000_000
            }
        );
        for ignored in ["True", "yes", "0s", "-5m", "1d", ""] {
            assert_eq!(pod_value(ignored), PodValue::Ignored, "{ignored:?}");
        }
    }

    #[test]
    fn a_duration_holds_from_the_pods_start_and_lapses() {
        let started = json!({"phase": "Running", "startTime": "2026-11-24T05:00:00Z"});
        // 05:00 + 4h = 09:00 UTC.
        assert_eq!(
            pod_hold(&pod(Some("4h"), started.clone(), false), NOW),
            Some(Hold::Until(NOW + 137))
        );
        // 05:00 + 90m30s = 06:30:30 → holds through 06:30, lapsed by 06:43.
        assert_eq!(
            pod_hold(&pod(Some("90m30s"), started.clone(), false), NOW),
            None
        );
        assert_eq!(
            pod_hold(&pod(Some("105m30s"), started.clone(), false), NOW),
            Some(Hold::Until(NOW + 3)),
            "06:45:30 rounds up to 06:46"
        );
        assert_eq!(
            pod_hold(&pod(Some("4h"), json!({"phase": "Pending"}), false), NOW),
            Some(Hold::Always),
            "no start time: fail safe"
        );
        assert_eq!(
            pod_hold(&pod(Some("2562047h"), started, false), NOW),
            Some(Hold::Until(NOW - 103 + 2_562_047 * 60)),
            "the longest Go duration does not overflow"
        );
    }

    #[test]
    fn true_holds_unless_the_pod_is_done_or_going() {
        let running = json!({"phase": "Running"});
        assert_eq!(
            pod_hold(&pod(Some("true"), running.clone(), false), NOW),
            Some(Hold::Always)
        );
        assert_eq!(
            pod_hold(&pod(Some("true"), running.clone(), true), NOW),
            None
        );
        assert_eq!(
            pod_hold(&pod(Some("yes"), running.clone(), false), NOW),
            None
        );
        assert_eq!(pod_hold(&pod(None, running, false), NOW), None);
        for done in ["Succeeded", "Failed"] {
            assert_eq!(
                pod_hold(&pod(Some("true"), json!({"phase": done}), false), NOW),
                None
            );
        }
    }

    #[test]
    fn a_node_is_held_only_by_true() {
        let node = |v: &str| {
            Node::deserialize(
                &json!({"metadata": {"name": "n", "annotations": {DO_NOT_DISRUPT: v}}}),
            )
            .unwrap()
        };
        assert!(node_held(&node("true")));
        assert!(!node_held(&node("4h")), "no duration on nodes");
        assert!(!node_held(&Node::default()));
    }
}
