//! Every AdmissionReview that a real kube-apiserver sent during the cluster suite (`make cluster-fixtures`:
//! e2e-tests/fixtures/cluster/recorded), replayed through policy.wasm against the cluster that the request
//! met. The verdict, the rules named and the patch must be the ones PolicyServer answered. So defaulted
//! objects, UPDATEs with `oldObject`, Scale requests and audit-style CREATEs are covered without the binaries.

// Test code: a panic is a failed test, with the reason in its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use e2e_tests::{Policy, read_yaml, repo_root};
use serde_json::Value;

const RECORDED: &str = "e2e-tests/fixtures/cluster/recorded";

/// (file name, record), in the order the API server sent them.
fn recordings() -> Vec<(String, Value)> {
    let dir = repo_root().join(RECORDED);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    assert!(!names.is_empty(), "no recordings in {RECORDED}");
    names
        .into_iter()
        .map(|n| {
            let record = read_yaml(&format!("{RECORDED}/{n}"));
            (n, record)
        })
        .collect()
}

/// The settings of the policies/ manifest the webhook path names (`/validate/clusterwide-<name>?timeout=…`).
fn settings_for(path: &str) -> Value {
    let id = path
        .trim_start_matches("/validate/")
        .split('?')
        .next()
        .unwrap_or_default();
    let kustomization = read_yaml("policies/kustomization.yaml");
    for file in kustomization["resources"].as_array().unwrap() {
        let policy = read_yaml(&format!("policies/{}", file.as_str().unwrap()));
        if format!(
            "clusterwide-{}",
            policy["metadata"]["name"].as_str().unwrap()
        ) == id
        {
            return policy["spec"]["settings"].clone();
        }
    }
    panic!("no policies/ manifest for {path}")
}

/// The rule ids a message or warnings name, sorted.
fn rules(texts: &[&str]) -> Vec<String> {
    let mut ids: Vec<String> = texts
        .iter()
        .flat_map(|t| t.split('[').skip(1))
        .filter_map(|s| s.split_once(']').map(|(id, _)| id))
        .filter(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'))
        .map(String::from)
        .collect();
    ids.sort();
    ids
}

/// Standard base64, as the AdmissionResponse carries its patch.
fn base64(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        _ => 63,
    };
    let digits: Vec<u8> = text.bytes().filter(|&c| c != b'=').map(value).collect();
    digits
        .chunks(4)
        .flat_map(|c| {
            let n = c
                .iter()
                .enumerate()
                .fold(0u32, |n, (i, d)| n | u32::from(*d) << (18 - 6 * i));
            let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
            bytes.into_iter().take(c.len() - 1)
        })
        .collect()
}

#[test]
fn every_recorded_review_gets_the_answer_policy_server_gave() {
    for (file, record) in recordings() {
        let request = &record["review"]["request"];
        let expected = &record["response"]["response"];
        let policy = Policy::with_cluster(&record["cluster"]);
        let v = policy.validate(&settings_for(record["path"].as_str().unwrap()), request);
        let context = format!(
            "{file}: {} {} {}",
            request["operation"], request["kind"]["kind"], request["name"]
        );
        assert_eq!(
            Some(v.accepted),
            expected["allowed"].as_bool(),
            "{context}: {:?}",
            v.message
        );
        let recorded_warnings: Vec<&str> = expected["warnings"]
            .as_array()
            .map(|w| w.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let message = v.message.as_deref().unwrap_or_default();
        let warnings: Vec<&str> = v.warnings.iter().map(String::as_str).collect();
        assert_eq!(
            rules(&[&[message], warnings.as_slice()].concat()),
            rules(
                &[
                    &[expected["status"]["message"].as_str().unwrap_or_default()],
                    recorded_warnings.as_slice()
                ]
                .concat()
            ),
            "{context}"
        );
        // PolicyServer's patch, applied to the request's object, gives the object the policy returns.
        match expected["patch"].as_str() {
            Some(patch) => {
                let ops: json_patch::Patch =
                    serde_json::from_slice(&base64(patch)).expect("a JSONPatch");
                let mut patched = request["object"].clone();
                json_patch::patch(&mut patched, &ops).expect("the patch applies");
                assert_eq!(v.mutated_object.as_ref(), Some(&patched), "{context}");
            }
            None => assert!(
                v.mutated_object.is_none_or(|m| m == request["object"]),
                "{context}: PolicyServer sent no patch"
            ),
        }
    }
}

#[test]
fn the_recordings_hold_the_writes_a_cluster_makes() {
    let records = recordings();
    let find = |what: &str, pick: &dyn Fn(&Value) -> bool| {
        let found = records.iter().find(|(_, r)| pick(&r["review"]["request"]));
        assert!(
            found.is_some(),
            "no recorded {what}: re-run make cluster-fixtures"
        );
        found.map(|(_, r)| r["response"]["response"]["allowed"].clone())
    };
    let spec = |r: &Value, old: bool| r[if old { "oldObject" } else { "object" }]["spec"].clone();
    // The API server's defaults, applied before any webhook.
    find("NodePool defaulted by the CRD", &|r| {
        r["kind"]["kind"] == "NodePool"
            && r["object"]["spec"]["disruption"]["consolidateAfter"] == "0s"
    });
    assert_eq!(
        find("metadata-only NodePool UPDATE", &|r| {
            r["kind"]["kind"] == "NodePool"
                && r["operation"] == "UPDATE"
                && spec(r, false) == spec(r, true)
        }),
        Some(Value::Bool(true))
    );
    assert_eq!(
        find("finalizer removal of a Deployment being deleted", &|r| {
            r["operation"] == "UPDATE"
                && r["oldObject"]["metadata"]["deletionTimestamp"].is_string()
        }),
        Some(Value::Bool(true))
    );
    assert_eq!(
        find("label-only Deployment UPDATE", &|r| {
            r["kind"]["kind"] == "Deployment"
                && r["operation"] == "UPDATE"
                && spec(r, false) == spec(r, true)
                && r["object"]["metadata"]["labels"] != r["oldObject"]["metadata"]["labels"]
        }),
        Some(Value::Bool(true))
    );
    find("scale subresource UPDATE", &|r| {
        r["subResource"] == "scale" && r["kind"]["kind"] == "Scale"
    });
}

#[test]
fn base64_decodes_what_the_response_carries() {
    assert_eq!(base64("W3sib3AiOiJhZGQifV0="), br#"[{"op":"add"}]"#);
    assert_eq!(base64("YQ=="), b"a");
    assert_eq!(base64("YWI="), b"ab");
}
