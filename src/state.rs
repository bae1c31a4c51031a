//! The one state struct every handler receives.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::config::Settings;
use crate::db_gate::DbGate;
use crate::domain::user::EmailPolicy;
use crate::metrics::Metrics;
use crate::security::{Passwords, Tokens};
use crate::storage::Storage;

/// Cloned for every extractor of every request: one shared pointer.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

pub struct Shared {
    /// Reads, and the transactions that only read.
    pub db: DatabaseConnection,
    /// Writes: `db::begin_write(&state.writer)`, and the writes that run on
    /// their own (`db::connect_writer`: one connection on SQLite, the same
    /// pool as `db` on PostgreSQL).
    pub writer: DatabaseConnection,
    /// Whether `db` can be reached right now.
    pub db_gate: DbGate,
    pub settings: Arc<Settings>,
    pub passwords: Passwords,
    pub tokens: Arc<Tokens>,
    pub email_policy: Arc<EmailPolicy>,
    pub metrics: Arc<Metrics>,
    pub storage: Storage,
}
