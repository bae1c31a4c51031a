//! Statistics in SQL. Per aligned block of days (`domain::stats::cover`),
//! `stats_blocks` holds each site's tally and `stats_block_items` each
//! plan's numeric items: what the summary adds up; the transactions that
//! change schedules and results keep them exact (`add`, `add_values`), and
//! `rebuild` recomputes them from the rows. A range is read as its whole
//! local days from the blocks plus the rows at its edges, read live.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Order, Query, SelectStatement, UnionType};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait,
};

use super::Writes;
use crate::domain::schedule::ScheduleStatus;
use crate::domain::stats::{
    BLOCK_LEVELS, BlockRun, Measures, Tally, WholeDays, block_days, blocks_of,
};
use crate::entities::{result_values, results, schedules, stats_block_items, stats_blocks};

/// Which sites count: one, the caller's, or (None, None) every site.
#[derive(Debug, Clone, Copy)]
pub struct Sites<'a> {
    pub site_id: Option<i64>,
    pub scope: Option<&'a [i64]>,
}

impl Sites<'_> {
    fn cond<C: ColumnTrait>(&self, col: C) -> Condition {
        let mut c = Condition::all();
        if let Some(id) = self.site_id {
            c = c.add(col.eq(id));
        }
        if let Some(ids) = self.scope {
            c = c.add(col.is_in(ids.iter().copied()));
        }
        c
    }
}

/// The rows due in `[from, to)` that the blocks of `whole` days do not
/// hold (all of them without whole days).
#[derive(Debug, Clone, Copy)]
pub struct Live {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub whole: Option<WholeDays>,
}

fn fixed(t: DateTime<Utc>) -> DateTime<FixedOffset> {
    t.into()
}

/// One index range of live rows: due in `[from, to)`, and with a day
/// before `lo` or after `hi` when whole days are read from blocks.
#[derive(Debug, Clone, Copy)]
struct Span {
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    before: Option<i64>,
    after: Option<i64>,
}

impl Span {
    fn cond<C: ColumnTrait>(&self, sites: &Sites<'_>, site: C, due: C, day: C) -> Condition {
        let mut c = sites
            .cond(site)
            .add(due.gte(fixed(self.from)))
            .add(due.lt(fixed(self.to)));
        if let Some(lo) = self.before {
            c = c.add(day.lt(lo));
        }
        if let Some(hi) = self.after {
            c = c.add(day.gt(hi));
        }
        c
    }
}

impl Live {
    /// The index ranges to read: the rows of the days around the whole ones
    /// sit in two short spans at the edges. Each is its own query of a
    /// `UNION ALL`, so even a generic plan of the prepared statement reads
    /// two short index ranges.
    fn spans(&self) -> Vec<Span> {
        let Some(w) = self.whole else {
            return vec![Span {
                from: self.from,
                to: self.to,
                before: None,
                after: None,
            }];
        };
        vec![
            Span {
                from: self.from,
                to: Ord::min(w.before_until, self.to),
                before: Some(w.lo),
                after: None,
            },
            Span {
                from: Ord::max(w.after_from, self.from),
                to: self.to,
                before: None,
                after: Some(w.hi),
            },
        ]
    }
}

/// (plan, item key, measures) of numeric values.
pub type ItemRow = (i64, String, Measures);

type ItemTuple = (i64, String, i64, f64, f64, f64);

fn item_row((plan, key, count, sum, min, max): ItemTuple) -> ItemRow {
    (
        plan,
        key,
        Measures {
            count,
            sum,
            min,
            max,
        },
    )
}

fn runs_cond<C: ColumnTrait>(level: C, block: C, runs: &[BlockRun]) -> Condition {
    runs.iter().fold(Condition::any(), |c, r| {
        c.add(
            Condition::all()
                .add(level.eq(r.level))
                .add(block.between(r.first, r.last)),
        )
    })
}

