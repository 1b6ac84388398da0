//! Malformed input gets a rejection, never a trap or a host error.

// Test code: a panic is a failed test, with the reason in its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use e2e_tests::{Policy, admission_request, parse_verdict, read_yaml, seoul};
use serde_json::{Value, json};

fn rejected_with(payload: &[u8], expected: &str) {
    let out = Policy::new()
        .call("validate", payload)
        .expect("the policy must answer, not trap");
    let verdict = parse_verdict(&out);
    assert!(!verdict.accepted);
    let message = verdict.message.unwrap_or_default();
    assert!(
        message.contains(expected),
        "got {message:?}, want {expected:?}"
    );
}

fn request_for(object: Value) -> Vec<u8> {
    json!({"settings": {}, "request": admission_request(&object, "CREATE")})
        .to_string()
        .into_bytes()
}

#[test]
fn not_json() {
    rejected_with(b"this is not json", "cannot read the admission request");
    rejected_with(b"", "cannot read the admission request");
    rejected_with(&[0xff, 0xfe, 0x00], "cannot read the admission request");
}

#[test]
fn settings_that_validate_settings_refuses_are_refused_in_a_request_too() {
    // Found by the fuzzer: no allowed consolidation policy, and business hours of no length.
    let pool = read_yaml("examples/requests/nodepool-incident.json")["object"].clone();
    for settings in [
        json!({"nodePools": {"allowedConsolidationPolicies": []}}),
        json!({"businessHours": {"timezone": "Asia/Seoul", "start": "18:00", "end": "18:00"}}),
    ] {
        let payload = json!({"settings": settings, "request": admission_request(&pool, "CREATE")});
        rejected_with(
            payload.to_string().as_bytes(),
            "disruption-guard's settings are invalid: ",
        );
    }
}

#[test]
fn wrong_kind() {
    let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}});
    rejected_with(&request_for(pod), "does not guard Pod (core)");
}

#[test]
fn missing_fields() {
    let empty =
        json!({"apiVersion": "karpenter.sh/v1", "kind": "NodePool", "metadata": {"name": "x"}});
    rejected_with(&request_for(empty), "spec = (absent): Required value");
    let no_template = json!({"apiVersion": "karpenter.sh/v1", "kind": "NodePool", "metadata": {"name": "x"}, "spec": {}});
    rejected_with(
        &request_for(no_template),
        "spec.template = (absent): Required value",
    );
    let scalar_object = json!({"settings": {}, "request": {"uid": "1", "kind": {"group": "karpenter.sh", "version": "v1", "kind": "NodePool"},
        "resource": {"group": "karpenter.sh", "version": "v1", "resource": "nodepools"}, "operation": "CREATE", "object": 42}});
    rejected_with(
        scalar_object.to_string().as_bytes(),
        "must be of type object",
    );
}

#[test]
fn fifty_one_budgets() {
    let mut object = read_yaml("examples/requests/nodepool-fixed.json")["object"].clone();
    object["spec"]["disruption"]["budgets"] =
        (0..51).map(|i| json!({"nodes": i.to_string()})).collect();
    rejected_with(
        &request_for(object),
        "Too many: 51: must have at most 50 items",
    );
}

#[test]
fn huge_and_deep_input() {
    let mut object = read_yaml("examples/requests/nodepool-fixed.json")["object"].clone();
    object["spec"]["disruption"]["budgets"] = (0..5000)
        .map(|_| json!({"nodes": "1", "schedule": "* * * * *", "duration": "1m"}))
        .collect();
    rejected_with(&request_for(object), "must have at most 50 items");
    // Built as text: a 10,000-deep serde_json::Value would overflow this test's own stack.
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let text = format!(r#"{{"settings": {{}}, "request": {{"object": {deep}}}}}"#);
    rejected_with(text.as_bytes(), "cannot read the admission request");
}

#[test]
fn example_messages_have_no_stray_whitespace() {
    let cluster = read_yaml("examples/cluster.yaml");
    let settings = seoul();
    for (_, request) in e2e_tests::example_requests() {
        let v = Policy::with_cluster(&cluster).validate(&settings, &request);
        for text in v.message.iter().chain(&v.warnings) {
            for line in text.lines() {
                assert!(
                    !line.trim_start().contains("   "),
                    "a run of spaces in: {line:?}"
                );
            }
        }
    }
}

#[test]
fn a_request_with_a_hundred_thousand_unknown_fields_gets_a_short_answer_at_once_and_is_not_refused()
{
    let mut pool = read_yaml("examples/requests/nodepool-fixed.json")["object"].clone();
    for i in 0..100_000 {
        pool["spec"]["disruption"][format!("unknownField{i}")] = json!(i);
    }
    // Without the calculator's lookups, which this host refuses.
    let settings = json!({"capacity": {"enabled": false}});
    let payload = json!({"settings": settings, "request": admission_request(&pool, "CREATE")})
        .to_string()
        .into_bytes();
    assert!(payload.len() > 1_000_000, "{}", payload.len());
    let policy = Policy::new(); // compiled before the clock starts; 1 s is a safety net
    let started = std::time::Instant::now();
    let out = policy.call("validate", &payload).expect("an answer");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    // Fields a newer Karpenter may define are never refused: the pool is admitted, with a few warnings.
    let verdict = parse_verdict(&out);
    assert!(verdict.accepted, "{:?}", verdict.message);
    let warnings = &verdict.warnings;
    assert_eq!(warnings.len(), 20, "{warnings:?}");
    assert!(warnings.iter().map(String::len).sum::<usize>() < 16_000);
    assert!(
        warnings[0].starts_with(
            "disruption-guard: [nodepool-crd-unknown-field] spec.disruption.unknownField"
        ),
        "{warnings:?}"
    );
    assert!(
        warnings[19]
            .contains("99981 more fields that Karpenter v1.14.1's NodePool CRD does not define"),
        "{warnings:?}"
    );
}
