//! The UPDATE rule: Kubernetes' validation ratcheting (KEP-4008, what the API server applies to CRD fields),
//! applied to the guards' findings. A finding the stored object already had, on a field the update leaves as
//! it was, is not the update's doing: it is named in a warning and does not reject. So controllers' writes
//! (annotations, labels, finalizers) always pass, and a change is judged by the fields it changes.

use serde_json::Value;

use crate::finding::{Finding, Rule};
use crate::kube::objects::at;

/// Ratcheted findings named in warnings, at most; the rest are counted.
const MAX_NAMED: usize = 10;

/// `metadata.deletionTimestamp` is set: the only writes left are finalizer removals (the garbage
/// collector's `foregroundDeletion`, controllers' own). Blocking one leaves the object Terminating forever.
pub fn is_deleting(object: &Value) -> bool {
    at(object, &["metadata", "deletionTimestamp"]).is_some_and(|t| !t.is_null())
}

/// The update leaves the field at `keys` as it was (absent in both counts as unchanged).
pub fn unchanged(object: &Value, old: &Value, keys: &[&str]) -> bool {
    at(object, keys) == at(old, keys)
}

/// Splits the updated object's findings into those the update brings (first) and those the stored object
/// already had (same rule, field and value) on fields the update left as it was (second). `old_findings`: the stored object's, judged
/// against the same cluster. A failed lookup is about this request, never ratcheted.
pub fn ratchet(
    findings: Vec<Finding>,
    old_findings: &[Finding],
    object: &Value,
    old: &Value,
) -> (Vec<Finding>, Vec<Finding>) {
    findings.into_iter().partition(|f| {
        let had = f.rule != Rule::LookupFailed
            && old_findings
                .iter()
                .any(|o| o.rule == f.rule && o.path == f.path && o.value == f.value);
        !(had && field(object, &f.path) == field(old, &f.path))
    })
}

/// One warning per ratcheted finding (the first few, then how many more).
pub fn warnings(kept: &[Finding], kind: &str) -> Vec<String> {
    let mut lines: Vec<String> = kept
        .iter()
        .take(MAX_NAMED)
        .map(|f| {
            format!(
                "disruption-guard: not enforced on this update (the stored {kind} has it, and the update leaves \
                 the field as it was): [{}] {} = {}",
                f.rule.id(),
                f.path,
                f.value
            )
        })
        .collect();
    if kept.len() > MAX_NAMED {
        lines.push(format!(
            "disruption-guard: and {} more findings of the stored {kind}, not enforced on this update",
            kept.len() - MAX_NAMED
        ));
    }
    lines
}

/// The value at a finding's path (`spec.disruption.budgets[0].nodes`,
/// `spec.template.metadata.annotations[karpenter.sh/do-not-disrupt]`); `None` when the field is absent or the
/// path names no field of the object (`(cluster)`, `HorizontalPodAutoscaler spec.minReplicas`).
fn field<'a>(object: &'a Value, path: &str) -> Option<&'a Value> {
    let mut value = object;
    let mut rest = path;
    while !rest.is_empty() {
        let (step, after) = match rest.strip_prefix('[') {
            Some(inner) => {
                let end = inner.find(']')?;
                (&inner[..end], &inner[end + 1..])
            }
            None => {
                let end = rest.find(['.', '[']).unwrap_or(rest.len());
                (&rest[..end], &rest[end..])
            }
        };
        rest = after.strip_prefix('.').unwrap_or(after);
        value = match value {
            Value::Array(items) => items.get(step.parse::<usize>().ok()?)?,
            _ => value.get(step)?,
        };
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_reach_list_items_and_keys_with_dots() {
        let o = json!({"spec": {"budgets": [{"nodes": "10%"}],
            "template": {"metadata": {"annotations": {"karpenter.sh/do-not-disrupt": "true"}}}}});
        assert_eq!(field(&o, "spec.budgets[0].nodes"), Some(&json!("10%")));
        assert_eq!(field(&o, "spec.budgets[1].nodes"), None);
        assert_eq!(
            field(
                &o,
                "spec.template.metadata.annotations[karpenter.sh/do-not-disrupt]"
            ),
            Some(&json!("true"))
        );
        for not_a_field in [
            "(cluster)",
            "HorizontalPodAutoscaler spec.minReplicas",
            "spec.budgets[x",
        ] {
            assert_eq!(field(&o, not_a_field), None, "{not_a_field}");
        }
    }

    #[test]
    fn only_findings_on_untouched_fields_that_the_stored_object_had_are_kept() {
        let finding = |rule, path: &str| Finding::new(rule, path, "v");
        let old = json!({"spec": {"a": 1, "b": 1}});
        let new = json!({"spec": {"a": 1, "b": 2}});
        let had = [
            finding(Rule::PdbSelector, "spec.a"),
            finding(Rule::PdbInvalid, "spec.b"),
            finding(Rule::LookupFailed, "(cluster)"),
        ];
        let (brought, kept) = ratchet(
            vec![
                finding(Rule::PdbSelector, "spec.a"), // had it, field untouched: kept
                finding(Rule::PdbInvalid, "spec.b"),  // had it, but the update changed b
                finding(Rule::PdbOverlap, "spec.a"),  // new rule on an untouched field
                finding(Rule::LookupFailed, "(cluster)"), // never ratcheted
            ],
            &had,
            &new,
            &old,
        );
        let rules = |f: &[Finding]| f.iter().map(|f| f.rule).collect::<Vec<_>>();
        assert_eq!(rules(&kept), [Rule::PdbSelector]);
        assert_eq!(
            rules(&brought),
            [Rule::PdbInvalid, Rule::PdbOverlap, Rule::LookupFailed]
        );
    }

    #[test]
    fn warnings_name_the_first_findings_and_count_the_rest() {
        let kept = vec![Finding::new(Rule::PdbSelector, "spec.selector", "{}"); MAX_NAMED + 3];
        let lines = warnings(&kept, "PodDisruptionBudget");
        assert_eq!(lines.len(), MAX_NAMED + 1);
        assert!(
            lines[0].contains("[pdb-selector] spec.selector = {}"),
            "{}",
            lines[0]
        );
        assert!(lines[MAX_NAMED].contains("and 3 more"));
    }

    #[test]
    fn deletion_is_read_from_the_timestamp() {
        assert!(is_deleting(
            &json!({"metadata": {"deletionTimestamp": "2026-12-04T10:00:00Z"}})
        ));
        assert!(!is_deleting(
            &json!({"metadata": {"deletionTimestamp": null}})
        ));
        assert!(!is_deleting(&json!({"metadata": {}})));
    }
}
