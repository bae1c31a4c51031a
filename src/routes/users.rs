//! `/users`: account management, and `/users/me` for the caller.

use crate::routes::json::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::domain::page::Page;
use crate::domain::user::{ChangePassword, CreateUser, UpdateMe, UpdateUser, User, UserQuery};
use crate::error::{AppJson, AppPath, AppQuery, AppResult};
use crate::openapi::responses::{
    BadRequest, Conflict, Forbidden, NotFound, PayloadTooLarge, Unauthorized, Unprocessable,
    UnsupportedMediaType,
};
use crate::routes::extract::{AnyRole, Authenticated, ManagerOrAdmin};
use crate::services;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_user, list_users))
        .routes(routes!(get_me, update_me))
        .routes(routes!(change_password))
        .routes(routes!(get_user, update_user, delete_user))
}

/// Create a user. Managers may create inspectors and viewers; admins anyone.
#[utoipa::path(post, path = "/users", tag = "users", operation_id = "create_user",
    security(("bearer" = []), ("oauth2" = [])),
    request_body = CreateUser,
    responses(
        (status = 201, description = "Created", body = User,
            headers(("Location" = String, description = "URL of the new user"))),
        (status = 400, response = BadRequest), (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden), (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge), (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable)))]
async fn create_user(
    State(state): State<AppState>,
    auth: Authenticated<ManagerOrAdmin>,
    AppJson(body): AppJson<CreateUser>,
) -> AppResult<impl IntoResponse> {
    let user = services::users::create(&state, &auth.user, body).await?;
    let location = format!("/api/v1/users/{}", user.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(user),
    ))
}

/// List users, oldest first, a page at a time.
#[utoipa::path(get, path = "/users", tag = "users", operation_id = "list_users",
    security(("bearer" = []), ("oauth2" = [])),
    params(UserQuery),
    responses(
        (status = 200, description = "A page of users", body = Page<User>),
        (status = 400, response = BadRequest), (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden), (status = 422, response = Unprocessable)))]
async fn list_users(
    State(state): State<AppState>,
    _auth: Authenticated<ManagerOrAdmin>,
    AppQuery(query): AppQuery<UserQuery>,
) -> AppResult<Json<Page<User>>> {
    services::users::list(&state, query).await.map(Json)
}

/// Read a user.
#[utoipa::path(get, path = "/users/{id}", tag = "users", operation_id = "get_user",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = i64, Path, description = "User id")),
    responses(
        (status = 200, description = "The user", body = User),
        (status = 400, response = BadRequest), (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden), (status = 404, response = NotFound)))]
async fn get_user(
    State(state): State<AppState>,
    _auth: Authenticated<ManagerOrAdmin>,
    AppPath(id): AppPath<i64>,
) -> AppResult<Json<User>> {
    services::users::get(&state, id).await.map(Json)
}

/// Change a user's e-mail, name, role or active flag.
#[utoipa::path(patch, path = "/users/{id}", tag = "users", operation_id = "update_user",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = i64, Path, description = "User id")),
    request_body = UpdateUser,
    responses(
        (status = 200, description = "The changed user", body = User),
        (status = 400, response = BadRequest), (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden), (status = 404, response = NotFound),
        (status = 409, response = Conflict), (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType), (status = 422, response = Unprocessable)))]
async fn update_user(
    State(state): State<AppState>,
    auth: Authenticated<ManagerOrAdmin>,
    AppPath(id): AppPath<i64>,
    AppJson(body): AppJson<UpdateUser>,
) -> AppResult<Json<User>> {
    services::users::update(&state, &auth.user, id, body)
        .await
        .map(Json)
}

/// Deactivate a user: they can no longer log in and their sessions end.
/// The account and its history stay.
#[utoipa::path(delete, path = "/users/{id}", tag = "users", operation_id = "delete_user",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = i64, Path, description = "User id")),
    responses(
        (status = 204, description = "Deactivated"),
        (status = 400, response = BadRequest), (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden), (status = 404, response = NotFound),
        (status = 409, response = Conflict)))]
async fn delete_user(
    State(state): State<AppState>,
    auth: Authenticated<ManagerOrAdmin>,
    AppPath(id): AppPath<i64>,
) -> AppResult<StatusCode> {
    services::users::deactivate(&state, &auth.user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's own account.
#[utoipa::path(get, path = "/users/me", tag = "users", operation_id = "get_me",
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "The caller", body = User),
        (status = 401, response = Unauthorized)))]
async fn get_me(
    State(state): State<AppState>,
    auth: Authenticated<AnyRole>,
) -> AppResult<Json<User>> {
    services::users::get(&state, auth.user.id).await.map(Json)
}

/// Change the caller's own name.
#[utoipa::path(patch, path = "/users/me", tag = "users", operation_id = "update_me",
    security(("bearer" = []), ("oauth2" = [])),
    request_body = UpdateMe,
    responses(
        (status = 200, description = "The changed caller", body = User),
        (status = 400, response = BadRequest), (status = 401, response = Unauthorized),
        (status = 413, response = PayloadTooLarge), (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable)))]
async fn update_me(
    State(state): State<AppState>,
    auth: Authenticated<AnyRole>,
    AppJson(body): AppJson<UpdateMe>,
) -> AppResult<Json<User>> {
    services::users::update_me(&state, &auth.user, body)
        .await
        .map(Json)
}

/// Change the caller's password; every other session of theirs ends.
#[utoipa::path(put, path = "/users/me/password", tag = "users", operation_id = "change_password",
    security(("bearer" = []), ("oauth2" = [])),
    request_body = ChangePassword,
    responses(
        (status = 204, description = "Changed"),
        (status = 400, response = BadRequest), (status = 401, response = Unauthorized),
        (status = 413, response = PayloadTooLarge), (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable)))]
async fn change_password(
    State(state): State<AppState>,
    auth: Authenticated<AnyRole>,
    AppJson(body): AppJson<ChangePassword>,
) -> AppResult<StatusCode> {
    services::users::change_password(&state, &auth.user, body).await?;
    Ok(StatusCode::NO_CONTENT)
}
