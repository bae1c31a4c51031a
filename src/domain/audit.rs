//! Audit events: who changed what, when, in which request.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::page::{IdCursor, Limit};

/// One recorded change.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditEvent {
    pub id: i64,
    #[serde(serialize_with = "crate::domain::time::rfc3339")]
    pub occurred_at: DateTime<Utc>,
    /// The user who made the change (absent for the command line).
    pub actor_id: Option<i64>,
    pub action: Action,
    /// The kind of resource.
    pub entity: EntityKind,
    pub entity_id: String,
    /// The site the resource belongs to, when it belongs to one.
    pub site_id: Option<i64>,
    /// The `X-Request-Id` of the change.
    pub request_id: Option<String>,
    /// Changed fields before the change (absent on create).
    pub before: Option<Value>,
    /// Changed fields after the change (absent on delete).
    pub after: Option<Value>,
}

/// `GET /audit-events` query.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only events of this kind of resource.
    pub entity: Option<EntityKind>,
    /// Only events of this resource id (with `entity`).
    pub entity_id: Option<String>,
    #[param(inline)]
    pub limit: Option<Limit>,
    /// `next_cursor` of the previous page (newest first).
    #[param(inline)]
    pub cursor: Option<IdCursor>,
}

impl super::field::Checked for AuditQuery {}

/// What happened to a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Create,
    Update,
    Delete,
}

crate::str_enum!(Action { Create => "create", Update => "update", Delete => "delete" });

/// The kinds of resources whose changes are recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    User,
    Site,
    SiteMember,
    Equipment,
    Plan,
    Schedule,
    Result,
    Report,
    Attachment,
}

crate::str_enum!(EntityKind {
    User => "user",
    Site => "site",
    SiteMember => "site_member",
    Equipment => "equipment",
    Plan => "plan",
    Schedule => "schedule",
    Result => "result",
    Report => "report",
    Attachment => "attachment",
});

/// A resource whose changes are recorded: its kind, id and site come from it.
pub trait Audited: Serialize {
    const KIND: EntityKind;
    fn audit_id(&self) -> i64;
    /// The site the resource belongs to (managers of it see the event).
    fn audit_site(&self) -> Option<i64>;
}

/// A user's membership of a site.
#[derive(Debug, Clone, Serialize)]
pub struct Membership {
    pub site_id: i64,
    pub user_id: i64,
}

impl Audited for Membership {
    const KIND: EntityKind = EntityKind::SiteMember;
    fn audit_id(&self) -> i64 {
        self.user_id
    }
    fn audit_site(&self) -> Option<i64> {
        Some(self.site_id)
    }
}

/// A password change, recorded without any password.
#[derive(Debug, Clone, Serialize)]
pub struct PasswordChange {
    #[serde(skip)]
    pub user_id: i64,
    pub password: &'static str,
}

impl Audited for PasswordChange {
    const KIND: EntityKind = EntityKind::User;
    fn audit_id(&self) -> i64 {
        self.user_id
    }
    fn audit_site(&self) -> Option<i64> {
        None
    }
}

macro_rules! audited {
    ($t:ty, $kind:ident, |$x:ident| $id:expr, $site:expr) => {
        impl Audited for $t {
            const KIND: EntityKind = EntityKind::$kind;
            fn audit_id(&self) -> i64 {
                let $x = self;
                $id
            }
            fn audit_site(&self) -> Option<i64> {
                let $x = self;
                $site
            }
        }
    };
}

impl Audited for super::user::User {
    const KIND: EntityKind = EntityKind::User;
    fn audit_id(&self) -> i64 {
        self.id
    }
    fn audit_site(&self) -> Option<i64> {
        None
    }
}

audited!(super::site::Site, Site, |s| s.id, Some(s.id));
audited!(
    super::equipment::Equipment,
    Equipment,
    |e| e.id,
    Some(e.site_id)
);
audited!(super::plan::Plan, Plan, |p| p.id, Some(p.site_id));
audited!(
    super::schedule::Schedule,
    Schedule,
    |s| s.id,
    Some(s.site_id)
);

audited!(super::report::Report, Report, |r| r.id, Some(r.site_id));
audited!(
    super::attachment::Attachment,
    Attachment,
    |a| a.id,
    Some(a.site_id)
);

/// Keeps only the fields that differ between `before` and `after` (objects).
pub fn changed_fields(before: &Value, after: &Value) -> (Value, Value) {
    match (before, after) {
        (Value::Object(b), Value::Object(a)) => {
            let mut bo = serde_json::Map::new();
            let mut ao = serde_json::Map::new();
            for (k, av) in a {
                let bv = b.get(k).unwrap_or(&Value::Null);
                if bv != av && k != "updated_at" {
                    bo.insert(k.clone(), bv.clone());
                    ao.insert(k.clone(), av.clone());
                }
            }
            (Value::Object(bo), Value::Object(ao))
        }
        _ => (before.clone(), after.clone()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn keeps_only_changed_fields() {
        let (b, a) = super::changed_fields(
            &json!({"name": "Press 1", "line": "A", "updated_at": "x"}),
            &json!({"name": "Press 2", "line": "A", "updated_at": "y"}),
        );
        assert_eq!(b, json!({"name": "Press 1"}));
        assert_eq!(a, json!({"name": "Press 2"}));
    }
}
