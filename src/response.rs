//! Building the answers the host expects (`kubewarden_policy_sdk::response::ValidationResponse`).

use kubewarden_policy_sdk::response::ValidationResponse;
use kubewarden_policy_sdk::wapc_guest::prelude::CallResult;

pub fn accept() -> CallResult {
    kubewarden_policy_sdk::accept_request()
}

pub fn reject(message: String) -> CallResult {
    kubewarden_policy_sdk::reject_request(Some(message), None, None, None)
}

/// Accepts with the mutated object; each change is also returned as a warning, which kubectl prints.
pub fn mutate(object: serde_json::Value, changes: Vec<String>) -> CallResult {
    Ok(serde_json::to_vec(&ValidationResponse {
        accepted: true,
        message: None,
        code: None,
        mutated_object: Some(object),
        audit_annotations: None,
        warnings: Some(
            changes
                .into_iter()
                .map(|c| format!("disruption-guard {c}"))
                .collect(),
        ),
    })?)
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
