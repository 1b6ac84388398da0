//! metadata.yml (the input of `kwctl annotate`) and policies/ stay consistent with the policy and Cargo.toml.

use e2e_tests::{Policy, admission_request, read_yaml, scale_request};
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
        let api_version = match rule["apiGroups"][0].as_str().unwrap() {
            "" => rule["apiVersions"][0].as_str().unwrap().to_string(),
            group => format!("{group}/{}", rule["apiVersions"][0].as_str().unwrap()),
        };
        for resource in rule["resources"].as_array().unwrap() {
            let resource = resource.as_str().unwrap();
            let (plural, subresource) = resource.split_once('/').unwrap_or((resource, ""));
            let kind = kinds
                .iter()
                .find(|(r, _)| plural == *r)
                .map(|(_, k)| *k)
                .expect("a guarded resource");
            // Objects are created and updated; a scale is only ever an UPDATE.
            let (operations, request) = match subresource {
                "" => {
                    let object = json!({"apiVersion": api_version, "kind": kind, "metadata": {"name": "probe", "namespace": "default"}, "spec": {}});
                    (
                        json!(["CREATE", "UPDATE"]),
                        admission_request(&object, "CREATE"),
                    )
                }
                "scale" => (
                    json!(["UPDATE"]),
                    scale_request(kind, "default", "probe", 2, 1),
                ),
                other => panic!("{resource}: no other subresource is guarded ({other})"),
            };
            assert_eq!(rule["operations"], operations, "{resource}");
            let verdict = Policy::with_cluster(&json!({})).validate(&json!({}), &request);
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
    // A Deployment reads its namespace; a NodePool with nodes reads the cluster for the capacity calculator.
    let cluster = read_yaml("examples/cluster.yaml");
    let policy = Policy::with_cluster(&cluster);
    let workload = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "namespace": "shop"}, "spec": {}});
    policy.validate(&json!({}), &admission_request(&workload, "CREATE"));
    policy.validate(
        &json!({}),
        &read_yaml("examples/requests/nodepool-batch.json"),
    );
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
    used.dedup();
    let mut declared_sorted = declared.clone();
    declared_sorted.sort();
    assert_eq!(used, declared_sorted);
    let operations: std::collections::BTreeSet<String> = policy
        .calls()
        .iter()
        .map(|(op, _)| op.replace("kubewarden/", ""))
        .collect();
    let declared_ops: std::collections::BTreeSet<String> = m["hostCapabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        operations, declared_ops,
        "hostCapabilities lists exactly the host calls made"
    );
}

