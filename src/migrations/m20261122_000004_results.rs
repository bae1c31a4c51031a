//! Inspection results, with one typed row per measured item so statistics
//! are SQL aggregates over indexed rows.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Results::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Results::Id))
                    .col(big_integer_uniq(Results::ScheduleId))
                    .col(big_integer(Results::PlanId))
                    .col(integer(Results::PlanVersion))
                    .col(big_integer(Results::SiteId))
                    .col(timestamp_with_time_zone(Results::DueAt))
                    .col(big_integer_null(Results::SubmittedBy))
                    .col(timestamp_with_time_zone(Results::SubmittedAt))
                    .col(text_null(Results::Notes))
                    .col(boolean(Results::Passed))
                    .col(json(Results::FailedItems))
                    .col(double_null(Results::PassRate))
                    .col(json(Results::Response))
                    .col(string_len_null(Results::IdempotencyKey, 255))
                    .col(string_len(Results::RequestHash, 64))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_results_schedule")
                            .from(Results::Table, Results::ScheduleId)
                            .to(Schedules::Table, Schedules::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_results_site_due")
                    .table(Results::Table)
                    .col(Results::SiteId)
                    .col(Results::DueAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ResultValues::Table)
                    .if_not_exists()
                    .col(big_pk_auto(ResultValues::Id))
                    .col(big_integer(ResultValues::ResultId))
                    .col(big_integer(ResultValues::SiteId))
                    .col(big_integer(ResultValues::PlanId))
                    .col(timestamp_with_time_zone(ResultValues::DueAt))
                    .col(string_len(ResultValues::ItemKey, 64))
                    .col(string_len(ResultValues::Kind, 16))
                    .col(double_null(ResultValues::NumberValue))
                    .col(boolean_null(ResultValues::BoolValue))
                    .col(text_null(ResultValues::TextValue))
                    .col(boolean_null(ResultValues::Passed))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_result_values_result")
                            .from(ResultValues::Table, ResultValues::ResultId)
                            .to(Results::Table, Results::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_result_values_site_due")
                    .table(ResultValues::Table)
                    .col(ResultValues::SiteId)
                    .col(ResultValues::DueAt)
                    .col(ResultValues::PlanId)
                    .col(ResultValues::ItemKey)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_result_values_result")
                    .table(ResultValues::Table)
                    .col(ResultValues::ResultId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ResultValues::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Results::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Schedules {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Results {
    Table,
    Id,
    ScheduleId,
    PlanId,
    PlanVersion,
    SiteId,
    DueAt,
    SubmittedBy,
    SubmittedAt,
    Notes,
    Passed,
    FailedItems,
    PassRate,
    Response,
    IdempotencyKey,
    RequestHash,
}

#[derive(DeriveIden)]
enum ResultValues {
    Table,
    Id,
    ResultId,
    SiteId,
    PlanId,
    DueAt,
    ItemKey,
    Kind,
    NumberValue,
    BoolValue,
    TextValue,
    Passed,
}
