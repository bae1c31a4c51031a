//! The schedule operations of the floor: listing (with related objects
//! embedded), reading, reassigning or cancelling, starting. Generation
//! lives in `services::generation`.

use chrono::Utc;

use crate::db::begin_write;
use crate::domain::auth::CurrentUser;
use crate::domain::page::{Page, PageRequest};
use crate::domain::schedule::{Schedule, SchedulePatch, ScheduleQuery, ScheduleStatus};
use crate::domain::stats::Tally;
use crate::error::{AppError, AppResult};
use crate::repositories::Writes;
use crate::repositories::schedules::{self, ScheduleFilter};
use crate::services::audit::{self, Change};
use crate::services::sites::check_assignee;
use crate::services::visible;
use crate::state::AppState;

pub async fn list(
    state: &AppState,
    actor: &CurrentUser,
    q: ScheduleQuery,
) -> AppResult<Page<Schedule>> {
    let page = PageRequest::new(q.limit, q.cursor.map(|c| c.0));
    let filter = ScheduleFilter {
        site_id: q.site_id,
        plan_id: q.plan_id,
        equipment_id: q.equipment_id,
        assignee_id: q.assignee_id,
        status: q.status,
        due_from: q.due_from,
        due_to: q.due_to,
        scope: actor.site_scope(),
    };
    let include = q.include.unwrap_or_default();
    let rows = schedules::list(&state.db, &filter, &page, include).await?;
    Ok(page.page(rows, |s| (s.due_at, s.id)))
}

pub async fn get(state: &AppState, actor: &CurrentUser, id: i64) -> AppResult<Schedule> {
    visible(actor, schedules::find(&state.db, id).await?)
}

/// Reassigns or cancels an open or in-progress schedule.
pub async fn update(
    state: &AppState,
    actor: &CurrentUser,
    id: i64,
    input: SchedulePatch,
) -> AppResult<Schedule> {
    let txn = begin_write(&state.writer).await?;
    let before = visible(actor, schedules::find_for_update(&txn, id).await?)?;
    if !before.status.is_pending() {
        return Err(AppError::Conflict(format!(
            "the schedule is {}",
            before.status
        )));
    }
    if let Some(Some(assignee)) = input.assignee_id {
        check_assignee(&txn, before.site_id, assignee).await?;
    }
    let status = input.status.map(ScheduleStatus::from);
    let mut writes = Writes::new(&txn);
    let after = schedules::update(
        &mut writes,
        &before,
        input.assignee_id,
        status,
        Utc::now(),
        Tally::default(),
    );
    let event = audit::event(actor, Change::Updated(&before, &after))?;
    audit::record_with(&mut writes, vec![event]);
    writes.run(&txn).await?;
    txn.commit().await?;
    Ok(after)
}

/// An inspector begins the inspection: open → in_progress.
pub async fn start(state: &AppState, actor: &CurrentUser, id: i64) -> AppResult<Schedule> {
    let txn = begin_write(&state.writer).await?;
    let before = visible(actor, schedules::find(&txn, id).await?)?;
    let moved = before.status == ScheduleStatus::Open
        && schedules::transition(&txn, &before, ScheduleStatus::InProgress, Utc::now()).await?;
    if !moved {
        return Err(AppError::Conflict(format!(
            "only open schedules can be started; this one is {}",
            before.status
        )));
    }
    let after = schedules::find(&txn, id).await?.ok_or(AppError::NotFound)?;
    audit::record(&txn, actor, Change::Updated(&before, &after)).await?;
    txn.commit().await?;
    Ok(after)
}
