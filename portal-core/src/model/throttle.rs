//! Per-account login throttling state.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Consecutive failures of one key (a portal + normalized email) and until when it is blocked.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ThrottleState {
    /// Consecutive failed (or still unresolved) attempts since the last success.
    pub failures: u32,
    /// No attempt is evaluated before this instant.
    pub blocked_until: Option<DateTime<Utc>>,
}
