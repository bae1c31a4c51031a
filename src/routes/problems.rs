//! The problem responses operations declare (all `application/problem+json`).
//! The common ones (400, 401, 404, 413, 415, 422, 500, 503) are added to
//! every operation that can answer them by `openapi::complete`; handlers
//! name only the statuses particular to them (403, 409, 412, 428, 429).
#![expect(
    dead_code,
    reason = "types exist only to describe responses in OpenAPI"
)]
use utoipa::ToResponse;

use crate::error::Problem;

/// Malformed JSON, query or path parameter.
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct BadRequest(Problem);

/// Missing, invalid or expired access token, or wrong credentials.
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct Unauthorized(Problem);

/// The caller's role may not do this.
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct Forbidden(Problem);

/// No such resource (or not visible to the caller).
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct NotFound(Problem);

/// The change conflicts with the current state (e.g. a duplicate e-mail).
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct Conflict(Problem);

/// The request body is larger than the server accepts.
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct PayloadTooLarge(Problem);

/// The request body is not JSON (or not the form the endpoint expects).
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct UnsupportedMediaType(Problem);

/// Fields failed validation; `errors` lists each with a code.
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct Unprocessable(Problem);

/// The resource changed since you read it (`If-Match` is stale).
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct PreconditionFailed(Problem);

/// Send `If-Match` with the `ETag` you read.
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct PreconditionRequired(Problem);

/// Too many attempts; retry after `Retry-After` seconds.
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct TooManyRequests(Problem);

/// The database is unavailable; retry later (`Retry-After`).
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct Unavailable(Problem);

/// An internal error; quote the request id when reporting it.
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct Internal(Problem);
