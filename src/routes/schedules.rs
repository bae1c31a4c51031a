//! `/schedules`: the inspections that are due, and starting them.

use axum::Json;
use axum::extract::State;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::domain::page::Page;
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
