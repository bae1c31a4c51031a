//! Recording changes in the caller's transaction, and reading them back.

use chrono::Utc;
use sea_orm::ConnectionTrait;
use serde::Serialize;
use serde_json::Value;

use crate::domain::audit::{AuditEvent, AuditQuery, changed_fields};
use crate::domain::auth::CurrentUser;
use crate::domain::page::{self, Page};
use crate::error::{AppError, AppResult};
use crate::repositories::audit::{self, NewAuditEvent};
use crate::state::AppState;

/// What happened to an entity, with its state before and after.
pub enum Change<'a, T: Serialize> {
    Created(&'a T),
    Updated(&'a T, &'a T),
    Deleted(&'a T),
}

fn to_json<T: Serialize>(v: &T) -> AppResult<Value> {
    serde_json::to_value(v).map_err(|e| AppError::Internal(e.into()))
}

/// Writes one audit event with `conn` (the caller's transaction).
pub async fn record<T: Serialize>(
    conn: &impl ConnectionTrait,
    actor: &CurrentUser,
    entity: &'static str,
    entity_id: i64,
    site_id: Option<i64>,
    change: Change<'_, T>,
) -> AppResult<()> {
    let (action, before, after) = match change {
        Change::Created(a) => ("create", None, Some(to_json(a)?)),
        Change::Deleted(b) => ("delete", Some(to_json(b)?), None),
        Change::Updated(b, a) => {
            let (b, a) = changed_fields(&to_json(b)?, &to_json(a)?);
            ("update", Some(b), Some(a))
        }
    };
    audit::insert(
        conn,
        NewAuditEvent {
            actor_id: actor.actor_id(),
            action,
            entity,
            entity_id: entity_id.to_string(),
            site_id,
            request_id: actor.request_id.clone(),
            before,
            after,
        },
        Utc::now(),
    )
    .await?;
    Ok(())
}

/// Admins see every event; managers the events of their sites.
pub async fn list(
    state: &AppState,
    actor: &CurrentUser,
    q: AuditQuery,
) -> AppResult<Page<AuditEvent>> {
    let limit = page::limit(q.limit)?;
    let before = page::decode_cursor(q.cursor.as_deref())?;
    let rows = audit::list(
        &state.db,
        q.entity.as_deref(),
        q.entity_id.as_deref(),
        actor.site_scope(),
        before,
        limit,
    )
    .await?;
    Ok(page::page_from(rows, limit, |e| e.id))
}
