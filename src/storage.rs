//! Object storage for reports and photos: one `Storage` over `object_store`,
//! a local directory by default, any S3-compatible service when scaled out,
//! memory in unit tests. Object keys are built here, from sanitized parts,
//! never from a raw client path.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures_util::stream::{BoxStream, StreamExt};
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::signer::{Method, SignedUrlOptions, Signer};
use object_store::{
    Attribute, Attributes, ObjectStore, ObjectStoreExt, PutMultipartOptions, WriteMultipart,
};

use crate::config::StorageSettings;
use crate::metrics::Metrics;

/// Parts of a multipart upload on S3: its minimum, since every part in
/// flight is held in memory.
const S3_PART_BYTES: usize = 5 * 1024 * 1024;
/// Parts of an upload to the local directory, written as they come.
const LOCAL_PART_BYTES: usize = 1024 * 1024;
/// Parts being sent while the next one fills.
const PARTS_IN_FLIGHT: usize = 2;
/// Longest sanitized key segment, in characters.
const MAX_SEGMENT_CHARS: usize = 120;

/// A key built by the server; its parts are sanitized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectKey(String);

impl ObjectKey {
    /// `reports/{site code}/{yyyy}/{mm}/{file name}`.
    pub fn report(site_code: &str, at: DateTime<Utc>, file_name: &str) -> Self {
        Self::from_parts(&[
            "reports",
            site_code,
            &at.format("%Y").to_string(),
            &at.format("%m").to_string(),
            file_name,
        ])
    }

    /// `attachments/{site code}/{yyyy}/{mm}/{schedule id}/{file name}`.
    pub fn attachment(
        site_code: &str,
        at: DateTime<Utc>,
        schedule_id: i64,
        file_name: &str,
    ) -> Self {
        Self::from_parts(&[
            "attachments",
            site_code,
            &at.format("%Y").to_string(),
            &at.format("%m").to_string(),
            &schedule_id.to_string(),
            file_name,
        ])
    }

    fn from_parts(parts: &[&str]) -> Self {
        Self(
            parts
                .iter()
                .map(|p| segment(p))
                .collect::<Vec<_>>()
                .join("/"),
        )
    }

    /// A key stored in the database by this server earlier.
    pub fn trusted(key: String) -> Self {
        Self(key)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key as is: Unicode stays Unicode on disk and in S3 (the parts
    /// were sanitized, so parsing does not fail; if it did, the encoded form
    /// is still a safe key).
    fn path(&self) -> Path {
        Path::parse(&self.0).unwrap_or_else(|_| Path::from_iter(self.0.split('/')))
    }
}

impl std::fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One safe path segment (or file name) from any text: no separators, no
/// control characters or bidirectional marks, no leading dots (so never `.` or `..`), none of the
/// characters Windows or S3 consoles trip on, at most 120 characters.
pub fn segment(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len().min(4 * MAX_SEGMENT_CHARS));
    let mut last_space = false;
    for c in raw.chars() {
        let c = match c {
            '/' | '\\' | '<' | '>' | ':' | '"' | '|' | '?' | '*' | '#' | '%' | '{' | '}' | '^'
            | '`' | '[' | ']' | '~' => '_',
            // Control characters, and the bidirectional marks that make
            // `photo\u{202e}gpj.exe` read as `photoexe.jpg`.
            c if c.is_control()
                || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}') =>
            {
                continue;
            }
            c if c.is_whitespace() => ' ',
            c => c,
        };
        if c == ' ' && (last_space || out.is_empty()) {
            continue;
        }
        last_space = c == ' ';
        out.push(c);
    }
    let trimmed = out
        .trim_start_matches(['.', ' '])
        .trim_end_matches(['.', ' ']);
    let mut chars: Vec<char> = trimmed.chars().collect();
    if chars.len() > MAX_SEGMENT_CHARS {
        // Keep the extension, which tells Excel and browsers what it is.
        let ext: Vec<char> = match trimmed.rfind('.') {
            Some(i) if trimmed.len() - i <= 10 => trimmed[i..].chars().collect(),
            _ => Vec::new(),
        };
        chars.truncate(MAX_SEGMENT_CHARS - ext.len());
        chars.extend(ext);
    }
    let s: String = chars.into_iter().collect();
    if s.is_empty() { "_".to_owned() } else { s }
}

