//! Shared by the test binaries: a fresh database per test.

#![allow(dead_code)]

pub mod process;
pub mod proxy;

use sea_orm::{ConnectionTrait, Database};

/// A database URL no other test uses: a new SQLite file in `dir`, or a new
/// PostgreSQL database when `GEMBA_TEST_DATABASE_URL` is set (the URL of a
/// database to connect to for `CREATE DATABASE`).
pub async fn fresh_database_url(dir: &std::path::Path) -> String {
    match std::env::var("GEMBA_TEST_DATABASE_URL") {
        Ok(admin_url) if !admin_url.is_empty() => {
            let name = format!("gemba_test_{}", uuid::Uuid::new_v4().simple());
            let admin = Database::connect(admin_url.as_str())
                .await
                .expect("GEMBA_TEST_DATABASE_URL must be reachable");
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("CREATE DATABASE");
            admin.close().await.ok();
            let (base, _) = admin_url
                .split('?')
                .next()
                .unwrap()
                .rsplit_once('/')
                .expect("GEMBA_TEST_DATABASE_URL must name a database");
            format!("{base}/{name}")
        }
        _ => format!("sqlite://{}/gemba.db?mode=rwc", dir.display()),
    }
}

pub fn on_postgres() -> bool {
    std::env::var("GEMBA_TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty())
}

/// The S3-compatible server the tests may use (`.ci/garage.sh` starts one
/// and exports these), as settings for a bucket prefix no other test uses.
pub struct TestS3 {
    pub endpoint: String,
    pub region: String,
    pub bucket: String,
    pub access_key_id: String,
    pub secret_access_key: String,
}

impl TestS3 {
    /// The server from `GEMBA_TEST_S3_*`. Without it, S3 tests are skipped
    /// in a plain `cargo test` and fail under CI (`CI=true`), where the
    /// server is part of the run.
    pub fn from_env(test: &str) -> Option<Self> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        match var("GEMBA_TEST_S3_ENDPOINT") {
            Some(endpoint) => Some(Self {
                endpoint,
                region: var("GEMBA_TEST_S3_REGION").unwrap_or_else(|| "garage".into()),
                bucket: var("GEMBA_TEST_S3_BUCKET").expect("GEMBA_TEST_S3_BUCKET"),
                access_key_id: var("GEMBA_TEST_S3_ACCESS_KEY_ID")
                    .expect("GEMBA_TEST_S3_ACCESS_KEY_ID"),
                secret_access_key: var("GEMBA_TEST_S3_SECRET_ACCESS_KEY")
                    .expect("GEMBA_TEST_S3_SECRET_ACCESS_KEY"),
            }),
            None if std::env::var("CI").is_ok_and(|v| v == "true") => {
                panic!("{test}: CI runs the S3 tests; start a server with .ci/garage.sh")
            }
            None => {
                eprintln!("{test}: skipped (no GEMBA_TEST_S3_ENDPOINT; see .ci/garage.sh)");
                None
            }
        }
    }

    /// The same, as a process's environment (`prefix` inside the bucket).
    pub fn env(&self, prefix: &str) -> Vec<(String, String)> {
        [
            (
                "GEMBA_STORAGE_URL",
                format!("s3://{}/{prefix}", self.bucket),
            ),
            ("GEMBA_S3_ENDPOINT", self.endpoint.clone()),
            ("GEMBA_S3_REGION", self.region.clone()),
            ("GEMBA_S3_ACCESS_KEY_ID", self.access_key_id.clone()),
            ("GEMBA_S3_SECRET_ACCESS_KEY", self.secret_access_key.clone()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }

    /// Points `o` at a fresh prefix of the bucket.
    pub fn apply(&self, o: &mut gemba::config::SettingsOverrides) {
        o.storage_url = Some(format!(
            "s3://{}/test-{}",
            self.bucket,
            uuid::Uuid::new_v4().simple()
        ));
        o.s3_endpoint = Some(self.endpoint.clone());
        o.s3_region = Some(self.region.clone());
        o.s3_access_key_id = Some(self.access_key_id.clone());
        o.s3_secret_access_key = Some(self.secret_access_key.clone().into());
    }
}

/// Whether every test app stores its files on the S3 server
/// (`GEMBA_TEST_STORAGE=s3`) rather than in its local directory.
pub fn storage_on_s3() -> bool {
    std::env::var("GEMBA_TEST_STORAGE").is_ok_and(|v| v == "s3")
}
