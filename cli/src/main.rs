//! `disruption-guard`: the policy's engine on the command line, for CI pipelines and people.

mod fix;
mod manifests;
mod settings_file;

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::Datelike as _;
use clap::{Parser, Subcommand, ValueEnum};
use disruption_guard_engine::admission::{self, Decision};
use disruption_guard_engine::calendar::spans::{MINUTES_PER_DAY, Minute, Span};
use disruption_guard_engine::calendar::weekly;
use disruption_guard_engine::calendar::year::horizon;
use disruption_guard_engine::calendar::zone::Zone;
use disruption_guard_engine::capacity;
use disruption_guard_engine::guards::nodepool::expiry;
use disruption_guard_engine::guards::nodepool::freeze::{freeze_budgets, utc_windows};
use disruption_guard_engine::karpenter::duration::format_budget_duration;
use disruption_guard_engine::karpenter::heatmap::{self, Cell};
use disruption_guard_engine::karpenter::nodepool::{ListedNodePool, NodePool, Reason, Reasons};
use disruption_guard_engine::kube::objects::{Cluster, Namespace};
use disruption_guard_engine::settings::{BusinessHours, FreezeSource, Settings};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Parser)]
#[command(
    name = "disruption-guard",
    version,
    about = "Stop Karpenter consolidation from taking services down"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check NodePools, PDBs, Deployments and StatefulSets with the policy's rules; the other objects in the
    /// files (Nodes, Pods, HPAs), and those of --cluster files (a `kubectl get
    /// nodepools,nodes,pods,pdb,deploy,sts,hpa -A -o json` snapshot), are the cluster they are checked against. Exits 1 when anything is rejected, 2 when nothing could be
    /// checked (bad input, or no object of those kinds).
    Check {
        /// Manifest files or directories (read recursively: .yaml, .yml, .json).
        files: Vec<PathBuf>,
        /// A cluster snapshot or manifests to check against, not to check (repeatable). An object in FILES
        /// replaces the snapshot's object of the same kind, namespace and name.
        #[arg(long = "cluster", value_name = "FILE")]
        clusters: Vec<PathBuf>,
        /// Policy settings (YAML or JSON), as in the policy resource.
        #[arg(long)]
        settings: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = Output::Table)]
        output: Output,
        /// Evaluation instant (RFC 3339); default: now.
        #[arg(long)]
        now: Option<String>,
    },
    /// Show a NodePool's week as days × hours: the nodes each reason may disrupt at once.
    Timeline {
        nodepool: PathBuf,
        /// IANA time zone of the rows and columns (default: the settings' business hours or maintenance
        /// windows zone, else UTC).
        #[arg(long)]
        timezone: Option<String>,
        /// Policy settings: their business hours or maintenance windows are shown above the reasons.
        #[arg(long)]
        settings: Option<PathBuf>,
        /// A cluster snapshot or manifests with the pool's Nodes: when each reaches expireAfter is shown
        /// (an "Expiry" row; expiration ignores budgets).
        #[arg(long = "cluster", value_name = "FILE")]
        clusters: Vec<PathBuf>,
        /// Pool size the percentages are resolved at (default: spec.replicas, else 10).
        #[arg(long)]
        nodes: Option<u64>,
        #[arg(long)]
        now: Option<String>,
    },
    /// Print the UTC budgets that freeze local business hours (DST-correct), as the mutation injects them;
    /// with --allow-only, the budgets that freeze everything but maintenance windows.
    Freeze {
        #[arg(long)]
        timezone: String,
        /// Days, as a range or list: Mon-Fri, Sat,Sun.
        #[arg(long, default_value = "Mon-Fri")]
        days: String,
        /// A maintenance window, "DAYS HH:MM-HH:MM" (e.g. "Sat 02:00-06:00", "Mon-Fri 22:00-04:00"),
        /// repeatable: allow disruption only inside the windows and freeze the rest of the week.
        #[arg(long = "allow-only", value_name = "WINDOW", conflicts_with_all = ["days", "start", "end"])]
        allow_only: Vec<String>,
        #[arg(long, default_value = "09:00")]
        start: String,
        #[arg(long, default_value = "18:00")]
        end: String,
        /// Reasons to freeze (default: all).
        #[arg(long, value_delimiter = ',')]
        reasons: Vec<String>,
        #[arg(long)]
        now: Option<String>,
    },
    /// Write what the policy would otherwise reject for: a PodDisruptionBudget for every replicated Deployment
    /// and StatefulSet that none covers (HPA minReplicas counted, never one that blocks drains), and per
    /// NodePool a JSON patch that adds the budgets and consolidateAfter the mutation injects. New files beside
    /// the manifests; never a change to a value already written. Prints a summary table.
    Fix {
        /// Manifest files or directories (read recursively).
        paths: Vec<PathBuf>,
        /// A cluster snapshot (`kubectl get nodepools,pdb,deploy,sts,hpa -A -o json`): the context the
        /// manifests are fixed in, or, without PATHS, what is fixed (repeatable).
        #[arg(long = "cluster", value_name = "FILE")]
        clusters: Vec<PathBuf>,
        #[arg(long)]
        settings: Option<PathBuf>,
        /// Write the files into DIR instead (PDBs under DIR/<namespace>/), or `-` for one YAML stream on
        /// stdout (the summary then goes to stderr).
        #[arg(long, value_name = "DIR")]
        output: Option<PathBuf>,
        /// Write nothing: print the summary and exit 1 if anything would be written (a CI gate).
        #[arg(long)]
        dry_run: bool,
        /// Add the written files to the nearest kustomization.yaml (`resources`, and `patches` for NodePools).
        #[arg(long)]
        kustomization: bool,
        #[arg(long)]
        now: Option<String>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Output {
    Table,
    Json,
    /// JUnit XML, which CI systems show as test results: a test case per object, with its file and line,
    /// failed with its rule ids when rejected.
    Junit,
}

/// Everything a command prints goes through here, then to stdout in one write: a closed pipe
/// (`disruption-guard … | head`) ends the output quietly instead of panicking.
macro_rules! out {
    ($buf:expr) => { $buf.push('\n') };
    ($buf:expr, $($arg:tt)*) => {{ $buf.push_str(&format!($($arg)*)); $buf.push('\n'); }};
}

fn main() -> ExitCode {
    let mut buf = String::new();
    let result = match Cli::parse().command {
        Command::Check {
            files,
            clusters,
            settings,
            output,
            now,
        } => check(&mut buf, &files, &clusters, settings, output, now),
        Command::Timeline {
            nodepool,
            timezone,
            settings,
            clusters,
            nodes,
            now,
        } => timeline(
            &mut buf,
            &nodepool,
            Context {
                timezone,
                settings,
                clusters,
            },
            nodes,
            now,
        ),
        Command::Freeze {
            timezone,
            days,
            allow_only,
            start,
            end,
            reasons,
            now,
        } => {
            let settings = if allow_only.is_empty() {
                business_hours(&timezone, &days, &start, &end)
            } else {
                maintenance_windows(&timezone, &allow_only)
            };
            settings.and_then(|s| freeze(&mut buf, &s, &reasons, now))
        }
        Command::Fix {
            paths,
            clusters,
            settings,
            output,
            dry_run,
            kustomization,
            now,
        } => load_settings(settings)
            .and_then(|settings| {
                Ok(fix::Options {
                    paths,
                    clusters,
                    settings,
                    output,
                    dry_run,
                    kustomization,
                    now: now_minute(now)?,
                })
            })
            .and_then(|opts| run_fix(&mut buf, &opts)),
    };
    let _ = std::io::Write::write_all(&mut std::io::stdout(), buf.as_bytes());
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("disruption-guard: {e}");
            ExitCode::from(2)
        }
    }
}

