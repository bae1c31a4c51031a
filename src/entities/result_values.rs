use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "result_values")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub result_id: i64,
    pub site_id: i64,
    pub plan_id: i64,
    pub due_at: DateTimeWithTimeZone,
    pub due_day: i64,
    pub item_key: String,
    pub kind: String,
    #[sea_orm(column_type = "Double", nullable)]
    pub number_value: Option<f64>,
    pub bool_value: Option<bool>,
    pub text_value: Option<String>,
    pub passed: Option<bool>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
