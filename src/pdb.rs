//! PodDisruptionBudget admission: defaults, then the rules, with the namespace's workloads.

use disruption_guard_engine::admission;
use disruption_guard_engine::lookups::{self, Host};
use disruption_guard_engine::settings::Settings;
use kubewarden_policy_sdk::request::KubernetesAdmissionRequest;
use kubewarden_policy_sdk::wapc_guest::prelude::CallResult;

use crate::response;

const KIND: &str = "PodDisruptionBudget";

pub fn validate(
    request: &KubernetesAdmissionRequest,
    settings: &Settings,
    host: &mut Host,
) -> CallResult {
    let (object, old) = (&request.object, response::stored_object(request));
    let settled = admission::settled(object, old, KIND, || {
        admission::pdb(object, old, settings, None)
    });
    if let Some(decision) = settled {
        return response::decide(decision, KIND, request);
    }
    let namespace =
        lookups::pdb_namespace(host, &request.namespace, response::object_name(request));
    let lookup = namespace.as_ref().map_err(Clone::clone);
    let decision = admission::pdb(object, old, settings, Some(lookup));
    response::decide(decision, KIND, request)
}
