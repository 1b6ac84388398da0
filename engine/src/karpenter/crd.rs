//! Offline parity with Karpenter's NodePool CRD (`karpenter.sh/v1`, v1.14.1 `karpenter.sh_nodepools.yaml`):
//! types, patterns, enums, required fields, list limits, the CEL rules, and unknown fields (as
//! `kubectl --validate=strict` refuses them). The API server runs these checks after mutating webhooks,
//! so `kwctl run`, CI pipelines and a mutating PolicyServer can all receive objects that break them.
//!
//! Nulls count as absent: the API server prunes `null` in non-nullable fields before defaulting.

use serde_json::{Map, Value};

use crate::finding::{Finding, Rule, show};
use crate::karpenter::nodepool::ConsolidationPolicy;
use crate::karpenter::patterns;
use crate::kube::objects::at;

type Object = Map<String, Value>;

const P_AFTER: &str = "^(([0-9]+(s|m|h))+|Never)$";
const P_TGP: &str = "^([0-9]+(s|m|h))+$";
const P_NODES: &str = "^((100|[0-9]{1,2})%|[0-9]+)$";
const P_SCHEDULE: &str =
    r"^(@(annually|yearly|monthly|weekly|daily|midnight|hourly))|((.+)\s(.+)\s(.+)\s(.+)\s(.+))$";
