//! What a release publishes, checked on every build (CONTRIBUTING.md: "Cutting a release"):
//! - one version everywhere a user or a release reads it: Cargo.toml, metadata.yml, artifacthub-pkg.yml, the
//!   policies/ manifests' module tag, CHANGELOG.md's latest release and every `disruption-guard:vX` or release
//!   download link in the repository's text;
//! - the release workflow pushes where the metadata says the policy lives;
//! - policy.wasm stays within 1.5 MB.

// Test code: a panic is a failed test, with the reason in its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use e2e_tests::{read_yaml, repo_root, wasm_path};
use std::path::Path;

/// The version in the workspace's Cargo.toml, which every crate inherits.
fn cargo_version() -> String {
    let toml = std::fs::read_to_string(repo_root().join("Cargo.toml")).unwrap();
    let section = toml.split("[workspace.package]").nth(1).unwrap();
    let line = section
        .lines()
        .find(|l| l.trim_start().starts_with("version"))
        .unwrap();
    line.split('"').nth(1).unwrap().to_string()
}

/// The first released section of a Keep a Changelog file: `## [0.1.0]` (after `## [Unreleased]`).
fn changelog_version(changelog: &str) -> Option<String> {
    changelog
        .lines()
        .filter_map(|l| l.strip_prefix("## ["))
        .filter_map(|l| l.split(']').next())
        .find(|v| !v.eq_ignore_ascii_case("unreleased"))
        .map(str::to_string)
}

/// Every version that follows one of `markers` in `text`, with its line number.
fn versions_after<'a>(text: &'a str, markers: &[&str]) -> Vec<(usize, &'a str)> {
    let mut found = Vec::new();
    for (number, line) in text.lines().enumerate() {
        for marker in markers {
            for (at, _) in line.match_indices(marker) {
                let rest = &line[at + marker.len()..];
                if !rest.starts_with(|c: char| c.is_ascii_digit()) {
                    continue; // a placeholder (`vX.Y.Z`) or a shell variable (`v$version`)
                }
                let end = rest
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-'))
                    .unwrap_or(rest.len());
                // A sentence may end right after the version: "… disruption-guard:v0.1.0."
                found.push((number + 1, rest[..end].trim_end_matches(['.', '-'])));
            }
        }
    }
    found
}

/// The repository's text files, without build outputs, tools and dependencies.
fn text_files(dir: &Path, files: &mut Vec<std::path::PathBuf>) {
    const SKIPPED: [&str; 8] = [
        "target",
        ".tools",
        ".git",
        "node_modules",
        "dist",
        "pkg",
        "corpus",
        "artifacts",
    ];
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            if !SKIPPED.contains(&name.as_str()) {
                text_files(&path, files);
            }
        } else if [
            ".md", ".yml", ".yaml", ".toml", ".sh", ".bats", ".rs", ".js", ".mjs", ".html",
        ]
        .iter()
        .any(|ext| name.ends_with(ext))
        {
            files.push(path);
        }
    }
}

/// Every place that names a version and disagrees with Cargo.toml's, one line each.
fn disagreements(version: &str) -> Vec<String> {
    let mut wrong = Vec::new();
    let mut check = |place: String, found: &str| {
        if found != version {
            wrong.push(format!("{place}: {found}"));
        }
    };
    let metadata = read_yaml("metadata.yml");
    check(
        "metadata.yml: io.kubewarden.policy.version".into(),
        metadata["annotations"]["io.kubewarden.policy.version"]
            .as_str()
            .unwrap_or("(missing)"),
    );
    let package = read_yaml("artifacthub-pkg.yml");
    check(
        "artifacthub-pkg.yml: version".into(),
        package["version"].as_str().unwrap_or("(missing)"),
    );
    let changelog = std::fs::read_to_string(repo_root().join("CHANGELOG.md")).unwrap();
    check(
        "CHANGELOG.md: latest release".into(),
        changelog_version(&changelog).as_deref().unwrap_or("(none)"),
    );
    for policy in ["nodepool-guard", "pdb-guard", "workload-guard"] {
        let manifest = read_yaml(&format!("policies/{policy}.yaml"));
        let module = manifest["spec"]["module"].as_str().unwrap_or_default();
        let tag = module.rsplit_once(":v").map_or("(no tag)", |(_, tag)| tag);
        check(format!("policies/{policy}.yaml: spec.module"), tag);
    }
    let root = repo_root();
    let mut files = Vec::new();
    text_files(&root, &mut files);
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        let shown = file
            .strip_prefix(&root)
            .unwrap_or(&file)
            .display()
            .to_string();
        if shown == "e2e-tests/tests/release.rs" {
            continue; // this file's examples are versions of their own
        }
        for (line, found) in versions_after(&text, &["disruption-guard:v", "releases/download/v"]) {
            check(format!("{shown}:{line}"), found);
        }
    }
    wrong
}

#[test]
fn one_version_everywhere() {
    let version = cargo_version();
    let wrong = disagreements(&version);
    assert!(
        wrong.is_empty(),
        "Cargo.toml says {version}; these say otherwise:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_scan_sees_the_places_a_release_names() {
    // The scan would pass vacuously if it found nothing: the README's push command and the artifacthub
    // package's image and download link are among what it reads.
    let read = |file: &str| std::fs::read_to_string(repo_root().join(file)).unwrap();
    let markers = ["disruption-guard:v", "releases/download/v"];
    assert!(!versions_after(&read("README.md"), &markers).is_empty());
    assert!(versions_after(&read("artifacthub-pkg.yml"), &markers).len() >= 3);
    assert_eq!(
        versions_after("image: x/disruption-guard:v1.2.3-rc.1\n", &markers),
        [(1, "1.2.3-rc.1")]
    );
    assert!(versions_after("tag disruption-guard:vX.Y.Z or :v$version", &markers).is_empty());
    assert_eq!(
        changelog_version("## [Unreleased]\n## [2.0.0] - 2027-01-01\n## [1.0.0]"),
        Some("2.0.0".into())
    );
}

#[test]
fn the_release_workflow_pushes_where_the_metadata_says_the_policy_lives() {
    let workflow = read_yaml(".github/workflows/release.yml");
    let metadata = read_yaml("metadata.yml");
    let oci_url = &metadata["annotations"]["io.kubewarden.policy.ociUrl"];
    assert_eq!(&workflow["jobs"]["release"]["env"]["OCI_TARGET"], oci_url);
    for policy in ["nodepool-guard", "pdb-guard", "workload-guard"] {
        let module = read_yaml(&format!("policies/{policy}.yaml"))["spec"]["module"].clone();
        let module = module.as_str().unwrap_or_default();
        assert!(
            module.starts_with(&format!("registry://{}:v", oci_url.as_str().unwrap())),
            "policies/{policy}.yaml: {module}"
        );
    }
}

/// Kubewarden's own policies weigh 0.65 to 1.7 MB; a PolicyServer downloads and compiles every one at start.
/// The time zones are most of the module: BENCHMARKS.md "Size" says what each part costs.
#[test]
fn policy_wasm_is_at_most_one_and_a_half_megabytes() {
    let path = wasm_path();
    let size = std::fs::metadata(&path).unwrap().len();
    assert!(
        size <= 1_500_000,
        "{} is {size} bytes, over 1,500,000",
        path.display()
    );
}
