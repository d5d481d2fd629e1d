//! # portal-auth
//!
//! Authentication and authorization building blocks for the portal engine, each implementing a
//! `portal-core` port:
//!
//! - [`Argon2Hasher`] — argon2id password hashing (OWASP minimum parameters by default);
//! - [`ZxcvbnBlocklist`] — common and guessable passwords, from zxcvbn's lists and matchers;
//! - [`CasbinAuthorizer`] — casbin-rs RBAC with the portal as the domain, its policy kept in
//!   the portal's storage through [`StorageAdapter`];
//! - [`CompiledAuthorizer`] — the default: the same policy compiled into hash lookups
//!   ([`compiled::PolicyIndex`]), held equal to casbin-rs by a differential test.
#![deny(missing_docs)]

mod argon2_hasher;
mod blocklist;
mod casbin_authorizer;
pub mod compiled;
mod compiled_authorizer;
mod policy_adapter;

pub use argon2_hasher::{Argon2Config, Argon2Hasher};
pub use blocklist::ZxcvbnBlocklist;
pub use casbin_authorizer::{CasbinAuthorizer, DEFAULT_MODEL, DEFAULT_POLICY};
pub use compiled_authorizer::CompiledAuthorizer;
pub use policy_adapter::StorageAdapter;
