//! Runs the compiled `policy.wasm` the way Kubewarden's PolicyServer does: wasmtime through the waPC
//! host, one precompiled module, a fresh instance per evaluation, Kubewarden's request format.
//! Host capabilities are answered by a callback: logging is accepted, and Kubernetes lookups are answered
//! from a cluster-state fixture (kind → objects), or refused when the test gives none.

// The test harness: a panic here is a failed test, with the reason in its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod cases;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::{Value, json};
use wapc::WapcHost;
use wasmtime_provider::{WasmtimeEngineProviderBuilder, WasmtimeEngineProviderPre};

/// The repository root (the parent of this crate).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `policy.wasm` at the repository root, or `$DISRUPTION_GUARD_WASM`.
pub fn wasm_path() -> PathBuf {
    std::env::var_os("DISRUPTION_GUARD_WASM")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("policy.wasm"))
}

fn precompiled() -> &'static WasmtimeEngineProviderPre {
    static PRE: OnceLock<WasmtimeEngineProviderPre> = OnceLock::new();
    PRE.get_or_init(|| {
        let path = wasm_path();
        let bytes = std::fs::read(&path).unwrap_or_else(|e| {
            panic!(
                "cannot read {}: {e}; build it first with `make policy.wasm`",
                path.display()
            )
        });
        WasmtimeEngineProviderBuilder::new()
            .module_bytes(&bytes)
            .build_pre()
            .unwrap_or_else(|e| panic!("wasmtime cannot load {}: {e}", path.display()))
    })
}

/// Cluster state for context-aware lookups: `{"Deployment": [objects…], "PodDisruptionBudget": […], …}`;
/// each object carries `metadata.namespace`.
pub type Cluster = Value;

/// Every host call the policy made: (operation, request JSON), and the answers given.
pub type CallLog = Arc<Mutex<Vec<(String, Value)>>>;

/// The answers, in call order (`Err` for refused calls).
pub type AnswerLog = Arc<Mutex<Vec<Result<String, String>>>>;

/// What the host answers to the policy's host calls.
/// The host callback wapc calls for every host call of the guest.
pub type HostCallback = dyn Fn(u64, &str, &str, &str, &[u8]) -> Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>>
    + Send
    + Sync
    + 'static;

fn host_callback(
    cluster: Option<Arc<Cluster>>,
    log: CallLog,
    answers: AnswerLog,
) -> Box<HostCallback> {
    Box::new(move |_id, binding, namespace, operation, payload| {
        let answer = answer(
            cluster.as_deref(),
            binding,
            namespace,
            operation,
            payload,
            &log,
        );
        if let Ok(mut all) = answers.lock() {
            all.push(
                answer
                    .clone()
                    .map(|bytes| String::from_utf8_lossy(&bytes).into_owned()),
            );
        }
        answer.map_err(Into::into)
    })
}

fn answer(
    cluster: Option<&Cluster>,
    binding: &str,
    namespace: &str,
    operation: &str,
    payload: &[u8],
    log: &CallLog,
) -> Result<Vec<u8>, String> {
    if let Ok(mut calls) = log.lock() {
        let request: Value = serde_json::from_slice(payload).unwrap_or(Value::Null);
        calls.push((format!("{binding}/{namespace}/{operation}"), request));
    }
    match (binding, namespace, cluster) {
        ("kubewarden", "tracing", _) if operation == "log" => Ok(Vec::new()),
        ("kubewarden", "kubernetes", Some(cluster)) => list_answer(cluster, operation, payload),
        _ => Err(format!(
            "Policy has not been granted access to Kubernetes resources ({binding}/{namespace}/{operation} refused by the test host)"
        )),
    }
}

/// The answer to a `kubewarden/kubernetes` list call, from the cluster fixture: a `List` of the objects of
/// the requested kind (in the namespace, matching the label selector), as PolicyServer would send it.
pub fn list_answer(cluster: &Cluster, operation: &str, payload: &[u8]) -> Result<Vec<u8>, String> {
    let request: Value = serde_json::from_slice(payload).map_err(|e| e.to_string())?;
    let namespace = match operation {
        "list_resources_by_namespace" => Some(request["namespace"].as_str().unwrap_or_default()),
        "list_resources_all" => None,
        other => return Err(format!("the test host does not answer {other}")),
    };
    let kind = request["kind"].as_str().unwrap_or_default();
    let selector = request["label_selector"].as_str();
    let items: Vec<Value> = cluster[kind]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|o| {
            namespace.is_none_or(|ns| {
                o.pointer("/metadata/namespace").and_then(Value::as_str) == Some(ns)
            })
        })
        .filter(|o| selector.is_none_or(|s| matches_equality_selector(s, &o["metadata"]["labels"])))
        .map(|o| match request["field_masks"].as_array() {
            Some(masks) => {
                let mut pruned = Value::Null;
                for mask in masks.iter().filter_map(Value::as_str) {
                    project(o, &mask.split('.').collect::<Vec<_>>(), &mut pruned);
                }
                pruned
            }
            None => o.clone(),
        })
        .collect();
    Ok(
        json!({"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": "1"}, "items": items})
            .to_string()
            .into_bytes(),
    )
}

