use chrono::{NaiveDate, TimeZone, Utc};
use gemba::domain::user::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{
    assert_problem, daily_plan, field_codes, json_body, local_tomorrow, spawn_app,
};

fn today() -> String {
    Utc::now().date_naive().to_string()
}

#[tokio::test]
async fn creating_a_plan_generates_its_schedules() {
    let app = spawn_app().await;
    let site = app.seed_site("A", "Asia/Seoul").await;
    let eq = app.seed_equipment(site, "PRESS-01", "A").await;
    let manager = app.member(Role::Manager, site).await.token;
    let res = app
        .create_plan(&manager, &daily_plan(eq, &today(), "23:59"))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    let plan: Value = res.json().await.unwrap();
    assert_eq!(etag, format!("\"{}-1\"", plan["id"]));
    assert_eq!(plan["site_id"], site);
    assert_eq!(plan["due_time"], "23:59:00");
    let page: Value = app
        .list_schedules(&manager, &format!("plan_id={}&limit=100", plan["id"]))
        .await
        .json()
        .await
        .unwrap();
    let n = page["items"].as_array().unwrap().len();
    // Today (if 23:59 Seoul is still ahead) through 30 days ahead.
    assert!((30..=31).contains(&n), "{n} schedules");
    assert!(
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["status"] == "open")
    );
}