/// HTTPS (to S3) goes through reqwest's rustls on ring, the provider the
/// database driver already uses, so no second crypto library is built.
/// Any HTTP client of the process needs it; installing twice is harmless.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// What a download needs: the bytes as a stream and their length.
pub struct Download {
    pub size: u64,
    pub stream: BoxStream<'static, Result<Bytes, std::io::Error>>,
}

/// The object store this process writes to.
#[derive(Clone)]
pub struct Storage {
    store: Arc<dyn ObjectStore>,
    s3: Option<Arc<AmazonS3>>,
    /// The key prefix inside the bucket (`s3://bucket/prefix`).
    prefix: String,
    presign: Option<Duration>,
    metrics: Arc<Metrics>,
    kind: &'static str,
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Storage({})", self.store)
    }
}

impl Storage {
    /// Opens the store the settings name; a local directory is created.
    pub fn open(settings: &StorageSettings, metrics: Arc<Metrics>) -> anyhow::Result<Self> {
        install_crypto_provider();
        let mut prefix = String::new();
        let (store, s3, presign, kind): (Arc<dyn ObjectStore>, _, _, _) = match settings {
            StorageSettings::Memory => (Arc::new(InMemory::new()), None, None, "memory"),
            StorageSettings::Local(dir) => {
                std::fs::create_dir_all(dir).with_context(|| {
                    format!("GEMBA_STORAGE_URL: cannot create {}", dir.display())
                })?;
                let fs = LocalFileSystem::new_with_prefix(dir)
                    .with_context(|| format!("GEMBA_STORAGE_URL: cannot use {}", dir.display()))?
                    .with_automatic_cleanup(true);
                (Arc::new(fs), None, None, "local")
            }
            StorageSettings::S3(s) => {
                // Fail within seconds when S3 is away (the default retries
                // for minutes, holding requests and readiness checks).
                let retry = object_store::RetryConfig {
                    max_retries: 3,
                    retry_timeout: Duration::from_secs(10),
                    ..Default::default()
                };
                let client = object_store::ClientOptions::new()
                    .with_connect_timeout(Duration::from_secs(2))
                    .with_timeout(Duration::from_secs(60));
                let mut b = AmazonS3Builder::from_env()
                    .with_retry(retry)
                    .with_client_options(client)
                    .with_bucket_name(&s.bucket)
                    .with_virtual_hosted_style_request(!s.path_style)
                    .with_disable_tagging(true);
                if let Some(e) = &s.endpoint {
                    b = b.with_endpoint(e).with_allow_http(e.starts_with("http://"));
                }
                if let Some(r) = &s.region {
                    b = b.with_region(r);
                }
                if let Some(k) = &s.access_key_id {
                    b = b.with_access_key_id(k);
                }
                if let Some(k) = &s.secret_access_key {
                    b = b.with_secret_access_key(k.expose());
                }
                let s3 = Arc::new(
                    b.build()
                        .context("GEMBA_STORAGE_URL: invalid S3 settings")?,
                );
                let store: Arc<dyn ObjectStore> = if s.prefix.is_empty() {
                    s3.clone()
                } else {
                    Arc::new(object_store::prefix::PrefixStore::new(
                        s3.clone(),
                        s.prefix.as_str(),
                    ))
                };
                prefix = s.prefix.clone();
                let presign = s.presigned_downloads.then_some(s.presign_expiry);
                (store, Some(s3), presign, "s3")
            }
        };
        Ok(Self {
            store,
            s3,
            prefix,
            presign,
            metrics,
            kind,
        })
    }

