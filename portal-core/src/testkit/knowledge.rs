//! Conformance of the knowledge-base port ([`crate::ports::KnowledgeStore`]).

use std::collections::BTreeSet;

use super::fixtures as fx;
use super::storage::{new_portal, tx, Store};
use crate::error::ErrorKind;
use crate::model::{ArticleId, ArticleStatus, KbEntity, PortalId, Visibility};

/// A category inserted reads back unchanged and is listed; a second one with its slug is
/// `AlreadyExists`.
pub async fn kb_category_insert_then_get_and_list(store: Store) {
    let p = new_portal(&store).await;
    let top = fx::category(p.id);
    let mut child = fx::category(p.id);
    child.parent_id = Some(top.id);
    child.visibility = Visibility::internal();
    child.position = -1;
    let mut t = tx(&store).await;
    t.insert_category(&top).await.unwrap();
    t.insert_category(&child).await.unwrap();
    t.commit().await.unwrap();
    let mut t = tx(&store).await;
    assert_eq!(t.get_category(p.id, child.id).await.unwrap(), Some(child.clone()));
    assert_eq!(t.list_categories(p.id).await.unwrap(), vec![child, top.clone()], "by position");
    let mut dup = fx::category(p.id);
    dup.slug = top.slug.clone();
    assert_eq!(t.insert_category(&dup).await.unwrap_err().kind(), ErrorKind::AlreadyExists);
}

/// `update_category` bumps the version; a stale version is `Conflict`, an unknown category
/// `NotFound`, a taken slug `AlreadyExists` — each writing nothing.
pub async fn kb_category_update_is_versioned(store: Store) {
    let p = new_portal(&store).await;
    let a = fx::category(p.id);
    let b = fx::category(p.id);
    let mut t = tx(&store).await;
    t.insert_category(&a).await.unwrap();
    t.insert_category(&b).await.unwrap();
    t.commit().await.unwrap();

    let mut t = tx(&store).await;
    let mut renamed = a.clone();
    renamed.name = "Billing".into();
    renamed.slug = format!("{}-billing", a.slug);
    assert_eq!(t.update_category(&renamed).await.unwrap(), 2);
    assert_eq!(t.update_category(&renamed).await.unwrap_err().kind(), ErrorKind::Conflict);
    let unknown = fx::category(p.id);
    assert_eq!(t.update_category(&unknown).await.unwrap_err().kind(), ErrorKind::NotFound);
    t.commit().await.unwrap();
    // (A refused statement may end a SQL transaction: each such case is the last of its own.)
    let mut t = tx(&store).await;
    let mut taken = b.clone();
    taken.slug = renamed.slug.clone();
    assert_eq!(t.update_category(&taken).await.unwrap_err().kind(), ErrorKind::AlreadyExists);
    drop(t);

    let mut t = tx(&store).await;
    let stored = t.get_category(p.id, a.id).await.unwrap().unwrap();
    assert_eq!((stored.version, stored.name.as_str()), (2, "Billing"));
    assert_eq!(t.get_category(p.id, b.id).await.unwrap(), Some(b));
}

/// An article (every field set, Japanese text included) reads back unchanged; a second insert
/// of its id is `AlreadyExists`.
pub async fn kb_article_insert_then_get_unchanged(store: Store) {
    let p = new_portal(&store).await;
    let c = fx::category(p.id);
    let mut a = fx::article(p.id);
    a.category_id = Some(c.id);
    let mut t = tx(&store).await;
    t.insert_category(&c).await.unwrap();
    t.insert_article(&a).await.unwrap();
    t.commit().await.unwrap();
    let mut t = tx(&store).await;
    assert_eq!(t.get_article(p.id, a.id).await.unwrap(), Some(a.clone()));
    assert_eq!(t.insert_article(&a).await.unwrap_err().kind(), ErrorKind::AlreadyExists);
    drop(t);
    let mut t = tx(&store).await;
    let mut bare = fx::article(p.id);
    bare.publish_at = None;
    bare.published_at = None;
    bare.author_id = None;
    bare.last_reviewed_at = None;
    bare.review_due_at = None;
    bare.tags.clear();
    t.insert_article(&bare).await.unwrap();
    assert_eq!(t.get_article(p.id, bare.id).await.unwrap(), Some(bare));
}

