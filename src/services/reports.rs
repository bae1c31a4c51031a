//! Reports: asking for one (a queued job row), reading and downloading it,
//! and the job itself — rows read from the database in keyset batches and
//! written by a blocking writer into a temporary file, then streamed into
//! object storage.

use std::collections::HashMap;
use std::time::Instant;

use crate::repositories::Conn;
use chrono::{DateTime, NaiveDateTime, Utc};
use chrono_tz::Tz;
use tokio::sync::mpsc;

use super::audit::{self, Change};
use super::files::{self, Content};
use super::visible;
use crate::db::begin_write;
use crate::domain::auth::CurrentUser;
use crate::domain::page::{Page, PageRequest};
use crate::domain::plan::ChecklistItem;
use crate::domain::report::{
    self, Locale, NewReport, Progress, Report, ReportKind, ReportQuery, ReportStatus,
};
use crate::domain::schedule::ScheduleStatus;
use crate::domain::site::Site;
use crate::domain::stats::StatsQuery;
use crate::error::{AppError, AppResult};
use crate::export::{Cell, Sink, SummaryLine};
use crate::repositories::reports::{self as repo, After, Claim, RowScope};
use crate::repositories::{equipment, plans, sites, users};
use crate::state::AppState;
use crate::storage::ObjectKey;

/// Rows read per query.
const BATCH: u64 = 2000;

pub async fn create(state: &AppState, actor: &CurrentUser, new: NewReport) -> AppResult<Report> {
    let site = visible(actor, sites::find(&state.db, new.site_id).await?)?;
    let now = Utc::now();
    let local = now.with_timezone(&site.timezone.tz()).naive_local();
    let file_name = report::file_name(new.kind, new.format, new.locale, site.name.as_str(), local);
    // The file name plus a random tag: two reports asked for in the same
    // second never share an object.
    let tag = &uuid::Uuid::new_v4().simple().to_string()[..8];
    let (stem, ext) = file_name.rsplit_once('.').unwrap_or((&file_name, ""));
    let key = ObjectKey::report(site.code.as_str(), now, &format!("{stem}_{tag}.{ext}"));
    let txn = begin_write(&state.writer).await?;
    let report = repo::insert(
        &txn,
        repo::ReportRow {
            new: &new,
            requested_by: actor.actor_id(),
            file_name,
            object_key: key.to_string(),
            max_attempts: state.settings.jobs.max_attempts,
        },
        now,
    )
    .await?;
    audit::record(&txn, actor, Change::Created(&report)).await?;
    txn.commit().await?;
    tracing::info!(report.id = report.id, site.id = site.id, kind = %report.kind, "report queued");
    Ok(report)
}

pub async fn list(
    state: &AppState,
    actor: &CurrentUser,
    q: ReportQuery,
) -> AppResult<Page<Report>> {
    let page = PageRequest::new(q.limit, q.cursor.map(|c| c.0));
    let filter = repo::ReportFilter {
        site_id: q.site_id,
        status: q.status,
        scope: actor.site_scope(),
    };
    let rows = repo::list(&state.db, &filter, &page).await?;
    Ok(page.page(rows, |r| r.id))
}

pub async fn get(state: &AppState, actor: &CurrentUser, id: i64) -> AppResult<Report> {
    visible(actor, repo::find(&state.db, id).await?)
}

/// The file of a succeeded report: a stream, or a presigned URL on S3.
/// A report that is not ready is a 409 that says where it is.
pub async fn content(state: &AppState, actor: &CurrentUser, id: i64) -> AppResult<Content<Report>> {
    let report = get(state, actor, id).await?;
    if report.status != ReportStatus::Succeeded {
        return Err(AppError::Conflict(format!(
            "the report is {}; download it once its status is succeeded",
            report.status
        )));
    }
    files::deliver(state, report).await
}

/// Counts of report jobs by kind and state, for `/metrics`.
pub async fn job_counts(state: &AppState) -> AppResult<Vec<(String, String, i64)>> {
    Ok(repo::counts(&state.db).await?)
}

