use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use gemba::domain::user::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{
    TestApp, assert_problem, daily_plan, field_codes, json_body, local_tomorrow, spawn_app,
    spawn_app_with, utf8_file_name,
};

/// A site with a daily plan and `results` recorded results.
struct Recorded {
    site: i64,
    manager: String,
}

async fn recorded(app: &TestApp, results: usize) -> Recorded {
    let site = app.seed_site("KR-CW1", "Asia/Seoul").await;
    let manager = app.member(Role::Manager, site).await.token;
    let inspector = app.member(Role::Inspector, site).await.token;
    let eq = app.seed_equipment(site, "PRESS-01", "A").await;
    let plan = app
        .created_plan(
            &manager,
            &daily_plan(eq, &local_tomorrow("Asia/Seoul"), "09:00"),
        )
        .await;
    let page = json_body(
        app.list_schedules(
            &inspector,
            &format!("plan_id={}&limit={results}", plan["id"]),
        )
        .await,
    )
    .await;
    for (i, s) in page["items"].as_array().unwrap().iter().enumerate() {
        let body = json!({"values": {"oil_pressure": 12.0 + i as f64, "guard_closed": true, "note": "누유 없음"}});
        let res = app
            .submit_result(&inspector, s["id"].as_i64().unwrap(), None, &body)
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    Recorded { site, manager }
}

fn report_body(site: i64, kind: &str, format: &str) -> Value {
    json!({
        "kind": kind, "format": format, "site_id": site, "locale": "ko",
        "from": "2025-01-01T00:00:00Z", "to": "2030-01-01T00:00:00Z"
    })
}

/// Runs queued jobs in this process until none is left.
async fn run_jobs(app: &TestApp) {
    while gemba::jobs::run_one(&app.state, "test-worker")
        .await
        .unwrap()
    {}
}

#[tokio::test]
async fn an_xlsx_report_of_results_opens_in_an_independent_reader() {
    let app = spawn_app().await;
    let Recorded { site, manager } = recorded(&app, 3).await;
    let res = app
        .create_report(&manager, &report_body(site, "results", "xlsx"))
        .await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let queued = json_body(res).await;
    assert_eq!(queued["status"], "queued");
    let id = queued["id"].as_i64().unwrap();
    assert_eq!(location, format!("/api/v1/reports/{id}"));
    // Not ready yet: a conflict that says so, not an empty file.
    assert_problem(
        app.get_report_content(&manager, id).await,
        StatusCode::CONFLICT,
    )
    .await;

    run_jobs(&app).await;
    let done = json_body(app.get(&location, Some(&manager)).await).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    // Three results of three values each.
    assert_eq!(done["progress"]["rows_written"], 9);
    assert_eq!(done["progress"]["rows_total"], 9);
    let file_name = done["file_name"].as_str().unwrap().to_owned();
    assert!(
        file_name.starts_with("점검결과_KR-CW1 공장_"),
        "{file_name}"
    );
    assert!(file_name.ends_with(".xlsx"));

    let res = app.get_report_content(&manager, id).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let disposition = res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.starts_with("attachment; filename=\""),
        "{disposition}"
    );
    assert_eq!(utf8_file_name(&disposition), file_name);
    let bytes = res.bytes().await.unwrap();
    assert_eq!(Some(bytes.len() as u64), done["size_bytes"].as_u64());

    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.to_vec())).unwrap();
    assert_eq!(book.sheet_names(), vec!["요약", "점검결과"]);
    let rows = book.worksheet_range("점검결과").unwrap();
    assert_eq!(rows.height(), 1 + 9);
    let header: Vec<String> = rows
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(header[0], "일정 ID");
    assert_eq!(header[7], "측정값");
    let first = rows.rows().nth(1).unwrap();
    assert!(
        matches!(first[1], Data::DateTime(_)),
        "due is a date cell: {:?}",
        first[1]
    );
    assert_eq!(first[4], Data::String("프레스 일일 점검".into()));
    let values: Vec<&Data> = rows.rows().skip(1).map(|r| &r[7]).collect();
    assert!(values.contains(&&Data::Float(12.0)), "{values:?}");
    assert!(values.contains(&&Data::String("누유 없음".into())));
    let summary = book.worksheet_range("요약").unwrap();
    let labels: Vec<String> = summary.rows().map(|r| r[0].to_string()).collect();
    assert!(labels.contains(&"결과 수".to_owned()), "{labels:?}");

    // The object is in storage under a readable name.
    let found = app.stored_objects().await;
    assert_eq!(found.len(), 1, "{found:?}");
    let prefix = format!("reports/KR-CW1/{}/", chrono::Utc::now().format("%Y/%m"));
    assert!(found[0].starts_with(&prefix), "{found:?}");
    assert!(found[0].contains("점검결과_KR-CW1 공장_"), "{found:?}");
}

