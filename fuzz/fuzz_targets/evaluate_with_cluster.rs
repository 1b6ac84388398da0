//! The whole policy against a cluster. The fuzzer's first 16 bytes choose the settings (always ones that
//! pass `validate_settings`), the operation (CREATE, UPDATE with an `oldObject`, DELETE, a scale), the
//! instant, and what the host answers to every lookup: generated pods, nodes, PDBs, workloads, HPAs and
//! NodePools around the object's own labels, or hostile answers (null or list-shaped labels, items of the
//! wrong kind, 20,000-item lists, `status.nodes` of 1e12 or 1e18, a failed call, a non-list). The rest is the
//! admitted object. The policy must answer, never panic; `make fuzz` runs it with `-timeout=1`, so any
//! evaluation over 1 s fails the campaign.
#![no_main]
use libfuzzer_sys::arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use disruption_guard_engine::settings::Settings;
use serde_json::{Value, json};

const KNOBS: usize = 16;

fuzz_target!(|data: &[u8]| {
    let (knobs, object) = data.split_at(data.len().min(KNOBS));
    let Ok(object) = serde_json::from_slice::<Value>(object) else {
        return;
    };
    let mut u = Unstructured::new(knobs);
    let settings = settings(&mut u);
    if let Err(e) = Settings::from_json(settings.to_string().as_bytes()) {
        panic!("the generator wrote settings the policy refuses: {settings}: {e}");
    }
    let Ok(operation) = u.choose_index(5) else {
        return;
    };
    let cluster = Cluster::new(&mut u, &object);
    let now = i64::from(u.arbitrary::<u32>().unwrap_or(0)) % (60 * 24 * 366 * 60);
    let request = admission_request(operation, object, &settings);
    let mut host = |operation: &str, request: &[u8]| cluster.answer(operation, request);
    let _ = disruption_guard::evaluate(request.to_string().as_bytes(), &mut host, now);
});

/// Settings from the knobs: each field either absent (its default) or one of its valid values.
fn settings(u: &mut Unstructured) -> Value {
    let pick = |u: &mut Unstructured, values: &[Value]| -> Option<Value> {
        let i = u.choose_index(values.len() + 1).unwrap_or(0);
        values.get(i).cloned()
    };
    let mut settings = json!({});
    let timezones = [json!("UTC"), json!("Europe/Berlin"), json!("Asia/Seoul"), json!("Australia/Lord_Howe")];
    if let Some(timezone) = pick(u, &timezones) {
        let mut hours = json!({"timezone": timezone});
        if let Some(days) = pick(u, &[json!(["Sat", "Sun"]), json!(["Mon", "Mon", "Fri"])]) {
            hours["days"] = days;
        }
        if let Some((start, end)) = pick(u, &[json!(["00:00", "23:59"]), json!(["22:00", "06:00"]), json!(["09:00", "09:01"])])
            .and_then(|v| Some((v[0].clone(), v[1].clone())))
        {
            hours["start"] = start;
            hours["end"] = end;
        }
        settings["businessHours"] = hours;
    }
    let mut node_pools = json!({});
    for (key, values) in [
        ("allowedConsolidationPolicies", vec![json!(["WhenEmpty"]), json!(["Balanced", "Balanced"])]),
        ("minConsolidateAfter", vec![json!("0s"), json!("720h"), json!("1h")]),
        ("maxBudgetNodes", vec![json!(0), json!("100%"), json!(1_000_000)]),
        ("requireFreeze", vec![json!(false)]),
        ("freezeReasons", vec![json!(["Drifted"]), json!(["Empty", "Underutilized"])]),
        ("injectFreeze", vec![json!(false)]),
        ("injectDefaults", vec![json!(false)]),
    ] {
        if let Some(value) = pick(u, &values) {
            node_pools[key] = value;
        }
    }
    settings["nodePools"] = node_pools;
    // The extremes the settings accept (a zero or 100% default, minReplicas under 2 and a zero floor are
    // refused before any rule runs, and tested as such).
    if let Some(min) = pick(u, &[json!(1), json!("99%"), json!(1_000_000), json!(null)]) {
        settings["pdbs"] = json!({"defaultMinAvailable": min});
    }
    let mut workloads = json!({});
    for (key, values) in [
        ("minReplicas", vec![json!(2), json!(u32::MAX)]),
        ("availabilityFloor", vec![json!("1%"), json!("100%"), json!(1_000_000)]),
        ("requirePdb", vec![json!(false)]),
        ("antiAffinity", vec![json!("off"), json!("required")]),
        ("topologySpread", vec![json!("off"), json!("hostname")]),
    ] {
        if let Some(value) = pick(u, &values) {
            workloads[key] = value;
        }
    }
    settings["workloads"] = workloads;
    if let Some(enabled) = pick(u, &[json!(false)]) {
        settings["capacity"] = json!({"enabled": enabled});
    }
    if let Some(on_failure) = pick(u, &[json!("accept"), json!("reject")]) {
        settings["onLookupFailure"] = on_failure;
    }
    settings
}

