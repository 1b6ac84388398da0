//! `"10%"` or `"3"`: Karpenter budget `nodes`, PDB `minAvailable`/`maxUnavailable`, and our settings.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer, de};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntOrPercent {
    Count(u64),
    Percent(u64),
}

impl IntOrPercent {
    /// The value for a total of `n`, percentages rounded **up**: Karpenter's `GetAllowedDisruptions` uses
    /// `intstr.GetScaledValueFromIntOrPercent(…, roundUp=true)`, "the same as how Kubernetes handles
    /// MaxUnavailable with PDBs" (`pkg/apis/v1/nodepool.go`).
    pub fn resolve(self, n: u64) -> u64 {
        match self {
            IntOrPercent::Count(c) => c,
            IntOrPercent::Percent(p) => {
                u64::try_from((u128::from(p) * u128::from(n)).div_ceil(100)).unwrap_or(u64::MAX)
            }
        }
    }

    /// At most `other` for every total: then `other` can never be exceeded where `self` applies.
    pub fn never_above(self, other: IntOrPercent) -> bool {
        use IntOrPercent::{Count, Percent};
        match (self, other) {
            _ if self.is_zero() => true,
            (Count(c), Count(m)) => c <= m,
            (Percent(p), Percent(m)) => p <= m, // Rounding up keeps the order.
            _ => false,
        }
    }

    /// Zero for every total: `"0"`, `"0%"`.
    pub fn is_zero(self) -> bool {
        matches!(self, IntOrPercent::Count(0) | IntOrPercent::Percent(0))
    }
}

impl fmt::Display for IntOrPercent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IntOrPercent::Count(c) => write!(f, "{c}"),
            IntOrPercent::Percent(p) => write!(f, "{p}%"),
        }
    }
}

impl Serialize for IntOrPercent {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for IntOrPercent {
    /// Accepts `"10%"`, `"3"` and `3`; percentages above 100 are refused.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Int(u64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Int(c) => Ok(IntOrPercent::Count(c)),
            Raw::Text(s) => {
                let parsed = match s.strip_suffix('%') {
                    Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => p
                        .parse()
                        .ok()
                        .filter(|p| *p <= 100)
                        .map(IntOrPercent::Percent),
                    Some(_) => None,
                    None if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
                        s.parse().ok().map(IntOrPercent::Count)
                    }
                    None => None,
                };
                parsed.ok_or_else(|| {
                    de::Error::custom(format!(
                        "invalid value {s:?}: expected a node or pod count such as \"3\" or a percentage from \"0%\" to \"100%\""
                    ))
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_above_holds_at_every_total() {
        let values: Vec<IntOrPercent> = (0..=12)
            .map(IntOrPercent::Count)
            .chain((0..=100).map(IntOrPercent::Percent))
            .collect();
        for &a in &values {
            for &b in &values {
                let at_every_total = (0..=1000).all(|n| a.resolve(n) <= b.resolve(n));
                if a.never_above(b) {
                    assert!(at_every_total, "{a} never above {b}");
                }
            }
        }
        assert!(IntOrPercent::Percent(10).never_above(IntOrPercent::Percent(20)));
        assert!(IntOrPercent::Count(0).never_above(IntOrPercent::Percent(0)));
        assert!(!IntOrPercent::Count(2).never_above(IntOrPercent::Percent(10)));
    }

    #[test]
    fn percentages_round_up_like_karpenter() {
        let ten = IntOrPercent::Percent(10);
        assert_eq!(
            [1, 10, 11, 20, 21, 30].map(|n| ten.resolve(n)),
            [1, 1, 2, 2, 3, 3]
        );
        assert_eq!(
            IntOrPercent::Percent(5).resolve(10),
            1,
            "the nodepool.go comment's example"
        );
        assert_eq!(IntOrPercent::Percent(100).resolve(0), 0);
        assert_eq!(
            IntOrPercent::Count(5).resolve(2),
            5,
            "absolute counts ignore the pool size"
        );
    }

    #[test]
    fn deserializes_settings_values() {
        let v: IntOrPercent = serde_json::from_str("\"50%\"").unwrap();
        assert_eq!(v, IntOrPercent::Percent(50));
        let v: IntOrPercent = serde_json::from_str("3").unwrap();
        assert_eq!(v, IntOrPercent::Count(3));
        for bad in ["\"150%\"", "\"ten\"", "\"-1\"", "\"%\"", "-1", "1.5"] {
            assert!(serde_json::from_str::<IntOrPercent>(bad).is_err(), "{bad}");
        }
    }
}