/// `update_article` bumps the version; stale is `Conflict`, unknown is `NotFound`, and a
/// refused update writes nothing.
pub async fn kb_article_update_is_versioned(store: Store) {
    let p = new_portal(&store).await;
    let a = fx::article(p.id);
    let mut t = tx(&store).await;
    t.insert_article(&a).await.unwrap();
    t.commit().await.unwrap();

    let mut t = tx(&store).await;
    let mut published = a.clone();
    published.status = ArticleStatus::Published;
    published.title = "Resetting your password".into();
    assert_eq!(t.update_article(&published).await.unwrap(), 2);
    let mut stale = a.clone();
    stale.title = "lost".into();
    assert_eq!(t.update_article(&stale).await.unwrap_err().kind(), ErrorKind::Conflict);
    assert_eq!(t.update_article(&fx::article(p.id)).await.unwrap_err().kind(), ErrorKind::NotFound);
    t.commit().await.unwrap();
    let mut t = tx(&store).await;
    let stored = t.get_article(p.id, a.id).await.unwrap().unwrap();
    assert_eq!(stored, crate::model::Article { version: 2, ..published });
}

/// `list_articles` pages in id order, only the portal's own.
pub async fn kb_article_list_pages_in_id_order(store: Store) {
    let p = new_portal(&store).await;
    let other = new_portal(&store).await;
    let mut t = tx(&store).await;
    let mut ids = Vec::new();
    for _ in 0..5 {
        let a = fx::article(p.id);
        ids.push(a.id);
        t.insert_article(&a).await.unwrap();
        t.insert_article(&fx::article(other.id)).await.unwrap();
    }
    t.commit().await.unwrap();
    let mut t = tx(&store).await;
    let first = t.list_articles(p.id, None, 2).await.unwrap();
    assert_eq!(first.iter().map(|a| a.id).collect::<Vec<_>>(), ids[..2]);
    let rest = t.list_articles(p.id, Some(ids[1]), 100).await.unwrap();
    assert_eq!(rest.iter().map(|a| a.id).collect::<Vec<_>>(), ids[2..]);
    assert!(t.list_articles(p.id, Some(ids[4]), 100).await.unwrap().is_empty());
}

/// Revisions are listed oldest first and unchanged; a repeated version is `AlreadyExists`.
pub async fn kb_revisions_list_in_version_order(store: Store) {
    let p = new_portal(&store).await;
    let mut a = fx::article(p.id);
    let mut t = tx(&store).await;
    t.insert_article(&a).await.unwrap();
    let first = fx::revision(&a, "created");
    a.version = 2;
    a.title = "改訂".into();
    let second = fx::revision(&a, "edited");
    t.insert_article_revision(&second).await.unwrap();
    t.insert_article_revision(&first).await.unwrap();
    t.commit().await.unwrap();
    let mut t = tx(&store).await;
    assert_eq!(t.list_article_revisions(p.id, a.id).await.unwrap(), vec![first.clone(), second]);
    assert!(t.list_article_revisions(p.id, ArticleId::new()).await.unwrap().is_empty());
    assert_eq!(t.insert_article_revision(&first).await.unwrap_err().kind(), ErrorKind::AlreadyExists);
}

/// The change feed: entries come back in order after a position; a rolled-back entry leaves
/// no gap; concurrent writers get distinct, consecutive positions.
pub async fn kb_change_feed_is_gapless_in_commit_order(store: Store) {
    let p = new_portal(&store).await;
    let a = ArticleId::new();
    let mut t = tx(&store).await;
    let first = t.append_kb_change(p.id, KbEntity::Article(a)).await.unwrap();
    t.commit().await.unwrap();
    let mut t = tx(&store).await;
    t.append_kb_change(p.id, KbEntity::Article(ArticleId::new())).await.unwrap();
    t.rollback().await.unwrap();

    let mut handles = Vec::new();
    for _ in 0..10 {
        let store = store.clone();
        handles.push(tokio::spawn(async move {
            loop {
                let attempt = async {
                    let mut t = store.begin().await?;
                    let seq = t.append_kb_change(p.id, KbEntity::Article(ArticleId::new())).await?;
                    tokio::task::yield_now().await;
                    t.commit().await.map(|()| seq)
                }
                .await;
                match attempt {
                    Ok(seq) => return seq,
                    Err(e) if e.is_retryable() => continue,
                    Err(e) => panic!("unexpected error {e}"),
                }
            }
        }));
    }
    let mut mine = BTreeSet::from([first]);
    for h in handles {
        assert!(mine.insert(h.await.unwrap()), "positions are distinct");
    }
    let mut t = tx(&store).await;
    let all = t.list_kb_changes(0, u32::MAX).await.unwrap();
    let seqs: Vec<u64> = all.iter().map(|c| c.seq).collect();
    assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<_>>(), "every committed position, no gaps");
    assert!(mine.iter().all(|s| seqs.contains(s)));
    assert_eq!(t.last_kb_change().await.unwrap(), *seqs.last().unwrap(), "the last committed position");
    let after_first = t.list_kb_changes(first, 3).await.unwrap();
    assert_eq!(after_first.iter().map(|c| c.seq).collect::<Vec<_>>(), vec![first + 1, first + 2, first + 3]);
    let ours = all.iter().find(|c| c.seq == first).unwrap();
    assert_eq!((ours.portal_id, ours.entity), (p.id, KbEntity::Article(a)));
}

