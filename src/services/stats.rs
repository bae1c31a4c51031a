//! The summary of a site (or all the caller's sites) over a due range, and
//! the daily series for charts. Both read the block aggregates, so their
//! cost follows the number of plans, not the years of history; the edges
//! of a summary's range are read live, so the answer is always exact.

use chrono::{Duration, Utc};

use crate::domain::auth::CurrentUser;
use crate::domain::plan::ItemKey;
use crate::domain::site::Site;
use crate::domain::stats::{
    DailyQuery, DayStats, ItemStats, StatsDaily, StatsQuery, StatsSummary, cover, day_date,
    day_number, whole_days, whole_days_in,
};
use crate::error::{AppError, AppResult};
use crate::repositories::stats::{self, Live, Sites};
use crate::state::AppState;

/// The sites a request reads: the one asked for, which must exist and be
/// the caller's (else 404), and its row; or every site the caller sees.
async fn sites<'a>(
    state: &AppState,
    actor: &'a CurrentUser,
    site_id: Option<i64>,
) -> AppResult<(Sites<'a>, Option<Site>)> {
    let site = match site_id {
        Some(id) if !actor.sees_site(id) => return Err(AppError::NotFound),
        Some(id) => Some(
            crate::repositories::sites::find(&state.db, id)
                .await?
                .ok_or(AppError::NotFound)?,
        ),
        None => None,
    };
    let sites = Sites {
        site_id,
        scope: actor.site_scope(),
    };
    Ok((sites, site))
}

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
    let (sites, site) = sites(state, actor, q.site_id).await?;
    // One site: its own local days, so only the partial days at the two
    // ends are read live; several: days that are whole in every zone.
    let whole = match site {
        Some(site) => whole_days_in(site.timezone.tz(), from, to),
        None => whole_days(from, to),
    };
    let runs = whole.map_or_else(Vec::new, |w| cover(w.lo, w.hi));
    let live = Live { from, to, whole };
    let db = &state.db;
    let tally = stats::tally(db, &sites, &runs, &live).await?;
    let items = stats::items(db, &sites, &runs, &live).await?;
    Ok(StatsSummary {
        site_id: q.site_id,
        from,
        to,
        total: tally.total(),
        by_status: tally.by_status(),
        completion_rate: tally.completion_rate(),
        pass_rate: tally.pass_rate(),
        results: tally.results,
        results_passed: tally.passed,
        items: items
            .into_iter()
            .map(|(plan_id, key, m)| ItemStats {
                plan_id,
                key: ItemKey::trusted(key),
                count: m.count,
                sum: m.sum,
                avg: m.sum / m.count as f64,
                min: m.min,
                max: m.max,
            })
            .collect(),
    })
}

/// One entry per local date of `from..=to`, days without schedules as zeros.
pub async fn daily(state: &AppState, actor: &CurrentUser, q: DailyQuery) -> AppResult<StatsDaily> {
    let (sites, _) = sites(state, actor, q.site_id).await?;
    let (lo, hi) = (day_number(q.from), day_number(q.to));
    let mut found = stats::daily_tally(&state.db, &sites, lo, hi)
        .await?
        .into_iter()
        .peekable();
    let days = (lo..=hi)
        .map(|day| {
            let tally = match found.peek() {
                Some((d, _)) if *d == day => found.next().map(|(_, t)| t).unwrap_or_default(),
                _ => Default::default(),
            };
            DayStats {
                date: day_date(day),
                total: tally.total(),
                by_status: tally.by_status(),
                completion_rate: tally.completion_rate(),
                pass_rate: tally.pass_rate(),
                results: tally.results,
                results_passed: tally.passed,
            }
        })
        .collect();
    Ok(StatsDaily {
        site_id: q.site_id,
        from: q.from,
        to: q.to,
        days,
    })
}
