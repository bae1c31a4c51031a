//! Queries for the audit log.

use super::{Writes, page_by_id};
use chrono::{DateTime, Utc};
use sea_orm::Order;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    QueryTrait,
};
use serde_json::Value;

use super::stored;
use crate::domain::audit::{Action, AuditEvent, EntityKind};
use crate::domain::page::PageRequest;
use crate::entities::audit_events::{self, Column, Entity as AuditEvents};

/// A change to record.
#[derive(Debug)]
pub struct NewAuditEvent {
    pub actor_id: Option<i64>,
    pub action: Action,
    pub entity: EntityKind,
    pub entity_id: String,
    pub site_id: Option<i64>,
    pub request_id: Option<String>,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

impl TryFrom<audit_events::Model> for AuditEvent {
    type Error = DbErr;
    fn try_from(m: audit_events::Model) -> Result<Self, DbErr> {
        Ok(AuditEvent {
            id: m.id,
            occurred_at: m.occurred_at.with_timezone(&Utc),
            actor_id: m.actor_id,
            action: stored("audit_events.action", &m.action)?,
            entity: stored("audit_events.entity", &m.entity)?,
            entity_id: m.entity_id,
            site_id: m.site_id,
            request_id: m.request_id,
            before: m.before,
            after: m.after,
        })
    }
}

/// Writes `events` in one statement, reading nothing back, with the
/// `writes` of the transaction whose changes they record.
pub fn insert(writes: &mut Writes, events: Vec<NewAuditEvent>, now: DateTime<Utc>) {
    if events.is_empty() {
        return;
    }
    let rows = events.into_iter().map(|event| audit_events::ActiveModel {
        occurred_at: Set(now.into()),
        actor_id: Set(event.actor_id),
        action: Set(event.action.as_str().to_owned()),
        entity: Set(event.entity.as_str().to_owned()),
        entity_id: Set(event.entity_id),
        site_id: Set(event.site_id),
        request_id: Set(event.request_id),
        before: Set(event.before),
        after: Set(event.after),
        ..Default::default()
    });
    writes.push(&AuditEvents::insert_many(rows).into_query());
}

/// Newest first, before the page's cursor. `sites`: only events of these sites.
pub async fn list(
    conn: &impl ConnectionTrait,
    entity: Option<EntityKind>,
    entity_id: Option<&str>,
    sites: Option<&[i64]>,
    page: &PageRequest<i64>,
) -> Result<Vec<AuditEvent>, DbErr> {
    let mut cond = Condition::all();
    if let Some(e) = entity {
        cond = cond.add(Column::Entity.eq(e.as_str()));
    }
    if let Some(id) = entity_id {
        cond = cond.add(Column::EntityId.eq(id));
    }
    if let Some(sites) = sites {
        cond = cond.add(Column::SiteId.is_in(sites.iter().copied()));
    }
    page_by_id(
        AuditEvents::find().filter(cond),
        Column::Id,
        Order::Desc,
        page,
    )
    .all(conn)
    .await?
    .into_iter()
    .map(AuditEvent::try_from)
    .collect()
}
