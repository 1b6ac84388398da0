//! The NodePool guard: rules, the business-hours freeze, and the mutation that injects it.

pub mod business_hours;
pub mod mutation;
pub mod rules;
pub mod years;
