//! `/schedules`: the inspections that are due, and starting them.

use crate::routes::json::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::domain::page::Page;
use crate::domain::result::{InspectionResult, SubmitResult};
use crate::domain::schedule::{Schedule, ScheduleQuery, UpdateSchedule};
use crate::error::{AppJson, AppPath, AppQuery, AppResult};
use crate::openapi::responses::{
    BadRequest, Conflict, Forbidden, NotFound, PayloadTooLarge, Unauthorized, Unprocessable,
    UnsupportedMediaType,
};
use crate::routes::extract::{AnyRole, Authenticated, FloorStaff, ManagerOrAdmin};
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
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = i64, Path, description = "Schedule id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Unique per submission, reused on retries")),
    request_body = SubmitResult,
    responses(
        (status = 201, description = "Recorded (or the replayed first answer)", body = InspectionResult),
        (status = 400, response = BadRequest), (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden), (status = 404, response = NotFound),
        (status = 409, response = Conflict), (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType), (status = 422, response = Unprocessable)))]
async fn submit_result(
    State(state): State<AppState>,
    auth: Authenticated<FloorStaff>,
    AppPath(id): AppPath<i64>,
    headers: HeaderMap,
    AppJson(body): AppJson<SubmitResult>,
) -> AppResult<Response> {
    let key = headers
        .get("idempotency-key")
        .map(|v| v.to_str().unwrap_or("\u{0}"));
    let key = services::results::check_idempotency_key(key)?;
    let done = services::results::submit(&state, &auth.user, id, key, body).await?;
    let mut res = (StatusCode::CREATED, Json(done.result)).into_response();
    if done.replayed {
        res.headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(res)
}

/// The recorded result of a schedule.
#[utoipa::path(get, path = "/schedules/{id}/result", tag = "schedules", operation_id = "get_result",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = i64, Path, description = "Schedule id")),
    responses(
        (status = 200, description = "The result", body = InspectionResult),
        (status = 400, response = BadRequest), (status = 401, response = Unauthorized),
        (status = 404, response = NotFound)))]
async fn get_result(
    State(state): State<AppState>,
    auth: Authenticated<AnyRole>,
    AppPath(id): AppPath<i64>,
) -> AppResult<Json<InspectionResult>> {
    services::results::get(&state, &auth.user, id)
        .await
        .map(Json)
}

/// Schedules of the caller's sites in due order (keyset pages);
/// `include=plan,equipment` embeds the related objects.
#[utoipa::path(get, path = "/schedules", tag = "schedules", operation_id = "list_schedules",
    security(("bearer" = []), ("oauth2" = [])),
    params(ScheduleQuery),
    responses(
        (status = 200, description = "A page of schedules", body = Page<Schedule>),
        (status = 400, response = BadRequest), (status = 401, response = Unauthorized),
        (status = 422, response = Unprocessable)))]
async fn list_schedules(
    State(state): State<AppState>,
    auth: Authenticated<AnyRole>,
    AppQuery(q): AppQuery<ScheduleQuery>,
) -> AppResult<Json<Page<Schedule>>> {
    services::schedules::list(&state, &auth.user, q)
        .await
        .map(Json)
}

/// Read a schedule.
#[utoipa::path(get, path = "/schedules/{id}", tag = "schedules", operation_id = "get_schedule",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = i64, Path, description = "Schedule id")),
    responses(
        (status = 200, description = "The schedule", body = Schedule),
        (status = 400, response = BadRequest), (status = 401, response = Unauthorized),
        (status = 404, response = NotFound)))]
async fn get_schedule(
    State(state): State<AppState>,
    auth: Authenticated<AnyRole>,
    AppPath(id): AppPath<i64>,
) -> AppResult<Json<Schedule>> {
    services::schedules::get(&state, &auth.user, id)
        .await
        .map(Json)
}

/// Reassign or cancel a schedule.
#[utoipa::path(patch, path = "/schedules/{id}", tag = "schedules", operation_id = "update_schedule",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = i64, Path, description = "Schedule id")),
    request_body = UpdateSchedule,
    responses(
        (status = 200, description = "The changed schedule", body = Schedule),
        (status = 400, response = BadRequest), (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden), (status = 404, response = NotFound),
        (status = 409, response = Conflict), (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType), (status = 422, response = Unprocessable)))]
async fn update_schedule(
    State(state): State<AppState>,
    auth: Authenticated<ManagerOrAdmin>,
    AppPath(id): AppPath<i64>,
    AppJson(body): AppJson<UpdateSchedule>,
) -> AppResult<Json<Schedule>> {
    services::schedules::update(&state, &auth.user, id, body)
        .await
        .map(Json)
}

/// Start the inspection (open → in_progress).
#[utoipa::path(post, path = "/schedules/{id}/start", tag = "schedules", operation_id = "start_schedule",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = i64, Path, description = "Schedule id")),
    responses(
        (status = 200, description = "Started", body = Schedule),
        (status = 400, response = BadRequest), (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden), (status = 404, response = NotFound),
        (status = 409, response = Conflict)))]
async fn start_schedule(
    State(state): State<AppState>,
    auth: Authenticated<FloorStaff>,
    AppPath(id): AppPath<i64>,
) -> AppResult<Json<Schedule>> {
    services::schedules::start(&state, &auth.user, id)
        .await
        .map(Json)
}
