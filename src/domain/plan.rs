//! Inspection plans: what to check on which equipment, when, by whom.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::recurrence::Recurrence;
use super::site::parse_name;
use crate::error::{AppError, AppResult, FieldError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ItemKind {
    /// Pass/fail tick.
    Check,
    /// A measured value, judged against `min` / `max`.
    Number,
    /// Free text.
    Text,
}

/// One line of a checklist.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChecklistItem {
    /// Stable key, unique in the plan: `a-z`, `0-9`, `_`.
    #[schema(example = "oil_pressure")]
    pub key: String,
    #[schema(example = "유압 (MPa)")]
    pub label: String,
    pub kind: ItemKind,
    #[serde(default)]
    #[schema(example = "MPa")]
    pub unit: Option<String>,
    #[serde(default)]
    pub min: Option<f64>,
    #[serde(default)]
    pub max: Option<f64>,
    #[serde(default = "yes")]
    pub required: bool,
}

fn yes() -> bool {
    true
}

/// A plan as the API shows it. `version` counts changes; the `ETag` header
/// carries it for `If-Match`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Plan {
    pub id: i64,
    pub site_id: i64,
    pub equipment_id: i64,
    #[schema(example = "프레스 일일 점검")]
    pub title: String,
    pub recurrence: Recurrence,
    /// Local time of day the inspection is due, `HH:MM`.
    #[schema(value_type = String, example = "09:00")]
    pub due_time: NaiveTime,
    /// Hours after the due time before the inspection counts as missed.
    pub window_hours: u32,
    pub assignee_id: Option<i64>,
    pub is_active: bool,
    pub version: i32,
    pub items: Vec<ChecklistItem>,
    #[serde(serialize_with = "crate::domain::time::rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::domain::time::rfc3339")]
    pub updated_at: DateTime<Utc>,
}

impl Plan {
    pub fn etag(&self) -> String {
        format!("\"{}-{}\"", self.id, self.version)
    }
}

/// `POST /plans` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePlan {
    pub equipment_id: i64,
    pub title: String,
    pub recurrence: Recurrence,
    #[schema(value_type = String, example = "09:00")]
    pub due_time: NaiveTime,
    /// Default 4.
    #[serde(default)]
    pub window_hours: Option<u32>,
    #[serde(default)]
    pub assignee_id: Option<i64>,
    pub items: Vec<ChecklistItem>,
}

/// `PATCH /plans/{id}` body (send `If-Match`). `assignee_id: null` unassigns.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatePlan {
    pub title: Option<String>,
    pub recurrence: Option<Recurrence>,
    #[schema(value_type = Option<String>, example = "09:00")]
    pub due_time: Option<NaiveTime>,
    pub window_hours: Option<u32>,
    #[serde(default, deserialize_with = "super::nullable")]
    #[schema(value_type = Option<i64>)]
    pub assignee_id: Option<Option<i64>>,
    pub items: Option<Vec<ChecklistItem>>,
    pub is_active: Option<bool>,
}

/// Checked plan fields; `None` means unchanged.
#[derive(Debug, Default, Clone)]
pub struct PlanFields {
    pub title: Option<String>,
    pub recurrence: Option<Recurrence>,
    pub due_time: Option<NaiveTime>,
    pub window_hours: Option<u32>,
    pub assignee_id: Option<Option<i64>>,
    pub items: Option<Vec<ChecklistItem>>,
    pub is_active: Option<bool>,
}

impl CreatePlan {
    pub fn parse(self) -> AppResult<(i64, PlanFields)> {
        let equipment_id = self.equipment_id;
        let fields = UpdatePlan {
            title: Some(self.title),
            recurrence: Some(self.recurrence),
            due_time: Some(self.due_time),
            window_hours: Some(self.window_hours.unwrap_or(4)),
            assignee_id: Some(self.assignee_id),
            items: Some(self.items),
            is_active: Some(true),
        }
        .parse()?;
        Ok((equipment_id, fields))
    }
}

impl UpdatePlan {
    pub fn parse(self) -> AppResult<PlanFields> {
        let mut errors = Vec::new();
        let title = self.title.and_then(|t| {
            parse_name("title", &t, 200)
                .map_err(|e| errors.push(e))
                .ok()
        });
        if let Some(r) = &self.recurrence {
            errors.extend(r.check("recurrence"));
        }
        if let Some(w) = self.window_hours
            && !(1..=168).contains(&w)
        {
            errors.push(FieldError::new(
                "window_hours",
                "range",
                "must be between 1 and 168",
            ));
        }
        if let Some(items) = &self.items {
            errors.extend(check_items(items));
        }
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        Ok(PlanFields {
            title,
            recurrence: self.recurrence,
            due_time: self.due_time,
            window_hours: self.window_hours,
            assignee_id: self.assignee_id,
            items: self.items.map(|items| {
                items
                    .into_iter()
                    .map(|i| ChecklistItem {
                        label: i.label.trim().to_owned(),
                        ..i
                    })
                    .collect()
            }),
            is_active: self.is_active,
        })
    }
}

fn check_items(items: &[ChecklistItem]) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if items.is_empty() || items.len() > 200 {
        errors.push(FieldError::new(
            "items",
            "length",
            "a plan needs 1 to 200 checklist items",
        ));
    }
    let mut keys = HashSet::new();
    for (i, item) in items.iter().enumerate() {
        let f = |name: &str| format!("items[{i}].{name}");
        let key_ok = !item.key.is_empty()
            && item.key.len() <= 64
            && item
                .key
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !key_ok {
            errors.push(FieldError::new(
                f("key"),
                "invalid_key",
                "must be 1 to 64 of a-z, 0-9 and _",
            ));
        } else if !keys.insert(item.key.as_str()) {
            errors.push(FieldError::new(
                f("key"),
                "duplicate",
                format!("`{}` is used by an earlier item", item.key),
            ));
        }
        if let Err(e) = parse_name(&f("label"), &item.label, 200) {
            errors.push(e);
        }
        if item.kind != ItemKind::Number && (item.min.is_some() || item.max.is_some()) {
            errors.push(FieldError::new(
                f("min"),
                "not_numeric",
                "only number items have min and max",
            ));
        }
        if let (Some(min), Some(max)) = (item.min, item.max)
            && min > max
        {
            errors.push(FieldError::new(
                f("max"),
                "less_than_min",
                "must not be less than min",
            ));
        }
        for (name, v) in [("min", item.min), ("max", item.max)] {
            if v.is_some_and(|v| !v.is_finite()) {
                errors.push(FieldError::new(
                    f(name),
                    "invalid",
                    "must be a finite number",
                ));
            }
        }
    }
    errors
}

/// `GET /plans` query.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PlanQuery {
    pub site_id: Option<i64>,
    pub equipment_id: Option<i64>,
    pub assignee_id: Option<i64>,
    /// Only active (true) or deactivated (false) plans.
    pub active: Option<bool>,
    /// Page size, 1 to 100 (default 50).
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// `GET /plans/{id}/occurrences` query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OccurrenceQuery {
    /// First local date, e.g. 2026-12-01.
    #[param(value_type = String, format = Date)]
    pub from: NaiveDate,
    /// Last local date (inclusive); at most 400 days after `from`.
    #[param(value_type = String, format = Date)]
    pub to: NaiveDate,
}

/// One upcoming inspection of a plan.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Occurrence {
    /// Local date at the site.
    #[schema(value_type = String, format = Date)]
    pub date: NaiveDate,
    /// The due instant (UTC).
    #[serde(serialize_with = "crate::domain::time::rfc3339")]
    pub due_at: DateTime<Utc>,
}
