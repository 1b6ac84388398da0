//! metadata.yml (the input of `kwctl annotate`) and policies/ stay consistent with the policy and Cargo.toml.

use e2e_tests::{Policy, admission_request, read_yaml};
use serde_json::{Value, json};

#[test]
fn metadata_declares_what_the_policy_guards() {
    let m = read_yaml("metadata.yml");
    assert_eq!(m["mutating"], true, "the policy returns mutated objects");
    assert_eq!(m["executionMode"], "kubewarden-wapc");
    assert!(
        m.get("protocolVersion").is_none(),
        "kwctl annotate fills protocolVersion itself"
    );
    let a = &m["annotations"];
    for key in [
        "io.kubewarden.policy.title",
        "io.kubewarden.policy.version",
        "io.kubewarden.policy.description",
        "io.kubewarden.policy.author",
        "io.kubewarden.policy.ociUrl",
        "io.kubewarden.policy.license",
        "io.artifacthub.displayName",
        "io.artifacthub.resources",
        "io.artifacthub.keywords",
    ] {
        assert!(
            a[key].as_str().is_some_and(|v| !v.is_empty()),
            "annotation {key} is required"
        );
    }
    assert_eq!(
        a["io.kubewarden.policy.version"],
        env!("CARGO_PKG_VERSION"),
        "same version as Cargo.toml"
    );
    assert!(
        a["io.artifacthub.keywords"]
            .as_str()
            .unwrap()
            .split(',')
            .all(|k| !k.trim().is_empty())
    );

    // Every declared resource is one the policy admits.
    let kinds = [
        ("nodepools", "NodePool"),
        ("poddisruptionbudgets", "PodDisruptionBudget"),
        ("deployments", "Deployment"),
        ("statefulsets", "StatefulSet"),
    ];
    for rule in m["rules"].as_array().expect("rules") {
        assert_eq!(rule["operations"], json!(["CREATE", "UPDATE"]));
        let api_version = match rule["apiGroups"][0].as_str().unwrap() {
            "" => rule["apiVersions"][0].as_str().unwrap().to_string(),
            group => format!("{group}/{}", rule["apiVersions"][0].as_str().unwrap()),
        };
        for resource in rule["resources"].as_array().unwrap() {
            let kind = kinds
                .iter()
                .find(|(r, _)| resource == r)
                .map(|(_, k)| *k)
                .expect("a guarded resource");
            let object = json!({"apiVersion": api_version, "kind": kind, "metadata": {"name": "probe", "namespace": "default"}, "spec": {}});
            let verdict = Policy::with_cluster(&json!({}))
                .validate(&json!({}), &admission_request(&object, "CREATE"));
            assert!(
                !verdict
                    .message
                    .unwrap_or_default()
                    .contains("does not guard"),
                "{kind}"
            );
        }
    }

    // Every lookup the policy makes is declared in contextAwareResources, and nothing more.
    let declared: Vec<(String, String)> = m["contextAwareResources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["apiVersion"].as_str().unwrap().to_string(),
                r["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let policy = Policy::with_cluster(&json!({}));
    let workload = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "namespace": "default"}, "spec": {}});
    policy.validate(&json!({}), &admission_request(&workload, "CREATE"));
    let mut used: Vec<(String, String)> = policy
        .calls()
        .iter()
        .map(|(_, r)| {
            (
                r["api_version"].as_str().unwrap().to_string(),
                r["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    used.sort();
    let mut declared_sorted = declared.clone();
    declared_sorted.sort();
    assert_eq!(used, declared_sorted);
    assert_eq!(
        m["hostCapabilities"],
        json!(["kubernetes/list_resources_by_namespace"])
    );
}

#[test]
fn policy_manifests_match_metadata_and_their_settings_are_valid() {
    let m = read_yaml("metadata.yml");
    let all_rules = m["rules"].as_array().unwrap();
    for file in [
        "policies/nodepool-guard.yaml",
        "policies/pdb-guard.yaml",
        "policies/workload-guard.yaml",
    ] {
        let p = read_yaml(file);
        assert_eq!(p["kind"], "ClusterAdmissionPolicy", "{file}");
        assert_eq!(p["spec"]["mutating"], true, "{file}");
        for rule in p["spec"]["rules"].as_array().unwrap() {
            assert!(
                all_rules.contains(rule),
                "{file}: {rule} is declared in metadata.yml"
            );
        }
        let context = p["spec"]
            .get("contextAwareResources")
            .cloned()
            .unwrap_or(Value::Null);
        if p["spec"]["rules"][0]["apiGroups"][0] != "karpenter.sh" {
            assert_eq!(
                context, m["contextAwareResources"],
                "{file}: the lookups the guard makes"
            );
        }
        let (valid, message) = Policy::new().validate_settings(&p["spec"]["settings"]);
        assert!(valid, "{file}: {message:?}");
    }
}
