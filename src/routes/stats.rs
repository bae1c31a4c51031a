//! `/stats`: summaries computed in SQL.

use crate::routes::json::Json;
use axum::extract::State;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::domain::stats::{StatsQuery, StatsSummary};
use crate::error::AppResult;
use crate::routes::extract::Query;
use crate::routes::extract::{AnyRole, Authenticated};
use crate::routes::problems::NotFound;
use crate::services;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(stats_summary))
}

/// Totals by status, completion and pass rates, and per plan and numeric
/// item the count / sum / avg / min / max of measured values.
#[utoipa::path(get, path = "/stats/summary", tag = "stats", operation_id = "stats_summary",
    params(StatsQuery),
    responses(
        (status = 200, description = "The summary", body = StatsSummary),
        (status = 404, response = NotFound)))]
async fn stats_summary(
    State(state): State<AppState>,
    auth: Authenticated<AnyRole>,
    Query(q): Query<StatsQuery>,
) -> AppResult<Json<StatsSummary>> {
    services::stats::summary(&state, &auth.user, q)
        .await
        .map(Json)
}
