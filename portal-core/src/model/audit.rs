//! Audit events: an append-only record of who did what, when, in which portal.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::{AuditEventId, PortalId, Principal, UserId};

/// How an audited action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditOutcome {
    /// It happened.
    Success,
    /// Authorization refused it.
    Denied,
    /// It was attempted and failed (wrong password, expired token, …).
    Failure,
}

impl AuditOutcome {
    /// Stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditOutcome::Success => "success",
            AuditOutcome::Denied => "denied",
            AuditOutcome::Failure => "failure",
        }
    }

    /// Parse the stable name; unknown names read as `Failure`.
    pub fn parse(s: &str) -> Self {
        match s {
            "success" => AuditOutcome::Success,
            "denied" => AuditOutcome::Denied,
            _ => AuditOutcome::Failure,
        }
    }
}

/// One audit row. Text fields have CR, LF and other control characters escaped on construction,
/// so a forged line can never be injected into a log view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// Identity (time-ordered).
    pub id: AuditEventId,
    /// The portal.
    pub portal_id: PortalId,
    /// When, in UTC.
    pub at: DateTime<Utc>,
    /// Who acted (`None` for anonymous visitors and the host itself).
    pub actor: Option<UserId>,
    /// What, as `object.verb` (`member.approve`, `session.login`, …).
    pub action: String,
    /// The record acted upon, if any.
    pub target: Option<String>,
    /// How it ended.
    pub outcome: AuditOutcome,
    /// The host's request id.
    pub request_id: Option<String>,
    /// Extra facts (never secrets).
    pub details: BTreeMap<String, String>,
}

impl AuditEvent {
    /// A new event by `principal` at `at`.
    pub fn new(principal: &Principal, at: DateTime<Utc>, action: &str, outcome: AuditOutcome) -> Self {
        AuditEvent {
            id: AuditEventId::new(),
            portal_id: principal.portal_id,
            at,
            actor: principal.user_id,
            action: escape_controls(action),
            target: None,
            outcome,
            request_id: principal.request_id.as_deref().map(escape_controls),
            details: BTreeMap::new(),
        }
    }

    /// Set the target.
    pub fn target(mut self, target: impl ToString) -> Self {
        self.target = Some(escape_controls(&target.to_string()));
        self
    }

    /// Add a detail.
    pub fn detail(mut self, key: &str, value: impl ToString) -> Self {
        self.details.insert(escape_controls(key), escape_controls(&value.to_string()));
        self
    }
}

/// Escape control characters (CR, LF, tab, NUL, …) as `\u{..}` so that one value stays one line.
pub fn escape_controls(s: &str) -> String {
    if !s.chars().any(char::is_control) {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c.is_control() {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn l3_control_characters_are_escaped_in_audit_fields() {
        let p = Principal::anonymous(crate::model::PortalId::new()).with_request_id("r1\r\nforged");
        let e = AuditEvent::new(&p, Utc::now(), "session.login", AuditOutcome::Failure)
            .target("x\ny")
            .detail("email", "a@b.c\r\n2026 admin login ok");
        assert_eq!(e.request_id.as_deref(), Some("r1\\u{d}\\u{a}forged"));
        assert_eq!(e.target.as_deref(), Some("x\\u{a}y"));
        assert!(!e.details["email"].contains('\n') && !e.details["email"].contains('\r'));
    }
}
