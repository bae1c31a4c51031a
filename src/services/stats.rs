//! The summary of a site (or all the caller's sites) over a due range.

use chrono::{Duration, Utc};

use crate::domain::auth::CurrentUser;
use crate::domain::plan::ItemKey;
use crate::domain::schedule::ScheduleStatus;
use crate::domain::stats::{ItemStats, StatsQuery, StatsSummary, StatusCounts};
use crate::error::{AppError, AppResult};
use crate::repositories::stats::{self, StatsScope};
use crate::state::AppState;

pub async fn summary(
    state: &AppState,
    actor: &CurrentUser,
    q: StatsQuery,
) -> AppResult<StatsSummary> {
    let to = q.to.unwrap_or_else(Utc::now);
    let from = q.from.unwrap_or(to - Duration::days(30));
    if from >= to {
        return Err(AppError::validation(
            "from",
            "after_to",
            "must be before to",
        ));
    }
    if to - from > Duration::days(3700) {
        return Err(AppError::validation(
            "to",
            "range",
            "at most ten years after from",
        ));
    }
    if let Some(site) = q.site_id
        && !actor.sees_site(site)
    {
        return Err(AppError::NotFound);
    }
    let scope = StatsScope {
        site_id: q.site_id,
        sites: actor.site_scope(),
        from,
        to,
    };
    let mut by_status = StatusCounts::default();
    let mut total = 0;
    for (status, n) in stats::status_counts(&state.db, &scope).await? {
        total += n;
        *match status {
            ScheduleStatus::Open => &mut by_status.open,
            ScheduleStatus::InProgress => &mut by_status.in_progress,
            ScheduleStatus::Completed => &mut by_status.completed,
            ScheduleStatus::Missed => &mut by_status.missed,
            ScheduleStatus::Cancelled => &mut by_status.cancelled,
        } = n;
    }
    let (results, results_passed) = stats::result_counts(&state.db, &scope).await?;
    let decided = by_status.completed + by_status.missed;
    let items = stats::item_stats(&state.db, &scope)
        .await?
        .into_iter()
        .map(|(plan_id, key, count, sum, avg, min, max)| ItemStats {
            plan_id,
            key: ItemKey::trusted(key),
            count,
            sum,
            avg,
            min,
            max,
        })
        .collect();
    Ok(StatsSummary {
        site_id: q.site_id,
        from,
        to,
        total,
        completion_rate: (decided > 0).then(|| by_status.completed as f64 / decided as f64),
        pass_rate: (results > 0).then(|| results_passed as f64 / results as f64),
        by_status,
        results,
        results_passed,
        items,
    })
}
