//! Settings: one `Settings` built from defaults, an optional TOML file and
//! `GEMBA_*` environment variables / command-line flags (flags and env vars
//! are the same clap arguments). Bad values fail at start-up with a message
//! that names the setting.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use serde::Deserialize;

use crate::domain::auth::Secret;

/// Overrides for every setting. The same struct is read from the optional
/// config file (TOML, keys as below) and from flags / `GEMBA_*` env vars.
#[derive(Debug, Clone, Default, Deserialize, clap::Args)]
#[serde(deny_unknown_fields)]
pub struct SettingsOverrides {
    /// TOML file with settings; flags and env vars win over it.
    #[arg(long, env = "GEMBA_CONFIG")]
    #[serde(skip)]
    pub config: Option<PathBuf>,
    /// Address to listen on.
    #[arg(long, env = "GEMBA_BIND")]
    pub bind: Option<SocketAddr>,
    /// Directory for the embedded database, objects, logs and the JWT secret.
    #[arg(long, env = "GEMBA_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Database URL: `sqlite://path?mode=rwc` or `postgres://user@host/db`.
    #[arg(long, env = "GEMBA_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Maximum pooled database connections.
    #[arg(long, env = "GEMBA_DB_MAX_CONNECTIONS")]
    pub db_max_connections: Option<u32>,
    /// Seconds to wait for a pooled connection before answering 503.
    #[arg(long, env = "GEMBA_DB_ACQUIRE_TIMEOUT_SECS")]
    pub db_acquire_timeout_secs: Option<u64>,
    /// Log filter (tracing `EnvFilter` syntax), e.g. `info,gemba::routes=debug`.
    #[arg(long, env = "GEMBA_LOG")]
    pub log: Option<String>,
    /// Directory for the daily-rolling JSON-lines log files.
    #[arg(long, env = "GEMBA_LOG_DIR")]
    pub log_dir: Option<PathBuf>,
    /// How many daily log files to keep.
    #[arg(long, env = "GEMBA_LOG_RETENTION")]
    pub log_retention: Option<usize>,
    /// HMAC secret for access tokens (at least 32 bytes). Generated and kept
    /// in the data dir when not set.
    #[arg(long, env = "GEMBA_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<Secret>,
    /// When set, `/metrics` answers only `Authorization: Bearer <this>`
    /// (at least 16 bytes). Off by default.
    #[arg(long, env = "GEMBA_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<Secret>,
    /// Access token lifetime in seconds.
    #[arg(long, env = "GEMBA_ACCESS_TOKEN_TTL_SECS")]
    pub access_token_ttl_secs: Option<u64>,
    /// Refresh token lifetime in seconds.
    #[arg(long, env = "GEMBA_REFRESH_TOKEN_TTL_SECS")]
    pub refresh_token_ttl_secs: Option<u64>,
    /// Largest accepted request body in bytes (413 above it).
    #[arg(long, env = "GEMBA_BODY_LIMIT_BYTES")]
    pub body_limit_bytes: Option<usize>,
    /// Seconds a request may take before it is answered 503.
    #[arg(long, env = "GEMBA_REQUEST_TIMEOUT_SECS")]
    pub request_timeout_secs: Option<u64>,
    /// On SIGTERM, seconds to let in-flight requests and background work
    /// finish before exiting anyway.
    #[arg(long, env = "GEMBA_DRAIN_TIMEOUT_SECS")]
    pub drain_timeout_secs: Option<u64>,
    /// Origins allowed by CORS (comma-separated), e.g. the web console's.
    #[arg(long, env = "GEMBA_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Option<Vec<String>>,
    /// When set, only these e-mail domains (and their subdomains) may be used.
    #[arg(long, env = "GEMBA_EMAIL_ALLOWED_DOMAINS", value_delimiter = ',')]
    pub email_allowed_domains: Option<Vec<String>>,
    /// E-mail domains (and their subdomains) that may never be used.
    #[arg(long, env = "GEMBA_EMAIL_DENIED_DOMAINS", value_delimiter = ',')]
    pub email_denied_domains: Option<Vec<String>>,
    /// Failed logins allowed per account within the lockout window.
    #[arg(long, env = "GEMBA_LOGIN_MAX_FAILURES_PER_ACCOUNT")]
    pub login_max_failures_per_account: Option<u32>,
    /// Failed logins allowed per client address within the lockout window.
    #[arg(long, env = "GEMBA_LOGIN_MAX_FAILURES_PER_IP")]
    pub login_max_failures_per_ip: Option<u32>,
    /// Length of the failed-login window in seconds.
    #[arg(long, env = "GEMBA_LOGIN_WINDOW_SECS")]
    pub login_window_secs: Option<u64>,
    /// Take the client address from `X-Forwarded-For` (only behind a proxy you run).
    #[arg(long, env = "GEMBA_TRUST_FORWARDED_FOR")]
    pub trust_forwarded_for: Option<bool>,
    /// Days ahead for which schedules are generated.
    #[arg(long, env = "GEMBA_SCHEDULE_HORIZON_DAYS")]
    pub schedule_horizon_days: Option<u32>,
    /// Seconds between scheduler passes (generation and missed marking); 0 disables.
    #[arg(long, env = "GEMBA_SCHEDULER_INTERVAL_SECS")]
    pub scheduler_interval_secs: Option<u64>,
    /// Threads hashing passwords (each needs 19 MiB while hashing); more work waits.
    #[arg(long, env = "GEMBA_HASH_CONCURRENCY")]
    pub hash_concurrency: Option<usize>,
    /// Where files go: `file:///abs/dir` (default `{data dir}/objects`),
    /// `s3://bucket[/prefix]`, or `memory://` (tests).
    #[arg(long, env = "GEMBA_STORAGE_URL")]
    pub storage_url: Option<String>,
    /// S3 endpoint for S3-compatible services, e.g. `http://127.0.0.1:3900` (Garage, MinIO).
    #[arg(long, env = "GEMBA_S3_ENDPOINT")]
    pub s3_endpoint: Option<String>,
    /// S3 region (`garage` for Garage).
    #[arg(long, env = "GEMBA_S3_REGION")]
    pub s3_region: Option<String>,
    /// S3 access key id (default: the AWS environment / instance credentials).
    #[arg(long, env = "GEMBA_S3_ACCESS_KEY_ID")]
    pub s3_access_key_id: Option<String>,
    /// S3 secret access key.
    #[arg(long, env = "GEMBA_S3_SECRET_ACCESS_KEY", hide_env_values = true)]
    pub s3_secret_access_key: Option<Secret>,
    /// Path-style requests (`endpoint/bucket/key`); true by default when an endpoint is set.
    #[arg(long, env = "GEMBA_S3_PATH_STYLE")]
    pub s3_path_style: Option<bool>,
    /// Answer downloads with a 307 to a presigned S3 URL instead of streaming them.
    #[arg(long, env = "GEMBA_S3_PRESIGNED_DOWNLOADS")]
    pub s3_presigned_downloads: Option<bool>,
    /// Seconds a presigned download URL stays valid.
    #[arg(long, env = "GEMBA_S3_PRESIGN_EXPIRY_SECS")]
    pub s3_presign_expiry_secs: Option<u64>,
    /// Largest accepted attachment upload in bytes (413 above it).
    #[arg(long, env = "GEMBA_UPLOAD_LIMIT_BYTES")]
    pub upload_limit_bytes: Option<usize>,
    /// Seconds an attachment upload may take (phones on weak Wi-Fi are slow).
    #[arg(long, env = "GEMBA_UPLOAD_TIMEOUT_SECS")]
    pub upload_timeout_secs: Option<u64>,
    /// Content types accepted for attachments (checked against the file's bytes).
    #[arg(long, env = "GEMBA_ATTACHMENT_TYPES", value_delimiter = ',')]
    pub attachment_types: Option<Vec<String>>,
    /// Background job workers in this process (0: this instance runs no jobs).
    #[arg(long, env = "GEMBA_JOB_WORKERS")]
    pub job_workers: Option<usize>,
    /// Seconds a claimed job stays with its worker without a heartbeat; after
    /// that (a crash) another worker takes it over.
    #[arg(long, env = "GEMBA_JOB_LEASE_SECS")]
    pub job_lease_secs: Option<u64>,
    /// Attempts a failing job gets before it is marked failed.
    #[arg(long, env = "GEMBA_JOB_MAX_ATTEMPTS")]
    pub job_max_attempts: Option<u32>,
    /// Milliseconds an idle worker waits before looking for work again.
    #[arg(long, env = "GEMBA_JOB_POLL_MS")]
    pub job_poll_ms: Option<u64>,
    /// Days a finished report and its file are kept.
    #[arg(long, env = "GEMBA_REPORT_RETENTION_DAYS")]
    pub report_retention_days: Option<u32>,
}