type TallyTuple = (
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

fn tally_of(t: TallyTuple) -> Tally {
    let z = |v: Option<i64>| v.unwrap_or(0);
    Tally {
        open: z(t.0),
        in_progress: z(t.1),
        completed: z(t.2),
        missed: z(t.3),
        cancelled: z(t.4),
        results: z(t.5),
        passed: z(t.6),
    }
}

/// The tally columns of `stats_blocks`, in `Tally`'s order.
const TALLY_COLUMNS: [stats_blocks::Column; 7] = {
    use stats_blocks::Column as B;
    [
        B::NOpen,
        B::NInProgress,
        B::NCompleted,
        B::NMissed,
        B::NCancelled,
        B::NResults,
        B::NPassed,
    ]
};

fn sum_tally<Q: QuerySelect>(q: Q) -> Q {
    TALLY_COLUMNS
        .into_iter()
        .fold(q, |q, c| q.expr(Expr::col(c).sum().cast_as("bigint")))
}

/// The tally of the blocks in `runs` plus the live rows (schedules by
/// status, results, passed results), in one statement: each source, and
/// each live span, adds up its own rows in one part of a `UNION ALL`.
pub async fn tally(
    conn: &impl ConnectionTrait,
    sites: &Sites<'_>,
    runs: &[BlockRun],
    live: &Live,
) -> Result<Tally, DbErr> {
    use results::Column as R;
    use schedules::Column as S;
    use stats_blocks::Column as B;
    // One part: the seven tally columns, named like the blocks' columns.
    fn part<E: EntityTrait>(exprs: [Expr; 7], q: sea_orm::Select<E>) -> SelectStatement {
        exprs
            .into_iter()
            .zip(TALLY_COLUMNS)
            .fold(q.select_only(), |q, (e, name)| q.column_as(e, name))
            .into_query()
    }
    let zero = || Expr::cust("0");
    let count_where = |cond: Expr| {
        Expr::case(cond, Expr::cust("1"))
            .finally(Expr::cust("0"))
            .sum()
            .cast_as("bigint")
    };
    let mut parts: Vec<SelectStatement> = Vec::new();
    if !runs.is_empty() {
        parts.push(part(
            TALLY_COLUMNS.map(|c| Expr::col(c).sum().cast_as("bigint")),
            stats_blocks::Entity::find()
                .filter(sites.cond(B::SiteId))
                .filter(runs_cond(B::Level, B::Block, runs)),
        ));
    }
    for span in live.spans() {
        let [open, in_progress, completed, missed, cancelled] = [
            ScheduleStatus::Open,
            ScheduleStatus::InProgress,
            ScheduleStatus::Completed,
            ScheduleStatus::Missed,
            ScheduleStatus::Cancelled,
        ]
        .map(|s| count_where(Expr::col(S::Status).eq(s.as_str())));
        parts.push(part(
            [
                open,
                in_progress,
                completed,
                missed,
                cancelled,
                zero(),
                zero(),
            ],
            schedules::Entity::find().filter(span.cond(sites, S::SiteId, S::DueAt, S::DueDay)),
        ));
        parts.push(part(
            [
                zero(),
                zero(),
                zero(),
                zero(),
                zero(),
                Expr::cust("COUNT(*)"),
                count_where(Expr::col(R::Passed)),
            ],
            results::Entity::find().filter(span.cond(sites, R::SiteId, R::DueAt, R::DueDay)),
        ));
    }
    let mut parts = parts.into_iter();
    let mut union = parts.next().expect("at least one live span");
    for p in parts {
        union.union(UnionType::All, p);
    }
    let mut q = Query::select();
    for name in TALLY_COLUMNS {
        q.expr(Expr::col(name).sum().cast_as("bigint"));
    }
    q.from_subquery(union, "parts");
    let row = conn.query_one(&q).await?;
    let Some(row) = row else {
        return Ok(Tally::default());
    };
    let n = |i: usize| -> Result<i64, DbErr> {
        Ok(row.try_get_by_index::<Option<i64>>(i)?.unwrap_or(0))
    };
    Ok(Tally {
        open: n(0)?,
        in_progress: n(1)?,
        completed: n(2)?,
        missed: n(3)?,
        cancelled: n(4)?,
        results: n(5)?,
        passed: n(6)?,
    })
}

/// Numeric values per plan and item, in that order: the blocks in `runs`
/// and the live rows, added up in one statement. Each block run and each
/// live span is its own key range joined by `UNION ALL`: PostgreSQL reads
/// each from a covering index alone, where one `OR` of the ranges would
/// make it visit the table (and a generic plan would scan the whole range).
pub async fn items(
    conn: &impl ConnectionTrait,
    sites: &Sites<'_>,
    runs: &[BlockRun],
    live: &Live,
) -> Result<Vec<ItemRow>, DbErr> {
    use result_values::Column as V;
    use stats_block_items::Column as I;
    let mut parts: Vec<SelectStatement> = runs
        .iter()
        .map(|r| {
            Query::select()
                .columns([
                    I::PlanId,
                    I::ItemKey,
                    I::N,
                    I::SumValue,
                    I::MinValue,
                    I::MaxValue,
                ])
                .from(stats_block_items::Entity)
                .cond_where(sites.cond(I::SiteId))
                .and_where(I::Level.eq(r.level))
                .and_where(I::Block.between(r.first, r.last))
                .to_owned()
        })
        .collect();
    let v = || Expr::col(V::NumberValue);
    for span in live.spans() {
        parts.push(
            result_values::Entity::find()
                .select_only()
                .column(V::PlanId)
                .column(V::ItemKey)
                .column_as(v().count(), "n")
                .column_as(v().sum().cast_as("double precision"), "sum_value")
                .column_as(v().min().cast_as("double precision"), "min_value")
                .column_as(v().max().cast_as("double precision"), "max_value")
                .filter(span.cond(sites, V::SiteId, V::DueAt, V::DueDay))
                .filter(V::NumberValue.is_not_null())
                .group_by(V::PlanId)
                .group_by(V::ItemKey)
                .into_query(),
        );
    }
    let mut parts = parts.into_iter();
    let mut union = parts.next().expect("at least one live span");
    for p in parts {
        union.union(UnionType::All, p);
    }
    let q = Query::select()
        .column(I::PlanId)
        .column(I::ItemKey)
        .expr(Expr::col(I::N).sum().cast_as("bigint"))
        .expr(Expr::col(I::SumValue).sum())
        .expr(Expr::col(I::MinValue).min())
        .expr(Expr::col(I::MaxValue).max())
        .from_subquery(union, "parts")
        .group_by_col(I::PlanId)
        .group_by_col(I::ItemKey)
        .order_by(I::PlanId, Order::Asc)
        .order_by(I::ItemKey, Order::Asc)
        .to_owned();
    conn.query_all(&q)
        .await?
        .iter()
        .map(|r| {
            Ok(item_row((
                r.try_get_by_index(0)?,
                r.try_get_by_index(1)?,
                r.try_get_by_index(2)?,
                r.try_get_by_index(3)?,
                r.try_get_by_index(4)?,
                r.try_get_by_index(5)?,
            )))
        })
        .collect()
}

/// The tally of each local day in `lo..=hi` that has schedules, in order.
pub async fn daily_tally(
    conn: &impl ConnectionTrait,
    sites: &Sites<'_>,
    lo: i64,
    hi: i64,
) -> Result<Vec<(i64, Tally)>, DbErr> {
    use stats_blocks::Column as B;
    let q = stats_blocks::Entity::find()
        .select_only()
        .column(B::Block)
        .filter(sites.cond(B::SiteId))
        .filter(B::Level.eq(0))
        .filter(B::Block.between(lo, hi))
        .group_by(B::Block)
        .order_by_asc(B::Block);
    #[allow(clippy::type_complexity)]
    let rows: Vec<(
        i64,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
    )> = sum_tally(q).into_tuple().all(conn).await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.0, tally_of((r.1, r.2, r.3, r.4, r.5, r.6, r.7))))
        .collect())
}

