//! `controller MODULE WEBHOOK_URL CA_BUNDLE OUT_DIR` (CA_BUNDLE: the CA's PEM in base64): what the Kubewarden controller generates from
//! `policies/*.yaml` (ClusterAdmissionPolicies), for a cluster without the controller (the cluster suite):
//! - `OUT_DIR/policies.yml`, PolicyServer's configuration: one entry per policy, keyed `clusterwide-<name>`,
//!   with `hostCapabilities: ["*"]`, which the controller writes for every cluster-wide policy;
//! - `OUT_DIR/webhooks.yaml`: one Mutating- or ValidatingWebhookConfiguration per policy, with the policy's
//!   rules, failurePolicy, matchPolicy, timeoutSeconds and selectors, the controller's namespace exclusion,
//!   and `WEBHOOK_URL/validate/clusterwide-<name>` in place of the controller's Service reference.
//!
//! Mirrors kubewarden-controller's `internal/controller/policy_subreconciler_webhook.go` and
//! `policyserver_controller_configmap.go`.

use std::path::Path;

use e2e_tests::{read_yaml, repo_root};
use serde_json::{Value, json};

/// The namespace the controller and the PolicyServer run in; every cluster-wide webhook leaves it out.
const KUBEWARDEN_NAMESPACE: &str = "kubewarden";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [module, url, ca_bundle, out] = args.as_slice() else {
        eprintln!("usage: controller MODULE WEBHOOK_URL CA_BUNDLE OUT_DIR");
        std::process::exit(2);
    };
    let kustomization = read_yaml("policies/kustomization.yaml");
    let mut config = serde_json::Map::new();
    let mut webhooks = String::new();
    for file in kustomization["resources"].as_array().into_iter().flatten() {
        let file = file.as_str().unwrap_or_default();
        let policy = read_yaml(&format!("policies/{file}"));
        let (id, entry, webhook) = generate(&policy, module, url, ca_bundle);
        config.insert(id, entry);
        webhooks.push_str("---\n");
        webhooks.push_str(&serde_yaml::to_string(&webhook).unwrap_or_default());
    }
    let out = Path::new(out);
    let write = |name: &str, text: String| {
        std::fs::write(out.join(name), text).unwrap_or_else(|e| panic!("{name}: {e}"));
    };
    write(
        "policies.yml",
        serde_yaml::to_string(&config).unwrap_or_default(),
    );
    write("webhooks.yaml", webhooks);
    eprintln!(
        "controller: {} policies from {}/policies",
        config.len(),
        repo_root().display()
    );
}

/// One ClusterAdmissionPolicy → (policy id, PolicyServer entry, webhook configuration).
fn generate(policy: &Value, module: &str, url: &str, ca_bundle: &str) -> (String, Value, Value) {
    let spec = &policy["spec"];
    let name = policy["metadata"]["name"].as_str().unwrap_or_default();
    let id = format!("clusterwide-{name}");
    let mutating = spec["mutating"].as_bool().unwrap_or(false);
    let entry = json!({
        "module": module,
        "policyMode": spec["mode"].as_str().unwrap_or("protect"),
        "allowedToMutate": mutating,
        "contextAwareResources": spec["contextAwareResources"],
        "settings": spec["settings"],
        "hostCapabilities": ["*"],
    });
    let mut expressions = vec![json!({
        "key": "kubernetes.io/metadata.name", "operator": "NotIn", "values": [KUBEWARDEN_NAMESPACE]
    })];
    expressions.extend(
        spec["namespaceSelector"]["matchExpressions"]
            .as_array()
            .cloned()
            .unwrap_or_default(),
    );
    let mut webhook = json!({
        "name": format!("{id}.kubewarden.admission"),
        "clientConfig": {"url": format!("{url}/validate/{id}"), "caBundle": ca_bundle},
        "rules": spec["rules"],
        "failurePolicy": spec["failurePolicy"].as_str().unwrap_or("Fail"),
        "matchPolicy": spec["matchPolicy"].as_str().unwrap_or("Equivalent"),
        "namespaceSelector": {"matchExpressions": expressions},
        "sideEffects": spec["sideEffects"].as_str().unwrap_or("None"),
        "timeoutSeconds": spec["timeoutSeconds"].as_i64().unwrap_or(10),
        "admissionReviewVersions": ["v1"],
    });
    if let Some(selector) = spec.get("objectSelector") {
        webhook["objectSelector"] = selector.clone();
    }
    let kind = if mutating {
        "MutatingWebhookConfiguration"
    } else {
        "ValidatingWebhookConfiguration"
    };
    let configuration = json!({
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": kind,
        "metadata": {"name": id, "labels": {"app.kubernetes.io/part-of": "kubewarden"}},
        "webhooks": [webhook],
    });
    (id, entry, configuration)
}
