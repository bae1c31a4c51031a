//! The one error type of the service, [`AppError`], and its wire format:
//! `application/problem+json` (RFC 9457). How the database's errors map
//! (not found, unique and foreign-key violations, unavailability) lives
//! here once. The middleware that completes every error response is
//! `routes::finalize`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sea_orm::{DbErr, RuntimeErr, SqlErr};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use crate::domain::field::FieldError;
use crate::domain::field::{InputError, Invalid};

pub const PROBLEM_JSON: &str = "application/problem+json";

/// An RFC 9457 problem details body.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Problem {
    /// URI reference naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    /// Short summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// Explanation specific to this occurrence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The request path this problem occurred on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// The request id (also in the `X-Request-Id` header); quote it when reporting a problem.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Field-level validation errors (422).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
}

impl Problem {
    fn new(status: StatusCode, slug: &str, detail: Option<String>) -> Self {
        Self {
            kind: format!("urn:gemba:problem:{slug}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail,
            instance: None,
            request_id: None,
            errors: None,
        }
    }

    /// The problem for a bare status produced outside our handlers.
    pub fn for_status(status: StatusCode) -> Self {
        let (slug, detail) = match status {
            StatusCode::NOT_FOUND => ("not-found", "no resource at this path".to_owned()),
            StatusCode::METHOD_NOT_ALLOWED => (
                "method-not-allowed",
                "this method is not allowed on this resource; see the Allow header".to_owned(),
            ),
            StatusCode::PAYLOAD_TOO_LARGE => (
                "payload-too-large",
                "the request body is larger than the server accepts".to_owned(),
            ),
            StatusCode::REQUEST_TIMEOUT | StatusCode::SERVICE_UNAVAILABLE => (
                "unavailable",
                "the service could not answer in time; retry later".to_owned(),
            ),
            s if s.is_server_error() => (
                "internal",
                "an internal error occurred; quote the request id when reporting it".to_owned(),
            ),
            _ => (
                "http",
                status.canonical_reason().unwrap_or("error").to_owned(),
            ),
        };
        Self::new(status, slug, Some(detail))
    }
}

/// The full cause chain of a 5xx, carried to the boundary for the log only;
/// empty when it was logged already.
#[derive(Clone)]
pub struct ErrorReport(pub std::sync::Arc<String>);

impl ErrorReport {
    fn quiet() -> Self {
        Self(std::sync::Arc::default())
    }
}

/// On a response whose error was the database being unreachable.
#[derive(Clone, Copy)]
pub struct DbUnreachable;

/// Every error a handler can answer with.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("unauthorized: {0}")]
    Unauthorized(&'static str),
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("precondition failed")]
    PreconditionFailed,
    #[error("precondition required")]
    PreconditionRequired,
    #[error("payload too large")]
    PayloadTooLarge,
    #[error("unsupported media type: {0}")]
    UnsupportedMediaType(String),
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("service unavailable")]
    Unavailable(#[source] anyhow::Error),
    /// The database is known to be away (`db_gate`): answered at once,
    /// logged once by the gate rather than per request.
    #[error("database unreachable")]
    DatabaseAway,
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn validation(field: &str, code: &str, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, code, message)])
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            Self::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) | Self::DatabaseAway => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn problem(&self) -> Problem {
        let status = self.status();
        let (slug, detail): (&str, Option<String>) = match self {
            Self::BadRequest(d) => ("bad-request", Some(d.clone())),
            Self::Validation(_) => (
                "validation",
                Some("the request has invalid fields; see `errors`".to_owned()),
            ),
            Self::Unauthorized(d) => ("unauthorized", Some((*d).to_owned())),
            Self::Forbidden(d) => ("forbidden", Some((*d).to_owned())),
            Self::NotFound => ("not-found", Some("the resource does not exist".to_owned())),
            Self::Conflict(d) => ("conflict", Some(d.clone())),
            Self::PreconditionFailed => (
                "precondition-failed",
                Some("the resource changed since you read it; fetch it again".to_owned()),
            ),
            Self::PreconditionRequired => (
                "precondition-required",
                Some("send If-Match with the ETag you read".to_owned()),
            ),
            Self::PayloadTooLarge => (
                "payload-too-large",
                Some("the request body is larger than the server accepts".to_owned()),
            ),
            Self::UnsupportedMediaType(d) => ("unsupported-media-type", Some(d.clone())),
            Self::TooManyRequests { retry_after_secs } => (
                "too-many-requests",
                Some(format!("too many attempts; retry in {retry_after_secs} s")),
            ),
            Self::Unavailable(_) => (
                "unavailable",
                Some("a backing service is unavailable; retry later".to_owned()),
            ),
            Self::DatabaseAway => (
                "unavailable",
                Some("the database is unreachable; retry in a moment".to_owned()),
            ),
            Self::Internal(_) => (
                "internal",
                Some(
                    "an internal error occurred; quote the request id when reporting it".to_owned(),
                ),
            ),
        };
        let mut p = Problem::new(status, slug, detail);
        if let Self::Validation(errors) = self {
            p.errors = Some(errors.clone());
        }
        p
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let problem = self.problem();
        let mut res = problem_response(&problem);
        match &self {
            Self::Unauthorized(_) => {
                res.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"gemba\""),
                );
            }
            Self::TooManyRequests { retry_after_secs } => {
                res.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
            }
            Self::Unavailable(e) | Self::Internal(e) => {
                res.extensions_mut()
                    .insert(ErrorReport(std::sync::Arc::new(format!("{e:#}"))));
                if matches!(self, Self::Unavailable(_)) {
                    res.headers_mut()
                        .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
                }
                if e.downcast_ref::<DbErr>().is_some_and(db_unreachable) {
                    res.extensions_mut().insert(DbUnreachable);
                }
            }
            Self::DatabaseAway => {
                res.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
                res.extensions_mut().insert(ErrorReport::quiet());
            }
            _ => {}
        }
        res.extensions_mut().insert(problem);
        res
    }
}

