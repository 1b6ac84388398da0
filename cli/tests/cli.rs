//! The `disruption-guard` binary on the example manifests in examples/.

// Test code: a panic is a failed test, with the reason in its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Output};

use serde_json::Value;

use disruption_guard_engine::testkit::INCIDENT_RFC3339 as NOW;

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_disruption-guard"))
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A fresh directory of this test binary, `tag` keeping tests that run at once apart.
fn scratch(tag: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("dg-cli-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn freeze_prints_one_utc_budget_per_offset() {
    let o = run(&[
        "freeze",
        "--timezone",
        "Europe/Berlin",
        "--days",
        "Mon-Fri",
        "--start",
        "09:00",
        "--end",
        "18:00",
        "--now",
        NOW,
    ]);
    assert!(o.status.success());
    let text = stdout(&o);
    assert!(text.ends_with(
        "budgets:\n- nodes: \"0\"\n  schedule: \"0 7 * * 1-5\"\n  duration: 9h\n- nodes: \"0\"\n  schedule: \"0 8 * * 1-5\"\n  duration: 9h\n"
    ), "{text}");
    let sydney = stdout(&run(&[
        "freeze",
        "--timezone",
        "Australia/Sydney",
        "--now",
        NOW,
    ]));
    assert!(
        sydney.contains("\"0 22 * * 0-4\"") && sydney.contains("\"0 23 * * 0-4\""),
        "{sydney}"
    );
    let reasons = stdout(&run(&[
        "freeze",
        "--timezone",
        "Asia/Seoul",
        "--reasons",
        "Empty,Underutilized",
        "--now",
        NOW,
    ]));
    assert!(
        reasons.contains("reasons: [Underutilized, Empty]"),
        "{reasons}"
    );
}

#[test]
fn freeze_allow_only_prints_the_budgets_around_maintenance_windows() {
    let berlin = |windows: &[&str]| {
        let mut args = vec!["freeze", "--timezone", "Europe/Berlin", "--now", NOW];
        for w in windows {
            args.extend(["--allow-only", w]);
        }
        run(&args)
    };
    let o = berlin(&["Sat 02:00-06:00"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.starts_with(
            "# Freezes the time outside the maintenance windows (Sat 02:00-06:00 Europe/Berlin); schedules are \
             UTC, one budget per UTC offset.\n# Europe/Berlin's clocks change by 1h: each window opens for its \
             length less 1h all year.\n"
        ),
        "{text}"
    );
    assert!(
        text.ends_with("budgets:\n- nodes: \"0\"\n  schedule: \"0 4 * * 6\"\n  duration: 165h\n"),
        "{text}"
    );
    // Two windows: two frozen stretches, Wed 03:00 → Sat 02:00 (one budget per offset: no clock change
    // falls inside it) and Sat 06:00 → Wed 01:00 (one budget across both, as above).
    let two = stdout(&berlin(&["Sat 02:00-06:00", "Wed 01:00-03:00"]));
    let schedules: Vec<&str> = two
        .lines()
        .filter(|l| l.starts_with("  schedule"))
        .collect();
    assert_eq!(
        schedules,
        [
            "  schedule: \"0 1 * * 3\"",
            "  schedule: \"0 2 * * 3\"",
            "  schedule: \"0 4 * * 6\""
        ],
        "{two}"
    );
    assert!(two.ends_with("  duration: 92h\n"), "{two}");
    // Where clocks do not change, no note.
    let seoul = stdout(&run(&[
        "freeze",
        "--timezone",
        "Asia/Seoul",
        "--allow-only",
        "Sat,Sun 22:00-04:00",
        "--now",
        NOW,
    ]));
    assert!(!seoul.contains("clocks change"), "{seoul}");
    assert!(
        seoul.contains("schedule: \"0 19 * * 0\"\n  duration: 138h"),
        "{seoul}"
    );
    // A window written wrong, or one the clock change would close, exits 2 with the reason.
    let o = berlin(&["Sat 2-6"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("invalid time"), "{}", stderr(&o));
    let o = berlin(&["Sat 02:00-03:00"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("would never open"), "{}", stderr(&o));
    let o = run(&[
        "freeze",
        "--timezone",
        "UTC",
        "--allow-only",
        "Sat 02:00-06:00",
        "--days",
        "Mon",
    ]);
    assert_eq!(o.status.code(), Some(2), "--allow-only and --days conflict");
}

#[test]
fn timeline_with_settings_draws_the_maintenance_windows() {
    let o = run(&[
        "timeline",
        "examples/manifests/nodepool-fixed.yaml",
        "--settings",
        "examples/settings-berlin-maintenance.yaml",
        "--nodes",
        "30",
        "--now",
        NOW,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains("by local hour (Europe/Berlin)"),
        "the settings' zone: {text}"
    );
    let windows = text
        .split("Maintenance windows (# = open), Europe/Berlin\n")
        .nth(1)
        .expect("the windows grid");
    let saturday = windows
        .lines()
        .find(|l| l.starts_with("Sat "))
        .expect("a Saturday row");
    let cells: Vec<&str> = saturday.split_whitespace().skip(2).collect();
    assert_eq!(cells.len(), 24);
    assert_eq!(
        cells.iter().positions_of("#"),
        [2, 3, 4, 5],
        "02:00-06:00 open: {saturday}"
    );
    let friday = windows.lines().find(|l| l.starts_with("Fri ")).unwrap();
    assert!(!friday.contains('#'), "{friday}");
    // Another zone cannot draw them on its clock, and says so.
    let o = run(&[
        "timeline",
        "examples/manifests/nodepool-fixed.yaml",
        "--settings",
        "examples/settings-berlin-maintenance.yaml",
        "--timezone",
        "Asia/Seoul",
        "--now",
        NOW,
    ]);
    assert!(stdout(&o).contains("(shown on their own clock only: --timezone Europe/Berlin)"));
}

trait Positions {
    fn positions_of(self, value: &str) -> Vec<usize>;
}

impl<'a, I: Iterator<Item = &'a &'a str>> Positions for I {
    fn positions_of(self, value: &str) -> Vec<usize> {
        self.enumerate()
            .filter(|(_, c)| **c == value)
            .map(|(i, _)| i)
            .collect()
    }
}

#[test]
fn freeze_refuses_bad_input_with_exit_2() {
    let o = run(&["freeze", "--timezone", "Mars/Olympus"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("unknown time zone \"Mars/Olympus\""));
    let o = run(&["freeze", "--timezone", "UTC", "--days", "Sun-Mon"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn timeline_shows_the_frozen_business_hours() {
    let o = run(&[
        "timeline",
        "examples/manifests/nodepool-fixed.yaml",
        "--timezone",
        "Asia/Seoul",
        "--nodes",
        "30",
        "--now",
        NOW,
    ]);
    assert!(o.status.success());
    let text = stdout(&o);
    let tuesday = text
        .lines()
        .find(|l| l.starts_with("Tue 2026-11-24"))
        .expect("a Tuesday row");
    let cells: Vec<&str> = tuesday.split_whitespace().skip(2).collect();
    assert_eq!(cells.len(), 24);
    assert_eq!(
        &cells[8..10],
        ["3", "0"],
        "10% of 30 until 09:00 KST, then frozen"
    );
    assert_eq!(&cells[17..19], ["0", "3"]);
    let incident = stdout(&run(&[
        "timeline",
        "examples/manifests/nodepool-incident.yaml",
        "--nodes",
        "30",
        "--now",
        NOW,
    ]));
    assert!(
        incident
            .lines()
            .filter(|l| l.starts_with("Tue"))
            .all(|l| l.split_whitespace().skip(2).all(|c| c == "30"))
    );
}

#[test]
fn check_rejects_the_incident_and_exits_1() {
    let o = run(&[
        "check",
        "examples/manifests/nodepool-incident.yaml",
        "--settings",
        "examples/settings-seoul.yaml",
        "--now",
        NOW,
    ]);
    assert_eq!(o.status.code(), Some(1));
    let text = stdout(&o);
    assert!(
        text.contains(
            "nodepool-consolidation-policy, nodepool-consolidate-after, nodepool-budget-max"
        ),
        "{text}"
    );
    assert!(text.contains("Fix: set spec.disruption.consolidateAfter: 5m"));
}

/// v1beta1's place for expireAfter, or a field of a newer Karpenter: a warning with the fix, never a failure.
#[test]
fn check_warns_about_a_field_the_crd_does_not_define() {
    let manifest = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/manifests/nodepool-fixed.yaml"
    ))
    .unwrap();
    let with_unknown = manifest.replacen(
        "    consolidateAfter: 5m\n",
        "    consolidateAfter: 5m\n    expireAfter: 720h\n",
        1,
    );
    assert_ne!(
        with_unknown, manifest,
        "the manifest has a consolidateAfter to follow"
    );
    let path = scratch("unknown-field").join("nodepool.yaml");
    std::fs::write(&path, with_unknown).unwrap();
    let o = run(&[
        "check",
        path.to_str().unwrap(),
        "--settings",
        "examples/settings-seoul.yaml",
        "--now",
        NOW,
    ]);
    let text = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{text}");
    assert!(
        text.contains("[nodepool-crd-unknown-field] spec.disruption.expireAfter = \"720h\"")
            && text.contains("move it to spec.template.spec.expireAfter"),
        "{text}"
    );
}

#[test]
fn check_against_a_cluster_snapshot_as_json() {
    let o = run(&[
        "check",
        "examples/manifests/nodepool-fixed.yaml",
        "examples/cluster.yaml",
        "--settings",
        "examples/settings-seoul.yaml",
        "--output",
        "json",
        "--now",
        NOW,
    ]);
    assert_eq!(o.status.code(), Some(1), "report-generator has no PDB");
    let items: Vec<Value> = serde_json::from_slice(&o.stdout).expect("JSON output");
    let verdict = |kind: &str, name: &str| {
        items
            .iter()
            .find(|i| i["kind"] == kind && i["name"] == name)
            .map(|i| i["verdict"].as_str().unwrap_or_default().to_string())
    };
    assert_eq!(
        verdict("NodePool", "general-purpose").as_deref(),
        Some("accepted")
    );
    assert_eq!(
        verdict("Deployment", "report-generator").as_deref(),
        Some("rejected")
    );
    assert_eq!(
        verdict("Deployment", "api-gateway").as_deref(),
        Some("accepted")
    );
    let report = items
        .iter()
        .find(|i| i["name"] == "report-generator")
        .unwrap();
    assert_eq!(report["findings"][0]["rule"], "workload-missing-pdb");
}

/// The example cluster's general-purpose nodes were created every 4 hours from 2026-10-26 00:17 UTC: at
/// the outage's instant, 9 of them will reach expireAfter (720h) inside Seoul business hours.
#[test]
fn check_forecasts_expiry_inside_business_hours_from_a_snapshot() {
    let args = |settings: &str| {
        vec![
            "check".to_string(),
            "examples/manifests/nodepool-fixed.yaml".into(),
            "--cluster".into(),
            "examples/cluster.yaml".into(),
            "--settings".into(),
            settings.to_string(),
            "--now".into(),
            NOW.into(),
        ]
    };
    let strs = |a: &[String]| a.iter().map(String::as_str).collect::<Vec<_>>().join(" ");
    let o = run(&args("examples/settings-seoul.yaml")
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>());
    let text = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "a warning by default: {text}");
    assert!(
        text.contains(
            "[nodepool-expiry-forecast] spec.template.spec.expireAfter = \"720h\": 9 of the pool's 30 nodes \
             reach expireAfter inside business hours (Mon,Tue,Wed,Thu,Fri 09:00-18:00 Asia/Seoul) in the next \
             30 days: gp-01 at Wed 2026-11-25 09:17 KST; gp-02 at Wed 2026-11-25 13:17 KST; gp-03 at Wed \
             2026-11-25 17:17 KST; gp-07 at Thu 2026-11-26 09:17 KST; gp-08 at Thu 2026-11-26 13:17 KST; and 4 more."
        ),
        "{text}"
    );
    // With expiryForecast: reject, the same pool is rejected for it.
    let dir = scratch("expiry");
    let strict = dir.join("settings.yaml");
    let seoul = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/settings-seoul.yaml"),
    )
    .unwrap();
    std::fs::write(&strict, format!("{seoul}  expiryForecast: reject\n")).unwrap();
    let strict_args = args(strict.to_str().unwrap());
    let o = run(&strict_args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}: {}",
        strs(&strict_args),
        stdout(&o)
    );
    assert!(
        stdout(&o).contains("rejected  nodepool-expiry-forecast"),
        "{}",
        stdout(&o)
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn timeline_with_a_cluster_shows_when_the_nodes_expire() {
    let o = run(&[
        "timeline",
        "examples/manifests/nodepool-fixed.yaml",
        "--timezone",
        "Asia/Seoul",
        "--cluster",
        "examples/cluster.yaml",
        "--now",
        NOW,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    let expiry = text
        .split("Expiry: of the pool's 30 nodes, how many reach expireAfter in that hour")
        .nth(1)
        .expect("the expiry rows");
    let wednesday = expiry
        .lines()
        .find(|l| l.starts_with("Wed 2026-11-25"))
        .unwrap();
    let cells: Vec<&str> = wednesday.split_whitespace().skip(2).collect();
    let hours: Vec<usize> = (0..24).filter(|&h| cells[h] != ".").collect();
    assert_eq!(hours, [9, 13, 17, 21], "{wednesday}");
    assert!(cells.iter().all(|c| *c == "." || *c == "1"));
    let tuesday = expiry
        .lines()
        .find(|l| l.starts_with("Tue 2026-11-24"))
        .unwrap();
    assert!(
        !tuesday.split_whitespace().skip(2).any(|c| c != "."),
        "{tuesday}"
    );
}

#[test]
fn check_reproduces_the_outage_from_a_snapshot() {
    // The fixed pool moved onto the batch nodes: report-generator has 2 of its 3 pods on one node.
    let dir = scratch("outage");
    let pool = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/manifests/nodepool-fixed.yaml"
    ))
    .unwrap()
    .replace("name: general-purpose", "name: batch");
    let path = dir.join("batch.yaml");
    std::fs::write(&path, pool).unwrap();
    let o = run(&[
        "check",
        path.to_str().unwrap(),
        "examples/cluster.yaml",
        "--settings",
        "examples/settings-seoul.yaml",
        "--now",
        NOW,
    ]);
    let text = stdout(&o);
    assert!(
        text.contains("[nodepool-capacity]")
            && text.contains("report-generator: 3 replicas on 2 nodes, floor 2"),
        "{text}"
    );
}

#[test]
fn check_refuses_bad_settings_and_missing_files() {
    let o = run(&[
        "check",
        "examples/manifests/nodepool-fixed.yaml",
        "--settings",
        "Cargo.toml",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let o = run(&["check", "no/such/file.yaml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no/such/file.yaml"));
}

#[test]
fn check_fails_when_there_is_nothing_to_check() {
    let dir = scratch("nothing");
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    };
    let empty = write("empty.yaml", "");
    let config_map = write(
        "cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
    );
    let list = write("list.yaml", "- a\n- b\n");
    for file in [&empty, &config_map, &list] {
        let o = run(&["check", file]);
        assert_eq!(o.status.code(), Some(2), "{file}: {}", stdout(&o));
        let err = stderr(&o);
        assert!(
            err.contains("nothing to check in") || err.contains(file.as_str()),
            "{file}: {err}"
        );
    }
    let o = run(&["check", &config_map]);
    assert!(stderr(&o).contains("no NodePool, PodDisruptionBudget, Deployment or StatefulSet"));
    // An empty settings file is the defaults, as in the policy.
    let o = run(&[
        "check",
        "examples/manifests/nodepool-fixed.yaml",
        "--settings",
        &empty,
        "--now",
        NOW,
    ]);
    assert_ne!(o.status.code(), Some(2), "{}", stderr(&o));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_bad_now_says_what_to_write() {
    let o = run(&[
        "check",
        "examples/manifests/nodepool-fixed.yaml",
        "--now",
        "2026-13-01",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("--now \"2026-13-01\" is not an RFC 3339 instant")
            && err.contains("e.g. 2026-11-24T15:43:00+09:00"),
        "{err}"
    );
}

#[test]
fn check_against_a_cluster_checks_only_the_files_and_a_manifest_replaces_the_snapshots_copy() {
    let args = |cluster_flag: bool| {
        let mut a = vec!["check", "examples/manifests/nodepool-fixed.yaml"];
        if cluster_flag {
            a.push("--cluster");
        }
        a.extend([
            "examples/cluster.yaml",
            "--settings",
            "examples/settings-seoul.yaml",
            "--output",
            "json",
            "--now",
            NOW,
        ]);
        a
    };
    let o = run(&args(true));
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let items: Vec<Value> = serde_json::from_slice(&o.stdout).expect("JSON output");
    let names: Vec<&str> = items.iter().filter_map(|i| i["name"].as_str()).collect();
    assert_eq!(names, ["general-purpose"], "only the manifest is checked");
    // Both as files: everything is checked, the snapshot's general-purpose replaced by the manifest's.
    let o = run(&args(false));
    let items: Vec<Value> = serde_json::from_slice(&o.stdout).expect("JSON output");
    let pools = items
        .iter()
        .filter(|i| i["kind"] == "NodePool" && i["name"] == "general-purpose")
        .count();
    assert_eq!(pools, 1);
    assert!(items.iter().any(|i| i["name"] == "report-generator"));
    let err = stderr(&o);
    assert!(
        err.contains("examples/cluster.yaml:")
            && err.contains("NodePool general-purpose was read before"),
        "{err}"
    );
}

#[test]
fn check_writes_junit_with_the_file_and_line_of_each_object() {
    let dir = scratch("junit");
    let fixed = dir.join("fixed.yaml");
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/manifests/nodepool-fixed.yaml"
    ))
    .unwrap();
    let renamed = text.replace("name: general-purpose", "name: fixed");
    std::fs::write(&fixed, format!("# a comment\n---\n{renamed}")).unwrap();
    let o = run(&[
        "check",
        "examples/manifests/nodepool-incident.yaml",
        fixed.to_str().unwrap(),
        "--settings",
        "examples/settings-seoul.yaml",
        "--output",
        "junit",
        "--now",
        NOW,
    ]);
    assert_eq!(o.status.code(), Some(1));
    let xml = stdout(&o);
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"disruption-guard\" tests=\"2\" failures=\"1\">"), "{xml}");
    let incident_line = first_content_line("examples/manifests/nodepool-incident.yaml");
    assert!(
        xml.contains(&format!(
            r#"<testcase classname="NodePool" name="general-purpose" file="examples/manifests/nodepool-incident.yaml" line="{incident_line}">"#
        )),
        "{xml}"
    );
    assert!(
        xml.contains(r#"<failure type="nodepool-consolidation-policy" message="nodepool-consolidation-policy, nodepool-consolidate-after, nodepool-budget-max"#),
        "{xml}"
    );
    assert!(
        xml.contains("Fix: set spec.disruption.consolidateAfter: 5m"),
        "{xml}"
    );
    let fixed_line = 2 + first_content_line("examples/manifests/nodepool-fixed.yaml");
    assert!(
        xml.contains(&format!(
            r#"<testcase classname="NodePool" name="fixed" file="{}" line="{fixed_line}"/>"#,
            fixed.display()
        )),
        "{xml}"
    );
    assert!(
        !xml.contains("\"WhenEmptyOrUnderutilized\""),
        "quotes are escaped: {xml}"
    );
    assert!(xml.trim_end().ends_with("</testsuites>"));
    std::fs::remove_dir_all(&dir).ok();
}

/// The 1-based line of the first line that is neither blank, a comment nor `---`.
fn first_content_line(path: &str) -> usize {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../").to_string() + path)
            .unwrap();
    text.lines()
        .position(|l| !l.trim().is_empty() && !l.starts_with('#') && l.trim() != "---")
        .unwrap()
        + 1
}

#[test]
fn settings_errors_are_named_all_at_once_with_their_lines() {
    let dir = scratch("settings");
    let path = dir.join("settings.yaml");
    let file = path.display().to_string();
    let write_and_check = |text: &str| {
        std::fs::write(&path, text).unwrap();
        let o = run(&[
            "check",
            "examples/manifests/nodepool-fixed.yaml",
            "--settings",
            &file,
        ]);
        assert_eq!(o.status.code(), Some(2));
        stderr(&o)
    };
    let err = write_and_check(
        "businessHours:\n  timezone: asia/seoul\n  days: [Mon]\nnodePools:\n  maxBudgetNode: 10%\n  \
         minConsolidateAfter: 5 minutes\nworkloads:\n  antiAffinity: Required\n",
    );
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(
        lines[0],
        format!("disruption-guard: {file}: 4 problems in the settings"),
        "{err}"
    );
    // In the file's order, each with its own line and the near miss.
    for (line, expected) in lines[1..].iter().zip([
        ":2: businessHours.timezone: unknown time zone \"asia/seoul\": did you mean \"Asia/Seoul\"?",
        ":5: nodePools.maxBudgetNode: unknown field `maxBudgetNode`",
        ":6: nodePools.minConsolidateAfter: invalid duration \"5 minutes\"",
        ":8: workloads.antiAffinity: unknown variant `Required`",
    ]) {
        assert!(line.starts_with(&format!("{file}{expected}")), "{line}\nwant {expected}");
    }
    assert!(
        lines[2].ends_with("did you mean `maxBudgetNodes`?"),
        "{err}"
    );
    assert!(lines[4].ends_with("did you mean `required`?"), "{err}");
    assert_eq!(lines.len(), 5, "{err}");
    // One problem: one line. A cross-field problem points at its key too.
    let err = write_and_check("nodePools:\n  allowedConsolidationPolicies: []\n");
    assert_eq!(
        err.trim_end(),
        format!(
            "disruption-guard: {file}:2: nodePools.allowedConsolidationPolicies is empty: no NodePool could \
             ever be admitted; list at least one of WhenEmpty, WhenEmptyOrUnderutilized, Balanced"
        )
    );
    // A YAML syntax error keeps the parser's own line and column.
    let err = write_and_check("nodePools:\n  maxBudgetNodes: [10%\n");
    assert!(
        err.contains(&format!("{file}: ")) && err.contains("line "),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// Words as a shell splits them, with "double-quoted" words kept whole.
fn shell_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    for (i, part) in text.split('"').enumerate() {
        if i % 2 == 1 {
            words.push(part.to_string());
        } else {
            words.extend(part.split_whitespace().map(str::to_string));
        }
    }
    words
}

/// The README's CLI commands, as written, each optional `[--flag a|b]` tried with every value.
#[test]
fn the_readme_commands_run_as_written() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let commands: Vec<String> = readme
        .split("```sh\n")
        .skip(1)
        .filter_map(|block| block.split("\n```").next())
        .flat_map(|block| {
            block
                .replace("\\\n", " ")
                .lines()
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .filter(|line| line.starts_with("disruption-guard "))
        .collect();
    assert!(commands.len() >= 3, "{commands:?}");
    for command in commands {
        let (mut base, mut options) = (Vec::new(), Vec::new());
        let mut rest = command.trim_start_matches("disruption-guard ");
        while let Some(open) = rest.find('[') {
            base.extend(shell_words(&rest[..open]));
            let close = open + rest[open..].find(']').expect("closed");
            options.push(rest[open + 1..close].to_string());
            rest = &rest[close + 1..];
        }
        base.extend(shell_words(rest));
        let mut variants = vec![base.clone()];
        for option in &options {
            let mut words = option.split_whitespace();
            let flag = words.next().unwrap_or_default();
            for value in words.next().unwrap_or_default().split('|') {
                let mut v = base.clone();
                v.extend([flag.to_string(), value.to_string()]);
                variants.push(v);
            }
        }
        for args in variants {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let o = run(&args);
            assert_eq!(
                o.status.code(),
                Some(0),
                "{args:?}: {}{}",
                stdout(&o),
                stderr(&o)
            );
        }
    }
}
