//! Audit events: who changed what, when, in which request.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

/// One recorded change.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditEvent {
    pub id: i64,
    #[serde(serialize_with = "crate::domain::time::rfc3339")]
    pub occurred_at: DateTime<Utc>,
    /// The user who made the change (absent for the command line).
    pub actor_id: Option<i64>,
    /// `create`, `update` or `delete`.
    #[schema(example = "update")]
    pub action: String,
    /// The kind of resource, e.g. `equipment`.
    #[schema(example = "equipment")]
    pub entity: String,
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
    /// Only events of this kind of resource, e.g. `equipment`.
    pub entity: Option<String>,
    /// Only events of this resource id (with `entity`).
    pub entity_id: Option<String>,
    /// Page size, 1 to 100 (default 50).
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

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