    /// `local`, `s3` or `memory`.
    pub fn kind(&self) -> &'static str {
        self.kind
    }

    fn failed<T>(&self, op: &'static str, r: object_store::Result<T>) -> anyhow::Result<T> {
        r.map_err(|e| {
            self.metrics.storage_error(op);
            anyhow::Error::new(e).context(format!("storage {op} failed ({})", self.kind))
        })
    }

    /// Starts a streamed write of `key`; nothing is visible until `finish`.
    pub async fn upload(&self, key: &ObjectKey, content_type: &str) -> anyhow::Result<Upload> {
        let mut attributes = Attributes::new();
        if self.s3.is_some() {
            attributes.insert(Attribute::ContentType, content_type.to_owned().into());
        }
        let opts = PutMultipartOptions {
            attributes,
            ..Default::default()
        };
        let r = self.store.put_multipart_opts(&key.path(), opts).await;
        let upload = self.failed("put", r)?;
        Ok(Upload {
            writer: Some(WriteMultipart::new_with_chunk_size(
                upload,
                self.part_bytes(),
            )),
            storage: self.clone(),
            written: 0,
        })
    }

    fn part_bytes(&self) -> usize {
        if self.s3.is_some() {
            S3_PART_BYTES
        } else {
            LOCAL_PART_BYTES
        }
    }

    /// Copies a local file into `key`, part by part.
    pub async fn put_file(
        &self,
        key: &ObjectKey,
        content_type: &str,
        file: &std::path::Path,
    ) -> anyhow::Result<u64> {
        use tokio::io::AsyncReadExt;
        let mut f = tokio::fs::File::open(file)
            .await
            .with_context(|| format!("opening {}", file.display()))?;
        let mut upload = self.upload(key, content_type).await?;
        let chunk = self.part_bytes();
        loop {
            // A whole part per buffer: each buffer is held until its part is sent.
            let mut buf = bytes::BytesMut::with_capacity(chunk);
            while buf.len() < chunk {
                match f.read_buf(&mut buf).await {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(e) => {
                        upload.abort().await;
                        return Err(e).context("reading the report file");
                    }
                }
            }
            if buf.is_empty() {
                break;
            }
            if let Err(e) = upload.write(buf.freeze()).await {
                upload.abort().await;
                return Err(e);
            }
        }
        upload.finish().await
    }

    /// The object's bytes as a stream.
    pub async fn get(&self, key: &ObjectKey) -> anyhow::Result<Download> {
        let r = self.store.get(&key.path()).await;
        let got = self.failed("get", r)?;
        let size = got.meta.size;
        let metrics = self.metrics.clone();
        let stream = got
            .into_stream()
            .map(move |chunk| {
                chunk.map_err(|e| {
                    metrics.storage_error("get");
                    std::io::Error::other(e)
                })
            })
            .boxed();
        Ok(Download { size, stream })
    }

    /// Whether `key` exists.
    pub async fn exists(&self, key: &ObjectKey) -> anyhow::Result<bool> {
        match self.store.head(&key.path()).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => self.failed("head", Err(e)),
        }
    }

    /// Removes `key`; an object already gone is not an error.
    pub async fn delete(&self, key: &ObjectKey) -> anyhow::Result<()> {
        match self.store.delete(&key.path()).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => self.failed("delete", Err(e)),
        }
    }

    /// Every key in the store (under the prefix), sorted: for operators'
    /// checks and tests, not for request paths.
    pub async fn keys(&self) -> anyhow::Result<Vec<String>> {
        let mut out = Vec::new();
        let mut list = self.store.list(None);
        while let Some(meta) = list.next().await {
            out.push(self.failed("list", meta)?.location.to_string());
        }
        out.sort();
        Ok(out)
    }

    /// Readiness: the store answers (a missing probe object is an answer).
    pub async fn check(&self) -> anyhow::Result<()> {
        let probe = Path::from("health/probe");
        match self.store.head(&probe).await {
            Ok(_) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => self.failed("head", Err(e)),
        }
    }

    /// A short-lived URL the client downloads from directly, when the store
    /// is S3 and presigned downloads are on. The URL makes S3 answer with
    /// our `Content-Disposition` and `Content-Type`.
    pub async fn presigned_get(
        &self,
        key: &ObjectKey,
        disposition: &str,
        content_type: &str,
    ) -> anyhow::Result<Option<String>> {
        let (Some(s3), Some(expiry)) = (&self.s3, self.presign) else {
            return Ok(None);
        };
        let opts = SignedUrlOptions::new().with_query([
            ("response-content-disposition", disposition),
            ("response-content-type", content_type),
        ]);
        // The signing client sees the whole bucket: the key with its prefix.
        let path = if self.prefix.is_empty() {
            key.path()
        } else {
            ObjectKey(format!("{}/{}", self.prefix, key.0)).path()
        };
        let r = s3.signed_url_opts(Method::GET, &path, expiry, &opts).await;
        Ok(Some(self.failed("presign", r)?.to_string()))
    }
}

