//! Statistics that do not grow with history (`repositories::stats`):
//!
//! - `due_day` on schedules, results and result values: the site-local date
//!   the inspection is planned for, as days since 1970-01-01, so rows group
//!   by local day in plain SQL on both databases;
//! - `stats_blocks`: per site and aligned block of 1, 4, 16, 64, 256 or 1024 days,
//!   the schedules by status, the results and those that passed;
//!   `stats_block_items`: per site, block, plan and numeric item, the
//!   count / sum / min / max of the values. They are
//!   kept exact by the transactions that change the rows, and built here
//!   from the rows already stored.

use chrono::{DateTime, FixedOffset};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [Tables::Schedules, Tables::Results, Tables::ResultValues] {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .add_column(big_integer(Tables::DueDay).default(0))
                        .to_owned(),
                )
                .await?;
        }
        backfill_due_day(manager.get_connection()).await?;
        let db = manager.get_connection();
        db.execute_unprepared(
            "UPDATE results SET due_day = \
             (SELECT s.due_day FROM schedules s WHERE s.id = results.schedule_id)",
        )
        .await?;
        db.execute_unprepared(
            "UPDATE result_values SET due_day = \
             (SELECT r.due_day FROM results r WHERE r.id = result_values.result_id)",
        )
        .await?;
        // The rows at a range's edges are filtered by due_day: the stats
        // indexes of migration 000005 get it too, so those reads stay
        // index-only (the schedules one keeps the list's (due_at, id) order).
        for (table, old, new, cols) in STATS_INDEXES {
            let mut create = Index::create();
            create.name(*new).table(Alias::new(*table));
            for c in cols.iter().chain(&["due_day"]) {
                create.col(Alias::new(*c));
            }
            manager.create_index(create).await?;
            manager
                .drop_index(
                    Index::drop()
                        .name(*old)
                        .table(Alias::new(*table))
                        .to_owned(),
                )
                .await?;
        }
        // SQLite keeps both tables in primary-key order (WITHOUT ROWID);
        // PostgreSQL answers the items from their primary key alone.
        let sqlite = manager.get_database_backend() == DbBackend::Sqlite;
        let clustered = |t: &mut TableCreateStatement| {
            if sqlite {
                t.extra("WITHOUT ROWID");
            }
            t.to_owned()
        };
        manager
            .create_table(clustered(
                Table::create()
                    .table(StatsBlocks::Table)
                    .if_not_exists()
                    .col(big_integer(StatsBlocks::SiteId))
                    .col(small_integer(StatsBlocks::Level))
                    .col(big_integer(StatsBlocks::Block))
                    .col(big_integer(StatsBlocks::NOpen))
                    .col(big_integer(StatsBlocks::NInProgress))
                    .col(big_integer(StatsBlocks::NCompleted))
                    .col(big_integer(StatsBlocks::NMissed))
                    .col(big_integer(StatsBlocks::NCancelled))
                    .col(big_integer(StatsBlocks::NResults))
                    .col(big_integer(StatsBlocks::NPassed))
                    .primary_key(
                        Index::create()
                            .col(StatsBlocks::SiteId)
                            .col(StatsBlocks::Level)
                            .col(StatsBlocks::Block),
                    ),
            ))
            .await?;
        let mut items_key = Index::create();
        items_key
            .col(StatsBlockItems::SiteId)
            .col(StatsBlockItems::Level)
            .col(StatsBlockItems::Block)
            .col(StatsBlockItems::PlanId)
            .col(StatsBlockItems::ItemKey);
        if !sqlite {
            items_key
                .include(StatsBlockItems::N)
                .include(StatsBlockItems::SumValue)
                .include(StatsBlockItems::MinValue)
                .include(StatsBlockItems::MaxValue);
        }
        manager
            .create_table(clustered(
                Table::create()
                    .table(StatsBlockItems::Table)
                    .if_not_exists()
                    .col(big_integer(StatsBlockItems::SiteId))
                    .col(small_integer(StatsBlockItems::Level))
                    .col(big_integer(StatsBlockItems::Block))
                    .col(big_integer(StatsBlockItems::PlanId))
                    .col(string_len(StatsBlockItems::ItemKey, 64))
                    .col(big_integer(StatsBlockItems::N))
                    .col(double(StatsBlockItems::SumValue))
                    .col(double(StatsBlockItems::MinValue))
                    .col(double(StatsBlockItems::MaxValue))
                    .primary_key(&mut items_key),
            ))
            .await?;
        crate::repositories::stats::rebuild(db).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(StatsBlockItems::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(StatsBlocks::Table).to_owned())
            .await?;
        for (table, old, new, cols) in STATS_INDEXES {
            let mut create = Index::create();
            create.name(*old).table(Alias::new(*table));
            for c in *cols {
                create.col(Alias::new(*c));
            }
            manager.create_index(create).await?;
            manager
                .drop_index(
                    Index::drop()
                        .name(*new)
                        .table(Alias::new(*table))
                        .to_owned(),
                )
                .await?;
        }
        for table in [Tables::Schedules, Tables::Results, Tables::ResultValues] {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .drop_column(Tables::DueDay)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

/// (table, index of migration 000005, its replacement, columns before due_day).
const STATS_INDEXES: &[(&str, &str, &str, &[&str])] = &[
    (
        "schedules",
        "ix_schedules_site_due_id_status",
        "ix_schedules_site_due_id_status_day",
        &["site_id", "due_at", "id", "status"],
    ),
    (
        "results",
        "ix_results_site_due_passed",
        "ix_results_site_due_passed_day",
        &["site_id", "due_at", "passed"],
    ),
    (
        "result_values",
        "ix_result_values_stats",
        "ix_result_values_stats_day",
        &["site_id", "due_at", "plan_id", "item_key", "number_value"],
    ),
];

/// Every stored schedule gets the local date of its due instant in its
/// site's time zone: PostgreSQL converts in SQL; SQLite has no zone data,
/// so the dates are computed here, a batch at a time.
async fn backfill_due_day(db: &SchemaManagerConnection<'_>) -> Result<(), DbErr> {
    if db.get_database_backend() == DbBackend::Postgres {
        db.execute_unprepared(
            "UPDATE schedules SET due_day = \
             ((schedules.due_at AT TIME ZONE sites.timezone)::date - DATE '1970-01-01') \
             FROM sites WHERE sites.id = schedules.site_id",
        )
        .await?;
        return Ok(());
    }
    let sqlite = DbBackend::Sqlite;
    let mut after = 0i64;
    loop {
        let rows = db
            .query_all_raw(Statement::from_sql_and_values(
                sqlite,
                "SELECT s.id, s.due_at, t.timezone FROM schedules s \
                 JOIN sites t ON t.id = s.site_id WHERE s.id > ? ORDER BY s.id LIMIT 5000",
                [after.into()],
            ))
            .await?;
        let Some(last) = rows.last() else { break };
        after = last.try_get_by_index(0)?;
        for row in &rows {
            let id: i64 = row.try_get_by_index(0)?;
            let due: DateTime<FixedOffset> = row.try_get_by_index(1)?;
            let zone: String = row.try_get_by_index(2)?;
            let tz: chrono_tz::Tz = zone
                .parse()
                .map_err(|_| DbErr::Custom(format!("site time zone {zone:?} is unknown")))?;
            let day = crate::domain::stats::day_number(due.with_timezone(&tz).date_naive());
            db.execute_raw(Statement::from_sql_and_values(
                sqlite,
                "UPDATE schedules SET due_day = ? WHERE id = ?",
                [day.into(), id.into()],
            ))
            .await?;
        }
    }
    Ok(())
}

#[derive(DeriveIden)]
enum Tables {
    Schedules,
    Results,
    ResultValues,
    DueDay,
}

#[derive(DeriveIden)]
enum StatsBlocks {
    Table,
    SiteId,
    Level,
    Block,
    NOpen,
    NInProgress,
    NCompleted,
    NMissed,
    NCancelled,
    NResults,
    NPassed,
}

#[derive(DeriveIden)]
enum StatsBlockItems {
    Table,
    SiteId,
    Level,
    Block,
    PlanId,
    ItemKey,
    N,
    SumValue,
    MinValue,
    MaxValue,
}
