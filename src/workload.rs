//! Deployment and StatefulSet admission: spreading, then the PDB rules against the namespace's PDBs and HPAs;
//! and their `scale` subresource, judged against the PDBs that cover the stored workload.

use disruption_guard_engine::admission;
use disruption_guard_engine::kube::objects::at;
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
    let (object, old, ns) = (
        &request.object,
        response::stored_object(request),
        &request.namespace,
    );
    let settled = admission::settled(object, old, kind, || {
        admission::workload(object, old, kind, ns, settings, now, None, None)
    });
    if let Some(decision) = settled {
        return response::decide(decision, kind, request);
    }
    let namespace = lookups::workload_namespace(host, ns);
    let lookup = namespace.as_ref().map_err(Clone::clone);
    let pools = settings.capacity.enabled.then(|| lookups::node_pools(host));
    let pools = pools.as_ref().map(|p| p.as_ref().map_err(Clone::clone));
    let decision = admission::workload(object, old, kind, ns, settings, now, Some(lookup), pools);
    response::decide(decision, kind, request)
}

/// An UPDATE of `deployments/scale` or `statefulsets/scale`: an `autoscaling/v1` Scale whose
/// `spec.replicas` is the new count. Scaling up cannot make a PDB block drains, so only a scale-down looks
/// the workload and its namespace's PDBs up.
pub fn scale(
    request: &KubernetesAdmissionRequest,
    kind: &str,
    settings: &Settings,
    host: &mut Host,
) -> CallResult {
    let replicas = |scale: &serde_json::Value| {
        at(scale, &["spec", "replicas"])
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0)
    };
    let to = replicas(&request.object);
    let from = response::stored_object(request).map_or(to, replicas);
    if request.operation != "UPDATE" || to >= from {
        return response::accept(Vec::new());
    }
    let scaled = lookups::scaled(host, &request.namespace, kind, &request.name);
    let lookup = scaled.as_ref().map_err(Clone::clone);
    let decision = admission::scale(kind, from, to, settings, lookup);
    response::decide(decision, kind, request)
}
