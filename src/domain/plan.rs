//! Inspection plans: what to check on which equipment, when, by whom.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, NaiveTime, Timelike, Utc};
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::{IntoParams, ToSchema};

use super::field::{Checked, FieldError, Invalid, Parse, Rejection, integer_schema, string_schema};
use super::page::{IdCursor, Limit};
use super::recurrence::Recurrence;
use crate::{display_text, parsed, str_enum, string_newtype};

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

str_enum!(ItemKind { Check => "check", Number => "number", Text => "text" });

string_newtype!(
    /// The stable key of a checklist item: 1 to 64 of `a-z`, `0-9`, `_`.
    #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
    #[serde(transparent)]
    ItemKey
);

impl Parse for ItemKey {
    type Raw = String;
    fn parse(raw: String) -> Result<Self, Rejection> {
        let ok = (1..=64).contains(&raw.len())
            && raw
                .bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_');
        if ok {
            Ok(Self(raw))
        } else {
            Err(Rejection::new(
                "invalid_key",
                "must be 1 to 64 of a-z, 0-9 and _",
            ))
        }
    }
    fn placeholder() -> Self {
        Self(String::new())
    }
}

parsed!(
    ItemKey,
    string_schema(
        1,
        64,
        Some("^[a-z0-9_]+$"),
        "Stable key of a checklist item",
        "oil_pressure"
    )
);

display_text!(
    /// A title or label: 1 to 200 characters.
    Title,
    200,
    "프레스 일일 점검"
);

display_text!(
    /// A unit of measure: 1 to 32 characters.
    Unit,
    32,
    "MPa"
);

/// A measured value or a limit: a finite number within ±10^15.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize)]
#[serde(transparent)]
pub struct Measure(f64);

impl Measure {
    pub const BOUND: f64 = 1e15;
    pub fn get(self) -> f64 {
        self.0
    }
    /// A value this service stored after parsing it.
    pub fn trusted(v: f64) -> Self {
        Self(v)
    }
}

impl Parse for Measure {
    type Raw = f64;
    fn parse(raw: f64) -> Result<Self, Rejection> {
        if raw.is_finite() && raw.abs() <= Self::BOUND {
            Ok(Self(raw))
        } else {
            Err(Rejection::new(
                "range",
                "must be a number between -10^15 and 10^15",
            ))
        }
    }
    fn placeholder() -> Self {
        Self(0.0)
    }
}

parsed!(
    Measure,
    ObjectBuilder::new()
        .schema_type(Type::Number)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Double)))
        .minimum(Some(-Measure::BOUND))
        .maximum(Some(Measure::BOUND))
        .description(Some("A number between -10^15 and 10^15"))
);

/// The local time of day an inspection is due: `HH:MM` or `HH:MM:SS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueTime(pub NaiveTime);

impl Serialize for DueTime {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // `HH:MM:SS` written into a stack buffer: no `format!` per plan
        // of a list
        let t = self.0;
        let mut buf = [b':'; 8];
        for (at, v) in [(0, t.hour()), (3, t.minute()), (6, t.second())] {
            buf[at] = b'0' + (v / 10) as u8;
            buf[at + 1] = b'0' + (v % 10) as u8;
        }
        s.serialize_str(std::str::from_utf8(&buf).map_err(serde::ser::Error::custom)?)
    }
}

impl Parse for DueTime {
    type Raw = String;
    fn parse(raw: String) -> Result<Self, Rejection> {
        let b = raw.as_bytes();
        let two = |i: usize, max: u32| -> Option<u32> {
            let (h, l) = (*b.get(i)?, *b.get(i + 1)?);
            if !h.is_ascii_digit() || !l.is_ascii_digit() {
                return None;
            }
            let v = u32::from(h - b'0') * 10 + u32::from(l - b'0');
            (v <= max).then_some(v)
        };
        let parsed = match b.len() {
            5 if b[2] == b':' => two(0, 23).zip(two(3, 59)).map(|(h, m)| (h, m, 0)),
            8 if b[2] == b':' && b[5] == b':' => two(0, 23)
                .zip(two(3, 59))
                .zip(two(6, 59))
                .map(|((h, m), s)| (h, m, s)),
            _ => None,
        };
        parsed
            .and_then(|(h, m, s)| NaiveTime::from_hms_opt(h, m, s))
            .map(Self)
            .ok_or_else(|| Rejection::new("invalid_time", "must be a time of day like 09:00"))
    }
    fn placeholder() -> Self {
        Self(NaiveTime::MIN)
    }
}

