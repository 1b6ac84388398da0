//! `disruption-guard fix`: the files of the engine's fix plan (`disruption_guard_engine::fix`), placed
//! beside the manifests, into `--output DIR`, or on stdout, and listed in the nearest kustomization. A file
//! that is there with the same content is not written again, so a second run writes nothing.

use std::path::{Path, PathBuf};

use disruption_guard_engine::calendar::spans::Minute;
use disruption_guard_engine::fix::{self, Action, Row, Written};
use disruption_guard_engine::settings::Settings;
use disruption_guard_engine::yaml::to_yaml;
use serde_json::Value;

use crate::manifests::{self, Source};

pub struct Options {
    pub paths: Vec<PathBuf>,
    pub clusters: Vec<PathBuf>,
    pub settings: Settings,
    /// Where the files go: beside the manifests (`None`), into a directory, or `-` for one stream on stdout.
    pub output: Option<PathBuf>,
    pub dry_run: bool,
    pub kustomization: bool,
    pub now: Minute,
}

/// A file to write: its place and content, and how a kustomization lists it.
struct Output {
    path: PathBuf,
    content: String,
    /// The NodePool a patch is for (`None`: a resource).
    patches: Option<String>,
}

/// Runs `fix`: prints the summary to `summary` and, with `--output -`, the files to `stream`. Returns
/// whether anything is (or, with `--dry-run`, would be) written.
pub fn run(opts: &Options, summary: &mut String, stream: &mut String) -> Result<bool, String> {
    if opts.paths.is_empty() && opts.clusters.is_empty() {
        return Err("give manifest files or directories, or --cluster FILE".into());
    }
    let targets = manifests::load(&manifests::expand(&opts.paths)?)?;
    let context = manifests::load(&manifests::expand(&opts.clusters)?)?;
    // Without manifests, the snapshot's own objects are fixed (into --output, or stdout).
    let (targets, context) = if opts.paths.is_empty() {
        (context, Vec::new())
    } else {
        (targets, context)
    };
    let streamed = opts.output.as_deref() == Some(Path::new("-"));
    if opts.paths.is_empty() && opts.output.is_none() {
        return Err(
            "a snapshot has no directory to write beside: give --output DIR, or --output -".into(),
        );
    }
    let objects: Vec<Value> = targets.iter().map(|(o, _)| o.clone()).collect();
    let others: Vec<Value> = context.into_iter().map(|(o, _)| o).collect();
    let mut rows = fix::plan(&objects, &others, &opts.settings, opts.now);

    // Each written row's file; one that is there with the same content is not written again.
    let mut outputs: Vec<Output> = Vec::new();
    for row in &mut rows {
        let Some(written) = &row.written else {
            continue;
        };
        let source = &targets[row.target].1;
        let out = output(opts, source, row, written);
        row.reason = format!("{} → {}", row.reason, out.path.display());
        if !streamed {
            match std::fs::read_to_string(&out.path) {
                Ok(text) if text == out.content => {
                    row.action = Action::Unchanged;
                    continue;
                }
                Ok(_) => {
                    row.action = Action::ByHand;
                    row.reason
                        .push_str(" (another file is there: move it, or use --output)");
                    continue;
                }
                Err(_) => {}
            }
        }
        outputs.push(out);
    }
    let written = !outputs.is_empty();
    if opts.dry_run {
        // Nothing written, nothing streamed: the summary says what would be.
        print_summary(summary, &rows, true);
        return Ok(written);
    }
    if streamed {
        // One stream for `kubectl apply -f -`: the PDBs as documents, the NodePool patches as comments.
        for out in &outputs {
            if out.patches.is_none() {
                stream.push_str("---\n");
                stream.push_str(&out.content);
                continue;
            }
            for line in out.content.lines() {
                let comment = if line.starts_with('#') {
                    line.to_string()
                } else {
                    format!("# {line}")
                };
                stream.push_str(&comment);
                stream.push('\n');
            }
        }
    } else {
        for out in &outputs {
            if let Some(dir) = out.path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            }
            std::fs::write(&out.path, &out.content)
                .map_err(|e| format!("{}: {e}", out.path.display()))?;
        }
        if opts.kustomization {
            kustomize(&outputs, summary)?;
        }
    }
    print_summary(summary, &rows, false);
    Ok(written)
}

