//! Policy settings (SPEC §2). Every key is optional; unknown keys and bad values are refused with a
//! sentence that names the key, so `kwctl` and PolicyServer fail at load time, not on the first request.

use std::fmt;
use std::str::FromStr;

use chrono::Weekday;
use chrono_tz::Tz;
use serde::{Deserialize, Deserializer, Serialize, Serializer, de};

use crate::duration::Seconds;
use crate::int_or_percent::IntOrPercent;
use crate::nodepool::Reason;

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Settings {
    /// Absent: no freeze rules.
    pub business_hours: Option<BusinessHours>,
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
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub enum ConsolidationPolicy {
    WhenEmpty,
    WhenEmptyOrUnderutilized,
    Balanced,
}

impl ConsolidationPolicy {
    pub fn name(self) -> &'static str {
        match self {
            ConsolidationPolicy::WhenEmpty => "WhenEmpty",
            ConsolidationPolicy::WhenEmptyOrUnderutilized => "WhenEmptyOrUnderutilized",
            ConsolidationPolicy::Balanced => "Balanced",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct PdbSettings {
    pub default_min_available: IntOrPercent,
    /// `null` disables the mutation.
    pub unhealthy_pod_eviction_policy: Option<UnhealthyPodEvictionPolicy>,
}

impl Default for PdbSettings {
    fn default() -> Self {
        PdbSettings {
            default_min_available: IntOrPercent::Percent(50),
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

impl Settings {
    /// Cross-field checks that serde cannot express. Returns a sentence naming the key.
    pub fn validate(&self) -> Result<(), String> {
        let np = &self.node_pools;
        if np.allowed_consolidation_policies.is_empty() {
            return Err("nodePools.allowedConsolidationPolicies is empty: no NodePool could ever be admitted; \
                        list at least one of WhenEmpty, WhenEmptyOrUnderutilized, Balanced"
                .into());
        }
        if let IntOrPercent::Percent(p) = np.max_budget_nodes
            && p > 100
        {
            return Err(format!("nodePools.maxBudgetNodes {p}% is above 100%"));
        }
        if let Some(bh) = &self.business_hours {
            if bh.days.is_empty() {
                return Err("businessHours.days is empty: list the days to freeze, e.g. [Mon, Tue, Wed, Thu, Fri]".into());
            }
            if bh.start == bh.end {
                return Err(format!(
                    "businessHours.start and businessHours.end are both {}: the window would be empty; \
                     for a whole day use start \"00:00\" and end \"24:00\"",
                    bh.start
                ));
            }
            if bh.start.0 == 24 * 60 {
                return Err(
                    "businessHours.start \"24:00\" is not a start time: use \"00:00\"".into(),
                );
            }
            if np.require_freeze && np.freeze_reasons.is_empty() {
                return Err("nodePools.freezeReasons is empty while nodePools.requireFreeze is true: \
                            list the reasons to freeze (Empty, Underutilized, Drifted) or set requireFreeze: false"
                    .into());
            }
        }
        Ok(())
    }

    /// Parses and validates settings JSON, with a message naming the key on error.
    pub fn from_json(json: &[u8]) -> Result<Settings, String> {
        let settings: Settings = serde_json::from_slice(json).map_err(|e| {
            // The position is in the JSON the host re-encoded the settings to, not in what the user wrote.
            let text = e.to_string();
            let message = match text.rfind(" at line ") {
                Some(i) if e.line() > 0 => &text[..i],
                _ => text.as_str(),
            };
            format!("invalid settings: {}", with_near_miss(message))
        })?;
        settings.validate()?;
        Ok(settings)
    }
}

/// serde's "unknown field `maxBudgetNode`, expected one of `a`, `b`" (or "unknown variant"), with the
/// expected name nearest to the one written appended as a suggestion, when one is near (a typo or a case
/// slip: an edit distance of at most a third of the name).
pub fn with_near_miss(error: &str) -> String {
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
pub struct TimeZone(pub Tz);

impl FromStr for TimeZone {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        s.parse::<Tz>().map(TimeZone).map_err(|_| {
            // IANA names are case-sensitive: `asia/seoul` is a slip worth naming.
            let same_but_case = chrono_tz::TZ_VARIANTS
                .iter()
                .find(|tz| tz.name().eq_ignore_ascii_case(s));
            match same_but_case {
                Some(tz) => format!(
                    "unknown time zone {s:?}: did you mean {:?}? (IANA names are case-sensitive)",
                    tz.name()
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
        if h.len() != 2 || m.len() != 2 {
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
        assert_eq!(bh.timezone.0, chrono_tz::Asia::Seoul);
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