parsed!(
    DueTime,
    string_schema(
        5,
        8,
        Some("^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"),
        "Local time of day, HH:MM or HH:MM:SS",
        "09:00"
    )
);

/// Hours after the due time before an inspection counts as missed, 1 to 168.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct WindowHours(u32);

impl WindowHours {
    pub const DEFAULT: WindowHours = WindowHours(4);
    pub fn get(self) -> u32 {
        self.0
    }
    /// A value this service stored after parsing it.
    pub fn trusted(v: u32) -> Self {
        Self(v)
    }
}

impl Default for WindowHours {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl Parse for WindowHours {
    type Raw = u32;
    fn parse(raw: u32) -> Result<Self, Rejection> {
        if (1..=168).contains(&raw) {
            Ok(Self(raw))
        } else {
            Err(Rejection::new("range", "must be between 1 and 168"))
        }
    }
    fn placeholder() -> Self {
        Self::DEFAULT
    }
}

parsed!(
    WindowHours,
    integer_schema(
        1,
        168,
        "Hours after the due time before the inspection counts as missed"
    )
    .default(Some(4.into()))
);

/// One line of a checklist.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChecklistItem {
    /// Unique in the plan.
    pub key: ItemKey,
    pub label: Title,
    pub kind: ItemKind,
    #[serde(default)]
    pub unit: Option<Unit>,
    /// Number items only.
    #[serde(default)]
    pub min: Option<Measure>,
    /// Number items only; not less than `min`.
    #[serde(default)]
    pub max: Option<Measure>,
    #[serde(default = "yes")]
    #[schema(default = true)]
    pub required: bool,
}

fn yes() -> bool {
    true
}

/// The rules across a checklist: 1 to 200 items, unique keys, limits only on
/// number items and in order.
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
        if !keys.insert(item.key.as_str()) {
            errors.push(FieldError::new(
                f("key"),
                "duplicate",
                format!("`{}` is used by an earlier item", item.key),
            ));
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
    }
    errors
}

/// A plan as the API shows it. `version` counts changes; the `ETag` header
/// carries it for `If-Match`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Plan {
    pub id: i64,
    pub site_id: i64,
    pub equipment_id: i64,
    pub title: Title,
    pub recurrence: Recurrence,
    pub due_time: DueTime,
    pub window_hours: WindowHours,
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
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPlan {
    pub equipment_id: i64,
    pub title: Title,
    pub recurrence: Recurrence,
    pub due_time: DueTime,
    #[serde(default)]
    pub window_hours: WindowHours,
    #[serde(default)]
    pub assignee_id: Option<i64>,
    pub items: Vec<ChecklistItem>,
}

impl Checked for NewPlan {
    fn check(&self) -> Result<(), Invalid> {
        let mut errors = self.recurrence.check("recurrence");
        errors.extend(check_items(&self.items));
        Invalid::or_ok(errors, || ())
    }
}

/// `PATCH /plans/{id}` body (send `If-Match`). `assignee_id: null` unassigns.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanPatch {
    #[serde(default)]
    pub title: Option<Title>,
    #[serde(default)]
    pub recurrence: Option<Recurrence>,
    #[serde(default)]
    pub due_time: Option<DueTime>,
    #[serde(default)]
    pub window_hours: Option<WindowHours>,
    #[serde(default, deserialize_with = "super::nullable")]
    #[schema(value_type = Option<i64>)]
    pub assignee_id: Option<Option<i64>>,
    #[serde(default)]
    pub items: Option<Vec<ChecklistItem>>,
    #[serde(default)]
    pub is_active: Option<bool>,
}

