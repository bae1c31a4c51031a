use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sites")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub code: String,
    pub name: String,
    pub country_code: String,
    pub timezone: String,
    pub created_at: DateTimeWithTimeZone,
    pub updated_at: DateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::equipment::Entity")]
    Equipment,
    #[sea_orm(has_many = "super::site_members::Entity")]
    SiteMembers,
}

impl Related<super::equipment::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Equipment.def()
    }
}

impl Related<super::site_members::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::SiteMembers.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
