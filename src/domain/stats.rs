//! The summary a manager reads: how much was done, how much passed, and
//! what the measured values were.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// `GET /stats/summary` query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// One site (default: every site of the caller).
    pub site_id: Option<i64>,
    /// Schedules due at or after (RFC 3339; default 30 days ago).
    pub from: Option<DateTime<Utc>>,
    /// Schedules due before (RFC 3339; default now); after `from`, at most ten years after it.
    pub to: Option<DateTime<Utc>>,
}

impl super::field::Checked for StatsQuery {}

/// Schedules by status.
#[derive(Debug, Default, Clone, Serialize, ToSchema)]
pub struct StatusCounts {
    pub open: i64,
    pub in_progress: i64,
    pub completed: i64,
    pub missed: i64,
    pub cancelled: i64,
}

/// Aggregates of one numeric checklist item of one plan.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ItemStats {
    pub plan_id: i64,
    pub key: super::plan::ItemKey,
    pub count: i64,
    pub sum: f64,
    pub avg: f64,
    pub min: f64,
    pub max: f64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatsSummary {
    pub site_id: Option<i64>,
    #[serde(serialize_with = "crate::domain::time::rfc3339")]
    pub from: DateTime<Utc>,
    #[serde(serialize_with = "crate::domain::time::rfc3339")]
    pub to: DateTime<Utc>,
    pub total: i64,
    pub by_status: StatusCounts,
    /// completed / (completed + missed); absent when none was due yet.
    pub completion_rate: Option<f64>,
    /// Results that passed / results recorded; absent without results.
    pub pass_rate: Option<f64>,
    pub results: i64,
    pub results_passed: i64,
    /// Per plan and numeric item: count, sum, avg, min, max.
    pub items: Vec<ItemStats>,
}