/// The resolved configuration of one gemba process.
#[derive(Debug, Clone)]
pub struct Settings {
    pub bind: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: String,
    pub db_max_connections: u32,
    pub db_acquire_timeout: Duration,
    pub log: String,
    pub log_dir: PathBuf,
    pub log_retention: usize,
    /// Never printed: `Debug` shows `[redacted]`.
    pub jwt_secret: Option<Secret>,
    /// The bearer token `/metrics` requires, if any; never printed.
    pub metrics_token: Option<Secret>,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    pub body_limit_bytes: usize,
    pub request_timeout: Duration,
    pub drain_timeout: Duration,
    pub cors_origins: Vec<String>,
    pub email_allowed_domains: Vec<String>,
    pub email_denied_domains: Vec<String>,
    pub login_max_failures_per_account: u32,
    pub login_max_failures_per_ip: u32,
    pub login_window: Duration,
    pub trust_forwarded_for: bool,
    pub hash_concurrency: usize,
    pub schedule_horizon_days: u32,
    /// `None`: the in-process scheduler is off.
    pub scheduler_interval: Option<Duration>,
    pub storage: StorageSettings,
    pub upload_limit_bytes: usize,
    pub upload_timeout: Duration,
    pub attachment_types: Vec<String>,
    pub jobs: JobSettings,
}

