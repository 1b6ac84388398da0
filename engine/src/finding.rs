//! What a rule found, as data (rule id, field path, value, problem, fix); rendered into text only where
//! the policy, CLI or page answers.

use std::fmt;

use serde::ser::{Serialize, SerializeMap, Serializer};

/// The rule reference, docs/rules.md, as published with the source (the policy's `io.kubewarden.policy.url`).
pub const RULES_URL: &str =
    "https://github.com/disruption-guard/disruption-guard/blob/main/docs/rules.md";

/// Every rule, with a stable id (docs/rules.md lists them in this order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rule {
    CrdSchema,
    CrdUnknownField,
    CrdNewerKarpenter,
    ScheduleUnparsable,
    ScheduleNeverFires,
    ConsolidationPolicyNotAllowed,
    ConsolidateAfterTooShort,
    BudgetAboveMax,
    BusinessHoursNotFrozen,
    OutsideMaintenanceWindows,
    FreezeWithoutNodes,
    DriftBlockedForever,
    ExpiryForecast,
    NodePoolCapacity,
    PdbInvalid,
    PdbNeverDisrupts,
    PdbSelector,
    PdbBlocksWorkload,
    PdbOverlap,
    WorkloadInvalid,
    WorkloadMissingPdb,
    WorkloadPdbBlocks,
    WorkloadPdbOverlap,
    WorkloadDoNotDisrupt,
    WorkloadDoNotEvict,
    WorkloadSpreadSelectsNothing,
    WorkloadCapacity,
    LookupFailed,
    InputTooLarge,
}

impl Rule {
    pub const ALL: [Rule; 29] = [
        Rule::CrdSchema,
        Rule::CrdUnknownField,
        Rule::CrdNewerKarpenter,
        Rule::ScheduleUnparsable,
        Rule::ScheduleNeverFires,
        Rule::ConsolidationPolicyNotAllowed,
        Rule::ConsolidateAfterTooShort,
        Rule::BudgetAboveMax,
        Rule::BusinessHoursNotFrozen,
        Rule::OutsideMaintenanceWindows,
        Rule::FreezeWithoutNodes,
        Rule::DriftBlockedForever,
        Rule::ExpiryForecast,
        Rule::NodePoolCapacity,
        Rule::PdbInvalid,
        Rule::PdbNeverDisrupts,
        Rule::PdbSelector,
        Rule::PdbBlocksWorkload,
        Rule::PdbOverlap,
        Rule::WorkloadInvalid,
        Rule::WorkloadMissingPdb,
        Rule::WorkloadPdbBlocks,
        Rule::WorkloadPdbOverlap,
        Rule::WorkloadDoNotDisrupt,
        Rule::WorkloadDoNotEvict,
        Rule::WorkloadSpreadSelectsNothing,
        Rule::WorkloadCapacity,
        Rule::LookupFailed,
        Rule::InputTooLarge,
    ];

    /// This rule's section in the rule reference (docs/rules.md).
    pub fn doc_url(self) -> String {
        format!("{RULES_URL}#{}", self.id())
    }

    /// Rules that warn and never reject: what they find may be right for a newer Karpenter.
    pub fn only_warns(self) -> bool {
        matches!(self, Rule::CrdUnknownField | Rule::CrdNewerKarpenter)
    }

