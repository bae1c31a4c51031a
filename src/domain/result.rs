//! Inspection results: values checked against the plan version's checklist
//! and judged against its limits.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::plan::{ChecklistItem, ItemKind};
use crate::error::FieldError;

/// `PUT /schedules/{id}/result` body.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitResult {
    /// Item key → value: a number for `number` items, true/false for
    /// `check` items, a string for `text` items.
    #[schema(value_type = Object, example = json!({"oil_pressure": 12.5, "guard_closed": true}))]
    pub values: BTreeMap<String, Value>,
    #[serde(default)]
    pub notes: Option<String>,
}

/// One judged value.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ItemResult {
    pub key: String,
    pub kind: ItemKind,
    #[schema(value_type = Object)]
    pub value: Value,
    /// Within limits (numbers) or ticked (checks); absent for text.
    pub passed: Option<bool>,
}

/// The recorded result of one schedule.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct InspectionResult {
    pub schedule_id: i64,
    pub plan_id: i64,
    /// The plan version whose checklist the values were checked against.
    pub plan_version: i32,
    pub values: Vec<ItemResult>,
    pub notes: Option<String>,
    /// True when no judged item failed.
    pub passed: bool,
    /// Keys of the items out of limits or not ticked.
    pub failed_items: Vec<String>,
    /// Share of judged items that passed, 0..1 (absent when nothing was judged).
    pub pass_rate: Option<f64>,
    pub submitted_by: Option<i64>,
    #[serde(serialize_with = "crate::domain::time::rfc3339")]
    pub submitted_at: DateTime<Utc>,
}

/// The judged values, or every field error.
pub fn judge(
    items: &[ChecklistItem],
    input: &SubmitResult,
) -> Result<Vec<ItemResult>, Vec<FieldError>> {
    let mut errors = Vec::new();
    for key in input.values.keys() {
        if !items.iter().any(|i| &i.key == key) {
            errors.push(FieldError::new(
                format!("values.{key}"),
                "unknown_item",
                "is not an item of this plan's checklist",
            ));
        }
    }
    if input
        .notes
        .as_ref()
        .is_some_and(|n| n.chars().count() > 2000)
    {
        errors.push(FieldError::new(
            "notes",
            "length",
            "must be at most 2000 characters long",
        ));
    }
    let mut out = Vec::new();
    for item in items {
        let field = format!("values.{}", item.key);
        let value = match input.values.get(&item.key) {
            None | Some(Value::Null) => {
                if item.required {
                    errors.push(FieldError::new(
                        field,
                        "required",
                        format!("`{}` is required", item.label),
                    ));
                }
                continue;
            }
            Some(v) => v,
        };
        let passed = match item.kind {
            ItemKind::Number => match value.as_f64().filter(|v| v.is_finite()) {
                Some(v) => Some(item.min.is_none_or(|m| v >= m) && item.max.is_none_or(|m| v <= m)),
                None => {
                    errors.push(FieldError::new(field, "invalid_type", "must be a number"));
                    continue;
                }
            },
            ItemKind::Check => match value.as_bool() {
                Some(b) => Some(b),
                None => {
                    errors.push(FieldError::new(
                        field,
                        "invalid_type",
                        "must be true or false",
                    ));
                    continue;
                }
            },
            ItemKind::Text => match value.as_str() {
                Some(s) if s.chars().count() <= 2000 => None,
                Some(_) => {
                    errors.push(FieldError::new(
                        field,
                        "length",
                        "must be at most 2000 characters long",
                    ));
                    continue;
                }
                None => {
                    errors.push(FieldError::new(field, "invalid_type", "must be a string"));
                    continue;
                }
            },
        };
        out.push(ItemResult {
            key: item.key.clone(),
            kind: item.kind,
            value: value.clone(),
            passed,
        });
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// `passed`, `failed_items` and `pass_rate` of judged values.
pub fn summarize(values: &[ItemResult]) -> (bool, Vec<String>, Option<f64>) {
    let failed: Vec<String> = values
        .iter()
        .filter(|v| v.passed == Some(false))
        .map(|v| v.key.clone())
        .collect();
    let judged = values.iter().filter(|v| v.passed.is_some()).count();
    let rate = (judged > 0).then(|| (judged - failed.len()) as f64 / judged as f64);
    (failed.is_empty(), failed, rate)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn items() -> Vec<ChecklistItem> {
        serde_json::from_value(json!([
            {"key": "p", "label": "압력", "kind": "number", "min": 10, "max": 15},
            {"key": "g", "label": "가드", "kind": "check"},
            {"key": "n", "label": "비고", "kind": "text", "required": false}
        ]))
        .unwrap()
    }

    fn submit(values: Value) -> SubmitResult {
        serde_json::from_value(json!({"values": values})).unwrap()
    }

    #[test]
    fn judges_numbers_against_limits_and_checks() {
        let v = judge(&items(), &submit(json!({"p": 16.2, "g": true}))).unwrap();
        let (passed, failed, rate) = summarize(&v);
        assert!(!passed);
        assert_eq!(failed, ["p"]);
        assert_eq!(rate, Some(0.5));
        let v = judge(&items(), &submit(json!({"p": 10, "g": true, "n": "ok"}))).unwrap();
        assert_eq!(summarize(&v), (true, vec![], Some(1.0)));
    }

    #[test]
    fn reports_every_bad_value() {
        let errs = judge(&items(), &submit(json!({"p": "high", "x": 1}))).unwrap_err();
        let got: Vec<_> = errs
            .iter()
            .map(|e| (e.field.as_str(), e.code.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("values.x", "unknown_item"),
                ("values.p", "invalid_type"),
                ("values.g", "required")
            ]
        );
    }
}
