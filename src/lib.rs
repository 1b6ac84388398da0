//! disruption-guard, the Kubewarden policy: the waPC front door. It decodes the admission request, hands
//! the object to the engine and answers; no rule lives here.

use guest::prelude::*;
use kubewarden_policy_sdk::wapc_guest as guest;

extern crate kubewarden_policy_sdk as kubewarden;
use disruption_guard_engine::lookups::Host;
use kubewarden::{protocol_version_guest, request::ValidationRequest};

mod nodepool;
mod pdb;
mod response;
mod settings;
mod workload;

pub use settings::{Settings, validate_settings};

#[unsafe(no_mangle)]
pub extern "C" fn wapc_init() {
    register_function("validate", validate);
    register_function("validate_settings", settings::validate_settings);
    register_function("protocol_version", protocol_version_guest);
}

/// Evaluates one admission request, looking the cluster up through the Kubewarden host.
pub fn validate(payload: &[u8]) -> CallResult {
    evaluate(payload, &mut host_call, now_minute())
}

/// Context-aware calls: binding `kubewarden`, namespace `kubernetes`, the waPC operations behind the SDK's
/// `list_resources_by_namespace` and `list_all_resources`; the engine's `lookups` write the requests.
fn host_call(operation: &str, request: &[u8]) -> Result<Vec<u8>, String> {
    guest::host_call("kubewarden", "kubernetes", operation, request).map_err(|e| e.to_string())
}

/// [`validate`] with the host and the instant given, so that benchmarks and tests can run it natively.
/// Never returns `Err` for bad input: a request it cannot read is rejected with a message saying why,
/// instead of the host's opaque 500.
pub fn evaluate(payload: &[u8], host: &mut Host, now: i64) -> CallResult {
    let request = match ValidationRequest::<Settings>::new(payload) {
        Ok(r) => r,
        Err(e) => {
            return response::reject(format!(
                "disruption-guard cannot read the admission request: {}",
                response::shorten(&e.to_string())
            ));
        }
    };
    // PolicyServer and kwctl validate the settings when they load the policy; a caller that does not (a
    // test host, a replayed payload) gets the same refusal instead of rules run on settings they rule out.
    if let Err(e) = request.settings.0.validate() {
        return response::reject(format!(
            "disruption-guard's settings are invalid: {e}; fix spec.settings of the policy resource"
        ));
    }
    // The policy's rules never send a DELETE; one that comes anyway (a hand-written `kwctl run` request)
    // leaves nothing behind to judge, and is admitted.
    if request.request.operation == "DELETE" {
        return response::accept(Vec::new());
    }
    let kind = &request.request.kind;
    match (kind.group.as_str(), kind.kind.as_str()) {
        ("karpenter.sh", "NodePool") => {
            nodepool::validate(&request.request, &request.settings.0, host, now)
        }
        ("policy", "PodDisruptionBudget") => {
            pdb::validate(&request.request, &request.settings.0, host)
        }
        ("apps", kind @ ("Deployment" | "StatefulSet")) => {
            workload::validate(&request.request, kind, &request.settings.0, host, now)
        }
        ("autoscaling", "Scale") => match scaled_resource(payload).as_deref() {
            Some("nodepools") => nodepool::scale(&request.request, &request.settings.0),
            Some("deployments") => {
                workload::scale(&request.request, "Deployment", &request.settings.0, host)
            }
            Some("statefulsets") => {
                workload::scale(&request.request, "StatefulSet", &request.settings.0, host)
            }
            other => response::reject(format!(
                "disruption-guard guards the scale subresource of deployments, statefulsets and nodepools, not of {}; \
                 check the rules of the policy resource",
                other.unwrap_or("an unnamed resource")
            )),
        },
        (group, other) => response::reject(format!(
            "disruption-guard does not guard {other} ({}): it admits karpenter.sh/v1 NodePools, policy/v1 \
             PodDisruptionBudgets and apps/v1 Deployments and StatefulSets; check the rules of the policy resource",
            if group.is_empty() {
                "core".to_string()
            } else {
                group.to_string()
            }
        )),
    }
}

/// `request.resource.resource` (`deployments` for `deployments/scale`): the SDK's `GroupVersionResource`
/// has no `resource` field, so it is read from the payload itself (small for a Scale).
fn scaled_resource(payload: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Review {
        request: Request,
    }
    #[derive(serde::Deserialize)]
    struct Request {
        resource: Resource,
    }
    #[derive(serde::Deserialize)]
    struct Resource {
        resource: String,
    }
    let review: Review = serde_json::from_slice(payload).ok()?;
    Some(review.request.resource.resource)
}

/// The evaluation instant, read once per request (the WASI clock under kwctl and PolicyServer).
pub fn now_minute() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| (d.as_secs() / 60) as i64)
        .unwrap_or(0)
}
