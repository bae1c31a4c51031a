//! Sites and membership: admins manage sites; managers add floor staff to
//! their own sites. Outside the caller's sites everything is 404.

use chrono::Utc;
use sea_orm::ConnectionTrait;

use crate::db::begin_write;
use crate::domain::audit::Membership;
use crate::domain::auth::CurrentUser;
use crate::domain::page::{Page, PageRequest};
use crate::domain::site::{NewSite, Site, SitePatch, SiteQuery};
use crate::domain::user::{Role, User};
use crate::error::{AppError, AppResult, Conflicts, OrConflict};
use crate::repositories::{sites, users};
use crate::services::audit::{self, Change};
use crate::services::visible;
use crate::state::AppState;

const CONFLICTS: Conflicts = Conflicts {
    unique: "a site with this code already exists",
    in_use: "the site still has equipment; delete or move it first",
};

pub async fn create(state: &AppState, actor: &CurrentUser, input: NewSite) -> AppResult<Site> {
    let txn = begin_write(&state.writer).await?;
    let site = sites::insert(&txn, input, Utc::now())
        .await
        .or_conflict(&CONFLICTS)?;
    audit::record(&txn, actor, Change::Created(&site)).await?;
    txn.commit().await?;
    tracing::info!(site.id = site.id, actor.id = actor.id, "site created");
    Ok(site)
}

pub async fn list(state: &AppState, actor: &CurrentUser, q: SiteQuery) -> AppResult<Page<Site>> {
    let page = PageRequest::new(q.limit, q.cursor.map(|c| c.0));
    let rows = sites::list(&state.db, actor.site_scope(), &page).await?;
    Ok(page.page(rows, |s| s.id))
}

pub async fn get(state: &AppState, actor: &CurrentUser, id: i64) -> AppResult<Site> {
    visible(actor, sites::find(&state.db, id).await?)
}

pub async fn update(
    state: &AppState,
    actor: &CurrentUser,
    id: i64,
    input: SitePatch,
) -> AppResult<Site> {
    let txn = begin_write(&state.writer).await?;
    let before = visible(actor, sites::find(&txn, id).await?)?;
    let after = sites::update(&txn, id, input, Utc::now())
        .await
        .or_conflict(&CONFLICTS)?
        .ok_or(AppError::NotFound)?;
    audit::record(&txn, actor, Change::Updated(&before, &after)).await?;
    txn.commit().await?;
    Ok(after)
}

pub async fn delete(state: &AppState, actor: &CurrentUser, id: i64) -> AppResult<()> {
    let txn = begin_write(&state.writer).await?;
    let before = visible(actor, sites::find(&txn, id).await?)?;
    sites::delete(&txn, id).await.or_conflict(&CONFLICTS)?;
    // The site's own id stays on the event so its managers' history is kept.
    audit::record(&txn, actor, Change::Deleted(&before)).await?;
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
    let txn = begin_write(&state.writer).await?;
    visible(actor, sites::find(&txn, site_id).await?)?;
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
        let row = Membership { site_id, user_id };
        let change = if member {
            Change::Created(&row)
        } else {
            Change::Deleted(&row)
        };
        audit::record(&txn, actor, change).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// An assignee must be an active inspector, manager or admin who works at
/// the site (admins work everywhere).
pub async fn check_assignee(
    conn: &impl ConnectionTrait,
    site_id: i64,
    user_id: i64,
) -> AppResult<()> {
    let user = users::find(conn, user_id).await?;
    let ok = match user {
        Some(u) if u.is_active && u.role != Role::Viewer => {
            u.role == Role::Admin || sites::is_member(conn, site_id, user_id).await?
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(AppError::validation(
            "assignee_id",
            "not_assignable",
            "must be an active inspector, manager or admin of the plan's site",
        ))
    }
}
