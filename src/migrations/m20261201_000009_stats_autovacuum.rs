//! PostgreSQL: the statistics blocks are vacuumed after every 1,000 changed
//! or inserted rows, not after a fifth of the table.
//!
//! Every submit updates one row per block level in each stats table, and a
//! summary reads the rows of its blocks with index-only scans. Those scans
//! skip the heap only on pages the last vacuum marked all-visible: after
//! 2,513 submits on the 1M data set, the items of one site's quarter read
//! 906 buffers with 860 heap fetches instead of 40 buffers, and PostgreSQL
//! spent 7.2 ms of CPU per summary instead of 5.3 (bench/RESULTS.md). With
//! the default scale factor (0.2) autovacuum would wait for ~175,000 dead
//! rows in `stats_block_items` at 1M schedules: weeks of a factory's
//! submits. SQLite has no vacuum of this kind: nothing to do there.

use sea_orm::DbBackend;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: [&str; 2] = ["stats_blocks", "stats_block_items"];

/// Each setting and its value: vacuum after 1,000 rows, whatever the size.
const SETTINGS: [(&str, u32); 4] = [
    ("autovacuum_vacuum_scale_factor", 0),
    ("autovacuum_vacuum_threshold", 1000),
    ("autovacuum_vacuum_insert_scale_factor", 0),
    ("autovacuum_vacuum_insert_threshold", 1000),
];

async fn alter(manager: &SchemaManager<'_>, action: &str) -> Result<(), DbErr> {
    if manager.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    for table in TABLES {
        manager
            .get_connection()
            .execute_unprepared(&format!("ALTER TABLE {table} {action}"))
            .await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let set: Vec<String> = SETTINGS.iter().map(|(k, v)| format!("{k} = {v}")).collect();
        alter(manager, &format!("SET ({})", set.join(", "))).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let names: Vec<&str> = SETTINGS.iter().map(|(k, _)| *k).collect();
        alter(manager, &format!("RESET ({})", names.join(", "))).await
    }
}
