use gemba::domain::user::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Actor, assert_problem, field_codes, spawn_app};

#[tokio::test]
async fn countries_are_shipped_with_korean_names() {
    let app = spawn_app().await;
    let token = app.actor(Role::Viewer).await.token;
    let all: Value = app
        .get("/api/v1/countries", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(all.as_array().unwrap().len(), 249);
    let kr: Value = app
        .get("/api/v1/countries/kr", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(kr["name_ko"], "대한민국");
    assert_eq!(kr["alpha3"], "KOR");
    assert_problem(
        app.get("/api/v1/countries/XX", Some(&token)).await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

#[tokio::test]
async fn sites_are_created_checked_and_unique() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let body = json!({"code": "kr-asan", "name": "아산 공장", "country_code": "KR", "timezone": "Asia/Seoul"});
    let res = app.create_site(&admin, &body).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let site: Value = res.json().await.unwrap();
    assert_eq!(
        (site["code"].as_str(), site["country_code"].as_str()),
        (Some("KR-ASAN"), Some("KR"))
    );
    assert_eq!(location, format!("/api/v1/sites/{}", site["id"]));
    assert_problem(app.create_site(&admin, &body).await, StatusCode::CONFLICT).await;
    let bad = json!({"code": "a b", "name": " ", "country_code": "XX", "timezone": "Asia/Nowhere"});
    let problem = assert_problem(
        app.create_site(&admin, &bad).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(
        field_codes(&problem),
        [
            ("code".to_owned(), "invalid_code".to_owned()),
            ("country_code".to_owned(), "unknown_country".to_owned()),
            ("name".to_owned(), "blank".to_owned()),
            ("timezone".to_owned(), "unknown_timezone".to_owned()),
        ]
    );
    let id = site["id"].as_i64().unwrap();
    let res = app
        .update_site(&admin, id, &json!({"timezone": "Asia/Ho_Chi_Minh"}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.json::<Value>().await.unwrap()["timezone"],
        "Asia/Ho_Chi_Minh"
    );
}

#[tokio::test]
async fn members_decide_what_a_user_sees() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let a = app.seed_site("A", "Asia/Seoul").await;
    let b = app.seed_site("B", "America/Chicago").await;
    let Actor {
        id: manager_id,
        token: manager,
    } = app.actor(Role::Manager).await;
    let res = app.add_site_member(&admin, a, manager_id).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    // The token was issued before; membership applies at once.
    let page: Value = app.list_sites(&manager, "").await.json().await.unwrap();
    let ids: Vec<i64> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [a]);
    // Managers add floor staff to their own sites only.
    let inspector = app.seed_user("i@factory.example", Role::Inspector).await;
    let res = app.add_site_member(&manager, a, inspector).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = app.add_site_member(&manager, b, inspector).await;
    assert_problem(res, StatusCode::NOT_FOUND).await;
    let other_manager = app.seed_user("m2@factory.example", Role::Manager).await;
    let res = app.add_site_member(&manager, a, other_manager).await;
    assert_problem(res, StatusCode::FORBIDDEN).await;
    let members: Value = app
        .list_site_members(&manager, a)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(members.as_array().unwrap().len(), 2);
    let res = app.remove_site_member(&manager, a, inspector).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let members: Value = app
        .list_site_members(&manager, a)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(members.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn equipment_codes_are_unique_per_site_and_lists_filter() {
    let app = spawn_app().await;
    let a = app.seed_site("A", "Asia/Seoul").await;
    let b = app.seed_site("B", "Asia/Seoul").await;
    let manager = app.member(Role::Manager, a).await.token;
    let new = |site: i64, code: &str, line: &str| json!({"site_id": site, "code": code, "name": "프레스", "line": line, "kind": "press"});
    let res = app
        .create_equipment(&manager, &new(a, "press-01", "A라인"))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let item: Value = res.json().await.unwrap();
    assert_eq!(
        (item["code"].as_str(), item["status"].as_str()),
        (Some("PRESS-01"), Some("active"))
    );
    let res = app
        .create_equipment(&manager, &new(a, "PRESS-01", "B라인"))
        .await;
    assert_problem(res, StatusCode::CONFLICT).await;
    // Another site may reuse the code; this manager may not write there.
    let res = app
        .create_equipment(&manager, &new(b, "PRESS-01", "A라인"))
        .await;
    let problem = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(
        field_codes(&problem),
        [("site_id".to_owned(), "not_found".to_owned())]
    );
    app.seed_equipment(b, "PRESS-01", "A라인").await;
    app.seed_equipment(a, "WELD-01", "B라인").await;
    let retired = app.seed_equipment(a, "OLD-01", "B라인").await;
    // The equipment as a GET answers it.
    let stored = async || -> Value {
        let res = app.get_equipment(&manager, retired).await;
        res.json().await.unwrap()
    };
    let before = stored().await;
    let res = app
        .update_equipment(&manager, retired, &json!({"status": "retired"}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    // The answer is the stored row: the one change, everything else kept.
    let after: Value = res.json().await.unwrap();
    assert_eq!(after["status"], "retired");
    for kept in [
        "id",
        "site_id",
        "code",
        "name",
        "line",
        "kind",
        "created_at",
    ] {
        assert_eq!(after[kept], before[kept], "{kept}");
    }
    assert!(after["updated_at"].as_str() >= before["updated_at"].as_str());
    assert_eq!(stored().await, after);
    // Taking another equipment's code is a conflict, and changes nothing.
    let res = app
        .update_equipment(
            &manager,
            retired,
            &json!({"code": "weld-01", "status": "active"}),
        )
        .await;
    assert_problem(res, StatusCode::CONFLICT).await;
    assert_eq!(stored().await, after);

    let codes = |v: Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["code"].as_str().unwrap().to_owned())
            .collect()
    };
    let all = codes(app.list_equipment(&manager, "").await.json().await.unwrap());
    assert_eq!(all, ["PRESS-01", "WELD-01", "OLD-01"]);
    let line_b = codes(
        app.list_equipment(&manager, "line=B%EB%9D%BC%EC%9D%B8&status=active")
            .await
            .json()
            .await
            .unwrap(),
    );
    assert_eq!(line_b, ["WELD-01"]);
    let other_site = codes(
        app.list_equipment(&manager, &format!("site_id={b}"))
            .await
            .json()
            .await
            .unwrap(),
    );
    assert!(other_site.is_empty());
}

#[tokio::test]
async fn a_site_with_equipment_cannot_be_deleted() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let a = app.seed_site("A", "Asia/Seoul").await;
    let e = app.seed_equipment(a, "PRESS-01", "A").await;
    let res = app.delete_site(&admin, a).await;
    assert_problem(res, StatusCode::CONFLICT).await;
    let res = app.delete_equipment(&admin, e).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = app.delete_site(&admin, a).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_problem(app.get_site(&admin, a).await, StatusCode::NOT_FOUND).await;
}

#[tokio::test]
async fn every_change_is_audited_in_its_transaction() {
    let app = spawn_app().await;
    let a = app.seed_site("A", "Asia/Seoul").await;
    let b = app.seed_site("B", "Asia/Seoul").await;
    let Actor {
        id: manager_id,
        token: manager,
    } = app.member(Role::Manager, a).await;
    let e = app.seed_equipment(a, "PRESS-01", "A").await;
    app.seed_equipment(b, "PRESS-01", "A").await;
    let res = app
        .request(
            Method::PATCH,
            &format!("/api/v1/equipment/{e}"),
            Some(&manager),
        )
        .header("x-request-id", "audit-me-1")
        .json(&json!({"name": "프레스 1호기"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let page: Value = app
        .list_audit_events(&manager, &format!("entity=equipment&entity_id={e}"))
        .await
        .json()
        .await
        .unwrap();
    let events = page["items"].as_array().unwrap();
    assert_eq!(events.len(), 2, "{page}");
    let update = &events[0];
    assert_eq!(update["action"], "update");
    assert_eq!(update["actor_id"], manager_id);
    assert_eq!(update["request_id"], "audit-me-1");
    assert_eq!(update["before"], json!({"name": "PRESS-01 설비"}));
    assert_eq!(update["after"], json!({"name": "프레스 1호기"}));
    assert_eq!(events[1]["action"], "create");
    // Managers see only their sites' events; site B's equipment is not among them.
    let page: Value = app
        .list_audit_events(&manager, "entity=equipment")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["site_id"] == a)
    );
    let admin = app.admin_token().await;
    let page: Value = app
        .list_audit_events(&admin, "entity=equipment")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 3);
    // A rejected change writes nothing, audit included.
    let res = app
        .update_equipment(&manager, e, &json!({"code": "bad code"}))
        .await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    let page: Value = app
        .list_audit_events(&admin, &format!("entity=equipment&entity_id={e}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
}
