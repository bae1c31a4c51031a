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
        Checkpoints::OnCommit,
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

/// The connection writes go through: `begin_write` and the few writes
/// that run on their own.
///
/// SQLite lets one connection write at a time. Writers that each hold a
/// pooled connection and wait in `BEGIN IMMEDIATE` poll SQLite's lock, its
/// busy handler sleeping 1, 2, 5 … up to 100 ms between tries, so a writer
/// that keeps losing the race waits far longer than its turn (a submit p99
/// of 467 ms under 32 connections, bench/RESULTS.md). On SQLite this is a
/// pool of one connection: writers queue for it in order (SQLx's pool is
/// fair), none sleeps past its turn, and the other connections stay free
/// for reads. On PostgreSQL it is the same pool as reads: row locks let
/// writers run side by side.
pub async fn connect_writer(
    settings: &Settings,
    db: &DatabaseConnection,
) -> anyhow::Result<DatabaseConnection> {
    if !settings.is_sqlite() {
        return Ok(db.clone());
    }
    let writer = open(
        settings,
        1,
        settings.db_acquire_timeout,
        Duration::from_secs(5),
        Checkpoints::Elsewhere,
    )
    .await?;
    start_checkpoints(settings, db.clone())?;
    Ok(writer)
}

/// Who copies SQLite's write-ahead log back into the database file.
#[derive(Clone, Copy, PartialEq)]
enum Checkpoints {
    /// The connection that commits past 1,000 log pages (SQLite's default).
    OnCommit,
    /// Not this connection: `checkpoints` does it.
    Elsewhere,
}

/// How often `checkpoints` runs.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);

/// Starts `checkpoints` on a thread of its own at the lowest CPU priority
/// (nice 19), with a connection of its own whose SQLite thread, started
/// from it, inherits that priority (Linux keeps a nice value per thread).
///
/// A checkpoint copies the pages written since the last one back into the
/// database file: at 1,300 submits/s, 30,000 log frames a second, 110 to
/// 175 ms of work each time. Run among the requests' threads at their
/// priority, it took a core from the writer and the requests on this
/// 2-core machine for that long, and the submits queued behind the writer
/// waited as long: the submit p99 was 41 to 66 ms with a checkpoint every
/// second, 36 to 39 ms with none (bench/RESULTS.md). At nice 19 it runs on
/// what the requests leave.
///
/// It stops when `db` closes, or when the runtime that started it ends (a
/// test's): a task of that runtime holds `alive`, whose drop it hears.
fn start_checkpoints(settings: &Settings, db: DatabaseConnection) -> anyhow::Result<()> {
    let settings = settings.clone();
    let (alive, gone) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let _alive = alive;
        std::future::pending::<()>().await
    });
    std::thread::Builder::new()
        .name("gemba-checkpoint".into())
        .spawn(move || {
            // SAFETY: setpriority only reads its arguments; on Linux,
            // PRIO_PROCESS with 0 is the calling thread.
            if unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, 19) } != 0 {
                tracing::warn!("the checkpoint thread keeps its priority: setpriority failed");
            }
            match tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .build()
            {
                Ok(rt) => rt.block_on(checkpoints(settings, db, gone)),
                Err(e) => tracing::error!(error = %e, "the SQLite checkpoint thread did not start"),
            }
        })
        .context("starting the SQLite checkpoint thread")?;
    Ok(())
}

