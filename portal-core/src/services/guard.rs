//! What every use case shares, whichever service runs it: re-running a transaction the database
//! refused with nothing written, asking the authorizer (deny by default, every refusal audited),
//! and writing an audit event on its own. One copy, so every service authorizes the same way.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::error::{Error, ErrorKind, Result};
use crate::model::{AuditEvent, AuditOutcome, Principal};
use crate::ports::{Authorizer, Clock, Storage, Transaction};

/// The ports a use case needs to run, be authorized and be audited.
#[derive(Clone)]
pub(crate) struct Guard {
    pub(crate) storage: Arc<dyn Storage>,
    pub(crate) authorizer: Arc<dyn Authorizer>,
    pub(crate) clock: Arc<dyn Clock>,
    /// How many times a use case runs when the database refuses it with nothing written.
    pub(crate) attempts: u32,
}

impl Guard {
    pub(crate) fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    pub(crate) async fn begin(&self) -> Result<Box<dyn Transaction>> {
        self.storage.begin().await
    }

    /// Run one use case, again when the database refused it with nothing written (at most
    /// `attempts` times, with a short random pause that grows each time). Every use case's
    /// effects are its committed transactions, so a re-run starts from a clean slate.
    pub(crate) async fn retrying<T, F, Fut>(&self, mut use_case: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T>>,
    {
        let mut attempt = 1;
        loop {
            match use_case().await {
                Err(e) if e.nothing_written() && attempt < self.attempts => {
                    tracing::debug!(attempt, error = %e, "transaction refused; running the use case again");
                    tokio::time::sleep(retry_pause(attempt)).await;
                    attempt += 1;
                }
                result => return result,
            }
        }
    }

    /// One call on a transaction of its own, committed, re-run like any use case (for reads
    /// and single writes that need nothing else in their transaction).
    pub(crate) async fn once<T, F>(&self, call: F) -> Result<T>
    where
        F: for<'t> Fn(&'t mut dyn Transaction) -> Pin<Box<dyn Future<Output = Result<T>> + Send + 't>> + Send + Sync,
    {
        self.retrying(|| async {
            let mut tx = self.begin().await?;
            let out = call(tx.as_mut()).await?;
            tx.commit().await?;
            Ok(out)
        })
        .await
    }

    /// Deny by default: the principal must be signed in and the policy must grant the
    /// operation. A refusal (or an authorizer error, which counts as one) is audited. Anyone not
    /// signed in is `Unauthenticated`; a signed-in principal the policy does not allow is
    /// `PermissionDenied`.
    pub(crate) async fn authorize(&self, who: &Principal, op: (&str, &str)) -> Result<()> {
        if self.allows(who, op).await {
            return Ok(());
        }
        let action = format!("{}.{}", op.0, op.1);
        self.audit_alone(AuditEvent::new(who, self.now(), &action, AuditOutcome::Denied)).await;
        if who.is_authenticated() {
            Err(Error::permission_denied("not allowed"))
        } else {
            Err(Error::new(ErrorKind::Unauthenticated, "sign in first"))
        }
    }

    /// Whether a signed-in principal may do `op`, without auditing a refusal (for deciding what
    /// to show, not for guarding a change).
    pub(crate) async fn allows(&self, who: &Principal, op: (&str, &str)) -> bool {
        who.is_authenticated()
            && match self.authorizer.check(who, op.0, op.1).await {
                Ok(allowed) => allowed,
                Err(e) => {
                    tracing::warn!(portal = %who.portal_id, error = %e, "authorizer failed; denying");
                    false
                }
            }
    }

    /// Write one audit event in its own transaction (for refusals, where nothing else is
    /// written). A failure is logged, never hidden behind the caller's answer.
    pub(crate) async fn audit_alone(&self, event: AuditEvent) {
        let result = async {
            let mut tx = self.begin().await?;
            tx.append_audit(&event).await?;
            tx.commit().await
        }
        .await;
        if let Err(e) = result {
            tracing::error!(portal = %event.portal_id, action = %event.action, error = %e, "audit write failed");
        }
    }
}

/// A random pause in `[0, 2^attempt)` milliseconds, so colliding callers spread out.
fn retry_pause(attempt: u32) -> std::time::Duration {
    let mut b = [0u8; 2];
    let jitter = getrandom::fill(&mut b).map(|()| u16::from_le_bytes(b)).unwrap_or(0x8000);
    let ceiling_ms = 1u64 << attempt.min(8);
    std::time::Duration::from_micros(u64::from(jitter) * ceiling_ms * 1000 / 65_536)
}
