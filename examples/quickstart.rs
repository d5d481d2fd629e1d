//! A tour of the access API on the embedded default (SQLite file + argon2id + casbin):
//! a restricted portal, a sign-up that waits for approval, an admin who approves it, and the
//! member signing in with a session that validates, a published answer and what each reader's
//! search finds.
//!
//! Run: `cargo run --example quickstart` (data goes to `./data/quickstart`, removed first).

use portal::core::model::{ArticleKind, Locale, Visibility};
use portal::core::ports::SearchRequest;
use portal::core::services::knowledge::ArticleForm;
use portal::prelude::*;

/// Sign in with email and password, as a login form would.
async fn sign_in(
    access: &portal::core::services::access::AccessService,
    visitor: &Principal,
    email: &str,
    password: &str,
) -> portal::core::Result<portal::core::services::access::SignedIn> {
    access.login(visitor, LoginRequest { email: email.into(), password: password.into(), replaces: None }).await
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = std::path::Path::new("data/quickstart");
    let _ = std::fs::remove_dir_all(dir);
    let portal = Portal::embedded(dir).await?;
    let access = portal.access();

    // 1. The host creates a restricted portal. Its owner receives an admin invitation: there is
    //    no default admin account.
    let created = access
        .create_portal(NewPortal {
            slug: "acme-help".into(),
            name: "Acme Help Center".into(),
            mode: PortalMode::Restricted,
            owner_email: "owner@acme.example".into(),
        })
        .await?;
    let pid = created.portal.id;
    println!("created portal {} ({:?})", created.portal.slug, created.portal.mode);

    // 2. The owner accepts the invitation (the token would arrive by email) and signs in.
    let visitor = Principal::anonymous(pid);
    access
        .accept_invitation(
            &visitor,
            AcceptInvitation {
                token: created.owner_invitation.token.expose().to_owned(),
                password: "orchid lantern quietly hums".into(),
                display_name: "Olivia Owner".into(),
            },
        )
        .await?;
    let admin = sign_in(access, &visitor, "owner@acme.example", "orchid lantern quietly hums").await?;
    println!("owner signed in; roles {:?}", admin.principal.roles);

    // 3. A customer signs up. The portal is restricted, so the request waits for approval and
    //    signing in is refused until then.
    let receipt = access
        .register(
            &visitor,
            Registration {
                email: "mika@customer.example".into(),
                password: "paper kites over the harbour".into(),
                display_name: "Mika".into(),
            },
        )
        .await?;
    println!("sign-up received (portal is {:?})", receipt.mode);
    let too_early = sign_in(access, &visitor, "mika@customer.example", "paper kites over the harbour").await;
    println!("login before approval: {}", too_early.err().map(|e| e.kind().to_string()).unwrap_or_default());

    // 4. The admin works through the approval queue.
    let admin_principal = access.validate_session(pid, admin.token.expose()).await?;
    let queue = access
        .list_members(
            &admin_principal,
            MemberQuery { status: Some(MemberStatus::PendingApproval), ..Default::default() },
        )
        .await?;
    for m in &queue {
        access.approve(&admin_principal, m.user.id).await?;
        println!("approved {}", m.user.email);
    }

    // 5. The customer signs in; the host keeps the token in a cookie and validates it per request.
    let signed_in = sign_in(access, &visitor, "mika@customer.example", "paper kites over the harbour").await?;
    let principal = access.validate_session(pid, signed_in.token.expose()).await?;
    println!(
        "session valid for user {} with roles {:?}",
        principal.user_id.map(|u| u.to_string()).unwrap_or_default(),
        principal.roles
    );

    // 6. The admin publishes two answers, one for customers only; each reader's search finds
    //    what it may read (the embedded default indexes with tantivy under ./data/quickstart).
    let kb = portal.knowledge();
    for (title, body, visibility) in [
        ("Resetting your password", "Use **Forgot password** on the sign-in page.", Visibility::public()),
        ("Invoice download", "Customers download invoices and reset billing contacts.", Visibility::customers()),
    ] {
        let form = ArticleForm {
            category_id: None,
            kind: ArticleKind::Faq,
            locale: Locale::En,
            translation_of: None,
            title: title.into(),
            body: body.into(),
            tags: vec!["account".into()],
            visibility,
            review_due_at: None,
        };
        let draft = kb.create_article(&admin_principal, form).await?;
        let article = kb.publish_article(&admin_principal, draft.id, draft.version, None).await?;
        if article.visibility == Visibility::customers() {
            // A sample invoice attached to the customers' answer (kept under ./data/quickstart/files).
            kb.add_attachment(&admin_principal, article.id, "sample-invoice.txt", b"Invoice 2026-001\n".to_vec())
                .await?;
        }
    }
    for (who, reader) in [("visitor", &visitor), ("customer", &principal)] {
        let results = kb.search(reader, SearchRequest { text: "reset".into(), ..Default::default() }).await?;
        let titles: Vec<&str> = results.hits.iter().map(|h| h.title.as_str()).collect();
        println!("search 'reset' as {who}: {titles:?}");
        for hit in &results.hits {
            let Some(id) = hit.key.strip_prefix("article:").and_then(|id| id.parse().ok()) else { continue };
            for file in kb.attachments(reader, id).await? {
                let download = kb.download_attachment(reader, file.id).await?;
                println!(
                    "  attached to '{}': {} ({} bytes, {:?})",
                    hit.title,
                    file.file_name,
                    download.bytes.len(),
                    download.headers()[2]
                );
            }
        }
    }

    // 7. Everything above left an audit trail.
    for e in access.audit_log(&admin_principal, None, 20).await?.iter().rev() {
        println!("audit: {} {} {:?}", e.at.format("%H:%M:%S"), e.action, e.outcome);
    }
    Ok(())
}
