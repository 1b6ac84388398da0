//! `make demo`, the README's first command: every bundled example admission gets the verdict the README's
//! "What `make demo` shows" table gives it, and no example is left out of the table.

// Test code: a panic is a failed test, with the reason in its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::process::Command;

use e2e_tests::repo_root;

/// The README table's verdicts, by example file: `REJECTED`, `ACCEPTED` or `ACCEPTED with mutation`, as
/// the demo prints them.
fn readme_verdicts() -> BTreeMap<String, String> {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).expect("README.md");
    let section = readme
        .split("## What `make demo` shows")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("the README's demo section");
    section
        .lines()
        .filter_map(|row| {
            let cells: Vec<&str> = row.split(" | ").collect();
            let file = cells.first()?.strip_prefix("| `")?.split('`').next()?;
            let verdict = cells.get(1)?;
            let word = if verdict.starts_with("rejected") {
                "REJECTED"
            } else if verdict.starts_with("accepted, unchanged") {
                "ACCEPTED"
            } else if verdict.starts_with("accepted, with") || verdict.starts_with("accepted with")
            {
                "ACCEPTED with mutation"
            } else {
                panic!("unrecognized verdict in the README: {row}")
            };
            Some((file.to_string(), word.to_string()))
        })
        .collect()
}

#[test]
fn make_demo_prints_the_verdicts_the_readme_promises() {
    let out = Command::new(env!("CARGO_BIN_EXE_demo"))
        .current_dir(repo_root())
        .output()
        .expect("run the demo");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("settings examples/settings-seoul.yaml: valid\n"),
        "{text}"
    );
    let printed: BTreeMap<String, String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("=== examples/requests/"))
        .filter_map(|l| l.split_once(": "))
        .map(|(file, verdict)| (file.to_string(), verdict.to_string()))
        .collect();
    let json_files = |dir: &str| {
        std::fs::read_dir(repo_root().join(dir))
            .expect(dir)
            .filter(|e| {
                e.as_ref()
                    .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "json"))
            })
            .count()
    };
    let examples =
        json_files("examples/requests") + json_files("examples/requests/maintenance-windows");
    assert!(
        text.contains("\nsettings examples/settings-berlin-maintenance.yaml: valid\n"),
        "{text}"
    );
    assert_eq!(
        printed.len(),
        examples,
        "every example is evaluated: {text}"
    );
    assert_eq!(printed, readme_verdicts());
    // The expiry forecast at the outage's instant, as the README says.
    assert!(
        text.contains("warning: disruption-guard: [nodepool-expiry-forecast] spec.template.spec.expireAfter = \"720h\": 9 of the pool's 30 nodes"),
        "{text}"
    );
    // And `fix` on the cluster as it was at the outage: every replicated service gets its PDB.
    for service in [
        "Deployment shop/api-gateway (3 replicas)",
        "Deployment shop/order-service (2 replicas)",
        "Deployment shop/search (2 replicas)",
        "StatefulSet shop/postgres (3 replicas)",
    ] {
        assert!(
            text.contains(&format!("fix: {service}: written: ")),
            "{service}: {text}"
        );
    }
    // Each rejection prints its message, each mutation its patch.
    assert_eq!(
        text.matches("disruption-guard rejected").count(),
        printed.values().filter(|v| *v == "REJECTED").count()
    );
    assert_eq!(
        text.matches("\npatch: [").count(),
        printed
            .values()
            .filter(|v| *v == "ACCEPTED with mutation")
            .count()
    );
}
