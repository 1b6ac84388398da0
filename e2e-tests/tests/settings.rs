//! validate_settings through the compiled policy.wasm.

use e2e_tests::{Policy, read_yaml, seoul};
use serde_json::json;

#[test]
fn the_example_settings_and_empty_settings_are_valid() {
    let policy = Policy::new();
    for s in [
        seoul(),
        read_yaml("examples/settings-seoul-validate-only.yaml"),
        json!({}),
    ] {
        assert_eq!(policy.validate_settings(&s), (true, None), "{s}");
    }
}

#[test]
fn bad_settings_are_refused_with_the_key_named() {
    let policy = Policy::new();
    for (settings, expected) in [
        (json!({"nodepools": {}}), "unknown field `nodepools`"),
        (
            json!({"businessHours": {"timezone": "Asia/Tokio"}}),
            "unknown time zone \"Asia/Tokio\"",
        ),
        (
            json!({"businessHours": {"timezone": "Asia/Seoul", "start": "9am"}}),
            "invalid time \"9am\"",
        ),
        (
            json!({"nodePools": {"maxBudgetNodes": "110%"}}),
            "invalid value \"110%\"",
        ),
        (
            json!({"nodePools": {"minConsolidateAfter": 300}}),
            "invalid type: integer `300`, expected a string",
        ),
        (
            json!({"workloads": {"topologySpread": "rack"}}),
            "unknown variant `rack`",
        ),
        (json!(["not", "an", "object"]), "invalid settings"),
    ] {
        let (valid, message) = policy.validate_settings(&settings);
        assert!(!valid, "{settings} should be invalid");
        let message = message.unwrap_or_default();
        assert!(
            message.contains(expected),
            "{settings}: got {message:?}, want {expected:?}"
        );
    }
}

#[test]
fn every_bad_key_is_named_in_one_answer() {
    let policy = Policy::new();
    let settings = json!({
        "businessHours": {"timezone": "Asia/Tokio", "start": "9am"},
        "nodePools": {"maxBudgetNode": 3, "allowedConsolidationPolicies": []},
        "workloads": {"topologySpread": "rack"},
    });
    let (valid, message) = policy.validate_settings(&settings);
    assert!(!valid);
    let message = message.unwrap_or_default();
    assert!(
        message.starts_with("invalid settings: 5 problems: "),
        "{message}"
    );
    for expected in [
        "businessHours.start: invalid time \"9am\"",
        "businessHours.timezone: unknown time zone \"Asia/Tokio\"",
        "nodePools.maxBudgetNode: unknown field `maxBudgetNode`",
        "did you mean `maxBudgetNodes`?",
        "workloads.topologySpread: unknown variant `rack`",
        "nodePools.allowedConsolidationPolicies is empty",
    ] {
        assert!(message.contains(expected), "{expected}: {message}");
    }
}
