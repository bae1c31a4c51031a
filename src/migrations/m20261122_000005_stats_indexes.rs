//! Covering indexes for `GET /stats/summary`: each aggregate reads only its
//! index (an index-only scan on PostgreSQL) instead of visiting every row of
//! the range. They replace the (site_id, due_at) indexes they extend. The
//! schedules one also holds `id` right after `due_at`: the list's keyset
//! order (due_at, id) then comes straight from the index, with no sort of
//! the many schedules due at the same instant (every plan due at 09:00).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn index(name: &str, table: &str, cols: &[&str]) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(name).table(Alias::new(table));
    for c in cols {
        i.col(Alias::new(*c));
    }
    i.to_owned()
}

fn drop(name: &str, table: &str) -> IndexDropStatement {
    Index::drop().name(name).table(Alias::new(table)).to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(index(
                "ix_schedules_site_due_id_status",
                "schedules",
                &["site_id", "due_at", "id", "status"],
            ))
            .await?;
        manager
            .drop_index(drop("ix_schedules_site_due", "schedules"))
            .await?;
        manager
            .create_index(index(
                "ix_results_site_due_passed",
                "results",
                &["site_id", "due_at", "passed"],
            ))
            .await?;
        manager
            .drop_index(drop("ix_results_site_due", "results"))
            .await?;
        manager
            .create_index(index(
                "ix_result_values_stats",
                "result_values",
                &["site_id", "due_at", "plan_id", "item_key", "number_value"],
            ))
            .await?;
        manager
            .drop_index(drop("ix_result_values_site_due", "result_values"))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(index(
                "ix_schedules_site_due",
                "schedules",
                &["site_id", "due_at"],
            ))
            .await?;
        manager
            .drop_index(drop("ix_schedules_site_due_id_status", "schedules"))
            .await?;
        manager
            .create_index(index(
                "ix_results_site_due",
                "results",
                &["site_id", "due_at"],
            ))
            .await?;
        manager
            .drop_index(drop("ix_results_site_due_passed", "results"))
            .await?;
        manager
            .create_index(index(
                "ix_result_values_site_due",
                "result_values",
                &["site_id", "due_at", "plan_id", "item_key"],
            ))
            .await?;
        manager
            .drop_index(drop("ix_result_values_stats", "result_values"))
            .await
    }
}
