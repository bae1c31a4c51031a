use chrono::{Duration, Utc};
use gemba::domain::user::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{
    Counted, TestApp, assert_problem, daily_plan, field_codes, json_body, local_tomorrow, spawn_app,
};

/// A site with a daily plan made by its manager, and its inspector.
struct Inspection {
    site: i64,
    plan_id: i64,
    manager: String,
    inspector: String,
    /// The plan's first schedules, in due order.
    schedules: Vec<i64>,
}

async fn setup(app: &TestApp) -> Inspection {
    let site = app.seed_site("A", "Asia/Seoul").await;
    let manager = app.member(Role::Manager, site).await.token;
    let inspector = app.member(Role::Inspector, site).await.token;
    let eq = app.seed_equipment(site, "PRESS-01", "A").await;
    let start = local_tomorrow("Asia/Seoul");
    let plan = app
        .created_plan(&manager, &daily_plan(eq, &start, "09:00"))
        .await;
    let page = json_body(
        app.list_schedules(&inspector, &format!("plan_id={}&limit=5", plan["id"]))
            .await,
    )
    .await;
    let schedules = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_i64().unwrap())
        .collect();
    Inspection {
        site,
        plan_id: plan["id"].as_i64().unwrap(),
        manager,
        inspector,
        schedules,
    }
}

/// The site's stats over every schedule the tests make.
async fn all_time_stats(app: &TestApp, site: i64) -> Value {
    let admin = app.admin_token().await;
    json_body(
        app.stats_summary(
            &admin,
            &format!("site_id={site}&from=2021-01-01T00:00:00Z&to=2030-01-01T00:00:00Z"),
        )
        .await,
    )
    .await
}

