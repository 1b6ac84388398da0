//! What a rule found, as data (rule id, field path, value, problem, fix); rendered into text only where
//! the policy, CLI or page answers.

use std::fmt;

/// Every rule, with a stable id (the README's rule reference lists them in this order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rule {
    CrdSchema,
    ScheduleUnparsable,
    ScheduleNeverFires,
    ConsolidationPolicyNotAllowed,
    ConsolidateAfterTooShort,
    BudgetAboveMax,
    BusinessHoursNotFrozen,
    FreezeWithoutNodes,
    DriftBlockedForever,
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
    pub const ALL: [Rule; 25] = [
        Rule::CrdSchema,
        Rule::ScheduleUnparsable,
        Rule::ScheduleNeverFires,
        Rule::ConsolidationPolicyNotAllowed,
        Rule::ConsolidateAfterTooShort,
        Rule::BudgetAboveMax,
        Rule::BusinessHoursNotFrozen,
        Rule::FreezeWithoutNodes,
        Rule::DriftBlockedForever,
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

    pub fn id(self) -> &'static str {
        match self {
            Rule::CrdSchema => "nodepool-crd-schema",
            Rule::ScheduleUnparsable => "nodepool-schedule-unparsable",
            Rule::ScheduleNeverFires => "nodepool-schedule-never-fires",
            Rule::ConsolidationPolicyNotAllowed => "nodepool-consolidation-policy",
            Rule::ConsolidateAfterTooShort => "nodepool-consolidate-after",
            Rule::BudgetAboveMax => "nodepool-budget-max",
            Rule::BusinessHoursNotFrozen => "nodepool-business-hours-freeze",
            Rule::FreezeWithoutNodes => "nodepool-freeze-without-nodes",
            Rule::DriftBlockedForever => "nodepool-drift-blocked",
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

/// The rejection text: a headline, then one finding per line.
pub fn render(kind: &str, name: &str, findings: &[Finding]) -> String {
    let mut out = format!(
        "disruption-guard rejected {kind} {name:?} ({} problem{}):",
        findings.len(),
        if findings.len() == 1 { "" } else { "s" }
    );
    // One buffer sized up front: formatting each finding through `Display` cost more than the rules.
    let length: usize = findings.iter().flat_map(|f| f.pieces()).map(str::len).sum();
    out.reserve(length + 3 * findings.len());
    for f in findings {
        out.push_str("\n- ");
        for piece in f.pieces() {
            out.push_str(piece);
        }
    }
    out
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
