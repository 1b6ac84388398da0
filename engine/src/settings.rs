//! Policy settings. Every key is optional; unknown keys and bad values are refused with a
//! sentence that names the key, so `kwctl` and PolicyServer fail at load time, not on the first request.

use std::fmt;
use std::str::FromStr;

use chrono::Weekday;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer, de};
use serde_json::{Map, Value};

use crate::calendar::spans::Minute;
use crate::calendar::weekly::{self, LocalWindow};
use crate::calendar::zone::Zone;
use crate::karpenter::duration::{Seconds, format_budget_duration};
use crate::karpenter::nodepool::{ConsolidationPolicy, Reason};
use crate::kube::int_or_percent::IntOrPercent;

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Settings {
    /// Absent: no freeze rules.
    pub business_hours: Option<BusinessHours>,
    /// Disruption allowed only inside these windows. Exclusive with `business_hours`.
    pub maintenance_windows: Option<MaintenanceWindows>,
    pub node_pools: NodePoolSettings,
    pub pdbs: PdbSettings,
    pub workloads: WorkloadSettings,
    pub capacity: CapacitySettings,
    /// What the PDB and workload guards do when their cluster lookups are refused or fail.
    pub on_lookup_failure: LookupFailure,
}

/// `reject` (default, fail closed): the request is rejected and the message says which lookup failed
/// and which permission to grant. `accept`: the context-aware checks are skipped, with a warning.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LookupFailure {
    #[default]
    Reject,
    Accept,
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BusinessHours {
    pub timezone: TimeZone,
    #[serde(default = "weekdays")]
    pub days: Vec<Day>,
    #[serde(default = "nine")]
    pub start: ClockTime,
    #[serde(default = "eighteen")]
    pub end: ClockTime,
}

/// Local windows outside which NodePools must freeze disruption.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MaintenanceWindows {
    pub timezone: TimeZone,
    pub windows: Vec<MaintenanceWindow>,
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MaintenanceWindow {
    pub days: Vec<Day>,
    pub start: ClockTime,
    /// At or before `start`: the window runs overnight.
    pub end: ClockTime,
}

/// At most this many maintenance windows (each may list every day): enough for any week, and a bound on
/// the budgets a NodePool gets.
pub const MAX_MAINTENANCE_WINDOWS: usize = 14;

/// The local time NodePools must freeze: business hours, or all but the maintenance windows.
#[derive(Clone, Debug)]
pub struct Freeze<'a> {
    pub zone: Zone,
    /// The frozen time of a week, on the zone's wall clock.
    pub windows: Vec<LocalWindow>,
    pub source: FreezeSource<'a>,
}

#[derive(Clone, Copy, Debug)]
pub enum FreezeSource<'a> {
    BusinessHours(&'a BusinessHours),
    MaintenanceWindows(&'a MaintenanceWindows),
}

impl Freeze<'_> {
    /// `business-hours` or `maintenance-window`, as in "a business-hours freeze budget".
    pub fn label(&self) -> &'static str {
        match self.source {
            FreezeSource::BusinessHours(_) => "business-hours",
            FreezeSource::MaintenanceWindows(_) => "maintenance-window",
        }
    }

    /// `Asia/Seoul 09:00-18:00`, or `all but Sat 02:00-06:00 Europe/Berlin`.
    pub fn brief(&self) -> String {
        match self.source {
            FreezeSource::BusinessHours(bh) => format!("{} {}-{}", bh.timezone, bh.start, bh.end),
            FreezeSource::MaintenanceWindows(mw) => format!("all but {}", mw.describe()),
        }
    }

    /// What is frozen, for messages: `business hours (Mon,Tue 09:00-18:00 Asia/Seoul)` or `the time
    /// outside the maintenance windows (Sat 02:00-06:00 Europe/Berlin)`.
    pub fn describe(&self) -> String {
        match self.source {
            FreezeSource::BusinessHours(bh) => {
                format!(
                    "business hours ({} {})",
                    describe_days(&bh.days, bh.start, bh.end),
                    bh.timezone
                )
            }
            FreezeSource::MaintenanceWindows(mw) => {
                format!(
                    "the time outside the maintenance windows ({})",
                    mw.describe()
                )
            }
        }
    }
}

fn describe_days(days: &[Day], start: ClockTime, end: ClockTime) -> String {
    let days: Vec<String> = days.iter().map(ToString::to_string).collect();
    format!("{} {start}-{end}", days.join(","))
}

fn day_bits(days: &[Day]) -> u8 {
    days.iter()
        .fold(0, |bits, d| bits | 1 << d.0.num_days_from_sunday())
}

impl BusinessHours {
    pub fn local_windows(&self) -> Vec<LocalWindow> {
        vec![LocalWindow::daily(
            day_bits(&self.days),
            Minute::from(self.start.0),
            Minute::from(self.end.0),
        )]
    }
}

impl MaintenanceWindows {
    /// `Sat 02:00-06:00; Wed 01:00-03:00 Europe/Berlin`.
    pub fn describe(&self) -> String {
        let windows: Vec<String> = self
            .windows
            .iter()
            .map(|w| describe_days(&w.days, w.start, w.end))
            .collect();
        format!("{} {}", windows.join("; "), self.timezone)
    }

    /// The windows themselves (open time), on the zone's wall clock.
    pub fn local_windows(&self) -> Vec<LocalWindow> {
        self.windows
            .iter()
            .map(|w| {
                LocalWindow::daily(
                    day_bits(&w.days),
                    Minute::from(w.start.0),
                    Minute::from(w.end.0),
                )
            })
            .collect()
    }
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct NodePoolSettings {
    pub allowed_consolidation_policies: Vec<ConsolidationPolicy>,
    pub min_consolidate_after: GoDuration,
    pub max_budget_nodes: IntOrPercent,
    pub require_freeze: bool,
    pub freeze_reasons: Vec<Reason>,
    pub inject_freeze: bool,
    pub inject_defaults: bool,
    pub expiry_forecast: ExpiryForecast,
}

/// What the NodePool guard does when the pool's nodes will expire inside the frozen time within 30 days.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ExpiryForecast {
    Off,
    #[default]
    Warn,
    Reject,
}

