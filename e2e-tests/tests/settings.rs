//! validate_settings through the compiled policy.wasm.

use e2e_tests::{Policy, read_yaml, seoul};
use serde_json::json;

#[test]
fn the_example_settings_and_empty_settings_are_valid() {
    let policy = Policy::new();
    for s in [
        seoul(),
        read_yaml("examples/settings-seoul-validate-only.yaml"),
        read_yaml("examples/settings-berlin-maintenance.yaml"),
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
        // Settings that contradict the rules they configure.
        (
            json!({"workloads": {"minReplicas": 1}}),
            "workloads.minReplicas 1 would require a PDB for single-replica workloads",
        ),
        (
            json!({"pdbs": {"defaultMinAvailable": "100%"}}),
            "pdbs.defaultMinAvailable \"100%\" would write PDBs that allow no eviction",
        ),
        (
            json!({"nodePools": {"maxBudgetNodes": "0"}}),
            "nodePools.maxBudgetNodes 0 allows no disruption at all",
        ),
        (
            json!({"workloads": {"availabilityFloor": "0%"}}),
            "workloads.availabilityFloor 0% keeps no pod up",
        ),
        (
            json!({"businessHours": {"timezone": "Asia/Seoul", "start": "+9:00"}}),
            "invalid time \"+9:00\"",
        ),
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

/// The validate-only settings file is what `mutating: false` needs: through policy.wasm, no request comes
/// back changed: not the examples, nor one request for each injection the Seoul settings make (a PDB with
/// no budget, a protected 3-replica Deployment, a NodePool that lacks its freeze).
#[test]
fn the_validate_only_settings_never_mutate() {
    let validate_only = read_yaml("examples/settings-seoul-validate-only.yaml");
    let cluster = read_yaml("examples/cluster.yaml");
    let mut bare_pdb = read_yaml("examples/requests/pdb-api-gateway-half.json");
    bare_pdb["object"]["spec"] = json!({"selector": {"matchLabels": {"app": "api-gateway"}}});
    // `search` has its PDB in the cluster: admitted, and spread by the Seoul settings.
    let mut protected = read_yaml("examples/requests/deployment-checkout-no-pdb.json");
    protected["name"] = json!("search");
    protected["object"]["metadata"]["name"] = json!("search");
    protected["object"]["spec"]["selector"]["matchLabels"] = json!({"app": "search"});
    protected["object"]["spec"]["template"]["metadata"]["labels"] = json!({"app": "search"});
    let injections = [
        ("a PDB with no budget", bare_pdb),
        ("a protected 3-replica Deployment", protected),
        (
            "a NodePool without its freeze",
            read_yaml("examples/requests/nodepool-utc-freeze.json"),
        ),
    ];
    for (what, request) in &injections {
        let verdict = Policy::with_cluster(&cluster).validate(&seoul(), request);
        assert!(
            verdict.mutated_object.is_some(),
            "{what}: the Seoul settings should change it: {:?}",
            verdict.message
        );
    }
    let examples = e2e_tests::example_requests();
    let injections = injections.map(|(what, request)| (what.to_string(), request));
    for (what, request) in examples.into_iter().chain(injections) {
        let verdict = Policy::with_cluster(&cluster).validate(&validate_only, &request);
        assert!(
            verdict.mutated_object.is_none(),
            "{what}: changed with the validate-only settings"
        );
    }
}

/// A caller that skips validate_settings (a replayed payload, a test host) gets the same refusal from
/// validate, never rules run on settings that contradict them.
#[test]
fn validate_refuses_contradicting_settings_too() {
    let request = read_yaml("examples/requests/deployment-worker-single.json");
    let verdict = Policy::new().validate(&json!({"workloads": {"minReplicas": 1}}), &request);
    assert!(!verdict.accepted);
    let message = verdict.message.unwrap_or_default();
    assert!(
        message.starts_with("disruption-guard's settings are invalid: workloads.minReplicas 1"),
        "{message}"
    );
}

/// Maintenance windows that cannot work are refused at load time, naming the key and the conflict.
#[test]
fn maintenance_windows_that_cannot_work_are_refused() {
    let policy = Policy::new();
    let window = json!({"days": ["Sat"], "start": "02:00", "end": "06:00"});
    for (settings, words) in [
        (
            json!({"businessHours": {"timezone": "UTC"},
                   "maintenanceWindows": {"timezone": "UTC", "windows": [window]}}),
            "maintenanceWindows: businessHours and maintenanceWindows are both set",
        ),
        (
            json!({"maintenanceWindows": {"timezone": "Europe/Berlin",
                   "windows": [{"days": ["Sat"], "start": "02:00", "end": "03:00"}]}}),
            "Europe/Berlin's clocks change by 1h",
        ),
        (
            json!({"maintenanceWindows": {"timezone": "UTC", "windows": []}}),
            "maintenanceWindows.windows is empty",
        ),
    ] {
        let (valid, message) = policy.validate_settings(&settings);
        assert!(!valid, "{settings}");
        let message = message.unwrap_or_default();
        assert!(message.contains(words), "{settings}: {message}");
    }
}
