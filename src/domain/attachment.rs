//! Attachments: photos and documents an inspector adds to a schedule as
//! evidence. The bytes live in object storage; the row says what they are.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::field::Checked;
use super::page::{IdCursor, Limit};
use crate::str_enum;

/// Where an attachment's object is. Only `ready` ones are visible: a
/// `pending` row is an upload in progress (or one cut off, which the
/// housekeeper removes with its partial object), a `deleting` row one whose
/// object is being removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttachmentStatus {
    Pending,
    Ready,
    Deleting,
}

str_enum!(AttachmentStatus {
    Pending => "pending",
    Ready => "ready",
    Deleting => "deleting",
});

/// A file attached to a schedule.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Attachment {
    pub id: i64,
    pub schedule_id: i64,
    pub site_id: i64,
    /// The uploaded file's name, made safe (no directories, no control characters).
    pub file_name: String,
    /// The type the file's bytes show (not only what the client declared).
    pub content_type: String,
    pub size_bytes: i64,
    /// SHA-256 of the bytes, lowercase hex.
    pub sha256: String,
    pub uploaded_by: Option<i64>,
    #[serde(serialize_with = "crate::domain::time::rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(skip)]
    pub status: AttachmentStatus,
    #[serde(skip)]
    pub object_key: String,
}

impl super::site::InSite for Attachment {
    fn site_id(&self) -> i64 {
        self.site_id
    }
}

/// `POST /schedules/{id}/attachments` form (`multipart/form-data`).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct AttachmentUpload {
    /// The file; its type must be one the server accepts (by default JPEG,
    /// PNG, WebP, HEIF/HEIC photos and PDF), judged from its bytes.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

/// `GET /schedules/{id}/attachments` query.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AttachmentQuery {
    #[param(inline)]
    pub limit: Option<Limit>,
    #[param(inline)]
    pub cursor: Option<IdCursor>,
}

impl Checked for AttachmentQuery {}

/// The content type a client declared, without parameters, lowercase;
/// `None` when it said nothing useful (`application/octet-stream`).
pub fn declared_type(raw: Option<&str>) -> Option<String> {
    let t = raw?.split(';').next()?.trim().to_ascii_lowercase();
    match t.as_str() {
        "" | "application/octet-stream" => None,
        "image/jpg" | "image/pjpeg" => Some("image/jpeg".to_owned()),
        "image/heic" | "image/heic-sequence" | "image/heif-sequence" => {
            Some("image/heif".to_owned())
        }
        _ => Some(t),
    }
}

/// The stored name of an upload: the client's name made safe, with an
/// extension that matches what the bytes are (`photo` → `photo.jpg`,
/// `scan.jpg` holding a PNG → `scan.jpg.png`).
pub fn file_name(raw: Option<&str>, content_type: &str, extension: &str) -> String {
    let safe = crate::storage::segment(raw.unwrap_or(""));
    let stem = if safe == "_" { "upload" } else { safe.as_str() };
    let has = stem
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .is_some_and(|e| extension_aliases(content_type, extension).contains(&e.as_str()));
    if has {
        stem.to_owned()
    } else {
        crate::storage::segment(&format!("{stem}.{extension}"))
    }
}

fn extension_aliases<'a>(content_type: &str, extension: &'a str) -> Vec<&'a str> {
    match content_type {
        "image/jpeg" => vec!["jpg", "jpeg", "jpe", "jfif"],
        "image/heif" => vec!["heif", "heic", "hif"],
        "image/tiff" => vec!["tif", "tiff"],
        _ => vec![extension],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_types_are_normalized() {
        assert_eq!(
            declared_type(Some("IMAGE/JPEG; q=1")).as_deref(),
            Some("image/jpeg")
        );
        assert_eq!(
            declared_type(Some("image/jpg")).as_deref(),
            Some("image/jpeg")
        );
        assert_eq!(
            declared_type(Some("image/heic")).as_deref(),
            Some("image/heif")
        );
        assert_eq!(declared_type(Some("application/octet-stream")), None);
        assert_eq!(declared_type(None), None);
    }

    #[test]
    fn file_names_are_safe_and_say_what_they_hold() {
        assert_eq!(
            file_name(Some("IMG_0001.JPG"), "image/jpeg", "jpg"),
            "IMG_0001.JPG"
        );
        assert_eq!(
            file_name(Some("IMG_0001.HEIC"), "image/heif", "heif"),
            "IMG_0001.HEIC"
        );
        assert_eq!(
            file_name(Some("압력계 사진"), "image/png", "png"),
            "압력계 사진.png"
        );
        assert_eq!(
            file_name(Some("scan.jpg"), "image/png", "png"),
            "scan.jpg.png"
        );
        assert_eq!(file_name(None, "application/pdf", "pdf"), "upload.pdf");
        let evil = file_name(Some("../../etc/passwd\0.jpg"), "image/jpeg", "jpg");
        assert!(!evil.contains('/') && !evil.starts_with('.') && !evil.contains('\0'));
        assert!(evil.ends_with(".jpg"));
        let long = file_name(Some(&"가".repeat(500)), "image/jpeg", "jpg");
        assert!(long.chars().count() <= 120 && long.ends_with(".jpg"));
    }
}