/// Where files are kept.
#[derive(Debug, Clone)]
pub enum StorageSettings {
    Local(PathBuf),
    Memory,
    S3(S3Settings),
}

#[derive(Debug, Clone)]
pub struct S3Settings {
    pub bucket: String,
    /// Key prefix inside the bucket (may be empty).
    pub prefix: String,
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub access_key_id: Option<String>,
    /// Never printed: `Debug` shows `[redacted]`.
    pub secret_access_key: Option<Secret>,
    pub path_style: bool,
    pub presigned_downloads: bool,
    pub presign_expiry: Duration,
}

/// The background job runner.
#[derive(Debug, Clone)]
pub struct JobSettings {
    pub workers: usize,
    pub lease: Duration,
    pub max_attempts: u32,
    pub poll: Duration,
    pub report_retention_days: u32,
}

impl Settings {
    /// Defaults, then the config file (if any), then flags and env vars.
    pub fn load(overrides: &SettingsOverrides) -> anyhow::Result<Self> {
        let mut merged = SettingsOverrides::default();
        if let Some(path) = &overrides.config {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("GEMBA_CONFIG: cannot read {}", path.display()))?;
            merged = toml::from_str(&text)
                .with_context(|| format!("GEMBA_CONFIG: invalid settings in {}", path.display()))?;
        }
        merged.apply(overrides.clone());
        Self::from_overrides(merged)
    }

    fn from_overrides(o: SettingsOverrides) -> anyhow::Result<Self> {
        let data_dir = o
            .data_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from("./data"));
        let storage = storage_settings(&o, &data_dir)?;
        let database_url = o
            .database_url
            .unwrap_or_else(|| default_sqlite_url(&data_dir));
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            bail!("GEMBA_DATABASE_URL: expected a sqlite:// or postgres:// URL");
        }
        let log_dir = o.log_dir.unwrap_or_else(|| data_dir.join("logs"));
        if let Some(secret) = &o.jwt_secret
            && secret.expose().len() < 32
        {
            bail!("GEMBA_JWT_SECRET: must be at least 32 bytes long");
        }
        if let Some(token) = &o.metrics_token
            && token.expose().len() < 16
        {
            bail!("GEMBA_METRICS_TOKEN: must be at least 16 bytes long");
        }
        let positive = |name: &str, v: u64| -> anyhow::Result<u64> {
            if v == 0 {
                bail!("{name}: must be greater than zero");
            }
            Ok(v)
        };
        let settings = Settings {
            bind: o
                .bind
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8000))),
            data_dir,
            database_url,
            db_max_connections: positive(
                "GEMBA_DB_MAX_CONNECTIONS",
                o.db_max_connections.unwrap_or(10).into(),
            )? as u32,
            db_acquire_timeout: Duration::from_secs(positive(
                "GEMBA_DB_ACQUIRE_TIMEOUT_SECS",
                o.db_acquire_timeout_secs.unwrap_or(5),
            )?),
            log: o.log.unwrap_or_else(|| "info".to_owned()),
            log_dir,
            log_retention: o.log_retention.unwrap_or(14).max(1),
            jwt_secret: o.jwt_secret,
            metrics_token: o.metrics_token,
            access_token_ttl: Duration::from_secs(positive(
                "GEMBA_ACCESS_TOKEN_TTL_SECS",
                o.access_token_ttl_secs.unwrap_or(15 * 60),
            )?),
            refresh_token_ttl: Duration::from_secs(positive(
                "GEMBA_REFRESH_TOKEN_TTL_SECS",
                o.refresh_token_ttl_secs.unwrap_or(14 * 24 * 3600),
            )?),
            body_limit_bytes: positive(
                "GEMBA_BODY_LIMIT_BYTES",
                o.body_limit_bytes.unwrap_or(1024 * 1024) as u64,
            )? as usize,
            request_timeout: Duration::from_secs(positive(
                "GEMBA_REQUEST_TIMEOUT_SECS",
                o.request_timeout_secs.unwrap_or(30),
            )?),
            drain_timeout: Duration::from_secs(positive(
                "GEMBA_DRAIN_TIMEOUT_SECS",
                o.drain_timeout_secs.unwrap_or(30),
            )?),
            cors_origins: clean_list(o.cors_origins),
            email_allowed_domains: clean_domains(o.email_allowed_domains),
            email_denied_domains: clean_domains(o.email_denied_domains),
            login_max_failures_per_account: o.login_max_failures_per_account.unwrap_or(5).max(1),
            login_max_failures_per_ip: o.login_max_failures_per_ip.unwrap_or(50).max(1),
            login_window: Duration::from_secs(positive(
                "GEMBA_LOGIN_WINDOW_SECS",
                o.login_window_secs.unwrap_or(15 * 60),
            )?),
            trust_forwarded_for: o.trust_forwarded_for.unwrap_or(false),
            schedule_horizon_days: {
                let d = o.schedule_horizon_days.unwrap_or(30);
                if !(1..=366).contains(&d) {
                    bail!("GEMBA_SCHEDULE_HORIZON_DAYS: must be between 1 and 366");
                }
                d
            },
            scheduler_interval: match o.scheduler_interval_secs.unwrap_or(300) {
                0 => None,
                s => Some(Duration::from_secs(s)),
            },
            hash_concurrency: o
                .hash_concurrency
                .unwrap_or_else(|| {
                    std::thread::available_parallelism().map_or(2, |n| n.get().max(2))
                })
                .max(1),
            storage,
            upload_limit_bytes: positive(
                "GEMBA_UPLOAD_LIMIT_BYTES",
                o.upload_limit_bytes.unwrap_or(20 * 1024 * 1024) as u64,
            )? as usize,
            upload_timeout: Duration::from_secs(positive(
                "GEMBA_UPLOAD_TIMEOUT_SECS",
                o.upload_timeout_secs.unwrap_or(600),
            )?),
            attachment_types: match clean_list(o.attachment_types.clone()) {
                t if t.is_empty() => DEFAULT_ATTACHMENT_TYPES
                    .iter()
                    .map(|s| s.to_string())
                    .collect(),
                t => t.into_iter().map(|s| s.to_ascii_lowercase()).collect(),
            },
            jobs: JobSettings {
                workers: o.job_workers.unwrap_or(2),
                lease: Duration::from_secs(positive(
                    "GEMBA_JOB_LEASE_SECS",
                    o.job_lease_secs.unwrap_or(30),
                )?),
                max_attempts: o.job_max_attempts.unwrap_or(3).max(1),
                poll: Duration::from_millis(positive(
                    "GEMBA_JOB_POLL_MS",
                    o.job_poll_ms.unwrap_or(1000),
                )?),
                report_retention_days: positive(
                    "GEMBA_REPORT_RETENTION_DAYS",
                    o.report_retention_days.unwrap_or(30).into(),
                )? as u32,
            },
        };
        for t in &settings.attachment_types {
            if !t.contains('/') {
                bail!("GEMBA_ATTACHMENT_TYPES: `{t}` is not a content type like image/jpeg");
            }
        }
        for origin in &settings.cors_origins {
            if axum::http::HeaderValue::from_str(origin).is_err() || !origin.contains("://") {
                bail!(
                    "GEMBA_CORS_ORIGINS: `{origin}` is not an origin like https://console.example.com"
                );
            }
        }
        Ok(settings)
    }

    /// True when the database is the embedded SQLite one.
    pub fn is_sqlite(&self) -> bool {
        self.database_url.starts_with("sqlite:")
    }
}