/// Z6 for the knowledge base: another portal's id finds nothing and changes nothing.
pub async fn kb_z6_other_portal_ids_behave_as_missing(store: Store) {
    let a = new_portal(&store).await;
    let b: PortalId = new_portal(&store).await.id;
    let c = fx::category(a.id);
    let art = fx::article(a.id);
    let mut t = tx(&store).await;
    t.insert_category(&c).await.unwrap();
    t.insert_article(&art).await.unwrap();
    t.insert_article_revision(&fx::revision(&art, "created")).await.unwrap();
    t.commit().await.unwrap();

    let mut t = tx(&store).await;
    assert!(t.get_category(b, c.id).await.unwrap().is_none());
    assert!(t.list_categories(b).await.unwrap().is_empty());
    let moved = crate::model::Category { portal_id: b, ..c.clone() };
    assert_eq!(t.update_category(&moved).await.unwrap_err().kind(), ErrorKind::NotFound);
    assert!(t.get_article(b, art.id).await.unwrap().is_none());
    assert!(t.list_articles(b, None, 100).await.unwrap().is_empty());
    let moved = crate::model::Article { portal_id: b, ..art.clone() };
    assert_eq!(t.update_article(&moved).await.unwrap_err().kind(), ErrorKind::NotFound);
    assert!(t.list_article_revisions(b, art.id).await.unwrap().is_empty());
    t.commit().await.unwrap();
    let mut t = tx(&store).await;
    assert_eq!(t.get_article(a.id, art.id).await.unwrap(), Some(art));
    assert_eq!(t.get_category(a.id, c.id).await.unwrap(), Some(c));
}

fn search_event(
    portal: PortalId,
    query: &str,
    hits: u32,
    at: chrono::DateTime<chrono::Utc>,
) -> crate::model::SearchEvent {
    crate::model::SearchEvent {
        id: crate::model::SearchEventId::new(),
        portal_id: portal,
        at,
        query: query.into(),
        locale: Some(crate::model::Locale::Ja),
        searcher: crate::model::SearcherKind::Anonymous,
        hits,
        clicked: None,
    }
}

/// Searches are counted per query since a time, zero-result ones and clicks apart, most
/// searched first; another portal's searches are not counted.
pub async fn search_log_reports_per_query_since(store: Store) {
    let p = new_portal(&store).await;
    let other = new_portal(&store).await;
    let now = fx::now();
    let old = now - chrono::Duration::days(40);
    let mut t = tx(&store).await;
    let first = search_event(p.id, "請求書 再発行", 0, now);
    t.record_search(&first).await.unwrap();
    t.record_search(&search_event(p.id, "請求書 再発行", 3, now)).await.unwrap();
    t.record_search(&search_event(p.id, "請求書 再発行", 0, now)).await.unwrap();
    t.record_search(&search_event(p.id, "vpn", 2, now)).await.unwrap();
    t.record_search(&search_event(p.id, "printer", 0, now)).await.unwrap();
    t.record_search(&search_event(p.id, "printer", 0, old)).await.unwrap();
    t.record_search(&search_event(other.id, "vpn", 0, now)).await.unwrap();
    assert!(t.record_click(p.id, first.id, "article:a").await.unwrap());
    t.commit().await.unwrap();
    let mut t = tx(&store).await;
    let report = t.search_report(p.id, now - chrono::Duration::days(30), 10).await.unwrap();
    let rows: Vec<(&str, u64, u64, u64)> =
        report.iter().map(|s| (s.query.as_str(), s.searches, s.zero_results, s.clicks)).collect();
    assert_eq!(rows, [("請求書 再発行", 3, 2, 1), ("printer", 1, 1, 0), ("vpn", 1, 0, 0)]);
    assert_eq!(t.search_report(p.id, now - chrono::Duration::days(30), 1).await.unwrap().len(), 1, "limit");
}

