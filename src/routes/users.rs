//! `/users`: account management, and `/users/me` for the caller.

use crate::routes::json::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::domain::page::Page;
use crate::domain::user::{ChangePassword, MePatch, NewUser, User, UserPatch, UserQuery};
use crate::error::AppResult;
use crate::routes::extract::{AnyRole, Authenticated, ManagerOrAdmin};
use crate::routes::extract::{Path, Query};
use crate::routes::problems::{Conflict, Forbidden, NotFound};
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
    request_body = NewUser,
    responses(
        (status = 201, description = "Created", body = User,
            headers(("Location" = String, description = "URL of the new user"))),
        (status = 403, response = Forbidden), (status = 409, response = Conflict)))]
async fn create_user(
    State(state): State<AppState>,
    auth: Authenticated<ManagerOrAdmin>,
    Json(body): Json<NewUser>,
) -> AppResult<impl IntoResponse> {
    let user = services::users::create(&state, &auth.user, body).await?;
    let location = format!("/api/v1/users/{}", user.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(user),
    ))
}

/// List users, oldest first, a page at a time: every user for admins, the
/// members of their own sites for managers.
#[utoipa::path(get, path = "/users", tag = "users", operation_id = "list_users",
    params(UserQuery),
    responses(
        (status = 200, description = "A page of users", body = Page<User>),
        (status = 403, response = Forbidden)))]
async fn list_users(
    State(state): State<AppState>,
    auth: Authenticated<ManagerOrAdmin>,
    Query(query): Query<UserQuery>,
) -> AppResult<Json<Page<User>>> {
    services::users::list(&state, &auth.user, query)
        .await
        .map(Json)
}

/// Read a user.
#[utoipa::path(get, path = "/users/{id}", tag = "users", operation_id = "get_user",
    params(("id" = i64, Path, description = "User id")),
    responses(
        (status = 200, description = "The user", body = User),
        (status = 403, response = Forbidden), (status = 404, response = NotFound)))]
async fn get_user(
    State(state): State<AppState>,
    auth: Authenticated<ManagerOrAdmin>,
    Path(id): Path<i64>,
) -> AppResult<Json<User>> {
    services::users::get(&state, &auth.user, id).await.map(Json)
}

/// Change a user's e-mail, name, role or active flag.
#[utoipa::path(patch, path = "/users/{id}", tag = "users", operation_id = "update_user",
    params(("id" = i64, Path, description = "User id")),
    request_body = inline(UserPatch),
    responses(
        (status = 200, description = "The changed user", body = User),
        (status = 403, response = Forbidden), (status = 409, response = Conflict)))]
async fn update_user(
    State(state): State<AppState>,
    auth: Authenticated<ManagerOrAdmin>,
    Path(id): Path<i64>,
    Json(body): Json<UserPatch>,
) -> AppResult<Json<User>> {
    services::users::update(&state, &auth.user, id, body)
        .await
        .map(Json)
}

/// Deactivate a user: they can no longer log in and their sessions end.
/// The account and its history stay.
#[utoipa::path(delete, path = "/users/{id}", tag = "users", operation_id = "delete_user",
    params(("id" = i64, Path, description = "User id")),
    responses(
        (status = 204, description = "Deactivated"),
        (status = 403, response = Forbidden), (status = 409, response = Conflict)))]
async fn delete_user(
    State(state): State<AppState>,
    auth: Authenticated<ManagerOrAdmin>,
    Path(id): Path<i64>,
) -> AppResult<StatusCode> {
    services::users::deactivate(&state, &auth.user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's own account.
#[utoipa::path(get, path = "/users/me", tag = "users", operation_id = "get_me",
    responses(
        (status = 200, description = "The caller", body = User)))]
async fn get_me(
    State(state): State<AppState>,
    auth: Authenticated<AnyRole>,
) -> AppResult<Json<User>> {
    services::users::me(&state, &auth.user).await.map(Json)
}

/// Change the caller's own name.
#[utoipa::path(patch, path = "/users/me", tag = "users", operation_id = "update_me",
    request_body = inline(MePatch),
    responses(
        (status = 200, description = "The changed caller", body = User)))]
async fn update_me(
    State(state): State<AppState>,
    auth: Authenticated<AnyRole>,
    Json(body): Json<MePatch>,
) -> AppResult<Json<User>> {
    services::users::update_me(&state, &auth.user, body)
        .await
        .map(Json)
}

/// Change the caller's password; every other session of theirs ends.
#[utoipa::path(put, path = "/users/me/password", tag = "users", operation_id = "change_password",
    request_body = ChangePassword,
    responses(
        (status = 204, description = "Changed")))]
async fn change_password(
    State(state): State<AppState>,
    auth: Authenticated<AnyRole>,
    Json(body): Json<ChangePassword>,
) -> AppResult<StatusCode> {
    services::users::change_password(&state, &auth.user, body).await?;
    Ok(StatusCode::NO_CONTENT)
}
