//! The summary a manager reads: how much was done, how much passed, and
//! what the measured values were.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;

use super::recurrence::local_to_utc;

use super::schedule::ScheduleStatus;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// `GET /stats/summary` query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// One site (default: every site of the caller).
    pub site_id: Option<i64>,
    /// Schedules due at or after (RFC 3339; default 30 days ago).
    pub from: Option<DateTime<Utc>>,
    /// Schedules due before (RFC 3339; default now); after `from`, at most ten years after it.
    pub to: Option<DateTime<Utc>>,
}

impl super::field::Checked for StatsQuery {}

/// Schedules by status.
#[derive(Debug, Default, Clone, Serialize, ToSchema)]
pub struct StatusCounts {
    pub open: i64,
    pub in_progress: i64,
    pub completed: i64,
    pub missed: i64,
    pub cancelled: i64,
}

/// Aggregates of one numeric checklist item of one plan.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ItemStats {
    pub plan_id: i64,
    pub key: super::plan::ItemKey,
    pub count: i64,
    pub sum: f64,
    pub avg: f64,
    pub min: f64,
    pub max: f64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatsSummary {
    pub site_id: Option<i64>,
    #[serde(serialize_with = "crate::domain::time::rfc3339")]
    pub from: DateTime<Utc>,
    #[serde(serialize_with = "crate::domain::time::rfc3339")]
    pub to: DateTime<Utc>,
    pub total: i64,
    pub by_status: StatusCounts,
    /// completed / (completed + missed); absent when none was due yet.
    pub completion_rate: Option<f64>,
    /// Results that passed / results recorded; absent without results.
    pub pass_rate: Option<f64>,
    pub results: i64,
    pub results_passed: i64,
    /// Per plan and numeric item: count, sum, avg, min, max.
    pub items: Vec<ItemStats>,
}

/// `GET /stats/daily` query: local dates `from..=to` of the caller's sites
/// (or one site).
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DailyQuery {
    /// One site (default: every site of the caller).
    pub site_id: Option<i64>,
    /// First local date, e.g. 2026-09-01.
    #[param(value_type = String, format = Date)]
    pub from: NaiveDate,
    /// Last local date (inclusive); not before `from`, at most 366 days after it.
    #[param(value_type = String, format = Date)]
    pub to: NaiveDate,
}

/// The longest daily series, in days after `from`.
pub const MAX_DAILY_SPAN: i64 = 366;

impl super::field::Checked for DailyQuery {
    fn check(&self) -> Result<(), super::field::Invalid> {
        use super::field::Invalid;
        if self.to < self.from {
            return Err(Invalid::one("to", "before_from", "must not be before from"));
        }
        if (self.to - self.from).num_days() > MAX_DAILY_SPAN {
            return Err(Invalid::one(
                "to",
                "range",
                format!("at most {MAX_DAILY_SPAN} days after from"),
            ));
        }
        Ok(())
    }
}

/// The schedules due on one local date (each site's own calendar).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DayStats {
    #[schema(value_type = String, format = Date)]
    #[serde(serialize_with = "crate::domain::time::date")]
    pub date: NaiveDate,
    pub total: i64,
    pub by_status: StatusCounts,
    /// completed / (completed + missed); absent when none was due yet.
    pub completion_rate: Option<f64>,
    /// Results that passed / results recorded; absent without results.
    pub pass_rate: Option<f64>,
    pub results: i64,
    pub results_passed: i64,
}

/// `GET /stats/daily`: one entry per local date of the range, empty days
/// included, in date order.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatsDaily {
    pub site_id: Option<i64>,
    #[schema(value_type = String, format = Date)]
    pub from: NaiveDate,
    #[schema(value_type = String, format = Date)]
    pub to: NaiveDate,
    pub days: Vec<DayStats>,
}

/// What the statistics count of a set of schedules: how many are in each
/// status, how many have a result and how many of those passed. Added up
/// over blocks and live rows; a change of one schedule is a delta of it.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    pub open: i64,
    pub in_progress: i64,
    pub completed: i64,
    pub missed: i64,
    pub cancelled: i64,
    pub results: i64,
    pub passed: i64,
}

impl Tally {
    fn slot(&mut self, status: ScheduleStatus) -> &mut i64 {
        match status {
            ScheduleStatus::Open => &mut self.open,
            ScheduleStatus::InProgress => &mut self.in_progress,
            ScheduleStatus::Completed => &mut self.completed,
            ScheduleStatus::Missed => &mut self.missed,
            ScheduleStatus::Cancelled => &mut self.cancelled,
        }
    }

    /// `n` schedules in `status`.
    pub fn of_status(status: ScheduleStatus, n: i64) -> Self {
        let mut t = Self::default();
        *t.slot(status) = n;
        t
    }

    /// One schedule moving from one status to another.
    pub fn moved(from: ScheduleStatus, to: ScheduleStatus) -> Self {
        let mut t = Self::of_status(to, 1);
        *t.slot(from) -= 1;
        t
    }

