//! Every list endpoint runs a constant number of SQL statements, whatever
//! the page size.

use gemba::domain::user::Role;
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::spawn_app;

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
    let (_, token) = app.member_with_token(Role::Manager, site).await;
    for path in [
        "/api/v1/users?limit={n}",
        "/api/v1/sites?limit={n}",
        "/api/v1/equipment?limit={n}",
        "/api/v1/equipment?line=A&status=active&limit={n}",
        "/api/v1/audit-events?limit={n}",
        "/api/v1/sites/{site}/members",
    ] {
        let mut counts = Vec::new();
        for n in [1, 100] {
            let p = path
                .replace("{n}", &n.to_string())
                .replace("{site}", &site.to_string());
            let (count, res) = app.count_statements(app.get(&p, Some(&token))).await;
            assert_eq!(res.status(), StatusCode::OK, "{p}");
            let body: Value = res.json().await.unwrap();
            let items = body.get("items").unwrap_or(&body).as_array().unwrap().len();
            if path.contains("{n}") && !path.contains("sites?") {
                assert!(items == n || n == 100 && items >= 50, "{p}: {items} items");
            }
            counts.push(count);
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
