//! The PodDisruptionBudget guard.

pub mod mutation;
pub mod rules;
