//! Queries for equipment.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

use crate::domain::equipment::{Equipment, EquipmentFields, EquipmentStatus};
use crate::entities::equipment::{self, Column, Entity as EquipmentEntity};

impl From<equipment::Model> for Equipment {
    fn from(m: equipment::Model) -> Self {
        Equipment {
            id: m.id,
            site_id: m.site_id,
            code: m.code,
            name: m.name,
            line: m.line,
            kind: m.kind,
            status: EquipmentStatus::parse(&m.status),
            created_at: m.created_at.with_timezone(&Utc),
            updated_at: m.updated_at.with_timezone(&Utc),
        }
    }
}

/// Filters of an equipment list.
#[derive(Debug, Default)]
pub struct EquipmentFilter<'a> {
    pub site_id: Option<i64>,
    pub line: Option<&'a str>,
    pub status: Option<EquipmentStatus>,
    pub scope: Option<&'a [i64]>,
}

/// Inserts equipment; every field of `f` must be set.
pub async fn insert(
    conn: &impl ConnectionTrait,
    site_id: i64,
    f: EquipmentFields,
    now: DateTime<Utc>,
) -> Result<Equipment, DbErr> {
    Ok(equipment::ActiveModel {
        site_id: Set(site_id),
        code: Set(f.code.unwrap_or_default()),
        name: Set(f.name.unwrap_or_default()),
        line: Set(f.line.unwrap_or_default()),
        kind: Set(f.kind.unwrap_or_default()),
        status: Set(f
            .status
            .unwrap_or(EquipmentStatus::Active)
            .as_str()
            .to_owned()),
        created_at: Set(now.into()),
        updated_at: Set(now.into()),
        ..Default::default()
    }
    .insert(conn)
    .await?
    .into())
}

pub async fn find(conn: &impl ConnectionTrait, id: i64) -> Result<Option<Equipment>, DbErr> {
    Ok(EquipmentEntity::find_by_id(id)
        .one(conn)
        .await?
        .map(Equipment::from))
}

/// One page ordered by id (`limit + 1` rows).
pub async fn list(
    conn: &impl ConnectionTrait,
    f: &EquipmentFilter<'_>,
    after_id: Option<i64>,
    limit: u64,
) -> Result<Vec<Equipment>, DbErr> {
    let mut q = EquipmentEntity::find();
    if let Some(ids) = f.scope {
        q = q.filter(Column::SiteId.is_in(ids.iter().copied()));
    }
    if let Some(site) = f.site_id {
        q = q.filter(Column::SiteId.eq(site));
    }
    if let Some(line) = f.line {
        q = q.filter(Column::Line.eq(line));
    }
    if let Some(status) = f.status {
        q = q.filter(Column::Status.eq(status.as_str()));
    }
    if let Some(after) = after_id {
        q = q.filter(Column::Id.gt(after));
    }
    Ok(q.order_by_asc(Column::Id)
        .limit(limit + 1)
        .all(conn)
        .await?
        .into_iter()
        .map(Equipment::from)
        .collect())
}

pub async fn update(
    conn: &impl ConnectionTrait,
    id: i64,
    f: EquipmentFields,
    now: DateTime<Utc>,
) -> Result<Option<Equipment>, DbErr> {
    let Some(model) = EquipmentEntity::find_by_id(id).one(conn).await? else {
        return Ok(None);
    };
    let mut am: equipment::ActiveModel = model.into();
    if let Some(v) = f.code {
        am.code = Set(v);
    }
    if let Some(v) = f.name {
        am.name = Set(v);
    }
    if let Some(v) = f.line {
        am.line = Set(v);
    }
    if let Some(v) = f.kind {
        am.kind = Set(v);
    }
    if let Some(v) = f.status {
        am.status = Set(v.as_str().to_owned());
    }
    am.updated_at = Set(now.into());
    Ok(Some(am.update(conn).await?.into()))
}

pub async fn delete(conn: &impl ConnectionTrait, id: i64) -> Result<u64, DbErr> {
    Ok(EquipmentEntity::delete_by_id(id)
        .exec(conn)
        .await?
        .rows_affected)
}

/// The equipment with these ids, in one query.
pub async fn find_many(conn: &impl ConnectionTrait, ids: &[i64]) -> Result<Vec<Equipment>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(EquipmentEntity::find()
        .filter(Column::Id.is_in(ids.iter().copied()))
        .all(conn)
        .await?
        .into_iter()
        .map(Equipment::from)
        .collect())
}
