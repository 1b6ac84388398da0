//! One guard per admitted kind: its rules (findings) and its mutation (the JSON it writes).

pub mod nodepool;
pub mod pdb;
pub mod workload;