impl Default for NodePoolSettings {
    fn default() -> Self {
        NodePoolSettings {
            allowed_consolidation_policies: vec![
                ConsolidationPolicy::WhenEmpty,
                ConsolidationPolicy::WhenEmptyOrUnderutilized,
                ConsolidationPolicy::Balanced,
            ],
            min_consolidate_after: GoDuration(Seconds(300)),
            max_budget_nodes: IntOrPercent::Percent(10),
            require_freeze: true,
            freeze_reasons: Reason::ALL.to_vec(),
            inject_freeze: true,
            inject_defaults: true,
            expiry_forecast: ExpiryForecast::Warn,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct PdbSettings {
    /// `null` disables the mutation.
    pub default_min_available: Option<IntOrPercent>,
    /// `null` disables the mutation.
    pub unhealthy_pod_eviction_policy: Option<UnhealthyPodEvictionPolicy>,
}

impl Default for PdbSettings {
    fn default() -> Self {
        PdbSettings {
            default_min_available: Some(IntOrPercent::Percent(50)),
            unhealthy_pod_eviction_policy: Some(UnhealthyPodEvictionPolicy::AlwaysAllow),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub enum UnhealthyPodEvictionPolicy {
    IfHealthyBudget,
    AlwaysAllow,
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct WorkloadSettings {
    pub min_replicas: u32,
    pub availability_floor: IntOrPercent,
    pub require_pdb: bool,
    pub anti_affinity: AntiAffinity,
    pub topology_spread: TopologySpread,
}

impl Default for WorkloadSettings {
    fn default() -> Self {
        WorkloadSettings {
            min_replicas: 2,
            availability_floor: IntOrPercent::Percent(50),
            require_pdb: true,
            anti_affinity: AntiAffinity::Preferred,
            topology_spread: TopologySpread::Zone,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AntiAffinity {
    Off,
    Preferred,
    Required,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TopologySpread {
    Off,
    Zone,
    Hostname,
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct CapacitySettings {
    pub enabled: bool,
}

impl Default for CapacitySettings {
    fn default() -> Self {
        CapacitySettings { enabled: true }
    }
}

/// What one key of a settings document gets wrong: the key's dotted path (`nodePools.maxBudgetNodes`,
/// empty for the document itself) and a sentence that names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub path: String,
    pub message: String,
}

impl Problem {
    fn new(path: &str, message: &str) -> Problem {
        Problem {
            path: shortened(path, MAX_PROBLEM_LEN / 8),
            message: shortened(&with_near_miss(message), MAX_PROBLEM_LEN),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() || self.message.starts_with(&self.path) {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// `text`, cut to at most `max` bytes (on a character boundary, by [`crate::finding::cut`]) with an
/// ellipsis when it was longer.
fn shortened(text: &str, max: usize) -> String {
    let kept = crate::finding::cut(text, max);
    if kept.len() == text.len() {
        text.to_string()
    } else {
        format!("{kept}…")
    }
}

/// A problem's sentence is cut at this many bytes (a key or value written in it can be any size).
const MAX_PROBLEM_LEN: usize = 512;
/// A message names this many problems, then counts the rest.
pub const MAX_PROBLEMS_NAMED: usize = 20;

/// Every problem of a settings document, so that one round of edits can fix them all.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Problems(pub Vec<Problem>);

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.len() > 1 {
            write!(f, "{} problems: ", self.0.len())?;
        }
        for (i, problem) in self.0.iter().take(MAX_PROBLEMS_NAMED).enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{problem}")?;
        }
        if self.0.len() > MAX_PROBLEMS_NAMED {
            write!(f, "; and {} more", self.0.len() - MAX_PROBLEMS_NAMED)?;
        }
        Ok(())
    }
}

impl Settings {
    /// The zone messages give local times in beside UTC: the freeze's (none for UTC itself).
    pub fn local_zone(&self) -> Option<Zone> {
        let zone = self.freeze_zone()?;
        (zone != Zone::UTC).then_some(zone)
    }

    /// The zone of the business hours or the maintenance windows.
    pub fn freeze_zone(&self) -> Option<Zone> {
        match (&self.business_hours, &self.maintenance_windows) {
            (Some(bh), _) => Some(bh.timezone.0),
            (None, Some(mw)) => Some(mw.timezone.0),
            (None, None) => None,
        }
    }

    /// The local time NodePools must freeze, if the settings name one.
    pub fn freeze(&self) -> Option<Freeze<'_>> {
        if let Some(bh) = &self.business_hours {
            return Some(Freeze {
                zone: bh.timezone.0,
                windows: bh.local_windows(),
                source: FreezeSource::BusinessHours(bh),
            });
        }
        let mw = self.maintenance_windows.as_ref()?;
        Some(Freeze {
            zone: mw.timezone.0,
            windows: weekly::outside(&mw.local_windows()),
            source: FreezeSource::MaintenanceWindows(mw),
        })
    }

    /// Cross-field checks that serde cannot express, every one that fails as a sentence naming the key.
    pub fn validate(&self) -> Result<(), String> {
        let problems = Problems(self.cross_field_problems());
        if problems.0.is_empty() {
            Ok(())
        } else {
            Err(problems.to_string())
        }
    }

    fn cross_field_problems(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        let mut problem = |path: &str, message: String| problems.push(Problem::new(path, &message));
        let np = &self.node_pools;
        if np.allowed_consolidation_policies.is_empty() {
            problem(
                "nodePools.allowedConsolidationPolicies",
                format!(
                    "nodePools.allowedConsolidationPolicies is empty: no NodePool could ever be admitted; \
                     list at least one of {}",
                    ConsolidationPolicy::ALL
                        .map(ConsolidationPolicy::name)
                        .join(", ")
                ),
            );
        }
        if let IntOrPercent::Percent(p) = np.max_budget_nodes
            && p > 100
        {
            problem(
                "nodePools.maxBudgetNodes",
                format!("nodePools.maxBudgetNodes {p}% is above 100%"),
            );
        }
        if np.max_budget_nodes.is_zero() {
            problem(
                "nodePools.maxBudgetNodes",
                format!(
                    "nodePools.maxBudgetNodes {} allows no disruption at all: every NodePool whose budgets let \
                     a node go would be rejected, and one that lets none go never consolidates, drifts or \
                     expires gracefully; use a count such as 1 or a percentage such as \"10%\"",
                    np.max_budget_nodes
                ),
            );
        }
        let pdbs = &self.pdbs;
        // Above 100% does not parse.
        if let Some(IntOrPercent::Percent(p @ 100)) = pdbs.default_min_available {
            problem(
                "pdbs.defaultMinAvailable",
                format!(
                    "pdbs.defaultMinAvailable \"{p}%\" would write PDBs that allow no eviction, which the \
                     policy rejects (pdb-never-disrupts): use \"50%\", or null to inject none"
                ),
            );
        }
        if let Some(zero) = pdbs.default_min_available.filter(|v| v.is_zero()) {
            problem(
                "pdbs.defaultMinAvailable",
                format!(
                    "pdbs.defaultMinAvailable {zero} would write PDBs that protect nothing: use \"50%\", \
                     or null to inject none"
                ),
            );
        }
        let w = &self.workloads;
        if w.min_replicas < 2 {
            problem(
                "workloads.minReplicas",
                format!(
                    "workloads.minReplicas {} would require a PDB for single-replica workloads, and any PDB \
                     that protects one replica blocks its node's drain (pdb-never-disrupts): use 2 or more",
                    w.min_replicas
                ),
            );
        }
        if w.availability_floor.is_zero() {
            problem(
                "workloads.availabilityFloor",
                format!(
                    "workloads.availabilityFloor {} keeps no pod up: the PDBs it renders protect nothing; \
                     use \"50%\" or a count such as 1",
                    w.availability_floor
                ),
            );
        }
        if let Some(bh) = &self.business_hours {
            let days = bh
                .days
                .iter()
                .fold(0u8, |m, d| m | 1 << d.0.num_days_from_monday());
            let all_week = days == 0b111_1111;
            let all_day = bh.start.0 == 0 && bh.end.0 == 24 * 60;
            if all_week
                && all_day
                && (np.require_freeze || np.inject_freeze)
                && np.freeze_reasons.contains(&Reason::Drifted)
            {
                problem(
                    "nodePools.freezeReasons",
                    "business hours cover the whole week (every day 00:00-24:00) and nodePools.freezeReasons \
                     includes Drifted: drift would be frozen forever, which the policy rejects \
                     (nodepool-drift-blocked); leave Drifted out of freezeReasons or shorten the business \
                     hours"
                        .into(),
                );
            }
            if bh.days.is_empty() {
                problem(
                    "businessHours.days",
                    "businessHours.days is empty: list the days to freeze, e.g. [Mon, Tue, Wed, Thu, Fri]"
                        .into(),
                );
            }
            if bh.start == bh.end {
                problem(
                    "businessHours.start",
                    format!(
                        "businessHours.start and businessHours.end are both {}: the window would be empty; \
                         for a whole day use start \"00:00\" and end \"24:00\"",
                        bh.start
                    ),
                );
            } else if bh.start.0 == 24 * 60 {
                problem(
                    "businessHours.start",
                    "businessHours.start \"24:00\" is not a start time: use \"00:00\"".into(),
                );
            }
        }
        if let Some(mw) = &self.maintenance_windows {
            maintenance_window_problems(mw, self.business_hours.is_some(), &mut problem);
        }
        if self.freeze().is_some() && np.require_freeze && np.freeze_reasons.is_empty() {
            problem(
                "nodePools.freezeReasons",
                "nodePools.freezeReasons is empty while nodePools.requireFreeze is true: \
                 list the reasons to freeze (Empty, Underutilized, Drifted) or set requireFreeze: false"
                    .into(),
            );
        }
        problems
    }
}

fn maintenance_window_problems(
    mw: &MaintenanceWindows,
    with_business_hours: bool,
    problem: &mut impl FnMut(&str, String),
) {
    if with_business_hours {
        problem(
            "maintenanceWindows",
            "businessHours and maintenanceWindows are both set: maintenance windows already freeze every \
             minute outside them, business hours included; keep maintenanceWindows to allow disruption \
             only inside the windows, or businessHours to freeze only those hours"
                .into(),
        );
    }
    if mw.windows.is_empty() {
        problem(
            "maintenanceWindows.windows",
            "maintenanceWindows.windows is empty: disruption would never be allowed; list at least one \
             window, e.g. {days: [Sat], start: \"02:00\", end: \"06:00\"}, or remove maintenanceWindows"
                .into(),
        );
        return;
    }
    if mw.windows.len() > MAX_MAINTENANCE_WINDOWS {
        problem(
            "maintenanceWindows.windows",
            format!(
                "maintenanceWindows.windows lists {} windows, more than the {MAX_MAINTENANCE_WINDOWS} allowed: \
                 list several days in one window (days: [Mon, Tue, Wed])",
                mw.windows.len()
            ),
        );
        return;
    }
    let mut well_formed = true;
    for (i, w) in mw.windows.iter().enumerate() {
        let key = format!("maintenanceWindows.windows[{i}]");
        if w.days.is_empty() {
            problem(
                &format!("{key}.days"),
                format!("{key}.days is empty: list the days it opens on, e.g. [Sat]"),
            );
            well_formed = false;
        }
        if w.start == w.end {
            problem(
                &format!("{key}.start"),
                format!(
                    "{key}.start and end are both {}: the window would be empty; for a whole day use start \
                     \"00:00\" and end \"24:00\"",
                    w.start
                ),
            );
            well_formed = false;
        } else if w.start.0 == 24 * 60 {
            problem(
                &format!("{key}.start"),
                format!("{key}.start \"24:00\" is not a start time: use \"00:00\""),
            );
            well_formed = false;
        }
    }
    if !well_formed {
        return;
    }
    let open = mw.local_windows();
    if weekly::outside(&open).is_empty() {
        problem(
            "maintenanceWindows.windows",
            "maintenanceWindows.windows cover the whole week: there is no time outside them to freeze; \
             remove maintenanceWindows, or use businessHours to freeze some hours"
                .into(),
        );
        return;
    }
    // Karpenter's schedules are UTC, so the budgets freeze both UTC readings of a local time: a window
    // stays open all year only for its length less the zone's offset change.
    let spread = mw.timezone.0.offset_spread();
    let shortest = weekly::shortest_open(&open);
    if shortest <= spread {
        problem(
            "maintenanceWindows.windows",
            format!(
                "a maintenance window is {} long but {}'s clocks change by {}: budget schedules are UTC, \
                 so the freeze covers both readings of the local time and the window would never open; make \
                 every window longer than {} (it stays open for its length less {} all year)",
                format_budget_duration(shortest),
                mw.timezone,
                format_budget_duration(spread),
                format_budget_duration(spread),
                format_budget_duration(spread),
            ),
        );
    }
}

impl Settings {
    /// Parses and validates settings JSON; on error, a message naming every bad key.
    pub fn from_json(json: &[u8]) -> Result<Settings, String> {
        let value: Value = serde_json::from_slice(json).map_err(|e| {
            // The position is in the JSON the host re-encoded the settings to, not in what the user wrote.
            let text = e.to_string();
            let message = match text.rfind(" at line ") {
                Some(i) if e.line() > 0 => &text[..i],
                _ => text.as_str(),
            };
            format!("invalid settings: {message}")
        })?;
        Settings::decode(&value).map_err(|problems| format!("invalid settings: {problems}"))
    }

    /// Decodes a settings document and reports every problem at once, not only the first: each key is
    /// decoded on its own, so a typo in one section does not hide a bad value in another, and the
    /// cross-field checks run on what did decode. `null` is the defaults.
    pub fn decode(value: &Value) -> Result<Settings, Problems> {
        let mut problems = Vec::new();
        let mut settings = Settings::default();
        let map = match value {
            Value::Null => return Ok(settings),
            Value::Object(map) => map,
            other => {
                let kind = match other {
                    Value::Array(_) => "a list",
                    Value::String(_) => "a string",
                    _ => "a scalar",
                };
                let message = format!(
                    "invalid type: {kind}, expected a map of keys such as businessHours and nodePools"
                );
                return Err(Problems(vec![Problem::new("", &message)]));
            }
        };
        for (key, value) in map {
            let problems = &mut problems;
            // One arm per field of `Settings`: the round-trip test below fails when one is missing.
            match key.as_str() {
                "businessHours" if value.is_null() => settings.business_hours = None,
                "businessHours" => {
                    // `timezone` is required; a stand-in lets the other keys be checked without it.
                    let stand_in = [("timezone", Value::from("UTC"))];
                    settings.business_hours = section(key, value, &stand_in, problems);
                }
                "maintenanceWindows" if value.is_null() => settings.maintenance_windows = None,
                "maintenanceWindows" => {
                    // A stand-in window that raises no problem of its own.
                    let window =
                        serde_json::json!([{"days": ["Sat"], "start": "02:00", "end": "06:00"}]);
                    let stand_in = [("timezone", Value::from("UTC")), ("windows", window)];
                    settings.maintenance_windows = section(key, value, &stand_in, problems);
                }
                "nodePools" => set(&mut settings.node_pools, section(key, value, &[], problems)),
                "pdbs" => set(&mut settings.pdbs, section(key, value, &[], problems)),
                "workloads" => set(&mut settings.workloads, section(key, value, &[], problems)),
                "capacity" => set(&mut settings.capacity, section(key, value, &[], problems)),
                "onLookupFailure" => set(
                    &mut settings.on_lookup_failure,
                    decoded(key, value, problems),
                ),
                _ => {
                    let alone = Value::Object(Map::from_iter([(key.clone(), value.clone())]));
                    if let Err(e) = serde_json::from_value::<Settings>(alone) {
                        problems.push(Problem::new(key, &e.to_string()));
                    }
                }
            }
        }
        problems.extend(settings.cross_field_problems());
        if problems.is_empty() {
            Ok(settings)
        } else {
            Err(Problems(problems))
        }
    }
}

fn set<T>(field: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *field = value;
    }
}

fn decoded<T: DeserializeOwned>(
    path: &str,
    value: &Value,
    problems: &mut Vec<Problem>,
) -> Option<T> {
    serde_json::from_value(value.clone())
        .map_err(|e| problems.push(Problem::new(path, &e.to_string())))
        .ok()
}

/// Decodes one section of the settings. When it does not decode, each of its keys is decoded alone (with
/// `required` stand-ins for the keys it cannot do without) so that every bad key is named; the section is
/// then what its good keys make, for the cross-field checks.
fn section<T: DeserializeOwned>(
    path: &str,
    value: &Value,
    required: &[(&str, Value)],
    problems: &mut Vec<Problem>,
) -> Option<T> {
    let whole_error = match serde_json::from_value::<T>(value.clone()) {
        Ok(decoded) => return Some(decoded),
        Err(e) => e.to_string(),
    };
    let Value::Object(map) = value else {
        problems.push(Problem::new(path, &whole_error));
        return None;
    };
    let with_required = |mut keys: Map<String, Value>| {
        for (key, stand_in) in required {
            keys.entry(*key).or_insert_with(|| stand_in.clone());
        }
        Value::Object(keys)
    };
    let before = problems.len();
    let mut good = Map::new();
    for (key, value) in map {
        let alone = with_required(Map::from_iter([(key.clone(), value.clone())]));
        match serde_json::from_value::<T>(alone) {
            Ok(_) => {
                good.insert(key.clone(), value.clone());
            }
            Err(e) => problems.push(Problem::new(&format!("{path}.{key}"), &e.to_string())),
        }
    }
    for (key, _) in required {
        if !map.contains_key(*key) {
            problems.push(Problem::new(path, &format!("missing field `{key}`")));
        }
    }
    if problems.len() == before {
        // Every key is fine alone: what is wrong is the whole, such as a missing required key.
        problems.push(Problem::new(path, &whole_error));
        return None;
    }
    serde_json::from_value(with_required(good)).ok()
}

/// serde's "unknown field `maxBudgetNode`, expected one of `a`, `b`" (or "unknown variant"), with the
/// expected name nearest to the one written appended as a suggestion, when one is near (a typo or a case
/// slip: an edit distance of at most a third of the name).
fn with_near_miss(error: &str) -> String {
    let after = |marker: &str| error.find(marker).map(|i| &error[i + marker.len()..]);
    let Some(rest) = after("unknown field `").or_else(|| after("unknown variant `")) else {
        return error.to_string();
    };
    let Some((written, expected)) = rest.split_once("`, expected ") else {
        return error.to_string();
    };
    let candidates = expected.split('`').skip(1).step_by(2);
    let nearest = candidates
        .map(|c| (edit_distance(written, c), c))
        .min_by_key(|(d, _)| *d)
        .filter(|(d, c)| *d > 0 && *d <= c.len().max(3) / 3);
    match nearest {
        Some((_, name)) => format!("{error}: did you mean `{name}`?"),
        None => error.to_string(),
    }
}

/// Levenshtein distance, case slips counting half as much as other edits (rounded up), on names of at
/// most 64 bytes (longer ones are no typo of a settings key: `usize::MAX`).
fn edit_distance(a: &str, b: &str) -> usize {
    if a.len() > 64 || b.len() > 64 {
        return usize::MAX;
    }
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    // Costs in half steps: 1 for a case slip, 2 for any other edit.
    let mut row: Vec<usize> = (0..=b.len()).map(|j| 2 * j).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = 2 * (i + 1);
        for (j, cb) in b.iter().enumerate() {
            let swap = if ca == cb {
                0
            } else if ca.eq_ignore_ascii_case(cb) {
                1
            } else {
                2
            };
            let next = (diagonal + swap).min(row[j] + 2).min(row[j + 1] + 2);
            diagonal = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()].div_ceil(2)
}

fn weekdays() -> Vec<Day> {
    [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
    ]
    .into_iter()
    .map(Day)
    .collect()
}

fn nine() -> ClockTime {
    ClockTime(9 * 60)
}

fn eighteen() -> ClockTime {
    ClockTime(18 * 60)
}

/// Deserializes a value from its string form through `FromStr`, with the parse error as the message.
macro_rules! string_backed {
    ($ty:ty) => {
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(de::Error::custom)
            }
        }
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.to_string())
            }
        }
    };
}

/// An IANA time zone such as `Asia/Seoul`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeZone(pub Zone);

impl FromStr for TimeZone {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        s.parse::<Zone>().map(TimeZone).map_err(|_| {
            // IANA names are case-sensitive: `asia/seoul` is a slip worth naming.
            let same_but_case = Zone::names().find(|name| name.eq_ignore_ascii_case(s));
            match same_but_case {
                Some(name) => format!(
                    "unknown time zone {s:?}: did you mean {name:?}? (IANA names are case-sensitive)"
                ),
                None => format!(
                    "unknown time zone {s:?}: use an IANA name such as \"Asia/Seoul\" or \"Europe/Berlin\""
                ),
            }
        })
    }
}

impl fmt::Display for TimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.name())
    }
}
string_backed!(TimeZone);

/// A local wall-clock time `HH:MM`, as minutes after midnight; `24:00` is allowed as an end.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ClockTime(pub u32);

impl FromStr for ClockTime {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "invalid time {s:?}: expected HH:MM on a 24-hour clock, such as \"09:00\" or \"18:30\""
            )
        };
        let (h, m) = s.split_once(':').ok_or_else(bad)?;
        // Two digits each: `parse` alone would take "+9" for 9.
        let two_digits = |part: &str| part.len() == 2 && part.bytes().all(|b| b.is_ascii_digit());
        if !two_digits(h) || !two_digits(m) {
            return Err(bad());
        }
        let (h, m): (u32, u32) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        if (h < 24 && m < 60) || (h == 24 && m == 0) {
            Ok(ClockTime(h * 60 + m))
        } else {
            Err(bad())
        }
    }
}

