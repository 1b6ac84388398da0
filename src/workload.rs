//! Deployment and StatefulSet admission: spreading, then the PDB rules against the namespace's PDBs and HPAs.

use disruption_guard_engine::admission;
use disruption_guard_engine::lookups::{self, Host};
use disruption_guard_engine::settings::Settings;
use kubewarden_policy_sdk::request::KubernetesAdmissionRequest;
use kubewarden_policy_sdk::wapc_guest::prelude::CallResult;

use crate::response;

pub fn validate(
    request: &KubernetesAdmissionRequest,
    kind: &str,
    settings: &Settings,
    host: &mut Host,
    now: i64,
) -> CallResult {
    if request.operation == "DELETE" {
        return response::accept(Vec::new());
    }
    let namespace = lookups::workload_namespace(host, &request.namespace);
    let lookup = namespace.as_ref().map_err(Clone::clone);
    let pools = settings.capacity.enabled.then(|| lookups::node_pools(host));
    let pools = pools.as_ref().map(|p| p.as_ref().map_err(Clone::clone));
    let decision = admission::workload(
        &request.object,
        kind,
        &request.namespace,
        settings,
        now,
        lookup,
        pools,
    );
    response::decide(decision, kind, request)
}
