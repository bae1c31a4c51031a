//! Schema migrations, written with the sea-query DSL so one schema serves
//! SQLite and PostgreSQL; plain SQL only for data backfills and what one
//! database alone has (PostgreSQL's autovacuum settings, 000009). Applied at
//! start-up and by `gemba migrate`.

use sea_orm_migration::prelude::*;

mod m20261122_000001_users_and_auth;
mod m20261122_000002_sites_equipment_audit;
mod m20261122_000003_plans_schedules;
mod m20261122_000004_results;
mod m20261122_000005_stats_indexes;
mod m20261122_000006_files;
mod m20261123_000007_server_secrets;
mod m20261201_000008_stats_blocks;
mod m20261201_000009_stats_autovacuum;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_users_and_auth::Migration),
            Box::new(m20261122_000002_sites_equipment_audit::Migration),
            Box::new(m20261122_000003_plans_schedules::Migration),
            Box::new(m20261122_000004_results::Migration),
            Box::new(m20261122_000005_stats_indexes::Migration),
            Box::new(m20261122_000006_files::Migration),
            Box::new(m20261123_000007_server_secrets::Migration),
            Box::new(m20261201_000008_stats_blocks::Migration),
            Box::new(m20261201_000009_stats_autovacuum::Migration),
        ]
    }
}
