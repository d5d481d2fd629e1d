//! A portal with one member of each role, for knowledge-base and search tests.

use portal::core::model::{Article, ArticleKind, Locale, PortalId, Principal, Role, Visibility};
use portal::core::services::knowledge::{ArticleForm, KnowledgeService};
use portal::prelude::PortalMode;

use super::Harness;

pub struct Kb {
    pub h: Harness,
    pub pid: PortalId,
    pub admin: Principal,
    pub agent: Principal,
    pub customer: Principal,
    pub anonymous: Principal,
}

impl Kb {
    /// A public portal (with a search index in memory) and its admin, an agent and a customer.
    pub async fn new() -> Kb {
        Kb::on(Harness::memory().await).await
    }

    /// The same on a harness of the caller's.
    pub async fn on(h: Harness) -> Kb {
        let (pid, admin) = h.portal_with_admin(PortalMode::Public).await;
        let agent = h.invited(pid, &admin, "agent@example.org", Role::agent()).await;
        let customer = h.member(pid, &admin, "customer@example.org").await;
        Kb { h, pid, admin, agent, customer, anonymous: Principal::anonymous(pid) }
    }

    pub fn kb(&self) -> &KnowledgeService {
        self.h.portal.knowledge()
    }

    /// Write `form` as the agent and publish it at once.
    pub async fn publish_form(&self, form: ArticleForm) -> Article {
        let a = self.kb().create_article(&self.agent, form).await.unwrap();
        self.kb().publish_article(&self.agent, a.id, a.version, None).await.unwrap()
    }
}

/// A public English article form with `title`, a short Markdown body and tags.
pub fn form(title: &str) -> ArticleForm {
    ArticleForm {
        category_id: None,
        kind: ArticleKind::Article,
        locale: Locale::En,
        translation_of: None,
        title: title.into(),
        body: format!("About **{title}**."),
        tags: vec!["Help".into(), "help".into(), " Billing ".into()],
        visibility: Visibility::public(),
        review_due_at: None,
    }
}
