//! The floor of gemba's stack for `GET /schedules/{id}`: how little CPU a
//! server built from the same crates (axum on tokio, sqlx's PostgreSQL pool,
//! jsonwebtoken, serde) spends on the request, and what each of gemba's
//! layers adds to it. `bench/http.sh` drives it on the same data as gemba,
//! so gemba's CPU per request splits into steps, each next to PostgreSQL's:
//!
//! - `GET /live`: HTTP alone (no token, no database), next to gemba's
//!   `/health/live` behind its middleware;
//! - `GET /schedules/{id}`: the bearer token checked (gemba's `Tokens`), the
//!   caller's role and sites read and the schedule read by id with the SQL
//!   gemba sends, through sqlx alone, each statement on a connection of its
//!   own as SeaORM runs statements outside a transaction (sqlx pings each
//!   connection when it goes back to the pool), a serde JSON answer;
//! - `GET /pinned/{id}`: the same with both statements on one connection
//!   taken for the request (one ping on release instead of two);
//! - `GET /orm/{id}`: the token, then gemba's repositories (SeaORM) for the
//!   same two reads and gemba's `Json` answer, without axum's extractors or
//!   gemba's services;
//! - `GET /api/v1/schedules/{id}`: gemba's own router (extractors, services,
//!   problem answers) without its middleware stack.
//!
//! All share one pool, opened by gemba's `build_state` from the same
//! settings (`GEMBA_*`), so pool size and pings are gemba's.
//!
//! Run: `cargo bench --bench floor -- PORT` with gemba's `GEMBA_*` settings;
//! every route takes a token gemba issued.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use clap::Parser;
use gemba::config::{Settings, SettingsOverrides};
use gemba::repositories::{schedules, users};
use gemba::routes::json::Json;
use gemba::state::AppState;
use sea_orm::sqlx::pool::PoolConnection;
use sea_orm::sqlx::postgres::{PgArguments, PgRow, Postgres};
use sea_orm::sqlx::query::Query;
use sea_orm::sqlx::{self, Row};
use serde::Serialize;

const ACCESS: &str = r#"SELECT "users"."role", "users"."is_active", "site_members"."site_id" FROM "users" LEFT JOIN "site_members" ON "users"."id" = "site_members"."user_id" WHERE "users"."id" = $1"#;
const SCHEDULE: &str = r#"SELECT "schedules"."id", "schedules"."plan_id", "schedules"."plan_version", "schedules"."site_id", "schedules"."equipment_id", "schedules"."assignee_id", "schedules"."due_at", "schedules"."due_day", "schedules"."window_ends_at", "schedules"."status", "schedules"."started_at", "schedules"."completed_at", "schedules"."created_at", "schedules"."updated_at" FROM "schedules" WHERE "schedules"."id" = $1 LIMIT $2"#;

#[derive(Serialize)]
struct Schedule {
    id: i64,
    plan_id: i64,
    plan_version: i32,
    site_id: i64,
    equipment_id: i64,
    assignee_id: Option<i64>,
    due_at: DateTime<Utc>,
    due_day: i64,
    window_ends_at: DateTime<Utc>,
    status: String,
    started_at: Option<DateTime<Utc>>,
    completed_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

fn schedule(r: &PgRow) -> sqlx::Result<Schedule> {
    Ok(Schedule {
        id: r.try_get(0)?,
        plan_id: r.try_get(1)?,
        plan_version: r.try_get(2)?,
        site_id: r.try_get(3)?,
        equipment_id: r.try_get(4)?,
        assignee_id: r.try_get(5)?,
        due_at: r.try_get(6)?,
        due_day: r.try_get(7)?,
        window_ends_at: r.try_get(8)?,
        status: r.try_get(9)?,
        started_at: r.try_get(10)?,
        completed_at: r.try_get(11)?,
        created_at: r.try_get(12)?,
        updated_at: r.try_get(13)?,
    })
}

fn fail(status: StatusCode) -> Response {
    status.into_response()
}

/// The caller's user id, if the bearer token is valid.
fn bearer(state: &AppState, headers: &HeaderMap) -> Option<i64> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .and_then(|t| state.tokens.verify_access(t).ok())
}