impl SettingsOverrides {
    /// Takes every value that `other` sets.
    fn apply(&mut self, other: SettingsOverrides) {
        macro_rules! take {
            ($($field:ident),*) => { $( if other.$field.is_some() { self.$field = other.$field; } )* };
        }
        take!(
            config,
            bind,
            data_dir,
            database_url,
            db_max_connections,
            db_acquire_timeout_secs,
            log,
            log_dir,
            log_retention,
            jwt_secret,
            metrics_token,
            access_token_ttl_secs,
            refresh_token_ttl_secs,
            body_limit_bytes,
            request_timeout_secs,
            drain_timeout_secs,
            cors_origins,
            email_allowed_domains,
            email_denied_domains,
            login_max_failures_per_account,
            login_max_failures_per_ip,
            login_window_secs,
            trust_forwarded_for,
            hash_concurrency,
            schedule_horizon_days,
            scheduler_interval_secs,
            storage_url,
            s3_endpoint,
            s3_region,
            s3_access_key_id,
            s3_secret_access_key,
            s3_path_style,
            s3_presigned_downloads,
            s3_presign_expiry_secs,
            upload_limit_bytes,
            upload_timeout_secs,
            attachment_types,
            job_workers,
            job_lease_secs,
            job_max_attempts,
            job_poll_ms,
            report_retention_days
        );
    }
}

