//! The one error type of the HTTP boundary and its wire format:
//! `application/problem+json` (RFC 9457). Every non-2xx response leaves the
//! service through [`finalize_problem`], which fills `instance` and
//! `request_id`, turns bodies that are not problems yet (axum's 405, the
//! body-limit 413, a timeout, a panic) into problems, and logs every 5xx once
//! with its whole cause chain.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sea_orm::{DbErr, RuntimeErr, SqlErr};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// One invalid field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FieldError {
    /// Dotted path of the field in the request, e.g. `email` or `items[2].max`.
    pub field: String,
    /// Stable machine-readable code, e.g. `required`, `invalid_email`, `too_short`.
    pub code: String,
    /// Human-readable explanation.
    pub message: String,
}

impl FieldError {
    pub fn new(
        field: impl Into<String>,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            field: field.into(),
            code: code.into(),
            message: message.into(),
        }
    }
}

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
    fn for_status(status: StatusCode) -> Self {
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

/// The full cause chain of a 5xx, carried to the boundary for the log only.
#[derive(Clone)]
struct ErrorReport(std::sync::Arc<String>);

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
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
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
            }
            _ => {}
        }
        res.extensions_mut().insert(problem);
        res
    }
}

fn problem_response(problem: &Problem) -> Response {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_vec(problem).unwrap_or_default();
    let mut res = (status, body).into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    res
}

/// True when the error means the database cannot be reached (503, not 500).
pub fn db_unavailable(err: &DbErr) -> bool {
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            use sea_orm::sqlx::Error as E;
            match e.as_ref() {
                E::Io(_) | E::PoolTimedOut | E::PoolClosed | E::WorkerCrashed | E::Tls(_) => true,
                // SQLITE_BUSY / SQLITE_LOCKED after the busy timeout: the
                // database is overloaded, which is a retryable condition.
                E::Database(db) => {
                    matches!(db.code().as_deref(), Some("5" | "6" | "517"))
                    // PostgreSQL: admin shutdown, cannot connect now, too many connections.
                    || matches!(db.code().as_deref(), Some("57P01" | "57P03" | "53300"))
                }
                _ => false,
            }
        }
        _ => false,
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

impl From<validator::ValidationErrors> for AppError {
    fn from(errors: validator::ValidationErrors) -> Self {
        let mut out = Vec::new();
        collect_validation_errors("", &errors, &mut out);
        out.sort_by(|a, b| a.field.cmp(&b.field));
        Self::Validation(out)
    }
}

fn collect_validation_errors(
    prefix: &str,
    errors: &validator::ValidationErrors,
    out: &mut Vec<FieldError>,
) {
    use validator::ValidationErrorsKind as K;
    for (field, kind) in errors.errors() {
        let path = if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}.{field}")
        };
        match kind {
            K::Field(list) => {
                for e in list {
                    out.push(FieldError::new(&path, e.code.to_string(), describe(e)));
                }
            }
            K::Struct(inner) => collect_validation_errors(&path, inner, out),
            K::List(items) => {
                for (i, inner) in items {
                    collect_validation_errors(&format!("{path}[{i}]"), inner, out);
                }
            }
        }
    }
}

/// A readable message for a validator error that brought none of its own.
fn describe(e: &validator::ValidationError) -> String {
    if let Some(m) = &e.message {
        return m.to_string();
    }
    let param = |name: &str| e.params.get(name).map(|v| v.to_string());
    match e.code.as_ref() {
        "length" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => format!("must be {min} to {max} characters long"),
            (Some(min), None) => format!("must be at least {min} characters long"),
            (None, Some(max)) => format!("must be at most {max} characters long"),
            _ => "has an invalid length".to_owned(),
        },
        "range" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => format!("must be between {min} and {max}"),
            (Some(min), None) => format!("must be at least {min}"),
            (None, Some(max)) => format!("must be at most {max}"),
            _ => "is out of range".to_owned(),
        },
        "email" => "must be a valid e-mail address".to_owned(),
        other => format!("is invalid ({other})"),
    }
}

/// Middleware at the boundary: completes every error response as a problem
/// and logs 5xx once, inside the request span.
pub async fn finalize_problem(req: Request, next: Next) -> Response {
    let instance = req.uri().path().to_owned();
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let res = next.run(req).await;
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let report = parts.extensions.remove::<ErrorReport>();
    let mut problem = match parts.extensions.remove::<Problem>() {
        Some(p) => p,
        None => {
            let is_problem = parts
                .headers
                .get(header::CONTENT_TYPE)
                .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
            if is_problem {
                return Response::from_parts(parts, body);
            }
            Problem::for_status(status)
        }
    };
    if status.is_server_error() {
        match &report {
            Some(r) => tracing::error!(target: "gemba::error", error = %r.0, "request failed"),
            None => {
                tracing::error!(target: "gemba::error", "request failed without an error report")
            }
        }
    }
    problem.instance = Some(instance);
    problem.request_id = request_id;
    let mut res = problem_response(&problem);
    for (name, value) in parts.headers.iter() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            res.headers_mut().append(name.clone(), value.clone());
        }
    }
    res
}

/// Fallback for paths that match no route.
pub async fn not_found() -> AppError {
    AppError::NotFound
}

// ---------------------------------------------------------------------------
// Extractors whose rejections speak our error format.

/// `Json` that answers 400/413/415/422 problems with field paths.
#[derive(Debug, Clone, Copy, Default)]
pub struct AppJson<T>(pub T);

