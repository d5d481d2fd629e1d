//! The SQL engine behind [`crate::sqlite::SqliteStore`] and [`crate::postgres::PostgresStore`]:
//! one implementation of every storage port over sqlx's `Any` driver, so both databases run the
//! same statements (numbered `$n` parameters, portable types: ids as UUID text, times as
//! microseconds, hashes as bytes) and cannot drift apart. What differs — how a transaction
//! starts, how a connection is set up, which migrations apply — is a [`Dialect`] and the two
//! front-end modules.

mod attachments;
mod error;
mod feedback;
mod knowledge;
mod policy;
mod rows;
mod search_log;
mod tx;

use portal_core::model::PortalId;
use portal_core::ports::{SessionRecord, Transaction};
use portal_core::secret::TokenHash;
use portal_core::{Error, ErrorKind, Result};
use sqlx::migrate::Migrator;
use sqlx::AnyPool;

pub(crate) use error::map_err;

/// The SQL databases the engine speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// SQLite: `BEGIN IMMEDIATE` takes the single write lock up front.
    Sqlite,
    /// PostgreSQL: every transaction is `SERIALIZABLE`; conflicts surface as retryable errors.
    Postgres,
}

impl Dialect {
    fn begin_statement(self) -> &'static str {
        match self {
            Dialect::Sqlite => "BEGIN IMMEDIATE",
            Dialect::Postgres => "BEGIN ISOLATION LEVEL SERIALIZABLE",
        }
    }
}

/// A pool plus the dialect it speaks.
#[derive(Clone, Debug)]
pub(crate) struct SqlStore {
    pub(crate) pool: AnyPool,
    pub(crate) dialect: Dialect,
}

impl SqlStore {
    /// Bring `pool`'s schema up to date with `migrator` (under the database's migration lock).
    pub(crate) async fn migrated(pool: AnyPool, dialect: Dialect, migrator: &Migrator) -> Result<Self> {
        migrator.run(&pool).await.map_err(|e| {
            Error::new(ErrorKind::Unavailable, "schema migration failed")
                .with_context("dialect", format!("{dialect:?}"))
                .with_source(e.to_string())
        })?;
        Ok(SqlStore { pool, dialect })
    }

    pub(crate) async fn begin(&self) -> Result<Box<dyn Transaction>> {
        let tx = self.pool.begin_with(self.dialect.begin_statement()).await.map_err(map_err)?;
        Ok(Box::new(tx::SqlTx { tx }))
    }

    /// One statement in autocommit mode: a consistent snapshot that takes no write lock.
    pub(crate) async fn find_session_record(
        &self,
        portal: PortalId,
        token_hash: &TokenHash,
    ) -> Result<Option<SessionRecord>> {
        let row = sqlx::query(rows::SESSION_RECORD_SQL)
            .bind(portal.to_string())
            .bind(token_hash.as_bytes().to_vec())
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        row.as_ref().map(rows::session_record).transpose()
    }
}

/// `full` cut after schema version `version` (`None`: all of it). Tests use an old version to
/// prove that migrating a filled database to the newest loses nothing (D10).
pub(crate) fn migrations_up_to(full: &Migrator, version: Option<i64>) -> Migrator {
    Migrator {
        migrations: full.migrations.iter().filter(|m| version.is_none_or(|v| m.version <= v)).cloned().collect(),
        ignore_missing: full.ignore_missing,
        locking: full.locking,
        no_tx: full.no_tx,
    }
}

/// Make the `Any` driver able to open SQLite and PostgreSQL connections (idempotent).
pub(crate) fn install_drivers() {
    sqlx::any::install_default_drivers();
}

/// The public face of a SQL store: `$store` wraps a [`SqlStore`] in a field `inner`; this gives
/// it `pool()` and the [`portal_core::ports::Storage`] implementation.
macro_rules! front_end {
    ($store:ident) => {
        impl $store {
            /// The underlying pool, for hosts that keep their own tables next to the portal's.
            pub fn pool(&self) -> &sqlx::AnyPool {
                &self.inner.pool
            }
        }

        #[async_trait::async_trait]
        impl portal_core::ports::Storage for $store {
            async fn begin(&self) -> portal_core::Result<Box<dyn portal_core::ports::Transaction>> {
                self.inner.begin().await
            }

            async fn find_session_record(
                &self,
                portal: portal_core::model::PortalId,
                token_hash: &portal_core::secret::TokenHash,
            ) -> portal_core::Result<Option<portal_core::ports::SessionRecord>> {
                self.inner.find_session_record(portal, token_hash).await
            }
        }
    };
}
pub(crate) use front_end;
