//! Sites, site membership, equipment and the audit log.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Sites::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Sites::Id))
                    .col(string_len_uniq(Sites::Code, 32))
                    .col(string_len(Sites::Name, 100))
                    .col(string_len(Sites::CountryCode, 2))
                    .col(string_len(Sites::Timezone, 64))
                    .col(timestamp_with_time_zone(Sites::CreatedAt))
                    .col(timestamp_with_time_zone(Sites::UpdatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(SiteMembers::Table)
                    .if_not_exists()
                    .col(big_integer(SiteMembers::UserId))
                    .col(big_integer(SiteMembers::SiteId))
                    .primary_key(
                        Index::create()
                            .col(SiteMembers::UserId)
                            .col(SiteMembers::SiteId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_site_members_user")
                            .from(SiteMembers::Table, SiteMembers::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_site_members_site")
                            .from(SiteMembers::Table, SiteMembers::SiteId)
                            .to(Sites::Table, Sites::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_site_members_site")
                    .table(SiteMembers::Table)
                    .col(SiteMembers::SiteId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Equipment::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Equipment::Id))
                    .col(big_integer(Equipment::SiteId))
                    .col(string_len(Equipment::Code, 32))
                    .col(string_len(Equipment::Name, 100))
                    .col(string_len(Equipment::Line, 64))
                    .col(string_len(Equipment::Kind, 64))
                    .col(string_len(Equipment::Status, 16))
                    .col(timestamp_with_time_zone(Equipment::CreatedAt))
                    .col(timestamp_with_time_zone(Equipment::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_equipment_site")
                            .from(Equipment::Table, Equipment::SiteId)
                            .to(Sites::Table, Sites::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols, unique) in [
            (
                "ux_equipment_site_code",
                vec![Equipment::SiteId, Equipment::Code],
                true,
            ),
            (
                "ix_equipment_site_line",
                vec![Equipment::SiteId, Equipment::Line, Equipment::Id],
                false,
            ),
            (
                "ix_equipment_site_status",
                vec![Equipment::SiteId, Equipment::Status, Equipment::Id],
                false,
            ),
        ] {
            let mut idx = Index::create();
            idx.name(name).table(Equipment::Table);
            for c in cols {
                idx.col(c);
            }
            if unique {
                idx.unique();
            }
            manager.create_index(idx.to_owned()).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(AuditEvents::Table)
                    .if_not_exists()
                    .col(big_pk_auto(AuditEvents::Id))
                    .col(timestamp_with_time_zone(AuditEvents::OccurredAt))
                    .col(big_integer_null(AuditEvents::ActorId))
                    .col(string_len(AuditEvents::Action, 16))
                    .col(string_len(AuditEvents::Entity, 32))
                    .col(string_len(AuditEvents::EntityId, 64))
                    .col(big_integer_null(AuditEvents::SiteId))
                    .col(string_len_null(AuditEvents::RequestId, 128))
                    .col(json_null(AuditEvents::Before))
                    .col(json_null(AuditEvents::After))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_audit_events_entity")
                    .table(AuditEvents::Table)
                    .col(AuditEvents::Entity)
                    .col(AuditEvents::EntityId)
                    .col(AuditEvents::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_audit_events_site")
                    .table(AuditEvents::Table)
                    .col(AuditEvents::SiteId)
                    .col(AuditEvents::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AuditEvents::Table.into_iden(),
            Equipment::Table.into_iden(),
            SiteMembers::Table.into_iden(),
            Sites::Table.into_iden(),
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
    Code,
    Name,
    CountryCode,
    Timezone,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SiteMembers {
    Table,
    UserId,
    SiteId,
}

#[derive(DeriveIden, Clone, Copy)]
enum Equipment {
    Table,
    Id,
    SiteId,
    Code,
    Name,
    Line,
    Kind,
    Status,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Id,
    OccurredAt,
    ActorId,
    Action,
    Entity,
    EntityId,
    SiteId,
    RequestId,
    Before,
    After,
}
