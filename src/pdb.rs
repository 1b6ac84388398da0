//! PodDisruptionBudget admission: defaults, then the rules, with the namespace's workloads.

use disruption_guard_engine::admission;
use disruption_guard_engine::settings::Settings;
use kubewarden_policy_sdk::request::KubernetesAdmissionRequest;
use kubewarden_policy_sdk::wapc_guest::prelude::CallResult;

use crate::{context, response};

pub fn validate(request: &KubernetesAdmissionRequest, settings: &Settings) -> CallResult {
    if request.operation == "DELETE" {
        return response::accept(Vec::new());
    }
    let namespace = context::namespace(&request.namespace);
    let decision = admission::pdb(
        &request.object,
        settings,
        namespace.as_ref().map_err(Clone::clone),
    );
    response::decide(decision, "PodDisruptionBudget", request)
}
