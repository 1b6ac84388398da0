//! disruption-guard's engine: pure Rust (no Kubewarden SDK, no I/O, the clock passed in), so it runs in the
//! policy, natively in the CLI and tests, and in the browser.

pub mod admission;
pub mod budget;
pub mod business_hours;
pub mod capacity;
pub mod crd;
pub mod cron;
pub mod duration;
pub mod finding;
pub mod heatmap;
pub mod int_or_percent;
pub mod k8s;
pub mod lookups;
pub mod nodepool;
pub mod nodepool_mutation;
pub mod nodepool_rules;
pub mod patterns;
pub mod pdb_mutation;
pub mod pdb_rules;
pub mod selector;
pub mod settings;
pub mod spans;
pub mod update;
pub mod workload_mutation;
pub mod workload_rules;
pub mod yaml;