/// Copies the field at the dotted `path` from `source` into `pruned`, as PolicyServer prunes list items to
/// the request's `field_masks` (arrays are traversed implicitly): a rule that reads a field its lookup does
/// not ask for sees it missing here too.
fn project(source: &Value, path: &[&str], pruned: &mut Value) {
    let Some((field, rest)) = path.split_first() else {
        *pruned = source.clone();
        return;
    };
    match source {
        Value::Object(map) => {
            if let Some(child) = map.get(*field) {
                let mut kept = pruned.get(*field).cloned().unwrap_or(Value::Null);
                project(child, rest, &mut kept);
                if !kept.is_null() {
                    if !pruned.is_object() {
                        *pruned = json!({});
                    }
                    pruned[*field] = kept;
                }
            }
        }
        Value::Array(items) => {
            if !pruned.is_array() {
                *pruned = Value::Array(vec![Value::Null; items.len()]);
            }
            if let Value::Array(out) = pruned {
                for (item, out) in items.iter().zip(out) {
                    project(item, path, out);
                }
            }
        }
        _ => {}
    }
}

/// A host for benchmarks: answers list calls from `cluster`, serializing each distinct answer once (a
/// PolicyServer answers from its informer cache), and records nothing.
pub fn fixture_host(cluster: Arc<Cluster>) -> impl FnMut(&str, &[u8]) -> Result<Vec<u8>, String> {
    let mut answers: HashMap<(String, Vec<u8>), Result<Vec<u8>, String>> = HashMap::new();
    move |operation, payload| {
        answers
            .entry((operation.to_string(), payload.to_vec()))
            .or_insert_with(|| list_answer(&cluster, operation, payload))
            .clone()
    }
}

/// `key=value[,key=value]` label selectors, the form the policy sends.
fn matches_equality_selector(selector: &str, labels: &Value) -> bool {
    selector.split(',').all(|term| match term.split_once('=') {
        Some((k, v)) => labels[k.trim()].as_str() == Some(v.trim()),
        None => false,
    })
}

/// The longest any single evaluation may take in the suites (PolicyServer gives a policy 2 s).
pub const DEADLINE: std::time::Duration = std::time::Duration::from_secs(1);

/// One evaluation instance of the policy.
pub struct Policy {
    host: WapcHost,
    calls: CallLog,
    answers: AnswerLog,
}

/// The policy's answer to `validate`.
#[derive(Debug)]
pub struct Verdict {
    pub accepted: bool,
    pub message: Option<String>,
    pub mutated_object: Option<Value>,
    pub warnings: Vec<String>,
}

impl Policy {
    /// A fresh instance of the precompiled module, as PolicyServer rehydrates one per request. Kubernetes
    /// lookups are refused.
    pub fn new() -> Policy {
        Policy::build(None)
    }

    /// An instance whose Kubernetes lookups are answered from `cluster`.
    pub fn with_cluster(cluster: &Cluster) -> Policy {
        Policy::build(Some(Arc::new(cluster.clone())))
    }

    /// An instance for benchmarks: lookups answered by [`fixture_host`], no call log.
    pub fn serving(cluster: Arc<Cluster>) -> Policy {
        let host = Mutex::new(fixture_host(cluster));
        let callback: Box<HostCallback> =
            Box::new(move |_id, binding, namespace, operation, payload| {
                match (binding, namespace) {
                    ("kubewarden", "kubernetes") => match host.lock() {
                        Ok(mut answer) => answer(operation, payload).map_err(Into::into),
                        Err(e) => Err(e.to_string().into()),
                    },
                    _ => Ok(Vec::new()),
                }
            });
        Policy::with_callback(callback)
    }

