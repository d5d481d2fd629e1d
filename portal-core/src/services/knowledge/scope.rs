//! What one principal may read of a portal's knowledge base, decided once per request and then
//! applied to every read surface alike — a page, a list, search hits, suggestions (K1, K3).

use chrono::{DateTime, Utc};
use std::collections::{BTreeSet, HashMap};

use crate::model::{Article, Category, CategoryId, PortalId};

/// The readable part of a portal's knowledge base for one principal.
///
/// A reader sees an article when it is live (published, and past its `publish_at`), the policy
/// lets it read the article's visibility label, and its category and every category above it
/// are visible too. An editor (`article` / `write`) sees every article of the portal.
#[derive(Debug, Clone)]
pub struct ReadScope {
    portal: PortalId,
    now: DateTime<Utc>,
    labels: BTreeSet<String>,
    editor: bool,
    /// Categories of the portal and whether this principal sees each (its chain, resolved).
    categories: HashMap<CategoryId, bool>,
}

impl ReadScope {
    /// The scope of a principal of `portal` that may read `labels`, given the portal's
    /// categories.
    pub fn new(
        portal: PortalId,
        now: DateTime<Utc>,
        labels: impl IntoIterator<Item = String>,
        editor: bool,
        categories: &[Category],
    ) -> Self {
        let labels: BTreeSet<String> = labels.into_iter().collect();
        let by_id: HashMap<CategoryId, &Category> = categories.iter().map(|c| (c.id, c)).collect();
        let visible = by_id.keys().map(|id| (*id, editor || chain_readable(*id, &by_id, &labels))).collect();
        ReadScope { portal, now, labels, editor, categories: visible }
    }

    /// The portal.
    pub fn portal(&self) -> PortalId {
        self.portal
    }

    /// The time "live" is judged at.
    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// Whether the principal edits the knowledge base (and so sees drafts and every label).
    pub fn is_editor(&self) -> bool {
        self.editor
    }

    /// The visibility labels the principal may read.
    pub fn labels(&self) -> &BTreeSet<String> {
        &self.labels
    }

    /// Whether the category is visible: it exists in the portal and it and every category
    /// above it are readable (K3).
    pub fn category_visible(&self, id: CategoryId) -> bool {
        self.categories.get(&id).copied().unwrap_or(false)
    }

    /// The portal's categories this principal does not see (what a search filters out).
    pub fn hidden_categories(&self) -> impl Iterator<Item = CategoryId> + '_ {
        self.categories.iter().filter(|(_, visible)| !**visible).map(|(id, _)| *id)
    }

    /// Whether the principal sees `article`.
    pub fn article_visible(&self, article: &Article) -> bool {
        if article.portal_id != self.portal {
            return false;
        }
        if self.editor {
            return true;
        }
        article.is_live(self.now)
            && self.labels.contains(article.visibility.as_str())
            && article.category_id.is_none_or(|c| self.category_visible(c))
    }
}

/// Whether `id` and every category above it carry a readable label. A chain that loops or
/// names a missing parent is not readable (fail closed).
fn chain_readable(id: CategoryId, by_id: &HashMap<CategoryId, &Category>, labels: &BTreeSet<String>) -> bool {
    let mut next = Some(id);
    let mut steps = 0;
    while let Some(current) = next {
        let Some(category) = by_id.get(&current) else { return false };
        if !labels.contains(category.visibility.as_str()) || steps > by_id.len() {
            return false;
        }
        next = category.parent_id;
        steps += 1;
    }
    true
}
