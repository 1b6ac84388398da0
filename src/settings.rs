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

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(payload: &[u8]) -> SettingsValidationResponse {
        let out = validate_settings(payload).expect("validate_settings answers");
        serde_json::from_slice(&out).expect("JSON answer")
    }

    #[test]
    fn empty_and_null_payloads_are_the_defaults() {
        for payload in [&b""[..], b"null", b"{}", b"  "] {
            let r = answer(payload);
            assert!(r.valid && r.message.is_none(), "{payload:?}");
        }
    }

    #[test]
    fn undecodable_settings_are_invalid_not_errors() {
        let r = answer(br#"{"businessHours": {"timezone": "Mars/Olympus"}}"#);
        assert!(!r.valid);
        assert!(
            r.message
                .unwrap()
                .contains("unknown time zone \"Mars/Olympus\"")
        );
        let r = answer(br#"{"businessHours": {"timezone": "UTC", "days": []}}"#);
        assert!(!r.valid, "cross-field checks run too");
    }

    #[test]
    fn the_request_settings_decode_transparently() {
        let s: Settings = serde_json::from_str(r#"{"nodePools": {"maxBudgetNodes": 3}}"#).unwrap();
        assert_eq!(
            s.0.node_pools.max_budget_nodes,
            disruption_guard_engine::kube::int_or_percent::IntOrPercent::Count(3)
        );
        assert!(s.validate().is_ok());
    }
}
