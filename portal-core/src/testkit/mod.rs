//! Test support for adapter authors (feature `testkit`).
//!
//! Prove a storage adapter with one line in its tests:
//!
//! ```text
//! portal_core::storage_conformance!(MyStore::connect(&url).await.unwrap());
//! ```
//!
//! The expression is evaluated once per test (inside an async context) and may return the same
//! database every time: each test creates its own portal, so tests run in parallel safely.

pub mod blobs;
pub mod fixtures;
pub mod knowledge;
pub mod storage;

use std::future::Future;

/// Run a future to completion on a fresh multi-threaded runtime (used by the generated tests, so
/// the adapter's crate needs no tokio test macros).
pub fn run<F: Future<Output = ()>>(f: F) {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime can be built")
        .block_on(f)
}

/// Generate the storage conformance suite: one `#[test]` per behavior of every storage port,
/// each named after the behavior it checks. `$make` is an expression (it may `.await`)
/// evaluating to a value implementing [`crate::ports::Storage`].
///
/// `storage_conformance!(optional: expr)` takes an `Option` instead: with `None` (say, no
/// database server configured) each test returns at once; the caller says why, once.
#[macro_export]
macro_rules! storage_conformance {
    (optional: $make:expr) => {
        $crate::__storage_conformance_list!(optional: $make);
    };
    ($make:expr) => {
        $crate::__storage_conformance_list!(required: $make);
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __storage_conformance_list {
    ($how:ident: $make:expr) => {
        $crate::__storage_conformance_tests!($how: $make;
            portal_insert_then_get_by_id_and_slug,
            portal_get_unknown_is_none,
            portal_duplicate_slug_is_already_exists,
            user_insert_then_get_by_id_and_email,
            user_get_unknown_is_none,
            user_duplicate_email_same_portal_is_already_exists,
            user_same_email_other_portal_is_accepted,
            user_update_increments_version,
            user_update_stale_version_is_conflict_and_writes_nothing,
            user_update_unknown_is_not_found,
            membership_insert_then_get,
            membership_duplicate_is_already_exists,
            membership_update_stale_version_is_conflict,
            membership_update_unknown_is_not_found,
            membership_list_filters_by_status_and_pages_in_id_order,
            credential_set_twice_returns_latest,
            credential_unknown_is_none,
            session_insert_then_find_by_hash,
            session_find_unknown_is_none,
            session_record_matches_transactional_reads,
            session_record_unknown_or_other_portal_is_none,
            session_record_now_agrees_with_the_async_read,
            session_record_sees_committed_membership_changes,
            session_touch_updates_only_that_session,
            session_delete_removes_only_that_session,
            session_delete_user_sessions_keeps_the_one_asked,
            session_list_returns_only_that_users_sessions_oldest_first,
            invitation_insert_then_get_and_find,
            invitation_accept_succeeds_once,
            invitation_accept_expired_is_refused,
            invitation_revoked_cannot_be_accepted,
            invitation_list_open_only,
            token_consume_succeeds_once,
            token_consume_expired_is_none,
            token_consume_other_purpose_is_none_and_keeps_it,
            token_find_returns_any_state,
            token_revoke_kills_unused_tokens_of_user,
            audit_append_then_list_newest_first,
            audit_list_pages_with_before,
            throttle_unknown_is_none,
            throttle_put_get_clear_round_trip,
            policy_add_then_list_unchanged,
            policy_add_twice_is_false_and_listed_once,
            policy_remove_removes_only_that_rule,
            policy_list_keeps_insertion_order_types_and_lengths_apart,
            policy_rollback_writes_nothing,
            tx_commit_is_visible,
            tx_rollback_writes_nothing,
            tx_drop_without_commit_writes_nothing,
            tx_concurrent_read_modify_write_loses_no_update,
            z6_other_portal_ids_behave_as_missing,
            kb_category_insert_then_get_and_list,
            kb_category_update_is_versioned,
            kb_article_insert_then_get_unchanged,
            kb_article_update_is_versioned,
            kb_article_list_pages_in_id_order,
            kb_revisions_list_in_version_order,
            kb_change_feed_is_gapless_in_commit_order,
            kb_z6_other_portal_ids_behave_as_missing,
            search_log_reports_per_query_since,
            search_log_keeps_the_first_click,
            article_views_add_up_per_article,
            article_feedback_counts_a_member_once,
            anonymous_feedback_is_counted_per_article_and_portal_since_a_time,
            attachment_insert_then_get_and_list,
            attachment_delete_and_usage_per_portal,
        );
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __storage_conformance_tests {
    (required: $make:expr; $($name:ident),+ $(,)?) => {
        $(
            #[test]
            fn $name() {
                $crate::testkit::run(async {
                    let store = $make;
                    $crate::testkit::storage::$name(::std::sync::Arc::new(store)).await;
                });
            }
        )+
    };
    (optional: $make:expr; $($name:ident),+ $(,)?) => {
        $(
            #[test]
            fn $name() {
                $crate::testkit::run(async {
                    if let Some(store) = $make {
                        $crate::testkit::storage::$name(::std::sync::Arc::new(store)).await;
                    }
                });
            }
        )+
    };
}
