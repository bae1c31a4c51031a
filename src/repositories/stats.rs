//! Aggregates computed by the database (GROUP BY), never by loading rows.
//! `COUNT(*)` rather than `COUNT(id)`, and only indexed columns, so each
//! query is answered from its covering index (migration 000005).

use chrono::{DateTime, FixedOffset, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::stored;
use crate::domain::schedule::ScheduleStatus;
use crate::entities::{result_values, results, schedules};

/// Which schedules count: sites and a due range.
#[derive(Debug, Clone, Copy)]
pub struct StatsScope<'a> {
    pub site_id: Option<i64>,
    pub sites: Option<&'a [i64]>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

fn range<C: ColumnTrait>(site: C, due: C, s: &StatsScope<'_>) -> Condition {
    let mut c = Condition::all()
        .add(due.gte(DateTime::<FixedOffset>::from(s.from)))
        .add(due.lt(DateTime::<FixedOffset>::from(s.to)));
    if let Some(id) = s.site_id {
        c = c.add(site.eq(id));
    }
    if let Some(ids) = s.sites {
        c = c.add(site.is_in(ids.iter().copied()));
    }
    c
}

/// (status, count) of the schedules in scope.
pub async fn status_counts(
    conn: &impl ConnectionTrait,
    s: &StatsScope<'_>,
) -> Result<Vec<(ScheduleStatus, i64)>, DbErr> {
    let rows: Vec<(String, i64)> = schedules::Entity::find()
        .select_only()
        .column(schedules::Column::Status)
        .column_as(Expr::cust("COUNT(*)"), "n")
        .filter(range(
            schedules::Column::SiteId,
            schedules::Column::DueAt,
            s,
        ))
        .group_by(schedules::Column::Status)
        .into_tuple()
        .all(conn)
        .await?;
    rows.into_iter()
        .map(|(status, n)| Ok((stored("schedules.status", &status)?, n)))
        .collect()
}

/// (results, results that passed) in scope.
pub async fn result_counts(
    conn: &impl ConnectionTrait,
    s: &StatsScope<'_>,
) -> Result<(i64, i64), DbErr> {
    let row: Option<(i64, Option<i64>)> = results::Entity::find()
        .select_only()
        .column_as(Expr::cust("COUNT(*)"), "n")
        .column_as(
            Expr::cust("SUM(CASE WHEN passed THEN 1 ELSE 0 END)").cast_as("bigint"),
            "passed",
        )
        .filter(range(results::Column::SiteId, results::Column::DueAt, s))
        .into_tuple()
        .one(conn)
        .await?;
    Ok(row.map_or((0, 0), |(n, p)| (n, p.unwrap_or(0))))
}

/// (plan, item, count, sum, avg, min, max) of numeric values in scope.
pub type ItemRow = (i64, String, i64, f64, f64, f64, f64);

pub async fn item_stats(
    conn: &impl ConnectionTrait,
    s: &StatsScope<'_>,
) -> Result<Vec<ItemRow>, DbErr> {
    use result_values::Column as C;
    let v = || Expr::col(C::NumberValue);
    result_values::Entity::find()
        .select_only()
        .column(C::PlanId)
        .column(C::ItemKey)
        .column_as(v().count(), "n")
        .column_as(v().sum().cast_as("double precision"), "sum")
        .column_as(
            Expr::cust("AVG(number_value)").cast_as("double precision"),
            "avg",
        )
        .column_as(v().min().cast_as("double precision"), "min")
        .column_as(v().max().cast_as("double precision"), "max")
        .filter(range(C::SiteId, C::DueAt, s))
        .filter(C::NumberValue.is_not_null())
        .group_by(C::PlanId)
        .group_by(C::ItemKey)
        .order_by_asc(C::PlanId)
        .order_by_asc(C::ItemKey)
        .into_tuple()
        .all(conn)
        .await
}
