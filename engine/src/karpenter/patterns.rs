//! The string patterns of Karpenter's NodePool CRD (v1.14.1, `pkg/apis/crds/karpenter.sh_nodepools.yaml`),
//! as hand-written matchers with the semantics of Go's `regexp.MatchString` that kube-apiserver uses:
//! unanchored unless `^`/`$` say otherwise, `$` = end of text, `\s` = `[\t\n\f\r ]`, `.` = any char but `\n`.
//!
//! Hand-written because compiling regexes on every admission request would cost more than the whole
//! evaluation; the tests check each matcher against the verbatim pattern compiled by the `regex` crate.

fn is_digit(b: u8) -> bool {
    b.is_ascii_digit()
}

/// Consumes `[0-9]+` from `s[i..]`, returning the index after it (or `None` if no digit).
fn digits(s: &[u8], i: usize) -> Option<usize> {
    let n = s[i..].iter().take_while(|b| is_digit(**b)).count();
    (n > 0).then_some(i + n)
}

/// `^(([0-9]+(s|m|h))+|Never)$`: `consolidateAfter`, `expireAfter` (v1.4+).
pub fn is_nillable_duration(s: &str) -> bool {
    s == "Never" || is_go_duration_hms(s)
}

/// `^([0-9]+(s|m|h))+$`: `terminationGracePeriod`.
pub fn is_go_duration_hms(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if b.is_empty() {
        return false;
    }
    while i < b.len() {
        match digits(b, i) {
            Some(j) if j < b.len() && matches!(b[j], b's' | b'm' | b'h') => i = j + 1,
            _ => return false,
        }
    }
    true
}

/// `^((100|[0-9]{1,2})%|[0-9]+)$`: budget `nodes`.
pub fn is_budget_nodes(s: &str) -> bool {
    let b = s.as_bytes();
    match b.split_last() {
        Some((b'%', num)) => {
            (num == b"100") || ((1..=2).contains(&num.len()) && num.iter().all(|c| is_digit(*c)))
        }
        Some(_) => b.iter().all(|c| is_digit(*c)),
        None => false,
    }
}

/// `^((([0-9]+(h|m))|([0-9]+h[0-9]+m))(0s)?)$`: budget `duration`.
pub fn is_budget_duration(s: &str) -> bool {
    let b = s.as_bytes();
    let body = b
        .strip_suffix(b"0s")
        .filter(|rest| is_budget_duration_body(rest));
    body.is_some() || is_budget_duration_body(b)
}

fn is_budget_duration_body(b: &[u8]) -> bool {
    let Some(i) = (!b.is_empty()).then(|| digits(b, 0)).flatten() else {
        return false;
    };
    match b.get(i) {
        Some(b'm') => i + 1 == b.len(),
        Some(b'h') if i + 1 == b.len() => true,
        Some(b'h') => matches!(digits(b, i + 1), Some(j) if j + 1 == b.len() && b[j] == b'm'),
        _ => false,
    }
}

const DESCRIPTORS: [&str; 7] = [
    "annually", "yearly", "monthly", "weekly", "daily", "midnight", "hourly",
];

/// `^(@(annually|yearly|monthly|weekly|daily|midnight|hourly))|((.+)\s(.+)\s(.+)\s(.+)\s(.+))$`: budget
/// `schedule`. The first branch is only anchored at the start (`@dailyX` passes), the second only at the
/// end, and `.` also matches spaces, so any text with four whitespace gaps between non-newline runs passes.
pub fn is_budget_schedule(s: &str) -> bool {
    if let Some(rest) = s.strip_prefix('@')
        && DESCRIPTORS.iter().any(|d| rest.starts_with(d))
    {
        return true;
    }
    matches_five_fields_at_end(s.as_bytes())
}

fn is_go_space(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')
}

/// `(.+)\s(.+)\s(.+)\s(.+)\s(.+)$`, unanchored at the start, as an NFA simulation over bytes
/// (`.` excludes only `\n`, so multi-byte UTF-8 characters behave like runs of "any" bytes).
fn matches_five_fields_at_end(s: &[u8]) -> bool {
    // State k (0..=4): inside field k with at least one char consumed. Bit k of `states`.
    // `after_space` bit k: a `\s` following field k was just consumed, field k+1 not started.
    let mut states: u8 = 0;
    let mut after_space: u8 = 0;
    for &b in s {
        let dot = b != b'\n';
        let space = is_go_space(b);
        let mut next_states = 0u8;
        let mut next_after = 0u8;
        if dot {
            // Start field 0 anywhere (unanchored), continue any field, or start field k+1 after a space.
            next_states |= 1 | states | (after_space << 1);
        }
        if space {
            next_after |= states & 0b0_1111;
        }
        states = next_states & 0b1_1111;
        after_space = next_after;
    }
    states & 0b1_0000 != 0
}