/// Checkpoints SQLite's write-ahead log every second, on a connection of
/// its own, until the requests' pool (`db`) closes or `gone` is heard.
///
/// A checkpoint ends with an fsync of the database file, which took 20 ms
/// and at times 1.4 s on this project's machines. Run by the one writing
/// connection after its commit (SQLite's default), every writer queued
/// behind it waited as long (a submit p99 of 1.5 s under 32 connections);
/// here the writer keeps writing meanwhile. A passive checkpoint takes no
/// lock that writers or readers wait for, and does nothing when the log
/// holds nothing new.
async fn checkpoints(
    settings: Settings,
    db: DatabaseConnection,
    mut gone: tokio::sync::oneshot::Receiver<()>,
) {
    use sea_orm::ConnectionTrait;
    let mut own: Option<DatabaseConnection> = None;
    let mut every = tokio::time::interval(CHECKPOINT_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let ended = tokio::select! {
            _ = every.tick() => false,
            _ = &mut gone => true,
        };
        if ended || db.get_sqlite_connection_pool().is_closed() {
            if let Some(conn) = own {
                conn.close().await.ok();
            }
            return;
        }
        if own.is_none() {
            let t = settings.db_acquire_timeout;
            match open(&settings, 1, t, t, Checkpoints::Elsewhere).await {
                Ok(conn) => own = Some(conn),
                Err(e) => {
                    tracing::warn!(error = %e, "opening the SQLite checkpoint connection failed");
                    continue;
                }
            }
        }
        if let Some(conn) = &own
            && let Err(e) = conn
                .execute_unprepared("PRAGMA wal_checkpoint(PASSIVE)")
                .await
        {
            tracing::warn!(error = %e, "checkpointing the SQLite log failed");
        }
    }
}

/// One connection of its own for the database watcher (`db_gate`): quick
/// to give up, and never queued behind the requests' pool.
pub async fn connect_probe(settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    let t = crate::db_gate::PROBE_TIMEOUT;
    open(settings, 1, t, t, Checkpoints::OnCommit).await
}

async fn open(
    settings: &Settings,
    max_connections: u32,
    acquire_timeout: Duration,
    connect_timeout: Duration,
    checkpoints: Checkpoints,
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
        // Every statement of gemba has a fixed shape with its values bound
        // as parameters, and SQLx prepares it once per connection. In its
        // default mode PostgreSQL plans such a statement again for every
        // call whenever its plan for unknown values is estimated dearer
        // than one for the values at hand, and that estimate grows with
        // the table (an unknown LIMIT counts as a tenth of the rows): on
        // 10M schedules the list's statement and the summary's two were
        // planned on every call, with the same plans, which cost 130 µs of
        // the list's 315 and about 1 ms of each summary; on 1M they were
        // planned once per connection (bench/RESULTS.md). Plans made once
        // keep each request's cost flat as the history grows.
        //
        // No Memoize nodes: PostgreSQL puts one in front of the plans and
        // the equipment of the schedule list's join, estimating from a
        // site's whole history that a plan repeats often, while a page
        // names each about once; every row then missed the cache and was
        // copied into it, which cost PostgreSQL a quarter more per list
        // than without (pgbench: 335 against 263 µs per list, 5,200
        // against 6,500 lists/s; bench/RESULTS.md).
        //
        // No parallel workers: gemba's statements read bounded index
        // ranges for one request each, and many requests run at once. A
        // generic plan estimates an unknown LIMIT as a tenth of the rows,
        // so on ten times the 1M data set the list's join was planned as a
        // Gather Merge over parallel index scans (`EXPLAIN` with the
        // schedules' row estimate raised tenfold), starting worker
        // processes for every page of 50. PostgreSQL never runs the
        // statements that write in parallel (`rebuild`'s included).
        .map_sqlx_postgres_opts(|o| {
            o.options([
                ("plan_cache_mode", "force_generic_plan"),
                ("enable_memoize", "off"),
                ("max_parallel_workers_per_gather", "0"),
            ])
        })
        .map_sqlx_sqlite_opts(move |o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                // 1 MiB of page cache per connection (SQLite's default is
                // 2 MiB): with a pool of 10 the caches alone would be 20 MiB,
                // while the operating system caches the file anyway.
                .pragma("cache_size", "-1024")
                // Under steady writes and reads the log only grows (it
                // restarts once a checkpoint has copied all of it and no
                // reader still uses it); when it restarts, it is cut back
                // to 64 MiB instead of keeping its largest size on disk.
                .pragma("journal_size_limit", "67108864")
                .pragma(
                    "wal_autocheckpoint",
                    match checkpoints {
                        Checkpoints::OnCommit => "1000",
                        Checkpoints::Elsewhere => "0",
                    },
                )
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

/// Starts a write transaction on `writer` (`connect_writer`). On SQLite it
/// takes the write lock at BEGIN (`BEGIN IMMEDIATE`), so a transaction that
/// reads before it writes waits for the lock instead of failing when
/// another writer (another process) committed first.
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
