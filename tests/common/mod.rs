//! Shared by the test binaries: a fresh database per test.

#![allow(dead_code)]

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
