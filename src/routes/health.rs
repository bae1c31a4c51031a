//! Liveness, readiness and metrics for operators.

use std::time::Duration;

use crate::routes::json::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::IntoResponse;
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::error::{AppError, AppResult};
use crate::routes::problems::{Unauthorized, Unavailable};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(live))
        .routes(routes!(ready))
        .routes(routes!(metrics))
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// The process is up and answering.
#[utoipa::path(get, path = "/health/live", tag = "operations", operation_id = "health_live",
    responses((status = 200, description = "Alive", body = Health)))]
async fn live() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// The process can serve requests: the database and the object storage answer.
#[utoipa::path(get, path = "/health/ready", tag = "operations", operation_id = "health_ready",
    responses((status = 200, description = "Ready", body = Health), (status = 503, response = Unavailable)))]
async fn ready(State(state): State<AppState>) -> AppResult<Json<Health>> {
    if state.db_gate.is_away() {
        return Err(AppError::DatabaseAway);
    }
    match tokio::time::timeout(Duration::from_secs(3), state.db.ping()).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            return Err(AppError::Unavailable(
                anyhow::Error::new(e).context("readiness: database ping failed"),
            ));
        }
        Err(_) => {
            return Err(AppError::Unavailable(anyhow::anyhow!(
                "readiness: database ping timed out"
            )));
        }
    }
    match tokio::time::timeout(Duration::from_secs(3), state.storage.check()).await {
        Ok(Ok(())) => Ok(Json(Health { status: "ok" })),
        Ok(Err(e)) => Err(AppError::Unavailable(
            e.context("readiness: storage check failed"),
        )),
        Err(_) => Err(AppError::Unavailable(anyhow::anyhow!(
            "readiness: storage check timed out"
        ))),
    }
}

/// Prometheus metrics (OpenMetrics text). When the operator sets
/// `GEMBA_METRICS_TOKEN`, only `Authorization: Bearer <that token>` is answered.
#[utoipa::path(get, path = "/metrics", tag = "operations", operation_id = "metrics",
    responses((status = 200, description = "Metrics in the OpenMetrics text format", body = String,
        content_type = "application/openmetrics-text"),
        (status = 401, response = Unauthorized)))]
async fn metrics(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> AppResult<impl IntoResponse> {
    if let Some(expected) = &state.settings.metrics_token {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        // Digests of equal length, compared whole: no timing hint of the token.
        if Sha256::digest(given.as_bytes()) != Sha256::digest(expected.expose().as_bytes()) {
            return Err(AppError::Unauthorized(
                "the metrics need the bearer token set in GEMBA_METRICS_TOKEN",
            ));
        }
    }
    // Job counts are read at scrape time; a database outage leaves the
    // last known counts rather than failing the scrape.
    let database_up = !state.db_gate.is_away();
    if database_up && let Ok(counts) = crate::services::reports::job_counts(&state).await {
        state.metrics.set_job_counts(&counts);
    }
    Ok((
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(&state.db, database_up),
    ))
}
