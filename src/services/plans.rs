//! Plans: scoped to the caller's sites, versioned, guarded by `If-Match`,
//! and kept in step with their future schedules.

use chrono::Utc;

use crate::db::begin_write;
use crate::domain::auth::CurrentUser;
use crate::domain::page::{Page, PageRequest};
use crate::domain::plan::{NewPlan, Occurrence, OccurrenceQuery, Plan, PlanPatch, PlanQuery};
use crate::error::{AppError, AppResult};
use crate::repositories::plans::{self, PlanFilter};
use crate::repositories::{equipment, schedules};
use crate::services::audit::{self, Change};
use crate::services::generation::{self, generate_for_plan, site_zone};
use crate::services::sites::check_assignee;
use crate::services::visible;
use crate::state::AppState;

pub async fn create(state: &AppState, actor: &CurrentUser, input: NewPlan) -> AppResult<Plan> {
    let txn = begin_write(&state.writer).await?;
    let item = visible(actor, equipment::find(&txn, input.equipment_id).await?)
        .map_err(|_| AppError::validation("equipment_id", "not_found", "no such equipment"))?;
    if let Some(assignee) = input.assignee_id {
        check_assignee(&txn, item.site_id, assignee).await?;
    }
    let now = Utc::now();
    let plan = plans::insert(&txn, item.site_id, input, now).await?;
    let tz = site_zone(&txn, &plan).await?;
    generate_for_plan(&txn, &plan, tz, now, state.settings.schedule_horizon_days).await?;
    audit::record(&txn, actor, Change::Created(&plan)).await?;
    txn.commit().await?;
    tracing::info!(plan.id = plan.id, actor.id = actor.id, "plan created");
    Ok(plan)
}

pub async fn list(state: &AppState, actor: &CurrentUser, q: PlanQuery) -> AppResult<Page<Plan>> {
    let page = PageRequest::new(q.limit, q.cursor.map(|c| c.0));
    let filter = PlanFilter {
        site_id: q.site_id,
        equipment_id: q.equipment_id,
        assignee_id: q.assignee_id,
        active: q.active,
        scope: actor.site_scope(),
    };
    let rows = plans::list(&state.db, &filter, &page).await?;
    Ok(page.page(rows, |p| p.id))
}

pub async fn get(state: &AppState, actor: &CurrentUser, id: i64) -> AppResult<Plan> {
    visible(actor, plans::find(&state.db, id).await?)
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
    input: PlanPatch,
) -> AppResult<Plan> {
    let if_match = if_match.ok_or(AppError::PreconditionRequired)?;
    let txn = begin_write(&state.writer).await?;
    let before = visible(actor, plans::find(&txn, id).await?)?;
    if !etag_matches(if_match, &before) {
        return Err(AppError::PreconditionFailed);
    }
    if let Some(Some(assignee)) = input.assignee_id {
        check_assignee(&txn, before.site_id, assignee).await?;
    }
    let now = Utc::now();
    let after = plans::update(&txn, &before, input, now).await?;
    schedules::delete_future_open(&txn, id, now).await?;
    if after.is_active {
        let tz = site_zone(&txn, &after).await?;
        generate_for_plan(&txn, &after, tz, now, state.settings.schedule_horizon_days).await?;
    }
    audit::record(&txn, actor, Change::Updated(&before, &after)).await?;
    txn.commit().await?;
    Ok(after)
}

/// Deactivates the plan and cancels its future open schedules; its history stays.
pub async fn deactivate(state: &AppState, actor: &CurrentUser, id: i64) -> AppResult<()> {
    let txn = begin_write(&state.writer).await?;
    let before = visible(actor, plans::find(&txn, id).await?)?;
    let now = Utc::now();
    if before.is_active {
        let patch = PlanPatch {
            is_active: Some(false),
            ..Default::default()
        };
        let after = plans::update(&txn, &before, patch, now).await?;
        schedules::cancel_future_open(&txn, id, now).await?;
        audit::record(&txn, actor, Change::Updated(&before, &after)).await?;
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
    let plan = get(state, actor, id).await?;
    let tz = site_zone(&state.db, &plan).await?;
    Ok(generation::occurrences(&plan, tz, q.from, q.to))
}
