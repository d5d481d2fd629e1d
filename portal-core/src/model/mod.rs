//! Domain types. Plain data with serde; behaviour lives in `services`.

mod attachment;
mod audit;
mod ids;
mod invitation;
mod kb;
mod policy;
mod portal;
mod search_log;
mod session;
mod throttle;
mod token;
mod user;

pub use attachment::{Attachment, AttachmentUsage};
pub use audit::{escape_controls, AuditEvent, AuditOutcome};
pub use ids::{
    ArticleId, AttachmentId, AuditEventId, CategoryId, InvitationId, OrganizationId, PortalId, SearchEventId,
    SessionId, TokenId, UserId,
};
pub use invitation::Invitation;
pub use kb::{
    Article, ArticleFeedback, ArticleKind, ArticleRevision, ArticleStats, ArticleStatus, Category, KbChange, KbEntity,
    Locale, Visibility,
};
pub use policy::PolicyRule;
pub use portal::{validate_slug, Portal, PortalMode};
pub use search_log::{QueryStats, SearchEvent, SearcherKind};
pub use session::{Principal, Session};
pub use throttle::ThrottleState;
pub use token::{OneTimeToken, TokenPurpose};
pub use user::{MemberStatus, Membership, PasswordCredential, Role, Roles, User};
