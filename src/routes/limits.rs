//! How large a request body may be and how long a request may take, by
//! the kind of body: JSON is small and quick (`GEMBA_BODY_LIMIT_BYTES`,
//! `GEMBA_REQUEST_TIMEOUT_SECS`); a file upload (`multipart/form-data`)
//! is large and, from a phone on weak Wi-Fi, slow (`GEMBA_UPLOAD_LIMIT_BYTES`
//! plus the form's own bytes, `GEMBA_UPLOAD_TIMEOUT_SECS`). Only the upload
//! route reads multipart bodies; every other route refuses them with 415
//! before reading.
//!
//! A declared `Content-Length` over the limit is answered 413 at once,
//! before any of the body is read; a body without one is cut off at the
//! limit (the extractors answer 413).

use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use http_body_util::Limited;

use crate::config::Settings;
use crate::error::AppError;

/// Room for the multipart boundaries and part headers around the file.
const FORM_OVERHEAD_BYTES: usize = 64 * 1024;

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    body_bytes: usize,
    request_time: Duration,
    upload_bytes: usize,
    upload_time: Duration,
}

impl From<&Settings> for Limits {
    fn from(s: &Settings) -> Self {
        Self {
            body_bytes: s.body_limit_bytes,
            request_time: s.request_timeout,
            upload_bytes: s.upload_limit_bytes.saturating_add(FORM_OVERHEAD_BYTES),
            upload_time: s.upload_timeout,
        }
    }
}

fn is_upload(req: &Request) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        })
}

impl Limits {
    /// Applies the limits of the request's kind of body: a declared length
    /// over the limit is answered at once; otherwise the body is capped and
    /// the request gets the time it may take.
    pub fn admit(&self, req: Request) -> Result<(Request, Duration), AppError> {
        let (bytes, time) = if is_upload(&req) {
            (self.upload_bytes, self.upload_time)
        } else {
            (self.body_bytes, self.request_time)
        };
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > bytes as u64) {
            return Err(AppError::PayloadTooLarge);
        }
        Ok((req.map(|body| Body::new(Limited::new(body, bytes))), time))
    }
}

/// `run` (the rest of the request) within `time`, or 503.
pub async fn within(time: Duration, run: impl Future<Output = Response>) -> Response {
    match tokio::time::timeout(time, run).await {
        Ok(res) => res,
        Err(_) => {
            tracing::warn!(
                timeout_secs = time.as_secs(),
                "request timed out; answered 503"
            );
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}