/// `fix`: the summary on stdout, or on stderr when stdout carries the stream; exit 1 for a `--dry-run`
/// that would write.
fn run_fix(buf: &mut String, opts: &fix::Options) -> Result<ExitCode, String> {
    let mut summary = String::new();
    let written = fix::run(opts, &mut summary, buf)?;
    if opts.output.as_deref() == Some(std::path::Path::new("-")) {
        eprint!("{summary}");
    } else {
        buf.push_str(&summary);
    }
    Ok(if opts.dry_run && written {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn now_minute(now: Option<String>) -> Result<i64, String> {
    match now {
        Some(text) => chrono::DateTime::parse_from_rfc3339(&text)
            .map(|t| t.timestamp().div_euclid(60))
            .map_err(|e| {
                format!(
                    "--now {text:?} is not an RFC 3339 instant ({e}): write a date, a time and an offset, \
                     e.g. 2026-11-24T15:43:00+09:00 or 2026-11-24T06:43:00Z"
                )
            }),
        None => Ok(std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| (d.as_secs() / 60) as i64)
            .unwrap_or(0)),
    }
}

fn load_settings(path: Option<PathBuf>) -> Result<Settings, String> {
    path.map_or_else(|| Ok(Settings::default()), |p| settings_file::load(&p))
}

/// One checked object's verdict.
struct Verdict {
    source: manifests::Source,
    kind: String,
    namespace: String,
    name: String,
    decision: Decision,
    /// For NodePools with nodes in the files: the capacity calculator's report.
    capacity: Option<Value>,
}

fn check(
    buf: &mut String,
    files: &[PathBuf],
    clusters: &[PathBuf],
    settings: Option<PathBuf>,
    output: Output,
    now: Option<String>,
) -> Result<ExitCode, String> {
    if files.is_empty() {
        return Err("no files given".into());
    }
    let settings = load_settings(settings)?;
    let now = now_minute(now)?;
    // What is checked first, then the cluster: the first object of a kind, namespace and name wins, so a
    // manifest replaces the snapshot's copy instead of being checked (and counted) twice.
    let checked = manifests::load(&manifests::expand(files)?)?;
    let first_context = checked.len();
    let mut seen = std::collections::HashSet::new();
    let (mut objects, mut sources) = (Vec::new(), Vec::new());
    for (i, (object, source)) in checked
        .into_iter()
        .chain(manifests::load(&manifests::expand(clusters)?)?)
        .enumerate()
    {
        let name = manifests::name(&object);
        let key = (
            manifests::kind(&object).to_string(),
            manifests::namespace(&object).to_string(),
            name.to_string(),
        );
        if name.is_empty() || seen.insert(key) {
            sources.push((source, i < first_context));
            objects.push(object);
        } else if i < first_context {
            eprintln!(
                "disruption-guard: {}:{}: {} {name} was read before, from an earlier file; checked once",
                source.file,
                source.line,
                manifests::kind(&object)
            );
        }
    }
    let cluster = Cluster::from_objects(&objects);
    // Pool sizes come from status.nodes, or else from the Nodes in the files.
    let node_pools: Vec<ListedNodePool> = objects
        .iter()
        .filter(|o| manifests::kind(o) == "NodePool")
        .filter_map(|p| {
            let mut pool = p.clone();
            if pool.pointer("/status/nodes").is_none() {
                let name = manifests::name(p);
                let count = cluster.pool_nodes(name).count();
                pool["status"] = json!({"nodes": count});
            }
            serde_json::from_value(pool).ok()
        })
        .collect();
    let mut verdicts = Vec::new();
    for (object, (source, _)) in objects.iter().zip(&sources).filter(|(_, (_, c))| *c) {
        let (kind, ns) = (manifests::kind(object), manifests::namespace(object));
        let snapshot = || namespace_snapshot(&cluster, ns);
        let decision = match kind {
            "NodePool" => admission::nodepool(object, None, &settings, now, Some(Ok(&cluster))),
            "PodDisruptionBudget" => admission::pdb(object, None, &settings, Some(Ok(&snapshot()))),
            "Deployment" | "StatefulSet" => {
                let pools = settings.capacity.enabled.then_some(Ok(&node_pools));
                admission::workload(
                    object,
                    None,
                    kind,
                    ns,
                    &settings,
                    now,
                    Some(Ok(&snapshot())),
                    pools,
                )
            }
            _ => continue,
        };
        let namespace = if kind == "NodePool" {
            String::new()
        } else {
            ns.to_string()
        };
        let capacity = (kind == "NodePool" && settings.capacity.enabled)
            .then(|| NodePool::deserialize(object).ok())
            .flatten()
            .and_then(|pool| {
                let report =
                    capacity::analyze(&pool, manifests::name(object), &cluster, &settings, now)?;
                (report.nodes > 0).then(|| capacity::report_json(&report, &pool, &settings))
            });
        verdicts.push(Verdict {
            source: source.clone(),
            kind: kind.to_string(),
            namespace,
            name: manifests::name(object).to_string(),
            decision,
            capacity,
        });
    }
    if verdicts.is_empty() {
        // A pipeline that checks nothing must not pass silently.
        return Err(format!(
            "nothing to check in {}: no NodePool, PodDisruptionBudget, Deployment or StatefulSet",
            files
                .iter()
                .map(|f| f.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    match output {
        Output::Table => print_table(buf, &verdicts),
        Output::Json => print_json(buf, &verdicts)?,
        Output::Junit => print_junit(buf, &verdicts),
    }
    let rejected = verdicts.iter().any(|v| v.decision.is_reject());
    Ok(if rejected {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn namespace_snapshot(cluster: &Cluster, ns: &str) -> Namespace {
    let in_ns = |n: &Option<String>| n.as_deref().unwrap_or("default") == ns;
    Namespace {
        pdbs: cluster
            .pdbs
            .iter()
            .filter(|p| in_ns(&p.metadata.namespace))
            .cloned()
            .collect(),
        workloads: cluster
            .workloads
            .iter()
            .filter(|w| in_ns(&w.metadata.namespace))
            .cloned()
            .collect(),
        hpas: cluster
            .hpas
            .iter()
            .filter(|h| in_ns(&h.metadata.namespace))
            .cloned()
            .collect(),
        pods: cluster
            .pods
            .iter()
            .filter(|p| in_ns(&p.metadata.namespace))
            .cloned()
            .collect(),
    }
}

fn print_table(buf: &mut String, verdicts: &[Verdict]) {
    out!(
        buf,
        "{:<20} {:<12} {:<24} {:<9} RULES",
        "KIND",
        "NAMESPACE",
        "NAME",
        "VERDICT"
    );
    for v in verdicts {
        let rules: Vec<&str> = match &v.decision {
            Decision::Reject { findings: f } => f.iter().map(|f| f.rule.id()).collect(),
            _ => Vec::new(),
        };
        out!(
            buf,
            "{:<20} {:<12} {:<24} {:<9} {}",
            v.kind,
            v.namespace,
            v.name,
            v.decision.verdict(),
            rules.join(", ")
        );
    }
    for v in verdicts {
        let lines: Vec<String> = match &v.decision {
            Decision::Reject { findings } => findings.iter().map(ToString::to_string).collect(),
            Decision::Mutate {
                changes, warnings, ..
            } => changes.iter().chain(warnings).cloned().collect(),
            Decision::Accept { warnings } => warnings.clone(),
        };
        if lines.is_empty() {
            continue;
        }
        out!(
            buf,
            "\n{} {}:",
            v.kind,
            if v.namespace.is_empty() {
                v.name.clone()
            } else {
                format!("{}/{}", v.namespace, v.name)
            }
        );
        for line in lines {
            out!(buf, "- {line}");
        }
    }
}

fn print_json(buf: &mut String, verdicts: &[Verdict]) -> Result<(), String> {
    let items: Vec<Value> = verdicts
        .iter()
        .map(|v| {
            let mut item = json!({"kind": v.kind, "namespace": v.namespace, "name": v.name});
            if let (Some(item), Value::Object(decision)) =
                (item.as_object_mut(), v.decision.to_json())
            {
                item.extend(decision);
            }
            if let Some(report) = &v.capacity {
                item["capacity"] = report.clone();
            }
            item
        })
        .collect();
    out!(
        buf,
        "{}",
        serde_json::to_string_pretty(&items).map_err(|e| e.to_string())?
    );
    Ok(())
}

/// A JUnit report: one test case per checked object (class: its kind; name: namespace/name; file and
/// line: where it was read), failed when rejected, with the rule ids as the message and each finding in
/// full as the text.
fn print_junit(buf: &mut String, verdicts: &[Verdict]) {
    let failures = verdicts.iter().filter(|v| v.decision.is_reject()).count();
    let tests = verdicts.len();
    out!(buf, r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    out!(
        buf,
        r#"<testsuites name="disruption-guard" tests="{tests}" failures="{failures}">"#
    );
    out!(
        buf,
        r#"  <testsuite name="disruption-guard check" tests="{tests}" failures="{failures}">"#
    );
    for v in verdicts {
        let name = if v.namespace.is_empty() {
            v.name.clone()
        } else {
            format!("{}/{}", v.namespace, v.name)
        };
        let case = format!(
            r#"    <testcase classname="{}" name="{}" file="{}" line="{}""#,
            xml_escape(&v.kind),
            xml_escape(&name),
            xml_escape(&v.source.file),
            v.source.line
        );
        let Decision::Reject { findings } = &v.decision else {
            out!(buf, "{case}/>");
            continue;
        };
        let rules: Vec<&str> = findings.iter().map(|f| f.rule.id()).collect();
        let text: Vec<String> = findings.iter().map(|f| format!("- {f}")).collect();
        out!(buf, "{case}>");
        out!(
            buf,
            r#"      <failure type="{}" message="{}">{}</failure>"#,
            rules.first().copied().unwrap_or_default(),
            xml_escape(&rules.join(", ")),
            xml_escape(&text.join("\n"))
        );
        out!(buf, "    </testcase>");
    }
    out!(buf, "  </testsuite>");
    out!(buf, "</testsuites>");
}

fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Control characters XML 1.0 cannot carry.
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r') => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// What `timeline` draws beside the pool: its clock, the settings' windows, the cluster's nodes.
struct Context {
    timezone: Option<String>,
    settings: Option<PathBuf>,
    clusters: Vec<PathBuf>,
}

fn timeline(
    buf: &mut String,
    path: &PathBuf,
    Context {
        timezone,
        settings,
        clusters,
    }: Context,
    nodes: Option<u64>,
    now: Option<String>,
) -> Result<ExitCode, String> {
    let settings = match settings {
        Some(path) => settings_file::load(&path)?,
        None => Settings::default(),
    };
    let zone: Zone = match timezone {
        Some(timezone) => timezone
            .parse()
            .map_err(|_| format!("unknown time zone {timezone:?}: use an IANA name"))?,
        None => settings.freeze_zone().unwrap_or(Zone::UTC),
    };
    let timezone = zone.name();
    let now = now_minute(now)?;
    let objects = manifests::load(&[path])?;
    let (object, _) = objects
        .iter()
        .find(|(o, _)| manifests::kind(o) == "NodePool")
        .ok_or("no NodePool in the file")?;
    let pool =
        NodePool::deserialize(object).map_err(|e| format!("the NodePool cannot be read: {e}"))?;
    let size = nodes.or(pool.known_size()).unwrap_or(10);
    let grid = heatmap::week(&pool, size, zone, now)?;
    out!(
        buf,
        "NodePool {}: nodes that may be disrupted at once in a {size}-node pool, by local hour ({timezone})",
        pool.name()
    );
    out!(
        buf,
        "(∞ = no budget applies: unbounded; 0 = frozen; blank = hour skipped by a clock change)"
    );
    if let Some(freeze) = settings.freeze() {
        let (title, windows) = match freeze.source {
            FreezeSource::BusinessHours(bh) => {
                ("Business hours (# = to freeze)", bh.local_windows())
            }
            FreezeSource::MaintenanceWindows(mw) => {
                ("Maintenance windows (# = open)", mw.local_windows())
            }
        };
        out!(buf, "\n{title}, {}", freeze.zone);
        if freeze.zone == zone {
            out!(
                buf,
                "{:<14}{}",
                "",
                (0..24).map(|h| format!("{h:>4}")).collect::<String>()
            );
            for day in &grid.days {
                let weekday = Minute::from(day.date.weekday().num_days_from_sunday());
                let cells: String = (0..24)
                    .map(
                        |h| match weekly::covers(&windows, weekday * MINUTES_PER_DAY + h * 60) {
                            true => "   #",
                            false => "   .",
                        },
                    )
                    .collect();
                out!(buf, "{:<14}{cells}", day.date.format("%a %Y-%m-%d"));
            }
        } else {
            out!(
                buf,
                "(shown on their own clock only: --timezone {})",
                freeze.zone
            );
        }
    }
    if !clusters.is_empty() {
        let objects: Vec<Value> = manifests::load(&clusters)?
            .into_iter()
            .map(|(o, _)| o)
            .collect();
        let cluster = Cluster::from_objects(&objects);
        let own = expiry::own_nodes(&pool, &cluster.nodes);
        let week = Span::new(now - MINUTES_PER_DAY, now + 8 * MINUTES_PER_DAY);
        let mut counts = vec![[0u32; 24]; grid.days.len()];
        for e in expiry::expiries(&pool, &own, week) {
            if let Some((day, hour)) = grid.cell_of(e.at) {
                counts[day][hour] += 1;
            }
        }
        out!(
            buf,
            "\nExpiry: of the pool's {} nodes, how many reach expireAfter in that hour (forceful: budgets do not apply)",
            own.len()
        );
        out!(
            buf,
            "{:<14}{}",
            "",
            (0..24).map(|h| format!("{h:>4}")).collect::<String>()
        );
        for (day, row) in grid.days.iter().zip(&counts) {
            let cells: String = row
                .iter()
                .map(|&n| {
                    if n == 0 {
                        format!("{:>4}", ".")
                    } else {
                        format!("{n:>4}")
                    }
                })
                .collect();
            out!(buf, "{:<14}{cells}", day.date.format("%a %Y-%m-%d"));
        }
    }
    for (r, reason) in Reason::ALL.iter().enumerate() {
        out!(buf, "\n{}", reason.name());
        let header: String = (0..24).map(|h| format!("{h:>4}")).collect();
        out!(buf, "{:<14}{header}", "");
        for day in &grid.days {
            let cells: String = day
                .hours
                .iter()
                .map(|cell| match cell[r] {
                    Cell::Allowed(n) => format!("{n:>4}"),
                    Cell::Unbounded => format!("{:>4}", "∞"),
                    Cell::Skipped => "    ".to_string(),
                })
                .collect();
            out!(buf, "{:<14}{cells}", day.date.format("%a %Y-%m-%d"));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Settings with these business hours.
fn business_hours(timezone: &str, days: &str, start: &str, end: &str) -> Result<Settings, String> {
    let hours: BusinessHours = serde_json::from_value(
        json!({"timezone": timezone, "days": expand_days(days)?, "start": start, "end": end}),
    )
    .map_err(|e| e.to_string())?;
    Ok(Settings {
        business_hours: Some(hours),
        ..Settings::default()
    })
}

/// Settings with these maintenance windows, each written `DAYS HH:MM-HH:MM`.
fn maintenance_windows(timezone: &str, windows: &[String]) -> Result<Settings, String> {
    let windows: Vec<Value> = windows
        .iter()
        .map(|w| {
            let bad =
                || format!("--allow-only {w:?}: write DAYS HH:MM-HH:MM, e.g. \"Sat 02:00-06:00\"");
            let (days, times) = w.trim().split_once(' ').ok_or_else(bad)?;
            let (start, end) = times.trim().split_once('-').ok_or_else(bad)?;
            Ok(json!({"days": expand_days(days)?, "start": start, "end": end}))
        })
        .collect::<Result<_, String>>()?;
    Settings::from_json(
        json!({"maintenanceWindows": {"timezone": timezone, "windows": windows}})
            .to_string()
            .as_bytes(),
    )
}

fn freeze(
    buf: &mut String,
    settings: &Settings,
    reasons: &[String],
    now: Option<String>,
) -> Result<ExitCode, String> {
    settings.validate()?;
    let Some(freeze) = settings.freeze() else {
        return Err("nothing to freeze".into());
    };
    let reason_set = if reasons.is_empty() {
        None
    } else {
        let parsed: Result<Vec<Reason>, String> = reasons
            .iter()
            .map(|r| {
                Reason::parse(r).ok_or_else(|| {
                    format!("unknown reason {r:?}: use Underutilized, Empty or Drifted")
                })
            })
            .collect();
        Some(Reasons::of(&parsed?)).filter(|r| *r != Reasons::ALL)
    };
    let windows = utc_windows(freeze.zone, &freeze.windows, horizon(now_minute(now)?));
    out!(
        buf,
        "# Freezes {}; schedules are UTC, one budget per UTC offset.",
        freeze.describe()
    );
    let spread = freeze.zone.offset_spread();
    if matches!(freeze.source, FreezeSource::MaintenanceWindows(_)) && spread > 0 {
        out!(
            buf,
            "# {}'s clocks change by {}: each window opens for its length less {} all year.",
            freeze.zone,
            format_budget_duration(spread),
            format_budget_duration(spread)
        );
    }
    out!(buf, "budgets:");
    for budget in freeze_budgets(&windows, reason_set) {
        out!(buf, "{}", budget.to_yaml(0));
    }
    Ok(ExitCode::SUCCESS)
}

/// `Mon-Fri` or `Sat,Sun` (or a mix) to day names.
fn expand_days(text: &str) -> Result<Vec<String>, String> {
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let index = |d: &str| {
        DAYS.iter()
            .position(|x| x.eq_ignore_ascii_case(d.trim()))
            .ok_or_else(|| format!("unknown day {d:?}"))
    };
    let mut out = Vec::new();
    for part in text.split(',') {
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (index(a)?, index(b)?);
                if a > b {
                    return Err(format!(
                        "{part:?}: list wrapping days explicitly, e.g. Sat,Sun"
                    ));
                }
                out.extend(DAYS[a..=b].iter().map(|d| d.to_string()));
            }
            None => out.push(DAYS[index(part)?].to_string()),
        }
    }
    Ok(out)
}
