//! `/plans`: recurring inspection plans, versioned with ETags.

use crate::routes::json::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::domain::page::Page;
use crate::domain::plan::{NewPlan, Occurrence, OccurrenceQuery, Plan, PlanPatch, PlanQuery};
use crate::error::AppResult;
use crate::routes::extract::{AnyRole, Authenticated, ManagerOrAdmin};
use crate::routes::extract::{Path, Query};
use crate::routes::problems::{Forbidden, PreconditionFailed, PreconditionRequired};
use crate::services;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_plan, list_plans))
        .routes(routes!(get_plan, update_plan, delete_plan))
        .routes(routes!(list_plan_occurrences))
}

fn with_etag(status: StatusCode, plan: Plan, location: bool) -> Response {
    let mut res = (status, Json(&plan)).into_response();
    if let Ok(v) = HeaderValue::from_str(&plan.etag()) {
        res.headers_mut().insert(header::ETAG, v);
    }
    if location && let Ok(v) = HeaderValue::from_str(&format!("/api/v1/plans/{}", plan.id)) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}

/// Create a plan for equipment of the caller's sites; its schedules over
/// the horizon are generated at once.
#[utoipa::path(post, path = "/plans", tag = "plans", operation_id = "create_plan",
    request_body = NewPlan,
    responses(
        (status = 201, description = "Created", body = Plan, headers(
            ("Location" = String, description = "URL of the new plan"),
            ("ETag" = String, description = "Version, for If-Match"))),
        (status = 403, response = Forbidden)))]
async fn create_plan(
    State(state): State<AppState>,
    auth: Authenticated<ManagerOrAdmin>,
    Json(body): Json<NewPlan>,
) -> AppResult<Response> {
    let plan = services::plans::create(&state, &auth.user, body).await?;
    Ok(with_etag(StatusCode::CREATED, plan, true))
}

/// Plans of the caller's sites, a page at a time.
#[utoipa::path(get, path = "/plans", tag = "plans", operation_id = "list_plans",
    params(PlanQuery),
    responses(
        (status = 200, description = "A page of plans", body = Page<Plan>)))]
async fn list_plans(
    State(state): State<AppState>,
    auth: Authenticated<AnyRole>,
    Query(q): Query<PlanQuery>,
) -> AppResult<Json<Page<Plan>>> {
    services::plans::list(&state, &auth.user, q).await.map(Json)
}

/// Read a plan; the `ETag` header is what `PATCH` needs in `If-Match`.
#[utoipa::path(get, path = "/plans/{id}", tag = "plans", operation_id = "get_plan",
    params(("id" = i64, Path, description = "Plan id")),
    responses(
        (status = 200, description = "The plan", body = Plan,
            headers(("ETag" = String, description = "Version, for If-Match")))))]
async fn get_plan(
    State(state): State<AppState>,
    auth: Authenticated<AnyRole>,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let plan = services::plans::get(&state, &auth.user, id).await?;
    Ok(with_etag(StatusCode::OK, plan, false))
}

/// Change a plan. Needs `If-Match` with the plan's `ETag`; future open
/// schedules are regenerated from the new version.
#[utoipa::path(patch, path = "/plans/{id}", tag = "plans", operation_id = "update_plan",
    params(("id" = i64, Path, description = "Plan id"),
        ("If-Match" = String, Header, description = "The ETag you read")),
    request_body = inline(PlanPatch),
    responses(
        (status = 200, description = "The new version", body = Plan,
            headers(("ETag" = String, description = "Version, for If-Match"))),
        (status = 403, response = Forbidden), (status = 412, response = PreconditionFailed), (status = 428, response = PreconditionRequired)))]
async fn update_plan(
    State(state): State<AppState>,
    auth: Authenticated<ManagerOrAdmin>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    Json(body): Json<PlanPatch>,
) -> AppResult<Response> {
    let if_match = headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok());
    let plan = services::plans::update(&state, &auth.user, id, if_match, body).await?;
    Ok(with_etag(StatusCode::OK, plan, false))
}

/// Deactivate a plan: its future open schedules are cancelled, history stays.
#[utoipa::path(delete, path = "/plans/{id}", tag = "plans", operation_id = "delete_plan",
    params(("id" = i64, Path, description = "Plan id")),
    responses(
        (status = 204, description = "Deactivated"),
        (status = 403, response = Forbidden)))]
async fn delete_plan(
    State(state): State<AppState>,
    auth: Authenticated<ManagerOrAdmin>,
    Path(id): Path<i64>,
) -> AppResult<StatusCode> {
    services::plans::deactivate(&state, &auth.user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Preview when the plan falls due between two local dates (at most 400 days).
#[utoipa::path(get, path = "/plans/{id}/occurrences", tag = "plans", operation_id = "list_plan_occurrences",
    params(("id" = i64, Path, description = "Plan id"), OccurrenceQuery),
    responses(
        (status = 200, description = "Due dates and instants", body = [Occurrence])))]
async fn list_plan_occurrences(
    State(state): State<AppState>,
    auth: Authenticated<AnyRole>,
    Path(id): Path<i64>,
    Query(q): Query<OccurrenceQuery>,
) -> AppResult<Json<Vec<Occurrence>>> {
    services::plans::occurrences(&state, &auth.user, id, q)
        .await
        .map(Json)
}
