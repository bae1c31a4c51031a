use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "results")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub schedule_id: i64,
    pub plan_id: i64,
    pub plan_version: i32,
    pub site_id: i64,
    pub due_at: DateTimeWithTimeZone,
    pub due_day: i64,
    pub submitted_by: Option<i64>,
    pub submitted_at: DateTimeWithTimeZone,
    pub notes: Option<String>,
    pub passed: bool,
    pub failed_items: Json,
    #[sea_orm(column_type = "Double", nullable)]
    pub pass_rate: Option<f64>,
    pub response: Json,
    pub idempotency_key: Option<String>,
    pub request_hash: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
