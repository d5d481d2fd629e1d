//! Typed identifiers. Every id is a UUID v7 (time-ordered, so indexes stay compact).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

use crate::error::{Error, Result};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A fresh, time-ordered id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            /// Wrap an existing UUID (e.g. read back from storage).
            pub fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            /// The underlying UUID.
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self> {
                Uuid::parse_str(s)
                    .map(Self)
                    .map_err(|_| Error::invalid_input(concat!("malformed ", stringify!($name))))
            }
        }
    };
}

id_type!(
    /// Identifies a portal (the tenant; the casbin domain).
    PortalId
);
id_type!(
    /// Identifies a user inside one portal.
    UserId
);
id_type!(
    /// Identifies a sign-in session.
    SessionId
);
id_type!(
    /// Identifies a customer organisation (a company whose people share some records).
    OrganizationId
);
id_type!(
    /// Identifies an invitation.
    InvitationId
);
id_type!(
    /// Identifies a single-use token (password reset, …).
    TokenId
);
id_type!(
    /// Identifies an audit event.
    AuditEventId
);
id_type!(
    /// Identifies a knowledge-base category.
    CategoryId
);
id_type!(
    /// Identifies a knowledge-base article or FAQ entry.
    ArticleId
);
id_type!(
    /// Identifies one recorded search.
    SearchEventId
);
id_type!(
    /// Identifies a file attached to an article.
    AttachmentId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_strings_and_are_time_ordered() {
        let a = UserId::new();
        let b = UserId::new();
        assert!(a < b);
        assert_eq!(a.to_string().parse::<UserId>().unwrap(), a);
        assert_eq!("nope".parse::<UserId>().unwrap_err().kind(), crate::ErrorKind::InvalidInput);
    }
}
