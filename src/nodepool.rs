//! NodePool admission: the engine decides (mutate when allowed, then validate); this file answers.

use disruption_guard_engine::admission;
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
    let lookup = cluster.as_ref().map(|c| c.as_ref().map_err(Clone::clone));
    let decision = admission::nodepool(object, old, settings, now, lookup);
    response::decide(decision, "NodePool", request)
}
