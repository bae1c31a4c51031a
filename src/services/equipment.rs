//! Equipment of the caller's sites; codes unique per site.

use chrono::Utc;

use crate::db::begin_write;
use crate::domain::auth::CurrentUser;
use crate::domain::equipment::{Equipment, EquipmentPatch, EquipmentQuery, NewEquipment};
use crate::domain::page::{Page, PageRequest};
use crate::error::{AppError, AppResult, Conflicts, OrConflict};
use crate::repositories::equipment::{self, EquipmentFilter};
use crate::repositories::sites;
use crate::services::audit::{self, Change};
use crate::services::visible;
use crate::state::AppState;

const CONFLICTS: Conflicts = Conflicts {
    unique: "this site already has equipment with this code",
    in_use: "the equipment is still used by plans",
};

pub async fn create(
    state: &AppState,
    actor: &CurrentUser,
    input: NewEquipment,
) -> AppResult<Equipment> {
    let txn = begin_write(&state.writer).await?;
    if visible(actor, sites::find(&txn, input.site_id).await?).is_err() {
        return Err(AppError::validation("site_id", "not_found", "no such site"));
    }
    let item = equipment::insert(&txn, input, Utc::now())
        .await
        .or_conflict(&CONFLICTS)?;
    audit::record(&txn, actor, Change::Created(&item)).await?;
    txn.commit().await?;
    Ok(item)
}

pub async fn list(
    state: &AppState,
    actor: &CurrentUser,
    q: EquipmentQuery,
) -> AppResult<Page<Equipment>> {
    let page = PageRequest::new(q.limit, q.cursor.map(|c| c.0));
    let filter = EquipmentFilter {
        site_id: q.site_id,
        line: q.line.as_ref().map(|l| l.as_str()),
        status: q.status,
        scope: actor.site_scope(),
    };
    let rows = equipment::list(&state.db, &filter, &page).await?;
    Ok(page.page(rows, |e| e.id))
}

pub async fn get(state: &AppState, actor: &CurrentUser, id: i64) -> AppResult<Equipment> {
    visible(actor, equipment::find(&state.db, id).await?)
}

pub async fn update(
    state: &AppState,
    actor: &CurrentUser,
    id: i64,
    input: EquipmentPatch,
) -> AppResult<Equipment> {
    let txn = begin_write(&state.writer).await?;
    let before = visible(actor, equipment::find(&txn, id).await?)?;
    let after = equipment::update(&txn, id, input, Utc::now())
        .await
        .or_conflict(&CONFLICTS)?
        .ok_or(AppError::NotFound)?;
    audit::record(&txn, actor, Change::Updated(&before, &after)).await?;
    txn.commit().await?;
    Ok(after)
}

pub async fn delete(state: &AppState, actor: &CurrentUser, id: i64) -> AppResult<()> {
    let txn = begin_write(&state.writer).await?;
    let before = visible(actor, equipment::find(&txn, id).await?)?;
    equipment::delete(&txn, id).await.or_conflict(&CONFLICTS)?;
    audit::record(&txn, actor, Change::Deleted(&before)).await?;
    txn.commit().await?;
    Ok(())
}
