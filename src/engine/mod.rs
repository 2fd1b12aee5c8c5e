//! The engine: applies a decision table to a register.

pub mod calendar;
