//! The policy's settings: the engine's [`disruption_guard_engine::settings::Settings`], checked at load
//! time so a bad key fails `kwctl run` and the PolicyServer rollout, not the first request.

use guest::prelude::*;
use kubewarden_policy_sdk::wapc_guest as guest;
use serde::Deserialize;

use kubewarden_policy_sdk::settings::{SettingsValidationResponse, Validatable};

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(transparent)]
pub struct Settings(pub disruption_guard_engine::settings::Settings);

impl Validatable for Settings {
    fn validate(&self) -> Result<(), String> {
        self.0.validate()
    }
}

/// Like the SDK's `validate_settings`, but a settings document that does not even decode (unknown key,
/// bad time zone, wrong type) is answered `valid: false` with the reason, not with a waPC error.
pub fn validate_settings(payload: &[u8]) -> CallResult {
    let empty = payload.iter().all(u8::is_ascii_whitespace) || payload == b"null";
    let result = if empty {
        Ok(disruption_guard_engine::settings::Settings::default())
    } else {
        disruption_guard_engine::settings::Settings::from_json(payload)
    };
    let response = SettingsValidationResponse {
        valid: result.is_ok(),
        message: result.err(),
    };
    Ok(serde_json::to_vec(&response)?)
}