/// The file of one written row: beside its manifest, or under `--output DIR` (PDBs in a directory per
/// namespace), with a header saying what wrote it.
fn output(opts: &Options, source: &Source, row: &Row, written: &Written) -> Output {
    let (file, subdir, content, patches) = match written {
        Written::Pdb(pdb) => (
            format!("{}-pdb.yaml", safe(&row.name)),
            Some(if row.namespace.is_empty() {
                "default"
            } else {
                &row.namespace
            }),
            format!(
                "# Written by `disruption-guard fix`: the PodDisruptionBudget of {} {}.\n{}\n",
                row.kind,
                row.name,
                to_yaml(pdb)
            ),
            None,
        ),
        Written::Patch { pool, ops, changes } => (
            format!("{}-nodepool-patch.yaml", safe(pool)),
            None,
            format!(
                "# Written by `disruption-guard fix`: a JSON patch (RFC 6902) for NodePool {pool}, as kustomize \
                 `patches` take it, or `kubectl patch nodepool {pool} --type json --patch-file <this file>`.\n{}{}\n",
                changes
                    .iter()
                    .map(|c| format!("# - {c}\n"))
                    .collect::<String>(),
                to_yaml(&Value::Array(ops.clone()))
            ),
            Some(pool.clone()),
        ),
    };
    let path = match &opts.output {
        Some(dir) if dir.as_os_str() == "-" => PathBuf::from(file),
        Some(dir) => subdir
            .map_or_else(|| dir.clone(), |ns| dir.join(safe(ns)))
            .join(file),
        None => Path::new(&source.file)
            .parent()
            .unwrap_or(Path::new(""))
            .join(file),
    };
    Output {
        path,
        content,
        patches,
    }
}

/// A Kubernetes name as a file name: what a DNS name may hold, nothing else.
fn safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect::<String>()
        .trim_start_matches('.')
        .to_string()
}

fn display(path: &Path) -> String {
    path.display().to_string()
}

/// Adds the written files to the nearest kustomization of each.
fn kustomize(written: &[Output], summary: &mut String) -> Result<(), String> {
    for out in written {
        let dir = out.path.parent().unwrap_or(Path::new(""));
        let Some(k) = nearest_kustomization(dir) else {
            summary.push_str(&format!(
                "no kustomization.yaml above {}: add it by hand\n",
                display(&out.path)
            ));
            continue;
        };
        let base = k.parent().unwrap_or(Path::new(""));
        let relative = relative_to(&out.path, base);
        let text = std::fs::read_to_string(&k).map_err(|e| format!("{}: {e}", k.display()))?;
        let updated = match &out.patches {
            None => add_list_item(&text, "resources", &relative, &[]),
            Some(name) => add_list_item(
                &text,
                "patches",
                &format!("path: {relative}"),
                &[
                    "target:".to_string(),
                    "  group: karpenter.sh".to_string(),
                    "  version: v1".to_string(),
                    "  kind: NodePool".to_string(),
                    format!("  name: {name}"),
                ],
            ),
        }
        .map_err(|e| format!("{}: {e}", k.display()))?;
        if updated != text {
            std::fs::write(&k, updated).map_err(|e| format!("{}: {e}", k.display()))?;
            summary.push_str(&format!("added {relative} to {}\n", k.display()));
        }
    }
    Ok(())
}

fn nearest_kustomization(dir: &Path) -> Option<PathBuf> {
    let start = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let start = start.canonicalize().ok()?;
    start.ancestors().find_map(|d| {
        ["kustomization.yaml", "kustomization.yml", "Kustomization"]
            .iter()
            .map(|f| d.join(f))
            .find(|p| p.is_file())
    })
}

/// `path` relative to `base` (both made absolute).
fn relative_to(path: &Path, base: &Path) -> String {
    let abs = |p: &Path| {
        let p = if p.as_os_str().is_empty() {
            Path::new(".")
        } else {
            p
        };
        p.canonicalize().unwrap_or_else(|_| p.to_path_buf())
    };
    let file = path.file_name().map(PathBuf::from).unwrap_or_default();
    let (dir, base) = (abs(path.parent().unwrap_or(Path::new(""))), abs(base));
    let (d, b): (Vec<_>, Vec<_>) = (dir.components().collect(), base.components().collect());
    let common = d.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut rel = PathBuf::new();
    for _ in common..b.len() {
        rel.push("..");
    }
    for c in &d[common..] {
        rel.push(c.as_os_str());
    }
    rel.push(file);
    rel.to_string_lossy().replace('\\', "/")
}