/// The local day of one plan's schedules at one site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct DayKey {
    pub site_id: i64,
    pub plan_id: i64,
    pub day: i64,
}

/// Adds `deltas` to the blocks at once, for a change that has no other
/// writes to join (`add` gathers them with a transaction's others).
pub async fn apply(
    conn: &impl ConnectionTrait,
    deltas: impl IntoIterator<Item = (DayKey, Tally)>,
) -> Result<(), DbErr> {
    Writes::run_now(conn, |w| add(w, deltas)).await
}

/// Adds changes of schedules (and their results) to the blocks holding
/// their days, with the writes of the transaction that makes the changes.
/// Rows are written in key order, so concurrent writers lock them in the
/// same order.
pub fn add(writes: &mut Writes, deltas: impl IntoIterator<Item = (DayKey, Tally)>) {
    use stats_blocks::Column as B;
    let mut rows: BTreeMap<(i64, i16, i64), Tally> = BTreeMap::new();
    for (k, t) in deltas {
        for (level, block) in blocks_of(k.day) {
            rows.entry((k.site_id, level, block)).or_default().add(&t);
        }
    }
    rows.retain(|_, t| !t.is_zero());
    let rows: Vec<_> = rows.into_iter().collect();
    let summed = |c: &str| Expr::cust(format!("stats_blocks.{c} + excluded.{c}"));
    for chunk in rows.chunks(500) {
        let models = chunk
            .iter()
            .map(|&((site, level, block), t)| stats_blocks::ActiveModel {
                site_id: Set(site),
                level: Set(level),
                block: Set(block),
                n_open: Set(t.open),
                n_in_progress: Set(t.in_progress),
                n_completed: Set(t.completed),
                n_missed: Set(t.missed),
                n_cancelled: Set(t.cancelled),
                n_results: Set(t.results),
                n_passed: Set(t.passed),
            });
        let q = stats_blocks::Entity::insert_many(models)
            .on_conflict(
                OnConflict::columns([B::SiteId, B::Level, B::Block])
                    .value(B::NOpen, summed("n_open"))
                    .value(B::NInProgress, summed("n_in_progress"))
                    .value(B::NCompleted, summed("n_completed"))
                    .value(B::NMissed, summed("n_missed"))
                    .value(B::NCancelled, summed("n_cancelled"))
                    .value(B::NResults, summed("n_results"))
                    .value(B::NPassed, summed("n_passed"))
                    .to_owned(),
            )
            .into_query();
        writes.push(&q);
    }
}