/// Who the caller may see, if the account exists and is active (role,
/// active flag and sites, as gemba reads them for every request): every
/// site for an admin, their own sites otherwise.
fn access(rows: &[PgRow]) -> Option<Option<Vec<i64>>> {
    let first = rows.first()?;
    let role: String = first.get(0);
    let active: bool = first.get(1);
    if !active {
        return None;
    }
    Some((role != "admin").then(|| {
        rows.iter()
            .filter_map(|r| r.get::<Option<i64>, _>(2))
            .collect()
    }))
}

/// Runs a statement on the request's own connection if it took one, or on
/// any connection of the pool.
async fn fetch(
    s: &AppState,
    own: &mut Option<PoolConnection<Postgres>>,
    q: Query<'_, Postgres, PgArguments>,
) -> sqlx::Result<Vec<PgRow>> {
    match own {
        Some(c) => q.fetch_all(&mut **c).await,
        None => q.fetch_all(s.db.get_postgres_connection_pool()).await,
    }
}

/// The token, the caller's access and the schedule, through sqlx alone;
/// `pinned`: both statements on one connection taken for the request.
async fn read(s: &AppState, headers: &HeaderMap, id: i64, pinned: bool) -> Response {
    let Some(user) = bearer(s, headers) else {
        return fail(StatusCode::UNAUTHORIZED);
    };
    let mut own = None;
    if pinned {
        match s.db.get_postgres_connection_pool().acquire().await {
            Ok(c) => own = Some(c),
            Err(_) => return fail(StatusCode::SERVICE_UNAVAILABLE),
        }
    }
    let Ok(rows) = fetch(s, &mut own, sqlx::query(ACCESS).bind(user)).await else {
        return fail(StatusCode::SERVICE_UNAVAILABLE);
    };
    let Some(scope) = access(&rows) else {
        return fail(StatusCode::UNAUTHORIZED);
    };
    let Ok(rows) = fetch(s, &mut own, sqlx::query(SCHEDULE).bind(id).bind(1_i64)).await else {
        return fail(StatusCode::SERVICE_UNAVAILABLE);
    };
    match rows.first().map(schedule) {
        Some(Ok(found))
            if scope
                .as_ref()
                .is_none_or(|ids| ids.contains(&found.site_id)) =>
        {
            axum::Json(found).into_response()
        }
        Some(Err(_)) => fail(StatusCode::INTERNAL_SERVER_ERROR),
        _ => fail(StatusCode::NOT_FOUND),
    }
}

async fn one(State(s): State<AppState>, headers: HeaderMap, Path(id): Path<i64>) -> Response {
    read(&s, &headers, id, false).await
}

async fn pinned(State(s): State<AppState>, headers: HeaderMap, Path(id): Path<i64>) -> Response {
    read(&s, &headers, id, true).await
}

async fn orm(State(s): State<AppState>, headers: HeaderMap, Path(id): Path<i64>) -> Response {
    let Some(user) = bearer(&s, &headers) else {
        return fail(StatusCode::UNAUTHORIZED);
    };
    match users::access(&s.db, user).await {
        Ok(Some((_, true, _))) => {}
        Ok(_) => return fail(StatusCode::UNAUTHORIZED),
        Err(_) => return fail(StatusCode::SERVICE_UNAVAILABLE),
    }
    match schedules::find(&s.db, id).await {
        Ok(Some(schedule)) => Json(schedule).into_response(),
        Ok(None) => fail(StatusCode::NOT_FOUND),
        Err(_) => fail(StatusCode::SERVICE_UNAVAILABLE),
    }
}

/// gemba's settings (`GEMBA_*`, as `gemba serve` reads them) and a port.
#[derive(Parser)]
struct Args {
    #[command(flatten)]
    settings: SettingsOverrides,
    port: u16,
}

fn main() {
    let args = Args::parse_from(std::env::args().filter(|a| a != "--bench"));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let settings = Settings::load(&args.settings).expect("gemba's settings");
        let state = gemba::startup::build_state(settings)
            .await
            .expect("gemba's state");
        let (api, _) = gemba::openapi::router_and_document();
        let app = Router::new()
            .route("/live", get(|| async { "ok" }))
            .route("/schedules/{id}", get(one))
            .route("/pinned/{id}", get(pinned))
            .route("/orm/{id}", get(orm))
            .merge(api)
            .with_state(state);
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port))
            .await
            .unwrap();
        axum::serve(listener, app).await.unwrap();
    });
}