impl fmt::Display for ClockTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}
string_backed!(ClockTime);

/// `Mon` … `Sun`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Day(pub Weekday);

const DAY_NAMES: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

impl FromStr for Day {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        DAY_NAMES
            .iter()
            .position(|d| *d == s)
            .and_then(|i| Weekday::try_from(i as u8).ok())
            .map(Day)
            .ok_or_else(|| format!("unknown day {s:?}: use Mon, Tue, Wed, Thu, Fri, Sat or Sun"))
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(DAY_NAMES[self.0.num_days_from_monday() as usize])
    }
}
string_backed!(Day);

/// A Go duration in the CRD's `h`/`m`/`s` units, e.g. `5m`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct GoDuration(pub Seconds);

impl FromStr for GoDuration {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Seconds::parse(s)
            .map(GoDuration)
            .ok_or_else(|| format!("invalid duration {s:?}: expected hours, minutes and seconds such as \"5m\" or \"1h30m\""))
    }
}

impl fmt::Display for GoDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
string_backed!(GoDuration);

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Settings, String> {
        Settings::from_json(json.as_bytes())
    }

    #[test]
    fn empty_settings_take_the_spec_defaults() {
        let s = parse("{}").unwrap();
        assert_eq!(s, Settings::default());
        assert_eq!(s.node_pools.max_budget_nodes, IntOrPercent::Percent(10));
        assert_eq!(s.node_pools.min_consolidate_after.0, Seconds(300));
        assert!(s.business_hours.is_none());
        assert_eq!(
            s.pdbs.unhealthy_pod_eviction_policy,
            Some(UnhealthyPodEvictionPolicy::AlwaysAllow)
        );
    }

    #[test]
    fn business_hours_default_to_weekdays_nine_to_six() {
        let s = parse(r#"{"businessHours": {"timezone": "Asia/Seoul"}}"#).unwrap();
        let bh = s.business_hours.unwrap();
        assert_eq!(bh.timezone.0, Zone::named("Asia/Seoul").unwrap());
        assert_eq!(bh.days.len(), 5);
        assert_eq!((bh.start, bh.end), (ClockTime(540), ClockTime(1080)));
    }

    #[test]
    fn bad_settings_name_the_key_and_the_value() {
        for (json, expected) in [
            (r#"{"nodePool": {}}"#, "unknown field `nodePool`"),
            (
                r#"{"nodePools": {"maxBudget": "10%"}}"#,
                "unknown field `maxBudget`",
            ),
            (
                r#"{"businessHours": {"timezone": "Asia/Tokio"}}"#,
                "unknown time zone \"Asia/Tokio\"",
            ),
            (r#"{"businessHours": {}}"#, "missing field `timezone`"),
            (
                r#"{"businessHours": {"timezone": "UTC", "start": "9:00"}}"#,
                "invalid time \"9:00\"",
            ),
            (
                r#"{"businessHours": {"timezone": "UTC", "end": "25:00"}}"#,
                "invalid time \"25:00\"",
            ),
            (
                r#"{"businessHours": {"timezone": "UTC", "days": ["Monday"]}}"#,
                "unknown day \"Monday\"",
            ),
            (
                r#"{"businessHours": {"timezone": "UTC", "days": []}}"#,
                "businessHours.days is empty",
            ),
            (
                r#"{"businessHours": {"timezone": "UTC", "start": "09:00", "end": "09:00"}}"#,
                "would be empty",
            ),
            (
                r#"{"nodePools": {"maxBudgetNodes": "150%"}}"#,
                "invalid value \"150%\"",
            ),
            (
                r#"{"nodePools": {"minConsolidateAfter": "5 minutes"}}"#,
                "invalid duration \"5 minutes\"",
            ),
            (
                r#"{"nodePools": {"allowedConsolidationPolicies": ["WhenUnderutilized"]}}"#,
                "unknown variant `WhenUnderutilized`",
            ),
            (
                r#"{"nodePools": {"allowedConsolidationPolicies": []}}"#,
                "allowedConsolidationPolicies is empty",
            ),
            (
                r#"{"nodePools": {"freezeReasons": ["Expired"]}}"#,
                "unknown variant `Expired`",
            ),
            (
                r#"{"pdbs": {"defaultMinAvailable": "half"}}"#,
                "invalid value \"half\"",
            ),
            (
                r#"{"workloads": {"antiAffinity": "always"}}"#,
                "unknown variant `always`",
            ),
            (r#"not json"#, "invalid settings"),
            (
                r#"{"nodePools": {"maxBudgetNode": "10%"}}"#,
                "unknown field `maxBudgetNode`, expected one of",
            ),
            (
                r#"{"nodePools": {"maxBudgetNode": "10%"}}"#,
                ": did you mean `maxBudgetNodes`?",
            ),
            (
                r#"{"businessHours": {"timezone": "asia/seoul"}}"#,
                "unknown time zone \"asia/seoul\": did you mean \"Asia/Seoul\"?",
            ),
            (
                r#"{"workloads": {"antiAffinity": "Required"}}"#,
                "did you mean `required`?",
            ),
        ] {
            let err = parse(json).expect_err(json);
            assert!(
                err.contains(expected),
                "{json}: got {err:?}, want {expected:?}"
            );
        }
    }

    #[test]
    fn an_error_does_not_point_into_the_hosts_json() {
        let err = parse(r#"{"nodePools": {"maxBudgetNode": "10%"}}"#).unwrap_err();
        assert!(!err.contains(" at line "), "{err}");
        assert!(err.ends_with("did you mean `maxBudgetNodes`?"), "{err}");
    }

    #[test]
    fn a_name_far_from_every_key_gets_no_suggestion() {
        for json in [
            r#"{"nodePools": {"colour": 1}}"#,
            r#"{"businessHours": {"timezone": "Mars/Olympus"}}"#,
        ] {
            let err = parse(json).expect_err(json);
            assert!(!err.contains("did you mean"), "{json}: {err}");
        }
        assert_eq!(edit_distance("maxBudgetNode", "maxBudgetNodes"), 1);
        assert_eq!(edit_distance("Required", "required"), 1);
        assert_eq!(edit_distance(&"x".repeat(65), "x"), usize::MAX);
    }

    /// `json` is refused with one problem, on `path`, whose sentence contains `words`.
    fn assert_refused_for_one_key(json: &str, path: &str, words: &str) {
        let value: Value = serde_json::from_str(json).unwrap();
        let problems = Settings::decode(&value).unwrap_err().0;
        assert_eq!(problems.len(), 1, "{json}: {problems:?}");
        assert_eq!(problems[0].path, path, "{json}");
        assert!(
            problems[0].message.contains(words),
            "{json}: {}",
            problems[0].message
        );
    }

    /// Settings that would make every object of a kind unadmittable, or a mutation write what a rule rejects:
    /// each is refused with the key and the conflict, and the nearest good value passes.
    #[test]
    fn settings_that_contradict_the_rules_are_refused() {
        let cases = [
            (
                r#"{"workloads": {"minReplicas": 1}}"#,
                "workloads.minReplicas",
                "pdb-never-disrupts",
            ),
            (
                r#"{"workloads": {"minReplicas": 0}}"#,
                "workloads.minReplicas",
                "use 2 or more",
            ),
            (
                r#"{"pdbs": {"defaultMinAvailable": "100%"}}"#,
                "pdbs.defaultMinAvailable",
                "pdb-never-disrupts",
            ),
            (
                r#"{"pdbs": {"defaultMinAvailable": 0}}"#,
                "pdbs.defaultMinAvailable",
                "protect nothing",
            ),
            (
                r#"{"nodePools": {"maxBudgetNodes": "0"}}"#,
                "nodePools.maxBudgetNodes",
                "allows no disruption",
            ),
            (
                r#"{"nodePools": {"maxBudgetNodes": "0%"}}"#,
                "nodePools.maxBudgetNodes",
                "allows no disruption",
            ),
            (
                r#"{"workloads": {"availabilityFloor": "0%"}}"#,
                "workloads.availabilityFloor",
                "keeps no pod up",
            ),
            (
                r#"{"workloads": {"availabilityFloor": 0}}"#,
                "workloads.availabilityFloor",
                "keeps no pod up",
            ),
            (
                r#"{"businessHours": {"timezone": "Asia/Seoul", "days": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
                    "start": "00:00", "end": "24:00"}}"#,
                "nodePools.freezeReasons",
                "nodepool-drift-blocked",
            ),
            (
                r#"{"businessHours": {"timezone": "Asia/Seoul", "start": "+9:00"}}"#,
                "businessHours.start",
                "HH:MM",
            ),
        ];
        for (json, path, words) in cases {
            assert_refused_for_one_key(json, path, words);
        }
        for fine in [
            r#"{"workloads": {"minReplicas": 2, "availabilityFloor": 1}}"#,
            r#"{"pdbs": {"defaultMinAvailable": "99%"}, "nodePools": {"maxBudgetNodes": 1}}"#,
            r#"{"businessHours": {"timezone": "Asia/Seoul", "days": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
                "start": "00:00", "end": "24:00"}, "nodePools": {"freezeReasons": ["Empty", "Underutilized"]}}"#,
            r#"{"businessHours": {"timezone": "Asia/Seoul", "days": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat"],
                "start": "00:00", "end": "24:00"}}"#,
        ] {
            assert!(parse(fine).is_ok(), "{fine}: {:?}", parse(fine));
        }
    }

    #[test]
    fn maintenance_windows_that_cannot_work_are_refused() {
        let window = r#"{"days": ["Sat"], "start": "02:00", "end": "06:00"}"#;
        let many = vec![window; MAX_MAINTENANCE_WINDOWS + 1].join(",");
        let cases = [
            (
                format!(r#"{{"businessHours": {{"timezone": "UTC"}}, "maintenanceWindows": {{"timezone": "UTC", "windows": [{window}]}}}}"#),
                "maintenanceWindows",
                "both set",
            ),
            (
                r#"{"maintenanceWindows": {"timezone": "UTC", "windows": []}}"#.to_string(),
                "maintenanceWindows.windows",
                "never be allowed",
            ),
            (
                format!(r#"{{"maintenanceWindows": {{"timezone": "UTC", "windows": [{many}]}}}}"#),
                "maintenanceWindows.windows",
                "more than the 14",
            ),
            (
                r#"{"maintenanceWindows": {"timezone": "UTC", "windows": [{"days": [], "start": "02:00", "end": "06:00"}]}}"#.to_string(),
                "maintenanceWindows.windows[0].days",
                "is empty",
            ),
            (
                r#"{"maintenanceWindows": {"timezone": "UTC", "windows": [{"days": ["Sun"], "start": "02:00", "end": "02:00"}]}}"#.to_string(),
                "maintenanceWindows.windows[0].start",
                "would be empty",
            ),
            (
                r#"{"maintenanceWindows": {"timezone": "UTC", "windows": [{"days": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"], "start": "00:00", "end": "24:00"}]}}"#.to_string(),
                "maintenanceWindows.windows",
                "whole week",
            ),
            (
                // One hour in a zone whose clocks change by one: the UTC budgets of both offsets close it.
                r#"{"maintenanceWindows": {"timezone": "Europe/Berlin", "windows": [{"days": ["Sat"], "start": "02:00", "end": "03:00"}]}}"#.to_string(),
                "maintenanceWindows.windows",
                "Europe/Berlin's clocks change by 1h",
            ),
            (
                r#"{"maintenanceWindows": {"timezone": "UTC"}}"#.to_string(),
                "maintenanceWindows",
                "missing field `windows`",
            ),
        ];
        for (json, path, words) in cases {
            assert_refused_for_one_key(&json, path, words);
        }
        for fine in [
            // The same hour where clocks do not change, and a longer one where they do.
            r#"{"maintenanceWindows": {"timezone": "Asia/Seoul", "windows": [{"days": ["Sat"], "start": "02:00", "end": "03:00"}]}}"#,
            r#"{"maintenanceWindows": {"timezone": "Europe/Berlin", "windows": [{"days": ["Sat"], "start": "02:00", "end": "03:01"}]}}"#,
            // Six whole days and an overnight window: a freeze is left.
            r#"{"maintenanceWindows": {"timezone": "UTC", "windows": [{"days": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat"], "start": "00:00", "end": "24:00"}, {"days": ["Sat"], "start": "22:00", "end": "02:00"}]}}"#,
        ] {
            let settings = parse(fine).unwrap_or_else(|e| panic!("{fine}: {e:?}"));
            assert!(settings.freeze().is_some_and(|f| !f.windows.is_empty()));
        }
    }

    #[test]
    fn every_problem_is_named_at_once() {
        let json = r#"{"nodePool": {}, "onLookupFailure": "rejct",
            "nodePools": {"maxBudgetNode": "10%", "minConsolidateAfter": "5 minutes", "allowedConsolidationPolicies": []},
            "businessHours": {"timezone": "asia/seoul", "start": "9:00", "days": []},
            "workloads": {"antiAffinity": "always", "minReplicas": 3}}"#;
        let value: Value = serde_json::from_str(json).unwrap();
        let problems = Settings::decode(&value).unwrap_err().0;
        let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "businessHours.start",
                "businessHours.timezone",
                "nodePool",
                "nodePools.maxBudgetNode",
                "nodePools.minConsolidateAfter",
                "onLookupFailure",
                "workloads.antiAffinity",
                // The cross-field checks, on what decoded.
                "nodePools.allowedConsolidationPolicies",
                "businessHours.days",
            ]
        );
        let message = parse(json).unwrap_err();
        assert!(
            message.starts_with("invalid settings: 9 problems: "),
            "{message}"
        );
        for expected in [
            "businessHours.timezone: unknown time zone \"asia/seoul\": did you mean \"Asia/Seoul\"?",
            "nodePools.maxBudgetNode: unknown field `maxBudgetNode`",
            "did you mean `maxBudgetNodes`?",
            "onLookupFailure: unknown variant `rejct`",
            "did you mean `reject`?",
            "workloads.antiAffinity: unknown variant `always`",
            "invalid time \"9:00\"",
        ] {
            assert!(message.contains(expected), "{expected}: {message}");
        }
    }

    #[test]
    fn a_missing_timezone_is_named_beside_the_other_problems() {
        let value = serde_json::json!({"businessHours": {"days": ["Monday"]}});
        let problems = Settings::decode(&value).unwrap_err().to_string();
        assert!(problems.starts_with("2 problems: "), "{problems}");
        assert!(
            problems.contains("businessHours.days: unknown day \"Monday\""),
            "{problems}"
        );
        assert!(
            problems.contains("businessHours: missing field `timezone`"),
            "{problems}"
        );
        // Alone, the whole section's own error is the one named.
        let value = serde_json::json!({"businessHours": {"days": ["Mon"]}});
        assert_eq!(
            Settings::decode(&value).unwrap_err().to_string(),
            "businessHours: missing field `timezone`"
        );
    }

    #[test]
    fn a_message_names_twenty_problems_and_counts_the_rest() {
        let keys: Map<String, Value> = (0..5000)
            .map(|i| (format!("{}{i}", "k".repeat(2000)), Value::Null))
            .collect();
        let problems = Settings::decode(&Value::Object(keys)).unwrap_err();
        assert_eq!(problems.0.len(), 5000);
        let message = problems.to_string();
        assert!(message.starts_with("5000 problems: "), "{}", &message[..80]);
        assert!(message.ends_with("; and 4980 more"));
        assert!(message.len() < 25 * 1100, "{} bytes", message.len());
    }

    #[test]
    fn every_field_of_the_settings_decodes_back() {
        // A field added to `Settings` but not to `decode` would come back as an unknown key.
        let settings = Settings {
            business_hours: Some(BusinessHours {
                timezone: TimeZone(Zone::named("Asia/Seoul").unwrap()),
                days: weekdays(),
                start: nine(),
                end: eighteen(),
            }),
            on_lookup_failure: LookupFailure::Accept,
            capacity: CapacitySettings { enabled: false },
            ..Settings::default()
        };
        let value = serde_json::to_value(&settings).unwrap();
        assert_eq!(Settings::decode(&value), Ok(settings));
        for not_a_map in ["[]", "3", "\"x\""] {
            let value: Value = serde_json::from_str(not_a_map).unwrap();
            let problems = Settings::decode(&value).unwrap_err();
            assert_eq!(problems.0.len(), 1, "{not_a_map}");
            assert!(
                problems.to_string().contains("expected a map of keys"),
                "{problems}"
            );
        }
    }

    #[test]
    fn overnight_windows_and_null_policy_are_accepted() {
        let s = parse(
            r#"{"businessHours": {"timezone": "America/Los_Angeles", "start": "22:00", "end": "06:00", "days": ["Sat", "Sun"]},
                "pdbs": {"unhealthyPodEvictionPolicy": null}, "nodePools": {"maxBudgetNodes": 2}}"#,
        )
        .unwrap();
        assert_eq!(s.pdbs.unhealthy_pod_eviction_policy, None);
        assert_eq!(s.node_pools.max_budget_nodes, IntOrPercent::Count(2));
        assert_eq!(s.business_hours.unwrap().days[0].to_string(), "Sat");
    }
}
