//! Equipment: the machines inspected at a site.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::site::{parse_code, parse_name};
use crate::error::{AppError, AppResult, FieldError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum EquipmentStatus {
    Active,
    Retired,
}

impl EquipmentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Retired => "retired",
        }
    }

    pub fn parse(s: &str) -> Self {
        if s == "retired" {
            Self::Retired
        } else {
            Self::Active
        }
    }
}

/// A piece of equipment.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Equipment {
    pub id: i64,
    pub site_id: i64,
    /// Unique within its site, upper case.
    #[schema(example = "PRESS-01")]
    pub code: String,
    #[schema(example = "프레스 1호기")]
    pub name: String,
    /// Production line.
    #[schema(example = "A라인")]
    pub line: String,
    /// Kind of machine.
    #[schema(example = "press")]
    pub kind: String,
    pub status: EquipmentStatus,
    #[serde(serialize_with = "crate::domain::time::rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::domain::time::rfc3339")]
    pub updated_at: DateTime<Utc>,
}

/// `POST /equipment` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateEquipment {
    pub site_id: i64,
    #[schema(example = "PRESS-01")]
    pub code: String,
    #[schema(example = "프레스 1호기")]
    pub name: String,
    #[schema(example = "A라인")]
    pub line: String,
    #[schema(example = "press")]
    pub kind: String,
    /// Defaults to `active`.
    pub status: Option<EquipmentStatus>,
}

/// `PATCH /equipment/{id}` body: only the fields to change.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateEquipment {
    pub code: Option<String>,
    pub name: Option<String>,
    pub line: Option<String>,
    pub kind: Option<String>,
    pub status: Option<EquipmentStatus>,
}

/// Checked equipment fields; `None` means unchanged.
#[derive(Debug, Default, Clone)]
pub struct EquipmentFields {
    pub code: Option<String>,
    pub name: Option<String>,
    pub line: Option<String>,
    pub kind: Option<String>,
    pub status: Option<EquipmentStatus>,
}

impl CreateEquipment {
    pub fn parse(self) -> AppResult<(i64, EquipmentFields)> {
        let site_id = self.site_id;
        let fields = UpdateEquipment {
            code: Some(self.code),
            name: Some(self.name),
            line: Some(self.line),
            kind: Some(self.kind),
            status: Some(self.status.unwrap_or(EquipmentStatus::Active)),
        }
        .parse()?;
        Ok((site_id, fields))
    }
}

impl UpdateEquipment {
    pub fn parse(self) -> AppResult<EquipmentFields> {
        let mut errors: Vec<FieldError> = Vec::new();
        let mut keep = |r: Result<String, FieldError>| r.map_err(|e| errors.push(e)).ok();
        let fields = EquipmentFields {
            code: self.code.and_then(|c| keep(parse_code("code", &c, 32))),
            name: self.name.and_then(|n| keep(parse_name("name", &n, 100))),
            line: self.line.and_then(|l| keep(parse_name("line", &l, 64))),
            kind: self.kind.and_then(|k| keep(parse_name("kind", &k, 64))),
            status: self.status,
        };
        if errors.is_empty() {
            Ok(fields)
        } else {
            Err(AppError::Validation(errors))
        }
    }
}

/// `GET /equipment` query.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EquipmentQuery {
    /// Only equipment of this site.
    pub site_id: Option<i64>,
    /// Only equipment on this line.
    pub line: Option<String>,
    /// Only active or retired equipment.
    pub status: Option<EquipmentStatus>,
    /// Page size, 1 to 100 (default 50).
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}
