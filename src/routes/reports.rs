//! `/reports`: asking for a spreadsheet, following its job, downloading it.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::domain::page::Page;
use crate::domain::report::{NewReport, Report, ReportQuery};
use crate::error::AppResult;
use crate::routes::extract::{AnyRole, Authenticated, ManagerOrAdmin, Path, Query};
use crate::routes::files::download;
use crate::routes::json::Json;
use crate::routes::problems::{Conflict, Forbidden, NotFound};
use crate::services;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_report, list_reports))
        .routes(routes!(get_report))
        .routes(routes!(get_report_content))
}

/// Ask for a report of a site's schedules or results over a period. A
/// background job writes the file; follow `Location` until `status` is
/// `succeeded`, then download `/reports/{id}/content`.
#[utoipa::path(post, path = "/reports", tag = "reports", operation_id = "create_report",
    request_body = NewReport,
    responses(
        (status = 202, description = "Queued", body = Report,
            headers(("Location" = String, description = "URL of the report"))),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound)))]
async fn create_report(
    State(state): State<AppState>,
    auth: Authenticated<ManagerOrAdmin>,
    Json(body): Json<NewReport>,
) -> AppResult<impl IntoResponse> {
    let report = services::reports::create(&state, &auth.user, body).await?;
    let location = format!("/api/v1/reports/{}", report.id);
    Ok((
        StatusCode::ACCEPTED,
        [(header::LOCATION, location)],
        Json(report),
    ))
}

/// Reports of the caller's sites, newest first.
#[utoipa::path(get, path = "/reports", tag = "reports", operation_id = "list_reports",
    params(ReportQuery),
    responses(
        (status = 200, description = "A page of reports", body = Page<Report>)))]
async fn list_reports(
    State(state): State<AppState>,
    auth: Authenticated<AnyRole>,
    Query(q): Query<ReportQuery>,
) -> AppResult<Json<Page<Report>>> {
    services::reports::list(&state, &auth.user, q)
        .await
        .map(Json)
}

/// A report: status, progress (rows written of rows expected), file name,
/// size, timestamps, and the error of a failed attempt.
#[utoipa::path(get, path = "/reports/{id}", tag = "reports", operation_id = "get_report",
    params(("id" = i64, Path, description = "Report id")),
    responses(
        (status = 200, description = "The report", body = Report)))]
async fn get_report(
    State(state): State<AppState>,
    auth: Authenticated<AnyRole>,
    Path(id): Path<i64>,
) -> AppResult<Json<Report>> {
    services::reports::get(&state, &auth.user, id)
        .await
        .map(Json)
}

/// Download the file of a succeeded report (streamed), or a 307 to a
/// short-lived presigned URL when the server is configured so on S3.
#[utoipa::path(get, path = "/reports/{id}/content", tag = "reports", operation_id = "get_report_content",
    params(("id" = i64, Path, description = "Report id")),
    responses(
        (status = 200, description = "The file, with its name in `Content-Disposition`",
            content(
                (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                (String = "text/csv")),
            headers(("Content-Disposition" = String, description = "attachment; filename=…; filename*=UTF-8''…"))),
        (status = 307, description = "Download from the presigned URL in `Location`",
            headers(("Location" = String, description = "Presigned URL, valid for minutes"))),
        (status = 409, response = Conflict)))]
async fn get_report_content(
    State(state): State<AppState>,
    auth: Authenticated<AnyRole>,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    services::reports::content(&state, &auth.user, id)
        .await
        .map(download)
}