#[tokio::test]
async fn plan_validation_names_the_fields() {
    let app = spawn_app().await;
    let site = app.seed_site("A", "Asia/Seoul").await;
    let eq = app.seed_equipment(site, "PRESS-01", "A").await;
    let manager = app.member(Role::Manager, site).await.token;
    let body = json!({
        "equipment_id": eq, "title": "x", "due_time": "09:00",
        "recurrence": {"frequency": "weekly", "interval": 0, "start_date": "2026-12-01", "end_date": "2026-11-01"},
        "items": [
            {"key": "a", "label": "A", "kind": "number", "min": 5, "max": 1},
            {"key": "a", "label": "B", "kind": "check", "min": 1},
        ]
    });
    let res = app.create_plan(&manager, &body).await;
    let problem = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    let mut got = field_codes(&problem);
    got.sort();
    assert_eq!(
        got,
        [
            ("items[0].max".to_owned(), "less_than_min".to_owned()),
            ("items[1].key".to_owned(), "duplicate".to_owned()),
            ("items[1].min".to_owned(), "not_numeric".to_owned()),
            ("recurrence.end_date".to_owned(), "before_start".to_owned()),
            ("recurrence.interval".to_owned(), "range".to_owned()),
            ("recurrence.weekdays".to_owned(), "invalid".to_owned()),
        ]
    );
    let mut other = daily_plan(eq, &today(), "09:00");
    other["due_time"] = json!("25:00");
    let problem = assert_problem(
        app.create_plan(&manager, &other).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(field_codes(&problem)[0].0, "due_time");
    // Equipment of a site the manager does not belong to does not exist for them.
    let other_site = app.seed_site("B", "Asia/Seoul").await;
    let other_eq = app.seed_equipment(other_site, "PRESS-01", "A").await;
    let problem = assert_problem(
        app.create_plan(&manager, &daily_plan(other_eq, &today(), "09:00"))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(
        field_codes(&problem),
        [("equipment_id".to_owned(), "not_found".to_owned())]
    );
    // Nothing was written.
    let page: Value = app.list_plans(&manager, "").await.json().await.unwrap();
    assert!(page["items"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn updates_need_a_current_etag_and_regenerate_future_schedules() {
    let app = spawn_app().await;
    let site = app.seed_site("A", "Asia/Seoul").await;
    let eq = app.seed_equipment(site, "PRESS-01", "A").await;
    let manager = app.member(Role::Manager, site).await.token;
    let start = local_tomorrow("Asia/Seoul");
    let plan = app
        .created_plan(&manager, &daily_plan(eq, &start, "09:00"))
        .await;
    let plan_id = plan["id"].as_i64().unwrap();
    let schedules = format!("plan_id={plan_id}&limit=100");
    // Start the first schedule: it must survive the change.
    let first = json_body(app.list_schedules(&manager, &schedules).await).await;
    let first_id = first["items"][0]["id"].as_i64().unwrap();
    let res = app.start_schedule(&manager, first_id).await;
    assert_eq!(res.status(), StatusCode::OK);

    let change = json!({"due_time": "14:30"});
    let res = app.update_plan(&manager, plan_id, None, &change).await;
    assert_problem(res, StatusCode::PRECONDITION_REQUIRED).await;
    let res = app
        .update_plan(&manager, plan_id, Some("\"0-0\""), &change)
        .await;
    assert_problem(res, StatusCode::PRECONDITION_FAILED).await;
    let etag = app.get_plan(&manager, plan_id).await.headers()["etag"]
        .to_str()
        .unwrap()
        .to_owned();
    let res = app
        .update_plan(&manager, plan_id, Some(&etag), &change)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let new_etag = res.headers()["etag"].to_str().unwrap().to_owned();
    assert_ne!(new_etag, etag);
    let updated = json_body(res).await;
    assert_eq!(updated["version"], 2);
    // The old ETag is stale now.
    let res = app
        .update_plan(&manager, plan_id, Some(&etag), &change)
        .await;
    assert_problem(res, StatusCode::PRECONDITION_FAILED).await;

    let after = json_body(app.list_schedules(&manager, &schedules).await).await;
    let items = after["items"].as_array().unwrap();
    let started: Vec<_> = items
        .iter()
        .filter(|s| s["status"] == "in_progress")
        .collect();
    assert_eq!(started.len(), 1);
    assert_eq!(started[0]["id"], first_id);
    assert_eq!(started[0]["plan_version"], 1);
    let open: Vec<_> = items.iter().filter(|s| s["status"] == "open").collect();
    assert!(!open.is_empty());
    for s in open {
        assert_eq!(s["plan_version"], 2);
        // 14:30 in Seoul is 05:30 UTC.
        assert!(s["due_at"].as_str().unwrap().contains("T05:30:00"), "{s}");
    }
}

#[tokio::test]
async fn deactivating_a_plan_cancels_its_future_schedules() {
    let app = spawn_app().await;
    let site = app.seed_site("A", "Asia/Seoul").await;
    let eq = app.seed_equipment(site, "PRESS-01", "A").await;
    let manager = app.member(Role::Manager, site).await.token;
    let plan = app
        .created_plan(&manager, &daily_plan(eq, &today(), "23:59"))
        .await;
    let res = app
        .delete_plan(&manager, plan["id"].as_i64().unwrap())
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let page: Value = app
        .list_schedules(&manager, &format!("plan_id={}&status=open", plan["id"]))
        .await
        .json()
        .await
        .unwrap();
    assert!(page["items"].as_array().unwrap().is_empty());
    let p: Value = app
        .get_plan(&manager, plan["id"].as_i64().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(p["is_active"], false);
}

#[tokio::test]
async fn dst_gap_still_gives_exactly_one_inspection_that_day() {
    let app = spawn_app().await;
    let site = app.seed_site("US-OH", "America/New_York").await;
    let eq = app.seed_equipment(site, "PRESS-01", "A").await;
    let admin = app.admin_token().await;
    let plan = app
        .created_plan(&admin, &daily_plan(eq, "2026-03-06", "02:30"))
        .await;
    let plan_id = plan["id"].as_i64().unwrap();
    // Preview across the spring-forward night (02:00 -> 03:00 on 2026-03-08).
    let occ: Value = app
        .list_plan_occurrences(&admin, plan_id, "from=2026-03-07&to=2026-03-09")
        .await
        .json()
        .await
        .unwrap();
    let due: Vec<&str> = occ
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["due_at"].as_str().unwrap())
        .collect();
    assert_eq!(
        due,
        [
            "2026-03-07T07:30:00Z",
            "2026-03-08T07:30:00Z",
            "2026-03-09T06:30:00Z"
        ]
    );

    // The generator, run as of 2026-03-06 and twice (and concurrently), makes one schedule that day.
    let plan = gemba::repositories::plans::find(&app.state.db, plan_id)
        .await
        .unwrap()
        .unwrap();
    let tz: chrono_tz::Tz = "America/New_York".parse().unwrap();
    let then = Utc.with_ymd_and_hms(2026, 3, 6, 0, 0, 0).unwrap();
    let db = &app.state.db;
    let (a, b) = tokio::join!(
        gemba::services::generation::generate_for_plan(db, &plan, tz, then, 5),
        gemba::services::generation::generate_for_plan(db, &plan, tz, then, 5),
    );
    let created = a.unwrap() + b.unwrap();
    assert_eq!(created, 5, "2026-03-06..=2026-03-10, each once");
    assert_eq!(
        gemba::services::generation::generate_for_plan(db, &plan, tz, then, 5)
            .await
            .unwrap(),
        0
    );
    let page: Value = app
        .list_schedules(
            &admin,
            &format!("plan_id={plan_id}&due_from=2026-03-08T05:00:00Z&due_to=2026-03-09T05:00:00Z"),
        )
        .await
        .json()
        .await
        .unwrap();
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{page}");
    assert_eq!(items[0]["due_at"], "2026-03-08T07:30:00Z");
    let _ = NaiveDate::from_ymd_opt(2026, 3, 8);
}