#[tokio::test]
async fn an_out_of_range_value_fails_and_completes_the_schedule() {
    let app = spawn_app().await;
    let Inspection {
        inspector,
        schedules: ids,
        ..
    } = setup(&app).await;
    let body = json!({"values": {"oil_pressure": 16.2, "guard_closed": true, "note": "누유 없음"}, "notes": "압력 높음"});
    let res = app.submit_result(&inspector, ids[0], None, &body).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let r = json_body(res).await;
    assert_eq!(r["passed"], false);
    assert_eq!(r["failed_items"], json!(["oil_pressure"]));
    assert_eq!(r["pass_rate"], 0.5);
    assert_eq!(r["plan_version"], 1);
    let s = json_body(app.get_schedule(&inspector, ids[0]).await).await;
    assert_eq!(s["status"], "completed");
    let again = json_body(app.get_result(&inspector, ids[0]).await).await;
    assert_eq!(again, r);
    // Completing it again without the key is a conflict.
    assert_problem(
        app.submit_result(&inspector, ids[0], None, &body).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_problem(
        app.get_result(&inspector, ids[1]).await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

#[tokio::test]
async fn a_submit_audits_the_schedule_and_its_result_in_its_transaction() {
    let app = spawn_app().await;
    let Inspection {
        site,
        manager,
        inspector,
        schedules: ids,
        ..
    } = setup(&app).await;
    let body = json!({"values": {"oil_pressure": 12.5, "guard_closed": true}});
    let Counted {
        statements,
        response: res,
    } = app
        .count_statements(async {
            app.request(
                reqwest::Method::PUT,
                &format!("/api/v1/schedules/{}/result", ids[0]),
                Some(&inspector),
            )
            .header("x-request-id", "submit-audit-1")
            .json(&body)
            .send()
            .await
            .unwrap()
        })
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    // The access lookup, then in the transaction: the schedule with its
    // checklist (one statement), and the writes: the result, its values,
    // the two statistics tables, the schedule's update and the audit rows,
    // which SQLite takes in one call.
    let writes = match app.state.db.get_database_backend() {
        sea_orm::DbBackend::Sqlite => 1,
        _ => 6,
    };
    assert_eq!(statements, 2 + writes, "statements of a first submit");
    let events = |entity: &'static str| {
        let (app, manager, id) = (&app, &manager, ids[0]);
        async move {
            let page = json_body(
                app.list_audit_events(manager, &format!("entity={entity}&entity_id={id}"))
                    .await,
            )
            .await;
            page["items"].as_array().unwrap().clone()
        }
    };
    let schedule = events("schedule").await;
    assert_eq!(schedule.len(), 1, "{schedule:?}");
    assert_eq!(schedule[0]["action"], "update");
    assert_eq!(schedule[0]["site_id"], site);
    assert_eq!(schedule[0]["request_id"], "submit-audit-1");
    assert_eq!(schedule[0]["before"]["status"], "open");
    assert_eq!(schedule[0]["after"]["status"], "completed");
    let result = events("result").await;
    assert_eq!(result.len(), 1, "{result:?}");
    assert_eq!(result[0]["action"], "create");
    assert_eq!(result[0]["site_id"], site);
    assert_eq!(result[0]["request_id"], "submit-audit-1");
    assert_eq!(result[0]["after"]["passed"], true);
    assert_eq!(result[0]["occurred_at"], schedule[0]["occurred_at"]);
    // A refused submit (the schedule already has its result) audits nothing.
    assert_problem(
        app.submit_result(&inspector, ids[0], None, &body).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(events("schedule").await.len(), 1);
    assert_eq!(events("result").await.len(), 1);
}

#[tokio::test]
async fn values_are_checked_against_the_checklist() {
    let app = spawn_app().await;
    let Inspection {
        inspector,
        schedules: ids,
        ..
    } = setup(&app).await;
    let res = app
        .submit_result(
            &inspector,
            ids[0],
            None,
            &json!({"values": {"oil_pressure": "high", "extra": 1}}),
        )
        .await;
    let problem = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(
        field_codes(&problem),
        [
            ("values.extra".to_owned(), "unknown_item".to_owned()),
            ("values.oil_pressure".to_owned(), "invalid_type".to_owned()),
            ("values.guard_closed".to_owned(), "required".to_owned()),
        ]
    );
    let s = json_body(app.get_schedule(&inspector, ids[0]).await).await;
    assert_eq!(s["status"], "open", "nothing was written");
}

#[tokio::test]
async fn a_retried_submit_returns_the_first_answer() {
    let app = spawn_app().await;
    let Inspection {
        site,
        inspector,
        schedules: ids,
        ..
    } = setup(&app).await;
    let body = json!({"values": {"oil_pressure": 12.5, "guard_closed": true}});
    let first = app
        .submit_result(&inspector, ids[0], Some("phone-42-submit-1"), &body)
        .await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let first = json_body(first).await;
    let retry = app
        .submit_result(&inspector, ids[0], Some("phone-42-submit-1"), &body)
        .await;
    assert_eq!(retry.status(), StatusCode::CREATED);
    assert_eq!(retry.headers()["idempotent-replayed"], "true");
    assert_eq!(json_body(retry).await, first);
    // The same key with another body is refused.
    let other = json!({"values": {"oil_pressure": 13.0, "guard_closed": true}});
    let problem = assert_problem(
        app.submit_result(&inspector, ids[0], Some("phone-42-submit-1"), &other)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(field_codes(&problem)[0].1, "reused");
    // One result row.
    assert_eq!(all_time_stats(&app, site).await["results"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_duplicates_make_one_result() {
    let app = spawn_app().await;
    let Inspection {
        site,
        inspector,
        schedules: ids,
        ..
    } = setup(&app).await;
    let body = json!({"values": {"oil_pressure": 12.5, "guard_closed": true}});
    // A phone retrying one submit with its key, all at once: on SQLite
    // and on PostgreSQL alike, every retry gets the first answer.
    let sends = (0..8).map(|_| app.submit_result(&inspector, ids[0], Some("same-key"), &body));
    let mut answers = Vec::new();
    let mut replays = 0;
    for res in futures_util_join(sends).await {
        assert_eq!(res.status(), StatusCode::CREATED);
        replays += usize::from(res.headers().contains_key("idempotent-replayed"));
        answers.push(res.json::<Value>().await.unwrap());
    }
    assert_eq!(replays, 7, "one submit recorded, seven replayed");
    assert!(answers.iter().all(|a| a == &answers[0]), "{answers:?}");
    // Without a key, or with another one, a second submit is a conflict.
    let sends = (0..4).map(|i| {
        let key = if i % 2 == 0 { None } else { Some("other-key") };
        app.submit_result(&inspector, ids[0], key, &body)
    });
    for res in futures_util_join(sends).await {
        assert_eq!(res.status(), StatusCode::CONFLICT);
    }
    assert_eq!(all_time_stats(&app, site).await["results"], 1);
}

async fn futures_util_join<F: std::future::Future<Output = reqwest::Response>>(
    fs: impl Iterator<Item = F>,
) -> Vec<reqwest::Response> {
    let handles: Vec<_> = fs.collect();
    let mut out = Vec::new();
    let mut set = Vec::new();
    for f in handles {
        set.push(Box::pin(f));
    }
    // Poll all at once.
    let joined = async {
        let mut results = Vec::new();
        let mut pending: Vec<_> = set.into_iter().map(Some).collect();
        std::future::poll_fn(|cx| {
            let mut all_done = true;
            for slot in pending.iter_mut() {
                if let Some(f) = slot {
                    match f.as_mut().poll(cx) {
                        std::task::Poll::Ready(r) => {
                            results.push(r);
                            *slot = None;
                        }
                        std::task::Poll::Pending => all_done = false,
                    }
                }
            }
            if all_done {
                std::task::Poll::Ready(())
            } else {
                std::task::Poll::Pending
            }
        })
        .await;
        results
    };
    out.extend(joined.await);
    out
}

#[tokio::test]
async fn results_keep_the_plan_version_they_were_recorded_against() {
    let app = spawn_app().await;
    let Inspection {
        plan_id,
        manager,
        inspector,
        schedules: ids,
        ..
    } = setup(&app).await;
    let res = app.start_schedule(&inspector, ids[0]).await;
    assert_eq!(res.status(), StatusCode::OK);
    // The plan gains a required item; the started inspection still uses version 1.
    let mut items = daily_plan(0, "2026-01-01", "09:00")["items"].clone();
    items.as_array_mut().unwrap().push(
        json!({"key": "belt_tension", "label": "벨트 장력", "kind": "number", "min": 1, "max": 2}),
    );
    let etag = format!("\"{plan_id}-1\"");
    let res = app
        .update_plan(&manager, plan_id, Some(&etag), &json!({"items": items}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body = json!({"values": {"oil_pressure": 11, "guard_closed": true}});
    let r = json_body(app.submit_result(&inspector, ids[0], None, &body).await).await;
    assert_eq!(r["plan_version"], 1);
    assert_eq!(r["passed"], true);
    // A regenerated schedule uses version 2 and needs the new item.
    let page = json_body(
        app.list_schedules(
            &inspector,
            &format!("plan_id={plan_id}&status=open&limit=1"),
        )
        .await,
    )
    .await;
    let next = page["items"][0]["id"].as_i64().unwrap();
    assert_eq!(page["items"][0]["plan_version"], 2);
    let problem = assert_problem(
        app.submit_result(&inspector, next, None, &body).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(
        field_codes(&problem),
        [("values.belt_tension".to_owned(), "required".to_owned())]
    );
}

#[tokio::test]
async fn stats_are_aggregated_in_sql() {
    let app = spawn_app().await;
    let Inspection {
        site,
        plan_id,
        manager,
        inspector,
        schedules: ids,
    } = setup(&app).await;
    for (id, p) in [(ids[0], 12.0), (ids[1], 16.0), (ids[2], 14.0)] {
        let res = app
            .submit_result(
                &inspector,
                id,
                None,
                &json!({"values": {"oil_pressure": p, "guard_closed": true}}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    let res = app
        .update_schedule(&manager, ids[3], &json!({"status": "cancelled"}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    // Everything due in the next 40 days.
    let from = Utc::now().format("%Y-%m-%dT%H:%M:%SZ");
    let to = (Utc::now() + Duration::days(40)).format("%Y-%m-%dT%H:%M:%SZ");
    let query = format!("site_id={site}&from={from}&to={to}");
    let Counted {
        statements,
        response,
    } = app
        .count_statements(app.stats_summary(&manager, &query))
        .await;
    let s = json_body(response).await;
    assert_eq!(s["by_status"]["completed"], 3);
    assert_eq!(s["by_status"]["cancelled"], 1);
    assert_eq!(s["total"], 30);
    assert_eq!(s["results"], 3);
    assert_eq!(s["results_passed"], 2);
    assert_eq!(s["completion_rate"], 1.0);
    let rate = s["pass_rate"].as_f64().unwrap();
    assert!((rate - 2.0 / 3.0).abs() < 1e-9);
    assert_eq!(
        s["items"],
        json!([{"plan_id": plan_id, "key": "oil_pressure", "count": 3, "sum": 42.0, "avg": 14.0, "min": 12.0, "max": 16.0}])
    );
    assert_eq!(
        statements, 4,
        "auth, the site's time zone, the tally of the blocks and the edges, the items of both"
    );
    // Another site's stats do not exist for this manager.
    let other = app.seed_site("B", "Asia/Seoul").await;
    let res = app
        .stats_summary(&manager, &format!("site_id={other}"))
        .await;
    assert_problem(res, StatusCode::NOT_FOUND).await;
}
