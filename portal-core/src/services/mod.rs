//! Use cases, written only against ports.

pub mod access;
