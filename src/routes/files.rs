//! Answering with a stored file: streamed with its name, type and length,
//! or a 307 to the presigned URL storage gave.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::services::files::{Content, StoredFile, content_disposition};

/// The response for a file's content.
pub fn download<T: StoredFile>(content: Content<T>) -> Response {
    match content {
        Content::Redirect { url } => {
            (StatusCode::TEMPORARY_REDIRECT, [(header::LOCATION, url)]).into_response()
        }
        Content::Stream { file, download } => {
            let mut res = Body::from_stream(download.stream).into_response();
            let h = res.headers_mut();
            if let Ok(v) = HeaderValue::from_str(file.content_type()) {
                h.insert(header::CONTENT_TYPE, v);
            }
            if let Ok(v) = HeaderValue::from_str(&content_disposition(file.file_name())) {
                h.insert(header::CONTENT_DISPOSITION, v);
            }
            h.insert(header::CONTENT_LENGTH, HeaderValue::from(download.size));
            res
        }
    }
}