impl Checked for PlanPatch {
    fn check(&self) -> Result<(), Invalid> {
        let mut errors = Vec::new();
        if let Some(r) = &self.recurrence {
            errors.extend(r.check("recurrence"));
        }
        if let Some(items) = &self.items {
            errors.extend(check_items(items));
        }
        Invalid::or_ok(errors, || ())
    }
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
    #[param(inline)]
    pub limit: Option<Limit>,
    #[param(inline)]
    pub cursor: Option<IdCursor>,
}

impl Checked for PlanQuery {}

/// `GET /plans/{id}/occurrences` query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OccurrenceQuery {
    /// First local date, e.g. 2026-12-01.
    #[param(value_type = String, format = Date)]
    pub from: NaiveDate,
    /// Last local date (inclusive); not before `from`, at most 400 days after it.
    #[param(value_type = String, format = Date)]
    pub to: NaiveDate,
}

impl Checked for OccurrenceQuery {
    fn check(&self) -> Result<(), Invalid> {
        use super::recurrence::MAX_SPAN_DAYS;
        if self.to < self.from {
            return Err(Invalid::one("to", "before_from", "must not be before from"));
        }
        if (self.to - self.from).num_days() > MAX_SPAN_DAYS {
            return Err(Invalid::one(
                "to",
                "range",
                format!("at most {MAX_SPAN_DAYS} days after from"),
            ));
        }
        Ok(())
    }
}

/// One upcoming inspection of a plan.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Occurrence {
    /// Local date at the site.
    #[schema(value_type = String, format = Date)]
    #[serde(serialize_with = "crate::domain::time::date")]
    pub date: NaiveDate,
    /// The due instant (UTC).
    #[serde(serialize_with = "crate::domain::time::rfc3339")]
    pub due_at: DateTime<Utc>,
}

impl super::site::InSite for Plan {
    fn site_id(&self) -> i64 {
        self.site_id
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::test_support::{codes, parse_json};
    use serde_json::json;

    fn plan(items: serde_json::Value) -> serde_json::Value {
        json!({
            "equipment_id": 1, "title": "점검", "due_time": "09:00",
            "recurrence": {"frequency": "daily", "start_date": "2026-03-01"},
            "items": items
        })
    }

    #[test]
    fn items_are_parsed_then_checked_together() {
        let errs = codes(
            parse_json::<NewPlan>(plan(json!([
                {"key": "Bad Key", "label": "a", "kind": "number"},
                {"key": "ok", "label": " ", "kind": "number", "min": 1e16}
            ])))
            .unwrap_err(),
        );
        assert_eq!(
            errs,
            [
                ("items[0].key".to_owned(), "invalid_key".to_owned()),
                ("items[1].label".to_owned(), "blank".to_owned()),
                ("items[1].min".to_owned(), "range".to_owned()),
            ]
        );
        let errs = codes(
            parse_json::<NewPlan>(plan(json!([
                {"key": "p", "label": "a", "kind": "number", "min": 5, "max": 1},
                {"key": "p", "label": "b", "kind": "check", "min": 1}
            ])))
            .unwrap_err(),
        );
        assert_eq!(
            errs,
            [
                ("items[0].max".to_owned(), "less_than_min".to_owned()),
                ("items[1].key".to_owned(), "duplicate".to_owned()),
                ("items[1].min".to_owned(), "not_numeric".to_owned()),
            ]
        );
        let ok: NewPlan = parse_json(plan(
            json!([{"key": "p", "label": " 압력 ", "kind": "check"}]),
        ))
        .unwrap();
        assert_eq!(ok.window_hours, WindowHours::DEFAULT);
        assert_eq!(ok.items[0].label.as_str(), "압력");
        assert!(ok.items[0].required);
    }

    #[test]
    fn due_times() {
        let t = |s: &str| DueTime::parse(s.into()).map(|t| t.0);
        assert_eq!(
            t("09:00").unwrap(),
            NaiveTime::from_hms_opt(9, 0, 0).unwrap()
        );
        assert_eq!(
            t("23:59:30").unwrap(),
            NaiveTime::from_hms_opt(23, 59, 30).unwrap()
        );
        for bad in ["24:00", "9:00", "09:60", "09:00:60", "", "09-00", "09:00:0"] {
            assert!(t(bad).is_err(), "{bad}");
        }
    }
}
