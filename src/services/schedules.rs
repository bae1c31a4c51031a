//! Turning plans into schedules (idempotently, in the site's time zone),
//! marking missed ones, and the schedule operations of the floor.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use sea_orm::ConnectionTrait;

use crate::db::begin_write;
use crate::domain::auth::CurrentUser;
use crate::domain::page::{self, Page};
use crate::domain::plan::{Occurrence, Plan};
use crate::domain::recurrence::local_to_utc;
use crate::domain::schedule::{
    self as sched, Include, Schedule, ScheduleQuery, ScheduleStatus, UpdateSchedule,
};
use crate::error::{AppError, AppResult};
use crate::repositories::schedules::{self, NewSchedule, ScheduleFilter};
use crate::repositories::{equipment, plans, sites};
use crate::services::audit::{self, Change};
use crate::state::AppState;

pub fn timezone(name: &str) -> Tz {
    name.parse().unwrap_or(Tz::UTC)
}

/// The plan's due instants for local dates `from..=to`.
pub fn occurrences(plan: &Plan, tz: Tz, from: NaiveDate, to: NaiveDate) -> Vec<Occurrence> {
    plan.recurrence
        .dates(from, to)
        .into_iter()
        .map(|date| Occurrence {
            date,
            due_at: local_to_utc(tz, date, plan.due_time),
        })
        .collect()
}

/// Creates the plan's missing schedules due after `now` within the horizon.
pub async fn generate_for_plan(
    conn: &impl ConnectionTrait,
    plan: &Plan,
    tz: Tz,
    now: DateTime<Utc>,
    horizon_days: u32,
) -> AppResult<u64> {
    if !plan.is_active {
        return Ok(0);
    }
    let today = now.with_timezone(&tz).date_naive();
    let until = today + chrono::Duration::days(i64::from(horizon_days));
    let window = chrono::Duration::hours(i64::from(plan.window_hours));
    let rows: Vec<NewSchedule> = occurrences(plan, tz, today, until)
        .into_iter()
        .filter(|o| o.due_at > now)
        .map(|o| NewSchedule {
            plan_id: plan.id,
            plan_version: plan.version,
            site_id: plan.site_id,
            equipment_id: plan.equipment_id,
            assignee_id: plan.assignee_id,
            due_at: o.due_at,
            window_ends_at: o.due_at + window,
        })
        .collect();
    Ok(schedules::insert_missing(conn, &rows, now).await?)
}

/// One pass of the scheduler: generate for every active plan, then mark
/// missed schedules. Safe to run on several instances at once.
pub async fn run_once(state: &AppState, now: DateTime<Utc>) -> AppResult<(u64, u64)> {
    let horizon = state.settings.schedule_horizon_days;
    let mut generated = 0;
    let mut after = 0;
    loop {
        let batch = plans::active_batch(&state.db, after, 200).await?;
        let Some(last) = batch.last() else { break };
        after = last.id;
        let mut site_ids: Vec<i64> = batch.iter().map(|p| p.site_id).collect();
        site_ids.sort_unstable();
        site_ids.dedup();
        let zones: HashMap<i64, Tz> = sites::find_many(&state.db, &site_ids)
            .await?
            .into_iter()
            .map(|s| (s.id, timezone(&s.timezone)))
            .collect();
        for plan in &batch {
            let tz = zones.get(&plan.site_id).copied().unwrap_or(Tz::UTC);
            generated += generate_for_plan(&state.db, plan, tz, now, horizon).await?;
        }
    }
    let missed = schedules::mark_missed(&state.db, now).await?;
    Ok((generated, missed))
}

/// Runs the scheduler at start and then every `interval`.
pub fn spawn_scheduler(state: AppState, interval: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match run_once(&state, Utc::now()).await {
                Ok((generated, missed)) => {
                    tracing::info!(target: "gemba::scheduler", generated, missed, "scheduler pass")
                }
                Err(e) => {
                    tracing::error!(target: "gemba::scheduler", error = %anyhow::Error::new(e), "scheduler pass failed")
                }
            }
            tokio::time::sleep(interval).await;
        }
    })
}

