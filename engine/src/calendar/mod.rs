//! Time: minute spans, civil dates, the year ahead and how times are written. No Karpenter, no Kubernetes.

pub mod civil;
pub mod spans;
pub mod weekly;
pub mod wording;
pub mod year;
pub mod zone;
