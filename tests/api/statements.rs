//! Every list endpoint runs a constant number of SQL statements, whatever
//! the page size.

use gemba::domain::user::Role;
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{Counted, spawn_app};

#[tokio::test]
async fn list_endpoints_run_the_same_statements_for_1_and_100_items() {
    let app = spawn_app().await;
    let site = app.seed_site("A", "Asia/Seoul").await;
    for i in 0..110 {
        app.seed_equipment(
            site,
            &format!("EQ-{i:03}"),
            if i % 2 == 0 { "A" } else { "B" },
        )
        .await;
    }
    for i in 0..105 {
        let id = app
            .seed_user(&format!("u{i}@factory.example"), Role::Inspector)
            .await;
        app.seed_member(site, id).await;
    }
    let manager = app.member(Role::Manager, site).await;
    // The manager's sites: more than a page of 100.
    for i in 0..104 {
        let other = app.seed_site(&format!("S{i:03}"), "Asia/Seoul").await;
        app.seed_member(other, manager.id).await;
    }
    // (path, items on a page of 100; a page of 1 has one)
    for (path, full_page) in [
        ("/api/v1/users?limit={n}", 100),
        ("/api/v1/sites?limit={n}", 100),
        ("/api/v1/equipment?limit={n}", 100),
        ("/api/v1/equipment?line=A&status=active&limit={n}", 55),
        ("/api/v1/audit-events?limit={n}", 100),
        ("/api/v1/sites/{site}/members", 106),
    ] {
        let mut counts = Vec::new();
        for n in [1, 100] {
            let p = path
                .replace("{n}", &n.to_string())
                .replace("{site}", &site.to_string());
            let Counted {
                statements,
                response,
            } = app
                .count_statements(app.get(&p, Some(&manager.token)))
                .await;
            assert_eq!(response.status(), StatusCode::OK, "{p}");
            let body: Value = response.json().await.unwrap();
            let items = body.get("items").unwrap_or(&body).as_array().unwrap().len();
            let expected = if n == 1 && path.contains("{n}") {
                1
            } else {
                full_page
            };
            assert_eq!(items, expected, "{p}");
            counts.push(statements);
        }
        println!("statements: {path}: {counts:?}");
        assert_eq!(counts[0], counts[1], "{path}: {counts:?}");
        assert!(
            counts[0] <= 3,
            "{path}: auth, scope check, one query; got {}",
            counts[0]
        );
    }
}

/// On PostgreSQL every pooled connection plans a statement once, for any
/// values (`db::open`): in PostgreSQL's default mode the list's and the
/// summary's statements were planned again on every call once the history
/// grew to 10M schedules (bench/RESULTS.md). And without Memoize, which
/// cost the schedule list's join a quarter more, nor parallel workers,
/// which that join's generic plan started on ten times the 1M data set.
#[tokio::test]
async fn postgres_plans_each_statement_once_serially_without_memoize() {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let app = spawn_app().await;
    for db in [&app.state.db, &app.state.writer] {
        if db.get_database_backend() != DbBackend::Postgres {
            return;
        }
        let row = db
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                "SELECT current_setting('plan_cache_mode'), current_setting('enable_memoize'), \
                 current_setting('max_parallel_workers_per_gather')",
            ))
            .await
            .unwrap()
            .expect("one row");
        let mode: String = row.try_get_by_index(0).unwrap();
        assert_eq!(mode, "force_generic_plan");
        let memoize: String = row.try_get_by_index(1).unwrap();
        assert_eq!(memoize, "off");
        let workers: String = row.try_get_by_index(2).unwrap();
        assert_eq!(workers, "0");
    }
}