pub async fn list(
    state: &AppState,
    actor: &CurrentUser,
    q: ScheduleQuery,
) -> AppResult<Page<Schedule>> {
    let limit = page::limit(q.limit)?;
    let after = sched::decode_cursor(q.cursor.as_deref())?;
    let include = Include::parse(q.include.as_deref())?;
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
    let mut rows = schedules::list(&state.db, &filter, after, limit).await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    embed(state, &mut rows, include).await?;
    let next_cursor = if more {
        rows.last().map(|s| sched::encode_cursor(s.due_at, s.id))
    } else {
        None
    };
    Ok(Page {
        items: rows,
        next_cursor,
    })
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
        let found: HashMap<i64, Plan> = plans::find_many(&state.db, &ids(rows, |s| s.plan_id))
            .await?
            .into_iter()
            .map(|p| (p.id, p))
            .collect();
        for s in rows.iter_mut() {
            s.plan = found.get(&s.plan_id).cloned();
        }
    }
    if include.equipment {
        let found: HashMap<i64, _> =
            equipment::find_many(&state.db, &ids(rows, |s| s.equipment_id))
                .await?
                .into_iter()
                .map(|e| (e.id, e))
                .collect();
        for s in rows.iter_mut() {
            s.equipment = found.get(&s.equipment_id).cloned();
        }
    }
    Ok(())
}

pub async fn get(state: &AppState, actor: &CurrentUser, id: i64) -> AppResult<Schedule> {
    schedules::find(&state.db, id)
        .await?
        .filter(|s| actor.sees_site(s.site_id))
        .ok_or(AppError::NotFound)
}

/// Reassigns or cancels an open or in-progress schedule.
pub async fn update(
    state: &AppState,
    actor: &CurrentUser,
    id: i64,
    input: UpdateSchedule,
) -> AppResult<Schedule> {
    if input.status.is_some_and(|s| s != ScheduleStatus::Cancelled) {
        return Err(AppError::validation(
            "status",
            "invalid",
            "only `cancelled` can be set; use start and result for the rest",
        ));
    }
    let txn = begin_write(&state.db).await?;
    let before = schedules::find(&txn, id)
        .await?
        .filter(|s| actor.sees_site(s.site_id))
        .ok_or(AppError::NotFound)?;
    if !matches!(
        before.status,
        ScheduleStatus::Open | ScheduleStatus::InProgress
    ) {
        return Err(AppError::Conflict(format!(
            "the schedule is {}",
            before.status.as_str()
        )));
    }
    if let Some(Some(assignee)) = input.assignee_id {
        crate::services::plans::check_assignee(&txn, before.site_id, assignee).await?;
    }
    let after = schedules::update(&txn, id, input.assignee_id, input.status, Utc::now()).await?;
    audit::record(
        &txn,
        actor,
        "schedule",
        id,
        Some(after.site_id),
        Change::Updated(&before, &after),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// An inspector begins the inspection: open → in_progress.
pub async fn start(state: &AppState, actor: &CurrentUser, id: i64) -> AppResult<Schedule> {
    let txn = begin_write(&state.db).await?;
    let before = schedules::find(&txn, id)
        .await?
        .filter(|s| actor.sees_site(s.site_id))
        .ok_or(AppError::NotFound)?;
    if !schedules::transition(
        &txn,
        id,
        ScheduleStatus::Open,
        ScheduleStatus::InProgress,
        Utc::now(),
    )
    .await?
    {
        return Err(AppError::Conflict(format!(
            "only open schedules can be started; this one is {}",
            before.status.as_str()
        )));
    }
    let after = schedules::find(&txn, id).await?.ok_or(AppError::NotFound)?;
    audit::record(
        &txn,
        actor,
        "schedule",
        id,
        Some(after.site_id),
        Change::Updated(&before, &after),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}
