use chrono::{Duration, Utc};
use gemba::domain::user::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Actor, Counted, assert_problem, daily_plan, local_tomorrow, spawn_app};

#[tokio::test]
async fn list_embeds_plan_and_equipment_with_stable_keyset_pages() {
    let app = spawn_app().await;
    let site = app.seed_site("A", "Asia/Seoul").await;
    let manager = app.member(Role::Manager, site).await.token;
    let start = local_tomorrow("Asia/Seoul");
    for i in 0..4 {
        let eq = app.seed_equipment(site, &format!("EQ-{i}"), "A").await;
        // Two plans share a due time, so pages must break ties by id.
        app.created_plan(
            &manager,
            &daily_plan(eq, &start, if i < 2 { "09:00" } else { "10:00" }),
        )
        .await;
    }
    let mut seen = Vec::new();
    let mut last_key: Option<(String, i64)> = None;
    let mut path = "/api/v1/schedules?include=plan,equipment&limit=7".to_owned();
    loop {
        let page: Value = app.get(&path, Some(&manager)).await.json().await.unwrap();
        for s in page["items"].as_array().unwrap() {
            // Embedded as `GET /plans/{id}` and `GET /equipment/{id}` answer.
            let plan = format!("/api/v1/plans/{}", s["plan_id"]);
            let plan: Value = app.get(&plan, Some(&manager)).await.json().await.unwrap();
            assert_eq!(s["plan"], plan);
            let eq = format!("/api/v1/equipment/{}", s["equipment_id"]);
            let eq: Value = app.get(&eq, Some(&manager)).await.json().await.unwrap();
            assert_eq!(s["equipment"], eq);
            let key = (
                s["due_at"].as_str().unwrap().to_owned(),
                s["id"].as_i64().unwrap(),
            );
            if let Some(prev) = &last_key {
                assert!(
                    key > *prev,
                    "ordered by (due_at, id): {prev:?} then {key:?}"
                );
            }
            last_key = Some(key);
            seen.push(s["id"].as_i64().unwrap());
        }
        match page["next_cursor"].as_str() {
            Some(c) => {
                path = format!("/api/v1/schedules?include=plan,equipment&limit=7&cursor={c}")
            }
            None => break,
        }
    }
    let total = seen.len();
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen.len(), total, "no schedule twice");
    assert_eq!(total, 4 * 30, "4 plans x 30 days");
    // Without include, nothing is embedded.
    let page: Value = app
        .list_schedules(&manager, "limit=1")
        .await
        .json()
        .await
        .unwrap();
    assert!(page["items"][0].get("plan").is_none());
    // Either one alone.
    for (include, embedded, absent) in [
        ("plan", "plan", "equipment"),
        ("equipment", "equipment", "plan"),
    ] {
        let page: Value = app
            .list_schedules(&manager, &format!("include={include}&limit=3"))
            .await
            .json()
            .await
            .unwrap();
        for s in page["items"].as_array().unwrap() {
            assert_eq!(s[embedded]["id"], s[format!("{embedded}_id")], "{include}");
            assert!(s.get(absent).is_none(), "{include}");
        }
    }
    let res = app.list_schedules(&manager, "include=everything").await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
}

#[tokio::test]
async fn schedule_list_statements_do_not_grow_with_page_size_or_include() {
    let app = spawn_app().await;
    let site = app.seed_site("A", "Asia/Seoul").await;
    let manager = app.member(Role::Manager, site).await.token;
    let start = local_tomorrow("Asia/Seoul");
    for i in 0..5 {
        let eq = app.seed_equipment(site, &format!("EQ-{i}"), "A").await;
        app.created_plan(&manager, &daily_plan(eq, &start, "09:00"))
            .await;
    }
    let mut counts = Vec::new();
    for n in [1, 100] {
        let path = format!("/api/v1/schedules?site_id={site}&include=plan,equipment&limit={n}");
        let Counted {
            statements: count,
            response: res,
        } = app.count_statements(app.get(&path, Some(&manager))).await;
        let page: Value = res.json().await.unwrap();
        assert_eq!(page["items"].as_array().unwrap().len(), n);
        counts.push(count);
    }
    println!("statements: GET /schedules?include=plan,equipment: {counts:?}");
    assert_eq!(counts[0], counts[1]);
    assert_eq!(
        counts[0], 2,
        "auth, schedules joined with plans and equipment"
    );
}

