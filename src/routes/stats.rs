//! `/stats`: summaries computed in SQL.

use crate::routes::json::Json;
use axum::extract::State;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::domain::stats::{DailyQuery, StatsDaily, StatsQuery, StatsSummary};
use crate::error::AppResult;
use crate::routes::extract::Query;
use crate::routes::extract::{AnyRole, Authenticated};
use crate::routes::problems::NotFound;
use crate::services;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(stats_summary))
        .routes(routes!(stats_daily))
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

/// Per local date of the range (each site's own calendar): totals by
/// status, completion and pass rates, for charts. Every date of the range
/// is listed, days without schedules as zeros.
#[utoipa::path(get, path = "/stats/daily", tag = "stats", operation_id = "stats_daily",
    params(DailyQuery),
    responses(
        (status = 200, description = "The daily series", body = StatsDaily),
        (status = 404, response = NotFound)))]
async fn stats_daily(
    State(state): State<AppState>,
    auth: Authenticated<AnyRole>,
    Query(q): Query<DailyQuery>,
) -> AppResult<Json<StatsDaily>> {
    services::stats::daily(&state, &auth.user, q)
        .await
        .map(Json)
}
