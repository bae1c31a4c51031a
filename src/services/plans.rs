//! Plans: scoped to the caller's sites, versioned, guarded by `If-Match`,
//! and kept in step with their future schedules.

use chrono::{Duration, Utc};
use sea_orm::ConnectionTrait;

use crate::db::begin_write;
use crate::domain::auth::CurrentUser;
use crate::domain::page::{self, Page};
use crate::domain::plan::{CreatePlan, Occurrence, OccurrenceQuery, Plan, PlanQuery, UpdatePlan};
use crate::domain::recurrence::MAX_SPAN_DAYS;
use crate::domain::user::Role;
use crate::error::{AppError, AppResult};
use crate::repositories::plans::{self, PlanFilter};
use crate::repositories::{equipment, schedules, sites, users};
use crate::services::audit::{self, Change};
use crate::services::schedules::{generate_for_plan, occurrences as plan_occurrences, timezone};
use crate::state::AppState;

/// An assignee must be an active inspector, manager or admin who works at the site.
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

pub async fn create(state: &AppState, actor: &CurrentUser, input: CreatePlan) -> AppResult<Plan> {
    let (equipment_id, fields) = input.parse()?;
    let txn = begin_write(&state.db).await?;
    let item = equipment::find(&txn, equipment_id)
        .await?
        .filter(|e| actor.sees_site(e.site_id))
        .ok_or_else(|| AppError::validation("equipment_id", "not_found", "no such equipment"))?;
    if let Some(Some(assignee)) = fields.assignee_id {
        check_assignee(&txn, item.site_id, assignee).await?;
    }
    let site = sites::find(&txn, item.site_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let now = Utc::now();
    let plan = plans::insert(&txn, item.site_id, item.id, fields, now).await?;
    generate_for_plan(
        &txn,
        &plan,
        timezone(&site.timezone),
        now,
        state.settings.schedule_horizon_days,
    )
    .await?;
    audit::record(
        &txn,
        actor,
        "plan",
        plan.id,
        Some(plan.site_id),
        Change::Created(&plan),
    )
    .await?;
    txn.commit().await?;
    tracing::info!(plan.id = plan.id, actor.id = actor.id, "plan created");
    Ok(plan)
}

pub async fn list(state: &AppState, actor: &CurrentUser, q: PlanQuery) -> AppResult<Page<Plan>> {
    let limit = page::limit(q.limit)?;
    let after = page::decode_cursor(q.cursor.as_deref())?;
    let filter = PlanFilter {
        site_id: q.site_id,
        equipment_id: q.equipment_id,
        assignee_id: q.assignee_id,
        active: q.active,
        scope: actor.site_scope(),
    };
    let rows = plans::list(&state.db, &filter, after, limit).await?;
    Ok(page::page_from(rows, limit, |p| p.id))
}

pub async fn get(state: &AppState, actor: &CurrentUser, id: i64) -> AppResult<Plan> {
    plans::find(&state.db, id)
        .await?
        .filter(|p| actor.sees_site(p.site_id))
        .ok_or(AppError::NotFound)
}

fn etag_matches(header: &str, plan: &Plan) -> bool {
    let current = plan.etag();
    header
        .split(',')
        .map(str::trim)
        .any(|t| t == "*" || t.trim_start_matches("W/") == current)
}

/// Applies a change as a new version. `if_match` must carry the ETag the
/// client read (428 without it, 412 when someone changed the plan since).
/// Future open schedules are replaced; past and started ones stay.
pub async fn update(
    state: &AppState,
    actor: &CurrentUser,
    id: i64,
    if_match: Option<&str>,
    input: UpdatePlan,
) -> AppResult<Plan> {
    let fields = input.parse()?;
    let if_match = if_match.ok_or(AppError::PreconditionRequired)?;
    let txn = begin_write(&state.db).await?;
    let before = plans::find(&txn, id)
        .await?
        .filter(|p| actor.sees_site(p.site_id))
        .ok_or(AppError::NotFound)?;
    if !etag_matches(if_match, &before) {
        return Err(AppError::PreconditionFailed);
    }
    if let Some(Some(assignee)) = fields.assignee_id {
        check_assignee(&txn, before.site_id, assignee).await?;
    }
    let now = Utc::now();
    let after = plans::update(&txn, &before, fields, now).await?;
    schedules::delete_future_open(&txn, id, now).await?;
    if after.is_active {
        let site = sites::find(&txn, after.site_id)
            .await?
            .ok_or(AppError::NotFound)?;
        generate_for_plan(
            &txn,
            &after,
            timezone(&site.timezone),
            now,
            state.settings.schedule_horizon_days,
        )
        .await?;
    }
    audit::record(
        &txn,
        actor,
        "plan",
        id,
        Some(after.site_id),
        Change::Updated(&before, &after),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// Deactivates the plan and cancels its future open schedules; its history stays.
pub async fn deactivate(state: &AppState, actor: &CurrentUser, id: i64) -> AppResult<()> {
    let txn = begin_write(&state.db).await?;
    let before = plans::find(&txn, id)
        .await?
        .filter(|p| actor.sees_site(p.site_id))
        .ok_or(AppError::NotFound)?;
    let now = Utc::now();
    if before.is_active {
        let fields = crate::domain::plan::PlanFields {
            is_active: Some(false),
            ..Default::default()
        };
        let after = plans::update(&txn, &before, fields, now).await?;
        schedules::cancel_future_open(&txn, id, now).await?;
        audit::record(
            &txn,
            actor,
            "plan",
            id,
            Some(after.site_id),
            Change::Updated(&before, &after),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Previews the plan's due instants for local dates `from..=to`.
pub async fn occurrences(
    state: &AppState,
    actor: &CurrentUser,
    id: i64,
    q: OccurrenceQuery,
) -> AppResult<Vec<Occurrence>> {
    if q.to < q.from {
        return Err(AppError::validation(
            "to",
            "before_from",
            "must not be before from",
        ));
    }
    if q.to - q.from > Duration::days(MAX_SPAN_DAYS) {
        return Err(AppError::validation(
            "to",
            "range",
            format!("at most {MAX_SPAN_DAYS} days after from"),
        ));
    }
    let plan = get(state, actor, id).await?;
    let site = sites::find(&state.db, plan.site_id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(plan_occurrences(
        &plan,
        timezone(&site.timezone),
        q.from,
        q.to,
    ))
}
