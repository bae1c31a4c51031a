//! The last word on every error response: completes it as a problem
//! (`instance`, `request_id`; axum's 405, the body limit's 413, a timeout or
//! a panic become problems too) and logs every 5xx once, with the whole
//! cause chain, inside the request span.

use axum::http::{HeaderValue, header};
use axum::response::Response;

use crate::error::{AppError, ErrorReport, PROBLEM_JSON, Problem, problem_response};

/// Completes `res` when it is an error: `instance` is the request's path,
/// `request_id` its `x-request-id`.
pub fn problem(res: Response, instance: &str, request_id: Option<&HeaderValue>) -> Response {
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
            Some(r) if r.0.is_empty() => {}
            Some(r) => tracing::error!(target: "gemba::error", error = %r.0, "request failed"),
            None => {
                tracing::error!(target: "gemba::error", "request failed without an error report")
            }
        }
    }
    problem.instance = Some(instance.to_owned());
    problem.request_id = request_id.and_then(|v| v.to_str().ok()).map(str::to_owned);
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
