//! NodePool admission through the compiled policy.wasm.

// Test code: a panic is a failed test, with the reason in its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use e2e_tests::{Policy, admission_request, read_yaml, seoul};

/// The example cluster (with its 30 general-purpose nodes) answers the capacity calculator's lookups.
fn policy() -> Policy {
    Policy::with_cluster(&read_yaml("examples/cluster.yaml"))
}
use serde_json::{Value, json};

fn example(name: &str) -> Value {
    read_yaml(&format!("examples/requests/{name}.json"))
}

fn budgets(v: &Value) -> Value {
    v["spec"]["disruption"]["budgets"].clone()
}

#[test]
fn the_incident_pool_is_rejected_naming_all_three_fields() {
    let verdict = policy().validate(&seoul(), &example("nodepool-incident"));
    assert!(!verdict.accepted);
    let message = verdict.message.expect("a rejection message");
    for needle in [
        "spec.disruption.consolidationPolicy = \"WhenEmptyOrUnderutilized\"",
        "spec.disruption.consolidateAfter = \"30s\"",
        "spec.disruption.budgets[0].nodes = \"100%\"",
        "[nodepool-consolidation-policy]",
        "[nodepool-consolidate-after]",
        "[nodepool-budget-max]",
        "Fix: set spec.disruption.consolidationPolicy: WhenEmpty",
        "Fix: set spec.disruption.consolidateAfter: 5m",
        "Fix: set spec.disruption.budgets[0].nodes: \"10%\"",
    ] {
        assert!(
            message.contains(needle),
            "missing {needle:?} in:\n{message}"
        );
    }
    // Mutation would add the business-hours freeze, not fix the budget: only that finding says so.
    let repaired = "(disruption-guard adds this itself once the other problems are fixed)";
    let line = |rule: &str| {
        let start = message.find(rule).expect("the finding");
        let end = message[start + 1..]
            .find("\n- [")
            .map_or(message.len(), |e| start + 1 + e);
        &message[start..end]
    };
    assert!(
        line("[nodepool-business-hours-freeze]").contains(repaired),
        "{message}"
    );
    assert!(
        !line("[nodepool-budget-max]").contains(repaired),
        "{message}"
    );
}

#[test]
fn the_fixed_pool_is_accepted_unchanged() {
    let verdict = policy().validate(&seoul(), &example("nodepool-fixed"));
    assert!(verdict.accepted, "{:?}", verdict.message);
    assert_eq!(
        verdict.mutated_object, None,
        "it already has everything: no patch"
    );
    assert!(verdict.warnings.is_empty());
}

#[test]
fn a_freeze_written_in_local_time_gets_the_utc_one_added() {
    let request = example("nodepool-utc-freeze");
    let verdict = policy().validate(&seoul(), &request);
    assert!(verdict.accepted, "{:?}", verdict.message);
    let mutated = verdict.mutated_object.expect("mutated");
    let mut expected = budgets(&request["object"]);
    expected
        .as_array_mut()
        .unwrap()
        .push(json!({"nodes": "0", "schedule": "0 0 * * 1-5", "duration": "9h"}));
    assert_eq!(budgets(&mutated), expected);
    assert!(
        verdict.warnings[0].contains("business-hours freeze"),
        "{:?}",
        verdict.warnings
    );
}

fn freeze_only(zone: &str) -> Vec<Value> {
    let mut request = example("nodepool-fixed");
    request["object"]["spec"]["disruption"]["budgets"] = json!([{"nodes": "10%"}]);
    let settings = json!({"businessHours": {"timezone": zone}, "nodePools": {"allowedConsolidationPolicies": ["WhenEmpty"]}});
    let verdict = policy().validate(&settings, &request);
    assert!(verdict.accepted, "{zone}: {:?}", verdict.message);
    let mutated = verdict.mutated_object.expect("mutated");
    // The mutated object passes validation on its own.
    let again = policy().validate(&settings, &admission_request(&mutated, "CREATE"));
    assert!(
        again.accepted && again.mutated_object.is_none(),
        "{zone}: {:?}",
        again.message
    );
    budgets(&mutated).as_array().unwrap()[1..].to_vec()
}

