//! Plans (with a version per change) and the schedules generated from them.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Plans::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Plans::Id))
                    .col(big_integer(Plans::SiteId))
                    .col(big_integer(Plans::EquipmentId))
                    .col(string_len(Plans::Title, 200))
                    .col(json(Plans::Recurrence))
                    .col(string_len(Plans::DueTime, 8))
                    .col(integer(Plans::WindowHours))
                    .col(big_integer_null(Plans::AssigneeId))
                    .col(boolean(Plans::IsActive))
                    .col(integer(Plans::Version))
                    .col(json(Plans::Items))
                    .col(timestamp_with_time_zone(Plans::CreatedAt))
                    .col(timestamp_with_time_zone(Plans::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_plans_site")
                            .from(Plans::Table, Plans::SiteId)
                            .to(Sites::Table, Sites::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_plans_equipment")
                            .from(Plans::Table, Plans::EquipmentId)
                            .to(Equipment::Table, Equipment::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_plans_assignee")
                            .from(Plans::Table, Plans::AssigneeId)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            ("ix_plans_site", vec![Plans::SiteId, Plans::Id]),
            ("ix_plans_equipment", vec![Plans::EquipmentId, Plans::Id]),
            ("ix_plans_assignee", vec![Plans::AssigneeId, Plans::Id]),
            ("ix_plans_active", vec![Plans::IsActive, Plans::Id]),
        ] {
            let mut idx = Index::create();
            idx.name(name).table(Plans::Table);
            for c in cols {
                idx.col(c);
            }
            manager.create_index(idx.to_owned()).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(PlanVersions::Table)
                    .if_not_exists()
                    .col(big_integer(PlanVersions::PlanId))
                    .col(integer(PlanVersions::Version))
                    .col(json(PlanVersions::Items))
                    .col(timestamp_with_time_zone(PlanVersions::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(PlanVersions::PlanId)
                            .col(PlanVersions::Version),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_plan_versions_plan")
                            .from(PlanVersions::Table, PlanVersions::PlanId)
                            .to(Plans::Table, Plans::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Schedules::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Schedules::Id))
                    .col(big_integer(Schedules::PlanId))
                    .col(integer(Schedules::PlanVersion))
                    .col(big_integer(Schedules::SiteId))
                    .col(big_integer(Schedules::EquipmentId))
                    .col(big_integer_null(Schedules::AssigneeId))
                    .col(timestamp_with_time_zone(Schedules::DueAt))
                    .col(timestamp_with_time_zone(Schedules::WindowEndsAt))
                    .col(string_len(Schedules::Status, 16))
                    .col(timestamp_with_time_zone_null(Schedules::StartedAt))
                    .col(timestamp_with_time_zone_null(Schedules::CompletedAt))
                    .col(timestamp_with_time_zone(Schedules::CreatedAt))
                    .col(timestamp_with_time_zone(Schedules::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_schedules_plan")
                            .from(Schedules::Table, Schedules::PlanId)
                            .to(Plans::Table, Plans::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols, unique) in [
            (
                "ux_schedules_plan_due",
                vec![Schedules::PlanId, Schedules::DueAt],
                true,
            ),
            (
                "ix_schedules_site_due",
                vec![Schedules::SiteId, Schedules::DueAt, Schedules::Id],
                false,
            ),
            (
                "ix_schedules_equipment_due",
                vec![Schedules::EquipmentId, Schedules::DueAt, Schedules::Id],
                false,
            ),
            (
                "ix_schedules_assignee_due",
                vec![Schedules::AssigneeId, Schedules::DueAt, Schedules::Id],
                false,
            ),
            (
                "ix_schedules_due",
                vec![Schedules::DueAt, Schedules::Id],
                false,
            ),
            (
                "ix_schedules_status_window",
                vec![Schedules::Status, Schedules::WindowEndsAt],
                false,
            ),
        ] {
            let mut idx = Index::create();
            idx.name(name).table(Schedules::Table);
            for c in cols {
                idx.col(c);
            }
            if unique {
                idx.unique();
            }
            manager.create_index(idx.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Schedules::Table.into_iden(),
            PlanVersions::Table.into_iden(),
            Plans::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Sites {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Equipment {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Plans {
    Table,
    Id,
    SiteId,
    EquipmentId,
    Title,
    Recurrence,
    DueTime,
    WindowHours,
    AssigneeId,
    IsActive,
    Version,
    Items,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PlanVersions {
    Table,
    PlanId,
    Version,
    Items,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Schedules {
    Table,
    Id,
    PlanId,
    PlanVersion,
    SiteId,
    EquipmentId,
    AssigneeId,
    DueAt,
    WindowEndsAt,
    Status,
    StartedAt,
    CompletedAt,
    CreatedAt,
    UpdatedAt,
}
