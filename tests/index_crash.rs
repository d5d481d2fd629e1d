//! D6: the search index follows storage through crashes. A child process writes articles (each
//! stored, then indexed) and is killed with SIGKILL at random points — between a storage commit
//! and the index commit, or inside either. Reopened, the index catches up from the change feed
//! and holds exactly the published articles storage holds, at the feed's last position.

mod common;

use common::*;
use portal::adapters::sqlite::SqliteStore;
use portal::core::model::{ArticleKind, ArticleStatus, Locale, PortalId, Visibility};
use portal::core::ports::{SearchIndex, SearchRequest, SearchScope, Storage};
use portal::core::services::knowledge::{article_key, ArticleForm};
use portal::prelude::*;
use portal::search::TantivySearch;
use std::collections::hash_map::RandomState;
use std::collections::BTreeSet;
use std::hash::{BuildHasher, Hasher};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

const CHILD: &str = "PORTAL_INDEX_CRASH_CHILD";

fn random_below(n: u64) -> u64 {
    RandomState::new().build_hasher().finish() % n
}

async fn store(db: &str) -> Arc<dyn Storage> {
    Arc::new(SqliteStore::open(db).await.unwrap())
}

#[tokio::test]
async fn d6_an_index_killed_mid_write_catches_up_to_equal_storage() {
    if let Ok(spec) = std::env::var(CHILD) {
        return child(&spec).await;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("portal.db").display().to_string();
    let index_dir = dir.path().join("index").display().to_string();
    let h = Harness::with(store(&db).await, Default::default()).await;
    let (pid, _) = h.portal_with_admin(PortalMode::Public).await;
    drop(h);

    for round in 0..10 {
        let stop_after = 1 + random_below(5) as usize;
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "d6_an_index_killed_mid_write_catches_up_to_equal_storage",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD, format!("{db}|{index_dir}|{pid}|{round}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut acked = 0;
        while acked < stop_after {
            let line = lines.next().expect("child output").unwrap();
            acked += usize::from(line.starts_with("ack "));
        }
        std::thread::sleep(Duration::from_micros(random_below(20_000)));
        child.kill().unwrap();
        child.wait().unwrap();
    }

    // Reopen: the portal's build catches the index up.
    let storage = store(&db).await;
    let h = Harness::with_index(storage.clone(), TantivySearch::open(&index_dir).unwrap()).await;
    drop(h);
    let mut tx = storage.begin().await.unwrap();
    let mut published = BTreeSet::new();
    for a in tx.list_articles(pid, None, u32::MAX).await.unwrap() {
        if a.status == ArticleStatus::Published {
            published.insert(article_key(a.id));
        }
    }
    let last = tx.list_kb_changes(0, u32::MAX).await.unwrap().last().map_or(0, |c| c.seq);
    drop(tx);
    assert!(published.len() >= 6, "every round published something");

    let index = TantivySearch::open(&index_dir).unwrap();
    assert_eq!(index.position().await.unwrap(), last, "the index holds the feed's last position");
    let everything = SearchScope {
        portal_id: pid,
        labels: None,
        hidden_categories: Vec::new(),
        now: chrono::Utc::now() + chrono::Duration::days(3650),
    };
    let mut indexed = BTreeSet::new();
    loop {
        let request = SearchRequest { limit: 100, offset: indexed.len() as u32, facets: true, ..Default::default() };
        let page = index.search(&everything, &request).await.unwrap();
        if page.hits.is_empty() {
            break;
        }
        assert!(page.total.exact);
        for hit in page.hits {
            assert!(indexed.insert(hit.key), "each article is indexed once");
        }
    }
    assert_eq!(indexed, published, "the index equals storage");
}

/// Write articles forever: create, publish, and now and then archive one, printing `ack` after
/// each call returns (stored and indexed).
async fn child(spec: &str) {
    let mut parts = spec.split('|');
    let (db, index_dir, pid, round) =
        (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap());
    let pid: PortalId = pid.parse().unwrap();
    let h = Harness::with_index(store(db).await, TantivySearch::open(index_dir).unwrap()).await;
    let admin = h.login(pid, ADMIN_EMAIL, ADMIN_PASSWORD).await.unwrap();
    let kb = h.portal.knowledge();
    for i in 0.. {
        let form = ArticleForm {
            category_id: None,
            kind: ArticleKind::Article,
            locale: Locale::En,
            translation_of: None,
            title: format!("Round {round} article {i}"),
            body: format!("word{round}x{i} and some text to index"),
            tags: Vec::new(),
            visibility: Visibility::public(),
            review_due_at: None,
        };
        let a = kb.create_article(&admin, form).await.unwrap();
        let a = kb.publish_article(&admin, a.id, a.version, None).await.unwrap();
        if i % 3 == 2 {
            kb.archive_article(&admin, a.id, a.version).await.unwrap();
        }
        println!("ack {}", a.id);
    }
}