/// Adds recorded numeric values to the blocks holding their days, with the
/// writes that record them. Values are only ever added (a result is
/// final), so min and max stay exact.
pub fn add_values(writes: &mut Writes, values: impl IntoIterator<Item = (DayKey, String, f64)>) {
    use stats_block_items::Column as I;
    let mut rows: BTreeMap<(i64, i16, i64, i64, String), Measures> = BTreeMap::new();
    for (k, key, v) in values {
        for (level, block) in blocks_of(k.day) {
            rows.entry((k.site_id, level, block, k.plan_id, key.clone()))
                .and_modify(|m| m.merge(&Measures::one(v)))
                .or_insert(Measures::one(v));
        }
    }
    if rows.is_empty() {
        return;
    }
    let models = rows
        .into_iter()
        .map(
            |((site, level, block, plan, key), m)| stats_block_items::ActiveModel {
                site_id: Set(site),
                level: Set(level),
                block: Set(block),
                plan_id: Set(plan),
                item_key: Set(key),
                n: Set(m.count),
                sum_value: Set(m.sum),
                min_value: Set(m.min),
                max_value: Set(m.max),
            },
        );
    let t = "stats_block_items";
    let pick = |c: &str, op: &str| {
        Expr::cust(format!(
            "CASE WHEN excluded.{c} {op} {t}.{c} THEN excluded.{c} ELSE {t}.{c} END"
        ))
    };
    let q = stats_block_items::Entity::insert_many(models)
        .on_conflict(
            OnConflict::columns([I::SiteId, I::Level, I::Block, I::PlanId, I::ItemKey])
                .value(I::N, Expr::cust(format!("{t}.n + excluded.n")))
                .value(
                    I::SumValue,
                    Expr::cust(format!("{t}.sum_value + excluded.sum_value")),
                )
                .value(I::MinValue, pick("min_value", "<"))
                .value(I::MaxValue, pick("max_value", ">"))
                .to_owned(),
        )
        .into_query();
    writes.push(&q);
}