    fn build(cluster: Option<Arc<Cluster>>) -> Policy {
        let calls: CallLog = Arc::default();
        let answers: AnswerLog = Arc::default();
        let callback = host_callback(cluster, calls.clone(), answers.clone());
        let mut policy = Policy::with_callback(callback);
        (policy.calls, policy.answers) = (calls, answers);
        policy
    }

    fn with_callback(callback: Box<HostCallback>) -> Policy {
        let engine = precompiled()
            .rehydrate(None)
            .expect("instantiate policy.wasm");
        let host = WapcHost::new(Box::new(engine), Some(callback)).expect("waPC host");
        Policy {
            host,
            calls: CallLog::default(),
            answers: AnswerLog::default(),
        }
    }

    /// The host calls made so far: (binding/namespace/operation, request).
    pub fn calls(&self) -> Vec<(String, Value)> {
        self.calls.lock().map(|c| c.clone()).unwrap_or_default()
    }

    /// The host calls with their answers, as a `kwctl run --replay-host-capabilities-interactions` session.
    pub fn replay_session(&self) -> String {
        let answers = self.answers.lock().map(|a| a.clone()).unwrap_or_default();
        let mut out = String::new();
        for ((operation, request), answer) in self.calls().iter().zip(answers) {
            let (tag, fields): (&str, &[&str]) = match operation.as_str() {
                "kubewarden/kubernetes/list_resources_by_namespace" => (
                    "!KubernetesListResourceNamespace",
                    &[
                        "api_version",
                        "kind",
                        "namespace",
                        "label_selector",
                        "field_selector",
                        "field_masks",
                    ],
                ),
                "kubewarden/kubernetes/list_resources_all" => (
                    "!KubernetesListResourceAll",
                    &[
                        "api_version",
                        "kind",
                        "label_selector",
                        "field_selector",
                        "field_masks",
                    ],
                ),
                _ => continue,
            };
            let mut request_yaml = format!("{tag}\n");
            for field in fields {
                request_yaml.push_str(&format!("{field}: {}\n", request[*field]));
            }
            let response = match answer {
                Ok(payload) => json!({"type": "Success", "payload": payload}),
                Err(message) => json!({"type": "Error", "message": message}),
            };
            let exchange =
                json!([{"type": "Exchange", "request": request_yaml, "response": response}]);
            out.push_str(&serde_yaml::to_string(&exchange).unwrap_or_default());
        }
        out
    }

    /// Calls a waPC operation with raw bytes; `Err` is a guest error or a trap. Any call over
    /// [`DEADLINE`] fails the test: a safety net against runaway evaluation, not a benchmark.
    pub fn call(&self, operation: &str, payload: &[u8]) -> Result<Vec<u8>, String> {
        let started = std::time::Instant::now();
        let answer = self
            .host
            .call(operation, payload)
            .map_err(|e| e.to_string());
        let took = started.elapsed();
        assert!(
            took < DEADLINE,
            "{operation} took {took:?}, over the {DEADLINE:?} any evaluation gets (payload of {} bytes)",
            payload.len()
        );
        answer
    }

    /// `validate` once, untimed, to fill the host's caches (a PolicyServer answers lookups from its
    /// caches; this test host builds each answer the first time it is asked, in a debug build).
    pub fn warm_up(&self, payload: &[u8]) {
        self.validate_untimed(payload).ok();
    }

    /// `validate` with no deadline: under valgrind, which counts instructions 50 times slower.
    pub fn validate_untimed(&self, payload: &[u8]) -> Result<Vec<u8>, String> {
        self.host
            .call("validate", payload)
            .map_err(|e| e.to_string())
    }

    /// `validate_settings`: `(valid, message)`.
    pub fn validate_settings(&self, settings: &Value) -> (bool, Option<String>) {
        let out = self
            .call("validate_settings", settings.to_string().as_bytes())
            .expect("validate_settings must not fail");
        let v: Value = serde_json::from_slice(&out).expect("settings response is JSON");
        (
            v["valid"].as_bool().expect("valid is a bool"),
            v["message"].as_str().map(String::from),
        )
    }

    /// `validate` with a Kubewarden `ValidationRequest` (`{"settings": …, "request": …}`).
    pub fn validate(&self, settings: &Value, request: &Value) -> Verdict {
        let payload = json!({"settings": settings, "request": request});
        let out = self
            .call("validate", payload.to_string().as_bytes())
            .expect("validate must answer, not fail");
        parse_verdict(&out)
    }
}

