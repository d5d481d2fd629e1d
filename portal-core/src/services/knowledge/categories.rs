//! The category tree.

use super::forms::{line, CategoryForm};
use super::KnowledgeService;
use crate::error::{Error, Result};
use crate::model::{validate_slug, AuditEvent, AuditOutcome, Category, CategoryId, KbEntity, PortalId, Principal};
use crate::ports::{ops, Transaction};

impl KnowledgeService {
    /// Add a category (needs `category` / `manage`). A slug the portal already uses is
    /// `AlreadyExists`; an unknown parent is `InvalidInput`.
    pub async fn create_category(&self, who: &Principal, form: CategoryForm) -> Result<Category> {
        self.guard.retrying(|| self.create_category_once(who, &form)).await
    }

    async fn create_category_once(&self, who: &Principal, form: &CategoryForm) -> Result<Category> {
        self.guard.authorize(who, ops::CATEGORY_MANAGE).await?;
        let (name, slug) = checked(form)?;
        let now = self.guard.now();
        let mut tx = self.guard.begin().await?;
        let category = Category {
            id: CategoryId::new(),
            portal_id: who.portal_id,
            parent_id: form.parent_id,
            name,
            slug,
            visibility: form.visibility.clone(),
            position: form.position,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        check_parent(tx.as_mut(), &category).await?;
        tx.insert_category(&category).await?;
        let event = AuditEvent::new(who, now, "kb.category_created", AuditOutcome::Success).target(category.id);
        self.finish(tx, who, event, KbEntity::Category(category.id)).await?;
        Ok(category)
    }

    /// Replace a category's fields (needs `category` / `manage`), if it is still at
    /// `expected_version` (else `Conflict`). Moving it under itself or one of its descendants
    /// is `InvalidInput`.
    pub async fn update_category(
        &self,
        who: &Principal,
        id: CategoryId,
        expected_version: u64,
        form: CategoryForm,
    ) -> Result<Category> {
        self.guard.retrying(|| self.update_category_once(who, id, expected_version, &form)).await
    }

    async fn update_category_once(
        &self,
        who: &Principal,
        id: CategoryId,
        expected_version: u64,
        form: &CategoryForm,
    ) -> Result<Category> {
        self.guard.authorize(who, ops::CATEGORY_MANAGE).await?;
        let (name, slug) = checked(form)?;
        let now = self.guard.now();
        let mut tx = self.guard.begin().await?;
        let stored = tx.get_category(who.portal_id, id).await?.ok_or_else(|| Error::not_found("no such category"))?;
        if stored.version != expected_version {
            return Err(Error::conflict("the category was changed by someone else"));
        }
        let mut next = Category {
            parent_id: form.parent_id,
            name,
            slug,
            visibility: form.visibility.clone(),
            position: form.position,
            updated_at: now,
            ..stored
        };
        check_parent(tx.as_mut(), &next).await?;
        next.version = tx.update_category(&next).await?;
        let event = AuditEvent::new(who, now, "kb.category_updated", AuditOutcome::Success).target(id);
        self.finish(tx, who, event, KbEntity::Category(id)).await?;
        Ok(next)
    }

    /// The categories `who` sees, in display order (K3: one hidden above hides everything
    /// below).
    pub async fn categories(&self, who: &Principal) -> Result<Vec<Category>> {
        let (scope, all) = self.scope_and_categories(who).await?;
        Ok(all.into_iter().filter(|c| scope.category_visible(c.id)).collect())
    }
}

fn checked(form: &CategoryForm) -> Result<(String, String)> {
    let name = line("name", &form.name, 100)?;
    validate_slug(&form.slug)?;
    Ok((name, form.slug.clone()))
}

/// The parent exists in the same portal and is not the category itself or below it.
async fn check_parent(tx: &mut dyn Transaction, category: &Category) -> Result<()> {
    let mut next = category.parent_id;
    let mut steps = 0usize;
    while let Some(id) = next {
        if id == category.id {
            return Err(Error::invalid_input("a category cannot be placed under itself"));
        }
        let parent = tx
            .get_category(category.portal_id, id)
            .await?
            .ok_or_else(|| Error::invalid_input("no such parent category"))?;
        next = parent.parent_id;
        steps += 1;
        if steps > 64 {
            return Err(Error::invalid_input("the category tree is too deep (at most 64 levels)"));
        }
    }
    Ok(())
}

/// Whether `id` names a category of `portal` (for filing an article in it).
pub(super) async fn category_exists(tx: &mut dyn Transaction, portal: PortalId, id: CategoryId) -> Result<bool> {
    Ok(tx.get_category(portal, id).await?.is_some())
}