/// One attempt of a claimed report; the worker records the outcome.
pub async fn generate(state: &AppState, claim: &Claim) -> anyhow::Result<()> {
    let r = &claim.report;
    let site = sites::find(&state.db, r.site_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the site {} no longer exists", r.site_id))?;
    let scope = RowScope {
        site_id: r.site_id,
        from: r.from,
        to: r.to,
    };
    let total = repo::count_rows(&state.db, r.kind, &scope).await?;
    let lease = state.settings.jobs.lease;
    let mut progress = Progress {
        rows_written: 0,
        rows_total: Some(total),
    };
    if !repo::heartbeat(&state.writer, claim, &progress, lease, Utc::now()).await? {
        anyhow::bail!(LostClaim);
    }
    let summary = summary_lines(state, r, &site).await?;
    let words = r.kind.words(r.locale);
    let dir = tempfile::Builder::new().prefix("gemba-report-").tempdir()?;
    let dir_path = dir.path().to_owned();
    let format = r.format;

    // The writer runs on a blocking thread and takes batches from here;
    // two batches in flight at most, so memory stays flat.
    let (tx, mut rx) = mpsc::channel::<Vec<Vec<Cell>>>(2);
    let writer = tokio::task::spawn_blocking(move || -> anyhow::Result<std::path::PathBuf> {
        let mut sink = Sink::create(format, &dir_path, &words, &summary)?;
        while let Some(batch) = rx.blocking_recv() {
            for row in &batch {
                sink.write_row(row)?;
            }
        }
        sink.finish()
    });

    let tz = site.timezone.tz();
    let mut names = Names::default();
    let mut after: After = None;
    let mut last_beat = Instant::now();
    let read: anyhow::Result<()> = async {
        loop {
            let (cells, next) = match r.kind {
                ReportKind::Schedules => {
                    let rows = repo::schedule_rows(&state.db, &scope, after, BATCH).await?;
                    let next = rows.last().map(|x| (x.due_at.with_timezone(&Utc), x.id));
                    names.load_schedules(&state.db, &rows).await?;
                    let cells = rows
                        .iter()
                        .map(|x| names.schedule_cells(x, tz, r.locale))
                        .collect::<anyhow::Result<Vec<_>>>()?;
                    (cells, next)
                }
                ReportKind::Results => {
                    let rows = repo::value_rows(&state.db, &scope, after, BATCH).await?;
                    let next = rows.last().map(|x| (x.due_at.with_timezone(&Utc), x.id));
                    names.load_values(&state.db, &rows).await?;
                    let cells = rows
                        .iter()
                        .map(|x| names.value_cells(x, tz, r.locale))
                        .collect::<Vec<_>>();
                    (cells, next)
                }
            };
            let n = cells.len() as u64;
            if n > 0 && tx.send(cells).await.is_err() {
                break; // the writer failed; its error is reported below
            }
            progress.rows_written += n as i64;
            if last_beat.elapsed() >= std::time::Duration::from_secs(1) || n < BATCH {
                last_beat = Instant::now();
                if !repo::heartbeat(&state.writer, claim, &progress, lease, Utc::now()).await? {
                    anyhow::bail!(LostClaim);
                }
            }
            if n < BATCH {
                break;
            }
            after = next;
        }
        Ok(())
    }
    .await;
    drop(tx);
    let written = writer.await?;
    read?;
    let path = written?;

    let key = ObjectKey::trusted(r.object_key.clone());
    let size = state.storage.put_file(&key, &r.content_type, &path).await?;
    drop(dir);
    let now = Utc::now();
    let expires = now + chrono::Duration::days(state.settings.jobs.report_retention_days.into());
    if !repo::succeed(
        &state.writer,
        claim,
        progress.rows_written,
        size,
        expires,
        now,
    )
    .await?
    {
        // Another worker took the job over (our lease ran out); it writes
        // the same key, so the object stays theirs.
        anyhow::bail!(LostClaim);
    }
    tracing::info!(report.id = r.id, rows = progress.rows_written, bytes = size, key = %key, "report written");
    Ok(())
}

/// The job was taken over by another worker: not a failure of the job.
#[derive(Debug, thiserror::Error)]
#[error("the job's lease ran out and another worker took it over")]
pub struct LostClaim;

/// Deletes the reports whose retention ran out: the file first, then the
/// row (a crash in between leaves a row whose file is already gone, which
/// the next pass deletes; never a file without its row).
pub async fn expire(state: &AppState, now: DateTime<Utc>) -> anyhow::Result<u64> {
    let mut deleted = 0;
    for r in repo::expired(&state.db, now, 100).await? {
        state
            .storage
            .delete(&ObjectKey::trusted(r.object_key.clone()))
            .await?;
        deleted += repo::delete(&state.writer, r.id).await?;
    }
    if deleted > 0 {
        tracing::info!(deleted, "expired reports deleted");
    }
    Ok(deleted)
}

async fn summary_lines(
    state: &AppState,
    r: &Report,
    site: &Site,
) -> anyhow::Result<Vec<SummaryLine>> {
    let s = super::stats::summary(
        state,
        &CurrentUser::system(),
        StatsQuery {
            site_id: Some(r.site_id),
            from: Some(r.from),
            to: Some(r.to),
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("statistics for the summary: {e}"))?;
    let tz = site.timezone.tz();
    let local = |t: DateTime<Utc>| Cell::DateTime(t.with_timezone(&tz).naive_local());
    let ko = r.locale == Locale::Ko;
    let l = |k: &str, e: &str| if ko { k.to_owned() } else { e.to_owned() };
    let rate = |x: Option<f64>| x.map_or(Cell::Empty, Cell::Number);
    let mut lines = vec![
        (
            l("사업장", "Site"),
            Cell::Text(format!("{} ({})", site.name.as_str(), site.code.as_str())),
        ),
        (
            l("시간대", "Time zone"),
            Cell::Text(site.timezone.tz().name().to_owned()),
        ),
        (l("기간 시작", "From"), local(r.from)),
        (l("기간 끝", "To"), local(r.to)),
        (l("전체 일정", "Schedules"), Cell::Int(s.total)),
        (l("완료", "Completed"), Cell::Int(s.by_status.completed)),
        (l("미실시", "Missed"), Cell::Int(s.by_status.missed)),
        (
            l("진행 중", "In progress"),
            Cell::Int(s.by_status.in_progress),
        ),
        (l("예정", "Open"), Cell::Int(s.by_status.open)),
        (l("취소", "Cancelled"), Cell::Int(s.by_status.cancelled)),
        (l("완료율", "Completion rate"), rate(s.completion_rate)),
        (l("결과 수", "Results"), Cell::Int(s.results)),
        (l("합격률", "Pass rate"), rate(s.pass_rate)),
    ];
    for item in &s.items {
        lines.push((
            format!(
                "{} #{} {}",
                l("항목", "Item"),
                item.plan_id,
                item.key.as_str()
            ),
            Cell::Text(format!(
                "n={} avg={:.3} min={} max={}",
                item.count, item.avg, item.min, item.max
            )),
        ));
    }
    Ok(lines)
}

/// Label and unit of each checklist item of one plan version.
type ItemNames = HashMap<String, (String, Option<String>)>;

/// Names of the equipment, plans, items and people the rows refer to,
/// loaded once per distinct id (a few queries per report, not per row).
#[derive(Default)]
struct Names {
    equipment: HashMap<i64, (String, String, String)>,
    plans: HashMap<i64, String>,
    items: HashMap<(i64, i32), ItemNames>,
    users: HashMap<i64, String>,
}

fn local(t: chrono::DateTime<chrono::FixedOffset>, tz: Tz) -> NaiveDateTime {
    t.with_timezone(&tz).naive_local()
}

fn opt_local(t: Option<chrono::DateTime<chrono::FixedOffset>>, tz: Tz) -> Cell {
    t.map_or(Cell::Empty, |t| Cell::DateTime(local(t, tz)))
}

fn text(s: Option<&String>) -> Cell {
    s.map_or(Cell::Empty, |s| Cell::Text(s.clone()))
}

impl Names {
    async fn load(
        &mut self,
        conn: &impl Conn,
        equipment_ids: impl Iterator<Item = i64>,
        plan_ids: impl Iterator<Item = i64>,
        user_ids: impl Iterator<Item = i64>,
    ) -> anyhow::Result<()> {
        let missing = |ids: &mut dyn Iterator<Item = i64>, have: &dyn Fn(&i64) -> bool| {
            let mut v: Vec<i64> = ids.filter(|i| !have(i)).collect();
            v.sort_unstable();
            v.dedup();
            v
        };
        let eq = missing(&mut { equipment_ids }, &|i| self.equipment.contains_key(i));
        for e in equipment::find_many(conn, &eq).await? {
            self.equipment.insert(
                e.id,
                (
                    e.code.as_str().to_owned(),
                    e.name.as_str().to_owned(),
                    e.line.as_str().to_owned(),
                ),
            );
        }
        let pl = missing(&mut { plan_ids }, &|i| self.plans.contains_key(i));
        for p in plans::find_many(conn, &pl).await? {
            self.plans.insert(p.id, p.title.as_str().to_owned());
        }
        let us = missing(&mut { user_ids }, &|i| self.users.contains_key(i));
        for (id, name) in users::names(conn, &us).await? {
            self.users.insert(id, name);
        }
        Ok(())
    }

    async fn load_schedules(
        &mut self,
        conn: &impl Conn,
        rows: &[repo::ScheduleRow],
    ) -> anyhow::Result<()> {
        self.load(
            conn,
            rows.iter().map(|r| r.equipment_id),
            rows.iter().map(|r| r.plan_id),
            rows.iter().filter_map(|r| r.assignee_id),
        )
        .await
    }

    async fn load_values(
        &mut self,
        conn: &impl Conn,
        rows: &[repo::ValueRow],
    ) -> anyhow::Result<()> {
        self.load(
            conn,
            rows.iter().map(|r| r.equipment_id),
            rows.iter().map(|r| r.plan_id),
            rows.iter().filter_map(|r| r.submitted_by),
        )
        .await?;
        for r in rows {
            let v = (r.plan_id, r.plan_version);
            if let std::collections::hash_map::Entry::Vacant(slot) = self.items.entry(v) {
                let items: Vec<ChecklistItem> = plans::version_items(conn, v.0, v.1)
                    .await?
                    .unwrap_or_default();
                let map = items
                    .into_iter()
                    .map(|i| {
                        (
                            i.key.as_str().to_owned(),
                            (
                                i.label.as_str().to_owned(),
                                i.unit.map(|u| u.as_str().to_owned()),
                            ),
                        )
                    })
                    .collect();
                slot.insert(map);
            }
        }
        Ok(())
    }

    fn schedule_cells(
        &self,
        r: &repo::ScheduleRow,
        tz: Tz,
        locale: Locale,
    ) -> anyhow::Result<Vec<Cell>> {
        let status: ScheduleStatus = crate::repositories::stored("schedules.status", &r.status)?;
        let eq = self.equipment.get(&r.equipment_id);
        Ok(vec![
            Cell::Int(r.id),
            Cell::DateTime(local(r.due_at, tz)),
            Cell::DateTime(local(r.window_ends_at, tz)),
            Cell::Text(status_word(status, locale).to_owned()),
            text(eq.map(|e| &e.0)),
            text(eq.map(|e| &e.1)),
            text(eq.map(|e| &e.2)),
            text(self.plans.get(&r.plan_id)),
            text(r.assignee_id.and_then(|u| self.users.get(&u))),
            opt_local(r.started_at, tz),
            opt_local(r.completed_at, tz),
        ])
    }

    fn value_cells(&self, r: &repo::ValueRow, tz: Tz, locale: Locale) -> Vec<Cell> {
        let eq = self.equipment.get(&r.equipment_id);
        let item = self
            .items
            .get(&(r.plan_id, r.plan_version))
            .and_then(|m| m.get(&r.item_key));
        let ko = locale == Locale::Ko;
        let value = match (r.number_value, r.bool_value, &r.text_value) {
            (Some(x), _, _) => Cell::Number(x),
            (_, Some(b), _) => Cell::Text(
                match (b, ko) {
                    (true, true) => "예",
                    (false, true) => "아니오",
                    (true, false) => "yes",
                    (false, false) => "no",
                }
                .to_owned(),
            ),
            (_, _, Some(t)) => Cell::Text(t.clone()),
            _ => Cell::Empty,
        };
        let judged = match (r.passed, ko) {
            (Some(true), true) => Cell::Text("합격".into()),
            (Some(false), true) => Cell::Text("불합격".into()),
            (Some(true), false) => Cell::Text("pass".into()),
            (Some(false), false) => Cell::Text("fail".into()),
            (None, _) => Cell::Empty,
        };
        vec![
            Cell::Int(r.schedule_id),
            Cell::DateTime(local(r.due_at, tz)),
            text(eq.map(|e| &e.0)),
            text(eq.map(|e| &e.1)),
            text(self.plans.get(&r.plan_id)),
            Cell::Text(r.item_key.clone()),
            text(item.map(|i| &i.0)),
            value,
            text(item.and_then(|i| i.1.as_ref())),
            judged,
            text(r.submitted_by.and_then(|u| self.users.get(&u))),
            Cell::DateTime(local(r.submitted_at, tz)),
        ]
    }
}

fn status_word(s: ScheduleStatus, locale: Locale) -> &'static str {
    match (s, locale) {
        (ScheduleStatus::Open, Locale::Ko) => "예정",
        (ScheduleStatus::InProgress, Locale::Ko) => "진행 중",
        (ScheduleStatus::Completed, Locale::Ko) => "완료",
        (ScheduleStatus::Missed, Locale::Ko) => "미실시",
        (ScheduleStatus::Cancelled, Locale::Ko) => "취소",
        (s, Locale::En) => s.as_str(),
    }
}