#[test]
fn freeze_injection_for_seoul() {
    assert_eq!(
        freeze_only("Asia/Seoul"),
        [json!({"nodes": "0", "schedule": "0 0 * * 1-5", "duration": "9h"})]
    );
}

#[test]
fn freeze_injection_for_berlin_covers_both_dst_offsets() {
    assert_eq!(
        freeze_only("Europe/Berlin"),
        [
            json!({"nodes": "0", "schedule": "0 7 * * 1-5", "duration": "9h"}),
            json!({"nodes": "0", "schedule": "0 8 * * 1-5", "duration": "9h"}),
        ]
    );
}

#[test]
fn freeze_injection_for_los_angeles_runs_past_utc_midnight() {
    assert_eq!(
        freeze_only("America/Los_Angeles"),
        [
            json!({"nodes": "0", "schedule": "0 16 * * 1-5", "duration": "9h"}),
            json!({"nodes": "0", "schedule": "0 17 * * 1-5", "duration": "9h"}),
        ]
    );
}

/// The Berlin team's maintenance window (Saturdays 02:00-06:00): a pool with an always-on budget gets the
/// freeze of the rest of the week, which then passes on its own; without injection, it is rejected with
/// the budget to add.
#[test]
fn maintenance_windows_freeze_the_rest_of_the_week() {
    let settings = read_yaml("examples/settings-berlin-maintenance.yaml");
    let request = read_yaml("examples/requests/maintenance-windows/nodepool-general-purpose.json");
    let verdict = policy().validate(&settings, &request);
    assert!(verdict.accepted, "{:?}", verdict.message);
    let mutated = verdict.mutated_object.expect("mutated");
    assert_eq!(
        budgets(&mutated),
        json!([{"nodes": "10%"}, {"nodes": "0", "schedule": "0 4 * * 6", "duration": "165h"}])
    );
    assert_eq!(
        verdict.warnings,
        [
            "disruption-guard added a maintenance-window freeze budget: nodes \"0\", schedule \"0 4 * * 6\", \
          duration 165h (UTC, for all but Sat 02:00-06:00 Europe/Berlin)"
        ]
    );
    let again = policy().validate(&settings, &admission_request(&mutated, "CREATE"));
    assert!(
        again.accepted && again.mutated_object.is_none(),
        "{:?}",
        again.message
    );

    let mut validate_only = settings.clone();
    validate_only["nodePools"]["injectFreeze"] = json!(false);
    let verdict = policy().validate(&validate_only, &request);
    assert!(!verdict.accepted);
    let message = verdict.message.unwrap();
    for needle in [
        "[nodepool-maintenance-windows] spec.disruption.budgets = ",
        "the time outside the maintenance windows (Sat 02:00-06:00 Europe/Berlin) is not frozen for \
         Underutilized, Empty, Drifted: e.g. ",
        "schedule: \"0 4 * * 6\"\n    duration: 165h",
        "rules.md#nodepool-maintenance-windows",
    ] {
        assert!(
            message.contains(needle),
            "missing {needle:?} in:\n{message}"
        );
    }
}

