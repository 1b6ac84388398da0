//! Karpenter's NodePool as Karpenter v1.14.1 reads it: the CRD's schema and patterns, robfig cron
//! schedules, durations, and the disruption budgets' timeline.

pub mod budget;
pub mod crd;
pub mod cron;
pub mod do_not_disrupt;
pub mod duration;
pub mod heatmap;
pub mod nodepool;
pub mod patterns;
