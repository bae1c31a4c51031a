//! Queries for the secrets instances share.

use chrono::Utc;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait};

use crate::entities::server_secrets::{self, Column, Entity as Secrets};

/// The secret called `name`: the stored one, or `candidate` if none was
/// stored yet. When instances start together, the first insert wins and
/// every instance reads that one.
pub async fn get_or_insert(
    conn: &impl ConnectionTrait,
    name: &str,
    candidate: &str,
) -> Result<String, DbErr> {
    Secrets::insert(server_secrets::ActiveModel {
        name: Set(name.to_owned()),
        value: Set(candidate.to_owned()),
        created_at: Set(Utc::now().into()),
    })
    .on_conflict(OnConflict::column(Column::Name).do_nothing().to_owned())
    .exec_without_returning(conn)
    .await?;
    Secrets::find_by_id(name.to_owned())
        .one(conn)
        .await?
        .map(|m| m.value)
        .ok_or_else(|| DbErr::RecordNotFound(format!("server secret {name}")))
}
