//! Queries for equipment.

use super::page_by_id;
use chrono::{DateTime, FixedOffset, Utc};
use sea_orm::Order;
use sea_orm::sea_query::{Query, ReturningClause};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, Iterable, QueryFilter,
    QueryTrait,
};

use super::{Cols, Conn, read_rows, set_some, statement, stored};
use crate::domain::equipment::{Equipment, EquipmentName, EquipmentPatch, Label, NewEquipment};
use crate::domain::page::PageRequest;
use crate::domain::site::Code;
use crate::entities::equipment::{self, Column, Entity as EquipmentEntity};

/// Equipment from the columns of `EquipmentEntity::find()` (or `returning()`),
/// in their order: the one decoder of an equipment row.
pub(super) fn read(c: &mut Cols<'_>) -> Result<Equipment, DbErr> {
    Ok(Equipment {
        id: c.next("id")?,
        site_id: c.next("site_id")?,
        code: Code::trusted(c.next("code")?),
        name: EquipmentName::trusted(c.next("name")?),
        line: Label::trusted(c.next("line")?),
        kind: Label::trusted(c.next("kind")?),
        status: stored("equipment.status", c.next::<&str>("status")?)?,
        created_at: c
            .next::<DateTime<FixedOffset>>("created_at")?
            .with_timezone(&Utc),
        updated_at: c
            .next::<DateTime<FixedOffset>>("updated_at")?
            .with_timezone(&Utc),
    })
}

/// Every column, in `read`'s order, for a write to return.
fn returning() -> ReturningClause {
    Query::returning().columns(Column::iter())
}

/// Filters of an equipment list.
#[derive(Debug, Default)]
pub struct EquipmentFilter<'a> {
    pub site_id: Option<i64>,
    pub line: Option<&'a str>,
    pub status: Option<crate::domain::equipment::EquipmentStatus>,
    pub scope: Option<&'a [i64]>,
}

pub async fn insert(
    conn: &impl Conn,
    f: NewEquipment,
    now: DateTime<Utc>,
) -> Result<Equipment, DbErr> {
    let am = equipment::ActiveModel {
        site_id: Set(f.site_id),
        code: Set(f.code.into_string()),
        name: Set(f.name.into_string()),
        line: Set(f.line.into_string()),
        kind: Set(f.kind.into_string()),
        status: Set(f.status.as_str().to_owned()),
        created_at: Set(now.into()),
        updated_at: Set(now.into()),
        ..Default::default()
    };
    let mut q = EquipmentEntity::insert(am).into_query();
    q.returning(returning());
    let stmt = conn.get_database_backend().build(&q);
    read_rows(conn, stmt, read)
        .await?
        .pop()
        .ok_or(DbErr::RecordNotInserted)
}

pub async fn find(conn: &impl Conn, id: i64) -> Result<Option<Equipment>, DbErr> {
    let stmt = statement(conn, &EquipmentEntity::find_by_id(id));
    Ok(read_rows(conn, stmt, read).await?.pop())
}

/// One page ordered by id.
pub async fn list(
    conn: &impl Conn,
    f: &EquipmentFilter<'_>,
    page: &PageRequest<i64>,
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
    let stmt = statement(conn, &page_by_id(q, Column::Id, Order::Asc, page));
    read_rows(conn, stmt, read).await
}

/// Changes the given fields; `None` when there is no such equipment.
pub async fn update(
    conn: &impl Conn,
    id: i64,
    f: EquipmentPatch,
    now: DateTime<Utc>,
) -> Result<Option<Equipment>, DbErr> {
    let mut am = equipment::ActiveModel {
        updated_at: Set(now.into()),
        ..Default::default()
    };
    set_some!(am,
        code => f.code.map(Code::into_string),
        name => f.name.map(EquipmentName::into_string),
        line => f.line.map(Label::into_string),
        kind => f.kind.map(Label::into_string),
        status => f.status.map(|s| s.as_str().to_owned()),
    );
    let mut q = EquipmentEntity::update_many()
        .set(am)
        .filter(Column::Id.eq(id))
        .into_query();
    q.returning(returning());
    let stmt = conn.get_database_backend().build(&q);
    Ok(read_rows(conn, stmt, read).await?.pop())
}

pub async fn delete(conn: &impl ConnectionTrait, id: i64) -> Result<u64, DbErr> {
    Ok(EquipmentEntity::delete_by_id(id)
        .exec(conn)
        .await?
        .rows_affected)
}

/// The equipment with these ids, in one query.
pub async fn find_many(conn: &impl Conn, ids: &[i64]) -> Result<Vec<Equipment>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let query = EquipmentEntity::find().filter(Column::Id.is_in(ids.iter().copied()));
    read_rows(conn, statement(conn, &query), read).await
}
