//! `/audit-events`: the change log, for admins and managers.

use crate::routes::json::Json;
use axum::extract::State;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::domain::audit::{AuditEvent, AuditQuery};
use crate::domain::page::Page;
use crate::error::AppResult;
use crate::routes::extract::Query;
use crate::routes::extract::{Authenticated, ManagerOrAdmin};
use crate::routes::problems::Forbidden;
use crate::services;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit_events))
}

/// Recorded changes, newest first. Admins see all; managers their sites'.
#[utoipa::path(get, path = "/audit-events", tag = "audit", operation_id = "list_audit_events",
    params(AuditQuery),
    responses(
        (status = 200, description = "A page of events", body = Page<AuditEvent>),
        (status = 403, response = Forbidden)))]
async fn list_audit_events(
    State(state): State<AppState>,
    auth: Authenticated<ManagerOrAdmin>,
    Query(q): Query<AuditQuery>,
) -> AppResult<Json<Page<AuditEvent>>> {
    services::audit::list(&state, &auth.user, q).await.map(Json)
}
