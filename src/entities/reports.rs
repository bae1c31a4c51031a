use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reports")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub site_id: i64,
    pub requested_by: Option<i64>,
    pub kind: String,
    pub format: String,
    pub locale: String,
    pub period_from: DateTimeWithTimeZone,
    pub period_to: DateTimeWithTimeZone,
    pub status: String,
    pub attempts: i32,
    pub max_attempts: i32,
    pub run_after: DateTimeWithTimeZone,
    pub lease_until: Option<DateTimeWithTimeZone>,
    pub worker: Option<String>,
    pub rows_total: Option<i64>,
    pub rows_written: i64,
    pub file_name: String,
    pub object_key: String,
    pub content_type: String,
    pub size_bytes: Option<i64>,
    #[sea_orm(column_type = "Text", nullable)]
    pub error: Option<String>,
    pub created_at: DateTimeWithTimeZone,
    pub started_at: Option<DateTimeWithTimeZone>,
    pub finished_at: Option<DateTimeWithTimeZone>,
    pub expires_at: Option<DateTimeWithTimeZone>,
    pub updated_at: DateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::sites::Entity",
        from = "Column::SiteId",
        to = "super::sites::Column::Id",
        on_update = "NoAction",
        on_delete = "Restrict"
    )]
    Sites,
}

impl Related<super::sites::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Sites.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
