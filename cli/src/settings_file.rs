//! Reading a settings file: YAML or JSON, as in the policy resource. Every problem is reported at once,
//! each with the line of the key it names, so that one round of edits fixes them all.

use std::path::Path;

use disruption_guard_engine::settings::{MAX_PROBLEMS_NAMED, Settings};
use serde_json::Value;

pub fn load(path: &Path) -> Result<Settings, String> {
    let file = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| format!("{file}: {e}"))?;
    let value: Value = serde_yaml::from_str(&text).map_err(|e| format!("{file}: {e}"))?;
    // An empty file is the defaults, as the policy reads empty settings.
    let problems = match Settings::decode(&value) {
        Ok(settings) => return Ok(settings),
        Err(problems) => problems.0,
    };
    let mut located: Vec<(Option<usize>, String)> = problems
        .iter()
        .map(|p| (line_of(&text, &p.path), p.to_string()))
        .collect();
    // By line, those whose key was not found (a flow-style map) last, in the order found.
    located.sort_by_key(|(line, _)| line.unwrap_or(usize::MAX));
    let mut message = match located.len() {
        1 => String::new(),
        n => format!("{file}: {n} problems in the settings\n"),
    };
    for (line, problem) in located.iter().take(MAX_PROBLEMS_NAMED) {
        match line {
            Some(line) => message.push_str(&format!("{file}:{line}: {problem}\n")),
            None => message.push_str(&format!("{file}: {problem}\n")),
        }
    }
    if located.len() > MAX_PROBLEMS_NAMED {
        message.push_str(&format!(
            "and {} more\n",
            located.len() - MAX_PROBLEMS_NAMED
        ));
    }
    message.truncate(message.trim_end().len());
    Err(message)
}

/// The 1-based line of the key at a dotted `path` (`nodePools.maxBudgetNodes`) in block-style YAML, or of
/// the deepest of its parents that was found; `None` when not even the first key is found.
fn line_of(text: &str, path: &str) -> Option<usize> {
    let mut lines = text.lines().enumerate();
    let (mut found, mut parent_indent) = (None, None);
    for key in path.split('.').filter(|k| !k.is_empty()) {
        let mut hit = None;
        for (i, line) in lines.by_ref() {
            let content = line.trim_start();
            if content.is_empty() || content.starts_with('#') || content.starts_with("---") {
                continue;
            }
            let indent = line.len() - content.len();
            if parent_indent.is_some_and(|p| indent <= p) {
                break; // Out of the parent's block.
            }
            if key_of(content) == Some(key) {
                hit = Some((i + 1, indent));
                break;
            }
        }
        let Some((line, indent)) = hit else { break };
        (found, parent_indent) = (Some(line), Some(indent));
    }
    found
}

/// The key of a `key: value` (or `key:`) line, unquoted.
fn key_of(content: &str) -> Option<&str> {
    let (key, rest) = content.split_once(':')?;
    if !(rest.is_empty() || rest.starts_with(' ')) {
        return None;
    }
    let key = key.trim();
    Some(key.trim_matches(|c| c == '"' || c == '\''))
}

#[cfg(test)]
mod tests {
    use super::*;
    use disruption_guard_engine::calendar::zone::Zone;
    use disruption_guard_engine::settings::{BusinessHours, TimeZone};

    /// The README's settings block shows every key at its default; only `businessHours` (absent by
    /// default) is filled in, with its own defaults but the zone.
    #[test]
    fn the_readme_settings_block_is_the_defaults() {
        let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
            .expect("README.md");
        let block = readme
            .split("### Settings")
            .nth(1)
            .and_then(|s| s.split("```yaml\n").nth(1))
            .and_then(|s| s.split("\n```").next())
            .expect("the README's settings block");
        let path =
            std::env::temp_dir().join(format!("readme-settings-{}.yaml", std::process::id()));
        std::fs::write(&path, block).expect("write");
        let loaded = load(&path).map(|mut s| {
            // A set: the README lists it in the CRD's order.
            s.node_pools.freeze_reasons.sort_by_key(|r| r.name());
            s
        });
        std::fs::remove_file(&path).ok();
        let mut defaults = Settings::default();
        defaults.node_pools.freeze_reasons.sort_by_key(|r| r.name());
        let seoul: BusinessHours =
            serde_json::from_value(serde_json::json!({"timezone": "Asia/Seoul"}))
                .expect("business hours");
        assert_eq!(seoul.timezone, TimeZone(Zone::named("Asia/Seoul").unwrap()));
        assert_eq!(
            loaded,
            Ok(Settings {
                business_hours: Some(seoul),
                ..defaults
            })
        );
    }

    #[test]
    fn a_key_is_found_under_its_own_parent() {
        let text = "# settings\nworkloads:\n  minReplicas: 2\nnodePools:\n  \"maxBudgetNodes\": 10%\n  \
                    minReplicas: 3\n\nbusinessHours:\n  start: \"09:00\"\n";
        assert_eq!(line_of(text, "nodePools.maxBudgetNodes"), Some(5));
        assert_eq!(line_of(text, "nodePools.minReplicas"), Some(6));
        assert_eq!(line_of(text, "workloads.minReplicas"), Some(3));
        assert_eq!(line_of(text, "businessHours.start"), Some(9));
        // A key not under its parent: the parent's line.
        assert_eq!(line_of(text, "workloads.start"), Some(2));
        assert_eq!(line_of(text, "pdbs.defaultMinAvailable"), None);
        assert_eq!(line_of(text, ""), None);
        assert_eq!(
            line_of("nodePools: {maxBudgetNode: 1}\n", "nodePools.maxBudgetNode"),
            Some(1)
        );
    }
}