#[test]
fn policy_manifests_match_metadata_and_their_settings_are_valid() {
    let m = read_yaml("metadata.yml");
    let all_rules = m["rules"].as_array().unwrap();
    let cluster = read_yaml("examples/cluster.yaml");
    // Each guard with the admissions that make it read all it can.
    let example = |name: &str| read_yaml(&format!("examples/requests/{name}.json"));
    for (file, requests) in [
        (
            "policies/nodepool-guard.yaml",
            vec![example("nodepool-batch")],
        ),
        (
            "policies/pdb-guard.yaml",
            vec![example("pdb-api-gateway-half")],
        ),
        (
            "policies/workload-guard.yaml",
            vec![
                example("deployment-checkout-no-pdb"),
                scale_request("Deployment", "shop", "order-service", 2, 1),
                scale_request("StatefulSet", "shop", "postgres", 3, 2),
            ],
        ),
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
        let context = p["spec"]["contextAwareResources"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(!context.is_empty(), "{file}: every guard makes lookups");
        for resource in &context {
            assert!(
                m["contextAwareResources"]
                    .as_array()
                    .unwrap()
                    .contains(resource),
                "{file}: {resource} is declared"
            );
        }
        let (valid, message) = Policy::new().validate_settings(&p["spec"]["settings"]);
        assert!(valid, "{file}: {message:?}");
        // Declared is exactly what the guard lists: PolicyServer refuses the rest, and more is needless access.
        let policy = Policy::with_cluster(&cluster);
        for request in &requests {
            policy.validate(&p["spec"]["settings"], request);
        }
        let mut listed: Vec<Value> = policy
            .calls()
            .iter()
            .map(|(_, r)| json!({"apiVersion": r["api_version"], "kind": r["kind"]}))
            .collect();
        listed.sort_by_key(ToString::to_string);
        listed.dedup();
        let mut declared = context.clone();
        declared.sort_by_key(ToString::to_string);
        assert_eq!(listed, declared, "{file}: contextAwareResources");
    }
}

#[test]
fn artifacthub_package_matches_metadata_and_cargo() {
    let pkg = read_yaml("artifacthub-pkg.yml");
    let m = read_yaml("metadata.yml");
    let a = &m["annotations"];
    assert_eq!(pkg["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(pkg["version"], a["io.kubewarden.policy.version"]);
    assert_eq!(pkg["name"], a["io.kubewarden.policy.title"]);
    assert_eq!(pkg["displayName"], a["io.artifacthub.displayName"]);
    assert_eq!(
        pkg["containersImages"][0]["image"].as_str(),
        Some(
            format!(
                "{}:v{}",
                a["io.kubewarden.policy.ociUrl"].as_str().unwrap(),
                env!("CARGO_PKG_VERSION")
            )
            .as_str()
        )
    );
    let annotations = &pkg["annotations"];
    assert_eq!(
        annotations["kubewarden/mutation"],
        m["mutating"].to_string()
    );
    assert_eq!(
        annotations["kubewarden/resources"],
        a["io.artifacthub.resources"]
    );
    let rules: serde_json::Value =
        serde_yaml::from_str(annotations["kubewarden/rules"].as_str().unwrap()).unwrap();
    assert_eq!(rules, m["rules"]);
    let mut context: Vec<serde_json::Value> = serde_yaml::from_str(
        annotations["kubewarden/contextAwareResources"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let mut declared = m["contextAwareResources"].as_array().unwrap().clone();
    let key = |v: &serde_json::Value| v.to_string();
    context.sort_by_key(key);
    declared.sort_by_key(key);
    assert_eq!(context, declared);
}

#[test]
fn every_policy_manifest_parses_and_the_kustomization_lists_them() {
    let dir = e2e_tests::repo_root().join("policies");
    let mut policies: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|f| f.ends_with(".yaml") && f != "kustomization.yaml")
        .collect();
    policies.sort();
    let kustomization = read_yaml("policies/kustomization.yaml");
    let mut listed: Vec<String> = kustomization["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap().to_string())
        .collect();
    listed.sort();
    assert_eq!(listed, policies);
    for file in &policies {
        let p = read_yaml(&format!("policies/{file}"));
        assert_eq!(p["apiVersion"], "policies.kubewarden.io/v1", "{file}");
        assert_eq!(p["spec"]["backgroundAudit"], true, "{file}");
        let excluded = p["spec"]["namespaceSelector"]["matchExpressions"][0]["values"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let cluster_scoped = p["spec"]["rules"][0]["apiGroups"][0] == "karpenter.sh";
        // Never guard the cluster's own machinery, nor the PolicyServer that answers the webhooks.
        for namespace in ["kube-system", "kubewarden"] {
            assert!(
                cluster_scoped || excluded.contains(&json!(namespace)),
                "{file}: {namespace} excluded"
            );
        }
        let failure_policy = p["spec"]["failurePolicy"].as_str();
        assert!(
            matches!(failure_policy, Some("Fail" | "Ignore")),
            "{file}: failurePolicy is stated (README: failurePolicy table)"
        );
        let timeout = p["spec"]["timeoutSeconds"].as_i64().unwrap_or(0);
        assert!(
            (2..=30).contains(&timeout),
            "{file}: timeoutSeconds {timeout}"
        );
    }
}
