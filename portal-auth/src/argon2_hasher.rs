//! argon2id password hashing (A5): OWASP's minimum parameters by default, PHC strings, a fresh
//! salt per hash, a rehash signal when parameters change, and the work run off the async executor.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use async_trait::async_trait;
use portal_core::ports::{PasswordHasher, Verification};
use portal_core::secret::Password;
use portal_core::{Error, ErrorKind, Result};
use serde::Deserialize;

/// argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Argon2Config {
    /// Memory in KiB (default 19,456 = 19 MiB; never below that).
    pub memory_kib: u32,
    /// Passes (default 2; never below that).
    pub iterations: u32,
    /// Lanes (default 1).
    pub parallelism: u32,
}

impl Argon2Config {
    /// OWASP Password Storage Cheat Sheet minimum for argon2id: m = 19 MiB, t = 2, p = 1.
    pub const OWASP_MINIMUM: Argon2Config = Argon2Config { memory_kib: 19 * 1024, iterations: 2, parallelism: 1 };
}

impl Default for Argon2Config {
    fn default() -> Self {
        Self::OWASP_MINIMUM
    }
}

/// argon2id hasher implementing [`PasswordHasher`].
#[derive(Debug, Clone)]
pub struct Argon2Hasher {
    params: Params,
}

impl Argon2Hasher {
    /// A hasher with `config`; parameters below the OWASP minimum are `ConfigInvalid`.
    pub fn new(config: Argon2Config) -> Result<Self> {
        let min = Argon2Config::OWASP_MINIMUM;
        if config.memory_kib < min.memory_kib || config.iterations < min.iterations || config.parallelism < 1 {
            return Err(Error::new(
                ErrorKind::ConfigInvalid,
                "argon2id parameters below the OWASP minimum (m=19MiB, t=2)",
            ));
        }
        let params = Params::new(config.memory_kib, config.iterations, config.parallelism, None).map_err(|e| {
            Error::new(ErrorKind::ConfigInvalid, "invalid argon2 parameters").with_source(e.to_string())
        })?;
        Ok(Argon2Hasher { params })
    }

    /// The parameters in force.
    pub fn params(&self) -> &Params {
        &self.params
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    /// Hash on the calling thread (the async [`PasswordHasher::hash`] runs this on a blocking
    /// thread). Public for benchmarks that compare against raw argon2.
    pub fn hash_blocking(&self, password: &Password) -> Result<String> {
        let salt = SaltString::generate(&mut OsRng);
        self.argon2()
            .hash_password(password.expose().as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| Error::internal("argon2 hashing failed").with_source(e.to_string()))
    }

    /// Verify on the calling thread.
    pub fn verify_blocking(&self, password: &Password, phc: &str) -> Result<Verification> {
        let parsed = PasswordHash::new(phc)
            .map_err(|e| Error::internal("stored password hash is malformed").with_source(e.to_string()))?;
        let matches = self.argon2().verify_password(password.expose().as_bytes(), &parsed).is_ok();
        let current = parsed.algorithm.as_str() == "argon2id"
            && parsed.version == Some(Version::V0x13.into())
            && Params::try_from(&parsed).is_ok_and(|p| {
                p.m_cost() == self.params.m_cost()
                    && p.t_cost() == self.params.t_cost()
                    && p.p_cost() == self.params.p_cost()
            });
        Ok(Verification { matches, needs_rehash: matches && !current })
    }
}

impl Default for Argon2Hasher {
    fn default() -> Self {
        Argon2Hasher::new(Argon2Config::default()).expect("the OWASP minimum is a valid configuration")
    }
}

#[async_trait]
impl PasswordHasher for Argon2Hasher {
    async fn hash(&self, password: &Password) -> Result<String> {
        let this = self.clone();
        let password = password.clone();
        tokio::task::spawn_blocking(move || this.hash_blocking(&password))
            .await
            .map_err(|e| Error::internal("hashing task failed").with_source(e.to_string()))?
    }

    async fn verify(&self, password: &Password, phc: &str) -> Result<Verification> {
        let this = self.clone();
        let password = password.clone();
        let phc = phc.to_owned();
        tokio::task::spawn_blocking(move || this.verify_blocking(&password, &phc))
            .await
            .map_err(|e| Error::internal("verification task failed").with_source(e.to_string()))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pw(s: &str) -> Password {
        Password::new(s).unwrap()
    }

    #[tokio::test]
    async fn a5_default_is_argon2id_owasp_minimum_with_unique_salts_as_phc() {
        let h = Argon2Hasher::default();
        let a = h.hash(&pw("violet tractor under rain")).await.unwrap();
        let b = h.hash(&pw("violet tractor under rain")).await.unwrap();
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
        assert_ne!(a, b, "every hash has its own salt");
        let v = h.verify(&pw("violet tractor under rain"), &a).await.unwrap();
        assert_eq!(v, Verification { matches: true, needs_rehash: false });
        assert!(!h.verify(&pw("violet tractor under snow"), &a).await.unwrap().matches);
    }

    #[test]
    fn a5_parameters_below_owasp_are_refused() {
        let weak = Argon2Config { memory_kib: 4096, ..Argon2Config::default() };
        assert_eq!(Argon2Hasher::new(weak).unwrap_err().kind(), ErrorKind::ConfigInvalid);
        let one_pass = Argon2Config { iterations: 1, ..Argon2Config::default() };
        assert_eq!(Argon2Hasher::new(one_pass).unwrap_err().kind(), ErrorKind::ConfigInvalid);
    }

    #[tokio::test]
    async fn a5_a_hash_with_old_parameters_asks_for_a_rehash() {
        let old = Argon2Hasher::default();
        let phc = old.hash(&pw("violet tractor under rain")).await.unwrap();
        let stronger = Argon2Hasher::new(Argon2Config { iterations: 3, ..Argon2Config::default() }).unwrap();
        let v = stronger.verify(&pw("violet tractor under rain"), &phc).await.unwrap();
        assert_eq!(v, Verification { matches: true, needs_rehash: true });
        // A wrong password never asks for a rehash (nothing to rehash with).
        assert!(!stronger.verify(&pw("wrong password entirely"), &phc).await.unwrap().needs_rehash);
    }

    #[tokio::test]
    async fn a6_the_stored_hash_itself_is_not_the_password() {
        let h = Argon2Hasher::default();
        let phc = h.hash(&pw("violet tractor under rain")).await.unwrap();
        assert!(!h.verify(&pw(&phc), &phc).await.unwrap().matches);
    }

    #[tokio::test]
    async fn malformed_stored_hash_is_an_error_not_a_match() {
        let h = Argon2Hasher::default();
        let e = h.verify(&pw("anything at all here"), "not-a-phc-string").await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Internal);
    }
}
