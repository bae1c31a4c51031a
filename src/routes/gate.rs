//! Fail fast while the database is away (`db_gate`): requests that need it
//! answer 503 at once, with `Retry-After`, instead of waiting the pool's
//! acquire timeout; those already waiting are answered as soon as the gate
//! closes. A connection-level error seen by any request asks for a probe.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::db_gate::DbGate;
use crate::error::{AppError, DbUnreachable};

/// Middleware around every route.
pub async fn fail_fast(State(gate): State<DbGate>, req: Request, next: Next) -> Response {
    if !needs_database(req.uri().path()) {
        return next.run(req).await;
    }
    if gate.is_away() {
        return AppError::DatabaseAway.into_response();
    }
    let res = tokio::select! {
        biased;
        res = next.run(req) => res,
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
