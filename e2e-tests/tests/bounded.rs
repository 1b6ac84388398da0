//! The inputs that once cost seconds (`cases::hostile`), through policy.wasm with their lookups answered:
//! each answers within 1 s (`Policy::call` fails any call over it; here the host's answers are cached
//! first, so the time is the policy's). A safety net against runaway evaluation, not a benchmark: `make
//! bench` measures them.

use std::time::{Duration, Instant};

use e2e_tests::{Policy, cases, parse_verdict};

#[test]
fn hostile_inputs_are_answered_within_a_second() {
    for case in cases::hostile() {
        // Compiled, and the host's answers cached (PolicyServer answers lookups from its caches), before
        // the clock starts.
        let policy = Policy::serving(case.cluster.clone());
        policy.warm_up(&case.payload);
        let started = Instant::now();
        let out = policy
            .call("validate", &case.payload)
            .expect("an answer, not a trap");
        let took = started.elapsed();
        let verdict = parse_verdict(&out);
        assert!(
            !verdict.warns("capacity check skipped"),
            "{}: the case must reach the calculator",
            case.name
        );
        let message = verdict.message.unwrap_or_default();
        assert!(took < Duration::from_secs(1), "{}: {took:?}", case.name);
        assert!(
            message.len() < 16_000,
            "{}: a {}-byte message",
            case.name,
            message.len()
        );
        let expect_accept = case.name.ends_with("(accept)");
        if case.name.contains("(accept)") || case.name.contains("(reject)") {
            assert_eq!(verdict.accepted, expect_accept, "{}: {message}", case.name);
        }
        eprintln!("{}: {took:?}", case.name);
    }
}