impl Default for Policy {
    fn default() -> Self {
        Policy::new()
    }
}

impl Verdict {
    /// Whether a warning contains `needle`.
    pub fn warns(&self, needle: &str) -> bool {
        self.warnings.iter().any(|w| w.contains(needle))
    }
}

pub fn parse_verdict(out: &[u8]) -> Verdict {
    let v: Value = serde_json::from_slice(out).expect("validation response is JSON");
    Verdict {
        accepted: v["accepted"].as_bool().expect("accepted is a bool"),
        message: v["message"].as_str().map(String::from),
        mutated_object: v.get("mutated_object").filter(|o| !o.is_null()).cloned(),
        warnings: v["warnings"]
            .as_array()
            .map(|w| {
                w.iter()
                    .filter_map(|s| s.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// A Kubewarden admission request for `object` (kind taken from the object itself).
pub fn admission_request(object: &Value, operation: &str) -> Value {
    let (group, version) = match object["apiVersion"].as_str().unwrap_or("").split_once('/') {
        Some((g, v)) => (g.to_string(), v.to_string()),
        None => (
            String::new(),
            object["apiVersion"].as_str().unwrap_or("v1").to_string(),
        ),
    };
    let kind = object["kind"].as_str().unwrap_or("NodePool");
    let plural = match kind {
        "HorizontalPodAutoscaler" => "horizontalpodautoscalers".to_string(),
        other => format!("{}s", other.to_lowercase()),
    };
    let gvk = json!({"group": group, "version": version, "kind": kind});
    let gvr = json!({"group": group, "version": version, "resource": plural});
    json!({
        "uid": "e2e-0000",
        "kind": gvk, "resource": gvr, "requestKind": gvk, "requestResource": gvr,
        "name": object.pointer("/metadata/name").cloned().unwrap_or(json!("")),
        "namespace": object.pointer("/metadata/namespace").cloned().unwrap_or(json!("")),
        "operation": operation,
        "userInfo": {"username": "e2e", "groups": ["system:authenticated"]},
        "object": object,
        "dryRun": false,
        "options": {}
    })
}

/// An UPDATE of `old` to `new`, with `oldObject` as the API server sends it.
pub fn update_request(old: &Value, new: &Value) -> Value {
    let mut request = admission_request(new, "UPDATE");
    request["oldObject"] = old.clone();
    request
}

/// `kubectl scale` (or an HPA) of a workload from `from` to `to` replicas: an UPDATE of the `scale`
/// subresource, whose object is an `autoscaling/v1` Scale.
pub fn scale_request(kind: &str, namespace: &str, name: &str, from: i64, to: i64) -> Value {
    let scale = |replicas: i64| {
        json!({"kind": "Scale", "apiVersion": "autoscaling/v1",
               "metadata": {"name": name, "namespace": namespace},
               "spec": {"replicas": replicas}, "status": {"replicas": from, "selector": format!("app={name}")}})
    };
    let gvk = json!({"group": "autoscaling", "version": "v1", "kind": "Scale"});
    let group = if kind == "NodePool" {
        "karpenter.sh"
    } else {
        "apps"
    };
    let gvr =
        json!({"group": group, "version": "v1", "resource": format!("{}s", kind.to_lowercase())});
    json!({
        "uid": "e2e-scale",
        "kind": gvk, "resource": gvr, "subResource": "scale",
        "requestKind": gvk, "requestResource": gvr, "requestSubResource": "scale",
        "name": name, "namespace": namespace, "operation": "UPDATE",
        "userInfo": {"username": "e2e", "groups": ["system:authenticated"]},
        "object": scale(to), "oldObject": scale(from),
        "dryRun": false, "options": {"kind": "UpdateOptions", "apiVersion": "meta.k8s.io/v1"}
    })
}

/// examples/settings-seoul.yaml: the incident team's settings, used by `make demo` and most suites.
pub fn seoul() -> Value {
    read_yaml("examples/settings-seoul.yaml")
}

/// The admission requests of examples/requests (not its subdirectories, which have settings of their
/// own), by file name in order.
pub fn example_requests() -> Vec<(String, Value)> {
    let dir = repo_root().join("examples/requests");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|name| name.ends_with(".json"))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let request = read_yaml(&format!("examples/requests/{name}"));
            (name, request)
        })
        .collect()
}

/// Reads a YAML or JSON file under the repository root.
pub fn read_yaml(relative: &str) -> Value {
    let path = repo_root().join(relative);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