/// policy.wasm reads the wall clock: a node created so that it reaches expireAfter (720h) at 10:00 KST on a
/// Wednesday 2 to 9 days from now expires inside Seoul business hours; one created 12 hours later does not.
/// The Node lookup alone serves the forecast when the capacity calculator is off.
#[test]
fn nodes_that_will_expire_in_business_hours_are_forecast() {
    use disruption_guard_engine::calendar::civil::civil_from_days;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        / 60;
    // Days since the epoch on the Seoul clock (UTC+9, no daylight saving); 1970-01-01 was a Thursday.
    let mut day = (now + 9 * 60) / 1440 + 2;
    while (day + 4) % 7 != 3 {
        day += 1;
    }
    let expiry = day * 1440 + 10 * 60 - 9 * 60;
    let rfc3339 = |minute: i64| {
        let (y, m, d) = civil_from_days(minute.div_euclid(1440));
        let t = minute.rem_euclid(1440);
        format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:00Z", t / 60, t % 60)
    };
    let node = |name: &str, created: i64| {
        json!({"metadata": {"name": name, "creationTimestamp": rfc3339(created),
            "labels": {"karpenter.sh/nodepool": "general-purpose"}}})
    };
    let cluster = json!({"Node": [
        node("expires-at-ten", expiry - 720 * 60),
        node("expires-at-night", expiry - 720 * 60 + 12 * 60),
    ]});
    let mut settings = seoul();
    settings["capacity"] = json!({"enabled": false});
    let (y, m, d) = civil_from_days(day);
    let at = format!("expires-at-ten at Wed {y:04}-{m:02}-{d:02} 10:00 KST");
    let verdict = Policy::with_cluster(&cluster).validate(&settings, &example("nodepool-fixed"));
    assert!(verdict.accepted, "{:?}", verdict.message);
    assert_eq!(verdict.warnings.len(), 1, "{:?}", verdict.warnings);
    let warning = &verdict.warnings[0];
    assert!(
        warning.starts_with("disruption-guard: [nodepool-expiry-forecast] spec.template.spec.expireAfter = \"720h\": 1 of the pool's 2 nodes"),
        "{warning}"
    );
    assert!(warning.contains(&at), "{at}: {warning}");
    assert!(!warning.contains("expires-at-night"), "{warning}");

    settings["nodePools"]["expiryForecast"] = json!("reject");
    let verdict = Policy::with_cluster(&cluster).validate(&settings, &example("nodepool-fixed"));
    assert!(!verdict.accepted);
    assert!(verdict.message.unwrap().contains(&at));
    // A host that refuses the Node list (no cluster here) leaves the forecast out, with a warning: it is
    // advice, and a policy resource without the calculator may not declare Nodes.
    settings["nodePools"]["expiryForecast"] = json!("warn");
    let verdict = Policy::new().validate(&settings, &example("nodepool-fixed"));
    assert!(verdict.accepted, "{:?}", verdict.message);
    assert!(
        verdict.warnings.len() == 1
            && verdict.warnings[0].starts_with("disruption-guard: expiry forecast skipped: "),
        "{:?}",
        verdict.warnings
    );
    settings["nodePools"]["expiryForecast"] = json!("off");
    let verdict = Policy::with_cluster(&cluster).validate(&settings, &example("nodepool-fixed"));
    assert!(
        verdict.accepted && verdict.warnings.is_empty(),
        "{:?}",
        verdict.warnings
    );
}

/// A static pool (`spec.replicas`) is never consolidated, so its consolidation fields are not judged; a
/// replica decrease, through the pool or `kubectl scale nodepool`, is admitted and warned about when it
/// drains more nodes at once than maxBudgetNodes.
#[test]
fn static_pools_skip_the_consolidation_rules_and_warn_on_large_decreases() {
    let mut static_pool = example("nodepool-incident")["object"].clone();
    static_pool["metadata"]["name"] = json!("static");
    static_pool["spec"]["replicas"] = json!(30);
    static_pool["spec"]["disruption"]["budgets"] =
        json!([{"nodes": "10%"}, {"nodes": "0", "schedule": "0 0 * * 1-5", "duration": "9h"}]);
    let verdict = policy().validate(&seoul(), &admission_request(&static_pool, "CREATE"));
    assert!(
        verdict.accepted,
        "WhenEmptyOrUnderutilized and 30s mean nothing here: {:?}",
        verdict.message
    );
    assert_eq!(verdict.mutated_object, None);

    let mut smaller = static_pool.clone();
    smaller["spec"]["replicas"] = json!(20);
    let mut update = admission_request(&smaller, "UPDATE");
    update["oldObject"] = static_pool.clone();
    let verdict = policy().validate(&seoul(), &update);
    assert!(verdict.accepted, "{:?}", verdict.message);
    assert_eq!(verdict.warnings.len(), 1, "{:?}", verdict.warnings);
    assert!(
        verdict.warnings[0].starts_with(
            "disruption-guard: static NodePool static: spec.replicas 30 → 20 drains 10 nodes at once, more than \
             nodePools.maxBudgetNodes (10% of 30 = 3)"
        ),
        "{}",
        verdict.warnings[0]
    );
    for (to, warned) in [(20, true), (27, false), (31, false)] {
        let scale = e2e_tests::scale_request("NodePool", "", "static", 30, to);
        let verdict = policy().validate(&seoul(), &scale);
        assert!(verdict.accepted, "{to}: {:?}", verdict.message);
        assert_eq!(
            !verdict.warnings.is_empty(),
            warned,
            "{to}: {:?}",
            verdict.warnings
        );
    }
}

