//! Login throttling (NIST SP 800-63B §3.2.2): after a few free attempts each further attempt must
//! wait twice as long as the last, and after at most 100 consecutive failures the account takes no
//! more password attempts until its password is reset.
//!
//! An attempt is *reserved* (counted as a failure) before the password is checked, in the same
//! serializable transaction that reads the counter. So N parallel guesses can never all be
//! evaluated: only the free attempts pass, the rest are refused without touching the hasher.

use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;

use crate::error::{Error, ErrorKind, Result};
use crate::model::ThrottleState;

/// Throttling settings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ThrottleConfig {
    /// Consecutive failures allowed before delays start (default 5).
    pub free_attempts: u32,
    /// First delay, in seconds; doubles with each further failure (default 1).
    pub base_delay_secs: u32,
    /// Longest delay between attempts, in seconds (default 900).
    pub max_delay_secs: u32,
    /// Consecutive failures after which password sign-in stops until a reset (default and
    /// maximum 100).
    pub max_failures: u32,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        ThrottleConfig { free_attempts: 5, base_delay_secs: 1, max_delay_secs: 900, max_failures: 100 }
    }
}

impl ThrottleConfig {
    /// Refuse settings the standard does not allow.
    pub fn validate(&self) -> Result<()> {
        let ok = self.free_attempts >= 1
            && self.max_failures <= 100
            && self.max_failures >= self.free_attempts
            && self.base_delay_secs >= 1
            && self.max_delay_secs >= self.base_delay_secs;
        if ok {
            Ok(())
        } else {
            Err(Error::new(ErrorKind::ConfigInvalid, "throttle: need 1 <= free_attempts <= max_failures <= 100"))
        }
    }

    /// The wait imposed after the `failures`-th consecutive failure.
    pub fn delay_after(&self, failures: u32) -> Option<Duration> {
        if failures < self.free_attempts {
            return None;
        }
        let doublings = (failures - self.free_attempts).min(30);
        let secs = u64::from(self.base_delay_secs).saturating_mul(1u64 << doublings);
        Some(Duration::seconds(secs.min(u64::from(self.max_delay_secs)) as i64))
    }

    /// Reserve one attempt at `now`: the state to store before checking the password, or the
    /// error that refuses the attempt without checking it.
    pub fn reserve(&self, state: &ThrottleState, now: DateTime<Utc>) -> Result<ThrottleState> {
        if state.failures >= self.max_failures {
            return Err(Error::new(ErrorKind::RateLimited, "too many failed attempts; reset your password"));
        }
        if let Some(until) = state.blocked_until {
            if now < until {
                return Err(Error::new(ErrorKind::RateLimited, "too many attempts; try again later")
                    .with_context("retry_after_secs", (until - now).num_seconds().max(1)));
            }
        }
        let failures = state.failures + 1;
        Ok(ThrottleState { failures, blocked_until: self.delay_after(failures).map(|d| now + d) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r1_delay_escalates_and_caps() {
        let c = ThrottleConfig::default();
        assert_eq!(c.delay_after(4), None);
        assert_eq!(c.delay_after(5), Some(Duration::seconds(1)));
        assert_eq!(c.delay_after(6), Some(Duration::seconds(2)));
        assert_eq!(c.delay_after(9), Some(Duration::seconds(16)));
        assert_eq!(c.delay_after(99), Some(Duration::seconds(900)));
    }

    #[test]
    fn r1_attempts_stop_at_the_failure_cap() {
        let c = ThrottleConfig::default();
        let now = Utc::now();
        let mut s = ThrottleState::default();
        let mut t = now;
        for _ in 0..100 {
            s = c.reserve(&s, t).unwrap();
            t = s.blocked_until.unwrap_or(t);
        }
        assert_eq!(s.failures, 100);
        let far_future = t + Duration::days(365);
        assert_eq!(c.reserve(&s, far_future).unwrap_err().kind(), ErrorKind::RateLimited);
    }

    #[test]
    fn r1_cap_above_100_is_refused() {
        let c = ThrottleConfig { max_failures: 101, ..ThrottleConfig::default() };
        assert_eq!(c.validate().unwrap_err().kind(), ErrorKind::ConfigInvalid);
    }
}
