//! Files: report jobs (the row is the job: claimed with a lease, retried,
//! expired) and inspection attachments. Both point at an object in storage
//! by a key the server built.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Reports::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Reports::Id))
                    .col(big_integer(Reports::SiteId))
                    .col(big_integer_null(Reports::RequestedBy))
                    .col(string_len(Reports::Kind, 16))
                    .col(string_len(Reports::Format, 8))
                    .col(string_len(Reports::Locale, 8))
                    .col(timestamp_with_time_zone(Reports::PeriodFrom))
                    .col(timestamp_with_time_zone(Reports::PeriodTo))
                    .col(string_len(Reports::Status, 16))
                    .col(integer(Reports::Attempts))
                    .col(integer(Reports::MaxAttempts))
                    .col(timestamp_with_time_zone(Reports::RunAfter))
                    .col(timestamp_with_time_zone_null(Reports::LeaseUntil))
                    .col(string_len_null(Reports::Worker, 64))
                    .col(big_integer_null(Reports::RowsTotal))
                    .col(big_integer(Reports::RowsWritten))
                    .col(string_len(Reports::FileName, 255))
                    .col(string_len(Reports::ObjectKey, 1024))
                    .col(string_len(Reports::ContentType, 128))
                    .col(big_integer_null(Reports::SizeBytes))
                    .col(text_null(Reports::Error))
                    .col(timestamp_with_time_zone(Reports::CreatedAt))
                    .col(timestamp_with_time_zone_null(Reports::StartedAt))
                    .col(timestamp_with_time_zone_null(Reports::FinishedAt))
                    .col(timestamp_with_time_zone_null(Reports::ExpiresAt))
                    .col(timestamp_with_time_zone(Reports::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_reports_site")
                            .from(Reports::Table, Reports::SiteId)
                            .to(Sites::Table, Sites::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_reports_claim")
                    .table(Reports::Table)
                    .col(Reports::Status)
                    .col(Reports::RunAfter)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_reports_site")
                    .table(Reports::Table)
                    .col(Reports::SiteId)
                    .col(Reports::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Attachments::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Attachments::Id))
                    .col(big_integer(Attachments::ScheduleId))
                    .col(big_integer(Attachments::SiteId))
                    .col(string_len(Attachments::Status, 16))
                    .col(string_len(Attachments::FileName, 255))
                    .col(string_len(Attachments::ContentType, 128))
                    .col(big_integer(Attachments::SizeBytes))
                    .col(string_len(Attachments::Sha256, 64))
                    .col(string_len(Attachments::ObjectKey, 1024))
                    .col(big_integer_null(Attachments::UploadedBy))
                    .col(timestamp_with_time_zone(Attachments::CreatedAt))
                    .col(timestamp_with_time_zone(Attachments::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_attachments_schedule")
                            .from(Attachments::Table, Attachments::ScheduleId)
                            .to(Schedules::Table, Schedules::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_attachments_schedule")
                    .table(Attachments::Table)
                    .col(Attachments::ScheduleId)
                    .col(Attachments::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_attachments_status")
                    .table(Attachments::Table)
                    .col(Attachments::Status)
                    .col(Attachments::UpdatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Attachments::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Reports::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Sites {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Schedules {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Reports {
    Table,
    Id,
    SiteId,
    RequestedBy,
    Kind,
    Format,
    Locale,
    PeriodFrom,
    PeriodTo,
    Status,
    Attempts,
    MaxAttempts,
    RunAfter,
    LeaseUntil,
    Worker,
    RowsTotal,
    RowsWritten,
    FileName,
    ObjectKey,
    ContentType,
    SizeBytes,
    Error,
    CreatedAt,
    StartedAt,
    FinishedAt,
    ExpiresAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Attachments {
    Table,
    Id,
    ScheduleId,
    SiteId,
    Status,
    FileName,
    ContentType,
    SizeBytes,
    Sha256,
    ObjectKey,
    UploadedBy,
    CreatedAt,
    UpdatedAt,
}
