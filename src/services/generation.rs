//! Turning plans into schedules: idempotently (unique per plan and due
//! instant), in the site's time zone, at plan changes and in the periodic
//! scheduler pass, which also marks missed schedules. The plans service
//! and the scheduler both call this module; it calls only repositories.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use sea_orm::ConnectionTrait;

use crate::db::begin_write;
use crate::domain::plan::{Occurrence, Plan};
use crate::domain::recurrence::local_to_utc;
use crate::domain::stats::day_number;
use crate::error::{AppError, AppResult};
use crate::repositories::schedules::{self, NewSchedule};
use crate::repositories::{plans, sites};
use crate::state::AppState;

/// The plan's due instants for local dates `from..=to`.
pub fn occurrences(plan: &Plan, tz: Tz, from: NaiveDate, to: NaiveDate) -> Vec<Occurrence> {
    plan.recurrence
        .dates(from, to)
        .into_iter()
        .map(|date| Occurrence {
            date,
            due_at: local_to_utc(tz, date, plan.due_time.0),
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
    let window = chrono::Duration::hours(i64::from(plan.window_hours.get()));
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
            due_day: day_number(o.date),
            window_ends_at: o.due_at + window,
        })
        .collect();
    Ok(schedules::insert_missing(conn, &rows, now).await?)
}

/// The time zone of the plan's site.
pub async fn site_zone(conn: &impl ConnectionTrait, plan: &Plan) -> AppResult<Tz> {
    sites::find(conn, plan.site_id)
        .await?
        .map(|s| s.timezone.tz())
        .ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!(
                "plan {} refers to the missing site {}",
                plan.id,
                plan.site_id
            ))
        })
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
            .map(|s| (s.id, s.timezone.tz()))
            .collect();
        for plan in &batch {
            let Some(tz) = zones.get(&plan.site_id).copied() else {
                return Err(AppError::Internal(anyhow::anyhow!(
                    "plan {} refers to the missing site {}",
                    plan.id,
                    plan.site_id
                )));
            };
            // One transaction per plan: its schedules and their statistics
            // together, without holding SQLite's write lock for the pass.
            let txn = begin_write(&state.writer).await?;
            generated += generate_for_plan(&txn, plan, tz, now, horizon).await?;
            txn.commit().await?;
        }
    }
    let txn = begin_write(&state.writer).await?;
    let missed = schedules::mark_missed(&txn, now).await?;
    txn.commit().await?;
    Ok((generated, missed))
}

/// Runs the scheduler at start and then every `interval`.
pub fn spawn_scheduler(
    state: AppState,
    interval: Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            // A pass is never cut: stopping waits for it to finish.
            if *stop.borrow() {
                return;
            }
            match run_once(&state, Utc::now()).await {
                Ok((generated, missed)) => {
                    tracing::info!(target: "gemba::scheduler", generated, missed, "scheduler pass")
                }
                Err(e) => {
                    tracing::error!(target: "gemba::scheduler", error = %anyhow::Error::new(e), "scheduler pass failed")
                }
            }
            tokio::select! {
                () = tokio::time::sleep(interval) => {}
                // A dropped sender means the server is gone: stop too.
                changed = stop.changed() => if changed.is_err() { return; },
            }
        }
    })
}
