//! Kubernetes: the objects the guards read (pods, PDBs, workloads, nodes), label selectors and
//! int-or-percent values. No Karpenter.

pub mod int_or_percent;
pub mod objects;
pub mod selector;
