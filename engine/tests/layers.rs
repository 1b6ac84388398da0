//! The engine's import graph reads top-down: a module's code (tests aside) imports only from its own layer
//! or the layers below it, so that no cycle can form and a reader can start at the bottom. ARCHITECTURE.md
//! explains the layers.

// Test code: a panic is a failed test, with the reason in its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

/// Each top-level module's layer, bottom (0) to top. `guards` and `capacity` share a layer and must not
/// import each other.
const LAYERS: &[(&str, u8)] = &[
    ("finding", 0),
    ("yaml", 0),
    ("calendar", 1),
    ("kube", 2),
    ("karpenter", 3),
    ("settings", 4),
    ("guards", 5),
    ("capacity", 5),
    ("lookups", 6),
    ("update", 6),
    ("admission", 7),
    ("fix", 8),
    ("testkit", 8),
];

fn layer(module: &str) -> u8 {
    LAYERS
        .iter()
        .find(|(name, _)| *name == module)
        .map(|(_, layer)| *layer)
        .unwrap_or_else(|| panic!("module `{module}` has no layer in tests/layers.rs"))
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("engine/src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level modules `code` names as `crate::name`.
fn imports(code: &str) -> Vec<&str> {
    code.match_indices("crate::")
        .map(|(i, m)| {
            let rest = &code[i + m.len()..];
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            &rest[..end]
        })
        .filter(|name| !name.is_empty())
        .collect()
}

#[test]
fn every_module_imports_only_from_its_layer_or_below() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut upward = Vec::new();
    for file in &files {
        let relative = file.strip_prefix(&src).expect("under src");
        let first = relative
            .iter()
            .next()
            .and_then(|c| c.to_str())
            .unwrap_or("");
        let module = first.trim_end_matches(".rs");
        if module == "lib" {
            continue;
        }
        let text = std::fs::read_to_string(file).expect("read");
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        for imported in imports(code) {
            if imported != module && layer(imported) >= layer(module) {
                upward.push(format!("{} imports crate::{imported}", relative.display()));
            }
        }
    }
    upward.sort();
    upward.dedup();
    assert!(
        upward.is_empty(),
        "imports against the layers:\n{}",
        upward.join("\n")
    );
    assert!(files.len() > 20, "{files:?}");
}

#[test]
fn the_check_sees_an_upward_import() {
    assert_eq!(
        imports("use crate::guards::nodepool::rules; crate::calendar::x"),
        ["guards", "calendar"]
    );
    assert!(layer("guards") >= layer("capacity"));
    assert!(layer("calendar") < layer("karpenter"));
}
