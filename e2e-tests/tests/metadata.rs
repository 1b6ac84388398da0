//! metadata.yml (the input of `kwctl annotate`) stays consistent with the policy and Cargo.toml.

use e2e_tests::{Policy, admission_request, read_yaml};
use serde_json::json;

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

    // Every declared rule is a kind the policy admits (not "does not guard").
    let rules = m["rules"].as_array().expect("rules");
    assert!(!rules.is_empty());
    for rule in rules {
        assert_eq!(rule["operations"], json!(["CREATE", "UPDATE"]));
        let (group, version) = (
            rule["apiGroups"][0].as_str().unwrap(),
            rule["apiVersions"][0].as_str().unwrap(),
        );
        assert_eq!(
            (group, rule["resources"][0].as_str()),
            ("karpenter.sh", Some("nodepools"))
        );
        let object = json!({"apiVersion": format!("{group}/{version}"), "kind": "NodePool",
            "metadata": {"name": "probe"}, "spec": {}});
        let verdict = Policy::new().validate(&json!({}), &admission_request(&object, "CREATE"));
        assert!(
            !verdict
                .message
                .unwrap_or_default()
                .contains("does not guard"),
            "{rule}"
        );
    }
    let policy = read_yaml("policies/nodepool-guard.yaml");
    assert_eq!(
        policy["spec"]["rules"], m["rules"],
        "the ClusterAdmissionPolicy uses the same rules"
    );
    let (valid, message) = Policy::new().validate_settings(&policy["spec"]["settings"]);
    assert!(valid, "{message:?}");
}
