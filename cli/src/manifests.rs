//! Reading manifests: YAML (multi-document) or JSON files, single objects, `kind: List` documents
//! (`kubectl get … -o json`), and the kind-keyed cluster files of examples/cluster.yaml.

use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

pub fn load(paths: &[impl AsRef<Path>]) -> Result<Vec<Value>, String> {
    let mut objects = Vec::new();
    for path in paths {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        for doc in serde_yaml::Deserializer::from_str(&text) {
            let value = Value::deserialize(doc).map_err(|e| format!("{}: {e}", path.display()))?;
            flatten(value, &mut objects);
        }
    }
    Ok(objects)
}

fn flatten(value: Value, out: &mut Vec<Value>) {
    match value {
        Value::Null => {}
        Value::Object(ref map)
            if map
                .get("kind")
                .and_then(Value::as_str)
                .is_some_and(|k| k.ends_with("List")) =>
        {
            for item in map
                .get("items")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                flatten(item.clone(), out);
            }
        }
        Value::Object(map) if !map.contains_key("kind") => {
            // { Kind: [objects…] }, as in examples/cluster.yaml.
            for (kind, items) in map {
                for mut item in items.as_array().cloned().unwrap_or_default() {
                    item["kind"] = Value::String(kind.clone());
                    out.push(item);
                }
            }
        }
        other => out.push(other),
    }
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
