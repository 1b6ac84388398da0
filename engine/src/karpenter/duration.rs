//! Go durations restricted to the units the NodePool CRD admits (`h`, `m`, `s`), summed the way
//! `time.ParseDuration` sums them (`1h1h` = 2h).

use std::fmt;

/// Seconds. Karpenter reads these fields with `time.ParseDuration`, whose range ends at ~292 years;
/// larger values overflow in Go and are rejected here as [`None`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Seconds(pub i64);

/// Go's `time.Duration` limit, in seconds (2^63 ns).
const GO_MAX_SECONDS: i64 = 9_223_372_036;

impl Seconds {
    /// Parses `([0-9]+(s|m|h))+`; `None` for anything else or for values Go cannot represent.
    pub fn parse(s: &str) -> Option<Seconds> {
        let b = s.as_bytes();
        if b.is_empty() {
            return None;
        }
        let mut total: i64 = 0;
        let mut i = 0;
        while i < b.len() {
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            let number: i64 = s.get(start..i)?.parse().ok()?;
            let unit = match b.get(i)? {
                b's' => 1,
                b'm' => 60,
                b'h' => 3600,
                _ => return None,
            };
            i += 1;
            total = total.checked_add(number.checked_mul(unit)?)?;
        }
        (total <= GO_MAX_SECONDS).then_some(Seconds(total))
    }

    pub fn minutes(self) -> i64 {
        self.0 / 60
    }
}

impl fmt::Display for Seconds {
    /// The shortest `XhYmZs` form, as a user would write it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (h, m, s) = (self.0 / 3600, self.0 / 60 % 60, self.0 % 60);
        let mut out = String::new();
        if h > 0 {
            out.push_str(&format!("{h}h"));
        }
        if m > 0 {
            out.push_str(&format!("{m}m"));
        }
        if s > 0 || out.is_empty() {
            out.push_str(&format!("{s}s"));
        }
        f.write_str(&out)
    }
}

