//! # portal-core
//!
//! The vocabulary of the portal engine: the domain [`model`], the one [`Error`] type, the
//! [`ports`] an adapter implements, the use-case [`services`] written against those ports, an
//! in-memory reference store ([`memory::MemoryStore`]) and, behind the `testkit` feature, the
//! conformance suite every storage adapter runs ([`storage_conformance!`]).
//!
//! `portal-core` depends on none of its sibling crates; a vendor writing an adapter depends on
//! this crate alone (plus its `testkit` feature in dev-dependencies).
#![deny(missing_docs)]

pub mod error;
pub mod memory;
pub mod model;
pub mod normalize;
pub mod ports;
pub mod secret;
pub mod services;
#[cfg(feature = "testkit")]
pub mod testkit;

pub use error::{Error, ErrorKind, Result};
