//! Queries for reports: the job row (insert, claim with a lease, heartbeat,
//! finish, expire) and the rows a report lists, read in keyset batches.

use super::page_by_id;
use std::time::Duration;

use chrono::{DateTime, FixedOffset, Utc};
use sea_orm::sea_query::{
    Asterisk, Condition, Expr, ExprTrait, LockBehavior, LockType, Order, Query,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, DbErr,
    EntityTrait, FromQueryResult, JoinType, QueryFilter, QueryOrder, QuerySelect,
};

use super::stored;
use crate::domain::page::PageRequest;
use crate::domain::report::{NewReport, Progress, Report, ReportKind, ReportStatus};
use crate::entities::reports::{self, Column, Entity as Reports};
use crate::entities::{result_values, results, schedules};

fn utc(t: DateTime<FixedOffset>) -> DateTime<Utc> {
    t.with_timezone(&Utc)
}

impl TryFrom<reports::Model> for Report {
    type Error = DbErr;
    fn try_from(m: reports::Model) -> Result<Self, DbErr> {
        Ok(Report {
            id: m.id,
            site_id: m.site_id,
            kind: stored("reports.kind", &m.kind)?,
            format: stored("reports.format", &m.format)?,
            locale: stored("reports.locale", &m.locale)?,
            from: utc(m.period_from),
            to: utc(m.period_to),
            status: stored("reports.status", &m.status)?,
            progress: Progress {
                rows_written: m.rows_written,
                rows_total: m.rows_total,
            },
            attempts: m.attempts,
            file_name: m.file_name,
            content_type: m.content_type,
            size_bytes: m.size_bytes,
            error: m.error,
            requested_by: m.requested_by,
            created_at: utc(m.created_at),
            started_at: m.started_at.map(utc),
            finished_at: m.finished_at.map(utc),
            expires_at: m.expires_at.map(utc),
            object_key: m.object_key,
        })
    }
}

/// What the service decided for a new report.
pub struct ReportRow<'a> {
    pub new: &'a NewReport,
    pub requested_by: Option<i64>,
    pub file_name: String,
    pub object_key: String,
    pub max_attempts: u32,
}

pub async fn insert(
    conn: &impl ConnectionTrait,
    r: ReportRow<'_>,
    now: DateTime<Utc>,
) -> Result<Report, DbErr> {
    reports::ActiveModel {
        site_id: Set(r.new.site_id),
        requested_by: Set(r.requested_by),
        kind: Set(r.new.kind.as_str().to_owned()),
        format: Set(r.new.format.as_str().to_owned()),
        locale: Set(r.new.locale.as_str().to_owned()),
        period_from: Set(r.new.from.into()),
        period_to: Set(r.new.to.into()),
        status: Set(ReportStatus::Queued.as_str().to_owned()),
        attempts: Set(0),
        max_attempts: Set(r.max_attempts as i32),
        run_after: Set(now.into()),
        lease_until: Set(None),
        worker: Set(None),
        rows_total: Set(None),
        rows_written: Set(0),
        file_name: Set(r.file_name),
        object_key: Set(r.object_key),
        content_type: Set(r.new.format.content_type().to_owned()),
        size_bytes: Set(None),
        error: Set(None),
        created_at: Set(now.into()),
        started_at: Set(None),
        finished_at: Set(None),
        expires_at: Set(None),
        updated_at: Set(now.into()),
        ..Default::default()
    }
    .insert(conn)
    .await?
    .try_into()
}

pub async fn find(conn: &impl ConnectionTrait, id: i64) -> Result<Option<Report>, DbErr> {
    Reports::find_by_id(id)
        .one(conn)
        .await?
        .map(Report::try_from)
        .transpose()
}

/// Filters of a report list.
pub struct ReportFilter<'a> {
    pub site_id: Option<i64>,
    pub status: Option<ReportStatus>,
    pub scope: Option<&'a [i64]>,
}

/// One page, newest first.
pub async fn list(
    conn: &impl ConnectionTrait,
    f: &ReportFilter<'_>,
    page: &PageRequest<i64>,
) -> Result<Vec<Report>, DbErr> {
    let mut q = Reports::find();
    if let Some(ids) = f.scope {
        q = q.filter(Column::SiteId.is_in(ids.iter().copied()));
    }
    if let Some(site) = f.site_id {
        q = q.filter(Column::SiteId.eq(site));
    }
    if let Some(status) = f.status {
        q = q.filter(Column::Status.eq(status.as_str()));
    }
    page_by_id(q, Column::Id, Order::Desc, page)
        .all(conn)
        .await?
        .into_iter()
        .map(Report::try_from)
        .collect()
}

/// A report claimed by a worker: the attempt number fences its writes.
#[derive(Debug, Clone)]
pub struct Claim {
    pub report: Report,
    pub worker: String,
    pub attempt: i32,
}

