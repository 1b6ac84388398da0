//! The NodePool guard: rules, the freeze of business hours or of the time outside maintenance windows,
//! the mutation that injects it, and the expiry forecast.

pub mod expiry;
pub mod freeze;
pub mod mutation;
pub mod rules;
pub mod scale;
pub mod years;