/// Photos from phones and scanned forms; each is recognised by its bytes.
pub const DEFAULT_ATTACHMENT_TYPES: &[&str] = &[
    "image/jpeg",
    "image/png",
    "image/webp",
    "image/heif",
    "application/pdf",
];

fn storage_settings(o: &SettingsOverrides, data_dir: &Path) -> anyhow::Result<StorageSettings> {
    let Some(url) = o
        .storage_url
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
    else {
        return Ok(StorageSettings::Local(data_dir.join("objects")));
    };
    if url == "memory://" || url == "memory:" {
        return Ok(StorageSettings::Memory);
    }
    if let Some(path) = url.strip_prefix("file://") {
        if path.is_empty() {
            bail!(
                "GEMBA_STORAGE_URL: file:// needs a directory, e.g. file:///var/lib/gemba/objects"
            );
        }
        return Ok(StorageSettings::Local(PathBuf::from(path)));
    }
    let Some(rest) = url.strip_prefix("s3://") else {
        bail!("GEMBA_STORAGE_URL: expected file:///dir, s3://bucket or memory://");
    };
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        bail!("GEMBA_STORAGE_URL: s3:// needs a bucket name, e.g. s3://gemba-files");
    }
    let endpoint = o.s3_endpoint.clone().filter(|e| !e.trim().is_empty());
    if let Some(e) = &endpoint
        && !(e.starts_with("http://") || e.starts_with("https://"))
    {
        bail!("GEMBA_S3_ENDPOINT: expected an http:// or https:// URL");
    }
    Ok(StorageSettings::S3(S3Settings {
        bucket: bucket.to_owned(),
        prefix: prefix.trim_matches('/').to_owned(),
        path_style: o.s3_path_style.unwrap_or(endpoint.is_some()),
        endpoint,
        region: o.s3_region.clone(),
        access_key_id: o.s3_access_key_id.clone(),
        secret_access_key: o.s3_secret_access_key.clone(),
        presigned_downloads: o.s3_presigned_downloads.unwrap_or(false),
        presign_expiry: Duration::from_secs(
            o.s3_presign_expiry_secs
                .unwrap_or(300)
                .clamp(1, 7 * 24 * 3600),
        ),
    }))
}

