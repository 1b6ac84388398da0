//! `record REQUEST [SETTINGS] [CLUSTER]`: evaluates REQUEST through policy.wasm with cluster lookups answered
//! from CLUSTER (default examples/cluster.yaml) and prints the host calls as a kwctl replay session, for
//! `kwctl run --allow-context-aware --replay-host-capabilities-interactions` in e2e-tests/*.bats.

use e2e_tests::{Policy, read_yaml};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(request) = args.first() else {
        eprintln!(
            "usage: record REQUEST.json [SETTINGS.yaml] [CLUSTER.yaml] (paths relative to the repository root)"
        );
        std::process::exit(2);
    };
    let settings = args
        .get(1)
        .map(|s| read_yaml(s))
        .unwrap_or_else(|| serde_json::json!({}));
    let cluster = read_yaml(args.get(2).map_or("examples/cluster.yaml", String::as_str));
    let policy = Policy::with_cluster(&cluster);
    policy.validate(&settings, &read_yaml(request));
    print!("{}", policy.replay_session());
}