    pub fn id(self) -> &'static str {
        match self {
            Rule::CrdSchema => "nodepool-crd-schema",
            Rule::CrdUnknownField => "nodepool-crd-unknown-field",
            Rule::CrdNewerKarpenter => "nodepool-crd-newer-karpenter",
            Rule::ScheduleUnparsable => "nodepool-schedule-unparsable",
            Rule::ScheduleNeverFires => "nodepool-schedule-never-fires",
            Rule::ConsolidationPolicyNotAllowed => "nodepool-consolidation-policy",
            Rule::ConsolidateAfterTooShort => "nodepool-consolidate-after",
            Rule::BudgetAboveMax => "nodepool-budget-max",
            Rule::BusinessHoursNotFrozen => "nodepool-business-hours-freeze",
            Rule::OutsideMaintenanceWindows => "nodepool-maintenance-windows",
            Rule::FreezeWithoutNodes => "nodepool-freeze-without-nodes",
            Rule::DriftBlockedForever => "nodepool-drift-blocked",
            Rule::ExpiryForecast => "nodepool-expiry-forecast",
            Rule::NodePoolCapacity => "nodepool-capacity",
            Rule::PdbInvalid => "pdb-invalid",
            Rule::PdbNeverDisrupts => "pdb-never-disrupts",
            Rule::PdbSelector => "pdb-selector",
            Rule::PdbBlocksWorkload => "pdb-blocks-workload",
            Rule::PdbOverlap => "pdb-overlap",
            Rule::WorkloadInvalid => "workload-invalid",
            Rule::WorkloadMissingPdb => "workload-missing-pdb",
            Rule::WorkloadPdbBlocks => "workload-pdb-blocks",
            Rule::WorkloadPdbOverlap => "workload-pdb-overlap",
            Rule::WorkloadDoNotDisrupt => "workload-do-not-disrupt",
            Rule::WorkloadDoNotEvict => "workload-do-not-evict",
            Rule::WorkloadSpreadSelectsNothing => "workload-spread-selects-nothing",
            Rule::WorkloadCapacity => "workload-capacity",
            Rule::LookupFailed => "context-lookup-failed",
            Rule::InputTooLarge => "input-too-large",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub rule: Rule,
    /// JSON path of the field, e.g. `spec.disruption.budgets[0].nodes`.
    pub path: String,
    /// The offending value as written (JSON for non-strings), or a short description.
    pub value: String,
    /// What is wrong and why it is dangerous.
    pub problem: String,
    /// The exact change that fixes it.
    pub fix: String,
}

/// A finding as JSON, the same for the CLI, the browser page and tests: its pieces and the `message` line
/// the policy's rejection shows.
impl Serialize for Finding {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(6))?;
        map.serialize_entry("rule", self.rule.id())?;
        map.serialize_entry("path", &self.path)?;
        map.serialize_entry("value", &self.value)?;
        map.serialize_entry("problem", &self.problem)?;
        map.serialize_entry("fix", &self.fix)?;
        map.serialize_entry("message", &self.to_string())?;
        map.end()
    }
}

impl Finding {
    pub fn new(rule: Rule, path: impl Into<String>, value: impl Into<String>) -> Finding {
        Finding {
            rule,
            path: path.into(),
            value: value.into(),
            problem: String::new(),
            fix: String::new(),
        }
    }

    pub fn problem(mut self, problem: impl Into<String>) -> Finding {
        self.problem = problem.into();
        self
    }

    pub fn fix(mut self, fix: impl Into<String>) -> Finding {
        self.fix = fix.into();
        self
    }

    /// The text `[rule] path = value: problem Fix: fix`, in pieces.
    fn pieces(&self) -> [&str; 10] {
        let (label, fix) = if self.fix.is_empty() {
            ("", "")
        } else {
            (" Fix: ", self.fix.as_str())
        };
        let id = self.rule.id();
        let (path, value, problem) = (&self.path, &self.value, &self.problem);
        ["[", id, "] ", path, " = ", value, ": ", problem, label, fix]
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.pieces().iter().try_for_each(|p| f.write_str(p))
    }
}

/// A rejection names at most this many findings; the rest are counted.
pub const MAX_RENDERED: usize = 20;

/// One finding's line is cut beyond this many bytes, so that no input makes a rejection huge.
const MAX_LINE: usize = 4096;

/// The rejection text: a headline, then one finding per line (the first [`MAX_RENDERED`], then how many
/// more), each line at most `MAX_LINE` bytes: a few KB whatever the input.
pub fn render(kind: &str, name: &str, findings: &[Finding]) -> String {
    let mut out = format!(
        "disruption-guard rejected {kind} {:?} ({} problem{}):",
        cut(name, 256),
        findings.len(),
        if findings.len() == 1 { "" } else { "s" }
    );
    let shown = &findings[..findings.len().min(MAX_RENDERED)];
    // One buffer sized up front: formatting each finding through `Display` cost more than the rules.
    let length: usize = shown.iter().flat_map(|f| f.pieces()).map(str::len).sum();
    out.reserve(length.min(MAX_RENDERED * MAX_LINE) + 3 * shown.len() + 100);
    for f in shown {
        out.push_str("\n- ");
        let start = out.len();
        for piece in f.pieces() {
            let room = MAX_LINE.saturating_sub(out.len() - start);
            out.push_str(cut(piece, room));
            if piece.len() > room {
                out.push('…');
                break;
            }
        }
    }
    if findings.len() > shown.len() {
        out.push_str(&format!(
            "\n- … and {} more (fix these first: the rest are named once they are)",
            findings.len() - shown.len()
        ));
    }
    // The rules named above, each with its section in the rule reference.
    let mut rules: Vec<Rule> = shown.iter().map(|f| f.rule).collect();
    rules.sort();
    rules.dedup();
    for (i, rule) in rules.iter().enumerate() {
        out.push_str(if i == 0 { "\nRules: " } else { " " });
        out.push_str(&rule.doc_url());
    }
    out
}