/// The `limits` quantity pattern:
/// `^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$`
pub fn is_quantity(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i = 1;
    }
    let Some(i) = decimal(b, i) else {
        return false;
    };
    let rest = &b[i..];
    match rest {
        [] => true,
        [b'K' | b'M' | b'G' | b'T' | b'P' | b'E', b'i'] => true,
        [b'n' | b'u' | b'm' | b'k' | b'M' | b'G' | b'T' | b'P' | b'E'] => true,
        [b'e' | b'E', exp @ ..] => {
            let j = usize::from(matches!(exp.first(), Some(b'+' | b'-')));
            decimal(exp, j) == Some(exp.len())
        }
        _ => false,
    }
}

/// `([0-9]+(\.[0-9]*)?)|(\.[0-9]+)` from `b[i..]`, greedy (which is exact here: what may follow is never a
/// digit or a dot).
fn decimal(b: &[u8], i: usize) -> Option<usize> {
    if let Some(j) = digits(b, i) {
        if b.get(j) == Some(&b'.') {
            return Some(digits(b, j + 1).unwrap_or(j + 1));
        }
        return Some(j);
    }
    if b.get(i) == Some(&b'.') {
        return digits(b, i + 1);
    }
    None
}

/// Kubernetes qualified name as the CRD writes it for requirement and taint keys:
/// `^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*(\/))?([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$`
pub fn is_qualified_key(s: &str) -> bool {
    let (prefix, name) = match s.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, s),
    };
    prefix.is_none_or(is_dns_subdomain) && is_label_value(name) && !name.is_empty()
}

fn is_dns_subdomain(s: &str) -> bool {
    !s.is_empty() && s.split('.').all(is_dns_label)
}

fn is_dns_label(s: &str) -> bool {
    let b = s.as_bytes();
    let edge = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    match (b.first(), b.last()) {
        (Some(f), Some(l)) => edge(f) && edge(l) && b.iter().all(|c| edge(c) || *c == b'-'),
        _ => false,
    }
}

/// `^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$`: label values (and, non-empty, label names).
pub fn is_label_value(s: &str) -> bool {
    let b = s.as_bytes();
    let edge = |c: &u8| c.is_ascii_alphanumeric();
    match (b.first(), b.last()) {
        (None, _) => true,
        (Some(f), Some(l)) => {
            edge(f) && edge(l) && b.iter().all(|c| edge(c) || matches!(c, b'-' | b'_' | b'.'))
        }
        _ => false,
    }
}

/// `^[^/]*$`: `nodeClassRef.group`.
pub fn has_no_slash(s: &str) -> bool {
    !s.contains('/')
}

#[cfg(test)]
mod tests {
    use super::*;
    use regex::Regex;

    /// Go regexp semantics in the `regex` crate: `\s` is ASCII-only in Go.
    fn go(pattern: &str) -> Regex {
        Regex::new(&pattern.replace(r"\s", r"[\t\n\x0C\r ]")).expect("pattern compiles")
    }

