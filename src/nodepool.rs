//! NodePool admission: the engine decides (mutate when allowed, then validate); this file answers.

use disruption_guard_engine::admission;
use disruption_guard_engine::guards::nodepool::scale;
use disruption_guard_engine::lookups::{self, Host};
use disruption_guard_engine::settings::{ExpiryForecast, Settings};
use kubewarden_policy_sdk::request::KubernetesAdmissionRequest;
use kubewarden_policy_sdk::wapc_guest::prelude::CallResult;

use crate::response;

pub fn validate(
    request: &KubernetesAdmissionRequest,
    settings: &Settings,
    host: &mut Host,
    now: i64,
) -> CallResult {
    let (object, old) = (&request.object, response::stored_object(request));
    let settled = admission::settled(object, old, "NodePool", || {
        admission::nodepool(object, old, settings, now, None)
    });
    if let Some(decision) = settled {
        return response::decide(decision, "NodePool", request);
    }
    // The pool's nodes for the capacity calculator, or for the expiry forecast alone.
    let forecast =
        settings.node_pools.expiry_forecast != ExpiryForecast::Off && settings.freeze().is_some();
    let with_workloads = settings.capacity.enabled;
    let cluster = (with_workloads || forecast)
        .then(|| lookups::pool(host, response::object_name(request), with_workloads));
    // The forecast alone is advice: a Node list it cannot make is a warning, never a rejection (a policy
    // resource without the calculator may not declare Nodes).
    let (lookup, skipped) = match &cluster {
        Some(Err(e)) if !with_workloads => (None, Some(e)),
        _ => (
            cluster.as_ref().map(|c| c.as_ref().map_err(Clone::clone)),
            None,
        ),
    };
    let mut decision = admission::nodepool(object, old, settings, now, lookup);
    if let Some(e) = skipped {
        decision.warn(format!(
            "disruption-guard: expiry forecast skipped: {e}; let PolicyServer list v1 Nodes (RBAC and the \
             policy's contextAwareResources), or set nodePools.expiryForecast: off"
        ));
    }
    response::decide(decision, "NodePool", request)
}

/// `kubectl scale nodepool`: a static pool's `scale` subresource. A decrease is the user's explicit
/// request and is admitted; one that drains more nodes at once than `maxBudgetNodes` is warned about.
pub fn scale(request: &KubernetesAdmissionRequest, settings: &Settings) -> CallResult {
    let replicas = |scale: &serde_json::Value| scale["spec"]["replicas"].as_i64();
    let to = replicas(&request.object);
    let from = response::stored_object(request).and_then(replicas);
    let warning = match (from, to) {
        (Some(from), Some(to)) => scale::decrease_warning(&request.name, from, to, settings),
        _ => None,
    };
    response::accept(warning.into_iter().collect())
}
