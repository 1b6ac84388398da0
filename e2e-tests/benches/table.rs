//! `make bench`'s table: every case of `e2e_tests::cases`, natively (the policy crate's `evaluate`, the same
//! code the wasm runs, with the same fixture host) and as policy.wasm in wasmtime (one warm instance, what
//! `kwctl bench` measures). Each call is timed alone, so the table shows the median and the 99th
//! percentile, and the wasm/native ratio of the medians.

use std::hint::black_box;
use std::time::{Duration, Instant};

use e2e_tests::cases::{self, Case};
use e2e_tests::{Policy, fixture_host};

/// Per case and engine: calls for at most this long (after a warm-up of a fifth of it) …
const BUDGET: Duration = Duration::from_secs(2);
/// … and at least this many, however slow.
const MIN_CALLS: usize = 15;

fn sample(mut call: impl FnMut()) -> (Duration, Duration, usize) {
    let warm_up = Instant::now();
    while warm_up.elapsed() < BUDGET / 5 {
        call();
    }
    let mut times = Vec::new();
    let start = Instant::now();
    while start.elapsed() < BUDGET || times.len() < MIN_CALLS {
        let t = Instant::now();
        call();
        times.push(t.elapsed());
    }
    times.sort_unstable();
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.99), times.len())
}

fn show(d: Duration) -> String {
    let us = d.as_secs_f64() * 1e6;
    if us >= 10_000.0 {
        format!("{:.1} ms", us / 1000.0)
    } else {
        format!("{us:.1} µs")
    }
}

fn row(case: &Case) -> String {
    let mut host = fixture_host(case.cluster.clone());
    let native = sample(|| {
        black_box(disruption_guard::evaluate(
            black_box(&case.payload),
            &mut host,
            disruption_guard::now_minute(),
        ))
        .ok();
    });
    let policy = Policy::serving(case.cluster.clone());
    if let Err(e) = policy.call("validate", &case.payload) {
        panic!("{}: {e}", case.name);
    }
    let wasm = sample(|| {
        black_box(policy.call("validate", black_box(&case.payload))).ok();
    });
    format!(
        "| {} | {} | {} | {} | {} | {:.1} | {} / {} |",
        case.name,
        show(wasm.0),
        show(wasm.1),
        show(native.0),
        show(native.1),
        wasm.0.as_secs_f64() / native.0.as_secs_f64(),
        wasm.2,
        native.2
    )
}

fn main() {
    // `cargo bench` passes `--bench`; a name filter, if any, selects cases.
    let filter = std::env::args().skip(1).find(|a| !a.starts_with("--"));
    let mut all = cases::admission();
    for pods in [1_000, 10_000, 25_000] {
        all.push(cases::capacity(1_000, pods));
    }
    all.push(cases::capacity_held(1_000, 23_000));
    all.extend(cases::hostile());
    println!(
        "| case | wasm median | wasm p99 | native median | native p99 | wasm / native | calls (wasm / native) |"
    );
    println!("|---|---|---|---|---|---|---|");
    for case in all
        .iter()
        .filter(|c| filter.as_ref().is_none_or(|f| c.name.contains(f.as_str())))
    {
        println!("{}", row(case));
    }
}
