//! Sites and membership: admins manage sites; managers add floor staff to
//! their own sites. Outside the caller's sites everything is 404.

use chrono::Utc;
use sea_orm::{DbErr, SqlErr};
use serde_json::json;

use crate::db::begin_write;
use crate::domain::auth::CurrentUser;
use crate::domain::page::{self, Page};
use crate::domain::site::{CreateSite, Site, SiteQuery, UpdateSite};
use crate::domain::user::User;
use crate::error::{AppError, AppResult};
use crate::repositories::{sites, users};
use crate::services::audit::{self, Change};
use crate::state::AppState;

fn site_conflict(err: DbErr) -> AppError {
    match crate::error::sql_err(&err) {
        Some(SqlErr::UniqueConstraintViolation(_)) => {
            AppError::Conflict("a site with this code already exists".into())
        }
        Some(SqlErr::ForeignKeyConstraintViolation(_)) => {
            AppError::Conflict("the site still has equipment; delete or move it first".into())
        }
        _ => err.into(),
    }
}

pub async fn create(state: &AppState, actor: &CurrentUser, input: CreateSite) -> AppResult<Site> {
    let fields = input.parse()?;
    let txn = begin_write(&state.db).await?;
    let site = sites::insert(&txn, fields, Utc::now())
        .await
        .map_err(site_conflict)?;
    audit::record(
        &txn,
        actor,
        "site",
        site.id,
        Some(site.id),
        Change::Created(&site),
    )
    .await?;
    txn.commit().await?;
    tracing::info!(site.id = site.id, actor.id = actor.id, "site created");
    Ok(site)
}

pub async fn list(state: &AppState, actor: &CurrentUser, q: SiteQuery) -> AppResult<Page<Site>> {
    let limit = page::limit(q.limit)?;
    let after = page::decode_cursor(q.cursor.as_deref())?;
    let rows = sites::list(&state.db, actor.site_scope(), after, limit).await?;
    Ok(page::page_from(rows, limit, |s| s.id))
}

pub async fn get(state: &AppState, actor: &CurrentUser, id: i64) -> AppResult<Site> {
    if !actor.sees_site(id) {
        return Err(AppError::NotFound);
    }
    sites::find(&state.db, id).await?.ok_or(AppError::NotFound)
}

pub async fn update(
    state: &AppState,
    actor: &CurrentUser,
    id: i64,
    input: UpdateSite,
) -> AppResult<Site> {
    let fields = input.parse()?;
    let txn = begin_write(&state.db).await?;
    let before = sites::find(&txn, id).await?.ok_or(AppError::NotFound)?;
    let after = sites::update(&txn, id, fields, Utc::now())
        .await
        .map_err(site_conflict)?
        .ok_or(AppError::NotFound)?;
    audit::record(
        &txn,
        actor,
        "site",
        id,
        Some(id),
        Change::Updated(&before, &after),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

pub async fn delete(state: &AppState, actor: &CurrentUser, id: i64) -> AppResult<()> {
    let txn = begin_write(&state.db).await?;
    let before = sites::find(&txn, id).await?.ok_or(AppError::NotFound)?;
    sites::delete(&txn, id).await.map_err(site_conflict)?;
    // The site's own id stays on the event so its managers' history is kept.
    audit::record(&txn, actor, "site", id, Some(id), Change::Deleted(&before)).await?;
    txn.commit().await?;
    Ok(())
}

pub async fn members(state: &AppState, actor: &CurrentUser, site_id: i64) -> AppResult<Vec<User>> {
    get(state, actor, site_id).await?;
    Ok(sites::members(&state.db, site_id).await?)
}

/// Adds or removes a member. Managers may do so only for inspectors and
/// viewers, on their own sites.
pub async fn set_member(
    state: &AppState,
    actor: &CurrentUser,
    site_id: i64,
    user_id: i64,
    member: bool,
) -> AppResult<()> {
    if !actor.sees_site(site_id) {
        return Err(AppError::NotFound);
    }
    let txn = begin_write(&state.db).await?;
    sites::find(&txn, site_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let user = users::find(&txn, user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !actor.role.may_manage(user.role) {
        return Err(AppError::Forbidden(
            "you may not change the sites of users with this role",
        ));
    }
    let changed = if member {
        sites::add_member(&txn, site_id, user_id).await?
    } else {
        sites::remove_member(&txn, site_id, user_id).await?
    };
    if changed {
        let row = json!({"site_id": site_id, "user_id": user_id});
        let change = if member {
            Change::Created(&row)
        } else {
            Change::Deleted(&row)
        };
        audit::record(&txn, actor, "site_member", user_id, Some(site_id), change).await?;
    }
    txn.commit().await?;
    Ok(())
}
