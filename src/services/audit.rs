//! Recording changes in the caller's transaction, and reading them back.

use chrono::Utc;
use sea_orm::ConnectionTrait;
use serde::Serialize;
use serde_json::Value;

use crate::domain::audit::{Action, AuditEvent, AuditQuery, Audited, changed_fields};
use crate::domain::auth::CurrentUser;
use crate::domain::page::{Page, PageRequest};
use crate::error::{AppError, AppResult};
use crate::repositories::Writes;
use crate::repositories::audit::{self, NewAuditEvent};
use crate::state::AppState;

/// What happened to a resource, with its state before and after.
pub enum Change<'a, T: Audited> {
    Created(&'a T),
    Updated(&'a T, &'a T),
    Deleted(&'a T),
}

fn to_json<T: Serialize>(v: &T) -> AppResult<Value> {
    serde_json::to_value(v).map_err(|e| AppError::Internal(e.into()))
}

/// Writes one audit event with `conn` (the caller's transaction); the
/// resource's kind, id and site come from the resource.
pub async fn record<T: Audited>(
    conn: &impl ConnectionTrait,
    actor: &CurrentUser,
    change: Change<'_, T>,
) -> AppResult<()> {
    record_all(conn, vec![event(actor, change)?]).await
}

/// Writes the events of several changes of one transaction in one
/// statement (`event` makes each).
pub async fn record_all(conn: &impl ConnectionTrait, events: Vec<NewAuditEvent>) -> AppResult<()> {
    Ok(Writes::run_now(conn, |w| record_with(w, events)).await?)
}

/// Adds the events of a transaction's changes to its other `writes`.
pub fn record_with(writes: &mut Writes, events: Vec<NewAuditEvent>) {
    audit::insert(writes, events, Utc::now());
}

/// The audit event of one change by `actor`.
pub fn event<T: Audited>(actor: &CurrentUser, change: Change<'_, T>) -> AppResult<NewAuditEvent> {
    let (action, subject, before, after) = match change {
        Change::Created(a) => (Action::Create, a, None, Some(to_json(a)?)),
        Change::Deleted(b) => (Action::Delete, b, Some(to_json(b)?), None),
        Change::Updated(b, a) => {
            let (b, a_) = changed_fields(&to_json(b)?, &to_json(a)?);
            (Action::Update, a, Some(b), Some(a_))
        }
    };
    Ok(NewAuditEvent {
        actor_id: actor.actor_id(),
        action,
        entity: T::KIND,
        entity_id: subject.audit_id().to_string(),
        site_id: subject.audit_site(),
        request_id: actor.request_id.clone(),
        before,
        after,
    })
}

/// Admins see every event; managers the events of their sites.
pub async fn list(
    state: &AppState,
    actor: &CurrentUser,
    q: AuditQuery,
) -> AppResult<Page<AuditEvent>> {
    let page = PageRequest::new(q.limit, q.cursor.map(|c| c.0));
    let rows = audit::list(
        &state.db,
        q.entity,
        q.entity_id.as_deref(),
        actor.site_scope(),
        &page,
    )
    .await?;
    Ok(page.page(rows, |e| e.id))
}
