//! Opening the database pool (SQLite in WAL mode with foreign keys, or
//! PostgreSQL, chosen by the URL) and running migrations.

use std::time::Duration;

use anyhow::Context;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection};
use sea_orm_migration::MigratorTrait;

use crate::config::Settings;
use crate::migrations::Migrator;

/// A pooled connection idle this long is pinged before it is handed out.
const IDLE_PING_AFTER: Duration = Duration::from_secs(1);

pub async fn connect(settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    if settings.is_sqlite() {
        configure_sqlite();
        ensure_sqlite_dir(&settings.database_url)?;
    }
    open(
        settings,
        settings.db_max_connections,
        settings.db_acquire_timeout,
        Duration::from_secs(5),
    )
    .await
}

/// SQLite's process-wide settings, before its first connection opens.
///
/// Memory statistics off: with them on (SQLite's default), every allocation
/// SQLite makes takes one process-wide mutex to count it, and each pooled
/// connection runs on its own thread, so the threads queue on that mutex
/// (bench/RESULTS.md). gemba never reads the statistics.
fn configure_sqlite() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: sqlite3_config is only allowed before SQLite initializes
        // (on the first connection); later it returns SQLITE_MISUSE and
        // changes nothing, which is harmless here.
        let rc = unsafe {
            libsqlite3_sys::sqlite3_config(
                libsqlite3_sys::SQLITE_CONFIG_MEMSTATUS,
                std::ffi::c_int::from(0),
            )
        };
        if rc != libsqlite3_sys::SQLITE_OK {
            tracing::debug!(rc, "SQLite already initialized; memory statistics stay on");
        }
    });
}

/// One connection of its own for the database watcher (`db_gate`): quick
/// to give up, and never queued behind the requests' pool.
pub async fn connect_probe(settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    let t = crate::db_gate::PROBE_TIMEOUT;
    open(settings, 1, t, t).await
}

async fn open(
    settings: &Settings,
    max_connections: u32,
    acquire_timeout: Duration,
    connect_timeout: Duration,
) -> anyhow::Result<DatabaseConnection> {
    let mut opt = ConnectOptions::new(settings.database_url.clone());
    opt.max_connections(max_connections)
        .min_connections(0)
        .acquire_timeout(acquire_timeout)
        .connect_timeout(connect_timeout)
        // SQLx pings a pooled connection before handing it out, a round
        // trip per statement on the hot path; only connections idle long
        // enough to have been dropped (a restart, a proxy) are pinged. A
        // dead one that slips through fails its statement, which asks the
        // gate for a probe (`db_gate`), and is closed on release.
        .test_before_acquire_if_idle_for(IDLE_PING_AFTER)
        .sqlx_logging(true)
        .sqlx_logging_level(log::LevelFilter::Debug)
        .sqlx_slow_statements_logging_settings(log::LevelFilter::Warn, Duration::from_millis(500))
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                // 1 MiB of page cache per connection (SQLite's default is
                // 2 MiB): with a pool of 10 the caches alone would be 20 MiB,
                // while the operating system caches the file anyway.
                .pragma("cache_size", "-1024")
        });
    Database::connect(opt).await.with_context(|| {
        format!(
            "GEMBA_DATABASE_URL: cannot connect to {}",
            redact(&settings.database_url)
        )
    })
}

pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    Migrator::up(db, None).await.context("applying migrations")
}

/// Creates the directory of a `sqlite://path` database file.
fn ensure_sqlite_dir(url: &str) -> anyhow::Result<()> {
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:")
        .split('?')
        .next()
        .unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        return Ok(());
    }
    if let Some(dir) = std::path::Path::new(path).parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("GEMBA_DATABASE_URL: cannot create {}", dir.display()))?;
    }
    Ok(())
}

/// The URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            match creds.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme + 3],
                    &creds[..colon],
                    &url[at..]
                ),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Starts a write transaction. On SQLite it takes the write lock at BEGIN
/// (`BEGIN IMMEDIATE`), so a transaction that reads before it writes waits
/// for the lock instead of failing when another writer committed first.
pub async fn begin_write(
    db: &DatabaseConnection,
) -> Result<sea_orm::DatabaseTransaction, sea_orm::DbErr> {
    use sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait};
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

#[cfg(test)]
mod tests {
    #[test]
    fn redacts_passwords() {
        assert_eq!(
            super::redact("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(super::redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(
            super::redact("sqlite://./data/gemba.db"),
            "sqlite://./data/gemba.db"
        );
    }
}