/// Go's `time.ParseDuration` in full (signs, fractions, `ns` to `h`), in nanoseconds; `None` where Go
/// returns an error, overflow included. Karpenter v1.12+ reads the `karpenter.sh/do-not-disrupt` pod
/// annotation with it (`pkg/utils/pod`, `IsDoNotDisruptActive`).
pub fn go_duration_nanos(s: &str) -> Option<i64> {
    let (negative, mut rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if rest == "0" {
        return Some(0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total: i128 = 0;
    while !rest.is_empty() {
        let digits = |t: &str| t.bytes().take_while(u8::is_ascii_digit).count();
        let whole_len = digits(rest);
        let (whole, after) = rest.split_at(whole_len);
        let (fraction, after) = match after.strip_prefix('.') {
            Some(f) => f.split_at(digits(f)),
            None => ("", after),
        };
        if whole.is_empty() && fraction.is_empty() {
            return None; // no digits: "h", ".h"
        }
        let unit_len = after
            .char_indices()
            .find(|(_, c)| *c == '.' || c.is_ascii_digit())
            .map_or(after.len(), |(i, _)| i);
        let (unit, next) = after.split_at(unit_len);
        let per_unit: i128 = match unit {
            "ns" => 1,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => return None, // missing or unknown unit
        };
        // Digits past 18 cannot change a value that fits, and keep the arithmetic in range.
        let whole: i128 = if whole.is_empty() {
            0
        } else {
            whole.get(..whole.len().min(19))?.parse().ok()?
        };
        if whole_len > 19 {
            return None;
        }
        let mut value = whole.checked_mul(per_unit)?;
        let mut scale = per_unit;
        for digit in fraction.bytes().take(30) {
            scale /= 10;
            value += i128::from(digit - b'0') * scale;
        }
        total = total.checked_add(value)?;
        if total > i128::from(i64::MAX) + i128::from(negative) {
            return None;
        }
        rest = next;
    }
    let signed = if negative { -total } else { total };
    i64::try_from(signed).ok()
}

/// A budget duration (`^((([0-9]+(h|m))|([0-9]+h[0-9]+m))(0s)?)$`) in whole minutes.
pub fn budget_duration_minutes(s: &str) -> Option<i64> {
    if !crate::karpenter::patterns::is_budget_duration(s) {
        return None;
    }
    Seconds::parse(s).map(Seconds::minutes)
}

/// Formats whole minutes as a budget duration the CRD accepts: `9h`, `45m`, `9h30m`.
pub fn format_budget_duration(minutes: i64) -> String {
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m}m"),
        (h, 0) => format!("{h}h"),
        (h, m) => format!("{h}h{m}m"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_sums_like_go() {
        assert_eq!(Seconds::parse("30s"), Some(Seconds(30)));
        assert_eq!(Seconds::parse("5m"), Some(Seconds(300)));
        assert_eq!(Seconds::parse("1h30m5s"), Some(Seconds(5405)));
        assert_eq!(Seconds::parse("1h1h"), Some(Seconds(7200)));
        assert_eq!(Seconds::parse("0s"), Some(Seconds(0)));
        for bad in [
            "",
            "Never",
            "1d",
            "1hr",
            "5",
            "m",
            "-1s",
            "1.5h",
            "99999999999999999999s",
        ] {
            assert_eq!(Seconds::parse(bad), None, "{bad}");
        }
        assert_eq!(Seconds::parse("2562047h"), Some(Seconds(2_562_047 * 3600)));
        assert_eq!(
            Seconds::parse("2562048h"),
            None,
            "beyond Go's time.Duration"
        );
    }

    #[test]
    fn formats_round_trip() {
        for s in ["5m", "1h30m", "30s", "2h", "1h0m5s"] {
            let parsed = Seconds::parse(s).unwrap();
            assert_eq!(Seconds::parse(&parsed.to_string()), Some(parsed));
        }
        assert_eq!(Seconds(300).to_string(), "5m");
        assert_eq!(Seconds(0).to_string(), "0s");
    }

    #[test]
    fn budget_durations_are_whole_minutes_in_the_crd_form() {
        assert_eq!(budget_duration_minutes("9h"), Some(540));
        assert_eq!(budget_duration_minutes("1h30m0s"), Some(90));
        assert_eq!(budget_duration_minutes("0m"), Some(0));
        assert_eq!(budget_duration_minutes("30s"), None);
        for m in [1, 45, 60, 540, 570, 1440] {
            let text = format_budget_duration(m);
            assert_eq!(budget_duration_minutes(&text), Some(m), "{text}");
        }
    }

    #[test]
    fn go_durations_parse_as_go_parses_them() {
        let h = 3_600_000_000_000_i64;
        for (text, want) in [
            ("30m", Some(30 * 60_000_000_000)),
            ("4h", Some(4 * h)),
            ("1.5h", Some(h + h / 2)),
            ("1h30m15s", Some(h + 30 * 60_000_000_000 + 15_000_000_000)),
            ("300ms", Some(300_000_000)),
            ("2us", Some(2_000)),
            ("2\u{b5}s", Some(2_000)),
            (".5s", Some(500_000_000)),
            ("5.s", Some(5_000_000_000)),
            ("0", Some(0)),
            ("-0", Some(0)),
            ("0s", Some(0)),
            ("-30m", Some(-30 * 60_000_000_000)),
            ("+30m", Some(30 * 60_000_000_000)),
            ("2562047h47m16.854775807s", Some(i64::MAX)),
            ("2562047h47m16.854775808s", None),
            ("true", None),
            ("", None),
            ("30", None),
            ("1d", None),
            (".s", None),
            ("-", None),
            ("99999999999999999999h", None),
        ] {
            assert_eq!(go_duration_nanos(text), want, "{text:?}");
        }
    }
}
