//! `disruption-guard fix` on manifest trees: the PDBs and NodePool patches it writes are what the policy
//! accepts, a second run writes nothing, and what it cannot fix it leaves to people.

// Test code: a panic is a failed test, with the reason in its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde::Deserialize;
use serde_json::{Value, json};

use disruption_guard_engine::testkit::INCIDENT_RFC3339 as NOW;

const SEOUL: &str = "examples/settings-seoul.yaml";

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_disruption-guard"))
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A fresh, empty directory for `tag`.
fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dg-fix-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn deployment(ns: &str, name: &str, replicas: u64, labels: Value) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": ns},
        "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "app", "image": "registry.example/app:1"}]}}}})
}

fn hpa(ns: &str, name: &str, min: u64) -> Value {
    json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": name, "namespace": ns},
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}, "minReplicas": min, "maxReplicas": 10}})
}

fn pdb(ns: &str, name: &str, spec: Value) -> Value {
    json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": name, "namespace": ns}, "spec": spec})
}

fn write_yaml(path: &Path, docs: &[Value]) {
    let text: Vec<String> = docs
        .iter()
        .map(|d| serde_yaml::to_string(d).unwrap())
        .collect();
    std::fs::write(path, text.join("---\n")).unwrap();
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The shop's GitOps directory: the outage's services without PDBs, one behind an HPA, one protected
/// already, one of a single replica, and a NodePool without its business-hours freeze.
fn shop(dir: &Path) {
    write_yaml(
        &dir.join("deployments.yaml"),
        &[
            deployment("shop", "api-gateway", 3, json!({"app": "api-gateway"})),
            deployment("shop", "order-service", 2, json!({"app": "order-service"})),
            deployment("shop", "search", 6, json!({"app": "search"})),
            deployment("shop", "checkout", 3, json!({"app": "checkout"})),
            deployment("shop", "worker", 1, json!({"app": "worker"})),
        ],
    );
    write_yaml(&dir.join("hpa.yaml"), &[hpa("shop", "search", 2)]);
    write_yaml(
        &dir.join("checkout-pdb.yaml"),
        &[pdb(
            "shop",
            "checkout",
            json!({"minAvailable": 2, "selector": {"matchLabels": {"app": "checkout"}}}),
        )],
    );
    let mut pool = serde_yaml::from_str::<Value>(
        &std::fs::read_to_string("../examples/manifests/nodepool-fixed.yaml").unwrap(),
    )
    .unwrap();
    pool["metadata"]["name"] = json!("general-purpose");
    pool["spec"]["disruption"]["budgets"] = json!([{"nodes": "10%"}]);
    write_yaml(&dir.join("nodepool.yaml"), &[pool]);
    std::fs::write(
        dir.join("kustomization.yaml"),
        "# the shop\nresources:\n  - deployments.yaml\n  - hpa.yaml\n  - checkout-pdb.yaml\n  - nodepool.yaml\nnamespace: shop\n",
    )
    .unwrap();
}

#[test]
fn fix_writes_the_missing_pdbs_and_the_freeze_patch_once() {
    let dir = scratch("shop");
    shop(&dir);
    // A CI gate first: exit 1, nothing written.
    let gate = run(&[
        "fix",
        s(&dir),
        "--settings",
        SEOUL,
        "--dry-run",
        "--now",
        NOW,
    ]);
    assert_eq!(gate.status.code(), Some(1), "{}", stdout(&gate));
    assert!(!dir.join("api-gateway-pdb.yaml").exists());
    let table = stdout(&gate);
    for (name, action) in [
        ("api-gateway", "would write"),
        ("search", "would write"),
        ("checkout", "-"),
        ("worker", "-"),
    ] {
        let line = table
            .lines()
            .find(|l| l.contains(&format!(" {name} ")))
            .unwrap_or_else(|| panic!("{name}: {table}"));
        assert!(line.contains(action), "{line}");
    }
    let search = table.lines().find(|l| l.contains(" search ")).unwrap();
    assert!(
        search.contains(" 2 ") && search.contains("replicas from HPA search minReplicas"),
        "{search}"
    );

    let first = run(&[
        "fix",
        s(&dir),
        "--settings",
        SEOUL,
        "--kustomization",
        "--now",
        NOW,
    ]);
    assert!(first.status.success(), "{}", stdout(&first));
    let written =
        |f: &str| std::fs::read_to_string(dir.join(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
    let api: Value = serde_yaml::from_str(&written("api-gateway-pdb.yaml")).unwrap();
    assert_eq!(
        api,
        json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "api-gateway", "namespace": "shop"},
            "spec": {"minAvailable": "50%", "selector": {"matchLabels": {"app": "api-gateway"}}, "unhealthyPodEvictionPolicy": "AlwaysAllow"}})
    );
    assert!(dir.join("order-service-pdb.yaml").exists() && dir.join("search-pdb.yaml").exists());
    assert!(!dir.join("worker-pdb.yaml").exists() && !dir.join("checkout-pdb.yaml.orig").exists());
    let kustomization = written("kustomization.yaml");
    assert!(
        kustomization.starts_with("# the shop\nresources:\n  - deployments.yaml\n"),
        "{kustomization}"
    );
    for entry in [
        "  - api-gateway-pdb.yaml\n",
        "  - order-service-pdb.yaml\n",
        "  - search-pdb.yaml\n",
        "patches:\n- path: general-purpose-nodepool-patch.yaml\n  target:\n    group: karpenter.sh\n",
    ] {
        assert!(
            kustomization.contains(entry),
            "{entry:?} in {kustomization}"
        );
    }

    // The patch adds the freeze the mutation would inject: the patched pool is accepted unchanged.
    let patch: json_patch::Patch =
        serde_yaml::from_str(&written("general-purpose-nodepool-patch.yaml")).unwrap();
    let mut pool: Value = serde_yaml::from_str(&written("nodepool.yaml")).unwrap();
    json_patch::patch(&mut pool, &patch).unwrap();
    let patched = dir.join("patched").join("nodepool.yaml");
    std::fs::create_dir_all(patched.parent().unwrap()).unwrap();
    write_yaml(&patched, &[pool]);
    let o = run(&[
        "check",
        s(&patched),
        "--settings",
        SEOUL,
        "--output",
        "json",
        "--now",
        NOW,
    ]);
    let verdicts: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(verdicts[0]["verdict"], "accepted", "{verdicts}");
    std::fs::remove_dir_all(patched.parent().unwrap()).unwrap();

    // The fixed tree passes: every workload is accepted.
    let o = run(&[
        "check",
        s(&dir),
        "--settings",
        SEOUL,
        "--output",
        "json",
        "--now",
        NOW,
    ]);
    assert!(o.status.success(), "{}", stdout(&o));
    // A second run writes nothing, and says so.
    let kustomized = written("kustomization.yaml");
    let again = run(&[
        "fix",
        s(&dir),
        "--settings",
        SEOUL,
        "--kustomization",
        "--dry-run",
        "--now",
        NOW,
    ]);
    assert!(again.status.success(), "{}", stdout(&again));
    let again = run(&[
        "fix",
        s(&dir),
        "--settings",
        SEOUL,
        "--kustomization",
        "--now",
        NOW,
    ]);
    let table = stdout(&again);
    assert!(
        !table.contains("written") && table.contains("unchanged"),
        "{table}"
    );
    assert_eq!(written("kustomization.yaml"), kustomized);
    // As one stream, the NodePool's patch (still not applied to its manifest) is a comment for kubectl apply.
    let o = run(&[
        "fix",
        s(&dir),
        "--settings",
        SEOUL,
        "--output",
        "-",
        "--now",
        NOW,
    ]);
    let text = stdout(&o);
    assert!(text.lines().all(|l| l.starts_with('#')), "{text}");
    assert!(
        text.contains("# - op: \"add\"\n#   path: \"/spec/disruption/budgets/-\""),
        "{text}"
    );
}

