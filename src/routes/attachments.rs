//! Attachments: photos and documents added to a schedule as evidence
//! (`/schedules/{id}/attachments`), read and deleted by id (`/attachments/{id}`).

use axum::extract::State;
use axum::extract::multipart::{Multipart, MultipartError, MultipartRejection};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::domain::attachment::{Attachment, AttachmentQuery, AttachmentUpload};
use crate::domain::field::FieldError;
use crate::domain::page::Page;
use crate::error::{AppError, AppResult};
use crate::routes::extract::{AnyRole, Authenticated, FloorStaff, Path, Query};
use crate::routes::files::download;
use crate::routes::json::Json;
use crate::routes::problems::Forbidden;
use crate::services;
use crate::services::attachments::{Incoming, Uploaded};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(upload_attachment, list_attachments))
        .routes(routes!(get_attachment, delete_attachment))
        .routes(routes!(get_attachment_content))
}

/// Attach a photo or document to a schedule: `multipart/form-data` with
/// the file in a part named `file`. The type is judged from the file's
/// bytes (415 when not accepted, whatever the name or declared type); the
/// size limit is `GEMBA_UPLOAD_LIMIT_BYTES` (413, answered before the body
/// is read when `Content-Length` says so). Sending the same bytes to the
/// same schedule again (a retry after a lost answer) returns the first
/// attachment with 200.
#[utoipa::path(post, path = "/schedules/{id}/attachments", tag = "attachments", operation_id = "upload_attachment",
    params(("id" = i64, Path, description = "Schedule id")),
    request_body(content = AttachmentUpload, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Stored", body = Attachment,
            headers(("Location" = String, description = "URL of the attachment"))),
        (status = 200, description = "The same file was already attached: that attachment", body = Attachment),
        (status = 403, response = Forbidden)))]
async fn upload_attachment(
    State(state): State<AppState>,
    auth: Authenticated<FloorStaff>,
    Path(id): Path<i64>,
    form: Result<Multipart, MultipartRejection>,
) -> AppResult<Response> {
    let mut form = form.map_err(|_| {
        AppError::UnsupportedMediaType(
            "send the file as multipart/form-data, in a part named `file`".to_owned(),
        )
    })?;
    let field = loop {
        match form.next_field().await.map_err(form_error)? {
            Some(f) if f.name() == Some("file") => break f,
            Some(_) => continue,
            None => {
                return Err(AppError::Validation(vec![FieldError::new(
                    "file",
                    "required",
                    "a part named `file` holding the file is required",
                )]));
            }
        }
    };
    let file_name = field.file_name().map(str::to_owned);
    let declared_type = field.content_type().map(str::to_owned);
    let body = std::pin::pin!(field.map(|chunk| chunk.map_err(form_error)));
    let incoming = Incoming {
        file_name,
        declared_type,
        body,
    };
    Ok(
        match services::attachments::upload(&state, &auth.user, id, incoming).await? {
            Uploaded::Created(a) => {
                let location = format!("/api/v1/attachments/{}", a.id);
                (StatusCode::CREATED, [(header::LOCATION, location)], Json(a)).into_response()
            }
            Uploaded::Existing(a) => (StatusCode::OK, Json(a)).into_response(),
        },
    )
}

/// A broken form is a 400; a form over the size limit a 413.
fn form_error(e: MultipartError) -> AppError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::PayloadTooLarge
    } else {
        AppError::BadRequest(format!(
            "the multipart form cannot be read: {}",
            e.body_text()
        ))
    }
}

/// The schedule's attachments, oldest first.
#[utoipa::path(get, path = "/schedules/{id}/attachments", tag = "attachments", operation_id = "list_attachments",
    params(("id" = i64, Path, description = "Schedule id"), AttachmentQuery),
    responses(
        (status = 200, description = "A page of attachments", body = Page<Attachment>)))]
async fn list_attachments(
    State(state): State<AppState>,
    auth: Authenticated<AnyRole>,
    Path(id): Path<i64>,
    Query(q): Query<AttachmentQuery>,
) -> AppResult<Json<Page<Attachment>>> {
    services::attachments::list(&state, &auth.user, id, q)
        .await
        .map(Json)
}

/// An attachment: name, type, size and SHA-256.
#[utoipa::path(get, path = "/attachments/{id}", tag = "attachments", operation_id = "get_attachment",
    params(("id" = i64, Path, description = "Attachment id")),
    responses(
        (status = 200, description = "The attachment", body = Attachment)))]
async fn get_attachment(
    State(state): State<AppState>,
    auth: Authenticated<AnyRole>,
    Path(id): Path<i64>,
) -> AppResult<Json<Attachment>> {
    services::attachments::get(&state, &auth.user, id)
        .await
        .map(Json)
}

/// The attachment's bytes (streamed, named by `Content-Disposition`), or a
/// 307 to a short-lived presigned URL when the server is configured so on S3.
#[utoipa::path(get, path = "/attachments/{id}/content", tag = "attachments", operation_id = "get_attachment_content",
    params(("id" = i64, Path, description = "Attachment id")),
    responses(
        (status = 200, description = "The file, with its name in `Content-Disposition`",
            content(
                (Vec<u8> = "image/jpeg"), (Vec<u8> = "image/png"), (Vec<u8> = "image/webp"),
                (Vec<u8> = "image/heif"), (Vec<u8> = "application/pdf")),
            headers(("Content-Disposition" = String, description = "attachment; filename=…; filename*=UTF-8''…"))),
        (status = 307, description = "Download from the presigned URL in `Location`",
            headers(("Location" = String, description = "Presigned URL, valid for minutes")))))]
async fn get_attachment_content(
    State(state): State<AppState>,
    auth: Authenticated<AnyRole>,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    services::attachments::content(&state, &auth.user, id)
        .await
        .map(download)
}

/// Delete an attachment and its file. Inspectors delete only what they
/// uploaded; managers and admins any of their sites'.
#[utoipa::path(delete, path = "/attachments/{id}", tag = "attachments", operation_id = "delete_attachment",
    params(("id" = i64, Path, description = "Attachment id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, response = Forbidden)))]
async fn delete_attachment(
    State(state): State<AppState>,
    auth: Authenticated<FloorStaff>,
    Path(id): Path<i64>,
) -> AppResult<StatusCode> {
    services::attachments::delete(&state, &auth.user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
