//! disruption-guard's engine: pure Rust (no Kubewarden SDK, no I/O, the clock passed in), so it runs in the
//! policy, natively in the CLI and tests, and in the browser.
//!
//! Layers, bottom to top; a module imports only from its own layer or below (ARCHITECTURE.md):
//! - [`finding`], [`yaml`]: what a message is made of;
//! - [`calendar`]: minutes, spans, civil dates, wording;
//! - [`kube`]: Kubernetes objects and selectors;
//! - [`karpenter`]: the NodePool, its CRD, schedules and budget timelines;
//! - [`settings`]: the policy's settings;
//! - [`guards`] (one per kind) and [`capacity`] (the calculator);
//! - [`lookups`], [`update`], [`admission`]: one admission request, end to end;
//! - [`testkit`]: fixtures for tests and benchmarks, never called by the policy.

pub mod admission;
pub mod calendar;
pub mod capacity;
pub mod finding;
pub mod fix;
pub mod guards;
pub mod karpenter;
pub mod kube;
pub mod lookups;
pub mod settings;
pub mod testkit;
pub mod update;
pub mod yaml;