#[test]
fn what_fix_cannot_write_is_left_to_people() {
    let dir = scratch("by-hand");
    write_yaml(
        &dir.join("all.yaml"),
        &[
            deployment("shop", "blocked", 2, json!({"app": "blocked"})),
            pdb(
                "shop",
                "blocked",
                json!({"maxUnavailable": 0, "selector": {"matchLabels": {"app": "blocked"}}}),
            ),
            deployment("shop", "weak", 4, json!({"app": "weak"})),
            pdb(
                "shop",
                "weak",
                json!({"maxUnavailable": "100%", "selector": {"matchLabels": {"app": "weak"}}}),
            ),
            deployment("shop", "twice", 3, json!({"app": "twice"})),
            pdb(
                "shop",
                "twice-a",
                json!({"minAvailable": 1, "selector": {"matchLabels": {"app": "twice"}}}),
            ),
            pdb(
                "shop",
                "twice-b",
                json!({"minAvailable": 1, "selector": {"matchLabels": {"app": "twice"}}}),
            ),
            // Its PDB would also select canary's pods, which their own PDB covers.
            deployment("shop", "web", 4, json!({"app": "web"})),
            deployment(
                "shop",
                "canary",
                2,
                json!({"app": "web", "track": "canary"}),
            ),
            pdb(
                "shop",
                "canary",
                json!({"minAvailable": 1, "selector": {"matchLabels": {"app": "web", "track": "canary"}}}),
            ),
        ],
    );
    let o = run(&["fix", s(&dir), "--now", NOW]);
    assert!(o.status.success());
    let table = stdout(&o);
    for (name, reason) in [
        ("blocked", "PDB blocked keeps every replica"),
        ("weak", "PDB weak lets every replica go"),
        ("twice", "PDBs twice-a, twice-b all select its pods"),
        (
            "web",
            "also selects the pods of Deployment canary, which PDB canary covers",
        ),
    ] {
        let line = table
            .lines()
            .find(|l| l.contains(&format!(" {name} ")))
            .unwrap_or_else(|| panic!("{name}: {table}"));
        assert!(line.contains("by hand") && line.contains(reason), "{line}");
    }
    let files: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert_eq!(files.len(), 1, "nothing written");
}

