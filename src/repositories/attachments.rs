//! Queries for attachments: a row is written `pending` before its object,
//! turned `ready` once the object is complete, and `deleting` before the
//! object is removed, so a row never points at a missing object unseen and
//! no object is left without a row.

use super::page_by_id;
use chrono::{DateTime, FixedOffset, Utc};
use sea_orm::Order;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

use super::stored;
use crate::domain::attachment::{Attachment, AttachmentStatus};
use crate::domain::page::PageRequest;
use crate::entities::attachments::{self, Column, Entity as Attachments};

fn fixed(t: DateTime<Utc>) -> DateTime<FixedOffset> {
    t.into()
}

impl TryFrom<attachments::Model> for Attachment {
    type Error = DbErr;
    fn try_from(m: attachments::Model) -> Result<Self, DbErr> {
        Ok(Attachment {
            id: m.id,
            schedule_id: m.schedule_id,
            site_id: m.site_id,
            file_name: m.file_name,
            content_type: m.content_type,
            size_bytes: m.size_bytes,
            sha256: m.sha256,
            uploaded_by: m.uploaded_by,
            created_at: m.created_at.with_timezone(&Utc),
            status: stored("attachments.status", &m.status)?,
            object_key: m.object_key,
        })
    }
}

/// What the service decided for a new upload.
pub struct PendingRow {
    pub schedule_id: i64,
    pub site_id: i64,
    pub file_name: String,
    pub content_type: String,
    pub object_key: String,
    pub uploaded_by: Option<i64>,
}

/// The row of an upload about to be written to storage.
pub async fn insert_pending(
    conn: &impl ConnectionTrait,
    r: PendingRow,
    now: DateTime<Utc>,
) -> Result<Attachment, DbErr> {
    attachments::ActiveModel {
        schedule_id: Set(r.schedule_id),
        site_id: Set(r.site_id),
        status: Set(AttachmentStatus::Pending.as_str().to_owned()),
        file_name: Set(r.file_name),
        content_type: Set(r.content_type),
        size_bytes: Set(0),
        sha256: Set(String::new()),
        object_key: Set(r.object_key),
        uploaded_by: Set(r.uploaded_by),
        created_at: Set(fixed(now)),
        updated_at: Set(fixed(now)),
        ..Default::default()
    }
    .insert(conn)
    .await?
    .try_into()
}

/// A pending upload whose object is complete becomes visible; false when
/// the row is no longer pending (the housekeeper took it as abandoned).
pub async fn mark_ready(
    conn: &impl ConnectionTrait,
    id: i64,
    size: i64,
    sha256: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let res = Attachments::update_many()
        .col_expr(
            Column::Status,
            Expr::value(AttachmentStatus::Ready.as_str()),
        )
        .col_expr(Column::SizeBytes, Expr::value(size))
        .col_expr(Column::Sha256, Expr::value(sha256))
        .col_expr(Column::UpdatedAt, Expr::value(fixed(now)))
        .filter(Column::Id.eq(id))
        .filter(Column::Status.eq(AttachmentStatus::Pending.as_str()))
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Hides a ready attachment before its object is removed; false when it
/// was not ready (deleted meanwhile).
pub async fn mark_deleting(
    conn: &impl ConnectionTrait,
    id: i64,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let res = Attachments::update_many()
        .col_expr(
            Column::Status,
            Expr::value(AttachmentStatus::Deleting.as_str()),
        )
        .col_expr(Column::UpdatedAt, Expr::value(fixed(now)))
        .filter(Column::Id.eq(id))
        .filter(Column::Status.eq(AttachmentStatus::Ready.as_str()))
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}

pub async fn find(conn: &impl ConnectionTrait, id: i64) -> Result<Option<Attachment>, DbErr> {
    Attachments::find_by_id(id)
        .one(conn)
        .await?
        .map(Attachment::try_from)
        .transpose()
}

/// A ready attachment of the schedule with these bytes: the answer to an
/// upload retried after its response was lost.
pub async fn find_ready_by_hash(
    conn: &impl ConnectionTrait,
    schedule_id: i64,
    sha256: &str,
) -> Result<Option<Attachment>, DbErr> {
    Attachments::find()
        .filter(Column::ScheduleId.eq(schedule_id))
        .filter(Column::Sha256.eq(sha256))
        .filter(Column::Status.eq(AttachmentStatus::Ready.as_str()))
        .order_by_asc(Column::Id)
        .one(conn)
        .await?
        .map(Attachment::try_from)
        .transpose()
}

/// The schedule's ready attachments, oldest first.
pub async fn list(
    conn: &impl ConnectionTrait,
    schedule_id: i64,
    page: &PageRequest<i64>,
) -> Result<Vec<Attachment>, DbErr> {
    let q = Attachments::find()
        .filter(Column::ScheduleId.eq(schedule_id))
        .filter(Column::Status.eq(AttachmentStatus::Ready.as_str()));
    page_by_id(q, Column::Id, Order::Asc, page)
        .all(conn)
        .await?
        .into_iter()
        .map(Attachment::try_from)
        .collect()
}

/// Rows in `status` not touched since `before`: uploads cut off, deletions
/// interrupted. The housekeeper finishes their cleanup.
pub async fn stale(
    conn: &impl ConnectionTrait,
    status: AttachmentStatus,
    before: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<Attachment>, DbErr> {
    Attachments::find()
        .filter(Column::Status.eq(status.as_str()))
        .filter(Column::UpdatedAt.lt(fixed(before)))
        .order_by_asc(Column::UpdatedAt)
        .limit(limit)
        .all(conn)
        .await?
        .into_iter()
        .map(Attachment::try_from)
        .collect()
}

/// Removes a row that is not ready (its object is gone or never was).
pub async fn delete_hidden(conn: &impl ConnectionTrait, id: i64) -> Result<u64, DbErr> {
    Ok(Attachments::delete_many()
        .filter(Column::Id.eq(id))
        .filter(Column::Status.ne(AttachmentStatus::Ready.as_str()))
        .exec(conn)
        .await?
        .rows_affected)
}
