//! Equipment of the caller's sites; codes unique per site.

use chrono::Utc;
use sea_orm::{DbErr, SqlErr};

use crate::db::begin_write;
use crate::domain::auth::CurrentUser;
use crate::domain::equipment::{CreateEquipment, Equipment, EquipmentQuery, UpdateEquipment};
use crate::domain::page::{self, Page};
use crate::error::{AppError, AppResult};
use crate::repositories::equipment::{self, EquipmentFilter};
use crate::repositories::sites;
use crate::services::audit::{self, Change};
use crate::state::AppState;

fn code_taken(err: DbErr) -> AppError {
    match crate::error::sql_err(&err) {
        Some(SqlErr::UniqueConstraintViolation(_)) => {
            AppError::Conflict("this site already has equipment with this code".into())
        }
        Some(SqlErr::ForeignKeyConstraintViolation(_)) => {
            AppError::Conflict("the equipment is still used by plans".into())
        }
        _ => err.into(),
    }
}

pub async fn create(
    state: &AppState,
    actor: &CurrentUser,
    input: CreateEquipment,
) -> AppResult<Equipment> {
    let (site_id, fields) = input.parse()?;
    let txn = begin_write(&state.db).await?;
    if !actor.sees_site(site_id) || sites::find(&txn, site_id).await?.is_none() {
        return Err(AppError::validation("site_id", "not_found", "no such site"));
    }
    let item = equipment::insert(&txn, site_id, fields, Utc::now())
        .await
        .map_err(code_taken)?;
    audit::record(
        &txn,
        actor,
        "equipment",
        item.id,
        Some(site_id),
        Change::Created(&item),
    )
    .await?;
    txn.commit().await?;
    Ok(item)
}

pub async fn list(
    state: &AppState,
    actor: &CurrentUser,
    q: EquipmentQuery,
) -> AppResult<Page<Equipment>> {
    let limit = page::limit(q.limit)?;
    let after = page::decode_cursor(q.cursor.as_deref())?;
    let filter = EquipmentFilter {
        site_id: q.site_id,
        line: q.line.as_deref(),
        status: q.status,
        scope: actor.site_scope(),
    };
    let rows = equipment::list(&state.db, &filter, after, limit).await?;
    Ok(page::page_from(rows, limit, |e| e.id))
}

pub async fn get(state: &AppState, actor: &CurrentUser, id: i64) -> AppResult<Equipment> {
    equipment::find(&state.db, id)
        .await?
        .filter(|e| actor.sees_site(e.site_id))
        .ok_or(AppError::NotFound)
}

pub async fn update(
    state: &AppState,
    actor: &CurrentUser,
    id: i64,
    input: UpdateEquipment,
) -> AppResult<Equipment> {
    let fields = input.parse()?;
    let txn = begin_write(&state.db).await?;
    let before = equipment::find(&txn, id)
        .await?
        .filter(|e| actor.sees_site(e.site_id))
        .ok_or(AppError::NotFound)?;
    let after = equipment::update(&txn, id, fields, Utc::now())
        .await
        .map_err(code_taken)?
        .ok_or(AppError::NotFound)?;
    audit::record(
        &txn,
        actor,
        "equipment",
        id,
        Some(after.site_id),
        Change::Updated(&before, &after),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

pub async fn delete(state: &AppState, actor: &CurrentUser, id: i64) -> AppResult<()> {
    let txn = begin_write(&state.db).await?;
    let before = equipment::find(&txn, id)
        .await?
        .filter(|e| actor.sees_site(e.site_id))
        .ok_or(AppError::NotFound)?;
    equipment::delete(&txn, id).await.map_err(code_taken)?;
    audit::record(
        &txn,
        actor,
        "equipment",
        id,
        Some(before.site_id),
        Change::Deleted(&before),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
