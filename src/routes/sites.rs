//! `/sites`: factories and their members.

use crate::routes::json::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::domain::page::Page;
use crate::domain::site::{NewSite, Site, SitePatch, SiteQuery};
use crate::domain::user::User;
use crate::error::AppResult;
use crate::routes::extract::{AdminOnly, AnyRole, Authenticated, ManagerOrAdmin};
use crate::routes::extract::{Path, Query};
use crate::routes::problems::{Conflict, Forbidden};
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
    request_body = NewSite,
    responses(
        (status = 201, description = "Created", body = Site,
            headers(("Location" = String, description = "URL of the new site"))),
        (status = 403, response = Forbidden), (status = 409, response = Conflict)))]
async fn create_site(
    State(state): State<AppState>,
    auth: Authenticated<AdminOnly>,
    Json(body): Json<NewSite>,
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
    params(SiteQuery),
    responses(
        (status = 200, description = "A page of sites", body = Page<Site>)))]
async fn list_sites(
    State(state): State<AppState>,
    auth: Authenticated<AnyRole>,
    Query(q): Query<SiteQuery>,
) -> AppResult<Json<Page<Site>>> {
    services::sites::list(&state, &auth.user, q).await.map(Json)
}

/// Read a site.
#[utoipa::path(get, path = "/sites/{id}", tag = "sites", operation_id = "get_site",
    params(("id" = i64, Path, description = "Site id")),
    responses(
        (status = 200, description = "The site", body = Site)))]
async fn get_site(
    State(state): State<AppState>,
    auth: Authenticated<AnyRole>,
    Path(id): Path<i64>,
) -> AppResult<Json<Site>> {
    services::sites::get(&state, &auth.user, id).await.map(Json)
}

/// Change a site (admins).
#[utoipa::path(patch, path = "/sites/{id}", tag = "sites", operation_id = "update_site",
    params(("id" = i64, Path, description = "Site id")),
    request_body = inline(SitePatch),
    responses(
        (status = 200, description = "The changed site", body = Site),
        (status = 403, response = Forbidden), (status = 409, response = Conflict)))]
async fn update_site(
    State(state): State<AppState>,
    auth: Authenticated<AdminOnly>,
    Path(id): Path<i64>,
    Json(body): Json<SitePatch>,
) -> AppResult<Json<Site>> {
    services::sites::update(&state, &auth.user, id, body)
        .await
        .map(Json)
}

/// Delete a site without equipment (admins).
#[utoipa::path(delete, path = "/sites/{id}", tag = "sites", operation_id = "delete_site",
    params(("id" = i64, Path, description = "Site id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, response = Forbidden), (status = 409, response = Conflict)))]
async fn delete_site(
    State(state): State<AppState>,
    auth: Authenticated<AdminOnly>,
    Path(id): Path<i64>,
) -> AppResult<StatusCode> {
    services::sites::delete(&state, &auth.user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The users who belong to a site.
#[utoipa::path(get, path = "/sites/{id}/members", tag = "sites", operation_id = "list_site_members",
    params(("id" = i64, Path, description = "Site id")),
    responses(
        (status = 200, description = "The members", body = [User]),
        (status = 403, response = Forbidden)))]
async fn list_site_members(
    State(state): State<AppState>,
    auth: Authenticated<ManagerOrAdmin>,
    Path(id): Path<i64>,
) -> AppResult<Json<Vec<User>>> {
    services::sites::members(&state, &auth.user, id)
        .await
        .map(Json)
}

/// Make a user a member of the site (idempotent).
#[utoipa::path(put, path = "/sites/{id}/members/{user_id}", tag = "sites", operation_id = "add_site_member",
    params(("id" = i64, Path, description = "Site id"), ("user_id" = i64, Path, description = "User id")),
    responses(
        (status = 204, description = "The user is a member"),
        (status = 403, response = Forbidden)))]
async fn add_site_member(
    State(state): State<AppState>,
    auth: Authenticated<ManagerOrAdmin>,
    Path((id, user_id)): Path<(i64, i64)>,
) -> AppResult<StatusCode> {
    services::sites::set_member(&state, &auth.user, id, user_id, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Remove a user from the site (idempotent).
#[utoipa::path(delete, path = "/sites/{id}/members/{user_id}", tag = "sites", operation_id = "remove_site_member",
    params(("id" = i64, Path, description = "Site id"), ("user_id" = i64, Path, description = "User id")),
    responses(
        (status = 204, description = "The user is not a member"),
        (status = 403, response = Forbidden)))]
async fn remove_site_member(
    State(state): State<AppState>,
    auth: Authenticated<ManagerOrAdmin>,
    Path((id, user_id)): Path<(i64, i64)>,
) -> AppResult<StatusCode> {
    services::sites::set_member(&state, &auth.user, id, user_id, false).await?;
    Ok(StatusCode::NO_CONTENT)
}
