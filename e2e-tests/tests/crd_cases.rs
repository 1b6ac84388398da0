//! Every case of the Karpenter CRD corpus (e2e-tests/fixtures/karpenter-crd-cases.yaml, Karpenter's own
//! v1.14.x verdicts) through policy.wasm: CRD-invalid pools are rejected by the CRD-parity rule, and
//! CRD-valid ones are never blamed on it (they may still break disruption-guard's own rules). A pool that
//! only `kubectl --validate=strict` refuses, for a field the CRD does not define, gets a warning instead, and
//! so does one that only Karpenter's main branch after v1.14.1 admits.

// Test code: a panic is a failed test, with the reason in its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use e2e_tests::{Policy, admission_request, repo_root};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize)]
struct Case {
    case: String,
    verdict: String,
    #[serde(rename = "apiErrors", default)]
    api_errors: Vec<String>,
    /// Verdicts of other Karpenter versions, by version ("main": the unreleased branch after v1.14.1).
    #[serde(rename = "otherVersions", default)]
    other_versions: std::collections::BTreeMap<String, String>,
    #[serde(rename = "nodePool")]
    node_pool: Value,
}

impl Case {
    /// Refused by `kubectl --validate=strict` only for a field the CRD does not define: the policy warns
    /// (a newer Karpenter's CRD may define it; an API server with this one prunes it).
    /// Refused by v1.14.1's CRD, admitted by Karpenter's main branch after it: the policy warns.
    fn valid_on_newer_karpenter(&self) -> bool {
        self.verdict == "invalid"
            && self
                .other_versions
                .get("main")
                .is_some_and(|v| v == "valid")
    }

    fn only_unknown_fields(&self) -> bool {
        !self.api_errors.is_empty()
            && self
                .api_errors
                .iter()
                .all(|e| e.starts_with("strict decoding error: unknown field"))
    }
}

fn cases() -> Vec<Case> {
    let path = repo_root().join("e2e-tests/fixtures/karpenter-crd-cases.yaml");
    let text = std::fs::read_to_string(&path).expect("fixture");
    serde_yaml::Deserializer::from_str(&text)
        .filter_map(|doc| {
            let v = Value::deserialize(doc).expect("YAML document");
            (!v.is_null()).then(|| serde_json::from_value(v).expect("case shape"))
        })
        .collect()
}

#[test]
fn crd_verdicts_match_karpenter() {
    let cases = cases();
    assert_eq!(cases.len(), 60, "the whole corpus is read");
    let mut mismatches = Vec::new();
    for c in &cases {
        let verdict =
            Policy::new().validate(&json!({}), &admission_request(&c.node_pool, "CREATE"));
        let message = verdict.message.unwrap_or_default();
        let crd_rejected = !verdict.accepted && message.contains("[nodepool-crd-schema]");
        let warning = if c.only_unknown_fields() {
            Some("[nodepool-crd-unknown-field]")
        } else if c.valid_on_newer_karpenter() {
            Some("[nodepool-crd-newer-karpenter]")
        } else {
            None
        };
        if let Some(warning) = warning {
            // Without the cluster lookups, which this host refuses, and without a mutation to write what is
            // missing: a rejection drops the warnings.
            let settings = json!({"capacity": {"enabled": false},
                "nodePools": {"injectDefaults": false, "minConsolidateAfter": "0s"}});
            let verdict =
                Policy::new().validate(&settings, &admission_request(&c.node_pool, "CREATE"));
            let message = verdict.message.clone().unwrap_or_default();
            let warned =
                verdict.warnings.iter().any(|w| w.contains(warning)) || message.contains(warning);
            if crd_rejected || !warned {
                mismatches.push(format!(
                    "{}: want the warning {warning}, not a CRD rejection: {message} {:?}",
                    c.case, verdict.warnings
                ));
            }
            continue;
        }
        match c.verdict.as_str() {
            "invalid" if !crd_rejected => mismatches.push(format!(
                "{}: Karpenter refuses it, we did not: {message}",
                c.case
            )),
            "valid" if crd_rejected => mismatches.push(format!(
                "{}: Karpenter admits it, we blamed the CRD: {message}",
                c.case
            )),
            "valid" | "invalid" => {}
            other => panic!("{}: unknown verdict {other}", c.case),
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