fn default_sqlite_url(data_dir: &Path) -> String {
    format!("sqlite://{}?mode=rwc", data_dir.join("gemba.db").display())
}

fn clean_list(list: Option<Vec<String>>) -> Vec<String> {
    list.unwrap_or_default()
        .into_iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

fn clean_domains(list: Option<Vec<String>>) -> Vec<String> {
    clean_list(list)
        .into_iter()
        .map(|d| d.trim_start_matches('@').to_lowercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_give_the_embedded_deployment() {
        let s = Settings::load(&SettingsOverrides::default()).unwrap();
        assert_eq!(s.bind.to_string(), "127.0.0.1:8000");
        assert_eq!(s.database_url, "sqlite://./data/gemba.db?mode=rwc");
        assert_eq!(s.log_dir, PathBuf::from("./data/logs"));
        assert!(s.is_sqlite());
    }

    #[test]
    fn file_then_overrides() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gemba.toml");
        std::fs::write(&path, "bind = \"0.0.0.0:9000\"\nlog = \"debug\"\n").unwrap();
        let o = SettingsOverrides {
            config: Some(path),
            log: Some("warn".into()),
            ..Default::default()
        };
        let s = Settings::load(&o).unwrap();
        assert_eq!(s.bind.to_string(), "0.0.0.0:9000");
        assert_eq!(s.log, "warn");
    }

    #[test]
    fn the_jwt_secret_never_prints() {
        let secret = "a-very-secret-value-of-forty-bytes-long!";
        let o = SettingsOverrides {
            jwt_secret: Some(secret.into()),
            ..Default::default()
        };
        let s = Settings::load(&o).unwrap();
        assert!(!format!("{o:?}").contains(secret));
        assert!(!format!("{s:?}").contains(secret));
        assert!(format!("{s:?}").contains("[redacted]"));
        let kept = s.jwt_secret.as_ref().map(|k| k.expose().to_owned());
        assert_eq!(kept.as_deref(), Some(secret));
    }

    #[test]
    fn bad_values_name_the_setting() {
        let o = SettingsOverrides {
            jwt_secret: Some("short".into()),
            ..Default::default()
        };
        let err = Settings::load(&o).unwrap_err().to_string();
        assert!(err.contains("GEMBA_JWT_SECRET"), "{err}");
        assert!(!err.contains("short"), "{err}");
        let o = SettingsOverrides {
            database_url: Some("mysql://x".into()),
            ..Default::default()
        };
        let err = Settings::load(&o).unwrap_err().to_string();
        assert!(err.contains("GEMBA_DATABASE_URL"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gemba.toml");
        std::fs::write(&path, "bnid = 1\n").unwrap();
        let o = SettingsOverrides {
            config: Some(path),
            ..Default::default()
        };
        let err = format!("{:#}", Settings::load(&o).unwrap_err());
        assert!(err.contains("bnid"), "{err}");
    }
}