/// Takes the oldest report that is queued and due, or whose worker's lease
/// ran out (it crashed) with attempts left. One statement: on PostgreSQL
/// the candidate row is locked `FOR UPDATE SKIP LOCKED`, so concurrent
/// workers take different rows; SQLite runs one writing statement at a
/// time, which gives the same guarantee.
pub async fn claim(
    conn: &impl ConnectionTrait,
    worker: &str,
    lease: Duration,
    now: DateTime<Utc>,
) -> Result<Option<Claim>, DbErr> {
    let now_fx: DateTime<FixedOffset> = now.into();
    let lease_until: DateTime<FixedOffset> =
        (now + chrono::Duration::from_std(lease).unwrap_or_default()).into();
    let mut candidate = Query::select();
    candidate
        .column(Column::Id)
        .from(Reports)
        .cond_where(
            Condition::any()
                .add(
                    Condition::all()
                        .add(Expr::col(Column::Status).eq(ReportStatus::Queued.as_str()))
                        .add(Expr::col(Column::RunAfter).lte(now_fx)),
                )
                .add(
                    Condition::all()
                        .add(Expr::col(Column::Status).eq(ReportStatus::Running.as_str()))
                        .add(Expr::col(Column::LeaseUntil).lt(now_fx))
                        .add(Expr::col(Column::Attempts).lt(Expr::col(Column::MaxAttempts))),
                ),
        )
        .order_by(Column::Id, Order::Asc)
        .limit(1);
    if conn.get_database_backend() == DbBackend::Postgres {
        candidate.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    let update = Query::update()
        .table(Reports)
        .value(Column::Status, ReportStatus::Running.as_str())
        .value(Column::Attempts, Expr::col(Column::Attempts).add(1))
        .value(Column::LeaseUntil, lease_until)
        .value(Column::Worker, worker)
        .value(
            Column::StartedAt,
            Expr::col(Column::StartedAt).if_null(now_fx),
        )
        .value(Column::UpdatedAt, now_fx)
        .and_where(Expr::col(Column::Id).in_subquery(candidate))
        .returning(Query::returning().column(Asterisk))
        .to_owned();
    let row = conn.query_one(&update).await?;
    let Some(row) = row else { return Ok(None) };
    let model = reports::Model::from_query_result(&row, "")?;
    let attempt = model.attempts;
    Ok(Some(Claim {
        report: model.try_into()?,
        worker: worker.to_owned(),
        attempt,
    }))
}

/// Marks as failed the running reports whose lease ran out on their last
/// attempt (the process died every time); returns how many.
pub async fn fail_abandoned(conn: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64, DbErr> {
    let now_fx: DateTime<FixedOffset> = now.into();
    let res = Reports::update_many()
        .col_expr(Column::Status, Expr::value(ReportStatus::Failed.as_str()))
        .col_expr(
            Column::Error,
            Expr::value("the worker stopped during every attempt (crash or out of memory)"),
        )
        .col_expr(
            Column::LeaseUntil,
            Expr::value(Option::<DateTime<FixedOffset>>::None),
        )
        .col_expr(Column::FinishedAt, Expr::value(now_fx))
        .col_expr(Column::UpdatedAt, Expr::value(now_fx))
        .filter(Column::Status.eq(ReportStatus::Running.as_str()))
        .filter(Column::LeaseUntil.lt(now_fx))
        .filter(Expr::col(Column::Attempts).gte(Expr::col(Column::MaxAttempts)))
        .exec(conn)
        .await?;
    Ok(res.rows_affected)
}

fn fenced(c: &Claim) -> Condition {
    Condition::all()
        .add(Column::Id.eq(c.report.id))
        .add(Column::Status.eq(ReportStatus::Running.as_str()))
        .add(Column::Worker.eq(c.worker.as_str()))
        .add(Column::Attempts.eq(c.attempt))
}

/// Records progress and extends the lease; false when the claim was lost.
pub async fn heartbeat(
    conn: &impl ConnectionTrait,
    c: &Claim,
    progress: &Progress,
    lease: Duration,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let lease_until: DateTime<FixedOffset> =
        (now + chrono::Duration::from_std(lease).unwrap_or_default()).into();
    let res = Reports::update_many()
        .col_expr(Column::RowsWritten, Expr::value(progress.rows_written))
        .col_expr(Column::RowsTotal, Expr::value(progress.rows_total))
        .col_expr(Column::LeaseUntil, Expr::value(lease_until))
        .col_expr(
            Column::UpdatedAt,
            Expr::value(DateTime::<FixedOffset>::from(now)),
        )
        .filter(fenced(c))
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}

/// The file is in storage: the report succeeded. False when the claim was lost.
pub async fn succeed(
    conn: &impl ConnectionTrait,
    c: &Claim,
    rows: i64,
    size: u64,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let now_fx: DateTime<FixedOffset> = now.into();
    let res = Reports::update_many()
        .col_expr(
            Column::Status,
            Expr::value(ReportStatus::Succeeded.as_str()),
        )
        .col_expr(Column::RowsWritten, Expr::value(rows))
        .col_expr(Column::RowsTotal, Expr::value(rows))
        .col_expr(Column::SizeBytes, Expr::value(size as i64))
        .col_expr(Column::Error, Expr::value(Option::<String>::None))
        .col_expr(
            Column::LeaseUntil,
            Expr::value(Option::<DateTime<FixedOffset>>::None),
        )
        .col_expr(Column::FinishedAt, Expr::value(now_fx))
        .col_expr(
            Column::ExpiresAt,
            Expr::value(DateTime::<FixedOffset>::from(expires_at)),
        )
        .col_expr(Column::UpdatedAt, Expr::value(now_fx))
        .filter(fenced(c))
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}

/// The attempt failed: queued again after `retry_after`, or failed for
/// good once no attempt is left. Returns the new status (None: claim lost).
pub async fn fail(
    conn: &impl ConnectionTrait,
    c: &Claim,
    error: &str,
    retry_after: chrono::Duration,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Option<ReportStatus>, DbErr> {
    let now_fx: DateTime<FixedOffset> = now.into();
    let last = c.attempt >= max_attempts(conn, c.report.id).await?;
    let status = if last {
        ReportStatus::Failed
    } else {
        ReportStatus::Queued
    };
    let mut q = Reports::update_many()
        .col_expr(Column::Status, Expr::value(status.as_str()))
        .col_expr(Column::Error, Expr::value(error))
        .col_expr(
            Column::LeaseUntil,
            Expr::value(Option::<DateTime<FixedOffset>>::None),
        )
        .col_expr(Column::UpdatedAt, Expr::value(now_fx));
    q = if last {
        q.col_expr(Column::FinishedAt, Expr::value(now_fx))
            .col_expr(
                Column::ExpiresAt,
                Expr::value(DateTime::<FixedOffset>::from(expires_at)),
            )
    } else {
        q.col_expr(
            Column::RunAfter,
            Expr::value(DateTime::<FixedOffset>::from(now + retry_after)),
        )
    };
    let res = q.filter(fenced(c)).exec(conn).await?;
    Ok((res.rows_affected == 1).then_some(status))
}

async fn max_attempts(conn: &impl ConnectionTrait, id: i64) -> Result<i32, DbErr> {
    let n: Option<i32> = Reports::find_by_id(id)
        .select_only()
        .column(Column::MaxAttempts)
        .into_tuple()
        .one(conn)
        .await?;
    Ok(n.unwrap_or(0))
}

/// Reports whose time is up (at most `limit`).
pub async fn expired(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<Report>, DbErr> {
    Reports::find()
        .filter(Column::ExpiresAt.lt(DateTime::<FixedOffset>::from(now)))
        .order_by_asc(Column::ExpiresAt)
        .limit(limit)
        .all(conn)
        .await?
        .into_iter()
        .map(Report::try_from)
        .collect()
}

pub async fn delete(conn: &impl ConnectionTrait, id: i64) -> Result<u64, DbErr> {
    Ok(Reports::delete_by_id(id).exec(conn).await?.rows_affected)
}

/// (kind, state, count) of every report job, for metrics.
pub async fn counts(conn: &impl ConnectionTrait) -> Result<Vec<(String, String, i64)>, DbErr> {
    Reports::find()
        .select_only()
        .column(Column::Kind)
        .column(Column::Status)
        .column_as(Expr::cust("COUNT(*)"), "n")
        .group_by(Column::Kind)
        .group_by(Column::Status)
        .into_tuple()
        .all(conn)
        .await
}

/// The due range and site of a report's rows.
#[derive(Debug, Clone, Copy)]
pub struct RowScope {
    pub site_id: i64,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

/// Where the last batch ended: rows come in (due, id) order.
pub type After = Option<(DateTime<Utc>, i64)>;

fn keyset<C: ColumnTrait>(due: C, id: C, after: After) -> Condition {
    match after {
        None => Condition::all(),
        Some((at, last)) => {
            let at: DateTime<FixedOffset> = at.into();
            Condition::any()
                .add(due.gt(at))
                .add(Condition::all().add(due.eq(at)).add(id.gt(last)))
        }
    }
}

fn in_scope<C: ColumnTrait>(site: C, due: C, s: &RowScope) -> Condition {
    Condition::all()
        .add(site.eq(s.site_id))
        .add(due.gte(DateTime::<FixedOffset>::from(s.from)))
        .add(due.lt(DateTime::<FixedOffset>::from(s.to)))
}

/// How many rows a report of this kind lists: the expected total that
/// progress is measured against.
pub async fn count_rows(
    conn: &impl ConnectionTrait,
    kind: ReportKind,
    s: &RowScope,
) -> Result<i64, DbErr> {
    async fn count<E: EntityTrait>(
        conn: &impl ConnectionTrait,
        site: E::Column,
        due: E::Column,
        s: &RowScope,
    ) -> Result<i64, DbErr> {
        let n: Option<i64> = E::find()
            .select_only()
            .column_as(Expr::cust("COUNT(*)"), "n")
            .filter(in_scope(site, due, s))
            .into_tuple()
            .one(conn)
            .await?;
        Ok(n.unwrap_or(0))
    }
    match kind {
        ReportKind::Schedules => {
            use schedules::Column as C;
            count::<schedules::Entity>(conn, C::SiteId, C::DueAt, s).await
        }
        ReportKind::Results => {
            use result_values::Column as C;
            count::<result_values::Entity>(conn, C::SiteId, C::DueAt, s).await
        }
    }
}

/// One schedule of a schedules report.
#[derive(Debug, Clone, FromQueryResult)]
pub struct ScheduleRow {
    pub id: i64,
    pub due_at: DateTime<FixedOffset>,
    pub window_ends_at: DateTime<FixedOffset>,
    pub status: String,
    pub equipment_id: i64,
    pub plan_id: i64,
    pub assignee_id: Option<i64>,
    pub started_at: Option<DateTime<FixedOffset>>,
    pub completed_at: Option<DateTime<FixedOffset>>,
}

pub async fn schedule_rows(
    conn: &impl ConnectionTrait,
    s: &RowScope,
    after: After,
    batch: u64,
) -> Result<Vec<ScheduleRow>, DbErr> {
    use schedules::Column as C;
    schedules::Entity::find()
        .select_only()
        .columns([
            C::Id,
            C::DueAt,
            C::WindowEndsAt,
            C::Status,
            C::EquipmentId,
            C::PlanId,
            C::AssigneeId,
            C::StartedAt,
            C::CompletedAt,
        ])
        .filter(in_scope(C::SiteId, C::DueAt, s))
        .filter(keyset(C::DueAt, C::Id, after))
        .order_by_asc(C::DueAt)
        .order_by_asc(C::Id)
        .limit(batch)
        .into_model::<ScheduleRow>()
        .all(conn)
        .await
}

/// One measured value of a results report, with its result and schedule.
#[derive(Debug, Clone, FromQueryResult)]
pub struct ValueRow {
    pub id: i64,
    pub due_at: DateTime<FixedOffset>,
    pub plan_id: i64,
    pub item_key: String,
    pub number_value: Option<f64>,
    pub bool_value: Option<bool>,
    pub text_value: Option<String>,
    pub passed: Option<bool>,
    pub plan_version: i32,
    pub submitted_by: Option<i64>,
    pub submitted_at: DateTime<FixedOffset>,
    pub schedule_id: i64,
    pub equipment_id: i64,
}

pub async fn value_rows(
    conn: &impl ConnectionTrait,
    s: &RowScope,
    after: After,
    batch: u64,
) -> Result<Vec<ValueRow>, DbErr> {
    use result_values::Column as C;
    let r = results::Entity;
    let sch = schedules::Entity;
    result_values::Entity::find()
        .select_only()
        .columns([
            C::Id,
            C::DueAt,
            C::PlanId,
            C::ItemKey,
            C::NumberValue,
            C::BoolValue,
            C::TextValue,
            C::Passed,
        ])
        .column_as(Expr::col((r, results::Column::PlanVersion)), "plan_version")
        .column_as(Expr::col((r, results::Column::SubmittedBy)), "submitted_by")
        .column_as(Expr::col((r, results::Column::SubmittedAt)), "submitted_at")
        .column_as(Expr::col((r, results::Column::ScheduleId)), "schedule_id")
        .column_as(
            Expr::col((sch, schedules::Column::EquipmentId)),
            "equipment_id",
        )
        .join(
            JoinType::InnerJoin,
            result_values::Entity::belongs_to(results::Entity)
                .from(C::ResultId)
                .to(results::Column::Id)
                .into(),
        )
        .join(
            JoinType::InnerJoin,
            results::Entity::belongs_to(schedules::Entity)
                .from(results::Column::ScheduleId)
                .to(schedules::Column::Id)
                .into(),
        )
        .filter(in_scope(C::SiteId, C::DueAt, s))
        .filter(keyset(C::DueAt, C::Id, after))
        .order_by_asc(C::DueAt)
        .order_by_asc(C::Id)
        .limit(batch)
        .into_model::<ValueRow>()
        .all(conn)
        .await
}