    pub fn add(&mut self, o: &Self) {
        self.open += o.open;
        self.in_progress += o.in_progress;
        self.completed += o.completed;
        self.missed += o.missed;
        self.cancelled += o.cancelled;
        self.results += o.results;
        self.passed += o.passed;
    }

    pub fn is_zero(&self) -> bool {
        *self == Self::default()
    }

    pub fn total(&self) -> i64 {
        self.open + self.in_progress + self.completed + self.missed + self.cancelled
    }

    pub fn by_status(&self) -> StatusCounts {
        StatusCounts {
            open: self.open,
            in_progress: self.in_progress,
            completed: self.completed,
            missed: self.missed,
            cancelled: self.cancelled,
        }
    }

    pub fn completion_rate(&self) -> Option<f64> {
        let decided = self.completed + self.missed;
        (decided > 0).then(|| self.completed as f64 / decided as f64)
    }

    pub fn pass_rate(&self) -> Option<f64> {
        (self.results > 0).then(|| self.passed as f64 / self.results as f64)
    }
}

/// Count, sum, min and max of one item's numeric values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measures {
    pub count: i64,
    pub sum: f64,
    pub min: f64,
    pub max: f64,
}

impl Measures {
    pub fn one(v: f64) -> Self {
        Self {
            count: 1,
            sum: v,
            min: v,
            max: v,
        }
    }

    pub fn merge(&mut self, o: &Self) {
        self.count += o.count;
        self.sum += o.sum;
        self.min = self.min.min(o.min);
        self.max = self.max.max(o.max);
    }
}

/// A local date as days since 1970-01-01 (the `due_day` columns).
pub fn day_number(d: NaiveDate) -> i64 {
    (d - NaiveDate::default()).num_days()
}

pub fn day_date(day: i64) -> NaiveDate {
    NaiveDate::default() + chrono::Duration::days(day)
}

/// Blocks are aligned runs of 1, 4, 16, 64, 256 and 1024 days (levels
/// 0..=5): any range of days is covered by at most three per level at each
/// end (about 9 for three months), so a summary reads a few rows per plan
/// whatever its length, and each change updates one row per level.
pub const BLOCK_LEVELS: i16 = 6;
const BLOCK_BASE: i64 = 4;

pub fn block_days(level: i16) -> i64 {
    BLOCK_BASE.pow(level as u32)
}

/// The blocks holding `day`, one per level (only the day itself before
/// 1970, where division would not align).
pub fn blocks_of(day: i64) -> impl Iterator<Item = (i16, i64)> {
    let levels = if day < 0 { 1 } else { BLOCK_LEVELS };
    (0..levels).map(move |l| (l, day / block_days(l)))
}

/// Blocks `first..=last` of one level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockRun {
    pub level: i16,
    pub first: i64,
    pub last: i64,
}

/// The fewest aligned blocks covering days `lo..=hi` exactly, as runs.
pub fn cover(lo: i64, hi: i64) -> Vec<BlockRun> {
    let mut runs: Vec<BlockRun> = Vec::new();
    let mut d = lo;
    while d <= hi {
        let level = (0..BLOCK_LEVELS)
            .rev()
            .find(|&l| {
                let n = block_days(l);
                l == 0 || (d >= 0 && d % n == 0 && d + n - 1 <= hi)
            })
            .unwrap_or(0);
        let block = d / block_days(level);
        match runs.last_mut() {
            Some(r) if r.level == level && r.last + 1 == block => r.last = block,
            _ => runs.push(BlockRun {
                level,
                first: block,
                last: block,
            }),
        }
        d += block_days(level);
    }
    runs
}

/// How far a site's local day reaches beyond its UTC date: local times are
/// UTC-12..UTC+14, and a due time moved by a DST gap stays within the margin.
/// Used when a range covers several sites, whose zones may differ.
pub const ZONE_MARGIN_HOURS: i64 = 15;

/// The local days `lo..=hi` whose rows are all due in a range (read from the
/// blocks), and the bounds of the rows around them (read live): rows of days
/// before `lo` are due before `before_until`, rows of days after `hi` at or
/// after `after_from`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WholeDays {
    pub lo: i64,
    pub hi: i64,
    pub before_until: DateTime<Utc>,
    pub after_from: DateTime<Utc>,
}

/// The whole local days of `[from, to)` whatever the site's time zone (for
/// several sites at once). None when the range holds no whole day that way.
pub fn whole_days(from: DateTime<Utc>, to: DateTime<Utc>) -> Option<WholeDays> {
    const DAY: i64 = 86_400;
    let margin = ZONE_MARGIN_HOURS * 3600;
    let lo = (from.timestamp() + margin + DAY - 1).div_euclid(DAY);
    let hi = (to.timestamp() - margin).div_euclid(DAY) - 1;
    let margin = chrono::Duration::hours(ZONE_MARGIN_HOURS);
    (lo <= hi).then(|| WholeDays {
        lo,
        hi,
        before_until: day_start(lo) + margin,
        after_from: day_start(hi + 1) - margin,
    })
}

