//! Object-level authorization (BOLA): with two sites, nothing of the other
//! site is visible or changeable. Its objects answer exactly like objects
//! that do not exist, and never appear in a list.

use gemba::domain::user::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{SeededPlan, spawn_app};

#[tokio::test]
async fn other_sites_objects_are_404_for_every_resource_and_verb() {
    let app = spawn_app().await;
    let own = app.seed_site("OWN", "Asia/Seoul").await;
    let other = app.seed_site("OTHER", "Asia/Ho_Chi_Minh").await;
    let own_eq = app.seed_equipment(own, "PRESS-01", "A").await;
    let other_eq = app.seed_equipment(other, "PRESS-01", "A").await;
    let floor_user = app.seed_user("floor@factory.example", Role::Viewer).await;
    app.seed_member(other, floor_user).await;
    app.seed_member(own, floor_user).await;
    app.seed_plan(own).await;
    let SeededPlan {
        plan_id: other_plan,
        schedule_id: other_sch,
    } = app.seed_plan(other).await;
    let other_att = app.seed_attachment(other_sch).await;
    const MISSING: i64 = 987_654;

    // (method, path with {site} / {eq}, body)
    let verbs: Vec<(Method, &str, Option<Value>)> = vec![
        (Method::GET, "/api/v1/sites/{site}", None),
        (
            Method::PATCH,
            "/api/v1/sites/{site}",
            Some(json!({"name": "x"})),
        ),
        (Method::DELETE, "/api/v1/sites/{site}", None),
        (Method::GET, "/api/v1/sites/{site}/members", None),
        (Method::PUT, "/api/v1/sites/{site}/members/{user}", None),
        (Method::DELETE, "/api/v1/sites/{site}/members/{user}", None),
        (Method::GET, "/api/v1/equipment/{eq}", None),
        (
            Method::PATCH,
            "/api/v1/equipment/{eq}",
            Some(json!({"name": "x"})),
        ),
        (Method::DELETE, "/api/v1/equipment/{eq}", None),
        (
            Method::POST,
            "/api/v1/equipment",
            Some(
                json!({"site_id": "{site}", "code": "NEW-1", "name": "n", "line": "l", "kind": "k"}),
            ),
        ),
        (Method::GET, "/api/v1/plans/{plan}", None),
        (
            Method::PATCH,
            "/api/v1/plans/{plan}",
            Some(json!({"title": "x"})),
        ),
        (Method::DELETE, "/api/v1/plans/{plan}", None),
        (
            Method::GET,
            "/api/v1/plans/{plan}/occurrences?from=2026-12-01&to=2026-12-02",
            None,
        ),
        (
            Method::POST,
            "/api/v1/plans",
            Some(crate::helpers::daily_plan(0, "2026-12-01", "09:00")),
        ),
        (Method::GET, "/api/v1/schedules/{sch}", None),
        (
            Method::PATCH,
            "/api/v1/schedules/{sch}",
            Some(json!({"status": "cancelled"})),
        ),
        (Method::POST, "/api/v1/schedules/{sch}/start", None),
        (
            Method::PUT,
            "/api/v1/schedules/{sch}/result",
            Some(json!({"values": {"oil_pressure": 12, "guard_closed": true}})),
        ),
        (Method::GET, "/api/v1/schedules/{sch}/result", None),
        (Method::GET, "/api/v1/stats/summary?site_id={site}", None),
        (Method::GET, "/api/v1/schedules/{sch}/attachments", None),
        (Method::GET, "/api/v1/attachments/{att}", None),
        (Method::GET, "/api/v1/attachments/{att}/content", None),
        (Method::DELETE, "/api/v1/attachments/{att}", None),
    ];
    let mut failures = Vec::new();
    for role in [Role::Manager, Role::Inspector, Role::Viewer] {
        let token = app.member(role, own).await.token;
        for (method, template, body) in &verbs {
            let call = |site: i64, eq: i64, plan: i64, sch: i64, att: i64| {
                let path = template
                    .replace("{site}", &site.to_string())
                    .replace("{eq}", &eq.to_string())
                    .replace("{plan}", &plan.to_string())
                    .replace("{sch}", &sch.to_string())
                    .replace("{att}", &att.to_string())
                    .replace("{user}", &floor_user.to_string());
                let mut rb = app
                    .request(method.clone(), &path, Some(&token))
                    .header("if-match", "*");
                if let Some(b) = body {
                    let mut b = b.clone();
                    if b.get("equipment_id").is_some() {
                        b["equipment_id"] = json!(eq);
                    }
                    let b = b.to_string().replace("\"{site}\"", &site.to_string());
                    rb = rb.header("content-type", "application/json").body(b);
                }
                rb.send()
            };
            let foreign = call(other, other_eq, other_plan, other_sch, other_att)
                .await
                .unwrap();
            let foreign_status = foreign.status();
            let foreign_body: Value = foreign.json().await.unwrap();
            let missing = call(MISSING, MISSING, MISSING, MISSING, MISSING)
                .await
                .unwrap();
            let missing_status = missing.status();
            let missing_body: Value = missing.json().await.unwrap();
            if foreign_status != missing_status
                || foreign_body["detail"] != missing_body["detail"]
                || foreign_body["errors"] != missing_body["errors"]
            {
                failures.push(format!(
                    "{role:?} {method} {template}: other site {foreign_status} {foreign_body}, missing {missing_status} {missing_body}"
                ));
            }
            if foreign_status.is_success() {
                failures.push(format!(
                    "{role:?} {method} {template}: other site answered {foreign_status}"
                ));
            }
        }
        // Lists show the own site's objects and never the other site's.
        for path in [
            "/api/v1/sites",
            "/api/v1/equipment",
            "/api/v1/plans",
            "/api/v1/schedules?limit=100",
        ] {
            let page: Value = app.get(path, Some(&token)).await.json().await.unwrap();
            let items = page["items"].as_array().unwrap();
            if items.is_empty() {
                failures.push(format!("{role:?} GET {path}: nothing listed"));
            }
            for item in items {
                let site = item.get("site_id").unwrap_or(&item["id"]).as_i64().unwrap();
                if site != own {
                    failures.push(format!("{role:?} GET {path} shows site {site}"));
                }
            }
        }
        // Asking for the other site by id lists nothing.
        for path in [
            format!("/api/v1/equipment?site_id={other}"),
            format!("/api/v1/plans?site_id={other}"),
            format!("/api/v1/schedules?site_id={other}"),
        ] {
            let res = app.get(&path, Some(&token)).await;
            let status = res.status();
            let page: Value = res.json().await.unwrap();
            let listed = page["items"].as_array().map_or(0, Vec::len);
            if !(status == StatusCode::OK && listed == 0 || status == StatusCode::NOT_FOUND) {
                failures.push(format!("{role:?} GET {path}: {status} with {listed} items"));
            }
        }
    }
    // Own-site objects do work for a manager (the matrix is not vacuous).
    let manager = app.member(Role::Manager, own).await.token;
    assert_eq!(
        app.get_equipment(&manager, own_eq).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.list_site_members(&manager, own).await.status(),
        StatusCode::OK
    );
    let audit: Value = app
        .get("/api/v1/audit-events", Some(&manager))
        .await
        .json()
        .await
        .unwrap();
    assert!(
        audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["site_id"] == own),
        "{audit}"
    );
    // And the other site's objects are untouched.
    let admin = app.admin_token().await;
    let e: Value = app
        .get_equipment(&admin, other_eq)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(e["name"], "PRESS-01 설비");
    assert!(failures.is_empty(), "{failures:#?}");
}
