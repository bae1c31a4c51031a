//! `/equipment`: machines of the caller's sites.

use crate::routes::json::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::domain::equipment::{Equipment, EquipmentPatch, EquipmentQuery, NewEquipment};
use crate::domain::page::Page;
use crate::error::AppResult;
use crate::routes::extract::{AnyRole, Authenticated, ManagerOrAdmin};
use crate::routes::extract::{Path, Query};
use crate::routes::problems::{Conflict, Forbidden};
use crate::services;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_equipment, list_equipment))
        .routes(routes!(get_equipment, update_equipment, delete_equipment))
}

/// Register equipment at one of the caller's sites.
#[utoipa::path(post, path = "/equipment", tag = "equipment", operation_id = "create_equipment",
    request_body = NewEquipment,
    responses(
        (status = 201, description = "Created", body = Equipment,
            headers(("Location" = String, description = "URL of the new equipment"))),
        (status = 403, response = Forbidden), (status = 409, response = Conflict)))]
async fn create_equipment(
    State(state): State<AppState>,
    auth: Authenticated<ManagerOrAdmin>,
    Json(body): Json<NewEquipment>,
) -> AppResult<impl IntoResponse> {
    let item = services::equipment::create(&state, &auth.user, body).await?;
    let location = format!("/api/v1/equipment/{}", item.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(item),
    ))
}

/// Equipment of the caller's sites, filtered, a page at a time.
#[utoipa::path(get, path = "/equipment", tag = "equipment", operation_id = "list_equipment",
    params(EquipmentQuery),
    responses(
        (status = 200, description = "A page of equipment", body = Page<Equipment>)))]
async fn list_equipment(
    State(state): State<AppState>,
    auth: Authenticated<AnyRole>,
    Query(q): Query<EquipmentQuery>,
) -> AppResult<Json<Page<Equipment>>> {
    services::equipment::list(&state, &auth.user, q)
        .await
        .map(Json)
}

/// Read one piece of equipment.
#[utoipa::path(get, path = "/equipment/{id}", tag = "equipment", operation_id = "get_equipment",
    params(("id" = i64, Path, description = "Equipment id")),
    responses(
        (status = 200, description = "The equipment", body = Equipment)))]
async fn get_equipment(
    State(state): State<AppState>,
    auth: Authenticated<AnyRole>,
    Path(id): Path<i64>,
) -> AppResult<Json<Equipment>> {
    services::equipment::get(&state, &auth.user, id)
        .await
        .map(Json)
}

/// Change equipment (code, name, line, kind, status).
#[utoipa::path(patch, path = "/equipment/{id}", tag = "equipment", operation_id = "update_equipment",
    params(("id" = i64, Path, description = "Equipment id")),
    request_body = inline(EquipmentPatch),
    responses(
        (status = 200, description = "The changed equipment", body = Equipment),
        (status = 403, response = Forbidden), (status = 409, response = Conflict)))]
async fn update_equipment(
    State(state): State<AppState>,
    auth: Authenticated<ManagerOrAdmin>,
    Path(id): Path<i64>,
    Json(body): Json<EquipmentPatch>,
) -> AppResult<Json<Equipment>> {
    services::equipment::update(&state, &auth.user, id, body)
        .await
        .map(Json)
}

/// Delete equipment no plan uses (retire it otherwise).
#[utoipa::path(delete, path = "/equipment/{id}", tag = "equipment", operation_id = "delete_equipment",
    params(("id" = i64, Path, description = "Equipment id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, response = Forbidden), (status = 409, response = Conflict)))]
async fn delete_equipment(
    State(state): State<AppState>,
    auth: Authenticated<ManagerOrAdmin>,
    Path(id): Path<i64>,
) -> AppResult<StatusCode> {
    services::equipment::delete(&state, &auth.user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
