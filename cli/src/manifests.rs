//! Reading manifests: YAML (multi-document) or JSON files, single objects, `kind: List` documents
//! (`kubectl get … -o json`), and the kind-keyed cluster files of examples/cluster.yaml.

use std::path::{Path, PathBuf};

use disruption_guard_engine::kube::objects::manifest_objects;
use serde::Deserialize;
use serde_json::Value;

/// Where an object was read: its file, and the first line of its YAML document (1-based; the List's, for
/// the items of a `kind: List`).
#[derive(Clone, Debug, Default)]
pub struct Source {
    pub file: String,
    pub line: usize,
}

pub fn load(paths: &[impl AsRef<Path>]) -> Result<Vec<(Value, Source)>, String> {
    let mut objects = Vec::new();
    for path in paths {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        for (line, doc) in documents(&text) {
            let at = |e: serde_yaml::Error| format!("{}:{line}: {e}", path.display());
            let value = Value::deserialize(serde_yaml::Deserializer::from_str(doc)).map_err(at)?;
            let mut found = Vec::new();
            manifest_objects(value, &mut found);
            let file = path.display().to_string();
            objects.extend(found.into_iter().map(|o| {
                (
                    o,
                    Source {
                        file: file.clone(),
                        line,
                    },
                )
            }));
        }
    }
    Ok(objects)
}

/// `paths` with each directory replaced by the manifest files under it.
pub fn expand(paths: &[impl AsRef<Path>]) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    for path in paths {
        files_under(path.as_ref(), 0, &mut files)?;
    }
    Ok(files)
}

/// The manifest files under `path` (a file, or a directory read recursively, in name order), without
/// following symbolic links to directories.
fn files_under(path: &Path, depth: usize, out: &mut Vec<PathBuf>) -> Result<(), String> {
    const MAX_DEPTH: usize = 32;
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if !meta.is_dir() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    if depth >= MAX_DEPTH {
        return Err(format!(
            "{}: more than {MAX_DEPTH} directories deep",
            path.display()
        ));
    }
    let mut entries: Vec<_> = std::fs::read_dir(path)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .filter_map(Result::ok)
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if name.starts_with('.') {
            continue;
        }
        if is_dir {
            files_under(&entry.path(), depth + 1, out)?;
        } else if [".yaml", ".yml", ".json"]
            .iter()
            .any(|ext| name.ends_with(ext))
            && !is_kustomization(&name)
        {
            out.push(entry.path());
        }
    }
    Ok(())
}

fn is_kustomization(file_name: &str) -> bool {
    matches!(
        file_name,
        "kustomization.yaml" | "kustomization.yml" | "Kustomization"
    )
}

/// The YAML documents of `text` with the line each one's content starts on. A `---` line at column 0
/// always separates documents: YAML forbids it inside one.
fn documents(text: &str) -> Vec<(usize, &str)> {
    let mut docs = Vec::new();
    let (mut start, mut first_line, mut offset) = (0, None, 0);
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let content = line.trim_end();
        if content == "---" || content.starts_with("--- ") {
            if let Some(l) = first_line.take() {
                docs.push((l, &text[start..offset]));
            }
            // `--- {kind: A}`: the document starts on the marker's line, after the marker.
            let rest = content.get(4..).unwrap_or_default().trim();
            start = offset + if rest.is_empty() { line.len() } else { 4 };
            if !rest.is_empty() && !rest.starts_with('#') {
                first_line = Some(i + 1);
            }
        } else if first_line.is_none() && !content.is_empty() && !content.starts_with('#') {
            first_line = Some(i + 1);
        }
        offset += line.len();
    }
    if let Some(l) = first_line {
        docs.push((l, &text[start..]));
    }
    docs
}

pub fn kind(object: &Value) -> &str {
    object["kind"].as_str().unwrap_or_default()
}

pub fn name(object: &Value) -> &str {
    object
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

pub fn namespace(object: &Value) -> &str {
    object
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or("default")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_start_at_their_first_content_line() {
        let text = "# a comment\n---\n\nkind: A\n---\nkind: B\nx: |\n  text\n--- \n---\n";
        let docs: Vec<(usize, &str)> = documents(text);
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0], (4, "\nkind: A\n"));
        assert_eq!(docs[1].0, 6);
        assert!(docs[1].1.starts_with("kind: B"));
        assert_eq!(documents("{\"kind\": \"C\"}")[0].0, 1);
        assert_eq!(
            documents("a: 1\n--- {kind: D}\n"),
            [(1, "a: 1\n"), (2, "{kind: D}\n")]
        );
        assert!(documents("").is_empty());
    }
}
