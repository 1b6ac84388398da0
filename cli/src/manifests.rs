//! Reading manifests: YAML (multi-document) or JSON files, single objects, `kind: List` documents
//! (`kubectl get … -o json`), and the kind-keyed cluster files of examples/cluster.yaml.

use std::path::Path;

use disruption_guard_engine::k8s::manifest_objects;
use serde::Deserialize;
use serde_json::Value;

pub fn load(paths: &[impl AsRef<Path>]) -> Result<Vec<Value>, String> {
    let mut objects = Vec::new();
    for path in paths {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        for doc in serde_yaml::Deserializer::from_str(&text) {
            let value = Value::deserialize(doc).map_err(|e| format!("{}: {e}", path.display()))?;
            manifest_objects(value, &mut objects);
        }
    }
    Ok(objects)
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
