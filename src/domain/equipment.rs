//! Equipment: the machines inspected at a site.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::field::Checked;
use super::page::{IdCursor, Limit};
use super::site::Code;
use crate::{display_text, str_enum};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum EquipmentStatus {
    Active,
    Retired,
}

str_enum!(EquipmentStatus { Active => "active", Retired => "retired" });

display_text!(
    /// The name of a machine: 1 to 100 characters.
    EquipmentName,
    100,
    "프레스 1호기"
);

display_text!(
    /// A production line or a kind of machine: 1 to 64 characters.
    Label,
    64,
    "A라인"
);

/// A piece of equipment.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Equipment {
    pub id: i64,
    pub site_id: i64,
    /// Unique within its site.
    pub code: Code,
    pub name: EquipmentName,
    /// Production line.
    pub line: Label,
    /// Kind of machine, e.g. `press`.
    pub kind: Label,
    pub status: EquipmentStatus,
    #[serde(serialize_with = "crate::domain::time::rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::domain::time::rfc3339")]
    pub updated_at: DateTime<Utc>,
}

/// `POST /equipment` body.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEquipment {
    pub site_id: i64,
    pub code: Code,
    pub name: EquipmentName,
    pub line: Label,
    pub kind: Label,
    /// Defaults to `active`.
    #[serde(default = "active")]
    pub status: EquipmentStatus,
}

impl Checked for NewEquipment {}

fn active() -> EquipmentStatus {
    EquipmentStatus::Active
}

/// `PATCH /equipment/{id}` body: only the fields to change.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EquipmentPatch {
    pub code: Option<Code>,
    pub name: Option<EquipmentName>,
    pub line: Option<Label>,
    pub kind: Option<Label>,
    pub status: Option<EquipmentStatus>,
}

impl Checked for EquipmentPatch {}

/// `GET /equipment` query.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EquipmentQuery {
    /// Only equipment of this site.
    pub site_id: Option<i64>,
    /// Only equipment on this line.
    #[param(inline)]
    pub line: Option<Label>,
    /// Only active or retired equipment.
    pub status: Option<EquipmentStatus>,
    #[param(inline)]
    pub limit: Option<Limit>,
    #[param(inline)]
    pub cursor: Option<IdCursor>,
}

impl Checked for EquipmentQuery {}

impl super::site::InSite for Equipment {
    fn site_id(&self) -> i64 {
        self.site_id
    }
}
