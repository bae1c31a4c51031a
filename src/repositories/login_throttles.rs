//! Failed-login counters keyed by account or client address, in the
//! database so every instance behind a load balancer sees the same counts.
//! Windows are fixed: the first failure opens one, and it resets once it is
//! older than the window length.

use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};

use crate::entities::login_throttles::{self, Column, Entity as Throttles};

/// Failures counted in the current window and when that window opened (unix s).
pub async fn get(conn: &impl ConnectionTrait, key: &str) -> Result<Option<(u32, i64)>, DbErr> {
    Ok(Throttles::find_by_id(key.to_owned())
        .one(conn)
        .await?
        .map(|m| (u32::try_from(m.failures).unwrap_or(0), m.window_start)))
}

/// Counts one failure atomically (concurrent failures are all counted).
pub async fn record_failure(
    conn: &impl ConnectionTrait,
    key: &str,
    now: i64,
    window_secs: i64,
) -> Result<(), DbErr> {
    for _ in 0..3 {
        // Still inside the window: count up.
        let res = Throttles::update_many()
            .col_expr(Column::Failures, Expr::col(Column::Failures).add(1))
            .filter(Column::Key.eq(key))
            .filter(Column::WindowStart.gt(now - window_secs))
            .exec(conn)
            .await?;
        if res.rows_affected > 0 {
            return Ok(());
        }
        // An expired window: open a new one.
        let res = Throttles::update_many()
            .col_expr(Column::Failures, Expr::value(1))
            .col_expr(Column::WindowStart, Expr::value(now))
            .filter(Column::Key.eq(key))
            .filter(Column::WindowStart.lte(now - window_secs))
            .exec(conn)
            .await?;
        if res.rows_affected > 0 {
            return Ok(());
        }
        // No row yet. If another request inserts first, go round again.
        let inserted = Throttles::insert(login_throttles::ActiveModel {
            key: Set(key.to_owned()),
            failures: Set(1),
            window_start: Set(now),
        })
        .on_conflict(OnConflict::column(Column::Key).do_nothing().to_owned())
        .exec_without_returning(conn)
        .await?;
        if inserted > 0 {
            return Ok(());
        }
    }
    Ok(())
}

pub async fn clear(conn: &impl ConnectionTrait, key: &str) -> Result<(), DbErr> {
    Throttles::delete_many()
        .filter(Column::Key.eq(key))
        .exec(conn)
        .await?;
    Ok(())
}
