//! Stored files (reports, attachments) on their way to the client: a
//! stream from storage, or a presigned URL when the store is S3 and
//! presigned downloads are on; named by `Content-Disposition` either way.

use crate::domain::attachment::Attachment;
use crate::domain::report::Report;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::storage::{Download, ObjectKey};

/// A record that names an object in storage.
pub trait StoredFile {
    fn file_name(&self) -> &str;
    fn content_type(&self) -> &str;
    fn object_key(&self) -> &str;
}

impl StoredFile for Report {
    fn file_name(&self) -> &str {
        &self.file_name
    }
    fn content_type(&self) -> &str {
        &self.content_type
    }
    fn object_key(&self) -> &str {
        &self.object_key
    }
}

impl StoredFile for Attachment {
    fn file_name(&self) -> &str {
        &self.file_name
    }
    fn content_type(&self) -> &str {
        &self.content_type
    }
    fn object_key(&self) -> &str {
        &self.object_key
    }
}

/// How a file reaches the client.
pub enum Content<T> {
    /// Streamed through gemba.
    Stream { file: Box<T>, download: Download },
    /// Downloaded from storage directly.
    Redirect { url: String },
}

/// The file's bytes, or where to fetch them.
pub async fn deliver<T: StoredFile>(state: &AppState, file: T) -> AppResult<Content<T>> {
    let key = ObjectKey::trusted(file.object_key().to_owned());
    if let Some(url) = state
        .storage
        .presigned_get(
            &key,
            &content_disposition(file.file_name()),
            file.content_type(),
        )
        .await
        .map_err(AppError::Unavailable)?
    {
        return Ok(Content::Redirect { url });
    }
    let download = state
        .storage
        .get(&key)
        .await
        .map_err(AppError::Unavailable)?;
    Ok(Content::Stream {
        file: Box::new(file),
        download,
    })
}

/// `attachment; filename="<ASCII>"; filename*=UTF-8''<percent-encoded>`
/// (RFC 6266 / RFC 8187): old clients get a readable ASCII name, every
/// current browser the Unicode one.
pub fn content_disposition(file_name: &str) -> String {
    use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
    // RFC 8187 attr-char: ALPHA / DIGIT / "!#$&+-.^_`|~"
    const ATTR: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'!')
        .remove(b'#')
        .remove(b'$')
        .remove(b'&')
        .remove(b'+')
        .remove(b'-')
        .remove(b'.')
        .remove(b'^')
        .remove(b'_')
        .remove(b'`')
        .remove(b'|')
        .remove(b'~');
    let mut ascii: String = file_name
        .chars()
        .map(|c| match c {
            ' '..='~' if c != '"' && c != '\\' && c != '%' => c,
            _ => '_',
        })
        .collect();
    // A name that is all Korean becomes `report.xlsx`, not `____.xlsx`.
    let (stem, ext) = ascii.rsplit_once('.').unwrap_or((&ascii, ""));
    if !stem.chars().any(|c| c.is_ascii_alphanumeric()) {
        ascii = if ext.is_empty() {
            "download".to_owned()
        } else {
            format!("download.{ext}")
        };
    }
    format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
        utf8_percent_encode(file_name, ATTR)
    )
}

#[cfg(test)]
mod tests {
    use super::content_disposition;

    #[test]
    fn dispositions_carry_both_names() {
        assert_eq!(
            content_disposition("점검결과_창원 1공장_20261122-101500.xlsx"),
            "attachment; filename=\"_______ 1___20261122-101500.xlsx\"; \
             filename*=UTF-8''%EC%A0%90%EA%B2%80%EA%B2%B0%EA%B3%BC_%EC%B0%BD%EC%9B%90%201%EA%B3%B5%EC%9E%A5_20261122-101500.xlsx"
        );
        assert_eq!(
            content_disposition("사진.jpg"),
            "attachment; filename=\"download.jpg\"; filename*=UTF-8''%EC%82%AC%EC%A7%84.jpg"
        );
        assert!(
            content_disposition("a\"b\\c.csv").starts_with("attachment; filename=\"a_b_c.csv\"")
        );
    }
}
