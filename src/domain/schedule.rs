//! Schedules: one due inspection of a plan.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::equipment::Equipment;
use super::plan::Plan;
use crate::error::{AppError, AppResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ScheduleStatus {
    Open,
    InProgress,
    Completed,
    /// The window passed without a result.
    Missed,
    Cancelled,
}

impl ScheduleStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::InProgress => "in_progress",
            Self::Completed => "completed",
            Self::Missed => "missed",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "in_progress" => Self::InProgress,
            "completed" => Self::Completed,
            "missed" => Self::Missed,
            "cancelled" => Self::Cancelled,
            _ => Self::Open,
        }
    }
}

/// One due inspection.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Schedule {
    pub id: i64,
    pub plan_id: i64,
    /// The plan version whose checklist applies.
    pub plan_version: i32,
    pub site_id: i64,
    pub equipment_id: i64,
    pub assignee_id: Option<i64>,
    #[serde(serialize_with = "crate::domain::time::rfc3339")]
    pub due_at: DateTime<Utc>,
    /// After this instant an open schedule is `missed`.
    #[serde(serialize_with = "crate::domain::time::rfc3339")]
    pub window_ends_at: DateTime<Utc>,
    pub status: ScheduleStatus,
    #[serde(serialize_with = "crate::domain::time::rfc3339_opt")]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(serialize_with = "crate::domain::time::rfc3339_opt")]
    pub completed_at: Option<DateTime<Utc>>,
    #[serde(serialize_with = "crate::domain::time::rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::domain::time::rfc3339")]
    pub updated_at: DateTime<Utc>,
    /// With `include=plan`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<Plan>,
    /// With `include=equipment`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equipment: Option<Equipment>,
}

/// `GET /schedules` query.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ScheduleQuery {
    pub site_id: Option<i64>,
    pub plan_id: Option<i64>,
    pub equipment_id: Option<i64>,
    pub assignee_id: Option<i64>,
    pub status: Option<ScheduleStatus>,
    /// Due at or after this instant (RFC 3339).
    pub due_from: Option<DateTime<Utc>>,
    /// Due before this instant (RFC 3339).
    pub due_to: Option<DateTime<Utc>>,
    /// Comma-separated: `plan`, `equipment`.
    #[param(example = "plan,equipment")]
    pub include: Option<String>,
    /// Page size, 1 to 100 (default 50).
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// What to embed in each schedule of a list.
#[derive(Debug, Default, Clone, Copy)]
pub struct Include {
    pub plan: bool,
    pub equipment: bool,
}

impl Include {
    pub fn parse(raw: Option<&str>) -> AppResult<Self> {
        let mut inc = Self::default();
        for part in raw
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            match part {
                "plan" => inc.plan = true,
                "equipment" => inc.equipment = true,
                other => {
                    return Err(AppError::validation(
                        "include",
                        "invalid",
                        format!("unknown include `{other}`; use plan, equipment"),
                    ));
                }
            }
        }
        Ok(inc)
    }
}

/// `PATCH /schedules/{id}` body: reassign, or cancel.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSchedule {
    /// `null` unassigns.
    #[serde(default, deserialize_with = "super::nullable")]
    #[schema(value_type = Option<i64>)]
    pub assignee_id: Option<Option<i64>>,
    /// Only `cancelled` may be set here.
    pub status: Option<ScheduleStatus>,
}

/// Keyset cursor over (due_at, id).
pub fn encode_cursor(due_at: DateTime<Utc>, id: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}:{id}", due_at.timestamp_micros()))
}

pub fn decode_cursor(raw: Option<&str>) -> AppResult<Option<(DateTime<Utc>, i64)>> {
    let Some(raw) = raw else { return Ok(None) };
    let bad = || AppError::validation("cursor", "invalid", "is not a cursor this API issued");
    let text =
        String::from_utf8(URL_SAFE_NO_PAD.decode(raw).map_err(|_| bad())?).map_err(|_| bad())?;
    let (micros, id) = text.split_once(':').ok_or_else(bad)?;
    let due =
        DateTime::from_timestamp_micros(micros.parse().map_err(|_| bad())?).ok_or_else(bad)?;
    Ok(Some((due, id.parse().map_err(|_| bad())?)))
}
