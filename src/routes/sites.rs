//! `/sites`: factories and their members.

use crate::routes::json::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::domain::page::Page;
use crate::domain::site::{CreateSite, Site, SiteQuery, UpdateSite};
use crate::domain::user::User;
use crate::error::{AppJson, AppPath, AppQuery, AppResult};
use crate::openapi::responses::{
    BadRequest, Conflict, Forbidden, NotFound, PayloadTooLarge, Unauthorized, Unprocessable,
    UnsupportedMediaType,
};
use crate::routes::extract::{AdminOnly, AnyRole, Authenticated, ManagerOrAdmin};
use crate::services;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_site, list_sites))
        .routes(routes!(get_site, update_site, delete_site))
        .routes(routes!(list_site_members))
        .routes(routes!(add_site_member, remove_site_member))
}

/// Create a site (admins).
#[utoipa::path(post, path = "/sites", tag = "sites", operation_id = "create_site",
    security(("bearer" = []), ("oauth2" = [])),
    request_body = CreateSite,
    responses(
        (status = 201, description = "Created", body = Site,
            headers(("Location" = String, description = "URL of the new site"))),
        (status = 400, response = BadRequest), (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden), (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge), (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable)))]
async fn create_site(
    State(state): State<AppState>,
    auth: Authenticated<AdminOnly>,
    AppJson(body): AppJson<CreateSite>,
) -> AppResult<impl IntoResponse> {
    let site = services::sites::create(&state, &auth.user, body).await?;
    let location = format!("/api/v1/sites/{}", site.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(site),
    ))
}

/// The caller's sites (admins: all), a page at a time.
#[utoipa::path(get, path = "/sites", tag = "sites", operation_id = "list_sites",
    security(("bearer" = []), ("oauth2" = [])),
    params(SiteQuery),
    responses(
        (status = 200, description = "A page of sites", body = Page<Site>),
        (status = 400, response = BadRequest), (status = 401, response = Unauthorized),
        (status = 422, response = Unprocessable)))]
async fn list_sites(
    State(state): State<AppState>,
    auth: Authenticated<AnyRole>,
    AppQuery(q): AppQuery<SiteQuery>,
) -> AppResult<Json<Page<Site>>> {
    services::sites::list(&state, &auth.user, q).await.map(Json)
}

/// Read a site.
#[utoipa::path(get, path = "/sites/{id}", tag = "sites", operation_id = "get_site",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = i64, Path, description = "Site id")),
    responses(
        (status = 200, description = "The site", body = Site),
        (status = 400, response = BadRequest), (status = 401, response = Unauthorized),
        (status = 404, response = NotFound)))]
async fn get_site(
    State(state): State<AppState>,
    auth: Authenticated<AnyRole>,
    AppPath(id): AppPath<i64>,
) -> AppResult<Json<Site>> {
    services::sites::get(&state, &auth.user, id).await.map(Json)
}

/// Change a site (admins).
#[utoipa::path(patch, path = "/sites/{id}", tag = "sites", operation_id = "update_site",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = i64, Path, description = "Site id")),
    request_body = UpdateSite,
    responses(
        (status = 200, description = "The changed site", body = Site),
        (status = 400, response = BadRequest), (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden), (status = 404, response = NotFound),
        (status = 409, response = Conflict), (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType), (status = 422, response = Unprocessable)))]
async fn update_site(
    State(state): State<AppState>,
    auth: Authenticated<AdminOnly>,
    AppPath(id): AppPath<i64>,
    AppJson(body): AppJson<UpdateSite>,
) -> AppResult<Json<Site>> {
    services::sites::update(&state, &auth.user, id, body)
        .await
        .map(Json)
}

/// Delete a site without equipment (admins).
#[utoipa::path(delete, path = "/sites/{id}", tag = "sites", operation_id = "delete_site",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = i64, Path, description = "Site id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, response = BadRequest), (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden), (status = 404, response = NotFound),
        (status = 409, response = Conflict)))]
async fn delete_site(
    State(state): State<AppState>,
    auth: Authenticated<AdminOnly>,
    AppPath(id): AppPath<i64>,
) -> AppResult<StatusCode> {
    services::sites::delete(&state, &auth.user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The users who belong to a site.
#[utoipa::path(get, path = "/sites/{id}/members", tag = "sites", operation_id = "list_site_members",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = i64, Path, description = "Site id")),
    responses(
        (status = 200, description = "The members", body = [User]),
        (status = 400, response = BadRequest), (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden), (status = 404, response = NotFound)))]
async fn list_site_members(
    State(state): State<AppState>,
    auth: Authenticated<ManagerOrAdmin>,
    AppPath(id): AppPath<i64>,
) -> AppResult<Json<Vec<User>>> {
    services::sites::members(&state, &auth.user, id)
        .await
        .map(Json)
}

/// Make a user a member of the site (idempotent).
#[utoipa::path(put, path = "/sites/{id}/members/{user_id}", tag = "sites", operation_id = "add_site_member",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = i64, Path, description = "Site id"), ("user_id" = i64, Path, description = "User id")),
    responses(
        (status = 204, description = "The user is a member"),
        (status = 400, response = BadRequest), (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden), (status = 404, response = NotFound)))]
async fn add_site_member(
    State(state): State<AppState>,
    auth: Authenticated<ManagerOrAdmin>,
    AppPath((id, user_id)): AppPath<(i64, i64)>,
) -> AppResult<StatusCode> {
    services::sites::set_member(&state, &auth.user, id, user_id, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Remove a user from the site (idempotent).
#[utoipa::path(delete, path = "/sites/{id}/members/{user_id}", tag = "sites", operation_id = "remove_site_member",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = i64, Path, description = "Site id"), ("user_id" = i64, Path, description = "User id")),
    responses(
        (status = 204, description = "The user is not a member"),
        (status = 400, response = BadRequest), (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden), (status = 404, response = NotFound)))]
async fn remove_site_member(
    State(state): State<AppState>,
    auth: Authenticated<ManagerOrAdmin>,
    AppPath((id, user_id)): AppPath<(i64, i64)>,
) -> AppResult<StatusCode> {
    services::sites::set_member(&state, &auth.user, id, user_id, false).await?;
    Ok(StatusCode::NO_CONTENT)
}
