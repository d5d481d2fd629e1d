//! Use cases, written only against ports.

pub mod access;
mod guard;
pub mod knowledge;