/// `text` (a kustomization) with `- first` (and `rest`, its further lines) appended to the top-level list
/// `key`, created when absent; unchanged when an item with that first line is there. Only block lists are
/// edited, line by line, so the file's comments and order stay as they are.
fn add_list_item(text: &str, key: &str, first: &str, rest: &[String]) -> Result<String, String> {
    let lines: Vec<&str> = text.lines().collect();
    let Some(at) = lines
        .iter()
        .position(|l| l.trim_end() == format!("{key}:") || l.starts_with(&format!("{key}: ")))
    else {
        let mut out = text.to_string();
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(&format!("{key}:\n- {first}\n"));
        for line in rest {
            out.push_str(&format!("  {line}\n"));
        }
        return Ok(out);
    };
    if lines[at].trim_end() != format!("{key}:") {
        return Err(format!("`{key}` is not a block list: add {first} by hand"));
    }
    // The list's lines: indented, or items at column 0, until the next top-level key.
    let mut end = at + 1;
    let mut indent = String::new();
    let mut first_item = true;
    while end < lines.len() {
        let line = lines[end];
        let trimmed = line.trim_start();
        let top_level = !line.starts_with(' ')
            && !line.starts_with('-')
            && !trimmed.is_empty()
            && !trimmed.starts_with('#');
        if top_level {
            break;
        }
        if trimmed.starts_with("- ") || trimmed == "-" {
            if first_item {
                indent = line[..line.len() - trimmed.len()].to_string();
                first_item = false;
            }
            if trimmed.trim_start_matches("- ").trim() == first {
                return Ok(text.to_string());
            }
        }
        end += 1;
    }
    while end > at + 1 && lines[end - 1].trim().is_empty() {
        end -= 1;
    }
    let mut out: Vec<String> = lines[..end].iter().map(|l| l.to_string()).collect();
    out.push(format!("{indent}- {first}"));
    for line in rest {
        out.push(format!("{indent}  {line}"));
    }
    out.extend(lines[end..].iter().map(|l| l.to_string()));
    Ok(out.join("\n") + "\n")
}

fn print_summary(buf: &mut String, rows: &[Row], dry_run: bool) {
    let action = |a: &Action| match (a, dry_run) {
        (Action::Write, false) => "written",
        (Action::Write, true) => "would write",
        (Action::Unchanged, _) => "unchanged",
        (Action::None, _) => "-",
        (Action::ByHand, _) => "by hand",
    };
    buf.push_str(&format!(
        "{:<12} {:<12} {:<24} {:<10} {:<12} REASON\n",
        "KIND", "NAMESPACE", "NAME", "REPLICAS", "ACTION"
    ));
    for r in rows {
        buf.push_str(&format!(
            "{:<12} {:<12} {:<24} {:<10} {:<12} {}\n",
            r.kind,
            r.namespace,
            r.name,
            r.replicas.map_or("-".to_string(), |n| n.to_string()),
            action(&r.action),
            r.reason
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_items_are_appended_in_place() {
        let text = "# base\nresources:\n  - deploy.yaml # the app\n\nnamespace: shop\n";
        let out = add_list_item(text, "resources", "api-pdb.yaml", &[]).unwrap();
        assert_eq!(
            out,
            "# base\nresources:\n  - deploy.yaml # the app\n  - api-pdb.yaml\n\nnamespace: shop\n"
        );
        assert_eq!(
            add_list_item(&out, "resources", "api-pdb.yaml", &[]).unwrap(),
            out,
            "once"
        );
        let out = add_list_item(
            "namespace: shop",
            "patches",
            "path: p.yaml",
            &["target:".into(), "  kind: NodePool".into()],
        )
        .unwrap();
        assert_eq!(
            out,
            "namespace: shop\npatches:\n- path: p.yaml\n  target:\n    kind: NodePool\n"
        );
        assert!(add_list_item("resources: [a.yaml]\n", "resources", "b.yaml", &[]).is_err());
    }

    #[test]
    fn relative_paths_climb_to_the_kustomization() {
        let base = std::env::temp_dir();
        let file = base.join("a").join("b.yaml");
        assert_eq!(relative_to(&file, &base.join("a")), "b.yaml");
        assert_eq!(relative_to(&file, &base.join("c")), "../a/b.yaml");
    }
}