/// The response carrying `problem` as `application/problem+json`.
pub fn problem_response(problem: &Problem) -> Response {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_vec(problem).unwrap_or_default();
    let mut res = (status, body).into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    res
}

/// True when the error means the database cannot serve now (503, not 500):
/// unreachable, or busy.
pub fn db_unavailable(err: &DbErr) -> bool {
    // SQLITE_BUSY / SQLITE_LOCKED after the busy timeout, PostgreSQL's too
    // many connections: the database is overloaded, which is retryable.
    db_unreachable(err) || matches!(db_code(err).as_deref(), Some("5" | "6" | "517" | "53300"))
}

/// True when the error means the connection to the database failed (not
/// that it is busy): the watcher (`db_gate`) should look at once.
pub fn db_unreachable(err: &DbErr) -> bool {
    use sea_orm::sqlx::Error as E;
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            matches!(
                e.as_ref(),
                E::Io(_) | E::PoolTimedOut | E::PoolClosed | E::WorkerCrashed | E::Tls(_)
            )
            // PostgreSQL: admin shutdown, cannot connect now.
            || matches!(db_code(err).as_deref(), Some("57P01" | "57P03"))
        }
        _ => false,
    }
}

/// The database's own error code, if it gave one.
fn db_code(err: &DbErr) -> Option<String> {
    match err {
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            match e.as_ref() {
                sea_orm::sqlx::Error::Database(db) => db.code().map(|c| c.into_owned()),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The portable classification of a constraint violation. Adds what SeaORM
/// does not map: SQLite reports a parent row kept by `ON DELETE RESTRICT` as
/// code 1811 (SQLITE_CONSTRAINT_TRIGGER), not 787.
pub fn sql_err(err: &DbErr) -> Option<SqlErr> {
    if let Some(e) = err.sql_err() {
        return Some(e);
    }
    if let DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) = err
        && let sea_orm::sqlx::Error::Database(db) = e.as_ref()
        && db.code().as_deref() == Some("1811")
        && db.message().contains("FOREIGN KEY")
    {
        return Some(SqlErr::ForeignKeyConstraintViolation(
            db.message().to_owned(),
        ));
    }
    None
}

impl From<DbErr> for AppError {
    fn from(err: DbErr) -> Self {
        if let DbErr::RecordNotFound(_) = err {
            return Self::NotFound;
        }
        if let Some(SqlErr::UniqueConstraintViolation(_)) = sql_err(&err) {
            return Self::Conflict("a resource with the same unique value already exists".into());
        }
        if db_unavailable(&err) {
            return Self::Unavailable(anyhow::Error::new(err).context("database unavailable"));
        }
        Self::Internal(anyhow::Error::new(err).context("database error"))
    }
}

impl From<anyhow::Error> for AppError {
    fn from(err: anyhow::Error) -> Self {
        Self::Internal(err)
    }
}

impl From<Invalid> for AppError {
    fn from(Invalid(errors): Invalid) -> Self {
        Self::Validation(errors)
    }
}

impl From<InputError> for AppError {
    fn from(e: InputError) -> Self {
        match e {
            InputError::Malformed(m) => Self::BadRequest(m),
            InputError::Invalid(i) => i.into(),
        }
    }
}

/// What a constraint violation means for one kind of resource: the one
/// mapping of unique and foreign-key violations to 409.
#[derive(Debug, Clone, Copy)]
pub struct Conflicts {
    /// A unique value is taken, e.g. "a site with this code already exists".
    pub unique: &'static str,
    /// Other rows still refer to it, e.g. "the site still has equipment".
    pub in_use: &'static str,
}

impl Conflicts {
    pub fn map(&self, err: DbErr) -> AppError {
        match sql_err(&err) {
            Some(SqlErr::UniqueConstraintViolation(_)) => AppError::Conflict(self.unique.into()),
            Some(SqlErr::ForeignKeyConstraintViolation(_)) => {
                AppError::Conflict(self.in_use.into())
            }
            _ => err.into(),
        }
    }
}

/// `.or_conflict(&CONFLICTS)` on a repository result.
pub trait OrConflict<T> {
    fn or_conflict(self, conflicts: &Conflicts) -> AppResult<T>;
}

impl<T> OrConflict<T> for Result<T, DbErr> {
    fn or_conflict(self, conflicts: &Conflicts) -> AppResult<T> {
        self.map_err(|e| conflicts.map(e))
    }
}
