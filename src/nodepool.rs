//! NodePool admission: the engine decides (mutate when allowed, then validate); this file answers.

use disruption_guard_engine::admission::{self, Decision};
use disruption_guard_engine::finding::render;
use disruption_guard_engine::settings::Settings;
use kubewarden_policy_sdk::request::KubernetesAdmissionRequest;
use kubewarden_policy_sdk::wapc_guest::prelude::CallResult;

use crate::response;

pub fn validate(request: &KubernetesAdmissionRequest, settings: &Settings, now: i64) -> CallResult {
    if request.operation == "DELETE" {
        return response::accept();
    }
    let old = Some(&request.old_object).filter(|o| request.operation == "UPDATE" && o.is_object());
    match admission::nodepool(&request.object, old, settings, now) {
        Decision::Accept => response::accept(),
        Decision::Mutate(object, changes) => response::mutate(object, changes),
        Decision::Reject(findings) => {
            let name = request
                .object
                .pointer("/metadata/name")
                .and_then(|n| n.as_str())
                .unwrap_or(&request.name);
            response::reject(render("NodePool", name, &findings))
        }
    }
}