#[tokio::test]
async fn start_cancel_and_missed() {
    let app = spawn_app().await;
    let site = app.seed_site("A", "Asia/Seoul").await;
    let manager = app.member(Role::Manager, site).await.token;
    let Actor {
        id: inspector_id,
        token: inspector,
    } = app.member(Role::Inspector, site).await;
    let viewer = app.member(Role::Viewer, site).await.token;
    let eq = app.seed_equipment(site, "PRESS-01", "A").await;
    let start = local_tomorrow("Asia/Seoul");
    let plan = app
        .created_plan(&manager, &daily_plan(eq, &start, "09:00"))
        .await;
    let page: Value = app
        .list_schedules(&inspector, &format!("plan_id={}&limit=3", plan["id"]))
        .await
        .json()
        .await
        .unwrap();
    let ids: Vec<i64> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_i64().unwrap())
        .collect();

    let start_path = |id: i64| format!("/api/v1/schedules/{id}/start");
    assert_problem(
        app.request(Method::POST, &start_path(ids[0]), Some(&viewer))
            .send()
            .await
            .unwrap(),
        StatusCode::FORBIDDEN,
    )
    .await;
    let res = app
        .request(Method::POST, &start_path(ids[0]), Some(&inspector))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let s: Value = res.json().await.unwrap();
    assert_eq!(s["status"], "in_progress");
    assert!(s["started_at"].is_string());
    assert_problem(
        app.request(Method::POST, &start_path(ids[0]), Some(&inspector))
            .send()
            .await
            .unwrap(),
        StatusCode::CONFLICT,
    )
    .await;

    // Reassign and cancel.
    let path = format!("/api/v1/schedules/{}", ids[1]);
    let res = app
        .send_json(
            Method::PATCH,
            &path,
            Some(&manager),
            &json!({"assignee_id": inspector_id}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.json::<Value>().await.unwrap()["assignee_id"],
        inspector_id
    );
    let res = app
        .send_json(
            Method::PATCH,
            &path,
            Some(&manager),
            &json!({"assignee_id": 999999}),
        )
        .await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    let res = app
        .send_json(
            Method::PATCH,
            &path,
            Some(&manager),
            &json!({"status": "completed"}),
        )
        .await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    let res = app
        .send_json(
            Method::PATCH,
            &path,
            Some(&manager),
            &json!({"status": "cancelled"}),
        )
        .await;
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "cancelled");
    let res = app
        .send_json(
            Method::PATCH,
            &path,
            Some(&manager),
            &json!({"status": "cancelled"}),
        )
        .await;
    assert_problem(res, StatusCode::CONFLICT).await;
    assert_problem(
        app.request(Method::POST, &start_path(ids[1]), Some(&inspector))
            .send()
            .await
            .unwrap(),
        StatusCode::CONFLICT,
    )
    .await;

    // Just after ids[2]'s window has closed, the open one is missed. (The
    // sweep's instant comes from the schedule itself: counted from now, it
    // fell inside that window whenever Seoul's date was a day ahead of UTC's
    // and the time of day was late enough.)
    let schedule = |id: i64| {
        let res = app.get_schedule(&inspector, id);
        async move { res.await.json::<Value>().await.unwrap() }
    };
    let third = schedule(ids[2]).await;
    let later = third["window_ends_at"]
        .as_str()
        .unwrap()
        .parse::<chrono::DateTime<Utc>>()
        .unwrap()
        + Duration::minutes(1);
    let (_, missed) = gemba::services::generation::run_once(&app.state, later)
        .await
        .unwrap();
    assert!(missed >= 1, "{missed}");
    let s = schedule(ids[2]).await;
    assert_eq!(s["status"], "missed");
    let s = schedule(ids[0]).await;
    assert_eq!(
        s["status"], "in_progress",
        "started inspections are not marked missed"
    );
}

#[tokio::test]
async fn the_scheduler_is_idempotent_across_instances() {
    let app = spawn_app().await;
    let site = app.seed_site("A", "Europe/Berlin").await;
    let eq = app.seed_equipment(site, "PRESS-01", "A").await;
    let admin = app.admin_token().await;
    app.created_plan(
        &admin,
        &daily_plan(eq, &Utc::now().date_naive().to_string(), "23:00"),
    )
    .await;
    let before: Value = app
        .list_schedules(&admin, "limit=100")
        .await
        .json()
        .await
        .unwrap();
    let n = before["items"].as_array().unwrap().len();
    // Two "instances" at once, then a third pass: nothing new.
    let now = Utc::now();
    let (a, b) = tokio::join!(
        gemba::services::generation::run_once(&app.state, now),
        gemba::services::generation::run_once(&app.state, now)
    );
    assert_eq!(a.unwrap().0 + b.unwrap().0, 0);
    let after: Value = app
        .list_schedules(&admin, "limit=100")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(after["items"].as_array().unwrap().len(), n);
}