/// A streamed write in progress. Dropping it without `finish` leaves no
/// object behind on S3 only after `abort`; callers abort on every error.
pub struct Upload {
    writer: Option<WriteMultipart>,
    storage: Storage,
    written: u64,
}

impl Upload {
    /// Appends bytes; waits while too many parts are in flight.
    pub async fn write(&mut self, bytes: Bytes) -> anyhow::Result<()> {
        let Some(w) = self.writer.as_mut() else {
            anyhow::bail!("upload already finished");
        };
        let r = w.wait_for_capacity(PARTS_IN_FLIGHT).await;
        self.storage.failed("put", r)?;
        self.written += bytes.len() as u64;
        w.put(bytes);
        Ok(())
    }

    /// Bytes written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Completes the object; returns its size.
    pub async fn finish(mut self) -> anyhow::Result<u64> {
        let Some(w) = self.writer.take() else {
            anyhow::bail!("upload already finished");
        };
        let r = w.finish().await;
        self.storage.failed("put", r)?;
        Ok(self.written)
    }

    /// Discards everything written; nothing stays in the store.
    pub async fn abort(mut self) {
        if let Some(w) = self.writer.take()
            && let Err(e) = w.abort().await
        {
            self.storage.metrics.storage_error("abort");
            tracing::warn!(error = %e, "aborting an upload failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_neutralize_traversal_and_control_characters() {
        assert_eq!(segment("../../etc/passwd"), "_.._etc_passwd");
        assert_eq!(segment(".."), "_");
        assert_eq!(segment("a\0b\u{7}c\nd"), "abcd");
        assert_eq!(segment("  창원 1공장  "), "창원 1공장");
        assert_eq!(segment("C:\\Windows\\x.exe"), "C__Windows_x.exe");
        assert_eq!(segment(""), "_");
        let long = format!("{}.xlsx", "가".repeat(300));
        let s = segment(&long);
        assert_eq!(s.chars().count(), MAX_SEGMENT_CHARS);
        assert!(s.ends_with(".xlsx"));
    }

    #[test]
    fn report_keys_read_like_their_content() {
        let at = DateTime::parse_from_rfc3339("2026-11-22T10:15:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let key = ObjectKey::report("KR-CW1", at, "점검결과_창원/1공장_20261122-191500.xlsx");
        assert_eq!(
            key.as_str(),
            "reports/KR-CW1/2026/11/점검결과_창원_1공장_20261122-191500.xlsx"
        );
    }

    #[tokio::test]
    async fn write_read_delete_in_memory() {
        let storage =
            Storage::open(&StorageSettings::Memory, Arc::new(Metrics::default())).unwrap();
        let key = ObjectKey::attachment("S1", Utc::now(), 7, "사진.jpg");
        let mut up = storage.upload(&key, "image/jpeg").await.unwrap();
        up.write(Bytes::from_static(b"abc")).await.unwrap();
        up.write(Bytes::from_static(b"def")).await.unwrap();
        assert_eq!(up.finish().await.unwrap(), 6);
        let got = storage.get(&key).await.unwrap();
        assert_eq!(got.size, 6);
        let bytes: Vec<Bytes> = got.stream.map(|b| b.unwrap()).collect().await;
        assert_eq!(bytes.concat(), b"abcdef");
        storage.delete(&key).await.unwrap();
        assert!(!storage.exists(&key).await.unwrap());
        storage.delete(&key).await.unwrap();
        storage.check().await.unwrap();
    }
}