#[tokio::test]
async fn a_csv_report_has_a_bom_and_english_headers_on_request() {
    let app = spawn_app().await;
    let Recorded { site, manager } = recorded(&app, 2).await;
    let mut body = report_body(site, "schedules", "csv");
    body["locale"] = json!("en");
    let res = app.create_report(&manager, &body).await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let id = json_body(res).await["id"].as_i64().unwrap();
    run_jobs(&app).await;
    let res = app.get_report_content(&manager, id).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    let text = res.text().await.unwrap();
    assert!(
        text.starts_with("\u{feff}Schedule ID,Due,Window ends,Status,"),
        "{text}"
    );
    let lines: Vec<&str> = text.lines().collect();
    let report = json_body(app.get_report(&manager, id).await).await;
    assert!(
        report["file_name"]
            .as_str()
            .unwrap()
            .starts_with("inspection-schedules_")
    );
    assert_eq!(
        lines.len() as i64,
        1 + report["progress"]["rows_written"].as_i64().unwrap()
    );
    assert!(text.contains(",completed,"), "{text}");
}

#[tokio::test]
async fn workers_in_the_server_run_the_job() {
    let app = spawn_app_with(|o| {
        o.job_workers = Some(1);
        o.job_poll_ms = Some(50);
    })
    .await;
    let Recorded { site, manager } = recorded(&app, 1).await;
    let res = app
        .create_report(&manager, &report_body(site, "results", "xlsx"))
        .await;
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let mut status = Value::Null;
    for _ in 0..200 {
        status = json_body(app.get(&location, Some(&manager)).await).await["status"].clone();
        if status == "succeeded" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(status, "succeeded");
}

#[tokio::test]
async fn reports_are_scoped_validated_and_for_managers() {
    let app = spawn_app().await;
    let Recorded { site, manager } = recorded(&app, 1).await;
    let other_site = app.seed_site("US-TX1", "America/Chicago").await;
    let outsider = app.member(Role::Manager, other_site).await.token;
    let inspector = app.member(Role::Inspector, site).await.token;
    let post = |token: String, body: Value| {
        let app = &app;
        async move { app.create_report(&token, &body).await }
    };
    let res = post(manager.clone(), report_body(site, "results", "xlsx")).await;
    let id = json_body(res).await["id"].as_i64().unwrap();
    run_jobs(&app).await;

    // Another site's report does not exist for you.
    for path in [
        format!("/api/v1/reports/{id}"),
        format!("/api/v1/reports/{id}/content"),
    ] {
        assert_problem(app.get(&path, Some(&outsider)).await, StatusCode::NOT_FOUND).await;
    }
    let list = json_body(app.list_reports(&outsider).await).await;
    assert_eq!(list["items"], json!([]));
    let list = json_body(app.list_reports(&inspector).await).await;
    assert_eq!(list["items"][0]["id"], id);
    // Nor can you ask for one.
    let res = post(outsider, report_body(site, "results", "xlsx")).await;
    assert_problem(res, StatusCode::NOT_FOUND).await;
    // Inspectors record; managers report.
    let res = post(inspector, report_body(site, "results", "xlsx")).await;
    assert_problem(res, StatusCode::FORBIDDEN).await;
    // Unknown formats and periods that end before they start.
    let mut pdf = report_body(site, "results", "xlsx");
    pdf["format"] = json!("pdf");
    let body = assert_problem(
        post(manager.clone(), pdf).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(field_codes(&body)[0].0, "format", "{body}");
    let mut backwards = report_body(site, "results", "csv");
    backwards["to"] = json!("2019-01-01T00:00:00Z");
    let body = assert_problem(
        post(manager.clone(), backwards).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(field_codes(&body), vec![("from".into(), "after_to".into())]);
    // Nothing half-made: only the one report exists.
    let list = json_body(app.list_reports(&manager).await).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_failing_job_is_retried_then_failed_with_a_readable_error() {
    // Local storage whatever the suite uses: the test breaks its directory.
    let app = spawn_app_with(|o| {
        o.job_max_attempts = Some(2);
        o.storage_url = None;
    })
    .await;
    let Recorded { site, manager } = recorded(&app, 1).await;
    let res = app
        .create_report(&manager, &report_body(site, "results", "csv"))
        .await;
    let id = json_body(res).await["id"].as_i64().unwrap();
    // Make every attempt fail: the storage directory becomes a file.
    let objects = app.state.settings.data_dir.join("objects");
    std::fs::remove_dir_all(&objects).unwrap();
    std::fs::write(&objects, b"not a directory").unwrap();
    assert!(gemba::jobs::run_one(&app.state, "w").await.unwrap());
    let r = json_body(app.get_report(&manager, id).await).await;
    assert_eq!(r["status"], "queued", "{r}");
    assert_eq!(r["attempts"], 1);
    assert!(
        r["error"]
            .as_str()
            .unwrap()
            .starts_with("attempt 1 failed: "),
        "{r}"
    );
    // The retry waits for its back-off; make it due now.
    force_due(&app, id).await;
    assert!(gemba::jobs::run_one(&app.state, "w").await.unwrap());
    let r = json_body(app.get_report(&manager, id).await).await;
    assert_eq!(r["status"], "failed", "{r}");
    assert_eq!(r["attempts"], 2);
    assert!(r["finished_at"].is_string());
    assert!(!gemba::jobs::run_one(&app.state, "w").await.unwrap());
}

async fn force_due(app: &TestApp, id: i64) {
    use sea_orm::ConnectionTrait;
    app.state
        .db
        .execute_unprepared(&format!(
            "UPDATE reports SET run_after = created_at WHERE id = {id}"
        ))
        .await
        .unwrap();
}

#[tokio::test]
async fn expired_reports_lose_their_file_and_their_row() {
    let app = spawn_app_with(|o| o.report_retention_days = Some(1)).await;
    let Recorded { site, manager } = recorded(&app, 1).await;
    let res = app
        .create_report(&manager, &report_body(site, "schedules", "xlsx"))
        .await;
    let id = json_body(res).await["id"].as_i64().unwrap();
    run_jobs(&app).await;
    assert_eq!(app.stored_objects().await.len(), 1);
    // Nothing is due yet.
    gemba::services::reports::expire(&app.state, chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(app.stored_objects().await.len(), 1);
    let later = chrono::Utc::now() + chrono::Duration::days(2);
    assert_eq!(
        gemba::services::reports::expire(&app.state, later)
            .await
            .unwrap(),
        1
    );
    assert_eq!(app.stored_objects().await.len(), 0);
    let res = app.get_report(&manager, id).await;
    assert_problem(res, StatusCode::NOT_FOUND).await;
}

#[tokio::test]
async fn a_presigned_s3_download_keeps_the_korean_name_and_opens() {
    let Some(s3) = crate::common::TestS3::from_env("presigned report download") else {
        return;
    };
    let app = spawn_app_with(|o| {
        s3.apply(o);
        o.s3_presigned_downloads = Some(true);
    })
    .await;
    assert_eq!(app.state.storage.kind(), "s3");
    let Recorded { site, manager } = recorded(&app, 2).await;
    let res = app
        .create_report(&manager, &report_body(site, "results", "xlsx"))
        .await;
    let id = json_body(res).await["id"].as_i64().unwrap();
    run_jobs(&app).await;
    let done = json_body(app.get_report(&manager, id).await).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    let file_name = done["file_name"].as_str().unwrap().to_owned();

    // 307 to the S3 server itself, valid for minutes.
    let res = app.get_report_content(&manager, id).await;
    assert_eq!(res.status(), StatusCode::TEMPORARY_REDIRECT);
    let url = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(url.starts_with(&s3.endpoint), "{url}");
    assert!(url.contains("X-Amz-Signature="), "{url}");
    // Fetched without gemba's token, S3 names the file as gemba would.
    let res = reqwest::get(&url).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let disposition = res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(utf8_file_name(&disposition), file_name);
    let bytes = res.bytes().await.unwrap();
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.to_vec())).unwrap();
    assert_eq!(book.worksheet_range("점검결과").unwrap().height(), 1 + 6);
    // A tampered URL is refused by S3.
    let tampered = url.replace("X-Amz-Signature=", "X-Amz-Signature=0");
    assert_eq!(
        reqwest::get(&tampered).await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    // The object sits under the report's readable key in the bucket.
    let keys = app.stored_objects().await;
    assert_eq!(keys.len(), 1);
    assert!(keys[0].contains("점검결과_KR-CW1 공장_"), "{keys:?}");
}
