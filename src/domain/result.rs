//! Inspection results: values checked against the plan version's checklist
//! and judged against its limits.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};

use super::field::{Checked, FieldError, Parse, Rejection, free_text, string_schema};
use super::plan::{ChecklistItem, ItemKey, ItemKind, Measure};
use crate::{parsed, string_newtype};

/// The most characters of a text value or of the notes.
pub const MAX_TEXT: usize = 2000;

/// A recorded value: a number (`number` items), true/false (`check`
/// items) or a text (`text` items).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ItemValue {
    Number(Measure),
    Check(bool),
    Text(String),
}

impl ItemValue {
    pub fn kind(&self) -> ItemKind {
        match self {
            Self::Number(_) => ItemKind::Number,
            Self::Check(_) => ItemKind::Check,
            Self::Text(_) => ItemKind::Text,
        }
    }
}

impl Parse for ItemValue {
    type Raw = Value;
    fn parse(raw: Value) -> Result<Self, Rejection> {
        match raw {
            Value::Bool(b) => Ok(Self::Check(b)),
            Value::Number(n) => {
                Measure::parse(n.as_f64().unwrap_or(f64::INFINITY)).map(Self::Number)
            }
            Value::String(s) => free_text(s, MAX_TEXT).map(Self::Text),
            _ => Err(Rejection::new(
                "invalid_type",
                "must be a number, true/false or a string",
            )),
        }
    }
    fn placeholder() -> Self {
        Self::Check(false)
    }
}

parsed!(
    ItemValue,
    OneOfBuilder::new()
        .item(<Measure as utoipa::PartialSchema>::schema())
        .item(ObjectBuilder::new().schema_type(Type::Boolean))
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .max_length(Some(MAX_TEXT))
                .pattern(Some(r"^[^\x00]*$"))
        )
        .description(Some(
            "A number for `number` items, true/false for `check` items, a string for `text` items"
        ))
);

string_newtype!(
    /// Notes on a result: at most 2000 characters.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    #[serde(transparent)]
    Notes
);

impl Parse for Notes {
    type Raw = String;
    fn parse(raw: String) -> Result<Self, Rejection> {
        free_text(raw, MAX_TEXT).map(Self)
    }
    fn placeholder() -> Self {
        Self(String::new())
    }
}

parsed!(
    Notes,
    string_schema(0, MAX_TEXT, Some(r"^[^\x00]*$"), "Free text", "압력 높음")
);

string_newtype!(
    /// The client's key of one submission, so a retry returns the first answer:
    /// 1 to 255 visible ASCII characters.
    #[derive(Debug, Clone, PartialEq, Eq)]
    IdempotencyKey
);

impl Parse for IdempotencyKey {
    type Raw = String;
    fn parse(raw: String) -> Result<Self, Rejection> {
        if !raw.is_empty() && raw.len() <= 255 && raw.bytes().all(|b| b.is_ascii_graphic()) {
            Ok(Self(raw))
        } else {
            Err(Rejection::new(
                "invalid",
                "must be 1 to 255 visible ASCII characters",
            ))
        }
    }
    fn placeholder() -> Self {
        Self(String::new())
    }
}

parsed!(
    IdempotencyKey,
    string_schema(
        1,
        255,
        Some("^[\\x21-\\x7e]+$"),
        "Unique per submission, reused on retries",
        "c0a8f1e2-7d4b-4c1e-9a3f-2b6d8e0f1a2c"
    )
);

/// `PUT /schedules/{id}/result` body.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitResult {
    /// Item key → value; `null` or absent for an item not recorded.
    #[schema(schema_with = values_schema)]
    pub values: BTreeMap<ItemKey, Option<ItemValue>>,
    #[serde(default)]
    pub notes: Option<Notes>,
}

impl Checked for SubmitResult {}

fn values_schema() -> utoipa::openapi::Object {
    use utoipa::openapi::schema::AdditionalProperties;
    let value = OneOfBuilder::new()
        .item(utoipa::openapi::Ref::from_schema_name("ItemValue"))
        .item(ObjectBuilder::new().schema_type(Type::Null));
    let key = <ItemKey as utoipa::PartialSchema>::schema();
    let key = match key {
        utoipa::openapi::RefOr::T(s) => Some(s),
        utoipa::openapi::RefOr::Ref(_) => None,
    };
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .property_names(key)
        .additional_properties(Some(AdditionalProperties::RefOr(value.into())))
        .examples([serde_json::json!({"oil_pressure": 12.5, "guard_closed": true})])
        .build()
}

/// One judged value.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ItemResult {
    pub key: ItemKey,
    pub kind: ItemKind,
    pub value: ItemValue,
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
    pub notes: Option<Notes>,
    /// True when no judged item failed.
    pub passed: bool,
    /// Keys of the items out of limits or not ticked.
    pub failed_items: Vec<ItemKey>,
    /// Share of judged items that passed, 0..1 (absent when nothing was judged).
    pub pass_rate: Option<f64>,
    pub submitted_by: Option<i64>,
    #[serde(serialize_with = "crate::domain::time::rfc3339")]
    pub submitted_at: DateTime<Utc>,
}

/// A result with the site it was recorded at, as the audit log records it.
pub struct RecordedResult<'a> {
    pub site_id: i64,
    pub result: &'a InspectionResult,
}

impl Serialize for RecordedResult<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.result.serialize(s)
    }
}

impl super::audit::Audited for RecordedResult<'_> {
    const KIND: super::audit::EntityKind = super::audit::EntityKind::Result;
    fn audit_id(&self) -> i64 {
        self.result.schedule_id
    }
    fn audit_site(&self) -> Option<i64> {
        Some(self.site_id)
    }
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
    let mut out = Vec::new();
    for item in items {
        let field = format!("values.{}", item.key);
        let Some(Some(value)) = input.values.get(&item.key) else {
            if item.required {
                errors.push(FieldError::new(
                    field,
                    "required",
                    format!("`{}` is required", item.label),
                ));
            }
            continue;
        };
        let passed = match (item.kind, value) {
            (ItemKind::Number, ItemValue::Number(v)) => {
                let v = v.get();
                Some(item.min.is_none_or(|m| v >= m.get()) && item.max.is_none_or(|m| v <= m.get()))
            }
            (ItemKind::Check, ItemValue::Check(b)) => Some(*b),
            (ItemKind::Text, ItemValue::Text(_)) => None,
            (kind, _) => {
                let expected = match kind {
                    ItemKind::Number => "must be a number",
                    ItemKind::Check => "must be true or false",
                    ItemKind::Text => "must be a string",
                };
                errors.push(FieldError::new(field, "invalid_type", expected));
                continue;
            }
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
pub fn summarize(values: &[ItemResult]) -> (bool, Vec<ItemKey>, Option<f64>) {
    let failed: Vec<ItemKey> = values
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
        assert_eq!(
            failed.iter().map(ItemKey::as_str).collect::<Vec<_>>(),
            ["p"]
        );
        assert_eq!(rate, Some(0.5));
        let v = judge(&items(), &submit(json!({"p": 10, "g": true, "n": "ok"}))).unwrap();
        let (passed, failed, rate) = summarize(&v);
        assert!(passed && failed.is_empty());
        assert_eq!(rate, Some(1.0));
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
