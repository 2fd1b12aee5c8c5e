//! `attend`: compile and validate English school attendance policies.

pub mod codes;
pub mod diagnostic;
pub mod model;
pub mod source;
pub mod syntax;
