//! `attend`: compile and validate English school attendance policies.

pub mod codes;