    const SAMPLES: &[&str] = &[
        "",
        " ",
        "0",
        "00",
        "5",
        "30s",
        "5m",
        "1h",
        "1h30m",
        "1h30m5s",
        "1h1h",
        "Never",
        "never",
        "FooNever",
        "Never ",
        "1hr",
        "100ms",
        "1d",
        "-1s",
        "+1",
        "10%",
        "00%",
        "05%",
        "100%",
        "101%",
        "1000%",
        "-10%",
        "10.5%",
        " 10%",
        "%",
        "10",
        "999",
        "9h0m0s",
        "8h0s",
        "0m",
        "720h",
        "90s",
        "1.5h",
        "1h30m15s",
        "30m1h",
        "10m10m",
        "-20m",
        "1H",
        "0s",
        "h",
        "m0s",
        "1h0s",
        "1m0s0s",
        "@daily",
        "@dailyX",
        "@daily ",
        " @daily",
        "@DAILY",
        "@every 1h",
        "@reboot",
        "*",
        "0 9 * *",
        "* * * * ",
        "* * * * *",
        "0 9 * * 1-5",
        "0 0 9 * * 1-5",
        "CRON_TZ=Europe/Berlin 0 9 * * 1-5",
        "a b c d e",
        "a b c d\ne",
        "a\nb c d e f",
        "x\n0 9 * * *",
        "0 9 * * *\n",
        "0\t9\t*\t*\t*",
        "é é é é é",
        "@hourlyé",
        "1",
        "1.",
        ".5",
        ".",
        "1e3",
        "1E-3",
        "1e",
        "1Ki",
        "1Mi",
        "1k",
        "1K",
        "1m",
        "1n",
        "1u",
        "-1.5Gi",
        "+.5e+2",
        "1ki",
        "1Mii",
        "1.5.5",
        "100Gi",
        "lots",
        "4",
        "karpenter.sh/capacity-type",
        "kubernetes.io/os",
        "a/b/c",
        "/x",
        "x/",
        "Upper.Case/x",
        "a-b.c_d",
        "-a",
        "a-",
        "a..b",
        "my_key",
        "node.kubernetes.io/instance-type",
        "a.b-/c",
        "_",
        "a_b",
        "karpenter.k8s.aws",
        "x/y",
    ];

    fn check(name: &str, pattern: &str, matcher: fn(&str) -> bool) {
        let re = go(pattern);
        for s in SAMPLES {
            assert_eq!(
                matcher(s),
                re.is_match(s),
                "{name}: {s:?} against {pattern}"
            );
        }
    }

    #[test]
    fn matchers_agree_with_the_crd_patterns() {
        check("after", r"^(([0-9]+(s|m|h))+|Never)$", is_nillable_duration);
        check("tgp", r"^([0-9]+(s|m|h))+$", is_go_duration_hms);
        check("nodes", r"^((100|[0-9]{1,2})%|[0-9]+)$", is_budget_nodes);
        check(
            "duration",
            r"^((([0-9]+(h|m))|([0-9]+h[0-9]+m))(0s)?)$",
            is_budget_duration,
        );
        check(
            "schedule",
            r"^(@(annually|yearly|monthly|weekly|daily|midnight|hourly))|((.+)\s(.+)\s(.+)\s(.+)\s(.+))$",
            is_budget_schedule,
        );
        check(
            "quantity",
            r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$",
            is_quantity,
        );
        check(
            "key",
            r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*(\/))?([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$",
            is_qualified_key,
        );
        check(
            "label",
            r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$",
            is_label_value,
        );
        check("group", r"^[^/]*$", has_no_slash);
    }

    #[test]
    fn matchers_agree_on_generated_strings() {
        // Every string of length <= 4 over an alphabet that exercises each pattern's tokens.
        let alphabet = [
            "0", "1", "h", "m", "s", "%", " ", "@", "\n", ".", "/", "a", "e", "-",
        ];
        type Matcher = (&'static str, fn(&str) -> bool);
        let patterns: [Matcher; 5] = [
            (r"^(([0-9]+(s|m|h))+|Never)$", is_nillable_duration),
            (r"^((100|[0-9]{1,2})%|[0-9]+)$", is_budget_nodes),
            (
                r"^((([0-9]+(h|m))|([0-9]+h[0-9]+m))(0s)?)$",
                is_budget_duration,
            ),
            (
                r"^(@(annually|yearly|monthly|weekly|daily|midnight|hourly))|((.+)\s(.+)\s(.+)\s(.+)\s(.+))$",
                is_budget_schedule,
            ),
            (
                r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*(\/))?([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$",
                is_qualified_key,
            ),
        ];
        let mut words = vec![String::new()];
        for _ in 0..4 {
            let longer: Vec<String> = words
                .iter()
                .filter(|w| w.len() >= words.last().map_or(0, |l| l.len()))
                .flat_map(|w| alphabet.iter().map(move |c| format!("{w}{c}")))
                .collect();
            words.extend(longer);
        }
        // Schedules need 9+ chars to match; add some five-field shapes.
        for a in ["0", "a", "é"] {
            for sep in [" ", "\t", "\n", "  "] {
                words.push([a; 5].join(sep));
                words.push(format!("x{sep}{}", [a; 5].join(" ")));
            }
        }
        for (pattern, matcher) in patterns {
            let re = go(pattern);
            for w in &words {
                assert_eq!(matcher(w), re.is_match(w), "{w:?} against {pattern}");
            }
        }
    }
}
