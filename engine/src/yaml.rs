//! A small YAML writer for the objects disruption-guard puts in its messages (a PDB to `kubectl apply`):
//! block mappings and sequences, strings double-quoted in JSON syntax (valid YAML), numbers and booleans bare.

use serde_json::Value;

pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    write(value, 0, &mut out);
    out.trim_end().to_string()
}

fn key(k: &str) -> String {
    let plain = !k.is_empty()
        && k.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./".contains(&b));
    if plain {
        k.to_string()
    } else {
        Value::String(k.into()).to_string()
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::Object(m) if m.is_empty() => "{}".into(),
        Value::Array(a) if a.is_empty() => "[]".into(),
        other => other.to_string(),
    }
}

fn is_block(v: &Value) -> bool {
    matches!(v, Value::Object(m) if !m.is_empty()) || matches!(v, Value::Array(a) if !a.is_empty())
}

fn write(value: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (k, v) in map {
                if is_block(v) {
                    out.push_str(&format!("{pad}{}:\n", key(k)));
                    write(v, indent + 2, out);
                } else {
                    out.push_str(&format!("{pad}{}: {}\n", key(k), scalar(v)));
                }
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for item in items {
                if is_block(item) {
                    let mut inner = String::new();
                    write(item, indent + 2, &mut inner);
                    // The first line of the item goes after "- ".
                    let body = inner.trim_start_matches(' ');
                    out.push_str(&format!("{pad}- {body}"));
                } else {
                    out.push_str(&format!("{pad}- {}\n", scalar(item)));
                }
            }
        }
        other => out.push_str(&format!("{pad}{}\n", scalar(other))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn writes_nested_maps_and_lists() {
        let v = json!({
            "apiVersion": "policy/v1",
            "metadata": {"name": "api", "labels": {"app.kubernetes.io/name": "x y"}},
            "spec": {"minAvailable": "50%", "n": 2, "selector": {"matchExpressions": [
                {"key": "app", "operator": "In", "values": ["a", "b"]}, {"key": "t", "operator": "Exists"}
            ]}, "empty": {}}
        });
        assert_eq!(
            to_yaml(&v),
            r#"apiVersion: "policy/v1"
metadata:
  labels:
    app.kubernetes.io/name: "x y"
  name: "api"
spec:
  empty: {}
  minAvailable: "50%"
  n: 2
  selector:
    matchExpressions:
      - key: "app"
        operator: "In"
        values:
          - "a"
          - "b"
      - key: "t"
        operator: "Exists""#
        );
    }
}