/// Only the first click counts; an unknown id, or another portal's, is `false`.
pub async fn search_log_keeps_the_first_click(store: Store) {
    let p = new_portal(&store).await;
    let other = new_portal(&store).await;
    let e = search_event(p.id, "vpn", 2, fx::now());
    let mut t = tx(&store).await;
    t.record_search(&e).await.unwrap();
    assert!(t.record_click(p.id, e.id, "article:first").await.unwrap());
    assert!(t.record_click(p.id, e.id, "article:second").await.unwrap());
    assert!(!t.record_click(other.id, e.id, "article:x").await.unwrap());
    assert!(!t.record_click(p.id, crate::model::SearchEventId::new(), "article:x").await.unwrap());
    t.commit().await.unwrap();
    let mut t = tx(&store).await;
    let report = t.search_report(p.id, fx::now() - chrono::Duration::hours(1), 10).await.unwrap();
    assert_eq!(report[0].clicks, 1);
    assert!(t.search_report(other.id, fx::now() - chrono::Duration::hours(1), 10).await.unwrap().is_empty());
}

async fn stored_article(store: &Store, portal: PortalId) -> crate::model::Article {
    let a = fx::article(portal);
    let mut t = tx(store).await;
    t.insert_article(&a).await.unwrap();
    t.commit().await.unwrap();
    a
}

fn answer(
    a: &crate::model::Article,
    user: Option<crate::model::UserId>,
    helpful: bool,
    comment: &str,
) -> crate::model::ArticleFeedback {
    crate::model::ArticleFeedback {
        portal_id: a.portal_id,
        article_id: a.id,
        user_id: user,
        helpful,
        comment: comment.into(),
        at: fx::now(),
    }
}

/// Views add up per article; other articles and portals stay at zero.
pub async fn article_views_add_up_per_article(store: Store) {
    let p = new_portal(&store).await;
    let other = new_portal(&store).await;
    let a = stored_article(&store, p.id).await;
    let b = stored_article(&store, p.id).await;
    let mut t = tx(&store).await;
    for _ in 0..3 {
        t.record_article_view(p.id, a.id).await.unwrap();
    }
    t.commit().await.unwrap();
    let mut t = tx(&store).await;
    t.record_article_view(p.id, a.id).await.unwrap();
    t.commit().await.unwrap();
    let mut t = tx(&store).await;
    assert_eq!(t.article_stats(p.id, a.id).await.unwrap().views, 4);
    assert_eq!(t.article_stats(p.id, b.id).await.unwrap(), crate::model::ArticleStats::default());
    assert_eq!(t.article_stats(other.id, a.id).await.unwrap(), crate::model::ArticleStats::default());
}

/// A member's second answer replaces the first; anonymous answers all count; newest first.
pub async fn article_feedback_counts_a_member_once(store: Store) {
    let p = new_portal(&store).await;
    let other = new_portal(&store).await;
    let a = stored_article(&store, p.id).await;
    let member = crate::model::UserId::new();
    let mut t = tx(&store).await;
    t.put_article_feedback(&answer(&a, Some(member), false, "unclear")).await.unwrap();
    t.put_article_feedback(&answer(&a, None, true, "")).await.unwrap();
    t.put_article_feedback(&answer(&a, None, true, "thanks")).await.unwrap();
    t.put_article_feedback(&answer(&a, Some(member), true, "now it works")).await.unwrap();
    t.commit().await.unwrap();
    let mut t = tx(&store).await;
    let stats = t.article_stats(p.id, a.id).await.unwrap();
    assert_eq!((stats.helpful, stats.not_helpful), (3, 0));
    let comments: Vec<String> =
        t.list_article_feedback(p.id, a.id, 10).await.unwrap().into_iter().map(|f| f.comment).collect();
    assert_eq!(comments, ["now it works", "thanks", ""]);
    assert_eq!(t.list_article_feedback(p.id, a.id, 1).await.unwrap().len(), 1);
    assert!(t.list_article_feedback(other.id, a.id, 10).await.unwrap().is_empty());
}

