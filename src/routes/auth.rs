//! `/auth`: login (JSON and OAuth2 form), refresh, logout.

use crate::routes::json::Json;
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::domain::auth::{LoginRequest, RefreshRequest, TokenForm, TokenPair};
use crate::error::AppResult;
use crate::routes::extract::{ClientIp, Form};
use crate::routes::problems::{TooManyRequests, Unauthorized};
use crate::services;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(token))
        .routes(routes!(refresh))
        .routes(routes!(logout))
}

/// Log in with e-mail and password.
///
/// Unknown e-mail, wrong password and a deactivated account all answer the
/// same 401. Repeated failures answer 429 with `Retry-After`.
#[utoipa::path(post, path = "/auth/login", tag = "auth", operation_id = "login",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in", body = TokenPair),
        (status = 401, response = Unauthorized), (status = 429, response = TooManyRequests)))]
async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Json(body): Json<LoginRequest>,
) -> AppResult<Json<TokenPair>> {
    services::auth::login(&state, &body.email, &body.password, ip)
        .await
        .map(Json)
}

/// OAuth2 password grant (form-encoded), for the docs page's Authorize button.
#[utoipa::path(post, path = "/auth/token", tag = "auth", operation_id = "token",
    request_body(content = TokenForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Logged in", body = TokenPair),
        (status = 401, response = Unauthorized), (status = 429, response = TooManyRequests)))]
async fn token(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Form(form): Form<TokenForm>,
) -> AppResult<Json<TokenPair>> {
    services::auth::login(&state, &form.username, &form.password, ip)
        .await
        .map(Json)
}

/// Exchange a refresh token for a new token pair.
///
/// Refresh tokens are single-use. Presenting one that was already used
/// revokes every token of that login (its family): the holder must log in
/// again.
#[utoipa::path(post, path = "/auth/refresh", tag = "auth", operation_id = "refresh",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "New tokens", body = TokenPair),
        (status = 401, response = Unauthorized)))]
async fn refresh(
    State(state): State<AppState>,
    Json(body): Json<RefreshRequest>,
) -> AppResult<Json<TokenPair>> {
    services::auth::refresh(&state, &body.refresh_token)
        .await
        .map(Json)
}

/// End this login: its refresh tokens stop working.
#[utoipa::path(post, path = "/auth/logout", tag = "auth", operation_id = "logout",
    request_body = RefreshRequest,
    responses(
        (status = 204, description = "Logged out")))]
async fn logout(
    State(state): State<AppState>,
    Json(body): Json<RefreshRequest>,
) -> AppResult<StatusCode> {
    services::auth::logout(&state, &body.refresh_token).await?;
    Ok(StatusCode::NO_CONTENT)
}