/// Findings of rules that only warn, as admission warnings: one per finding, each cut at `MAX_LINE` bytes,
/// at most [`MAX_RENDERED`], then how many more.
pub fn warnings(findings: &[Finding]) -> Vec<String> {
    let mut lines: Vec<String> = findings
        .iter()
        .take(MAX_RENDERED)
        .map(|f| {
            let line = format!("disruption-guard: {f} ({})", f.rule.doc_url());
            let kept = cut(&line, MAX_LINE);
            if kept.len() < line.len() {
                format!("{kept}…")
            } else {
                line
            }
        })
        .collect();
    if findings.len() > MAX_RENDERED {
        lines.push(format!(
            "disruption-guard: and {} more like these",
            findings.len() - MAX_RENDERED
        ));
    }
    lines
}

/// The longest prefix of `text` of at most `bytes` bytes that ends on a character boundary.
pub(crate) fn cut(text: &str, bytes: usize) -> &str {
    let mut end = bytes.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// A JSON value as a user would recognise it in a message: strings quoted, others as JSON.
pub fn show(value: &serde_json::Value) -> String {
    let text = value.to_string();
    if text.len() > 120 {
        format!("{}…", text.chars().take(117).collect::<String>())
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rejection_stays_small_whatever_the_findings() {
        let long = "é".repeat(10_000);
        let findings: Vec<Finding> = (0..1000)
            .map(|i| {
                Finding::new(Rule::CrdSchema, format!("spec.f{i}"), long.clone())
                    .problem("p")
                    .fix("f")
            })
            .collect();
        let text = render("NodePool", &long, &findings);
        assert!(
            text.len() < (MAX_RENDERED + 2) * (MAX_LINE + 10) + 600,
            "{}",
            text.len()
        );
        assert!(
            text.starts_with("disruption-guard rejected NodePool")
                && text.contains("(1000 problems)")
        );
        assert_eq!(
            text.matches("\n- [nodepool-crd-schema] spec.f").count(),
            MAX_RENDERED
        );
        assert!(text.ends_with(
            "and 980 more (fix these first: the rest are named once they are)\nRules: \
             https://github.com/disruption-guard/disruption-guard/blob/main/docs/rules.md#nodepool-crd-schema"
        ));
        // A few findings are rendered whole.
        let one = Finding::new(Rule::PdbSelector, "spec.selector", "{}")
            .problem("p")
            .fix("f");
        assert_eq!(
            render("PodDisruptionBudget", "web", &[one]),
            format!(
                "disruption-guard rejected PodDisruptionBudget \"web\" (1 problem):\n- [pdb-selector] spec.selector = {{}}: \
                 p Fix: f\nRules: {RULES_URL}#pdb-selector"
            )
        );
        // Each rule once, in the reference's order.
        let two = [Rule::PdbOverlap, Rule::PdbSelector, Rule::PdbOverlap]
            .map(|r| Finding::new(r, "spec", "x"));
        assert!(
            render("PodDisruptionBudget", "web", &two).ends_with(&format!(
                "\nRules: {RULES_URL}#pdb-selector {RULES_URL}#pdb-overlap"
            ))
        );
    }

    /// Every rule has its section in docs/rules.md, headed by its id (the anchor its link points at).
    #[test]
    fn every_rule_has_a_section_in_the_rule_reference() {
        let doc = include_str!("../../docs/rules.md");
        for rule in Rule::ALL {
            let heading = format!("\n## {}\n", rule.id());
            assert!(
                doc.contains(&heading),
                "docs/rules.md has no section {heading:?}"
            );
            assert!(
                doc.contains(&format!("](#{})", rule.id())),
                "{} is not in the index",
                rule.id()
            );
        }
        assert_eq!(doc.matches("\n## ").count(), Rule::ALL.len());
        let readme = include_str!("../../README.md");
        for rule in Rule::ALL {
            assert!(
                readme.contains(&format!("`{}`", rule.id())),
                "README: {}",
                rule.id()
            );
        }
    }
}
