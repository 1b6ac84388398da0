//! `make bench-instructions`: every admission, capacity and hostile case of `e2e_tests::cases`, `CALLS`
//! times each, on one warm instance of policy.wasm. Run under callgrind, which counts the instructions executed inside `run` (the
//! module's code as wasmtime compiled it, and the host's side of each call) and dumps them once per case:
//! a figure that, unlike a wall-clock median on a shared machine, is the same from run to run.

use e2e_tests::{Policy, cases};

#[inline(never)]
fn run(policy: &Policy, payload: &[u8], calls: usize) {
    for _ in 0..calls {
        std::hint::black_box(policy.validate_untimed(payload).ok());
    }
}

fn main() {
    let calls: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(20);
    let capacity = [1_000, 10_000, 25_000].map(|pods| cases::capacity(1_000, pods));
    for case in cases::admission()
        .into_iter()
        .chain(capacity)
        .chain(cases::hostile())
    {
        let policy = Policy::serving(case.cluster.clone());
        policy.warm_up(&case.payload); // Warm: the first call sets the instance up.
        eprintln!("{}", case.name);
        run(&policy, &case.payload, calls);
    }
}
