//! Fail fast while the database is away (`db_gate`): requests that need it
//! answer 503 at once, with `Retry-After`, instead of waiting the pool's
//! acquire timeout; those already waiting are answered as soon as the gate
//! closes. A connection-level error seen by any request asks for a probe.

use axum::response::{IntoResponse, Response};

use crate::db_gate::DbGate;
use crate::error::{AppError, DbUnreachable};

/// Runs `run` (the rest of the request) behind the gate when `path` needs
/// the database.
pub async fn guard(gate: &DbGate, path: &str, run: impl Future<Output = Response>) -> Response {
    if !needs_database(path) {
        return run.await;
    }
    if gate.is_away() {
        return AppError::DatabaseAway.into_response();
    }
    let res = tokio::select! {
        biased;
        res = run => res,
        () = gate.closed() => return AppError::DatabaseAway.into_response(),
    };
    if res.extensions().get::<DbUnreachable>().is_some() {
        gate.suspect();
    }
    res
}

/// The API and readiness read the database; liveness, metrics and the
/// documentation do not.
fn needs_database(path: &str) -> bool {
    path.starts_with("/api/") || path == "/health/ready"
}
