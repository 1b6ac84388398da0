//! A small YAML writer for the objects disruption-guard puts in its messages (a PDB to `kubectl apply`):
//! block mappings and sequences, strings double-quoted in JSON syntax (valid YAML), numbers and booleans bare.

use std::fmt::Write as _;

use serde_json::Value;

pub fn to_yaml(value: &Value) -> String {
    let mut out = String::with_capacity(512);
    write(value, 0, &mut out);
    out.truncate(out.trim_end().len());
    out
}

/// Writing to a `String` cannot fail; the results of `write!` below are ignored for that reason.
fn key(k: &str, out: &mut String) {
    let plain = !k.is_empty()
        && k.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./".contains(&b));
    if plain {
        out.push_str(k);
    } else {
        let _ = write!(out, "{}", Value::String(k.into()));
    }
}

fn scalar(v: &Value, out: &mut String) {
    match v {
        Value::Object(m) if m.is_empty() => out.push_str("{}"),
        Value::Array(a) if a.is_empty() => out.push_str("[]"),
        other => {
            let _ = write!(out, "{other}");
        }
    }
}

fn is_block(v: &Value) -> bool {
    matches!(v, Value::Object(m) if !m.is_empty()) || matches!(v, Value::Array(a) if !a.is_empty())
}

fn pad(indent: usize, out: &mut String) {
    out.extend(std::iter::repeat_n(' ', indent));
}

fn write(value: &Value, indent: usize, out: &mut String) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (k, v) in map {
                pad(indent, out);
                key(k, out);
                if is_block(v) {
                    out.push_str(":\n");
                    write(v, indent + 2, out);
                } else {
                    out.push_str(": ");
                    scalar(v, out);
                    out.push('\n');
                }
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for item in items {
                if is_block(item) {
                    // The item's first line, indented by indent + 2, goes after "- " instead.
                    let first = out.len() + indent;
                    write(item, indent + 2, out);
                    out.replace_range(first..first + 2, "- ");
                } else {
                    pad(indent, out);
                    out.push_str("- ");
                    scalar(item, out);
                    out.push('\n');
                }
            }
        }
        other => {
            pad(indent, out);
            scalar(other, out);
            out.push('\n');
        }
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

    #[test]
    fn lists_in_lists_and_quoted_keys() {
        let v = json!({"a": [[1, 2], [], {"k": {}}, [[true]]], "odd key": "v"});
        assert_eq!(
            to_yaml(&v),
            "a:\n  - - 1\n    - 2\n  - []\n  - k: {}\n  - - - true\n\"odd key\": \"v\""
        );
    }
}
