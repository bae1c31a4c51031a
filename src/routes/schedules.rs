//! `/schedules`: the inspections that are due, and starting them.

use crate::routes::json::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::domain::page::Page;
use crate::domain::result::{IdempotencyKey, InspectionResult, SubmitResult};
use crate::domain::schedule::{Schedule, SchedulePatch, ScheduleQuery};
use crate::error::AppResult;
use crate::routes::extract::{AnyRole, Authenticated, FloorStaff, ManagerOrAdmin};
use crate::routes::extract::{Path, Query, optional_header};
use crate::routes::problems::{Conflict, Forbidden};
use crate::services;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_schedules))
        .routes(routes!(get_schedule, update_schedule))
        .routes(routes!(start_schedule))
        .routes(routes!(submit_result, get_result))
}

/// Record the result: values are checked against the schedule's plan
/// version and judged; the schedule becomes `completed`. Send an
/// `Idempotency-Key` so a retried submit returns the first answer.
#[utoipa::path(put, path = "/schedules/{id}/result", tag = "schedules", operation_id = "submit_result",
    params(("id" = i64, Path, description = "Schedule id"),
        ("Idempotency-Key" = Option<IdempotencyKey>, Header, description = "Unique per submission, reused on retries")),
    request_body = SubmitResult,
    responses(
        (status = 201, description = "Recorded (or the replayed first answer)", body = InspectionResult),
        (status = 403, response = Forbidden), (status = 409, response = Conflict)))]
async fn submit_result(
    State(state): State<AppState>,
    auth: Authenticated<FloorStaff>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    Json(body): Json<SubmitResult>,
) -> AppResult<Response> {
    let key = optional_header::<IdempotencyKey>(&headers, "Idempotency-Key")?;
    let done = services::results::submit(&state, &auth.user, id, key.as_ref(), body).await?;
    let mut res = (StatusCode::CREATED, Json(done.result)).into_response();
    if done.replayed {
        res.headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(res)
}

/// The recorded result of a schedule.
#[utoipa::path(get, path = "/schedules/{id}/result", tag = "schedules", operation_id = "get_result",
    params(("id" = i64, Path, description = "Schedule id")),
    responses(
        (status = 200, description = "The result", body = InspectionResult)))]
async fn get_result(
    State(state): State<AppState>,
    auth: Authenticated<AnyRole>,
    Path(id): Path<i64>,
) -> AppResult<Json<InspectionResult>> {
    services::results::get(&state, &auth.user, id)
        .await
        .map(Json)
}

/// Schedules of the caller's sites in due order (keyset pages);
/// `include=plan,equipment` embeds the related objects.
#[utoipa::path(get, path = "/schedules", tag = "schedules", operation_id = "list_schedules",
    params(ScheduleQuery),
    responses(
        (status = 200, description = "A page of schedules", body = Page<Schedule>)))]
async fn list_schedules(
    State(state): State<AppState>,
    auth: Authenticated<AnyRole>,
    Query(q): Query<ScheduleQuery>,
) -> AppResult<Json<Page<Schedule>>> {
    services::schedules::list(&state, &auth.user, q)
        .await
        .map(Json)
}

/// Read a schedule.
#[utoipa::path(get, path = "/schedules/{id}", tag = "schedules", operation_id = "get_schedule",
    params(("id" = i64, Path, description = "Schedule id")),
    responses(
        (status = 200, description = "The schedule", body = Schedule)))]
async fn get_schedule(
    State(state): State<AppState>,
    auth: Authenticated<AnyRole>,
    Path(id): Path<i64>,
) -> AppResult<Json<Schedule>> {
    services::schedules::get(&state, &auth.user, id)
        .await
        .map(Json)
}

/// Reassign or cancel a schedule.
#[utoipa::path(patch, path = "/schedules/{id}", tag = "schedules", operation_id = "update_schedule",
    params(("id" = i64, Path, description = "Schedule id")),
    request_body = inline(SchedulePatch),
    responses(
        (status = 200, description = "The changed schedule", body = Schedule),
        (status = 403, response = Forbidden), (status = 409, response = Conflict)))]
async fn update_schedule(
    State(state): State<AppState>,
    auth: Authenticated<ManagerOrAdmin>,
    Path(id): Path<i64>,
    Json(body): Json<SchedulePatch>,
) -> AppResult<Json<Schedule>> {
    services::schedules::update(&state, &auth.user, id, body)
        .await
        .map(Json)
}

/// Start the inspection (open → in_progress).
#[utoipa::path(post, path = "/schedules/{id}/start", tag = "schedules", operation_id = "start_schedule",
    params(("id" = i64, Path, description = "Schedule id")),
    responses(
        (status = 200, description = "Started", body = Schedule),
        (status = 403, response = Forbidden), (status = 409, response = Conflict)))]
async fn start_schedule(
    State(state): State<AppState>,
    auth: Authenticated<FloorStaff>,
    Path(id): Path<i64>,
) -> AppResult<Json<Schedule>> {
    services::schedules::start(&state, &auth.user, id)
        .await
        .map(Json)
}