#[test]
fn an_unparsable_schedule_is_rejected_with_the_robfig_error() {
    let verdict = policy().validate(&seoul(), &example("nodepool-unparsable-schedule"));
    assert!(!verdict.accepted);
    let message = verdict.message.unwrap();
    assert!(
        message.contains("[nodepool-schedule-unparsable]"),
        "{message}"
    );
    assert!(
        message.contains("beginning of range (6) beyond end of range (0)"),
        "{message}"
    );
}

#[test]
fn validate_only_settings_reject_instead_of_mutating() {
    let settings = read_yaml("examples/settings-seoul-validate-only.yaml");
    let verdict = policy().validate(&settings, &example("nodepool-utc-freeze"));
    assert!(!verdict.accepted);
    assert!(
        verdict
            .message
            .unwrap()
            .contains("schedule: \"0 0 * * 1-5\"")
    );
}

#[test]
fn update_and_delete() {
    let fixed = example("nodepool-fixed")["object"].clone();
    let mut update = admission_request(&fixed, "UPDATE");
    let mut old = fixed.clone();
    old["spec"]["replicas"] = json!(3);
    update["oldObject"] = old;
    let verdict = policy().validate(&seoul(), &update);
    assert!(!verdict.accepted);
    assert!(
        verdict
            .message
            .unwrap()
            .contains("Cannot transition NodePool between static")
    );
    let mut delete = admission_request(&example("nodepool-incident")["object"], "DELETE");
    delete["object"] = Value::Null;
    assert!(policy().validate(&seoul(), &delete).accepted);
}

#[test]
fn a_rejection_ends_with_the_links_of_the_rules_it_names() {
    let v = policy().validate(&seoul(), &example("nodepool-incident"));
    assert!(!v.accepted);
    let message = v.message.unwrap_or_default();
    let last = message.lines().last().unwrap_or_default();
    let base = "https://github.com/disruption-guard/disruption-guard/blob/main/docs/rules.md#";
    for rule in [
        "nodepool-consolidation-policy",
        "nodepool-consolidate-after",
        "nodepool-budget-max",
    ] {
        assert!(message.contains(&format!("[{rule}]")), "{message}");
        assert!(last.contains(&format!("{base}{rule}")), "{last}");
    }
    assert!(last.starts_with("Rules: "), "{last}");
}

/// A disruption block without consolidateAfter: required by Karpenter v1.14.1's CRD, `0s` after it.
#[test]
fn an_absent_consolidate_after_is_judged_as_the_newer_default_0s() {
    let mut request = example("nodepool-fixed");
    let disruption = request["object"]["spec"]["disruption"]
        .as_object_mut()
        .unwrap();
    disruption.remove("consolidateAfter");
    // The mutation writes the minimum, so an API server with v1.14.1's CRD stores the pool.
    let verdict = policy().validate(&seoul(), &request);
    assert!(verdict.accepted, "{:?}", verdict.message);
    let mutated = verdict.mutated_object.expect("mutated");
    assert_eq!(mutated["spec"]["disruption"]["consolidateAfter"], "5m");
    // Without the mutation, the 0s is judged like any other; the CRD is not blamed.
    let mut settings = seoul();
    settings["nodePools"]["injectDefaults"] = json!(false);
    let verdict = policy().validate(&settings, &request);
    let message = verdict.message.unwrap_or_default();
    assert!(!verdict.accepted);
    assert!(
        message.contains("[nodepool-consolidate-after] spec.disruption.consolidateAfter = (absent: Karpenter after v1.14.1 defaults it to \"0s\")"),
        "{message}"
    );
    assert!(!message.contains("[nodepool-crd-schema]"), "{message}");
    // Allowed by the settings, it only warns that v1.14.1's CRD requires the field.
    settings["nodePools"]["minConsolidateAfter"] = json!("0s");
    let verdict = policy().validate(&settings, &request);
    assert!(verdict.accepted, "{:?}", verdict.message);
    assert!(
        verdict.warnings.iter().any(|w| w.contains(
            "[nodepool-crd-newer-karpenter] spec.disruption.consolidateAfter = (absent): Karpenter v1.14.1's NodePool CRD"
        )),
        "{:?}",
        verdict.warnings
    );
}
