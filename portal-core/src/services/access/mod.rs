//! The access service: portals, sign-up in the three modes, invitations, approval, sign-in,
//! sessions, password reset and change, login throttling — each change audited in the same
//! transaction as the change itself.

mod invitations;
mod members;
mod passwords;
mod permissions;
mod policy;
mod sessions;
mod signup;
mod throttle;

pub use invitations::{AcceptInvitation, IssuedInvitation};
pub use members::{Member, MemberQuery};
pub use passwords::{PasswordResetRequest, ResetDelivery};
pub use policy::{context_words, PasswordPolicy};
pub use sessions::{LoginRequest, SessionInfo, SignedIn};
pub use signup::{CreatedPortal, NewPortal, Registration, RegistrationReceipt};
pub use throttle::ThrottleConfig;

use chrono::Duration;
use serde::Deserialize;
use std::sync::Arc;
use tokio::sync::OnceCell;

use crate::error::{Error, ErrorKind, Result};
use crate::model::{AuditEvent, Portal, PortalId, Principal, Role};
use crate::ports::{ops, Authorizer, Clock, PasswordBlocklist, PasswordHasher, Storage, Transaction};
use crate::secret::Password;
use crate::services::guard::Guard;

/// Settings of the access service. Every field has a safe default.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct AccessConfig {
    /// Password rules.
    pub password: PasswordPolicy,
    /// Login throttling.
    pub throttle: ThrottleConfig,
    /// A session unused for this long is dead (default 30 minutes).
    pub session_idle_timeout_secs: u32,
    /// A session older than this is dead whatever its use (default 12 hours).
    pub session_absolute_timeout_secs: u32,
    /// `last_seen_at` is written at most this often per session (default 60 s), so validation
    /// is read-only on the hot path.
    pub session_touch_interval_secs: u32,
    /// How long an invitation stays valid (default 7 days).
    pub invitation_ttl_secs: u32,
    /// How long a password-reset token stays valid (default 30 minutes).
    pub reset_token_ttl_secs: u32,
    /// The role self-registered members get (default `customer`); must grant no admin operation.
    pub signup_role: Role,
    /// How many times a use case runs when the database refuses its transaction with nothing
    /// written (a serialization failure under concurrency); default 6, at least 1.
    pub transaction_attempts: u32,
}

impl Default for AccessConfig {
    fn default() -> Self {
        AccessConfig {
            password: PasswordPolicy::default(),
            throttle: ThrottleConfig::default(),
            session_idle_timeout_secs: 30 * 60,
            session_absolute_timeout_secs: 12 * 3600,
            session_touch_interval_secs: 60,
            invitation_ttl_secs: 7 * 24 * 3600,
            reset_token_ttl_secs: 30 * 60,
            signup_role: Role::customer(),
            transaction_attempts: 6,
        }
    }
}

impl AccessConfig {
    /// Refuse unsafe or inconsistent settings with `ConfigInvalid`.
    pub fn validate(&self) -> Result<()> {
        self.password.validate()?;
        self.throttle.validate()?;
        let ok = self.session_idle_timeout_secs > 0
            && self.session_absolute_timeout_secs >= self.session_idle_timeout_secs
            && self.session_touch_interval_secs < self.session_idle_timeout_secs
            && self.invitation_ttl_secs > 0
            && self.reset_token_ttl_secs > 0
            && self.reset_token_ttl_secs <= 24 * 3600
            && (1..=100).contains(&self.transaction_attempts);
        if ok {
            Ok(())
        } else {
            Err(Error::new(ErrorKind::ConfigInvalid, "access: inconsistent timeouts or attempts"))
        }
    }

    fn secs(s: u32) -> Duration {
        Duration::seconds(i64::from(s))
    }
}

/// The ports the access service works through.
#[derive(Clone)]
pub struct AccessPorts {
    /// Where everything is stored.
    pub storage: Arc<dyn Storage>,
    /// Password hashing.
    pub hasher: Arc<dyn PasswordHasher>,
    /// Who may do what.
    pub authorizer: Arc<dyn Authorizer>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Common and guessable passwords.
    pub blocklist: Arc<dyn PasswordBlocklist>,
}

/// Portals, membership, sign-in and sessions. Cheap to clone.
#[derive(Clone)]
pub struct AccessService {
    ports: AccessPorts,
    guard: Guard,
    config: Arc<AccessConfig>,
    /// A hash of a random password, verified against when an account has no password, so
    /// unknown and known accounts cost the same time (A7).
    dummy_hash: Arc<OnceCell<String>>,
}

impl AccessService {
    /// Assemble the service; fails with `ConfigInvalid` for unsafe settings.
    pub fn new(ports: AccessPorts, config: AccessConfig) -> Result<Self> {
        config.validate()?;
        let guard = Guard {
            storage: ports.storage.clone(),
            authorizer: ports.authorizer.clone(),
            clock: ports.clock.clone(),
            attempts: config.transaction_attempts,
        };
        Ok(AccessService { ports, guard, config: Arc::new(config), dummy_hash: Arc::new(OnceCell::new()) })
    }

    /// The settings in force.
    pub fn config(&self) -> &AccessConfig {
        &self.config
    }

    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.ports.clock.now()
    }

    async fn retrying<T, F, Fut>(&self, use_case: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T>>,
    {
        self.guard.retrying(use_case).await
    }

    async fn begin(&self) -> Result<Box<dyn Transaction>> {
        self.ports.storage.begin().await
    }

    async fn dummy_hash(&self) -> Result<&str> {
        let h = self
            .dummy_hash
            .get_or_try_init(|| async {
                let random = crate::secret::SecretToken::generate()?;
                let pw = Password::new(random.expose())?;
                self.ports.hasher.hash(&pw).await
            })
            .await?;
        Ok(h.as_str())
    }

    /// Load a portal inside a transaction, or `NotFound`.
    async fn load_portal(tx: &mut dyn Transaction, id: PortalId) -> Result<Portal> {
        tx.get_portal(id).await?.ok_or_else(|| Error::not_found("no such portal"))
    }

    async fn authorize(&self, who: &Principal, op: (&str, &str)) -> Result<()> {
        self.guard.authorize(who, op).await
    }

    /// The signed-in principal's own account, if the policy lets it manage it (`account` /
    /// `manage`): its sessions and password.
    async fn own_account(&self, who: &Principal) -> Result<crate::model::UserId> {
        self.authorize(who, ops::ACCOUNT_MANAGE).await?;
        who.user_id.ok_or_else(|| Error::new(ErrorKind::Unauthenticated, "sign in first"))
    }

    async fn audit_alone(&self, event: AuditEvent) {
        self.guard.audit_alone(event).await
    }

    fn check_new_password(&self, portal: &Portal, email: &str, password: &Password, has_mfa: bool) -> Result<()> {
        let context = context_words(&portal.name, &portal.slug, email);
        self.config.password.check(password, has_mfa, &context, self.ports.blocklist.as_ref())
    }
}
