//! Queries for refresh tokens. Only SHA-256 hashes of tokens are stored.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter,
};

use crate::entities::refresh_tokens::{self, Column, Entity as RefreshTokens};

pub use refresh_tokens::Model as RefreshToken;

pub async fn insert(
    conn: &impl ConnectionTrait,
    user_id: i64,
    family_id: &str,
    token_hash: String,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    refresh_tokens::ActiveModel {
        user_id: Set(user_id),
        family_id: Set(family_id.to_owned()),
        token_hash: Set(token_hash),
        expires_at: Set(expires_at.into()),
        created_at: Set(now.into()),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(())
}

pub async fn find_by_hash(
    conn: &impl ConnectionTrait,
    token_hash: &str,
) -> Result<Option<RefreshToken>, DbErr> {
    RefreshTokens::find()
        .filter(Column::TokenHash.eq(token_hash))
        .one(conn)
        .await
}

/// Marks a live token spent. False when it was already spent or revoked,
/// which includes losing a race against a concurrent use of the same token.
pub async fn spend(
    conn: &impl ConnectionTrait,
    id: i64,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let res = RefreshTokens::update_many()
        .col_expr(
            Column::UsedAt,
            Expr::value(DateTime::<chrono::FixedOffset>::from(now)),
        )
        .filter(Column::Id.eq(id))
        .filter(Column::UsedAt.is_null())
        .filter(Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}

pub async fn revoke_family(
    conn: &impl ConnectionTrait,
    family_id: &str,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let res = RefreshTokens::update_many()
        .col_expr(
            Column::RevokedAt,
            Expr::value(DateTime::<chrono::FixedOffset>::from(now)),
        )
        .filter(Column::FamilyId.eq(family_id))
        .filter(Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(res.rows_affected)
}

pub async fn revoke_all_for_user(
    conn: &impl ConnectionTrait,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let res = RefreshTokens::update_many()
        .col_expr(
            Column::RevokedAt,
            Expr::value(DateTime::<chrono::FixedOffset>::from(now)),
        )
        .filter(Column::UserId.eq(user_id))
        .filter(Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(res.rows_affected)
}