/// Recomputes every block from the schedules, results and values (after a
/// migration, or rows imported by SQL: `gemba stats rebuild`).
///
/// Rows are written in key order, so the rows of one block sit together in
/// PostgreSQL's table (submits add a block's rows in the days it covers;
/// how far updates over months spread them is not measured). A
/// summary reads them by index alone, and checks each row's table page in
/// the visibility map (one map page per 256 MB of table): written in the
/// aggregate's hash order, one block's 500 rows lay across the whole table
/// and its scan went from map page to map page, 1,142 buffers for 1,500
/// rows on 10M schedules against 22 in key order (bench/RESULTS.md).
pub async fn rebuild(conn: &impl ConnectionTrait) -> Result<(), DbErr> {
    conn.execute_unprepared("DELETE FROM stats_block_items")
        .await?;
    conn.execute_unprepared("DELETE FROM stats_blocks").await?;
    let status = |s: ScheduleStatus| {
        format!(
            "SUM(CASE WHEN s.status = '{}' THEN 1 ELSE 0 END)",
            s.as_str()
        )
    };
    for level in 0..BLOCK_LEVELS {
        let n = block_days(level);
        // Days before 1970 are kept by day only (see `blocks_of`).
        let (and_day, where_day) = if level == 0 {
            ("", "")
        } else {
            (" AND due_day >= 0", " WHERE s.due_day >= 0")
        };
        conn.execute_unprepared(&format!(
            "INSERT INTO stats_blocks (site_id, level, block, n_open, n_in_progress, \
             n_completed, n_missed, n_cancelled, n_results, n_passed) \
             SELECT s.site_id, {level}, s.due_day / {n}, {}, {}, {}, {}, {}, \
             SUM(CASE WHEN r.id IS NULL THEN 0 ELSE 1 END), \
             SUM(CASE WHEN r.passed THEN 1 ELSE 0 END) \
             FROM schedules s LEFT JOIN results r ON r.schedule_id = s.id{where_day} \
             GROUP BY s.site_id, s.due_day / {n} ORDER BY 1, 3",
            status(ScheduleStatus::Open),
            status(ScheduleStatus::InProgress),
            status(ScheduleStatus::Completed),
            status(ScheduleStatus::Missed),
            status(ScheduleStatus::Cancelled),
        ))
        .await?;
        conn.execute_unprepared(&format!(
            "INSERT INTO stats_block_items (site_id, level, block, plan_id, item_key, n, \
             sum_value, min_value, max_value) \
             SELECT site_id, {level}, due_day / {n}, plan_id, item_key, COUNT(*), \
             SUM(number_value), MIN(number_value), MAX(number_value) \
             FROM result_values WHERE number_value IS NOT NULL{and_day} \
             GROUP BY site_id, due_day / {n}, plan_id, item_key ORDER BY 1, 3, 4, 5"
        ))
        .await?;
    }
    Ok(())
}