impl<S, T> FromRequest<S> for AppJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !has_json_content_type(req.headers()) {
            return Err(AppError::UnsupportedMediaType(
                "expected a request body with Content-Type: application/json".into(),
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|rej| {
                if rej.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    AppError::PayloadTooLarge
                } else {
                    AppError::BadRequest(rej.body_text())
                }
            })?;
        parse_json(&bytes).map(AppJson)
    }
}

fn has_json_content_type(headers: &HeaderMap) -> bool {
    let Some(ct) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let mime = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

/// Deserializes a JSON body: syntax errors are 400, shape errors 422 naming the field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> AppResult<T> {
    // Syntax first, so that `{} x` is malformed (400) rather than incomplete (422).
    serde_json::from_slice::<serde::de::IgnoredAny>(bytes)
        .map_err(|e| AppError::BadRequest(format!("malformed JSON: {e}")))?;
    // Every request body of this API is an object; say so instead of
    // letting serde read an array as a struct's fields.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(AppError::validation(
            "body",
            "invalid_type",
            "the request body must be a JSON object",
        ));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = match serde_path_to_error::deserialize(&mut de) {
        Ok(v) => v,
        Err(err) => return Err(json_error(err)),
    };
    de.end()
        .map_err(|e| AppError::BadRequest(format!("malformed JSON: {e}")))?;
    Ok(value)
}

fn json_error(err: serde_path_to_error::Error<serde_json::Error>) -> AppError {
    use serde_json::error::Category;
    let path = err.path().to_string();
    let inner = err.into_inner();
    match inner.classify() {
        Category::Syntax | Category::Eof | Category::Io => {
            AppError::BadRequest(format!("malformed JSON: {inner}"))
        }
        Category::Data => {
            let text = inner.to_string();
            // serde reports "missing field `x`" / "unknown field `x`" at the parent path.
            let message = text.split(" at line ").next().unwrap_or(&text).to_owned();
            let named = message.split('`').nth(1).unwrap_or_default();
            let join = |name: &str| {
                if path == name || path.ends_with(&format!(".{name}")) {
                    path.clone()
                } else if path == "." || path.is_empty() {
                    name.to_owned()
                } else {
                    format!("{path}.{name}")
                }
            };
            let (field, code) = if message.starts_with("missing field") {
                (join(named), "required")
            } else if message.starts_with("unknown field") {
                (join(named), "unknown_field")
            } else if path == "." {
                ("body".to_owned(), "invalid_type")
            } else {
                (path.clone(), "invalid_type")
            };
            AppError::Validation(vec![FieldError::new(field, code, message)])
        }
    }
}

/// `Query` that answers 400 problems.
#[derive(Debug, Clone, Copy, Default)]
pub struct AppQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for AppQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(AppQuery)
            .map_err(|e| {
                let field = e.path().to_string();
                let inner = e.into_inner();
                if field == "." {
                    AppError::BadRequest(format!("invalid query string: {inner}"))
                } else {
                    AppError::BadRequest(format!("invalid query parameter `{field}`: {inner}"))
                }
            })
    }
}

/// `Path` that answers 400 problems.
#[derive(Debug, Clone, Copy, Default)]
pub struct AppPath<T>(pub T);

impl<S, T> FromRequestParts<S> for AppPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| AppPath(p.0))
            .map_err(|rej| AppError::BadRequest(rej.body_text()))
    }
}

/// `Form` (for the OAuth2 password flow) that answers 400/415 problems.
#[derive(Debug, Clone, Copy, Default)]
pub struct AppForm<T>(pub T);

impl<S, T> FromRequest<S> for AppForm<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        axum::Form::<T>::from_request(req, state)
            .await
            .map(|f| AppForm(f.0))
            .map_err(|rej| match rej.status() {
                StatusCode::UNSUPPORTED_MEDIA_TYPE => AppError::UnsupportedMediaType(
                    "expected Content-Type: application/x-www-form-urlencoded".into(),
                ),
                StatusCode::PAYLOAD_TOO_LARGE => AppError::PayloadTooLarge,
                _ => AppError::BadRequest(rej.body_text()),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code)]
    struct Body {
        name: String,
        age: u32,
    }

    fn fields(err: AppError) -> Vec<(String, String)> {
        match err {
            AppError::Validation(v) => v.into_iter().map(|e| (e.field, e.code)).collect(),
            other => panic!("expected validation error, got {other:?}"),
        }
    }

    #[test]
    fn json_errors_name_the_field() {
        assert!(matches!(
            parse_json::<Body>(b"{"),
            Err(AppError::BadRequest(_))
        ));
        assert!(matches!(
            parse_json::<Body>(b"{} x"),
            Err(AppError::BadRequest(_))
        ));
        assert_eq!(
            fields(parse_json::<Body>(br#"{"name":"a"}"#).unwrap_err()),
            [("age".to_owned(), "required".to_owned())]
        );
        assert_eq!(
            fields(parse_json::<Body>(br#"{"name":"a","age":"x"}"#).unwrap_err()),
            [("age".to_owned(), "invalid_type".to_owned())]
        );
        assert_eq!(
            fields(parse_json::<Body>(br#"{"name":"a","age":1,"zzz":1}"#).unwrap_err()),
            [("zzz".to_owned(), "unknown_field".to_owned())]
        );
        assert_eq!(
            fields(parse_json::<Body>(b"[]").unwrap_err()),
            [("body".to_owned(), "invalid_type".to_owned())]
        );
    }

    #[test]
    fn json_content_types() {
        let mut h = HeaderMap::new();
        assert!(!has_json_content_type(&h));
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        assert!(has_json_content_type(&h));
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/merge-patch+json"),
        );
        assert!(has_json_content_type(&h));
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        assert!(!has_json_content_type(&h));
    }
}