const P_DURATION: &str = "^((([0-9]+(h|m))|([0-9]+h[0-9]+m))(0s)?)$";
const P_QUANTITY: &str = r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$";
const P_KEY: &str = r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*(\/))?([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$";
const P_LABEL: &str = "^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$";

const REASONS: &[&str] = &["Underutilized", "Empty", "Drifted"];
const OPERATORS: &[&str] = &[
    "Gte",
    "Lte",
    "In",
    "NotIn",
    "Exists",
    "DoesNotExist",
    "Gt",
    "Lt",
];
const EFFECTS: &[&str] = &["NoSchedule", "PreferNoSchedule", "NoExecute"];

/// Checks `object` (and, on UPDATE, the transition from `old`) against the CRD.
/// The CRD's refusals come first (`nodepool-crd-schema`), then the fields it does not know
/// (`nodepool-crd-unknown-field`, which only warns: a newer Karpenter's CRD may define them, and an API
/// server with this CRD prunes them before any webhook sees the object).
pub fn validate(object: &Value, old: Option<&Value>) -> Vec<Finding> {
    let mut w = Walker::default();
    w.root(object, old.filter(|o| o.is_object()));
    if w.omitted > 0 {
        w.findings.push(
            Finding::new(Rule::CrdSchema, "(object)", format!("{} more", w.omitted))
                .problem(format!(
                    "{} more fields the NodePool CRD refuses",
                    w.omitted
                ))
                .fix("fix the fields above, then look again"),
        );
    }
    if w.unknown_omitted > 0 {
        w.unknown.push(
            Finding::new(
                Rule::CrdUnknownField,
                "(object)",
                format!("{} more", w.unknown_omitted),
            )
            .problem(format!(
                "{} more fields that Karpenter {KARPENTER_VERSION}'s NodePool CRD does not define.",
                w.unknown_omitted
            ))
            .fix("check the fields above, then look again"),
        );
    }
    w.findings.append(&mut w.unknown);
    w.findings
}

/// The Karpenter release whose NodePool CRD this module reproduces.
pub const KARPENTER_VERSION: &str = "v1.14.1";

/// Findings kept, at most, so that an object with 100,000 unknown fields gets a short answer, quickly; with
/// the count of the others, they fill a rejection (`finding::MAX_RENDERED`).
const MAX_FINDINGS: usize = crate::finding::MAX_RENDERED - 1;

#[derive(Default)]
struct Walker {
    findings: Vec<Finding>,
    /// Findings beyond [`MAX_FINDINGS`], counted.
    omitted: usize,
    /// What only warns (fields the CRD does not define, what only a newer Karpenter accepts), kept apart
    /// and capped the same way.
    unknown: Vec<Finding>,
    unknown_omitted: usize,
}

fn get<'a>(map: &'a Object, key: &str) -> Option<&'a Value> {
    map.get(key).filter(|v| !v.is_null())
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn quoted_list(items: &[&str]) -> String {
    items
        .iter()
        .map(|s| format!("{s:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Walker {
    fn report(&mut self, path: &str, value: String, problem: String, fix: impl Into<String>) {
        if self.findings.len() >= MAX_FINDINGS {
            self.omitted += 1;
            return;
        }
        self.findings.push(
            Finding::new(Rule::CrdSchema, path, value)
                .problem(format!("{problem} (the NodePool CRD refuses this)"))
                .fix(fix),
        );
    }

    fn wrong_type(&mut self, path: &str, v: &Value, want: &str) {
        let fix = match (want, v) {
            ("string", Value::Number(n)) => format!("quote the value: {path}: \"{n}\""),
            _ => format!("write {path} as {want}"),
        };
        self.report(
            path,
            show(v),
            format!("must be of type {want}, not {}", type_name(v)),
            fix,
        );
    }

    fn object<'a>(&mut self, v: &'a Value, path: &str) -> Option<&'a Object> {
        match v {
            Value::Object(m) => Some(m),
            _ => {
                self.wrong_type(path, v, "object");
                None
            }
        }
    }

    fn array<'a>(&mut self, v: &'a Value, path: &str, max_items: usize) -> Option<&'a Vec<Value>> {
        match v {
            Value::Array(a) if a.len() > max_items => {
                self.report(
                    path,
                    format!("{} items", a.len()),
                    format!("Too many: {}: must have at most {max_items} items", a.len()),
                    format!("keep at most {max_items} entries in {path}"),
                );
                Some(a)
            }
            Value::Array(a) => Some(a),
            _ => {
                self.wrong_type(path, v, "array");
                None
            }
        }
    }

    fn string<'a>(&mut self, map: &'a Object, key: &str, path: &str) -> Option<&'a str> {
        let v = get(map, key)?;
        match v {
            Value::String(s) => Some(s),
            _ => {
                self.wrong_type(&format!("{path}.{key}"), v, "string");
                None
            }
        }
    }

    fn integer(&mut self, map: &Object, key: &str, path: &str) -> Option<i64> {
        let v = get(map, key)?;
        match v.as_i64() {
            Some(i) => Some(i),
            None => {
                self.wrong_type(&format!("{path}.{key}"), v, "integer");
                None
            }
        }
    }

    fn required(&mut self, map: &Object, key: &str, path: &str, fix: &str) {
        if get(map, key).is_none() {
            let field = if path.is_empty() {
                key.to_string()
            } else {
                format!("{path}.{key}")
            };
            self.report(&field, "(absent)".into(), "Required value".into(), fix);
        }
    }

    fn known_fields(&mut self, map: &Object, path: &str, allowed: &[&str]) {
        for key in map.keys().filter(|k| !allowed.contains(&k.as_str())) {
            if self.unknown.len() >= MAX_FINDINGS {
                self.unknown_omitted += 1; // counted without wording it
                continue;
            }
            let field = format!("{path}.{key}");
            let fix = match field.as_str() {
                "spec.disruption.expireAfter" => {
                    "move it to spec.template.spec.expireAfter (v1beta1 kept it under disruption; v1 drops it \
                     silently without strict validation, leaving the 720h default)"
                        .to_string()
                }
                _ => format!("remove {field}; known fields here: {}", allowed.join(", ")),
            };
            self.unknown.push(
                Finding::new(Rule::CrdUnknownField, &field, show(&map[key]))
                    .problem(format!(
                        "{field} is not a field of Karpenter {KARPENTER_VERSION}'s NodePool CRD, the version \
                         this policy knows: an API server with that CRD drops it (kubectl --validate=strict \
                         refuses it); a newer Karpenter may define it."
                    ))
                    .fix(fix),
            );
        }
    }

    fn pattern(
        &mut self,
        map: &Object,
        key: &str,
        path: &str,
        ok: fn(&str) -> bool,
        pattern: &str,
        fix: &str,
    ) {
        if let Some(s) = self.string(map, key, path)
            && !ok(s)
        {
            self.report(
                &format!("{path}.{key}"),
                format!("{s:?}"),
                format!("should match '{pattern}'"),
                fix,
            );
        }
    }

    fn one_of(&mut self, map: &Object, key: &str, path: &str, allowed: &[&str]) {
        if let Some(s) = self.string(map, key, path)
            && !allowed.contains(&s)
        {
            let field = format!("{path}.{key}");
            let fix = match s {
                "WhenUnderutilized" => {
                    "use WhenEmptyOrUnderutilized (WhenUnderutilized is the v1beta1 name)"
                        .to_string()
                }
                _ => format!("use one of {}", quoted_list(allowed)),
            };
            self.report(
                &field,
                format!("{s:?}"),
                format!(
                    "Unsupported value: {s:?}: supported values: {}",
                    quoted_list(allowed)
                ),
                fix,
            );
        }
    }

    fn root(&mut self, v: &Value, old: Option<&Value>) {
        let Some(root) = self.object(v, "(object)") else {
            return;
        };
        if let Some(api) = self.string(root, "apiVersion", "")
            && api != "karpenter.sh/v1"
        {
            self.report(
                "apiVersion",
                format!("{api:?}"),
                "only karpenter.sh/v1 is served since Karpenter v1.1".into(),
                "set apiVersion: karpenter.sh/v1 and convert v1beta1 fields",
            );
        }
        match get(root, "spec") {
            None => self.required(
                root,
                "spec",
                "",
                "add spec.template with nodeClassRef and requirements",
            ),
            Some(spec) => {
                let old_spec = old.and_then(|o| o.get("spec")).and_then(Value::as_object);
                self.spec(spec, old_spec);
            }
        }
    }

    fn spec(&mut self, v: &Value, old: Option<&Object>) {
        let path = "spec";
        let Some(spec) = self.object(v, path) else {
            return;
        };
        self.known_fields(
            spec,
            path,
            &["disruption", "limits", "replicas", "template", "weight"],
        );
        if let Some(d) = get(spec, "disruption") {
            self.disruption(d);
        }
        if let Some(limits) = get(spec, "limits").and_then(|l| self.object(l, "spec.limits")) {
            for (k, q) in limits {
                let field = format!("spec.limits.{k}");
                match q {
                    Value::String(s) if !patterns::is_quantity(s) => self.report(
                        &field,
                        format!("{s:?}"),
                        format!("should match '{P_QUANTITY}'"),
                        "write a resource quantity such as \"1000\", \"64Gi\" or \"500m\"",
                    ),
                    Value::String(_) | Value::Null => {}
                    Value::Number(n) if n.is_i64() || n.is_u64() => {}
                    _ => self.wrong_type(&field, q, "integer or string"),
                }
            }
        }
        let replicas = self.integer(spec, "replicas", path);
        if let Some(r) = replicas.filter(|r| *r < 0) {
            self.report(
                "spec.replicas",
                r.to_string(),
                "should be greater than or equal to 0".into(),
                "set a node count of 0 or more",
            );
        }
        let weight = self.integer(spec, "weight", path);
        if let Some(w) = weight.filter(|w| !(1..=100).contains(w)) {
            self.report(
                "spec.weight",
                w.to_string(),
                "should be between 1 and 100".into(),
                "set a weight from 1 to 100, or remove it",
            );
        }
        // CEL rules on spec.
        let is_static = get(spec, "replicas").is_some();
        if is_static {
            let limits_ok = match get(spec, "limits").and_then(Value::as_object) {
                None => true,
                Some(l) => l.is_empty() || (l.len() == 1 && l.contains_key("nodes")),
            };
            if !limits_ok {
                self.report(
                    "spec.limits",
                    "(set)".into(),
                    "only 'limits.nodes' is supported on static NodePools".into(),
                    "keep only limits.nodes on a NodePool with spec.replicas",
                );
            }
            if get(spec, "weight").is_some() {
                self.report(
                    "spec.weight",
                    "(set)".into(),
                    "'weight' is not supported on static NodePools".into(),
                    "remove spec.weight or spec.replicas",
                );
            }
        }
        if let Some(old) = old
            && get(old, "replicas").is_some() != is_static
        {
            self.report(
                "spec.replicas",
                if is_static { "(added)" } else { "(removed)" }.into(),
                "Cannot transition NodePool between static (replicas set) and dynamic (replicas unset) provisioning modes".into(),
                "create a new NodePool instead of switching this one",
            );
        }
        match get(spec, "template") {
            None => self.required(
                spec,
                "template",
                path,
                "add spec.template with nodeClassRef and requirements",
            ),
            Some(t) => {
                let old_ref = old
                    .and_then(|o| o.get("template"))
                    .and_then(|t| at(t, &["spec", "nodeClassRef"]))
                    .and_then(Value::as_object);
                self.template(t, old_ref);
            }
        }
    }

    fn disruption(&mut self, v: &Value) {
        let path = "spec.disruption";
        let Some(d) = self.object(v, path) else {
            return;
        };
        self.known_fields(
            d,
            path,
            &["budgets", "consolidateAfter", "consolidationPolicy"],
        );
        if get(d, "consolidateAfter").is_none() {
            // Required up to v1.14.1; Karpenter's main branch after it defaults the field to 0s
            // (kubernetes-sigs/karpenter#3220), so a pool written for it only warns here, and
            // nodepool-consolidate-after judges the 0s. One finding at most, beside the capped unknown fields.
            self.unknown.push(
                Finding::new(
                    Rule::CrdNewerKarpenter,
                    "spec.disruption.consolidateAfter",
                    "(absent)",
                )
                .problem(format!(
                    "Karpenter {KARPENTER_VERSION}'s NodePool CRD, the version this policy knows, requires \
                     consolidateAfter whenever a disruption block is written: an API server with that CRD \
                     refuses this pool unless a mutation writes it. Karpenter after {KARPENTER_VERSION} \
                     defaults it to 0s."
                ))
                .fix("write spec.disruption.consolidateAfter (e.g. 5m, or Never)"),
            );
        }
        self.pattern(
            d,
            "consolidateAfter",
            path,
            patterns::is_nillable_duration,
            P_AFTER,
            "write hours/minutes/seconds such as 5m or 1h30m, or exactly Never",
        );
        self.one_of(
            d,
            "consolidationPolicy",
            path,
            &ConsolidationPolicy::ALL.map(ConsolidationPolicy::name),
        );
        let Some(budgets) = get(d, "budgets") else {
            return;
        };
        let Some(items) = self.array(
            budgets,
            "spec.disruption.budgets",
            crate::karpenter::budget::MAX_BUDGETS,
        ) else {
            return;
        };
        for (i, item) in items.iter().enumerate() {
            let path = format!("spec.disruption.budgets[{i}]");
            let Some(b) = self.object(item, &path) else {
                continue;
            };
            self.known_fields(b, &path, &["duration", "nodes", "reasons", "schedule"]);
            self.pattern(
                b,
                "nodes",
                &path,
                patterns::is_budget_nodes,
                P_NODES,
                "write a quoted count such as \"1\" or a percentage from \"0%\" to \"100%\"",
            );
            self.pattern(
                b,
                "schedule",
                &path,
                patterns::is_budget_schedule,
                P_SCHEDULE,
                "write five cron fields in UTC (minute hour day-of-month month day-of-week), e.g. \"0 0 * * 1-5\", or @daily/@weekly/…",
            );
            self.pattern(
                b,
                "duration",
                &path,
                patterns::is_budget_duration,
                P_DURATION,
                "write hours and/or minutes such as 9h, 90m or 1h30m (no seconds, days or decimals)",
            );
            if get(b, "schedule").is_some() != get(b, "duration").is_some() {
                self.report(
                    &path,
                    "(schedule xor duration)".into(),
                    "'schedule' must be set with 'duration'".into(),
                    "give the budget both a schedule and a duration, or neither (always active)",
                );
            }
            if let Some(reasons) =
                get(b, "reasons").and_then(|r| self.array(r, &format!("{path}.reasons"), 50))
            {
                for (j, r) in reasons.iter().enumerate() {
                    let field = format!("{path}.reasons[{j}]");
                    match r.as_str() {
                        Some(s) if REASONS.contains(&s) => {
                            if reasons[..j].iter().any(|earlier| earlier == r) {
                                self.report(&field, show(r), format!("Duplicate value: {}", show(r)), "list each reason once");
                            }
                        }
                        Some(s) => self.report(
                            &field,
                            format!("{s:?}"),
                            format!("Unsupported value: {s:?}: supported values: {}", quoted_list(REASONS)),
                            "use Underutilized, Empty or Drifted (expiration is forceful and has no budget)",
                        ),
                        None => self.wrong_type(&field, r, "string"),
                    }
                }
            }
        }
    }

    fn template(&mut self, v: &Value, old_ref: Option<&Object>) {
        let path = "spec.template";
        let Some(t) = self.object(v, path) else {
            return;
        };
        self.known_fields(t, path, &["metadata", "spec"]);
        if let Some(meta) =
            get(t, "metadata").and_then(|m| self.object(m, "spec.template.metadata"))
        {
            self.known_fields(meta, "spec.template.metadata", &["annotations", "labels"]);
            if let Some(a) = get(meta, "annotations")
                .and_then(|a| self.object(a, "spec.template.metadata.annotations"))
            {
                for (k, v) in a.iter().filter(|(_, v)| !v.is_string()) {
                    self.wrong_type(
                        &format!("spec.template.metadata.annotations.{k}"),
                        v,
                        "string",
                    );
                }
            }
            if let Some(labels) =
                get(meta, "labels").and_then(|l| self.object(l, "spec.template.metadata.labels"))
            {
                self.labels(labels);
            }
        }
        match get(t, "spec") {
            None => self.required(
                t,
                "spec",
                path,
                "add spec.template.spec with nodeClassRef and requirements",
            ),
            Some(s) => self.claim_spec(s, old_ref),
        }
    }

    fn labels(&mut self, labels: &Object) {
        let path = "spec.template.metadata.labels";
        if labels.len() > 100 {
            self.report(
                path,
                format!("{} labels", labels.len()),
                "must have at most 100 properties".into(),
                "keep at most 100 labels",
            );
        }
        for (k, v) in labels {
            let field = format!("{path}.{k}");
            match v {
                Value::String(s) if s.len() > 63 || !patterns::is_label_value(s) => self.report(
                    &field,
                    format!("{s:?}"),
                    format!("must be at most 63 characters and match '{P_LABEL}'"),
                    "use letters, digits, '-', '_' and '.', starting and ending with a letter or digit",
                ),
                Value::String(_) => {}
                _ => self.wrong_type(&field, v, "string"),
            }
            if let Some(problem) = restricted_label(k) {
                self.report(
                    &field,
                    format!("{k:?}"),
                    problem,
                    "remove the label; Karpenter sets it itself",
                );
            }
        }
    }

    fn claim_spec(&mut self, v: &Value, old_ref: Option<&Object>) {
        let path = "spec.template.spec";
        let Some(s) = self.object(v, path) else {
            return;
        };
        self.known_fields(
            s,
            path,
            &[
                "expireAfter",
                "nodeClassRef",
                "requirements",
                "startupTaints",
                "taints",
                "terminationGracePeriod",
            ],
        );
        self.pattern(
            s,
            "expireAfter",
            path,
            patterns::is_nillable_duration,
            P_AFTER,
            "write hours/minutes/seconds such as 720h, or exactly Never",
        );
        self.pattern(
            s,
            "terminationGracePeriod",
            path,
            patterns::is_go_duration_hms,
            P_TGP,
            "write hours/minutes/seconds such as 48h, or remove the field to wait for PDBs forever",
        );
        match get(s, "nodeClassRef") {
            None => self.required(
                s,
                "nodeClassRef",
                path,
                "add nodeClassRef with group, kind and name of your NodeClass",
            ),
            Some(r) => self.node_class_ref(r, old_ref),
        }
        match get(s, "requirements") {
            None => self.required(
                s,
                "requirements",
                path,
                "add requirements (at least an empty list: requirements: [])",
            ),
            Some(r) => self.requirements(r),
        }
        for key in ["taints", "startupTaints"] {
            if let Some(list) =
                get(s, key).and_then(|l| self.array(l, &format!("{path}.{key}"), usize::MAX))
            {
                for (i, taint) in list.iter().enumerate() {
                    self.taint(taint, &format!("{path}.{key}[{i}]"));
                }
            }
        }
    }

    fn node_class_ref(&mut self, v: &Value, old: Option<&Object>) {
        let path = "spec.template.spec.nodeClassRef";
        let Some(r) = self.object(v, path) else {
            return;
        };
        self.known_fields(r, path, &["group", "kind", "name"]);
        for key in ["group", "kind", "name"] {
            self.required(r, key, path, &format!("set nodeClassRef.{key}"));
            if self.string(r, key, path) == Some("") {
                self.report(
                    &format!("{path}.{key}"),
                    "\"\"".into(),
                    format!("{key} may not be empty"),
                    format!("set nodeClassRef.{key}"),
                );
            }
        }
        self.pattern(
            r,
            "group",
            path,
            patterns::has_no_slash,
            "^[^/]*$",
            "write the API group only, without a version (e.g. karpenter.k8s.aws)",
        );
        if let Some(old) = old {
            for key in ["group", "kind"] {
                if get(old, key) != get(r, key) {
                    self.report(
                        &format!("{path}.{key}"),
                        get(r, key).map(show).unwrap_or_else(|| "(absent)".into()),
                        format!("nodeClassRef.{key} is immutable"),
                        "create a new NodePool to change the NodeClass kind or group",
                    );
                }
            }
        }
    }

    fn requirements(&mut self, v: &Value) {
        let path = "spec.template.spec.requirements";
        let Some(items) = self.array(v, path, 100) else {
            return;
        };
        for (i, item) in items.iter().enumerate() {
            let path = format!("{path}[{i}]");
            let Some(r) = self.object(item, &path) else {
                continue;
            };
            self.known_fields(r, &path, &["key", "minValues", "operator", "values"]);
            self.required(
                r,
                "key",
                &path,
                "set the node label key, e.g. karpenter.sh/capacity-type",
            );
            self.required(
                r,
                "operator",
                &path,
                "set an operator: In, NotIn, Exists, DoesNotExist, Gt, Lt, Gte or Lte",
            );
            if let Some(key) = self.string(r, "key", &path) {
                if key.len() > 316 || !patterns::is_qualified_key(key) {
                    self.report(
                        &format!("{path}.key"),
                        format!("{key:?}"),
                        format!("must be at most 316 characters and match '{P_KEY}'"),
                        "use a label key such as topology.kubernetes.io/zone",
                    );
                }
                if let Some(problem) = restricted_label(key) {
                    self.report(
                        &format!("{path}.key"),
                        format!("{key:?}"),
                        problem,
                        "remove this requirement",
                    );
                }
            }
            self.one_of(r, "operator", &path, OPERATORS);
            let values: Option<Vec<&str>> = match get(r, "values") {
                None => None,
                Some(v) => self
                    .array(v, &format!("{path}.values"), usize::MAX)
                    .map(|vals| {
                        vals.iter()
                            .enumerate()
                            .filter_map(|(j, x)| match x.as_str() {
                                Some(s) => Some(s),
                                None => {
                                    self.wrong_type(&format!("{path}.values[{j}]"), x, "string");
                                    None
                                }
                            })
                            .collect()
                    }),
            };
            let min_values = self.integer(r, "minValues", &path);
            if let Some(m) = min_values.filter(|m| !(1..=50).contains(m)) {
                self.report(
                    &format!("{path}.minValues"),
                    m.to_string(),
                    "should be between 1 and 50".into(),
                    "set minValues from 1 to 50",
                );
            }
            let count = values.as_ref().map_or(0, Vec::len);
            match get(r, "operator").and_then(Value::as_str) {
                Some("In") if count == 0 => self.report(
                    &path,
                    "(no values)".into(),
                    "requirements with operator 'In' must have a value defined".into(),
                    "list at least one value",
                ),
                Some("In") if min_values.is_some_and(|m| (count as i64) < m) => self.report(
                    &format!("{path}.minValues"),
                    min_values.unwrap_or_default().to_string(),
                    "requirements with 'minValues' must have at least that many values specified in the 'values' field".into(),
                    "list at least minValues values, or lower minValues",
                ),
                Some("Gt" | "Lt" | "Gte" | "Lte") => {
                    let single_non_negative = values
                        .as_ref()
                        .is_some_and(|v| v.len() == 1 && v[0].parse::<i64>().is_ok_and(|n| n >= 0));
                    if !single_non_negative {
                        self.report(
                            &format!("{path}.values"),
                            values.map(|v| format!("{v:?}")).unwrap_or_else(|| "(absent)".into()),
                            "requirements operator 'Gt', 'Lt', 'Gte', or 'Lte' must have a single positive integer value".into(),
                            "give exactly one non-negative integer value, e.g. values: [\"4\"]",
                        );
                    }
                }
                _ => {}
            }
        }
    }

    fn taint(&mut self, v: &Value, path: &str) {
        let Some(t) = self.object(v, path) else {
            return;
        };
        self.known_fields(t, path, &["effect", "key", "timeAdded", "value"]);
        self.required(t, "key", path, "set the taint key");
        self.required(
            t,
            "effect",
            path,
            "set effect: NoSchedule, PreferNoSchedule or NoExecute",
        );
        self.one_of(t, "effect", path, EFFECTS);
        self.pattern(
            t,
            "key",
            path,
            patterns::is_qualified_key,
            P_KEY,
            "use a key such as example.com/dedicated",
        );
        self.pattern(
            t,
            "value",
            path,
            patterns::is_qualified_key,
            P_KEY,
            "use letters, digits, '-', '_' and '.'",
        );
        self.string(t, "timeAdded", path);
    }
}