/// Anonymous answers are counted per article and per portal from a time on (an answer given
/// at that time included); members' answers and other portals' never.
pub async fn anonymous_feedback_is_counted_per_article_and_portal_since_a_time(store: Store) {
    let p = new_portal(&store).await;
    let other = new_portal(&store).await;
    let (a, b) = (stored_article(&store, p.id).await, stored_article(&store, p.id).await);
    let elsewhere = stored_article(&store, other.id).await;
    let (now, hour) = (fx::now(), chrono::Duration::hours(1));
    let given_at = |f: crate::model::ArticleFeedback, at| crate::model::ArticleFeedback { at, ..f };
    let mut t = tx(&store).await;
    t.put_article_feedback(&given_at(answer(&a, None, true, ""), now - hour * 2)).await.unwrap();
    t.put_article_feedback(&given_at(answer(&a, None, true, ""), now - hour)).await.unwrap();
    t.put_article_feedback(&answer(&a, None, false, "spam?")).await.unwrap();
    t.put_article_feedback(&answer(&b, None, true, "")).await.unwrap();
    t.put_article_feedback(&answer(&a, Some(crate::model::UserId::new()), true, "")).await.unwrap();
    t.put_article_feedback(&answer(&elsewhere, None, true, "")).await.unwrap();
    t.commit().await.unwrap();
    let mut t = tx(&store).await;
    let since = now - hour;
    assert_eq!(t.count_anonymous_feedback(p.id, Some(a.id), since).await.unwrap(), 2);
    assert_eq!(t.count_anonymous_feedback(p.id, Some(b.id), since).await.unwrap(), 1);
    assert_eq!(t.count_anonymous_feedback(p.id, None, since).await.unwrap(), 3);
    assert_eq!(t.count_anonymous_feedback(p.id, None, now - hour * 3).await.unwrap(), 4);
    assert_eq!(t.count_anonymous_feedback(p.id, None, now + hour).await.unwrap(), 0);
    assert_eq!(t.count_anonymous_feedback(other.id, None, since).await.unwrap(), 1);
    assert_eq!(t.count_anonymous_feedback(other.id, Some(a.id), since).await.unwrap(), 0);
}

fn attachment(a: &crate::model::Article, name: &str, size: u64) -> crate::model::Attachment {
    crate::model::Attachment {
        id: crate::model::AttachmentId::new(),
        portal_id: a.portal_id,
        article_id: a.id,
        file_name: name.to_owned(),
        content_type: "application/pdf".into(),
        size,
        sha256: "0".repeat(64),
        uploaded_by: Some(crate::model::UserId::new()),
        created_at: fx::now(),
    }
}

/// An attachment is read back unchanged, listed with its article's, oldest first; a second one
/// with the same id is `AlreadyExists`.
pub async fn attachment_insert_then_get_and_list(store: Store) {
    let p = new_portal(&store).await;
    let (a, b) = (stored_article(&store, p.id).await, stored_article(&store, p.id).await);
    let (first, second, elsewhere) =
        (attachment(&a, "one.pdf", 10), attachment(&a, "two.pdf", 20), attachment(&b, "b.pdf", 5));
    let mut t = tx(&store).await;
    for x in [&first, &second, &elsewhere] {
        t.insert_attachment(x).await.unwrap();
    }
    assert_eq!(t.insert_attachment(&first).await.unwrap_err().kind(), ErrorKind::AlreadyExists);
    t.rollback().await.unwrap();
    let mut t = tx(&store).await;
    for x in [&first, &second, &elsewhere] {
        t.insert_attachment(x).await.unwrap();
    }
    t.commit().await.unwrap();
    let mut t = tx(&store).await;
    assert_eq!(t.get_attachment(p.id, first.id).await.unwrap(), Some(first.clone()));
    assert_eq!(t.list_attachments(p.id, a.id).await.unwrap(), [first, second]);
    assert_eq!(t.list_attachments(p.id, b.id).await.unwrap(), [elsewhere]);
}

/// Deleting removes only that attachment; usage sums a portal's files; other portals see none.
pub async fn attachment_delete_and_usage_per_portal(store: Store) {
    let p = new_portal(&store).await;
    let other = new_portal(&store).await;
    let a = stored_article(&store, p.id).await;
    let (x, y) = (attachment(&a, "x.png", 1_000), attachment(&a, "y.png", 234));
    let mut t = tx(&store).await;
    t.insert_attachment(&x).await.unwrap();
    t.insert_attachment(&y).await.unwrap();
    t.commit().await.unwrap();
    let mut t = tx(&store).await;
    assert_eq!(t.attachment_usage(p.id).await.unwrap(), crate::model::AttachmentUsage { files: 2, bytes: 1_234 });
    assert_eq!(t.attachment_usage(other.id).await.unwrap(), crate::model::AttachmentUsage::default());
    assert_eq!(t.get_attachment(other.id, x.id).await.unwrap(), None);
    assert!(!t.delete_attachment(other.id, x.id).await.unwrap());
    assert!(t.delete_attachment(p.id, x.id).await.unwrap());
    assert!(!t.delete_attachment(p.id, x.id).await.unwrap());
    t.commit().await.unwrap();
    let mut t = tx(&store).await;
    assert_eq!(t.get_attachment(p.id, x.id).await.unwrap(), None);
    assert_eq!(t.list_attachments(p.id, a.id).await.unwrap(), [y]);
    assert_eq!(t.attachment_usage(p.id).await.unwrap(), crate::model::AttachmentUsage { files: 1, bytes: 234 });
}
