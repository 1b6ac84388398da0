//! The Deployment and StatefulSet guard.

pub mod mutation;
pub mod rules;
