//! Turning the engine's decision into the answer the host expects
//! (`kubewarden_policy_sdk::response::ValidationResponse`).

use disruption_guard_engine::admission::Decision;
use disruption_guard_engine::finding::render;
use disruption_guard_engine::kube::objects::at;
use kubewarden_policy_sdk::request::KubernetesAdmissionRequest;
use kubewarden_policy_sdk::response::ValidationResponse;
use kubewarden_policy_sdk::wapc_guest::prelude::CallResult;

pub fn decide(decision: Decision, kind: &str, request: &KubernetesAdmissionRequest) -> CallResult {
    match decision {
        Decision::Accept { warnings } => accept(warnings),
        Decision::Mutate {
            object,
            changes,
            warnings,
        } => {
            let mut lines: Vec<String> = changes
                .into_iter()
                .map(|c| format!("disruption-guard {c}"))
                .collect();
            lines.extend(warnings);
            answer(true, None, Some(object), lines)
        }
        Decision::Reject { findings } => reject(render(kind, object_name(request), &findings)),
    }
}

/// The admitted object's `metadata.name`, or the request's name when the object has none.
pub fn object_name(request: &KubernetesAdmissionRequest) -> &str {
    at(&request.object, &["metadata", "name"])
        .and_then(|n| n.as_str())
        .unwrap_or(&request.name)
}

/// The stored object, on an UPDATE that carries it (`oldObject`); an UPDATE without it, as a hand-written
/// `kwctl run` request may be, is judged like a CREATE.
pub fn stored_object(request: &KubernetesAdmissionRequest) -> Option<&serde_json::Value> {
    Some(&request.old_object).filter(|o| request.operation == "UPDATE" && o.is_object())
}

/// Warnings reach the user through kubectl ("Warning: …").
pub fn accept(warnings: Vec<String>) -> CallResult {
    answer(true, None, None, warnings)
}

pub fn reject(message: String) -> CallResult {
    answer(false, Some(message), None, Vec::new())
}

fn answer(
    accepted: bool,
    message: Option<String>,
    mutated: Option<serde_json::Value>,
    warnings: Vec<String>,
) -> CallResult {
    // Room for the message and its escapes, so the answer is not copied as it grows.
    let room = 256 + message.as_ref().map_or(0, |m| m.len() + m.len() / 8);
    let mut out = Vec::with_capacity(room);
    serde_json::to_writer(
        &mut out,
        &ValidationResponse {
            accepted,
            message,
            code: None,
            mutated_object: mutated,
            audit_annotations: None,
            warnings: (!warnings.is_empty()).then_some(warnings),
        },
    )?;
    Ok(out)
}

/// Error texts can quote the whole payload; keep messages readable.
pub fn shorten(text: &str) -> String {
    const LIMIT: usize = 300;
    if text.chars().count() <= LIMIT {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(LIMIT).collect::<String>())
    }
}
