//! PodDisruptionBudget admission: defaults, then the rules, with the namespace's workloads.

use disruption_guard_engine::admission;
use disruption_guard_engine::lookups::{self, Host};
use disruption_guard_engine::settings::Settings;
use kubewarden_policy_sdk::request::KubernetesAdmissionRequest;
use kubewarden_policy_sdk::wapc_guest::prelude::CallResult;

use crate::response;

pub fn validate(
    request: &KubernetesAdmissionRequest,
    settings: &Settings,
    host: &mut Host,
) -> CallResult {
    if request.operation == "DELETE" {
        return response::accept(Vec::new());
    }
    let name = request.object["metadata"]["name"]
        .as_str()
        .unwrap_or_default();
    let namespace = lookups::pdb_namespace(host, &request.namespace, name);
    let decision = admission::pdb(
        &request.object,
        settings,
        namespace.as_ref().map_err(Clone::clone),
    );
    response::decide(decision, "PodDisruptionBudget", request)
}