/// The admission request: `operation` 0 CREATE, 1 UPDATE from an older spec, 2 UPDATE that leaves the spec
/// as it was, 3 DELETE, 4 a scale of the object (a Deployment unless it says StatefulSet).
fn admission_request(operation: usize, object: Value, settings: &Value) -> Value {
    let kind = object["kind"].as_str().unwrap_or("NodePool").to_string();
    let group = match kind.as_str() {
        "PodDisruptionBudget" => "policy",
        "Deployment" | "StatefulSet" => "apps",
        _ => "karpenter.sh",
    };
    let name = object["metadata"]["name"].as_str().unwrap_or("fuzz").to_string();
    let namespace = object["metadata"]["namespace"].as_str().unwrap_or("default").to_string();
    let mut older = object.clone();
    if let Some(spec) = older.get_mut("spec").and_then(Value::as_object_mut) {
        let first = spec.keys().next().cloned();
        first.map(|key| spec.remove(&key));
    }
    let (operation, resource, gvk, object, old) = match operation {
        0 => ("CREATE", "x", json!({"group": group, "version": "v1", "kind": kind}), object, Value::Null),
        1 => ("UPDATE", "x", json!({"group": group, "version": "v1", "kind": kind}), object, older),
        2 => ("UPDATE", "x", json!({"group": group, "version": "v1", "kind": kind}), object.clone(), object),
        3 => ("DELETE", "x", json!({"group": group, "version": "v1", "kind": kind}), Value::Null, object),
        _ => {
            let replicas = object["spec"]["replicas"].clone();
            let scale = |replicas: Value| {
                json!({"apiVersion": "autoscaling/v1", "kind": "Scale",
                       "metadata": {"name": name, "namespace": namespace}, "spec": {"replicas": replicas}})
            };
            let resource = if kind == "StatefulSet" { "statefulsets" } else { "deployments" };
            let gvk = json!({"group": "autoscaling", "version": "v1", "kind": "Scale"});
            ("UPDATE", resource, gvk, scale(replicas), scale(json!(3)))
        }
    };
    json!({"settings": settings, "request": {
        "uid": "fuzz", "kind": gvk, "resource": {"group": group, "version": "v1", "resource": resource},
        "subResource": if resource == "x" { Value::Null } else { json!("scale") },
        "requestKind": gvk, "requestResource": {"group": group, "version": "v1", "resource": resource},
        "name": name, "namespace": namespace, "operation": operation, "userInfo": {},
        "object": object, "oldObject": old, "dryRun": false, "options": {}}})
}

/// What the host answers: a list per kind, or one hostile answer for every call.
struct Cluster {
    lists: Value,
    hostile: Hostile,
}

enum Hostile {
    None,
    Fails,
    NotAList,
    NullItems,
}