/// How far a due time can sit outside its local day: a time in a
/// spring-forward gap moves later by the gap (one hour, two at most).
const DAY_PAD_HOURS: i64 = 3;

/// The whole local days of `[from, to)` in one zone: for one site, whose
/// edges are then only the partial days at each end.
pub fn whole_days_in(tz: Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> Option<WholeDays> {
    let pad = chrono::Duration::hours(DAY_PAD_HOURS);
    let start = |day: i64| local_to_utc(tz, day_date(day), NaiveTime::MIN);
    let mut lo = day_number(from.with_timezone(&tz).date_naive());
    while start(lo) - pad < from {
        lo += 1;
    }
    let mut hi = day_number(to.with_timezone(&tz).date_naive());
    while start(hi + 1) + pad > to {
        hi -= 1;
    }
    (lo <= hi).then(|| WholeDays {
        lo,
        hi,
        before_until: start(lo) + pad,
        after_from: start(hi + 1) - pad,
    })
}

/// The instant of local day `day`'s UTC midnight.
pub fn day_start(day: i64) -> DateTime<Utc> {
    DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::days(day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cover_is_exact_and_short() {
        for lo in 0..600 {
            for len in [0, 1, 7, 8, 9, 63, 64, 90, 365, 1000] {
                let hi = lo + len;
                let runs = cover(lo, hi);
                let mut days = Vec::new();
                for r in &runs {
                    for b in r.first..=r.last {
                        let n = block_days(r.level);
                        days.extend(b * n..(b + 1) * n);
                    }
                }
                days.sort_unstable();
                assert_eq!(days, (lo..=hi).collect::<Vec<_>>(), "{lo}..={hi}");
                assert!(runs.len() <= 2 * BLOCK_LEVELS as usize, "{runs:?}");
            }
        }
        assert_eq!(cover(-3, 1).len(), 1);
    }

    #[test]
    fn blocks_hold_their_day() {
        for day in [0, 1, 3, 4, 7, 8, 1023, 1024, 20_000] {
            for (level, block) in blocks_of(day) {
                let n = block_days(level);
                assert!((block * n..(block + 1) * n).contains(&day));
            }
        }
    }

    #[test]
    fn whole_days_stay_inside_the_range_in_every_zone() {
        let t = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        let w = whole_days(t("2026-01-01T00:00:00Z"), t("2026-04-01T00:00:00Z")).unwrap();
        let (lo, hi) = (w.lo, w.hi);
        assert_eq!(day_date(lo), NaiveDate::from_ymd_opt(2026, 1, 2).unwrap());
        assert_eq!(day_date(hi), NaiveDate::from_ymd_opt(2026, 3, 30).unwrap());
        // UTC+14 starts a day 14 h before its UTC midnight, UTC-12 ends it 12 h after.
        assert!(day_start(lo) - chrono::Duration::hours(14) >= t("2026-01-01T00:00:00Z"));
        assert!(day_start(hi + 1) + chrono::Duration::hours(12) <= t("2026-04-01T00:00:00Z"));
        assert_eq!(
            whole_days(t("2026-01-01T00:00:00Z"), t("2026-01-03T00:00:00Z")),
            None
        );
    }

    #[test]
    fn whole_days_in_a_zone_leave_only_the_partial_days_live() {
        let t = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        let seoul: Tz = "Asia/Seoul".parse().unwrap();
        // 2026-01-10 05:30Z is 14:30 in Seoul: the 11th is the first whole day;
        // 2026-04-12 17:10Z is 02:10 on the 13th: the 12th is the last.
        let w = whole_days_in(seoul, t("2026-01-10T05:30:00Z"), t("2026-04-12T17:10:00Z")).unwrap();
        assert_eq!(
            day_date(w.lo),
            NaiveDate::from_ymd_opt(2026, 1, 11).unwrap()
        );
        assert_eq!(
            day_date(w.hi),
            NaiveDate::from_ymd_opt(2026, 4, 11).unwrap()
        );
        assert_eq!(w.before_until, t("2026-01-10T18:00:00Z"));
        assert_eq!(w.after_from, t("2026-04-11T12:00:00Z"));
        // 2026-03-07T00:00Z is 19:00 on the 6th in New York; the 8th, the day
        // clocks go forward, is 23 hours long and whole like the others.
        let ny: Tz = "America/New_York".parse().unwrap();
        let w = whole_days_in(ny, t("2026-03-07T00:00:00Z"), t("2026-03-10T12:00:00Z")).unwrap();
        assert_eq!(day_date(w.lo), NaiveDate::from_ymd_opt(2026, 3, 7).unwrap());
        assert_eq!(day_date(w.hi), NaiveDate::from_ymd_opt(2026, 3, 9).unwrap());
        // A range inside one local day holds no whole day.
        assert_eq!(
            whole_days_in(seoul, t("2026-01-10T00:00:00Z"), t("2026-01-10T10:00:00Z")),
            None
        );
    }
}
