//! Schedules: one due inspection of a plan.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{ArrayBuilder, Type};
use utoipa::{IntoParams, ToSchema};

use super::equipment::Equipment;
use super::field::{Checked, Parse, Rejection, enum_schema};
use super::page::{DueCursor, Limit};
use super::plan::Plan;
use crate::{parsed, str_enum};

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

str_enum!(ScheduleStatus {
    Open => "open",
    InProgress => "in_progress",
    Completed => "completed",
    Missed => "missed",
    Cancelled => "cancelled",
});

impl ScheduleStatus {
    /// Whether the inspection can still be started, reassigned, cancelled or
    /// recorded.
    pub fn is_pending(self) -> bool {
        matches!(self, Self::Open | Self::InProgress)
    }

    /// The timestamp column a move into this status sets to "now":
    /// `started_at` for in_progress, `completed_at` for completed.
    pub fn stamps(self) -> Option<Stamp> {
        match self {
            Self::InProgress => Some(Stamp::Started),
            Self::Completed => Some(Stamp::Completed),
            Self::Open | Self::Missed | Self::Cancelled => None,
        }
    }
}

/// A timestamp of a schedule set when its status changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stamp {
    Started,
    Completed,
}

/// One due inspection.
#[derive(Debug, Clone, Serialize, ToSchema)]
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
    /// The local date at the site it is due on (the plan's occurrence date).
    #[schema(value_type = String, format = Date)]
    #[serde(serialize_with = "crate::domain::time::date")]
    pub due_date: NaiveDate,
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

/// What to embed in each schedule of a list: `plan`, `equipment`, or both
/// (comma-separated).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Include {
    pub plan: bool,
    pub equipment: bool,
}

impl Parse for Include {
    type Raw = String;
    fn parse(raw: String) -> Result<Self, Rejection> {
        let mut inc = Self::default();
        if raw.is_empty() {
            return Ok(inc);
        }
        for part in raw.split(',') {
            match part {
                "plan" => inc.plan = true,
                "equipment" => inc.equipment = true,
                _ => {
                    return Err(Rejection::new(
                        "invalid",
                        "use plan, equipment or plan,equipment",
                    ));
                }
            }
        }
        Ok(inc)
    }
    fn placeholder() -> Self {
        Self::default()
    }
}

parsed!(
    Include,
    ArrayBuilder::new()
        .schema_type(Type::Array)
        .items(enum_schema(
            ["plan", "equipment"],
            "A related object to embed"
        ))
        .description(Some("Related objects to embed in each schedule"))
        .examples([serde_json::json!(["plan", "equipment"])])
);

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
    #[param(inline, style = Form, explode = false)]
    pub include: Option<Include>,
    #[param(inline)]
    pub limit: Option<Limit>,
    #[param(inline)]
    pub cursor: Option<DueCursor>,
}

impl Checked for ScheduleQuery {}

/// The one status a manager may set by hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SetStatus {
    Cancelled,
}

impl From<SetStatus> for ScheduleStatus {
    fn from(s: SetStatus) -> Self {
        match s {
            SetStatus::Cancelled => Self::Cancelled,
        }
    }
}

/// `PATCH /schedules/{id}` body: reassign, or cancel.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SchedulePatch {
    /// `null` unassigns.
    #[serde(default, deserialize_with = "super::nullable")]
    #[schema(value_type = Option<i64>)]
    pub assignee_id: Option<Option<i64>>,
    /// Only `cancelled` may be set here; start and result do the rest.
    #[serde(default)]
    pub status: Option<SetStatus>,
}

impl Checked for SchedulePatch {}

impl super::site::InSite for Schedule {
    fn site_id(&self) -> i64 {
        self.site_id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn include_lists_known_names_only() {
        let inc = Include::parse("plan,equipment".into()).unwrap();
        assert!(inc.plan && inc.equipment);
        assert_eq!(Include::parse("".into()).unwrap(), Include::default());
        assert!(Include::parse("plan, equipment".into()).is_err());
        assert!(Include::parse("owner".into()).is_err());
        assert!(Include::parse("plan,".into()).is_err());
    }

    #[test]
    fn statuses_round_trip_strictly() {
        for s in ScheduleStatus::ALL {
            assert_eq!(s.as_str().parse::<ScheduleStatus>().unwrap(), *s);
        }
        assert!("done".parse::<ScheduleStatus>().is_err());
        assert_eq!(ScheduleStatus::Completed.stamps(), Some(Stamp::Completed));
    }
}