#[test]
fn fix_over_a_snapshot_streams_the_pdbs_for_kubectl_apply() {
    let o = run(&[
        "fix",
        "--cluster",
        "examples/cluster.yaml",
        "--settings",
        SEOUL,
        "--output",
        "-",
        "--now",
        NOW,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = stdout(&o);
    let docs: Vec<Value> = serde_yaml::Deserializer::from_str(&text)
        .map(|d| Value::deserialize(d).unwrap())
        .filter(|d| !d.is_null())
        .collect();
    // The shop's services have their PDBs; report-generator has none.
    assert_eq!(docs.len(), 1, "{text}");
    assert_eq!(
        docs[0]["metadata"],
        json!({"name": "report-generator", "namespace": "analytics"})
    );
    assert_eq!(docs[0]["spec"]["minAvailable"], "50%");
    let summary = String::from_utf8_lossy(&o.stderr);
    assert!(
        summary.contains("report-generator") && summary.contains("written"),
        "{summary}"
    );
    // A dry run streams nothing, and fails the gate.
    let dry = run(&[
        "fix",
        "--cluster",
        "examples/cluster.yaml",
        "--settings",
        SEOUL,
        "--output",
        "-",
        "--dry-run",
        "--now",
        NOW,
    ]);
    assert_eq!((dry.status.code(), stdout(&dry).as_str()), (Some(1), ""));
    assert!(String::from_utf8_lossy(&dry.stderr).contains("would write"));
}

/// 500 workloads in 10 namespaces: behind HPAs, single replicas, selectors that nest (a Deployment's
/// selector taking in a canary's pods), some protected already. After `fix`, `check` accepts every one,
/// and a second `fix` writes nothing.
#[test]
fn fix_on_500_workloads_then_check_passes_and_a_second_fix_writes_nothing() {
    let dir = scratch("500");
    for n in 0..10 {
        let ns = format!("team-{n}");
        let mut docs = Vec::new();
        for i in 0..50 {
            let name = format!("svc-{i}");
            match i % 10 {
                0 => docs.push(deployment(&ns, &name, 1, json!({"app": name}))),
                1 => {
                    docs.push(deployment(&ns, &name, 3, json!({"app": name})));
                    docs.push(hpa(&ns, &name, 1 + (n % 3)));
                }
                2 => {
                    docs.push(deployment(&ns, &name, 4, json!({"app": name})));
                    docs.push(pdb(
                        &ns,
                        &name,
                        json!({"maxUnavailable": 1, "selector": {"matchLabels": {"app": name}}}),
                    ));
                }
                // The canary's pods carry the stable one's app label: the stable PDB covers them.
                3 => docs.push(deployment(
                    &ns,
                    &format!("{name}-canary"),
                    2,
                    json!({"app": format!("svc-{}", i + 1), "track": "canary"}),
                )),
                _ => docs.push(deployment(
                    &ns,
                    &name,
                    2 + (i as u64 % 5),
                    json!({"app": name}),
                )),
            }
        }
        std::fs::create_dir_all(dir.join(&ns)).unwrap();
        write_yaml(&dir.join(&ns).join("workloads.yaml"), &docs);
    }
    let first = run(&["fix", s(&dir), "--now", NOW]);
    assert!(first.status.success(), "{}", stdout(&first));
    let table = stdout(&first);
    assert_eq!(
        table.lines().count(),
        1 + 500 + 10 * 5 /* HPAs are context */ - 50,
        "{table}"
    );
    assert!(!table.contains("by hand"), "{table}");
    let o = run(&["check", s(&dir), "--output", "json", "--now", NOW]);
    let verdicts: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let rejected: Vec<&Value> = verdicts
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["verdict"] == "rejected")
        .collect();
    assert!(rejected.is_empty(), "{rejected:#?}");
    assert!(o.status.success());
    let again = run(&["fix", s(&dir), "--dry-run", "--now", NOW]);
    assert!(again.status.success(), "{}", stdout(&again));
}

/// On examples/cluster.yaml, `check` rejects report-generator (no PDB) and the batch pool whose drains take
/// it below its floor; `fix` writes its PDB into a directory, and `check` with that directory accepts all.
#[test]
fn fix_on_the_example_cluster_then_check_passes() {
    let dir = scratch("examples");
    let check = || {
        run(&[
            "check",
            "examples/cluster.yaml",
            s(&dir),
            "--settings",
            SEOUL,
            "--output",
            "json",
            "--now",
            NOW,
        ])
    };
    let before = check();
    assert_eq!(before.status.code(), Some(1));
    let verdicts: Value = serde_json::from_str(&stdout(&before)).unwrap();
    let rejected: Vec<&str> = verdicts
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["verdict"] == "rejected")
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(rejected, ["report-generator", "batch"]);
    let fix = [
        "fix",
        "--cluster",
        "examples/cluster.yaml",
        "--settings",
        SEOUL,
        "--output",
        s(&dir),
        "--now",
        NOW,
    ];
    let o = run(&fix);
    assert!(o.status.success(), "{}", stdout(&o));
    assert!(
        dir.join("analytics")
            .join("report-generator-pdb.yaml")
            .is_file()
    );
    let after = check();
    assert!(after.status.success(), "{}", stdout(&after));
    // With the written PDB in the snapshot too, nothing is left to write.
    let again = run(&[
        "fix",
        "--cluster",
        "examples/cluster.yaml",
        "--cluster",
        s(&dir),
        "--settings",
        SEOUL,
        "--output",
        s(&dir),
        "--dry-run",
        "--now",
        NOW,
    ]);
    assert!(again.status.success(), "{}", stdout(&again));
}
