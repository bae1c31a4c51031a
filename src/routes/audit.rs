//! `/audit-events`: the change log, for admins and managers.

use crate::routes::json::Json;
use axum::extract::State;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::domain::audit::{AuditEvent, AuditQuery};
use crate::domain::page::Page;
use crate::error::{AppQuery, AppResult};
use crate::openapi::responses::{BadRequest, Forbidden, Unauthorized, Unprocessable};
use crate::routes::extract::{Authenticated, ManagerOrAdmin};
use crate::services;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit_events))
}

/// Recorded changes, newest first. Admins see all; managers their sites'.
#[utoipa::path(get, path = "/audit-events", tag = "audit", operation_id = "list_audit_events",
    security(("bearer" = []), ("oauth2" = [])),
    params(AuditQuery),
    responses(
        (status = 200, description = "A page of events", body = Page<AuditEvent>),
        (status = 400, response = BadRequest), (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden), (status = 422, response = Unprocessable)))]
async fn list_audit_events(
    State(state): State<AppState>,
    auth: Authenticated<ManagerOrAdmin>,
    AppQuery(q): AppQuery<AuditQuery>,
) -> AppResult<Json<Page<AuditEvent>>> {
    services::audit::list(&state, &auth.user, q).await.map(Json)
}