/// The CEL label-key rules shared by template labels and requirement keys.
fn restricted_label(key: &str) -> Option<String> {
    // `x.find("^([^/]+)")`: the text before the first '/', empty if the key starts with one.
    let domain = if key.starts_with('/') {
        ""
    } else {
        key.split('/').next().unwrap_or("")
    };
    if key == "karpenter.sh/nodepool" {
        Some("label \"karpenter.sh/nodepool\" is restricted".into())
    } else if key == "kubernetes.io/hostname" {
        Some("label \"kubernetes.io/hostname\" is restricted".into())
    } else if key != "karpenter.sh/capacity-type" && domain.ends_with("karpenter.sh") {
        Some("label domain \"karpenter.sh\" is restricted".into())
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pool(spec_extra: Value) -> Value {
        let mut pool = crate::testkit::nodepool("p", Value::Null);
        if let (Some(s), Some(extra)) = (pool["spec"].as_object_mut(), spec_extra.as_object()) {
            s.extend(extra.clone());
        }
        pool
    }

    fn paths(v: &Value) -> Vec<String> {
        validate(v, None).into_iter().map(|f| f.path).collect()
    }

    #[test]
    fn a_minimal_pool_is_valid() {
        assert!(validate(&pool(json!({})), None).is_empty());
        assert!(
            validate(&pool(json!({"disruption": null})), None).is_empty(),
            "null = absent"
        );
    }

    #[test]
    fn reports_each_field_by_path() {
        let v = pool(json!({
            "weight": 101,
            "limits": {"cpu": "lots", "memory": "64Gi", "nodes": 10},
            "disruption": {
                "consolidationPolicy": "WhenUnderutilized",
                "budgets": [
                    {"nodes": 10},
                    {"nodes": "0", "duration": "9h"},
                    {"nodes": "10%", "reasons": ["Drifted", "Drifted", "Expired"]},
                ],
                "expireAfter": "720h"
            }
        }));
        assert_eq!(
            paths(&v),
            [
                "spec.disruption.consolidationPolicy",
                "spec.disruption.budgets[0].nodes",
                "spec.disruption.budgets[1]",
                "spec.disruption.budgets[2].reasons[1]",
                "spec.disruption.budgets[2].reasons[2]",
                "spec.limits.cpu",
                "spec.weight",
                // Unknown fields and what only a newer Karpenter accepts last: they only warn.
                "spec.disruption.expireAfter",
                "spec.disruption.consolidateAfter",
            ]
        );
        let all = validate(&v, None);
        assert!(all[1].fix.contains("quote the value"), "{}", all[1]);
        let (refused, unknown) = all.split_at(all.len() - 2);
        assert!(refused.iter().all(|f| f.rule == Rule::CrdSchema));
        assert_eq!(unknown[0].rule, Rule::CrdUnknownField);
        assert_eq!(unknown[1].rule, Rule::CrdNewerKarpenter);
        assert!(
            unknown[1].problem.contains("requires consolidateAfter")
                && unknown[1]
                    .problem
                    .contains("after v1.14.1 defaults it to 0s"),
            "{}",
            unknown[1]
        );
        assert!(unknown[0].fix.contains("spec.template.spec.expireAfter"));
        assert!(
            unknown[0]
                .problem
                .contains("Karpenter v1.14.1's NodePool CRD")
        );
    }

    /// A field of a newer Karpenter is never refused; 100,000 of them are worded 19 times and counted, apart
    /// from the CRD's refusals, which keep their own room.
    #[test]
    fn unknown_fields_are_counted_apart_from_refusals() {
        let mut v = pool(json!({"weight": 101, "disruption": {"consolidateAfter": "5m"}}));
        for i in 0..100_000 {
            v["spec"]["disruption"][format!("newField{i}")] = json!(i);
        }
        let all = validate(&v, None);
        let refused: Vec<&Finding> = all.iter().take_while(|f| !f.rule.only_warns()).collect();
        assert!(
            refused.iter().any(|f| f.path == "spec.weight"),
            "{refused:?}"
        );
        let unknown: Vec<&Finding> = all.iter().filter(|f| f.rule.only_warns()).collect();
        assert_eq!(unknown.len(), MAX_FINDINGS + 1);
        assert_eq!(
            unknown[MAX_FINDINGS].value,
            format!("{} more", 100_000 - MAX_FINDINGS)
        );
    }

    #[test]
    fn requirement_cel_rules() {
        let mut v = pool(json!({}));
        v["spec"]["template"]["spec"]["requirements"] = json!([
            {"key": "karpenter.sh/nodepool", "operator": "In", "values": ["x"]},
            {"key": "node.kubernetes.io/instance-type", "operator": "In", "values": []},
            {"key": "karpenter.k8s.aws/instance-cpu", "operator": "Gt", "values": ["-1"]},
            {"key": "a", "operator": "In", "values": ["x"], "minValues": 2},
            {"key": "b", "operator": "Sometimes"},
        ]);
        assert_eq!(
            paths(&v),
            [
                "spec.template.spec.requirements[0].key",
                "spec.template.spec.requirements[1]",
                "spec.template.spec.requirements[2].values",
                "spec.template.spec.requirements[3].minValues",
                "spec.template.spec.requirements[4].operator",
            ]
        );
    }

    #[test]
    fn static_pools_and_transitions() {
        let v = pool(json!({"replicas": 3, "weight": 10, "limits": {"cpu": "10"}}));
        assert_eq!(paths(&v), ["spec.limits", "spec.weight"]);
        let old = pool(json!({}));
        let now_static = pool(json!({"replicas": 3}));
        let f = validate(&now_static, Some(&old));
        assert_eq!(f.len(), 1);
        assert!(f[0].problem.contains("Cannot transition"));
        let mut changed_kind = pool(json!({}));
        changed_kind["spec"]["template"]["spec"]["nodeClassRef"]["kind"] = json!("Other");
        assert!(
            validate(&changed_kind, Some(&old))[0]
                .problem
                .contains("immutable")
        );
    }

    #[test]
    fn wrong_shapes_do_not_stop_the_walk() {
        let v = json!({"apiVersion": "karpenter.sh/v1beta1", "spec": {"template": [], "disruption": "x"}});
        assert_eq!(
            paths(&v),
            ["apiVersion", "spec.disruption", "spec.template"]
        );
        assert_eq!(paths(&json!("text")), ["(object)"]);
        assert_eq!(paths(&json!({})), ["spec"]);
    }
}