impl Cluster {
    fn new(u: &mut Unstructured, object: &Value) -> Cluster {
        let hostile = match u.choose_index(8).unwrap_or(0) {
            0 => Hostile::Fails,
            1 => Hostile::NotAList,
            2 => Hostile::NullItems,
            _ => Hostile::None,
        };
        // The labels the object selects or carries, so that generated pods and PDBs match it.
        let labels = [
            &object["spec"]["selector"]["matchLabels"],
            &object["spec"]["template"]["metadata"]["labels"],
            &object["metadata"]["labels"],
        ]
        .into_iter()
        .find(|l| l.is_object())
        .cloned()
        .unwrap_or_else(|| json!({"app": "web"}));
        let name = object["metadata"]["name"].clone();
        let namespace = object["metadata"]["namespace"].as_str().unwrap_or("default").to_string();
        let pool = if object["kind"] == "NodePool" { name.clone() } else { json!("general-purpose") };
        let huge = u.ratio(1, 16).unwrap_or(false);
        let count = |u: &mut Unstructured| if huge { 20_000 } else { u.choose_index(40).unwrap_or(0) };
        let (nodes, pods, others) = (count(u), count(u), u.choose_index(6).unwrap_or(0));
        // One item of each kind is odd: its labels null, a list, or missing; its numbers out of range.
        let odd_labels = [json!(null), json!(["app", "web"]), json!({"app": null}), labels.clone()]
            [u.choose_index(4).unwrap_or(3)]
        .clone();
        let odd_number = [json!(null), json!(1e18), json!(1_000_000_000_000u64), json!(-1), json!("many"), json!(3)]
            [u.choose_index(6).unwrap_or(5)]
            .clone();
        let labels_of = |i: usize| if i == 0 { odd_labels.clone() } else { labels.clone() };
        let node = |i: usize| json!({"metadata": {"name": format!("n{i}"), "labels": {"karpenter.sh/nodepool": pool}}});
        let pod = |i: usize| {
            json!({"metadata": {"name": format!("p{i}"), "namespace": namespace, "labels": labels_of(i)},
                   "spec": {"nodeName": format!("n{}", i % nodes.max(1))}})
        };
        let pdb = |i: usize| {
            let min = if i == 0 { odd_number.clone() } else { json!("50%") };
            json!({"metadata": {"name": format!("pdb{i}"), "namespace": namespace, "labels": labels_of(i)},
                   "spec": {"minAvailable": min, "selector": {"matchLabels": labels_of(i)}}})
        };
        let workload = |i: usize| {
            let replicas = if i == 0 { odd_number.clone() } else { json!(3) };
            json!({"metadata": {"name": format!("w{i}"), "namespace": namespace},
                   "spec": {"replicas": replicas, "selector": {"matchLabels": labels_of(i)},
                            "template": {"metadata": {"labels": labels_of(i)}}}})
        };
        let hpa = |i: usize| {
            json!({"metadata": {"name": format!("hpa{i}")},
                   "spec": {"minReplicas": odd_number, "scaleTargetRef": {"kind": "Deployment", "name": format!("w{i}")}}})
        };
        let pool_item = |i: usize| {
            json!({"metadata": {"name": if i == 0 { pool.clone() } else { json!(format!("pool{i}")) }},
                   "spec": {"disruption": {"budgets": [{"nodes": "10%"}]}}, "status": {"nodes": odd_number}})
        };
        let list = |n: usize, item: &dyn Fn(usize) -> Value| Value::Array((0..n).map(item).collect());
        // A list of the wrong kind: what the host would answer for a misconfigured request.
        let wrong_kind = u.ratio(1, 8).unwrap_or(false);
        let lists = json!({
            "Node": list(nodes, &node),
            "Pod": if wrong_kind { list(nodes, &node) } else { list(pods, &pod) },
            "PodDisruptionBudget": list(others, &pdb),
            "Deployment": list(others, &workload),
            "StatefulSet": list(others.min(1), &workload),
            "HorizontalPodAutoscaler": list(others.min(2), &hpa),
            "NodePool": list(others.min(3), &pool_item),
        });
        Cluster { lists, hostile }
    }

    fn answer(&self, _operation: &str, request: &[u8]) -> Result<Vec<u8>, String> {
        let request: Value = serde_json::from_slice(request).map_err(|e| e.to_string())?;
        let kind = request["kind"].as_str().unwrap_or_default();
        let answer = match self.hostile {
            Hostile::Fails => return Err("forbidden".to_string()),
            Hostile::NotAList => json!("<html>"),
            Hostile::NullItems => json!({"items": null}),
            Hostile::None => json!({"kind": format!("{kind}List"), "items": self.lists[kind]}),
        };
        Ok(answer.to_string().into_bytes())
    }
}
