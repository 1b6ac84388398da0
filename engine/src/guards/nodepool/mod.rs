//! The NodePool guard: rules, the business-hours freeze, and the mutation that injects it.

pub mod freeze;
pub mod mutation;
pub mod rules;
pub mod years;
