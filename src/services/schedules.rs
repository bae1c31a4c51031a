//! The schedule operations of the floor: listing (with related objects
//! embedded), reading, reassigning or cancelling, starting. Generation
//! lives in `services::generation`.

use std::collections::HashMap;

use chrono::Utc;

use crate::db::begin_write;
use crate::domain::auth::CurrentUser;
use crate::domain::page::{Page, PageRequest};
use crate::domain::schedule::{Include, Schedule, SchedulePatch, ScheduleQuery, ScheduleStatus};
use crate::domain::stats::Tally;
use crate::error::{AppError, AppResult};
use crate::repositories::schedules::{self, ScheduleFilter};
use crate::repositories::{equipment, plans};
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
    let rows = schedules::list(&state.db, &filter, &page).await?;
    let mut page = page.page(rows, |s| (s.due_at, s.id));
    embed(state, &mut page.items, q.include.unwrap_or_default()).await?;
    Ok(page)
}

/// Loads the related plans and equipment with one query each.
async fn embed(state: &AppState, rows: &mut [Schedule], include: Include) -> AppResult<()> {
    fn ids(rows: &[Schedule], f: fn(&Schedule) -> i64) -> Vec<i64> {
        let mut v: Vec<i64> = rows.iter().map(f).collect();
        v.sort_unstable();
        v.dedup();
        v
    }
    if include.plan {
        let found = plans::find_many(&state.db, &ids(rows, |s| s.plan_id)).await?;
        attach(rows, found, |p| p.id, |s| s.plan_id, |s, p| s.plan = p);
    }
    if include.equipment {
        let found = equipment::find_many(&state.db, &ids(rows, |s| s.equipment_id)).await?;
        attach(
            rows,
            found,
            |e| e.id,
            |s| s.equipment_id,
            |s, e| s.equipment = e,
        );
    }
    Ok(())
}

/// Gives each row the related object it names: cloned for all but the last
/// row naming it, which takes the object itself (most objects of a page are
/// named once, so most are moved, not copied).
fn attach<T: Clone>(
    rows: &mut [Schedule],
    found: Vec<T>,
    id: fn(&T) -> i64,
    named: fn(&Schedule) -> i64,
    set: fn(&mut Schedule, Option<T>),
) {
    let mut left: HashMap<i64, (T, usize)> = found.into_iter().map(|t| (id(&t), (t, 0))).collect();
    for row in rows.iter() {
        if let Some((_, uses)) = left.get_mut(&named(row)) {
            *uses += 1;
        }
    }
    for row in rows.iter_mut() {
        let key = named(row);
        let value = match left.get_mut(&key) {
            Some((t, uses)) if *uses > 1 => {
                *uses -= 1;
                Some(t.clone())
            }
            Some(_) => left.remove(&key).map(|(t, _)| t),
            None => None,
        };
        set(row, value);
    }
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
    let after = schedules::update(
        &txn,
        &before,
        input.assignee_id,
        status,
        Utc::now(),
        Tally::default(),
    )
    .await?;
    audit::record(&txn, actor, Change::Updated(&before, &after)).await?;
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
